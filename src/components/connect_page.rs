use super::{CredentialsFlowContainer, NotFound};
use crate::catalogue;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/connect/{provider}`: the flow for one provider. The container is built once per provider id (and
/// shows "not found" when the server does not offer that provider).
#[component]
pub fn ConnectPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("provider").unwrap_or_default()));
    move || match catalogue::find(&id.get()) {
        Some(provider) => view! { <CredentialsFlowContainer provider/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}
