//! One file per screen.

mod checkpoints;
mod connect_page;
mod container;
mod countdown;
pub mod embed;
mod keep_typed;
mod language;
mod logins;
mod not_found;
mod notice;
mod provider_picker;
mod sandbox_banner;
mod success;

pub use checkpoints::{
    ActionCheckpoint, CaptchaCheckpoint, ChoiceCheckpoint, CodeInputCheckpoint,
    PhoneRegisterCheckpoint, UnsupportedCheckpoint,
};
pub use connect_page::ConnectPage;
pub use container::{CredentialsFlowContainer, FlowActions};
pub use countdown::Countdown;
pub use keep_typed::{follow_keeping_typed, SIGN_IN_FORM};
pub use language::LanguageSwitch;
pub use logins::{LinkedInLogin, ProviderForm};
pub use not_found::NotFound;
pub use notice::NoticeView;
pub use provider_picker::ProviderPicker;
pub use sandbox_banner::SandboxBanner;
pub use success::Success;

use leptos::{html::H1, prelude::*};

/// The heading last given focus in this flow, so a screen re-drawn with the same heading (a wrong code, a
/// "still waiting" poll) does not pull focus back to the top.
#[derive(Clone, Copy)]
pub struct FocusGate(pub StoredValue<String>);

/// A step's heading, focused when a new step appears so keyboard and screen-reader users land on it.
#[component]
pub fn StepHeading(children: Children) -> impl IntoView {
    let heading = NodeRef::<H1>::new();
    let gate = use_context::<FocusGate>();
    Effect::new(move || {
        let Some(el) = heading.get() else { return };
        let text = el.text_content().unwrap_or_default();
        let same = gate.is_some_and(|g| g.0.with_value(|last| *last == text));
        if let Some(g) = gate {
            g.0.set_value(text);
        }
        if !same {
            let _ = el.focus();
            return;
        }
        // Same step re-drawn (after a refusal): put the caret back into its first field if focus was lost.
        let lost = document()
            .active_element()
            .is_none_or(|a| a.tag_name().eq_ignore_ascii_case("body"));
        if lost {
            use leptos::wasm_bindgen::JsCast;
            if let Some(input) = el
                .parent_element()
                .and_then(|p| {
                    p.query_selector("input:not([type=hidden]), button")
                        .ok()
                        .flatten()
                })
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            {
                let _ = input.focus();
            }
        }
    });
    view! {
        <h1 class="step-title" tabindex="-1" node_ref=heading>
            {children()}
        </h1>
    }
}
