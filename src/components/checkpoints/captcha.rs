//! The CAPTCHA checkpoint: an Arkose Labs challenge drawn by Arkose's client API in the browser.
//!
//! The page loads `<arkose base>/v2/<public_key>/api.js` with a `data-callback` naming a function on `window`;
//! the script calls it with an enforcement object, which is configured with plain values (the checkpoint's
//! `data` blob is a string property, never script or markup text). Arkose's callbacks post JSON messages to
//! the page's own origin; only messages from the page or Arkose, for this public key, are acted upon. The
//! solved challenge's token is sent like a code. Nothing here runs on the server: without JavaScript the
//! screen says the step needs it.

use super::RestartButton;
use crate::{
    catalogue::Provider,
    components::{NoticeView, StepHeading},
    model::CheckpointView,
    text::fill,
};
use leptos::{html::Div, prelude::*};
use leptos_i18n::td_string;

/// What the screen shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CaptchaStatus {
    /// Server-rendered and before hydration: the challenge needs JavaScript.
    NeedsScript,
    Loading,
    Ready,
    /// The user did not pass the challenge; they may try again.
    Failed,
    /// The script did not load or reported an error: the sign-in must start again.
    Unavailable,
    /// The token is on its way to the server.
    Verifying,
}

/// The message protocol between Arkose's callbacks and the page, and the values given to the script: pure
/// functions, so they are unit-tested on the host.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod protocol {
    use serde_json::{json, Value};

    /// How long the script may take to report it is ready before the attempt counts as failed.
    pub const LOAD_TIMEOUT_MS: u64 = 10_000;
    /// Loads of the script tried before the challenge is reported as unavailable.
    pub const MAX_LOAD_ATTEMPTS: u8 = 3;
    /// Longest token accepted from a message (Arkose tokens are a few hundred characters).
    pub const MAX_TOKEN_LEN: usize = 4096;

    /// What Arkose's callbacks report, as posted to the page.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum ArkoseEvent {
        Loaded,
        Shown,
        Completed { token: String },
        Failed,
        Errored,
        Suppressed,
        Resized { height: u32 },
    }

    impl ArkoseEvent {
        fn id(&self) -> &'static str {
            match self {
                ArkoseEvent::Loaded => "challenge-loaded",
                ArkoseEvent::Shown => "challenge-shown",
                ArkoseEvent::Completed { .. } => "challenge-complete",
                ArkoseEvent::Failed => "challenge-failed",
                ArkoseEvent::Errored => "challenge-error",
                ArkoseEvent::Suppressed => "challenge-suppressed",
                ArkoseEvent::Resized { .. } => "challenge-iframeSize",
            }
        }
    }

    /// The JSON a callback posts for `event`.
    pub fn event_message(public_key: &str, event: &ArkoseEvent) -> String {
        let payload = match event {
            ArkoseEvent::Completed { token } => json!({ "sessionToken": token }),
            ArkoseEvent::Resized { height } => json!({ "frameHeight": height }),
            _ => json!({}),
        };
        json!({ "eventId": event.id(), "publicKey": public_key, "payload": payload }).to_string()
    }

    /// The event in a posted message, or `None` when the message is not for this challenge: another origin than
    /// `trusted_origins`, another public key, an unknown event, or a malformed payload.
    pub fn read_message(
        origin: &str,
        data: &str,
        trusted_origins: &[String],
        public_key: &str,
    ) -> Option<ArkoseEvent> {
        if !trusted_origins.iter().any(|trusted| trusted == origin) {
            return None;
        }
        let message: Value = serde_json::from_str(data).ok()?;
        if message.get("publicKey")?.as_str()? != public_key {
            return None;
        }
        let payload = message.get("payload");
        let event = match message.get("eventId")?.as_str()? {
            "challenge-loaded" => ArkoseEvent::Loaded,
            "challenge-shown" => ArkoseEvent::Shown,
            "challenge-complete" => {
                let token = payload?.get("sessionToken")?.as_str()?;
                if token.is_empty() || token.len() > MAX_TOKEN_LEN {
                    return None;
                }
                ArkoseEvent::Completed {
                    token: token.to_owned(),
                }
            }
            "challenge-failed" => ArkoseEvent::Failed,
            "challenge-error" => ArkoseEvent::Errored,
            "challenge-suppressed" => ArkoseEvent::Suppressed,
            "challenge-iframeSize" => {
                let height = payload?.get("frameHeight")?.as_u64()?;
                ArkoseEvent::Resized {
                    height: u32::try_from(height).ok()?.min(2_000),
                }
            }
            _ => return None,
        };
        Some(event)
    }

    /// `<base>/v2/<public_key>/api.js`, or `None` when the key is not a plain identifier (it goes into a URL path).
    pub fn script_url(base_url: &str, public_key: &str) -> Option<String> {
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if public_key.is_empty() || public_key.len() > 128 || !public_key.chars().all(plain) {
            return None;
        }
        Some(format!(
            "{}/v2/{public_key}/api.js",
            base_url.trim_end_matches('/')
        ))
    }

    /// The origin (`scheme://host[:port]`) of an absolute http(s) URL.
    pub fn origin_of(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let host = rest.split(['/', '?', '#']).next()?;
        if host.is_empty() || host.contains('@') {
            return None;
        }
        Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
    }

    /// A size Arkose reports as a number or as text such as `"450px"`.
    pub fn parse_size(text: &str) -> Option<u32> {
        let number = text.trim().trim_end_matches("px").trim();
        number
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n.round().min(2_000.0) as u32)
    }

    /// Name of the `window` function the script calls; unique per page and per load attempt.
    pub fn callback_name(nonce: u64, attempt: u8) -> String {
        format!("cfArkoseReady_{nonce:x}_{attempt}")
    }
}

/// The browser side of one challenge, kept so that leaving the screen can remove it; nothing on the server.
#[derive(Clone)]
struct ChallengeSlot {
    #[cfg(feature = "hydrate")]
    challenge:
        send_wrapper::SendWrapper<std::rc::Rc<std::cell::RefCell<Option<browser::Challenge>>>>,
}

impl ChallengeSlot {
    fn new() -> Self {
        ChallengeSlot {
            #[cfg(feature = "hydrate")]
            challenge: send_wrapper::SendWrapper::new(Default::default()),
        }
    }

    fn retry(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(challenge) = self.challenge.borrow().as_ref() {
            challenge.retry();
        }
    }

    /// Removes the script tag, the `window` callback, the message listener and the timer.
    fn clear(&self) {
        #[cfg(feature = "hydrate")]
        drop(self.challenge.borrow_mut().take());
    }
}

/// An Arkose Labs CAPTCHA; its token is sent as the checkpoint's code.
#[component]
pub fn CaptchaCheckpoint(
    provider: &'static Provider,
    public_key: String,
    data: String,
    checkpoint: CheckpointView,
) -> impl IntoView {
    let locale = crate::text::locale();
    let status = RwSignal::new(CaptchaStatus::NeedsScript);
    let container = NodeRef::<Div>::new();
    let slot = ChallengeSlot::new();
    on_cleanup({
        let slot = slot.clone();
        move || slot.clear()
    });

    #[cfg(feature = "hydrate")]
    {
        use crate::{api::SiteInfo, components::FlowActions, error::AppError, model::Secret};
        let actions = expect_context::<FlowActions>();
        let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
        let slot = slot.clone();
        let flow_id = checkpoint.flow_id.clone();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(element) = container.get() else {
                return false;
            };
            let base_url = site
                .get_untracked()
                .and_then(Result::ok)
                .map(|s| s.arkose_base_url);
            let flow_id = flow_id.clone();
            let on_token = move |token: String| {
                actions.solve.dispatch(crate::api::SolveCheckpoint {
                    provider: provider.id.to_owned(),
                    flow: flow_id.clone(),
                    code: Secret::from(token),
                });
            };
            let challenge = base_url.and_then(|base_url| {
                browser::Challenge::start(browser::Setup {
                    base_url,
                    public_key: public_key.clone(),
                    blob: data.clone(),
                    container: element.into(),
                    status,
                    on_token: Box::new(on_token),
                })
            });
            match challenge {
                Some(challenge) => *slot.challenge.borrow_mut() = Some(challenge),
                None => status.set(CaptchaStatus::Unavailable),
            }
            true
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (public_key, data);

    let retry = {
        let slot = slot.clone();
        move |_| slot.retry()
    };
    let body = move || {
        match status.get() {
        CaptchaStatus::NeedsScript => view! {
            <p class="captcha-message" data-captcha="needs-script">
                {td_string!(locale, captcha.needs_script)}
            </p>
        }
        .into_any(),
        CaptchaStatus::Loading => view! {
            <p class="hint" data-captcha="loading">{td_string!(locale, captcha.loading)}</p>
        }
        .into_any(),
        CaptchaStatus::Ready => ().into_any(),
        CaptchaStatus::Failed => view! {
            <div class="notice" role="alert" data-captcha="failed">
                <p class="notice-message">{td_string!(locale, captcha.failed)}</p>
            </div>
            <button type="button" class="button" on:click=retry.clone()>{td_string!(locale, app.try_again)}</button>
        }
        .into_any(),
        CaptchaStatus::Unavailable => view! {
            <div class="notice" role="alert" data-captcha="unavailable">
                <p class="notice-message">{td_string!(locale, captcha.unavailable)}</p>
                <p class="notice-remedy">{td_string!(locale, captcha.unavailable_remedy)}</p>
            </div>
        }
        .into_any(),
        CaptchaStatus::Verifying => view! {
            <p class="hint" data-captcha="verifying">{td_string!(locale, captcha.verifying)}</p>
        }
        .into_any(),
    }
    };
    let hidden = move || {
        matches!(
            status.get(),
            CaptchaStatus::NeedsScript | CaptchaStatus::Unavailable
        )
    };
    view! {
        <StepHeading>{td_string!(locale, steps.captcha)}</StepHeading>
        <p class="lead">{fill(td_string!(locale, captcha.lead), &[("provider", provider.label.get(locale))])}</p>
        <NoticeView provider notice=checkpoint.notice.clone()/>
        {body}
        <div class="captcha" data-captcha="challenge" node_ref=container hidden=hidden></div>
        <RestartButton provider/>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{
        protocol::{
            callback_name, event_message, origin_of, parse_size, read_message, script_url,
            ArkoseEvent, LOAD_TIMEOUT_MS, MAX_LOAD_ATTEMPTS,
        },
        CaptchaStatus,
    };
    use js_sys::{Function, Object, Reflect};
    use leptos::{
        leptos_dom::helpers::{
            set_timeout_with_handle, window_event_listener_untyped, TimeoutHandle,
            WindowListenerHandle,
        },
        prelude::*,
    };
    use std::{
        cell::RefCell,
        rc::{Rc, Weak},
        time::Duration,
    };
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use web_sys::{HtmlElement, HtmlScriptElement, MessageEvent};

    pub struct Setup {
        pub base_url: String,
        pub public_key: String,
        pub blob: String,
        pub container: HtmlElement,
        pub status: RwSignal<CaptchaStatus>,
        pub on_token: Box<dyn Fn(String)>,
    }

    /// A running challenge; dropping it removes everything it added to the page.
    pub struct Challenge {
        state: Rc<RefCell<State>>,
        listener: Option<WindowListenerHandle>,
    }

    struct State {
        setup: Setup,
        script_url: String,
        /// `#id` of the container, for Arkose's `selector`.
        selector: String,
        own_origin: String,
        nonce: u64,
        attempt: u8,
        loading: Option<Loading>,
        enforcement: Option<JsValue>,
        /// A token was sent, or the challenge gave up: later events are ignored.
        finished: bool,
    }

    /// One load of the script.
    struct Loading {
        script: HtmlScriptElement,
        callback: String,
        timeout: Option<TimeoutHandle>,
    }

    impl Loading {
        fn remove(self) {
            self.script.remove();
            let _ = Reflect::delete_property(&window(), &JsValue::from_str(&self.callback));
            if let Some(timeout) = self.timeout {
                timeout.clear();
            }
        }
    }

    impl Challenge {
        pub fn start(setup: Setup) -> Option<Challenge> {
            let script_url = script_url(&setup.base_url, &setup.public_key)?;
            let arkose_origin = origin_of(&script_url)?;
            let own_origin = window().location().origin().ok()?;
            let nonce = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
            let selector_id = format!("cf-arkose-{nonce:x}");
            setup.container.set_id(&selector_id);
            let state = Rc::new(RefCell::new(State {
                setup,
                script_url,
                selector: format!("#{selector_id}"),
                own_origin: own_origin.clone(),
                nonce,
                attempt: 0,
                loading: None,
                enforcement: None,
                finished: false,
            }));
            let trusted = vec![own_origin, arkose_origin];
            let public_key = state.borrow().setup.public_key.clone();
            let weak = Rc::downgrade(&state);
            let listener = window_event_listener_untyped("message", move |event| {
                let Some(event) = event.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Some(data) = event.data().as_string() else {
                    return;
                };
                if let (Some(event), Some(state)) = (
                    read_message(&event.origin(), &data, &trusted, &public_key),
                    weak.upgrade(),
                ) {
                    on_event(&state, event);
                }
            });
            load(&state);
            Some(Challenge {
                state,
                listener: Some(listener),
            })
        }

        /// After a failed challenge: a new puzzle in the same session.
        pub fn retry(&self) {
            let enforcement = self.state.borrow().enforcement.clone();
            let status = self.state.borrow().setup.status;
            if let Some(enforcement) = enforcement {
                status.try_set(CaptchaStatus::Ready);
                if call_method(&enforcement, "reset", None).is_err() {
                    give_up(&self.state);
                }
            }
        }
    }

    impl Drop for Challenge {
        fn drop(&mut self) {
            if let Some(listener) = self.listener.take() {
                listener.remove();
            }
            let mut state = self.state.borrow_mut();
            state.finished = true;
            state.enforcement = None;
            if let Some(loading) = state.loading.take() {
                loading.remove();
            }
        }
    }

    /// Adds the script tag and the `window` callback for a new attempt.
    fn load(state: &Rc<RefCell<State>>) {
        let (attempt, callback, url) = {
            let mut s = state.borrow_mut();
            s.attempt += 1;
            (
                s.attempt,
                callback_name(s.nonce, s.attempt),
                s.script_url.clone(),
            )
        };
        state.borrow().setup.status.try_set(CaptchaStatus::Loading);
        let weak = Rc::downgrade(state);
        // Owned by JavaScript from here: a late call after the screen is gone finds nothing to act on.
        let ready = Closure::<dyn Fn(JsValue)>::new(move |enforcement: JsValue| {
            if let Some(state) = weak.upgrade() {
                configure(&state, attempt, enforcement);
            }
        })
        .into_js_value();
        let added = (|| -> Result<Loading, JsValue> {
            Reflect::set(&window(), &JsValue::from_str(&callback), &ready)?;
            let script: HtmlScriptElement = document().create_element("script")?.unchecked_into();
            script.set_src(&url);
            script.set_async(true);
            script.set_attribute("data-callback", &callback)?;
            let weak = Rc::downgrade(state);
            let on_error = Closure::once_into_js(move || load_failed(&weak, attempt));
            script.set_onerror(Some(on_error.unchecked_ref()));
            document()
                .head()
                .ok_or_else(|| JsValue::from_str("no <head>"))?
                .append_child(&script)?;
            let weak = Rc::downgrade(state);
            let timeout = set_timeout_with_handle(
                move || load_failed(&weak, attempt),
                Duration::from_millis(LOAD_TIMEOUT_MS),
            )
            .ok();
            Ok(Loading {
                script,
                callback: callback.clone(),
                timeout,
            })
        })();
        match added {
            Ok(loading) => state.borrow_mut().loading = Some(loading),
            Err(_) => {
                let _ = Reflect::delete_property(&window(), &JsValue::from_str(&callback));
                give_up(state);
            }
        }
    }

    /// The script did not load, or did not report ready in time: try again, a few times.
    fn load_failed(weak: &Weak<RefCell<State>>, attempt: u8) {
        let Some(state) = weak.upgrade() else { return };
        {
            let mut s = state.borrow_mut();
            if s.finished || s.attempt != attempt {
                return;
            }
            s.enforcement = None;
            if let Some(loading) = s.loading.take() {
                loading.remove();
            }
        }
        if attempt < MAX_LOAD_ATTEMPTS {
            load(&state);
        } else {
            give_up(&state);
        }
    }

    fn give_up(state: &Rc<RefCell<State>>) {
        let mut s = state.borrow_mut();
        s.finished = true;
        s.enforcement = None;
        if let Some(loading) = s.loading.take() {
            loading.remove();
        }
        s.setup.status.try_set(CaptchaStatus::Unavailable);
    }

    /// The script called back with its enforcement object: configure it with values only.
    fn configure(state: &Rc<RefCell<State>>, attempt: u8, enforcement: JsValue) {
        let config = {
            let mut s = state.borrow_mut();
            if s.finished || s.attempt != attempt || !enforcement.is_object() {
                return;
            }
            s.enforcement = Some(enforcement.clone());
            let built = config(&s);
            match built {
                Ok(config) => JsValue::from(config),
                Err(_) => {
                    drop(s);
                    return give_up(state);
                }
            }
        };
        // Not borrowed here: the script may call back synchronously.
        if call_method(&enforcement, "setConfig", Some(&config)).is_err() {
            load_failed(&Rc::downgrade(state), attempt);
        }
    }

    fn config(s: &State) -> Result<Object, JsValue> {
        let config = Object::new();
        let data = Object::new();
        Reflect::set(&data, &"blob".into(), &JsValue::from_str(&s.setup.blob))?;
        Reflect::set(&config, &"selector".into(), &JsValue::from_str(&s.selector))?;
        Reflect::set(&config, &"mode".into(), &"inline".into())?;
        Reflect::set(&config, &"data".into(), &data)?;
        let key = s.setup.public_key.clone();
        let origin = s.own_origin.clone();
        /// What an Arkose callback's argument says, if anything the page acts on.
        type Reading = fn(&JsValue) -> Option<ArkoseEvent>;
        let callbacks: [(&str, Reading); 7] = [
            ("onReady", |_| Some(ArkoseEvent::Loaded)),
            ("onShown", |_| Some(ArkoseEvent::Shown)),
            ("onCompleted", |e| {
                string_field(e, "token").map(|token| ArkoseEvent::Completed { token })
            }),
            ("onFailed", |_| Some(ArkoseEvent::Failed)),
            ("onError", |_| Some(ArkoseEvent::Errored)),
            ("onSuppress", |_| Some(ArkoseEvent::Suppressed)),
            ("onResize", |e| {
                size_field(e, "height").map(|height| ArkoseEvent::Resized { height })
            }),
        ];
        for (name, read) in callbacks {
            let (key, origin) = (key.clone(), origin.clone());
            let callback = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| {
                if let Some(event) = read(&event) {
                    let _ = window()
                        .post_message(&JsValue::from_str(&event_message(&key, &event)), &origin);
                }
            })
            .into_js_value();
            Reflect::set(&config, &name.into(), &callback)?;
        }
        Ok(config)
    }

    fn string_field(event: &JsValue, name: &str) -> Option<String> {
        Reflect::get(event, &name.into()).ok()?.as_string()
    }

    fn size_field(event: &JsValue, name: &str) -> Option<u32> {
        let value = Reflect::get(event, &name.into()).ok()?;
        match value.as_f64() {
            Some(number) => parse_size(&number.to_string()),
            None => parse_size(&value.as_string()?),
        }
    }

    fn call_method(
        target: &JsValue,
        name: &str,
        argument: Option<&JsValue>,
    ) -> Result<JsValue, JsValue> {
        let method: Function = Reflect::get(target, &name.into())?.dyn_into()?;
        match argument {
            Some(argument) => method.call1(target, argument),
            None => method.call0(target),
        }
    }

    fn on_event(state: &Rc<RefCell<State>>, event: ArkoseEvent) {
        let mut s = state.borrow_mut();
        if s.finished {
            return;
        }
        let status = s.setup.status;
        match event {
            ArkoseEvent::Loaded | ArkoseEvent::Shown => {
                if let Some(timeout) = s.loading.as_mut().and_then(|l| l.timeout.take()) {
                    timeout.clear();
                }
                if status.try_get_untracked() == Some(CaptchaStatus::Loading) {
                    status.try_set(CaptchaStatus::Ready);
                }
            }
            ArkoseEvent::Completed { token } => {
                s.finished = true;
                status.try_set(CaptchaStatus::Verifying);
                let on_token = std::mem::replace(&mut s.setup.on_token, Box::new(|_| {}));
                drop(s);
                on_token(token);
            }
            ArkoseEvent::Failed => {
                status.try_set(CaptchaStatus::Failed);
            }
            ArkoseEvent::Errored => {
                drop(s);
                give_up(state);
            }
            ArkoseEvent::Suppressed => {}
            ArkoseEvent::Resized { height } => {
                let _ = s
                    .setup
                    .container
                    .style()
                    .set_property("height", &format!("{height}px"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::protocol::*;

    const KEY: &str = "sandbox-public-key";

    fn trusted() -> Vec<String> {
        vec![
            "http://127.0.0.1:3950".to_owned(),
            "https://client-api.arkoselabs.com".to_owned(),
        ]
    }

    #[test]
    fn posted_events_read_back() {
        for event in [
            ArkoseEvent::Loaded,
            ArkoseEvent::Shown,
            ArkoseEvent::Completed {
                token: "tok\"en'</script>|r=eu".to_owned(),
            },
            ArkoseEvent::Failed,
            ArkoseEvent::Errored,
            ArkoseEvent::Suppressed,
            ArkoseEvent::Resized { height: 450 },
        ] {
            let message = event_message(KEY, &event);
            assert_eq!(
                read_message("http://127.0.0.1:3950", &message, &trusted(), KEY),
                Some(event.clone()),
                "{message}"
            );
            assert_eq!(
                read_message(
                    "https://client-api.arkoselabs.com",
                    &message,
                    &trusted(),
                    KEY
                ),
                Some(event)
            );
        }
    }

    #[test]
    fn messages_from_elsewhere_or_for_another_key_are_ignored() {
        let complete = event_message(
            KEY,
            &ArkoseEvent::Completed {
                token: "t".to_owned(),
            },
        );
        for origin in [
            "http://127.0.0.2:3950",
            "http://127.0.0.1:3951",
            "null",
            "",
            "https://evil.example",
        ] {
            assert_eq!(
                read_message(origin, &complete, &trusted(), KEY),
                None,
                "{origin}"
            );
        }
        let other_key = event_message(
            "other-key",
            &ArkoseEvent::Completed {
                token: "t".to_owned(),
            },
        );
        assert_eq!(
            read_message("http://127.0.0.1:3950", &other_key, &trusted(), KEY),
            None
        );
        for data in [
            "not json",
            "\"challenge-complete\"",
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key"}"#,
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key","payload":{"sessionToken":""}}"#,
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key","payload":{"sessionToken":7}}"#,
            r#"{"eventId":"challenge-solved","publicKey":"sandbox-public-key","payload":{}}"#,
            r#"{"eventId":"challenge-loaded","payload":{}}"#,
        ] {
            assert_eq!(
                read_message("http://127.0.0.1:3950", data, &trusted(), KEY),
                None,
                "{data}"
            );
        }
        let long = event_message(
            KEY,
            &ArkoseEvent::Completed {
                token: "x".repeat(MAX_TOKEN_LEN + 1),
            },
        );
        assert_eq!(
            read_message("http://127.0.0.1:3950", &long, &trusted(), KEY),
            None
        );
    }

    #[test]
    fn the_script_url_takes_only_plain_keys() {
        assert_eq!(
            script_url("https://client-api.arkoselabs.com/", "ABC-123_x").as_deref(),
            Some("https://client-api.arkoselabs.com/v2/ABC-123_x/api.js")
        );
        assert_eq!(
            script_url("http://127.0.0.1:4000/arkose", KEY).as_deref(),
            Some("http://127.0.0.1:4000/arkose/v2/sandbox-public-key/api.js")
        );
        for key in ["", "../x", "a/b", "k?x=1", "k\"><script>", "clé"] {
            assert_eq!(
                script_url("https://client-api.arkoselabs.com", key),
                None,
                "{key}"
            );
        }
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("http://127.0.0.1:4000/arkose/v2/k/api.js").as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            origin_of("https://Client-API.arkoselabs.com").as_deref(),
            Some("https://client-api.arkoselabs.com")
        );
        for url in [
            "//client-api.arkoselabs.com/x",
            "javascript:alert(1)",
            "ftp://x/y",
            "https://user@host/",
        ] {
            assert_eq!(origin_of(url), None, "{url}");
        }
    }

    #[test]
    fn sizes_as_numbers_or_pixels() {
        assert_eq!(parse_size("450"), Some(450));
        assert_eq!(parse_size("140px"), Some(140));
        assert_eq!(parse_size(" 99.6px "), Some(100));
        assert_eq!(parse_size("99999"), Some(2_000));
        for bad in ["", "auto", "-3", "NaN", "100%"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn callback_names_differ_per_attempt() {
        assert_ne!(callback_name(0xabc, 1), callback_name(0xabc, 2));
        assert!(callback_name(0xabc, 1)
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
