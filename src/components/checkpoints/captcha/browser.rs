//! The browser glue of the CAPTCHA checkpoint: loading Arkose's script, its callbacks and the page's
//! message listener, kept so that leaving the screen removes them.

use super::{
    protocol::{
        callback_name, event_message, parse_size, read_message, script_url, ArkoseEvent,
        LOAD_TIMEOUT_MS, MAX_LOAD_ATTEMPTS,
    },
    CaptchaStatus,
};
use crate::origin::origin_of;
use js_sys::{Function, Object, Reflect};
use leptos::{
    leptos_dom::helpers::{
        set_timeout_with_handle, window_event_listener_untyped, TimeoutHandle, WindowListenerHandle,
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
