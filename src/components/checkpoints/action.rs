use super::{BackgroundWait, CheckpointFooter, PairingCodeShown};
use crate::{
    catalogue::Provider,
    components::{NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// A step the user completes elsewhere (approving the sign-in in the provider's app, or typing a pairing
/// code there) or that completes on its own (loading): the page says what to do and waits.
#[component]
pub fn ActionCheckpoint(provider: &'static Provider, checkpoint: CheckpointView) -> impl IntoView {
    let locale = crate::text::locale();
    let name = [("provider", provider.label.get(locale))];
    let (lead, waiting, pairing_code) = match &checkpoint.kind {
        CheckpointKind::Loading => (
            fill(td_string!(locale, checkpoint.loading_lead), &name),
            td_string!(locale, checkpoint.preparing),
            None,
        ),
        CheckpointKind::PairingCode { code } => (
            fill(td_string!(locale, checkpoint.pairing_lead), &name),
            td_string!(locale, checkpoint.pairing_waiting),
            Some(code.clone()),
        ),
        _ => (
            fill(td_string!(locale, checkpoint.in_app_lead), &name),
            td_string!(locale, checkpoint.waiting),
            None,
        ),
    };
    let restart_label = if checkpoint.kind == CheckpointKind::Loading {
        td_string!(locale, checkpoint.start_over)
    } else {
        td_string!(locale, checkpoint.cancel)
    };
    let (title, notice, flow_id) = (
        checkpoint.kind.title(locale),
        checkpoint.notice.clone(),
        checkpoint.flow_id.clone(),
    );
    view! {
        <StepHeading>{title}</StepHeading>
        <p class="lead">{lead}</p>
        {pairing_code.map(|code| view! { <PairingCodeShown provider code/> })}
        <NoticeView provider notice/>
        <p class="waiting"><span class="spinner" aria-hidden="true"></span>{waiting}</p>
        <BackgroundWait provider flow_id/>
        <CheckpointFooter provider checkpoint restart_label/>
    }
}
