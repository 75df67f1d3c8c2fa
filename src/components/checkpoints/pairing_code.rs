use crate::{catalogue::Provider, model::Secret, text::fill};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// A pairing code to type in the provider's app: large, in a monospace face, grouped as the provider gave
/// it, and with JavaScript a button that copies it. It is valid as long as the attempt is.
#[component]
pub fn PairingCodeShown(provider: &'static Provider, code: Secret) -> impl IntoView {
    let locale = crate::text::locale();
    let copied = RwSignal::new(None::<bool>);
    let text = code.expose().to_owned();
    let done = fill(
        td_string!(locale, checkpoint.code_copied),
        &[("provider", provider.label.get(locale))],
    );
    let failed = td_string!(locale, checkpoint.copy_failed);
    view! {
        <div class="pairing" role="group" aria-labelledby="pairing-code-label">
            <p class="pairing-label" id="pairing-code-label">{td_string!(locale, checkpoint.pairing_code)}</p>
            <p class="pairing-code" data-testid="pairing-code"><code>{code.expose().to_owned()}</code></p>
            // Copying needs JavaScript: the stylesheet shows the button once the page is live.
            <button type="button" class="button secondary copy" data-testid="copy-pairing-code"
                on:click=move |_| copy_to_clipboard(&text, copied)>
                {td_string!(locale, checkpoint.copy_code)}
            </button>
            <p class="confirmation" role="status">
                {move || match copied.get() {
                    Some(true) => done.clone(),
                    Some(false) => failed.to_owned(),
                    None => String::new(),
                }}
            </p>
            <p class="hint">{td_string!(locale, checkpoint.pairing_valid)}</p>
        </div>
    }
}

/// Puts `text` on the clipboard and sets `copied` to whether that worked (browser only).
fn copy_to_clipboard(text: &str, copied: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Function, Promise, Reflect};
        use leptos::wasm_bindgen::{closure::Closure, JsCast, JsValue};
        copied.set(None);
        // `navigator.clipboard` exists only on a secure page; without it the user copies by hand.
        let written = (|| -> Result<Promise, JsValue> {
            let clipboard = Reflect::get(&window().navigator(), &"clipboard".into())?;
            let write: Function = Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
            write.call1(&clipboard, &text.into())?.dyn_into()
        })();
        let Ok(written) = written else {
            copied.set(Some(false));
            return;
        };
        // One callback for both outcomes, so the one call it gets frees it: `writeText` fulfils with
        // `undefined` and rejects with an error.
        let settle = Closure::once_into_js(move |outcome: JsValue| {
            copied.set(Some(outcome.is_undefined()));
        });
        let then = Reflect::get(&written, &"then".into()).and_then(|t| t.dyn_into::<Function>());
        if then
            .and_then(|then| then.call2(&written, &settle, &settle))
            .is_err()
        {
            copied.set(Some(false));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, copied);
}
