use crate::{catalogue::Provider, error::Notice, text::fill};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// A refusal or failure: what happened, what to do, and a support reference when there is one.
#[component]
pub fn NoticeView(
    provider: &'static Provider,
    notice: Option<Notice>,
    #[prop(optional)] attempts_left: Option<u8>,
) -> impl IntoView {
    let locale = crate::text::locale();
    let name = provider.label.get(locale);
    notice.map(|notice| {
        let attempts = attempts_left.filter(|_| notice.code == crate::error::ErrorCode::InvalidCode).map(|n| {
            if n == 1 {
                td_string!(locale, checkpoint.attempt_left).to_owned()
            } else {
                fill(td_string!(locale, checkpoint.attempts_left), &[("n", &n.to_string())])
            }
        });
        view! {
            <div class="notice" role="alert" data-code=format!("{:?}", notice.code)>
                <p class="notice-message">{notice.code.message(locale, name)}</p>
                <p class="notice-remedy">{notice.code.remedy(locale, name)}</p>
                {attempts.map(|a| view! { <p class="notice-attempts">{a}</p> })}
                {notice.support_ref.map(|r| view! { <p class="notice-ref">{td_string!(locale, checkpoint.reference)}<code>{r}</code></p> })}
            </div>
        }
    })
}
