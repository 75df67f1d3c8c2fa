//! One file per screen.

mod checkpoints;
mod connect_page;
mod container;
mod logins;
mod not_found;
mod notice;
mod provider_picker;
mod sandbox_banner;
mod success;

pub use checkpoints::{CaptchaCheckpoint, CodeInputCheckpoint, PhoneRegisterCheckpoint, UnsupportedCheckpoint};
pub use connect_page::ConnectPage;
pub use container::{CredentialsFlowContainer, FlowActions};
pub use logins::{LinkedInLogin, ProviderForm};
pub use not_found::NotFound;
pub use notice::NoticeView;
pub use provider_picker::ProviderPicker;
pub use sandbox_banner::SandboxBanner;
pub use success::Success;

use leptos::{html::H1, prelude::*};

/// A step's heading, focused when the step appears so keyboard and screen-reader users land on it.
#[component]
pub fn StepHeading(children: Children) -> impl IntoView {
    let heading = NodeRef::<H1>::new();
    Effect::new(move || {
        if let Some(el) = heading.get() {
            let _ = el.focus();
        }
    });
    view! {
        <h1 class="step-title" tabindex="-1" node_ref=heading>
            {children()}
        </h1>
    }
}
