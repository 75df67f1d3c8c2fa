use super::{BackgroundWait, CheckpointFooter};
use crate::{
    catalogue::Provider,
    components::{NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// A step the user completes elsewhere (approving the sign-in in the provider's app) or that completes on
/// its own (loading): the page says what to do and waits.
#[component]
pub fn ActionCheckpoint(provider: &'static Provider, checkpoint: CheckpointView) -> impl IntoView {
    let locale = crate::text::locale();
    let name = [("provider", provider.label.get(locale))];
    let (lead, waiting) = match checkpoint.kind {
        CheckpointKind::Loading => (
            fill(td_string!(locale, checkpoint.loading_lead), &name),
            td_string!(locale, checkpoint.preparing),
        ),
        _ => (
            fill(td_string!(locale, checkpoint.in_app_lead), &name),
            td_string!(locale, checkpoint.waiting),
        ),
    };
    let restart_label = if checkpoint.kind == CheckpointKind::InApp {
        td_string!(locale, checkpoint.cancel)
    } else {
        td_string!(locale, checkpoint.start_over)
    };
    let (title, notice, flow_id) = (
        checkpoint.kind.title(locale),
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
