use leptos::prelude::*;
use leptos_i18n::td_string;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    let locale = crate::text::locale();
    view! {
        <section class="card">
            <h1>{td_string!(locale, not_found.heading)}</h1>
            <p>{td_string!(locale, not_found.lead)}</p>
            <p><a href="/">{td_string!(locale, not_found.back)}</a></p>
        </section>
    }
}
