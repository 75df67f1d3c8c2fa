use crate::{error::AppError, model::FlowStep};
use leptos::prelude::*;

/// The step to show for `provider` in this browser. With `wait` (the no-JavaScript waiting page reloads
/// with `?wait=1`), a waiting step is first given a bounded wait. Drawing a page changes no flow: a reload
/// shows the same step (a linked account for a while, a refusal until the next try), and only an action
/// (sign in, "Start over", "Connect another account") moves it. Two reads write, and repeating them changes
/// nothing more: the no-JavaScript wait records an outcome decided elsewhere (an approval), and a valid start
/// link gives this browser its pass (a cookie); the link itself is spent only when a sign-in starts.
#[server(endpoint = "load_flow_step")]
pub async fn load_flow_step(provider: String, wait: bool) -> Result<FlowStep, AppError> {
    use crate::server::{flow, request::RequestCx};
    let mut cx = RequestCx::get()?;
    let provider = super::offered_provider(&cx, &provider)?;
    let mut stored = if cx.is_page_render() {
        cx.page_flow(provider.id)
    } else {
        cx.flow(provider.id)
    };
    // With signed links a page opens only from a valid link, its pass, or a sign-in in progress.
    let mut bound = None;
    if let (true, Some(links)) = (cx.is_page_render(), cx.app.links.as_ref()) {
        use crate::server::links::{page_access, PageAccess};
        match page_access(&cx, links, provider.id, stored.as_ref()).await {
            PageAccess::InProgress => {}
            PageAccess::Form(pass) => bound = Some(pass.form_values()),
            PageAccess::Refused(refused) => {
                cx.set_status(axum::http::StatusCode::FORBIDDEN);
                let notice = Some(crate::error::Notice::new(refused.why.code()));
                return Ok(FlowStep::Form(crate::model::FormState {
                    form: refused.back(),
                    notice,
                    ..Default::default()
                }));
            }
        }
    }
    if let Some(current) = stored.take_if(|_| wait) {
        match super::wait_on(&mut cx, provider, current).await? {
            Ok(next) => stored = Some(next),
            Err(step) => return Ok(step),
        }
    }
    let mut step = flow::current_step(&cx.app, provider, stored.clone());
    if let FlowStep::Form(form) = &mut step {
        // The link's parameters, whatever the page's address says; a refusal of an earlier link is over.
        if let Some(bound) = bound {
            if form
                .notice
                .as_ref()
                .is_some_and(|n| n.code.refuses_the_link())
            {
                form.notice = None;
            }
            form.form.account_id = bound.account_id;
            form.form.state = bound.state;
            form.form.success_url = bound.success_url;
            form.form.failure_url = bound.failure_url;
        }
        // A "user agent" field starts with the browser's own.
        let asks_agent = provider
            .methods
            .iter()
            .any(|m| m.fields.iter().any(|f| f.name == "user_agent"));
        if let (true, Some(agent)) = (asks_agent, cx.user_agent()) {
            form.form
                .values
                .entry("user_agent".to_owned())
                .or_insert(agent);
        }
    }
    Ok(step)
}
