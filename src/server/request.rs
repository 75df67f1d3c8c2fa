//! What a server function needs from the request it serves: the state, the flow cookie, and a way to
//! answer plain (no-JavaScript) form posts with a redirect back to the flow page.

use super::{
    flow,
    limits::{retry_after_secs, Refused},
    session::FlowState,
    state::AppState,
};
use crate::{
    catalogue::CheckedForm,
    error::{AppError, ErrorCode, Notice},
};
use axum::{
    extract::ConnectInfo,
    http::{header, request::Parts, Extensions, HeaderMap, HeaderValue, StatusCode},
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use std::net::{IpAddr, SocketAddr};

pub struct RequestCx {
    pub app: AppState,
    /// Boxed: a call's future holds its `RequestCx` more than once (argument and local), and a waiting
    /// browser's future lives for the whole wait.
    parts: Box<Parts>,
    response: ResponseOptions,
    /// Where a plain form post is sent back to ([`Self::return_to`]), and the finished step [`Self::save`]
    /// kept there, which the address names (see [`Self::page_flow`]).
    way_back: std::sync::Mutex<WayBack>,
}

impl RequestCx {
    pub fn get() -> Result<RequestCx, AppError> {
        let missing = || AppError::Unavailable {
            support_ref: super::errors::local_reference(),
        };
        Ok(RequestCx {
            app: use_context::<AppState>().ok_or_else(missing)?,
            parts: Box::new(use_context::<Parts>().ok_or_else(missing)?),
            response: use_context::<ResponseOptions>().ok_or_else(missing)?,
            way_back: std::sync::Mutex::new(WayBack::default()),
        })
    }

    /// Before a long wait: drops every header but the cookies (still needed to read the state again and
    /// write the next) and the request's extensions, so that thousands of waiting requests do not each
    /// keep all of them.
    pub fn keep_only_cookies(&mut self) {
        let cookies = self.parts.headers.get_all(header::COOKIE);
        let mut kept = HeaderMap::with_capacity(cookies.iter().count());
        for value in cookies {
            kept.append(header::COOKIE, value.clone());
        }
        self.parts.headers = kept;
        self.parts.extensions = Extensions::new();
    }

    pub fn flow(&self, provider: &str) -> Option<FlowState> {
        let logged = self.parts.extensions.get::<super::session::RefusalLogged>();
        self.app
            .cookies
            .read_once(&self.parts.headers, provider, logged)
    }

    /// True while rendering a page (a GET of `/connect/…`), false for a server-function call.
    pub fn is_page_render(&self) -> bool {
        self.parts.method == axum::http::Method::GET && !self.parts.uri.path().starts_with("/api/")
    }

    /// The flow in this browser that a page at this address draws. A sign-in in progress (a checkpoint) is
    /// drawn wherever its page is opened; a finished one (linked, or back at its form) only at the address
    /// that names it (`flow=…`, where a plain form post is sent back to, see [`Self::save`]), so a reload
    /// shows it again while any other visit, such as a host opening the page for another account, starts
    /// afresh. Drawing a page never writes the cookie.
    pub fn page_flow(&self, provider: &str) -> Option<FlowState> {
        let flow = self.flow(provider)?;
        let open = matches!(flow.step, crate::model::FlowStep::Checkpoint(_));
        let named = || {
            url::form_urlencoded::parse(self.query().unwrap_or_default().as_bytes())
                .any(|(k, v)| k == FLOW_PARAM && v == flow.flow_id)
        };
        (open || named()).then_some(flow)
    }

    /// The request's query string (a page's), as sent.
    pub fn query(&self) -> Option<&str> {
        self.parts.uri.query()
    }

    /// The start-link pass of `provider` this browser holds (see `super::links`).
    pub fn link_pass<T: serde::de::DeserializeOwned>(&self, provider: &str) -> Option<T> {
        self.app
            .cookies
            .read_link_pass(&self.parts.headers, provider)
    }

    /// Gives this browser the start-link pass of `provider`, for `max_age`.
    pub fn keep_link_pass<T: serde::Serialize>(
        &self,
        provider: &str,
        pass: &T,
        max_age: std::time::Duration,
    ) {
        if let Some(value) = self.app.cookies.write_link_pass(provider, pass, max_age) {
            self.response.append_header(header::SET_COOKIE, value);
        }
    }

    /// Sets the answer's status, unless it is a plain form post being sent back to its page (a redirect,
    /// which a browser follows only with a 3xx status).
    pub fn refusal_status(&self, status: StatusCode) {
        if !is_plain_post(&self.parts.headers) {
            self.response.set_status(status);
        }
    }

    pub fn save(&self, flow: &FlowState) {
        // A plain form post comes back to the address that names what it ended on (see `page_flow`).
        let finished = !matches!(flow.step, crate::model::FlowStep::Checkpoint(_));
        self.send_back(|way| way.named = finished.then(|| flow.flow_id.clone()));
        // A linked account ends what the start link allowed: the same link cannot start another sign-in.
        if self.app.links.is_some() && matches!(flow.step, crate::model::FlowStep::Connected(_)) {
            if let Some(value) = self.app.cookies.clear_link_pass(&flow.provider) {
                self.response.append_header(header::SET_COOKIE, value);
            }
        }
        match self.app.cookies.write(flow, &self.parts.headers) {
            Some(values) => {
                for value in values {
                    self.response.append_header(header::SET_COOKIE, value);
                }
            }
            None => tracing::error!(
                provider = %flow.provider,
                "flow cookie could not be written: the state is longer than the cookies can hold"
            ),
        }
    }

    /// The client's address: the socket's peer, or with `limits.trust_forwarded_for` the last
    /// `X-Forwarded-For` entry (the one the nearest proxy added; earlier ones are the client's to choose).
    /// A missing or unreadable entry falls back to the socket's peer, so a limit is never skipped.
    pub fn client_ip(&self) -> IpAddr {
        let forwarded = self
            .app
            .settings
            .limits
            .trust_forwarded_for
            .then(|| {
                self.parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .rfind(|v| !v.is_empty())
                    .and_then(|v| v.parse().ok())
            })
            .flatten();
        forwarded
            .or_else(|| {
                self.parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip())
            })
            // Served without connection info (never the case in `serve`): all such calls share a budget.
            .unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    /// Sets the answer's status (the step is still drawn: a 503 page says what to do).
    pub fn set_status(&self, status: StatusCode) {
        self.response.set_status(status);
    }

    /// Counts a sign-in against the limits, per client address then per username. Over a limit, the form
    /// is shown again with the "too many attempts" notice (through the flow cookie, for plain form posts)
    /// and the call fails with [`AppError::RateLimited`] (429 with `Retry-After`). Without the store the
    /// form comes back with "nothing was sent" and the call fails with 503: no limit is skipped.
    pub async fn limit_start(&self, form: &CheckedForm) -> Result<(), AppError> {
        let provider = form.provider;
        let counted = self
            .app
            .limits
            .start(
                self.app.store.as_ref(),
                self.app.clock.now_ms(),
                self.client_ip(),
                provider.id,
                form.login_name(),
            )
            .await;
        let Refused { limit, retry_after } = match counted {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(refused)) => refused,
            Err(e) => {
                self.save(&flow::back_to_form(
                    provider,
                    form.kept.clone(),
                    Some(store_unavailable(&self.app, &e)),
                ));
                return Err(AppError::StoreUnavailable);
            }
        };
        let retry_after_secs = retry_after_secs(retry_after);
        self.app
            .metrics
            .refused(provider.id, ErrorCode::RateLimited);
        tracing::warn!(
            provider = provider.id,
            ?limit,
            retry_after_secs,
            "sign-in rate limit reached"
        );
        self.save(&flow::back_to_form(
            provider,
            form.kept.clone(),
            Some(Notice::new(ErrorCode::RateLimited)),
        ));
        self.response
            .insert_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        Err(AppError::RateLimited { retry_after_secs })
    }

    /// The browser's `User-Agent`, when it is printable and of a sane length.
    pub fn user_agent(&self) -> Option<String> {
        self.parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= crate::catalogue::MAX_FIELD_LEN)
            .map(str::to_owned)
    }

    /// A form posted without JavaScript is answered with a redirect to the flow page, which then renders
    /// the new step from the cookie. (The `Referer` is not relied on: pages send `no-referrer`.)
    pub fn return_to(&self, path: &str) {
        self.send_back(|way| way.path = Some(path.to_owned()));
    }

    /// Changes the way back by `change`, then sends a plain form post there.
    fn send_back(&self, change: impl FnOnce(&mut WayBack)) {
        let Ok(mut way) = self.way_back.lock() else {
            return;
        };
        change(&mut way);
        let Some(path) = &way.path else {
            return;
        };
        let location = match &way.named {
            Some(flow) => crate::catalogue::with_query(path, &[(FLOW_PARAM, Some(flow))]),
            None => path.clone(),
        };
        if let (true, Ok(location)) = (
            is_plain_post(&self.parts.headers),
            HeaderValue::from_str(&location),
        ) {
            self.response.insert_header(header::LOCATION, location);
            self.response.set_status(StatusCode::FOUND);
        }
    }
}

/// Where a plain form post is sent back to, and the finished step it names there.
#[derive(Default)]
struct WayBack {
    path: Option<String>,
    named: Option<String>,
}

pub use crate::model::FLOW_PARAM;

/// The notice for a flow store that does not answer, logged once here.
pub fn store_unavailable(app: &AppState, e: &super::store::StoreError) -> Notice {
    tracing::error!(store = app.store.name(), cause = %e, "flow store unavailable: nothing sent to Unipile");
    Notice::new(ErrorCode::StoreUnavailable)
}

/// A form posted by the browser itself (it accepts HTML), not by the page's script (which asks for JSON).
pub fn is_plain_post(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}
