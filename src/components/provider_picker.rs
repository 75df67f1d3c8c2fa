use crate::{api::SiteInfo, catalogue, error::AppError};
use leptos::prelude::*;
use leptos_i18n::td_string;

#[component]
pub fn ProviderPicker() -> impl IntoView {
    let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
    let locale = crate::text::locale();
    view! {
        <section class="card">
            <h1>{td_string!(locale, picker.heading)}</h1>
            <p>{td_string!(locale, picker.lead)}</p>
            <Suspense fallback=move || view! { <p>{td_string!(locale, app.loading)}</p> }>
                {move || Suspend::new(async move {
                    let providers = site.await.map(|s| s.providers).unwrap_or_default();
                    view! {
                        <ul class="providers">
                            {providers.iter().filter_map(|id| catalogue::find(id)).map(|p| view! {
                                <li>
                                    <a class="provider" href=format!("/connect/{}", p.id) data-provider=p.id>
                                        <ProviderLogo provider=p/>
                                        {p.label.get(locale)}
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

/// A provider's mark: its initials on its colour, decorative (the name is always written beside it).
#[component]
pub fn ProviderLogo(provider: &'static catalogue::Provider) -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="7" fill=provider.logo.color/>
            <text x="16" y="21.5" text-anchor="middle" font-size="14" font-weight="700" fill="#fff"
                font-family="system-ui, sans-serif">{provider.logo.mark}</text>
        </svg>
    }
}
