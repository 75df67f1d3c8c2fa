use super::{CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView, Choice},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// One input per option: radios (exactly one, the first preselected), or with `several` checkboxes posted as
/// `name[]` (any number, none ticked beforehand: a consent is given, not assumed).
fn options(name: &'static str, choices: Vec<Choice>, several: bool) -> impl IntoView {
    let (kind, field) = if several {
        ("checkbox", format!("{name}[]"))
    } else {
        ("radio", name.to_owned())
    };
    choices
        .into_iter()
        .enumerate()
        .map(|(i, choice)| {
            let id = format!("{name}-{i}");
            view! {
                <div class="choice">
                    <input type=kind id=id.clone() name=field.clone() value=choice.id required=!several checked=!several && i == 0/>
                    <label for=id>
                        <span class="choice-label">{choice.label}</span>
                        {choice.detail.map(|d| view! { <span class="choice-detail">{d}</span> })}
                    </label>
                </div>
            }
        })
        .collect_view()
}

/// A choice among options Unipile offers: how to receive a code, which contract to use, or which products to
/// activate.
#[component]
pub fn ChoiceCheckpoint(provider: &'static Provider, checkpoint: CheckpointView) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let pending = move || actions.pending();
    let flow_id = checkpoint.flow_id.clone();
    let locale = crate::text::locale();
    let name = [("provider", provider.label.get(locale))];
    let form = match checkpoint.kind.clone() {
        CheckpointKind::ChallengeSelection { options: choices } => view! {
            <p class="lead">{fill(td_string!(locale, checkpoint.challenge_lead), &name)}</p>
            <ActionForm action=actions.challenge attr:class="form">
                <FlowFields provider flow_id/>
                <fieldset>
                    <legend>{td_string!(locale, checkpoint.send_by)}</legend>
                    {options("challenge", choices, false)}
                </fieldset>
                <button type="submit" class="button" disabled=pending>{td_string!(locale, checkpoint.send_code)}</button>
            </ActionForm>
        }
        .into_any(),
        CheckpointKind::ContractSelection { options: choices } => view! {
            <p class="lead">{fill(td_string!(locale, checkpoint.contract_lead), &name)}</p>
            <ActionForm action=actions.contract attr:class="form">
                <FlowFields provider flow_id/>
                <fieldset>
                    <legend>{td_string!(locale, checkpoint.contract)}</legend>
                    {options("contract", choices, false)}
                </fieldset>
                <button type="submit" class="button" disabled=pending>{td_string!(locale, checkpoint.proceed)}</button>
            </ActionForm>
        }
        .into_any(),
        CheckpointKind::Consent { options: choices } => view! {
            <p class="lead">{fill(td_string!(locale, checkpoint.consent_lead), &name)}</p>
            <ActionForm action=actions.products attr:class="form">
                <FlowFields provider flow_id/>
                <fieldset>
                    <legend>{td_string!(locale, checkpoint.products)}</legend>
                    {options("product", choices, true)}
                </fieldset>
                <button type="submit" class="button" disabled=pending>{td_string!(locale, checkpoint.proceed)}</button>
            </ActionForm>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let (title, notice) = (checkpoint.kind.title(locale), checkpoint.notice.clone());
    view! {
        <StepHeading>{title}</StepHeading>
        <NoticeView provider notice/>
        {form}
        <CheckpointFooter provider checkpoint/>
    }
}
