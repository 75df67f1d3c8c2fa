use super::RestartButton;
use crate::{catalogue::Provider, components::StepHeading};
use leptos::prelude::*;

/// A checkpoint type this version does not know: say so plainly and offer a way out.
#[component]
pub fn UnsupportedCheckpoint(provider: &'static Provider) -> impl IntoView {
    view! {
        <StepHeading>"This sign-in needs a step we don't support yet"</StepHeading>
        <p class="lead">{format!(
            "{} asked for a kind of verification this page cannot show. Start again; if it happens again, sign in on {} directly first, then retry here.",
            provider.label, provider.label
        )}</p>
        <RestartButton provider label="Start again"/>
    }
}
