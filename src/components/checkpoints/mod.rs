//! Checkpoint screens.

mod captcha;
mod code_input;
mod phone_register;
mod unsupported;

pub use captcha::CaptchaCheckpoint;
pub use code_input::CodeInputCheckpoint;
pub use phone_register::PhoneRegisterCheckpoint;
pub use unsupported::UnsupportedCheckpoint;

use crate::{catalogue::Provider, components::FlowActions};
use leptos::prelude::*;

/// "Start over": drops the attempt and returns to the form, the username kept.
#[component]
pub fn RestartButton(provider: &'static Provider, #[prop(default = "Start over")] label: &'static str) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    view! {
        <ActionForm action=actions.restart attr:class="restart">
            <input type="hidden" name="provider" value=provider.id/>
            <button type="submit" class="button secondary">{label}</button>
        </ActionForm>
    }
}
