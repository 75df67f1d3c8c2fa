use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Sends the phone number of a phone-registration checkpoint, in the contract's `(+33)612345678` form.
#[server(endpoint = "register_phone")]
pub async fn register_phone(
    provider: String,
    flow: String,
    country_code: String,
    phone_number: String,
) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        model::Secret,
        server::flow as service,
    };
    super::on_checkpoint(&provider, &flow, |app, provider, mut current| async move {
        match service::format_phone(&country_code, &phone_number) {
            Some(phone) => service::solve(&app, provider, current, &Secret::from(phone)).await,
            None => {
                current.step = current
                    .step
                    .with_notice(Notice::new(ErrorCode::InvalidPhone));
                current
            }
        }
    })
    .await
}
