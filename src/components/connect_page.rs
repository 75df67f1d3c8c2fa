use super::{CredentialsFlowContainer, NotFound};
use crate::{api::SiteInfo, catalogue, error::AppError};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/connect/{provider}`: the flow for one offered provider.
#[component]
pub fn ConnectPage() -> impl IntoView {
    let params = use_params_map();
    let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let id = params.read().get("provider").unwrap_or_default();
                let offered = site.await.map(|s| s.providers.contains(&id)).unwrap_or(false);
                match catalogue::find(&id).filter(|_| offered) {
                    Some(provider) => view! { <CredentialsFlowContainer provider/> }.into_any(),
                    None => view! { <NotFound/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
