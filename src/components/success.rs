use super::{checkpoints::RestartButton, StepHeading};
use crate::{catalogue::Provider, model::AccountSummary, text::fill};
use leptos::prelude::*;
use leptos_i18n::td_string;

#[component]
pub fn Success(
    provider: &'static Provider,
    account: AccountSummary,
    /// Sign-ins start only from the application's signed links: another account starts there too.
    signed: bool,
) -> impl IntoView {
    let name = account
        .name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| account.id.clone());
    let locale = crate::text::locale();
    let heading = fill(
        td_string!(locale, success.heading),
        &[("provider", provider.label.get(locale)), ("name", &name)],
    );
    view! {
        <div class="success">
            <StepHeading>{heading}</StepHeading>
            <p>{td_string!(locale, success.account_id)}<code class="account-id">{account.id}</code></p>
            {match account.continue_url.clone() {
                Some(url) => {
                    // Without JavaScript the page moves on by itself; with it, the container has already
                    // sent the browser there.
                    let refresh = format!(r#"<meta http-equiv="refresh" content="0;url={}">"#, html_escape::encode_double_quoted_attribute(&url));
                    view! {
                        <p>{td_string!(locale, success.returning)}</p>
                        <p><a class="button" href=url rel="external">{td_string!(locale, success.continue_app)}</a></p>
                        <noscript inner_html=refresh></noscript>
                    }.into_any()
                }
                None if signed => view! { <p>{td_string!(locale, success.done_from_link)}</p> }.into_any(),
                // A button, not a link: starting again is an action (the page itself changes nothing).
                None => view! {
                    <p>{td_string!(locale, success.done)}</p>
                    <RestartButton provider label=td_string!(locale, success.another)/>
                }.into_any(),
            }}
        </div>
    }
}
