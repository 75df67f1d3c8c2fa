use crate::{
    error::AppError,
    model::{FlowStep, Secret},
};
use leptos::prelude::*;

/// Sends the code typed on a code checkpoint. The intent comes from the flow cookie, never from the page.
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
        if code.expose().is_empty() || code.expose().len() > 64 {
            current.step = current
                .step
                .with_notice(Notice::new(ErrorCode::InvalidCode));
            return current;
        }
        service::solve(&app, provider, current, &code).await
    })
    .await
}
