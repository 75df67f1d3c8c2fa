use crate::{
    error::AppError,
    model::{FlowStep, Secret},
};
use leptos::prelude::*;

/// Longest code a user may type.
#[cfg(feature = "ssr")]
const MAX_CODE_LEN: usize = 64;
/// Longest CAPTCHA token accepted: Arkose session tokens run to a few hundred characters.
#[cfg(feature = "ssr")]
const MAX_TOKEN_LEN: usize = 4096;

/// Sends the code typed on a code checkpoint, or the token of a solved CAPTCHA. The intent comes from the flow
/// cookie, never from the page.
#[server(endpoint = "solve_checkpoint")]
pub async fn solve_checkpoint(provider: String, code: Secret) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        server::{flow, request::RequestCx},
    };
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    cx.return_to(&super::flow_page(provider));
    let Some(mut current) = cx.flow().filter(|f| f.provider == provider.id) else {
        let next = flow::back_to_form(provider, String::new(), Some(Notice::new(ErrorCode::NoFlow)));
        cx.save(&next);
        return Ok(next.step);
    };
    let code = Secret::from(code.expose().trim().to_owned());
    let max_len = match &current.step {
        FlowStep::Checkpoint(view) if matches!(view.kind, crate::model::CheckpointKind::Captcha { .. }) => MAX_TOKEN_LEN,
        _ => MAX_CODE_LEN,
    };
    let next = if code.expose().is_empty() || code.expose().len() > max_len {
        current.step = current.step.with_notice(Notice::new(ErrorCode::InvalidCode));
        current
    } else {
        flow::solve(&cx.app, provider, current, &code).await
    };
    cx.save(&next);
    Ok(flow::current_step(&cx.app, provider, Some(next)))
}
