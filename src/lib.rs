//! Credentials Flow: link a LinkedIn, Instagram, Messenger, X or IMAP account through Unipile's
//! credentials flow. The same crate renders on the server (`ssr`) and hydrates in the browser (`hydrate`).

pub mod api;
pub mod app;
pub mod catalogue;
pub mod components;
pub mod error;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
