//! What a server function needs from the request it serves: the state, the flow cookie, and a way to
//! answer plain (no-JavaScript) form posts with a redirect back to the flow page.

use super::{session::FlowState, state::AppState};
use crate::error::AppError;
use axum::http::{header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub struct RequestCx {
    pub app: AppState,
    parts: Parts,
    response: ResponseOptions,
}

impl RequestCx {
    pub fn get() -> Result<RequestCx, AppError> {
        let missing = || AppError::Unavailable {
            support_ref: super::errors::local_reference(),
        };
        Ok(RequestCx {
            app: use_context::<AppState>().ok_or_else(missing)?,
            parts: use_context::<Parts>().ok_or_else(missing)?,
            response: use_context::<ResponseOptions>().ok_or_else(missing)?,
        })
    }

    pub fn flow(&self, provider: &str) -> Option<FlowState> {
        self.app.cookies.read(&self.parts.headers, provider)
    }

    /// True while rendering a page (a GET of `/connect/…`), false for a server-function call.
    pub fn is_page_render(&self) -> bool {
        self.parts.method == axum::http::Method::GET && !self.parts.uri.path().starts_with("/api/")
    }

    pub fn save(&self, flow: &FlowState) {
        match self.app.cookies.write(flow) {
            Some(value) => self.response.append_header(header::SET_COOKIE, value),
            None => tracing::error!("flow cookie could not be written"),
        }
    }

    pub fn forget(&self, provider: &str) {
        self.response
            .append_header(header::SET_COOKIE, self.app.cookies.clear(provider));
    }

    /// A form posted without JavaScript is answered with a redirect to the flow page, which then renders
    /// the new step from the cookie. (The `Referer` is not relied on: pages send `no-referrer`.)
    pub fn return_to(&self, path: &str) {
        let accepts_html = self
            .parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if accepts_html {
            leptos_axum::redirect(path);
        }
    }
}
