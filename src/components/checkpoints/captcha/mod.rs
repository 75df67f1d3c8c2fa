//! The CAPTCHA checkpoint: an Arkose Labs challenge drawn by Arkose's client API in the browser.
//!
//! The page loads `<arkose base>/v2/<public_key>/api.js` with a `data-callback` naming a function on `window`;
//! the script calls it with an enforcement object, which is configured with plain values (the checkpoint's
//! `data` blob is a string property, never script or markup text). Arkose's callbacks post JSON messages to
//! the page's own origin; only messages from the page or Arkose, for this public key, are acted upon. The
//! solved challenge's token is sent like a code. Nothing here runs on the server: without JavaScript the
//! screen says the step needs it.

use super::RestartButton;
use crate::{
    catalogue::Provider,
    components::{NoticeView, StepHeading},
    model::CheckpointView,
    text::fill,
};
use leptos::{html::Div, prelude::*};
use leptos_i18n::td_string;

/// What the screen shows.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CaptchaStatus {
    /// Server-rendered and before hydration: the challenge needs JavaScript.
    NeedsScript,
    Loading,
    Ready,
    /// The user did not pass the challenge; they may try again.
    Failed,
    /// The script did not load or reported an error: the sign-in must start again.
    Unavailable,
    /// The token is on its way to the server.
    Verifying,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod protocol;

/// The browser side of one challenge, kept so that leaving the screen can remove it; nothing on the server.
#[derive(Clone)]
struct ChallengeSlot {
    #[cfg(feature = "hydrate")]
    challenge:
        send_wrapper::SendWrapper<std::rc::Rc<std::cell::RefCell<Option<browser::Challenge>>>>,
}

impl ChallengeSlot {
    fn new() -> Self {
        ChallengeSlot {
            #[cfg(feature = "hydrate")]
            challenge: send_wrapper::SendWrapper::new(Default::default()),
        }
    }

    fn retry(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(challenge) = self.challenge.borrow().as_ref() {
            challenge.retry();
        }
    }

    /// Removes the script tag, the `window` callback, the message listener and the timer.
    fn clear(&self) {
        #[cfg(feature = "hydrate")]
        drop(self.challenge.borrow_mut().take());
    }
}

/// An Arkose Labs CAPTCHA; its token is sent as the checkpoint's code.
#[component]
pub fn CaptchaCheckpoint(
    provider: &'static Provider,
    public_key: String,
    data: String,
    checkpoint: CheckpointView,
) -> impl IntoView {
    let locale = crate::text::locale();
    let status = RwSignal::new(CaptchaStatus::NeedsScript);
    let container = NodeRef::<Div>::new();
    let slot = ChallengeSlot::new();
    on_cleanup({
        let slot = slot.clone();
        move || slot.clear()
    });

    #[cfg(feature = "hydrate")]
    {
        use crate::{api::SiteInfo, components::FlowActions, error::AppError, model::Secret};
        let actions = expect_context::<FlowActions>();
        let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
        let slot = slot.clone();
        let flow_id = checkpoint.flow_id.clone();
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(element) = container.get() else {
                return false;
            };
            let base_url = site
                .get_untracked()
                .and_then(Result::ok)
                .map(|s| s.arkose_base_url);
            let flow_id = flow_id.clone();
            let on_token = move |token: String| {
                actions.solve.dispatch(crate::api::SolveCheckpoint {
                    provider: provider.id.to_owned(),
                    flow: flow_id.clone(),
                    code: Secret::from(token),
                });
            };
            let challenge = base_url.and_then(|base_url| {
                browser::Challenge::start(browser::Setup {
                    base_url,
                    public_key: public_key.clone(),
                    blob: data.clone(),
                    container: element.into(),
                    status,
                    on_token: Box::new(on_token),
                })
            });
            match challenge {
                Some(challenge) => *slot.challenge.borrow_mut() = Some(challenge),
                None => status.set(CaptchaStatus::Unavailable),
            }
            true
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (public_key, data);

    let retry = {
        let slot = slot.clone();
        move |_| slot.retry()
    };
    let body = move || {
        match status.get() {
        CaptchaStatus::NeedsScript => view! {
            <p class="captcha-message" data-captcha="needs-script">
                {td_string!(locale, captcha.needs_script)}
            </p>
        }
        .into_any(),
        CaptchaStatus::Loading => view! {
            <p class="hint" data-captcha="loading">{td_string!(locale, captcha.loading)}</p>
        }
        .into_any(),
        CaptchaStatus::Ready => ().into_any(),
        CaptchaStatus::Failed => view! {
            <div class="notice" role="alert" data-captcha="failed">
                <p class="notice-message">{td_string!(locale, captcha.failed)}</p>
            </div>
            <button type="button" class="button" on:click=retry.clone()>{td_string!(locale, app.try_again)}</button>
        }
        .into_any(),
        CaptchaStatus::Unavailable => view! {
            <div class="notice" role="alert" data-captcha="unavailable">
                <p class="notice-message">{td_string!(locale, captcha.unavailable)}</p>
                <p class="notice-remedy">{td_string!(locale, captcha.unavailable_remedy)}</p>
            </div>
        }
        .into_any(),
        CaptchaStatus::Verifying => view! {
            <p class="hint" data-captcha="verifying">{td_string!(locale, captcha.verifying)}</p>
        }
        .into_any(),
    }
    };
    let hidden = move || {
        matches!(
            status.get(),
            CaptchaStatus::NeedsScript | CaptchaStatus::Unavailable
        )
    };
    view! {
        <StepHeading>{td_string!(locale, steps.captcha)}</StepHeading>
        <p class="lead">{fill(td_string!(locale, captcha.lead), &[("provider", provider.label.get(locale))])}</p>
        <NoticeView provider notice=checkpoint.notice.clone()/>
        {body}
        <div class="captcha" data-captcha="challenge" node_ref=container hidden=hidden></div>
        <RestartButton provider/>
    }
}

#[cfg(feature = "hydrate")]
mod browser;
