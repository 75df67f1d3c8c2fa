use super::{CheckpointFooter, FlowFields};
use crate::{
    catalogue::Provider,
    components::{FlowActions, NoticeView, StepHeading},
    model::{CheckpointKind, CheckpointView, Choice},
};
use leptos::prelude::*;

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
    let form = match checkpoint.kind.clone() {
        CheckpointKind::ChallengeSelection { options: choices } => view! {
            <p class="lead">{format!("{} can send you a verification code in one of these ways.", provider.label)}</p>
            <ActionForm action=actions.challenge attr:class="form">
                <FlowFields provider flow_id/>
                <fieldset>
                    <legend>"Send the code by"</legend>
                    {options("challenge", choices)}
                </fieldset>
                <button type="submit" class="button" disabled=pending>"Send code"</button>
            </ActionForm>
        }
        .into_any(),
        CheckpointKind::ContractSelection { options: choices } => view! {
            <p class="lead">{format!("Your {} account has several contracts. Choose the one to link.", provider.label)}</p>
            <ActionForm action=actions.contract attr:class="form">
                <FlowFields provider flow_id/>
                <fieldset>
                    <legend>"Contract"</legend>
                    {options("contract", choices)}
                </fieldset>
                <button type="submit" class="button" disabled=pending>"Continue"</button>
            </ActionForm>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let (title, notice) = (checkpoint.kind.title(), checkpoint.notice.clone());
    view! {
        <StepHeading>{title}</StepHeading>
        <NoticeView provider notice/>
        {form}
        <CheckpointFooter provider checkpoint/>
    }
}
