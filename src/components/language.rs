use crate::{
    components::follow_keeping_typed,
    text::{self, LANGUAGES},
};
use leptos::prelude::*;
use leptos_i18n::{td_string, Locale as _};
use leptos_router::hooks::{use_location, use_query_map};

/// The languages offered, as links to this same page in each one: a page load, so the server draws the page
/// in the new language and remembers the choice in a cookie, with or without JavaScript. The sign-in in
/// progress survives (it lives in the flow cookie); so does what was typed in a provider form and not yet
/// sent, secrets aside, when JavaScript runs (see `keep_typed`).
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let locale = text::locale();
    let path = use_location().pathname;
    let query = use_query_map();
    // Follows the address, which names the step drawn once an action has answered (see the container). A
    // start link's own parameters stay behind: its signature covers `lang`, and the pass it gave this browser
    // opens the page in the other language.
    let href = move |code: &'static str| {
        crate::catalogue::with_params_replaced(
            &path.get(),
            query.get(),
            &["lang", "wait", "expires", "nonce", "sig"],
            ("lang", Some(code)),
        )
    };
    view! {
        <nav class="languages" aria-label=td_string!(locale, app.language)>
            <ul>
                {LANGUAGES.iter().map(|(l, name)| {
                    let code = l.as_str();
                    let current = *l == locale;
                    view! {
                        <li>
                            <a href=move || href(code) rel="external" hreflang=code lang=code on:click=follow_keeping_typed
                                aria-current=current.then_some("true")>{*name}</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}
