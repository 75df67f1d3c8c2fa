//! Checkpoint screens.

mod action;
mod captcha;
mod choice;
mod code_input;
mod pairing_code;
mod phone_register;
mod unsupported;

pub use action::ActionCheckpoint;
pub use captcha::CaptchaCheckpoint;
pub use choice::ChoiceCheckpoint;
pub use code_input::CodeInputCheckpoint;
pub use pairing_code::PairingCodeShown;
pub use phone_register::PhoneRegisterCheckpoint;
pub use unsupported::UnsupportedCheckpoint;

use crate::{
    catalogue::Provider,
    components::{countdown::Countdown, FlowActions},
    model::CheckpointView,
};
use leptos::prelude::*;
use leptos_i18n::td_string;

/// The hidden fields every checkpoint form carries: which provider, and which attempt.
#[component]
pub fn FlowFields(provider: &'static Provider, flow_id: String) -> impl IntoView {
    view! {
        <input type="hidden" name="provider" value=provider.id/>
        <input type="hidden" name="flow" value=flow_id/>
    }
}

/// "Start over" (or "Cancel"): drops the attempt and returns to the form, the username kept.
#[component]
pub fn RestartButton(
    provider: &'static Provider,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let label = label.unwrap_or_else(|| td_string!(crate::text::locale(), checkpoint.start_over));
    view! {
        <ActionForm action=actions.restart attr:class="inline-form">
            <input type="hidden" name="provider" value=provider.id/>
            <button type="submit" class="button secondary">{label}</button>
        </ActionForm>
    }
}

/// What every checkpoint ends with: the time left, "Try another way" where offered, and a way out.
#[component]
pub fn CheckpointFooter(
    provider: &'static Provider,
    checkpoint: CheckpointView,
    #[prop(optional)] restart_label: Option<&'static str>,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    let locale = crate::text::locale();
    let restart_label = restart_label.unwrap_or_else(|| td_string!(locale, checkpoint.start_over));
    let switch = checkpoint.can_switch.then(|| {
        let flow_id = checkpoint.flow_id.clone();
        view! {
            <ActionForm action=actions.switch attr:class="inline-form">
                <FlowFields provider flow_id/>
                <button type="submit" class="button link">{td_string!(locale, checkpoint.try_another_way)}</button>
            </ActionForm>
        }
    });
    view! {
        <Countdown until_ms=checkpoint.expires_at_ms/>
        <div class="step-actions">
            {switch}
            <RestartButton provider label=restart_label/>
        </div>
    }
}

/// Waits in the background for the step to finish on its own (in-app approval, loading): one bounded wait
/// request at a time; when it answers, the container re-reads the step and, if still waiting, this runs
/// again. Leaving the screen aborts the wait. Without JavaScript the page reloads itself with `?wait=1`
/// (`reload`), or offers a link that does (where a reload could interrupt typing).
#[component]
pub fn BackgroundWait(
    provider: &'static Provider,
    flow_id: String,
    #[prop(default = true)] reload: bool,
) -> impl IntoView {
    let actions = expect_context::<FlowActions>();
    #[cfg(feature = "hydrate")]
    {
        use crate::api::WaitCheckpoint;
        let id = flow_id.clone();
        Effect::new(move || {
            let id = id.clone();
            let handle = StoredValue::new(None::<leptos::prelude::ActionAbortHandle>);
            // A short pause keeps a fast-failing server from being polled in a tight loop.
            let pause = gloo_timers::callback::Timeout::new(300, move || {
                let abort = actions.wait.dispatch(WaitCheckpoint {
                    provider: provider.id.to_owned(),
                    flow: id,
                });
                handle.set_value(Some(abort));
            });
            // Leaving the screen drops the pause (which cancels it) and aborts the wait it started; the
            // page's timers live on its one thread.
            let pause = send_wrapper::SendWrapper::new(pause);
            on_cleanup(move || {
                drop(pause);
                if let Some(abort) = handle.try_update_value(Option::take).flatten() {
                    abort.abort();
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = actions;
    // Raw HTML inside <noscript>, which a browser running scripts never parses. The page keeps its host
    // parameters (reconnect, state, redirects), percent-encoded, and names the attempt, so the step it ends
    // on (the linked account, say) is drawn again on a reload.
    let query = leptos_router::hooks::use_query_map().get_untracked();
    let kept = ["account_id", "state", "success_url", "failure_url"].map(|k| (k, query.get(k)));
    let mut params: Vec<(&str, Option<&str>)> =
        kept.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    params.push((crate::model::FLOW_PARAM, Some(&flow_id)));
    params.push(("wait", Some("1")));
    let url = crate::catalogue::page_url(provider.id, &params);
    let url = html_escape::encode_double_quoted_attribute(&url);
    let fallback = if reload {
        format!(r#"<meta http-equiv="refresh" content="2;url={url}">"#)
    } else {
        let text = td_string!(crate::text::locale(), checkpoint.approved_link);
        format!(
            r#"<p><a href="{url}">{}</a></p>"#,
            html_escape::encode_text(&text)
        )
    };
    view! { <noscript inner_html=fallback></noscript> }
}
