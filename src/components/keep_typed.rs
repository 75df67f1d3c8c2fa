//! Links that load the page afresh (another language, another sign-in method) and what was typed: with
//! JavaScript, following such a link from a provider form posts the form's non-secret values to
//! `keep_typed` as a page load of its own, and the server answers with the link's page, drawn with them.
//! One navigation, so nothing races it. Without JavaScript the link is followed as it is, and unsent
//! typing is lost.

use leptos::ev::MouseEvent;

/// The `id` of the provider form whose values are kept.
pub const SIGN_IN_FORM: &str = "sign-in";

/// The click handler of such a link.
pub fn follow_keeping_typed(ev: MouseEvent) {
    #[cfg(feature = "hydrate")]
    browser::follow(ev);
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::SIGN_IN_FORM;
    use leptos::{
        ev::MouseEvent,
        prelude::*,
        wasm_bindgen::JsCast,
        web_sys::{FormData, HtmlAnchorElement, HtmlFormElement, HtmlInputElement},
    };

    pub fn follow(ev: MouseEvent) {
        // A click meant for a new tab or window leaves this page, and its form, as they are.
        if ev.default_prevented()
            || ev.button() != 0
            || ev.ctrl_key()
            || ev.meta_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(link) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<HtmlAnchorElement>().ok())
        else {
            return;
        };
        let Some(form) = document()
            .get_element_by_id(SIGN_IN_FORM)
            .and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        // While the form is being sent its button is disabled: the sign-in's answer decides the next page,
        // so the link is followed as it is rather than racing that answer with the typed values.
        let sending = form
            .query_selector("button[type=submit]:disabled")
            .ok()
            .flatten()
            .is_some();
        if sending {
            return;
        }
        let Ok(data) = FormData::new_with_form(&form) else {
            return;
        };
        let Some(provider) = data
            .get("provider")
            .as_string()
            .and_then(|id| crate::catalogue::find(&id))
        else {
            return;
        };
        // Secrets do not leave the page for this; the server would not keep them anyway.
        for method in provider.methods {
            for field in provider.fields(method).filter(|f| f.secret()) {
                data.delete(field.name);
            }
        }
        let Some(carrier) = carrier(&data, &format!("{}{}", link.pathname(), link.search())) else {
            return;
        };
        ev.prevent_default();
        carrier.submit().ok();
    }

    /// A form of its own holding `data` and the page to go to: submitted, the browser posts it as a page
    /// load, and shows the page the server answers with.
    fn carrier(data: &FormData, to: &str) -> Option<HtmlFormElement> {
        let carrier: HtmlFormElement = element("form")?;
        carrier.set_method("post");
        carrier.set_action(<crate::api::KeepTyped as leptos::server_fn::ServerFn>::PATH);
        carrier.set_hidden(true);
        let add = |name: &str, value: &str| -> Option<()> {
            let input: HtmlInputElement = element("input")?;
            input.set_type("hidden");
            input.set_name(name);
            input.set_value(value);
            carrier.append_child(&input).ok()?;
            Some(())
        };
        for entry in js_sys::try_iter(data).ok()??.flatten() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                add(&name, &value)?;
            }
        }
        add("to", to)?;
        document().body()?.append_child(&carrier).ok()?;
        Some(carrier)
    }

    /// A new element `tag` of this page, as its type.
    fn element<T: JsCast>(tag: &str) -> Option<T> {
        document().create_element(tag).ok()?.dyn_into::<T>().ok()
    }
}
