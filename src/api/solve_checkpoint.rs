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

/// Sends the code typed on a code checkpoint, or the token of a solved CAPTCHA. The intent comes from the
/// flow cookie, never from the page.
#[server(endpoint = "solve_checkpoint")]
pub async fn solve_checkpoint(
    provider: String,
    flow: String,
    code: Secret,
) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        server::flow as service,
    };
    let code = Secret::from(code.expose().trim().to_owned());
    super::on_checkpoint(&provider, &flow, |app, provider, mut current| async move {
        let max_len = match &current.step {
            FlowStep::Checkpoint(view)
                if matches!(view.kind, crate::model::CheckpointKind::Captcha { .. }) =>
            {
                MAX_TOKEN_LEN
            }
            _ => MAX_CODE_LEN,
        };
        if code.expose().is_empty() || code.expose().len() > max_len {
            current.step = current
                .step
                .with_notice(Notice::new(ErrorCode::InvalidCode));
            return current;
        }
        service::solve(&app, provider, current, &code).await
    })
    .await
}
