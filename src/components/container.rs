use super::{CaptchaCheckpoint, CodeInputCheckpoint, LinkedInLogin, NoticeView, PhoneRegisterCheckpoint, ProviderForm, Success, UnsupportedCheckpoint};
use crate::{
    api::{load_flow_step, RegisterPhone, RestartFlow, SolveCheckpoint, StartAuthIntent},
    catalogue::Provider,
    model::{CheckpointKind, FlowStep},
};
use leptos::prelude::*;

/// The actions of one flow; every screen posts through these, and the container re-reads the step after
/// each one completes.
#[derive(Clone, Copy)]
pub struct FlowActions {
    pub start: ServerAction<StartAuthIntent>,
    pub solve: ServerAction<SolveCheckpoint>,
    pub phone: ServerAction<RegisterPhone>,
    pub restart: ServerAction<RestartFlow>,
}

impl FlowActions {
    fn versions(&self) -> usize {
        self.start.version().get() + self.solve.version().get() + self.phone.version().get() + self.restart.version().get()
    }

    /// True while any action of the flow waits for the server.
    pub fn pending(&self) -> bool {
        self.start.pending().get() || self.solve.pending().get() || self.phone.pending().get() || self.restart.pending().get()
    }
}

/// Announcement for the `aria-live` region when the step changes.
fn announcement(step: &FlowStep, provider: &Provider) -> String {
    match step {
        FlowStep::Form(form) if form.notice.is_some() => format!("Sign in to {} again.", provider.label),
        FlowStep::Form(_) => format!("Sign in to {}.", provider.label),
        FlowStep::Checkpoint(view) => match &view.kind {
            CheckpointKind::Code { .. } => "Verification step: enter your verification code.".to_owned(),
            CheckpointKind::PhoneRegister => "Verification step: add a phone number.".to_owned(),
            CheckpointKind::Captcha { .. } => "Verification step: complete the security check.".to_owned(),
            CheckpointKind::Unsupported { .. } => "This sign-in needs a step that is not supported.".to_owned(),
        },
        FlowStep::Connected(_) => format!("Your {} account is connected.", provider.label),
    }
}

/// Holds the flow for one provider and shows the screen for its current step: the provider form, a
/// checkpoint, or success. The step lives in the server's flow cookie, so a reload shows the same screen.
#[component]
pub fn CredentialsFlowContainer(provider: &'static Provider) -> impl IntoView {
    let actions = FlowActions {
        start: ServerAction::new(),
        solve: ServerAction::new(),
        phone: ServerAction::new(),
        restart: ServerAction::new(),
    };
    provide_context(actions);
    let step = Resource::new(move || actions.versions(), move |_| load_flow_step(provider.id.to_owned()));
    // Empty until the user acts, so the server-rendered page and the hydrated one agree.
    let announced = move || {
        if actions.versions() == 0 {
            return String::new();
        }
        step.get().and_then(Result::ok).map(|s| announcement(&s, provider)).unwrap_or_default()
    };
    view! {
        <div id="announcer" class="visually-hidden" role="status" aria-live="polite">{announced}</div>
        <section class="card flow" data-provider=provider.id>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match step.await {
                        Ok(FlowStep::Form(form)) if provider.id == "linkedin" => view! { <LinkedInLogin form/> }.into_any(),
                        Ok(FlowStep::Form(form)) => view! { <ProviderForm provider form/> }.into_any(),
                        Ok(FlowStep::Checkpoint(checkpoint)) => match checkpoint.kind.clone() {
                            CheckpointKind::Code { source } => {
                                view! { <CodeInputCheckpoint provider source checkpoint/> }.into_any()
                            }
                            CheckpointKind::PhoneRegister => {
                                view! { <PhoneRegisterCheckpoint provider checkpoint/> }.into_any()
                            }
                            CheckpointKind::Captcha { public_key, data } => {
                                view! { <CaptchaCheckpoint provider public_key data checkpoint/> }.into_any()
                            }
                            CheckpointKind::Unsupported { .. } => {
                                view! { <UnsupportedCheckpoint provider/> }.into_any()
                            }
                        },
                        Ok(FlowStep::Connected(account)) => view! { <Success provider account/> }.into_any(),
                        Err(err) => view! {
                            <h1>"Something went wrong"</h1>
                            <NoticeView provider notice=Some(err.notice())/>
                            <p><a href=format!("/connect/{}", provider.id)>"Try again"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
