//! Credentials Flow: link a LinkedIn, Instagram, Messenger, X or IMAP account through Unipile's
//! credentials flow. The same crate renders on the server (`ssr`) and hydrates in the browser (`hydrate`).

// Generates `i18n` (the `Locale` enum, the keys, the context provider) from `locales/*.json` and the
// `[package.metadata.leptos-i18n]` table. The crate's newer build-script generator pulls the ICU data
// exporter into every build; this macro produces the same module without it.
#[allow(deprecated)]
mod generated {
    leptos_i18n::load_locales!();
}
pub use generated::i18n;

pub mod api;
pub mod app;
pub mod catalogue;
pub mod components;
pub mod error;
pub mod model;
pub mod origin;
#[cfg(feature = "ssr")]
pub mod server;
pub mod text;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
