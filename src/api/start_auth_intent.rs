use crate::{catalogue::SignInForm, error::AppError, model::FlowStep};
use leptos::prelude::*;

/// Submits a provider form: `provider`, then the form's `method`, `account_id`, `state` and fields by name
/// (see the catalogue). The server checks them and builds the Unipile body itself.
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
    use crate::server::{flow, links};
    let provider = super::offered_provider(&cx, &provider)?;
    super::check_link_params(&cx, &form)?;
    // With signed links, only a browser that opened a valid link may start a sign-in, with its parameters.
    let pass = match cx.app.links.as_ref() {
        None => None,
        Some(_) => match links::sign_in_pass(&cx, provider.id, &form) {
            Ok(pass) => Some(pass),
            Err(refused) => return Ok(refuse_link(&cx, provider, refused)),
        },
    };
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
    // The link is spent as its sign-in starts, for this browser: on any replica, another is refused.
    if let Some(pass) = &pass {
        match links::spend(&cx, pass).await {
            Ok(Ok(())) => {}
            Ok(Err(refused)) => return Ok(refuse_link(&cx, provider, refused)),
            Err(e) => {
                let notice = crate::server::request::store_unavailable(&cx.app, &e);
                let next = flow::back_to_form(provider, checked.kept, Some(notice));
                cx.save(&next);
                super::unavailable_status(&cx, &next.step);
                return Ok(next.step);
            }
        }
    }
    let next = flow::start(&cx.app, checked).await;
    cx.save(&next);
    super::unavailable_status(&cx, &next.step);
    Ok(next.step)
}

/// A sign-in refused for its start link: counted and logged, nothing sent to Unipile, and the refusal
/// stored for the page (reached again by a redirect without JavaScript), with the link's own way back.
#[cfg(feature = "ssr")]
fn refuse_link(
    cx: &crate::server::request::RequestCx,
    provider: &'static crate::catalogue::Provider,
    refused: crate::server::links::Refused,
) -> FlowStep {
    use crate::{error::Notice, server::flow};
    crate::server::links::note_refusal(cx, provider.id, refused.why);
    let notice = Notice::new(refused.why.code());
    let next = flow::back_to_form(provider, refused.back(), Some(notice));
    cx.save(&next);
    cx.return_to(&format!("/connect/{}", provider.id));
    cx.refusal_status(axum::http::StatusCode::FORBIDDEN);
    next.step
}
