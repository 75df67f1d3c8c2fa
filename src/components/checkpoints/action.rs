use super::{BackgroundWait, CheckpointFooter};
use crate::{
    catalogue::Provider,
    components::{NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView},
};
use leptos::prelude::*;

/// A step the user completes elsewhere (approving the sign-in in the provider's app) or that completes on
/// its own (loading): the page says what to do and waits.
#[component]
pub fn ActionCheckpoint(provider: &'static Provider, checkpoint: CheckpointView) -> impl IntoView {
    let (lead, waiting) = match checkpoint.kind {
        CheckpointKind::Loading => (
            format!("{} is getting the next step ready. This usually takes a few seconds.", provider.label),
            "Preparing…".to_owned(),
        ),
        _ => (
            format!(
                "Open the {} app on your phone and approve the sign-in. This page continues by itself once you do.",
                provider.label
            ),
            "Waiting for your approval…".to_owned(),
        ),
    };
    let restart_label = if checkpoint.kind == CheckpointKind::InApp {
        "Cancel"
    } else {
        "Start over"
    };
    let (title, notice, flow_id) = (
        checkpoint.kind.title(),
        checkpoint.notice.clone(),
        checkpoint.flow_id.clone(),
    );
    view! {
        <StepHeading>{title}</StepHeading>
        <p class="lead">{lead}</p>
        <NoticeView provider notice/>
        <p class="waiting"><span class="spinner" aria-hidden="true"></span>{waiting}</p>
        <BackgroundWait provider flow_id/>
        <CheckpointFooter provider checkpoint restart_label/>
    }
}
