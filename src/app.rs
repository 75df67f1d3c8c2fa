use crate::{
    api::get_site_info,
    components::{ConnectPage, LanguageSwitch, NotFound, ProviderPicker, SandboxBanner},
    i18n::Locale,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=page_lang() dir="ltr">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="application-name" content="credentials-flow"/>
                <AutoReload options=options.clone()/>
                // Named with the content hash of the built stylesheet when `hash-files` is on.
                <HashedStylesheet id="leptos" options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The server decides the language (`server::locale`) and owns its cookie; the crate's own cookie is off.
    // The context is provided directly rather than through the crate's provider component, which adds an
    // empty inline script the Content Security Policy would refuse.
    let options = leptos_i18n::context::I18nContextOptions::<Locale>::default()
        .enable_cookie(false)
        .ssr_lang_header_getter(page_locale_getter());
    provide_context(leptos_i18n::context::init_i18n_context_with_options(
        options,
    ));
    let site = Resource::new_blocking(|| (), |_| get_site_info());
    provide_context(site);
    // Tests and styles can tell a hydrated page from a server-rendered one; Effects only run in the browser.
    Effect::new(move || {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Shell/>
    }
}

/// The language of this request's page, as the server chose it (`server::locale`).
#[cfg(feature = "ssr")]
fn page_lang() -> &'static str {
    use leptos_i18n::Locale as _;
    crate::server::locale::of_request()
        .unwrap_or_default()
        .as_str()
}

#[cfg(not(feature = "ssr"))]
fn page_lang() -> &'static str {
    "en"
}

/// The locale the server picked, handed to the i18n context in place of the raw `Accept-Language`; the
/// browser reads it back from `<html lang>`.
fn page_locale_getter() -> leptos_i18n::context::UseLocalesOptions {
    let options = leptos_i18n::context::UseLocalesOptions::default();
    #[cfg(feature = "ssr")]
    let options = options.ssr_lang_header_getter(|| {
        use leptos_i18n::Locale as _;
        crate::server::locale::of_request().map(|l| l.as_str().to_owned())
    });
    options
}

#[component]
fn Shell() -> impl IntoView {
    let site = expect_context::<Resource<Result<crate::api::SiteInfo, crate::error::AppError>>>();
    view! {
        <Title text="Credentials Flow"/>
        <Router>
            <Suspense>
                {move || Suspend::new(async move {
                    site.await.ok().filter(|s| s.sandbox).map(|_| view! { <SandboxBanner/> })
                })}
            </Suspense>
            <main class="page">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=ProviderPicker ssr=SsrMode::Async/>
                    <Route path=path!("/connect/:provider") view=ConnectPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <LanguageSwitch/>
        </Router>
    }
}
