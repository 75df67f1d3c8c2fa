use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Sends the phone number of a phone-registration checkpoint, in the contract's `(+33)612345678` form.
#[server(endpoint = "register_phone")]
pub async fn register_phone(provider: String, country_code: String, phone_number: String) -> Result<FlowStep, AppError> {
    use crate::{
        error::{ErrorCode, Notice},
        model::Secret,
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
    let next = match flow::format_phone(&country_code, &phone_number) {
        Some(phone) => flow::solve(&cx.app, provider, current, &Secret::from(phone)).await,
        None => {
            current.step = current.step.with_notice(Notice::new(ErrorCode::InvalidPhone));
            current
        }
    };
    cx.save(&next);
    Ok(flow::current_step(&cx.app, provider, Some(next)))
}
