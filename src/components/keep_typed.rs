//! Links that load the page afresh (another language, another sign-in method) and what was typed: with
//! JavaScript, the provider form's non-secret values are handed to the server first (`keep_typed`), so the
//! next page is drawn with them. Without JavaScript the link is followed as it is, and unsent typing is lost.

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
    use crate::api::{keep_typed, StartAuthIntent};
    use leptos::{
        ev::MouseEvent,
        form::FromFormData,
        prelude::*,
        wasm_bindgen::JsCast,
        web_sys::{FormData, HtmlAnchorElement, HtmlFormElement},
    };

    /// How long a click waits for the server to take the values before it loads the page anyway.
    const HAND_OVER_LIMIT: std::time::Duration = std::time::Duration::from_millis(1500);

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
        let Ok(StartAuthIntent { provider, form }) = StartAuthIntent::from_form_data(&data) else {
            return;
        };
        ev.prevent_default();
        // The page is loaded either way, once: when the server has the values, or after `HAND_OVER_LIMIT`
        // on a network that does not answer (then only the typing is lost).
        let href = link.href();
        let gone = std::rc::Rc::new(std::cell::Cell::new(false));
        let go = move || {
            if !gone.replace(true) {
                let _ = window().location().assign(&href);
            }
        };
        set_timeout(go.clone(), HAND_OVER_LIMIT);
        leptos::task::spawn_local(async move {
            let _ = keep_typed(provider, form).await;
            go();
        });
    }
}
