use crate::{catalogue::Provider, error::Notice};
use leptos::prelude::*;

/// A refusal or failure: what happened, what to do, and a support reference when there is one.
#[component]
pub fn NoticeView(
    provider: &'static Provider,
    notice: Option<Notice>,
    #[prop(optional)] attempts_left: Option<u8>,
) -> impl IntoView {
    notice.map(|notice| {
        let attempts = attempts_left.filter(|_| notice.code == crate::error::ErrorCode::InvalidCode).map(|n| {
            if n == 1 { "1 attempt left.".to_owned() } else { format!("{n} attempts left.") }
        });
        view! {
            <div class="notice" role="alert" data-code=format!("{:?}", notice.code)>
                <p class="notice-message">{notice.code.message(provider.label)}</p>
                <p class="notice-remedy">{notice.code.remedy(provider.label)}</p>
                {attempts.map(|a| view! { <p class="notice-attempts">{a}</p> })}
                {notice.support_ref.map(|r| view! { <p class="notice-ref">"Reference: "<code>{r}</code></p> })}
            </div>
        }
    })
}
