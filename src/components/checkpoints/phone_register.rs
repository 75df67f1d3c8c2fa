use super::{CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    model::CheckpointView,
};
use leptos::prelude::*;

/// The provider wants a phone number before it can send a code.
#[component]
pub fn PhoneRegisterCheckpoint(
    provider: &'static Provider,
    checkpoint: CheckpointView,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    let (notice, flow_id) = (checkpoint.notice.clone(), checkpoint.flow_id.clone());
    view! {
        <StepHeading>"Add a phone number"</StepHeading>
        <p class="lead">{format!("{} needs a phone number to send you a verification code.", provider.label)}</p>
        <NoticeView provider notice/>
        <ActionForm action=actions.phone attr:class="form">
            <FlowFields provider flow_id/>
            <div class="field-row">
                <div class="field country">
                    <label for="country_code">"Country code"</label>
                    <input id="country_code" name="country_code" type="text" inputmode="tel" autocomplete="tel-country-code"
                        required maxlength="5" pattern="\\+?[0-9]{1,4}" placeholder="+33" aria-describedby="phone-hint"/>
                </div>
                <div class="field">
                    <label for="phone_number">"Phone number"</label>
                    <input id="phone_number" name="phone_number" type="tel" autocomplete="tel-national"
                        required maxlength="24" aria-describedby="phone-hint"/>
                </div>
            </div>
            <p id="phone-hint" class="hint">"For example +33 and 612345678. Spaces and dashes are fine."</p>
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { "Sending…" } else { "Send code" }}
            </button>
        </ActionForm>
        <CheckpointFooter provider checkpoint/>
    }
}
