use super::{CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView, Choice},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

fn options(name: &'static str, choices: Vec<Choice>) -> impl IntoView {
    choices
        .into_iter()
        .enumerate()
        .map(|(i, choice)| {
            let id = format!("{name}-{i}");
            view! {
                <div class="choice">
                    <input type="radio" id=id.clone() name=name value=choice.id required checked=i == 0/>
                    <label for=id>
                        <span class="choice-label">{choice.label}</span>
                        {choice.detail.map(|d| view! { <span class="choice-detail">{d}</span> })}
                    </label>
                </div>
            }
        })
        .collect_view()
}

/// A choice among options Unipile offers: how to receive a code, or which contract to use.
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
                    {options("challenge", choices)}
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
                    {options("contract", choices)}
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
