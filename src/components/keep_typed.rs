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
        let href = link.href();
        leptos::task::spawn_local(async move {
            // The page is loaded either way: should the server not answer, only the typing is lost.
            let _ = keep_typed(provider, form).await;
            let _ = window().location().assign(&href);
        });
    }
}
