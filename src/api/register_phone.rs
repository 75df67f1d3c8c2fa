use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Sends the phone number of a phone-registration checkpoint, in the contract's `(+44)7700900123` form. A
/// number that cannot exist for the country code typed is refused here, before anything is sent; the
/// checkpoint stays open with what was typed filled in again.
#[server(endpoint = "register_phone")]
pub async fn register_phone(
    provider: String,
    flow: String,
    country_code: String,
    phone_number: String,
) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        model::{CheckpointKind, Secret, TypedPhone},
        server::flow as service,
    };
    super::on_checkpoint(&provider, &flow, |app, provider, mut current| async move {
        // Kept on the checkpoint, so a refusal here or by the provider shows the number to correct.
        if let FlowStep::Checkpoint(view) = &mut current.step {
            if view.kind == CheckpointKind::PhoneRegister {
                view.phone = TypedPhone::new(&country_code, &phone_number);
            }
        }
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
