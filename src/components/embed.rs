//! Embedding in a host product: events for a parent frame or an opener window (`postMessage`, only to the
//! allowed origins, never a secret), and the host's redirect targets (`success_url`, `failure_url`).

use crate::{
    catalogue::{self, Provider},
    error::{ErrorCode, NextStep},
    model::FlowStep,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// The name of a step in the `step` event.
pub fn step_name(step: &FlowStep) -> &'static str {
    use crate::model::CheckpointKind as K;
    match step {
        FlowStep::Form(_) => "form",
        FlowStep::Connected(_) => "connected",
        FlowStep::Checkpoint(view) => match view.kind {
            K::Code { .. } => "code",
            K::CodeOrInApp { .. } => "code_or_in_app",
            K::PhoneRegister => "phone_register",
            K::Captcha { .. } => "captcha",
            K::InApp => "in_app",
            K::ChallengeSelection { .. } => "challenge_selection",
            K::ContractSelection { .. } => "contract_selection",
            K::Loading => "loading",
            K::Consent { .. } => "consent",
            K::PairingCode { .. } => "pairing_code",
            K::Unsupported { .. } => "unsupported",
        },
    }
}

/// The error code a host receives (`failure_url?error=…`, `exit` events), as in the error catalogue.
pub fn code_name(code: ErrorCode) -> String {
    serde_json::to_string(&code)
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned()
}

/// Whether the flow sits in a frame or a popup the events can reach.
pub fn is_embedded() -> bool {
    #[cfg(feature = "hydrate")]
    {
        target().is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[cfg(feature = "hydrate")]
fn target() -> Option<leptos::web_sys::Window> {
    use leptos::wasm_bindgen::JsCast;
    let me = window();
    if let Ok(Some(parent)) = me.parent() {
        if !js_sys::Object::is(&parent, &me) {
            return Some(parent);
        }
    }
    me.opener()
        .ok()
        .filter(|o| !o.is_null() && !o.is_undefined())
        .map(|o| o.unchecked_into())
}

/// Sends `event` with `fields` to the parent frame or the opener, once per allowed origin: the browser
/// delivers it only where the host's origin is one of them. Browser only; nothing happens elsewhere.
pub fn post(provider: &Provider, event: &str, fields: &[(&str, &str)], origins: &[String]) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        let Some(target) = target() else { return };
        let message = js_sys::Object::new();
        let set = |k: &str, v: &str| {
            let _ = js_sys::Reflect::set(&message, &JsValue::from_str(k), &JsValue::from_str(v));
        };
        set("source", "credentials-flow");
        set("event", event);
        set("provider", provider.id);
        for (k, v) in fields {
            set(k, v);
        }
        for origin in origins {
            let _ = target.post_message(&message, origin);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (provider, event, fields, origins);
}

/// Where the way out leads, when the page was opened with a valid `failure_url`: the server's exit, which
/// sends the browser on to the host's `failure_url` with `error` (signed when the server holds a key).
pub fn exit_href(
    provider: &Provider,
    failure_url: Option<&str>,
    state: Option<&str>,
    error: &str,
) -> Option<String> {
    failure_url.map(|url| {
        catalogue::with_query(
            &format!("/connect/{}/exit", provider.id),
            &[
                ("failure_url", Some(url)),
                ("state", state),
                ("error", Some(error)),
            ],
        )
    })
}

/// Whether an error ends the flow for the host: the user cannot fix it by trying again here.
pub fn ends_the_flow(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::AccountRestricted
            | ErrorCode::AlreadyLinked
            | ErrorCode::LinkInvalid
            | ErrorCode::LinkExpired
    ) || code.next_step() == NextStep::TryLater
}

/// "Cancel and return to …" (redirect mode) and "Close" (frame or popup): the ways a user leaves the flow,
/// each reported to the host.
#[component]
pub fn ExitLinks(
    provider: &'static Provider,
    /// The host's `failure_url` and `state`, checked.
    failure_url: Option<String>,
    state: Option<String>,
    /// The error that ended the flow, if one did.
    ended_by: Option<ErrorCode>,
    origins: Vec<String>,
) -> impl IntoView {
    let embedded = RwSignal::new(false);
    Effect::new(move || embedded.set(is_embedded()));
    let reason = ended_by
        .map(code_name)
        .unwrap_or_else(|| "cancelled".to_owned());
    let href = exit_href(provider, failure_url.as_deref(), state.as_deref(), &reason);
    let locale = crate::text::locale();
    let label = if ended_by.is_some() {
        td_string!(locale, embed.back_to_app)
    } else {
        td_string!(locale, embed.cancel)
    };
    let closed = ended_by
        .map(code_name)
        .unwrap_or_else(|| "closed".to_owned());
    let (origins_a, reason_a) = (origins.clone(), reason);
    let close = move |_| {
        post(provider, "exit", &[("reason", closed.as_str())], &origins);
        #[cfg(feature = "hydrate")]
        {
            let _ = window().close();
        }
    };
    view! {
        <div class="exit">
            {href.map(|href| view! {
                <a href=href rel="external" class="exit-link"
                    on:click=move |_| post(provider, "exit", &[("reason", reason_a.as_str())], &origins_a)>
                    {label}
                </a>
            })}
            {move || embedded.get().then(|| view! {
                <button type="button" class="button secondary" on:click=close.clone()>{td_string!(locale, embed.close)}</button>
            })}
        </div>
    }
}
