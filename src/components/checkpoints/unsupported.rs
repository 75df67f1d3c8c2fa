use super::RestartButton;
use crate::{catalogue::Provider, components::StepHeading, text::fill};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// A checkpoint type this version does not know: say so plainly and offer a way out.
#[component]
pub fn UnsupportedCheckpoint(provider: &'static Provider) -> impl IntoView {
    let locale = crate::text::locale();
    view! {
        <StepHeading>{td_string!(locale, steps.unsupported)}</StepHeading>
        <p class="lead">{fill(td_string!(locale, checkpoint.unsupported_lead), &[("provider", provider.label.get(locale))])}</p>
        <RestartButton provider label=td_string!(locale, checkpoint.start_again)/>
    }
}
