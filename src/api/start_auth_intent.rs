use crate::{catalogue::SignInForm, error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Submits a provider form: `provider`, then the form's `method`, `account_id`, `state` and fields by name
/// (see the catalogue). The server checks them and builds the Unipile body itself.
/// The router answers it directly (`server::direct`).
#[server(endpoint = "start_auth_intent")]
pub async fn start_auth_intent(
    provider: String,
    #[server(flatten)] form: SignInForm,
) -> Result<FlowStep, AppError> {
    let cx = crate::server::request::RequestCx::get()?;
    run_start_auth_intent(cx, StartAuthIntent { provider, form }).await
}

#[cfg(feature = "ssr")]
pub(crate) async fn run_start_auth_intent(
    cx: crate::server::request::RequestCx,
    StartAuthIntent { provider, form }: StartAuthIntent,
) -> Result<FlowStep, AppError> {
    use crate::server::flow;
    let provider = super::offered_provider(&cx, &provider)?;
    super::check_link_params(&cx, &form)?;
    let checked = form.check(provider, cx.app.settings.form_options());
    let kept = match &checked {
        Ok(checked) => &checked.kept,
        Err((kept, _)) => kept,
    };
    cx.return_to(&super::flow_page(provider, kept));
    let checked = match checked {
        Ok(checked) => checked,
        Err((kept, errors)) => {
            let next = flow::form_with_errors(provider, kept, errors);
            cx.save(&next);
            return Ok(next.step);
        }
    };
    cx.limit_start(&checked).await?;
    let next = flow::start(&cx.app, checked).await;
    cx.save(&next);
    super::unavailable_status(&cx, &next.step);
    Ok(next.step)
}
