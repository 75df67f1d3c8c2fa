use super::{CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    error::ErrorCode,
    model::{CheckpointView, TypedPhone},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// The provider wants a phone number before it can send a code. A refused number comes back filled in,
/// its fields marked, so it can be corrected.
#[component]
pub fn PhoneRegisterCheckpoint(
    provider: &'static Provider,
    checkpoint: CheckpointView,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    let (notice, flow_id) = (checkpoint.notice.clone(), checkpoint.flow_id.clone());
    let refused = notice
        .as_ref()
        .is_some_and(|n| n.code == ErrorCode::InvalidPhone);
    let (country_code, number) = checkpoint
        .phone
        .clone()
        .map(|typed| (typed.country_code, typed.number))
        .unwrap_or_default();
    let locale = crate::text::locale();
    view! {
        <StepHeading>{td_string!(locale, steps.phone)}</StepHeading>
        <p class="lead">{fill(td_string!(locale, checkpoint.phone_lead), &[("provider", provider.label.get(locale))])}</p>
        <NoticeView provider notice/>
        <ActionForm action=actions.phone attr:class="form">
            <FlowFields provider flow_id/>
            <div class="field-row">
                <div class="field country">
                    <label for="country_code">{td_string!(locale, checkpoint.country_code)}</label>
                    <input id="country_code" name="country_code" type="text" inputmode="tel" autocomplete="tel-country-code"
                        required maxlength=TypedPhone::COUNTRY_CODE_MAX pattern="\\+?[1-9][0-9]{0,2}" placeholder="+33"
                        aria-describedby="phone-hint" aria-invalid=refused.then_some("true") value=country_code/>
                </div>
                <div class="field">
                    <label for="phone_number">{td_string!(locale, checkpoint.phone_number)}</label>
                    <input id="phone_number" name="phone_number" type="tel" autocomplete="tel-national"
                        required maxlength=TypedPhone::NUMBER_MAX aria-describedby="phone-hint"
                        aria-invalid=refused.then_some("true") value=number/>
                </div>
            </div>
            <p id="phone-hint" class="hint">{td_string!(locale, checkpoint.phone_hint)}</p>
            <button type="submit" class="button" disabled=pending>
                {move || if pending() { td_string!(locale, checkpoint.sending) } else { td_string!(locale, checkpoint.send_code) }}
            </button>
        </ActionForm>
        <CheckpointFooter provider checkpoint/>
    }
}
