use super::ProviderForm;
use crate::{
    catalogue::{self, FormOptions},
    model::FormState,
};
use leptos::prelude::*;

/// LinkedIn: email or phone and password, or the session cookies (`li_at`, optional `li_a`, the browser's
/// user agent); optional products and proxy.
#[component]
pub fn LinkedInLogin(
    form: FormState,
    options: FormOptions,
    origins: Vec<String>,
    #[prop(optional)] signed: bool,
) -> impl IntoView {
    let provider = catalogue::find("linkedin").expect("LinkedIn is in the catalogue");
    view! { <ProviderForm provider form options origins signed/> }
}
