use super::ProviderForm;
use crate::{catalogue, model::FormState};
use leptos::prelude::*;

/// LinkedIn: email or phone, and password.
#[component]
pub fn LinkedInLogin(form: FormState) -> impl IntoView {
    let provider = catalogue::find("linkedin").expect("LinkedIn is in the catalogue");
    view! { <ProviderForm provider form/> }
}
