use crate::{
    error::AppError,
    model::{FlowStep, Secret},
};
use leptos::prelude::*;

/// Submits the provider form. The server builds the Unipile body itself from these fields.
#[server(endpoint = "start_auth_intent")]
pub async fn start_auth_intent(
    provider: String,
    username: String,
    password: Secret,
) -> Result<FlowStep, AppError> {
    use crate::{
        catalogue::MAX_FIELD_LEN,
        error::{ErrorCode, Notice},
        server::{flow, request::RequestCx},
    };
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    cx.return_to(&super::flow_page(provider));
    let username = username.trim().to_owned();
    if username.is_empty()
        || password.expose().is_empty()
        || username.len() > MAX_FIELD_LEN
        || password.expose().len() > MAX_FIELD_LEN
    {
        let username = if username.len() > MAX_FIELD_LEN {
            String::new()
        } else {
            username
        };
        let next = flow::back_to_form(
            provider,
            username,
            Some(Notice::new(ErrorCode::InvalidInput)),
        );
        cx.save(&next);
        return Ok(next.step);
    }
    cx.limit_start(provider, &username)?;
    let next = flow::start(&cx.app, provider, username, &password).await;
    cx.save(&next);
    Ok(next.step)
}
