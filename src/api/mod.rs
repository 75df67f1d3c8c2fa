//! Server functions: thin, fixed endpoints. Each parses and checks its input, calls one flow-service
//! function and returns the next step. Expected refusals are `Ok` steps with a notice; `Err` is for failures.

mod get_site_info;
mod load_flow_step;
mod register_phone;
mod restart_flow;
mod solve_checkpoint;
mod start_auth_intent;

pub use get_site_info::*;
pub use load_flow_step::*;
pub use register_phone::*;
pub use restart_flow::*;
pub use solve_checkpoint::*;
pub use start_auth_intent::*;

#[cfg(feature = "ssr")]
fn offered_provider(
    cx: &crate::server::request::RequestCx,
    id: &str,
) -> Result<&'static crate::catalogue::Provider, crate::error::AppError> {
    crate::catalogue::find(id)
        .filter(|p| cx.app.settings.is_offered(p.id))
        .ok_or_else(|| crate::error::AppError::BadRequest("unknown provider".to_owned()))
}

#[cfg(feature = "ssr")]
fn flow_page(provider: &crate::catalogue::Provider) -> String {
    format!("/connect/{}", provider.id)
}
