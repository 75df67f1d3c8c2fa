use super::RestartButton;
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    model::{CheckpointView, CodeSource},
};
use leptos::prelude::*;

/// A code to type: two-step verification or a one-time password, with where it comes from.
#[component]
pub fn CodeInputCheckpoint(provider: &'static Provider, source: CodeSource, checkpoint: CheckpointView) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    view! {
        <StepHeading>"Enter your verification code"</StepHeading>
        <p class="lead">{source.describe(provider.label)}</p>
        <NoticeView provider notice=checkpoint.notice.clone() attempts_left=checkpoint.attempts_left/>
        <ActionForm action=actions.solve attr:class="form">
            <input type="hidden" name="provider" value=provider.id/>
            <div class="field">
                <label for="code">"Verification code"</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    required maxlength="64" spellcheck="false"/>
            </div>
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { "Verifying…" } else { "Verify" }}
            </button>
        </ActionForm>
        <RestartButton provider/>
    }
}
