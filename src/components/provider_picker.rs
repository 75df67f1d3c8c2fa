use crate::{api::SiteInfo, catalogue, error::AppError};
use leptos::prelude::*;

#[component]
pub fn ProviderPicker() -> impl IntoView {
    let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
    view! {
        <section class="card">
            <h1>"Connect an account"</h1>
            <p>"Choose the account to link. You sign in with it once; your password is not stored by this page."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let providers = site.await.map(|s| s.providers).unwrap_or_default();
                    view! {
                        <ul class="providers">
                            {providers.iter().filter_map(|id| catalogue::find(id)).map(|p| view! {
                                <li>
                                    <a class="provider" href=format!("/connect/{}", p.id) data-provider=p.id>
                                        {p.label}
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
        </section>
    }
}
