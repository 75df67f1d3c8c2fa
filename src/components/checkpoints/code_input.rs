use super::{BackgroundWait, CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{
        countdown::{clock, use_now},
        FlowActions, NoticeView, StepHeading,
    },
    model::{CheckpointView, CodeSource},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// "Resend code", disabled until the cooldown ends (counted down live with JavaScript).
#[component]
fn ResendButton(provider: &'static Provider, flow_id: String, resend_at_ms: u64) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let locale = crate::text::locale();
    let now = use_now();
    let wait_left = move || resend_at_ms.saturating_sub(now.get());
    let blocked = move || wait_left() > 0 || actions.pending();
    view! {
        <ActionForm action=actions.resend attr:class="inline-form">
            <FlowFields provider flow_id/>
            <button type="submit" class="button link" disabled=blocked>
                {move || match wait_left() {
                    0 => td_string!(locale, checkpoint.resend).to_owned(),
                    left => fill(td_string!(locale, checkpoint.resend_in), &[("time", &clock(left))]),
                }}
            </button>
        </ActionForm>
    }
}

/// A code to type: two-step verification or a one-time password, with where it comes from. With
/// `or_in_app`, approving the sign-in in the app also completes it, whichever happens first.
#[component]
pub fn CodeInputCheckpoint(
    provider: &'static Provider,
    source: CodeSource,
    checkpoint: CheckpointView,
    #[prop(optional)] or_in_app: bool,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    let flow_id = checkpoint.flow_id.clone();
    let locale = crate::text::locale();
    let (notice, attempts_left, confirmation) = (
        checkpoint.notice.clone(),
        checkpoint.attempts_left,
        checkpoint.confirmation,
    );
    let in_app = or_in_app.then(|| {
        let flow_id = flow_id.clone();
        view! {
            <p class="lead">{fill(td_string!(locale, checkpoint.or_in_app), &[("provider", provider.label.get(locale))])}</p>
            <BackgroundWait provider flow_id reload=false/>
        }
    });
    let resend = checkpoint.resend_at_ms.map(|resend_at_ms| {
        let flow_id = flow_id.clone();
        view! { <ResendButton provider flow_id resend_at_ms/> }
    });
    view! {
        <StepHeading>{td_string!(locale, steps.code)}</StepHeading>
        <p class="lead">{source.describe(locale, provider.label.get(locale))}</p>
        {in_app}
        <NoticeView provider notice attempts_left/>
        {confirmation.map(|c| view! { <p class="confirmation" role="status">{c.message(locale)}</p> })}
        <ActionForm action=actions.solve attr:class="form">
            <FlowFields provider flow_id/>
            <div class="field">
                <label for="code">{td_string!(locale, checkpoint.code_label)}</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    required maxlength="64" spellcheck="false"/>
            </div>
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { td_string!(locale, checkpoint.verifying) } else { td_string!(locale, checkpoint.verify) }}
            </button>
        </ActionForm>
        {resend}
        <CheckpointFooter provider checkpoint/>
    }
}
