use crate::{
    api::get_site_info,
    components::{ConnectPage, NotFound, ProviderPicker, SandboxBanner},
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
        <html lang="en">
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
    let site = Resource::new_blocking(|| (), |_| get_site_info());
    provide_context(site);
    // Tests and styles can tell a hydrated page from a server-rendered one; Effects only run in the browser.
    Effect::new(move || {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
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
        </Router>
    }
}
