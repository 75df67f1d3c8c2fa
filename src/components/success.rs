use super::StepHeading;
use crate::{catalogue::Provider, model::AccountSummary};
use leptos::prelude::*;

#[component]
pub fn Success(provider: &'static Provider, account: AccountSummary) -> impl IntoView {
    let name = account
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| account.id.clone());
    view! {
        <div class="success">
            <StepHeading>{format!("Your {} account {} is connected", provider.label, name)}</StepHeading>
            <p>"Account ID: "<code class="account-id">{account.id}</code></p>
            {match account.continue_url.clone() {
                Some(url) => {
                    // Without JavaScript the page moves on by itself; with it, the container has already
                    // sent the browser there.
                    let refresh = format!(r#"<meta http-equiv="refresh" content="0;url={}">"#, crate::catalogue::escape_html(&url));
                    view! {
                        <p>"Taking you back to the application…"</p>
                        <p><a class="button" href=url rel="external">"Continue to the application"</a></p>
                        <noscript inner_html=refresh></noscript>
                    }.into_any()
                }
                None => view! {
                    <p>"You can close this page, or link another account."</p>
                    <p><a class="button secondary" href="/">"Connect another account"</a></p>
                }.into_any(),
            }}
        </div>
    }
}
