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
            <p>"You can close this page, or link another account."</p>
            <p><a class="button secondary" href="/">"Connect another account"</a></p>
        </div>
    }
}
