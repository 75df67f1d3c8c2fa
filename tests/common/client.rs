//! Server-function answers read as the page reads them: decoded into the app's own types, so a test that
//! names a field or a variant the app does not have fails to compile instead of comparing `Null`.

use credentials_flow::{
    error::{AppError, ErrorCode},
    model::{AccountSummary, CheckpointKind, CheckpointView, FlowStep, FormState},
};
use serde::de::DeserializeOwned;

use super::TestApp;

impl TestApp {
    /// Calls a server function as the hydrated page does: a form post asking for JSON.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        self.post(client, endpoint, form, "application/json").await
    }

    /// A form posted as a browser without JavaScript posts it (asking for HTML): answered with a redirect.
    pub async fn post_plain(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        self.post(client, endpoint, form, "text/html").await
    }

    async fn post(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
        accept: &str,
    ) -> Answer {
        let response = client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", accept)
            .form(form)
            .send()
            .await
            .expect("request");
        Answer::from(response).await
    }

    /// The page at `path` as a browser asks for it.
    pub async fn open_page(&self, client: &reqwest::Client, path: &str) -> Answer {
        let response = client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request");
        Answer::from(response).await
    }

    /// The LinkedIn step this browser is at, as the page's script reads it.
    pub async fn load(&self, client: &reqwest::Client) -> Answer {
        self.call(
            client,
            "load_flow_step",
            &[("provider", "linkedin"), ("wait", "false")],
        )
        .await
    }

    /// The current attempt's flow id, as the page holds it in its forms; empty without a checkpoint.
    pub async fn flow_id(&self, client: &reqwest::Client) -> String {
        match self.load(client).await.step() {
            FlowStep::Checkpoint(view) => view.flow_id,
            FlowStep::Form(_) | FlowStep::Connected(_) => String::new(),
        }
    }

    /// Sends `code` for the LinkedIn checkpoint of the attempt `flow`.
    pub async fn solve_code(&self, client: &reqwest::Client, flow: &str, code: &str) -> Answer {
        self.call(
            client,
            "solve_checkpoint",
            &[("provider", "linkedin"), ("flow", flow), ("code", code)],
        )
        .await
    }

    /// Signs in on LinkedIn as `username` with the sandbox's good password and the fields `extra`.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut form = vec![
            ("provider", "linkedin"),
            ("username", username),
            ("password", "pass_good"),
        ];
        form.extend_from_slice(extra);
        self.call(client, "start_auth_intent", &form).await
    }
}

/// What a server function (or any request) answered: its status, its headers and its body exactly as
/// sent. The body stays available for the checks that are about the bytes the browser receives.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Answer {
            status,
            headers,
            body: response.text().await.expect("body"),
        }
    }

    /// The value of header `name`, or "" without one.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The Set-Cookie values.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect()
    }

    /// Everything the client was shown, status line, headers and body, for checks that nothing in it
    /// gives a secret away.
    pub fn text(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("?")))
            .collect();
        format!("{}\n{}\n{}", self.status, headers.join("\n"), self.body)
    }

    /// The value of LinkedIn's flow cookie this answer set, if any, whether `__Host-` named or not.
    pub fn flow_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| {
                v.strip_prefix("__Host-")
                    .unwrap_or(v)
                    .strip_prefix("cf_flow_linkedin=")
            })
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .find(|v| !v.is_empty())
    }

    /// The value of a successful answer; any other status fails the test.
    pub fn ok<T: DeserializeOwned>(&self) -> T {
        assert_eq!(self.status, 200, "{}", self.body);
        decode(&self.body)
    }

    /// The flow step of a successful answer; any other status fails the test.
    pub fn step(&self) -> FlowStep {
        self.ok()
    }

    /// The flow step of an answer sent with `status`: a refused start link (403) still carries the form
    /// to draw. Any other status fails the test.
    pub fn step_with(&self, status: u16) -> FlowStep {
        assert_eq!(self.status, status, "{}", self.body);
        decode(&self.body)
    }

    /// The failure of an answer that is not a success; a success fails the test.
    pub fn failure(&self) -> AppError {
        assert!(
            !(200..300).contains(&self.status),
            "{}: {}",
            self.status,
            self.body
        );
        decode(&self.body)
    }
}

/// `body` decoded as `T`, as the page decodes it; a body that does not decode fails the test.
pub fn decode<T: DeserializeOwned>(body: &str) -> T {
    serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("not a {}: {e}: {body}", std::any::type_name::<T>()))
}

/// One part of a step, for a test that knows which step it expects: asking for another part than the
/// step has fails the test and shows the step.
pub trait StepParts {
    fn form(&self) -> &FormState;
    fn checkpoint(&self) -> &CheckpointView;
    fn connected(&self) -> &AccountSummary;

    /// Where the linked step sends the browser back to the application; none fails the test.
    fn continue_url(&self) -> &str {
        let account = self.connected();
        account
            .continue_url
            .as_deref()
            .unwrap_or_else(|| panic!("no way back: {account:?}"))
    }

    fn kind(&self) -> &CheckpointKind {
        &self.checkpoint().kind
    }

    /// The code of the notice on the form (the step must be the form).
    fn form_notice(&self) -> Option<ErrorCode> {
        self.form().notice.as_ref().map(|n| n.code)
    }

    /// The code of the notice on the checkpoint (the step must be a checkpoint).
    fn checkpoint_notice(&self) -> Option<ErrorCode> {
        self.checkpoint().notice.as_ref().map(|n| n.code)
    }

    /// The page `path` at the address that names this step, where a reload draws it again (a plain form
    /// post is sent back there; any other address starts afresh).
    fn page_of(&self, path: &str) -> String;

    /// The linked account's name (the step must be the success).
    fn linked_name(&self) -> Option<&str> {
        self.connected().name.as_deref()
    }
}

impl StepParts for FlowStep {
    fn page_of(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}flow={}", self.flow_id())
    }

    fn form(&self) -> &FormState {
        match self {
            FlowStep::Form(form) => form,
            other => panic!("expected the form, got {other:?}"),
        }
    }

    fn checkpoint(&self) -> &CheckpointView {
        match self {
            FlowStep::Checkpoint(view) => view,
            other => panic!("expected a checkpoint, got {other:?}"),
        }
    }

    fn connected(&self) -> &AccountSummary {
        match self {
            FlowStep::Connected(account) => account,
            other => panic!("expected the linked account, got {other:?}"),
        }
    }
}
