use crate::{catalogue::SignInForm, error::AppError};
use leptos::prelude::*;

/// Hands over what was typed in a provider form (the same fields as [`start_auth_intent`]) on the way to
/// the page `to` (this provider's page in another language or for another sign-in method), so that page
/// shows it again. Posted by the browser itself, it answers with a redirect to `to`, naming the kept
/// values: one page load, nothing racing it. Only what the catalogue lets a form keep is stored, never a
/// secret; a flow past its form is left as it is.
///
/// [`start_auth_intent`]: super::start_auth_intent
#[server(endpoint = "keep_typed")]
pub async fn keep_typed(
    provider: String,
    #[server(default)] to: String,
    #[server(flatten)] form: SignInForm,
) -> Result<(), AppError> {
    use crate::server::{flow, request::RequestCx};
    let cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    super::check_link_params(&cx, &form)?;
    let typed = match form.check(provider, cx.app.settings.form_options()) {
        Ok(checked) => checked.kept,
        Err((kept, _)) => kept,
    };
    let page = super::own_page(provider, &to).unwrap_or_else(|| super::flow_page(provider, &typed));
    cx.return_to(&page);
    let current = cx.flow(provider.id);
    let flow_id = current.as_ref().map(|f| f.flow_id.as_str());
    super::limit_action(&cx, provider, flow_id).await?;
    if let Some(next) = flow::keep_typed(&cx.app, provider, current, typed) {
        cx.save(&next);
    }
    Ok(())
}
