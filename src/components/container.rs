use super::{
    embed::{self, ExitLinks},
    ActionCheckpoint, CaptchaCheckpoint, ChoiceCheckpoint, CodeInputCheckpoint, FocusGate,
    LinkedInLogin, NotFound, NoticeView, PhoneRegisterCheckpoint, ProviderForm, Success,
    UnsupportedCheckpoint,
};
use crate::{
    api::SiteInfo,
    api::{
        load_flow_step, ChooseChallenge, ChooseContract, ChooseProducts, RegisterPhone, ResendCode,
        RestartFlow, SolveCheckpoint, StartAuthIntent, TryAnotherWay, WaitCheckpoint,
    },
    catalogue::Provider,
    error::AppError,
    i18n::Locale,
    model::{CheckpointKind, FlowStep},
    text::fill,
};
use leptos::prelude::*;
use leptos_i18n::td_string;
use leptos_router::hooks::use_query_map;

/// The actions of one flow; every screen posts through these. Each answers with the next step, which the
/// container draws as it is: one request per action.
#[derive(Clone, Copy)]
pub struct FlowActions {
    pub start: ServerAction<StartAuthIntent>,
    pub solve: ServerAction<SolveCheckpoint>,
    pub phone: ServerAction<RegisterPhone>,
    pub wait: ServerAction<WaitCheckpoint>,
    pub resend: ServerAction<ResendCode>,
    pub switch: ServerAction<TryAnotherWay>,
    pub challenge: ServerAction<ChooseChallenge>,
    pub contract: ServerAction<ChooseContract>,
    pub products: ServerAction<ChooseProducts>,
    pub restart: ServerAction<RestartFlow>,
}

impl FlowActions {
    fn new() -> Self {
        FlowActions {
            start: ServerAction::new(),
            solve: ServerAction::new(),
            phone: ServerAction::new(),
            wait: ServerAction::new(),
            resend: ServerAction::new(),
            switch: ServerAction::new(),
            challenge: ServerAction::new(),
            contract: ServerAction::new(),
            products: ServerAction::new(),
            restart: ServerAction::new(),
        }
    }

    /// The step the action completed since `seen` answered with, when exactly one did and it answered one;
    /// `seen` becomes the versions of now. `None` means the step is read from the server instead: a
    /// failure (a dropped connection, say), two actions completed at once, or an answer that says this
    /// browser's cookie already holds a newer step (a second submission that lost the race).
    fn answered(&self, seen: &mut [usize; 10]) -> Option<FlowStep> {
        fn latest<A>(action: &ServerAction<A>) -> (usize, Option<Result<FlowStep, AppError>>)
        where
            A: leptos::server_fn::ServerFn<Output = FlowStep, Error = AppError>
                + Clone
                + Send
                + Sync
                + 'static,
        {
            (
                action.version().get_untracked(),
                action.value().get_untracked(),
            )
        }
        let now = [
            latest(&self.start),
            latest(&self.solve),
            latest(&self.phone),
            latest(&self.wait),
            latest(&self.resend),
            latest(&self.switch),
            latest(&self.challenge),
            latest(&self.contract),
            latest(&self.products),
            latest(&self.restart),
        ];
        let mut completed = Vec::new();
        for (last, (version, value)) in seen.iter_mut().zip(now) {
            if *last != version {
                *last = version;
                completed.push(value);
            }
        }
        match <[_; 1]>::try_from(completed) {
            Ok([Some(Ok(step))])
                if step.notice().map(|n| n.code) != Some(crate::error::ErrorCode::OutOfDate) =>
            {
                Some(step)
            }
            _ => None,
        }
    }

    fn versions(&self) -> usize {
        self.start.version().get()
            + self.solve.version().get()
            + self.phone.version().get()
            + self.wait.version().get()
            + self.resend.version().get()
            + self.switch.version().get()
            + self.challenge.version().get()
            + self.contract.version().get()
            + self.products.version().get()
            + self.restart.version().get()
    }

    /// True while an action the user started waits for the server (background waits excluded).
    pub fn pending(&self) -> bool {
        self.start.pending().get()
            || self.solve.pending().get()
            || self.phone.pending().get()
            || self.resend.pending().get()
            || self.switch.pending().get()
            || self.challenge.pending().get()
            || self.contract.pending().get()
            || self.products.pending().get()
            || self.restart.pending().get()
    }
}

/// Announcement for the `aria-live` region when the step changes.
fn announcement(step: &FlowStep, provider: &Provider, locale: Locale) -> String {
    let name = provider.label.get(locale);
    match step {
        FlowStep::Form(form) if form.notice.is_some() => {
            fill(td_string!(locale, announce.again), &[("provider", name)])
        }
        FlowStep::Form(_) => fill(td_string!(locale, announce.form), &[("provider", name)]),
        FlowStep::Checkpoint(view) => fill(
            td_string!(locale, announce.step),
            &[("step", &view.kind.title(locale).to_lowercase())],
        ),
        FlowStep::Connected(_) => fill(
            td_string!(locale, announce.connected),
            &[("provider", name)],
        ),
    }
}

/// Reads the step, retrying for a while in the browser when the server cannot be reached (a dropped
/// connection or a restart during a wait resumes instead of failing).
async fn load_with_retry(provider: &'static Provider, wait: bool) -> Result<FlowStep, AppError> {
    #[cfg(feature = "hydrate")]
    {
        let mut delay = std::time::Duration::from_millis(500);
        loop {
            match load_flow_step(provider.id.to_owned(), wait).await {
                Err(AppError::Transport(_)) if delay.as_secs() <= 8 => {
                    // The browser's timer future is tied to its thread, as everything of the page is.
                    send_wrapper::SendWrapper::new(gloo_timers::future::sleep(delay)).await;
                    delay *= 2;
                }
                other => return other,
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    load_flow_step(provider.id.to_owned(), wait).await
}

/// Empties the password and code inputs of the flow (browser only).
fn clear_secret_fields() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Ok(fields) = document().query_selector_all(
            ".flow input[type=password], .flow input[data-secret], .flow input[name=code]",
        ) else {
            return;
        };
        for i in 0..fields.length() {
            if let Some(input) = fields
                .item(i)
                .and_then(|n| n.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
            {
                input.set_value("");
            }
        }
    }
}

/// Where the user is: signing in, verifying, done.
#[component]
fn Progress(step: FlowStep) -> impl IntoView {
    let locale = crate::text::locale();
    let current = match step {
        FlowStep::Form(_) => 0,
        FlowStep::Checkpoint(_) => 1,
        FlowStep::Connected(_) => 2,
    };
    view! {
        <ol class="progress" aria-label=td_string!(locale, progress.label)>
            {[
                td_string!(locale, progress.sign_in),
                td_string!(locale, progress.verify),
                td_string!(locale, progress.connected),
            ].into_iter().enumerate().map(|(i, label)| {
                let state = match i.cmp(&current) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "next",
                };
                view! {
                    <li class=state aria-current=(i == current).then_some("step")>{label}</li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The ways out for a host page, below a form or a checkpoint: with the host's `failure_url` (when the page
/// was given an allowed one) and, in a frame or popup, "Close".
fn exit_links(
    provider: &'static Provider,
    step: &Result<FlowStep, AppError>,
    query: &leptos_router::params::ParamsMap,
    origins: &[String],
    signed: bool,
) -> Option<AnyView> {
    let notice = match step {
        Ok(step @ (FlowStep::Form(_) | FlowStep::Checkpoint(_))) => step.notice().cloned(),
        _ => return None,
    };
    // With signed links a form's way back is its link's (the server puts it in the form), never the page
    // address's; a refused link has one only when its signature held.
    let param = |name: &str| match step {
        Ok(FlowStep::Form(form)) if signed => match name {
            "failure_url" => form.form.failure_url.clone().unwrap_or_default(),
            "state" => form.form.state.clone().unwrap_or_default(),
            _ => String::new(),
        },
        _ => query.get(name).unwrap_or_default(),
    };
    let failure_url = crate::catalogue::redirect_params("", &param("failure_url"), origins)
        .ok()
        .and_then(|(_, failure)| failure);
    let state = crate::catalogue::link_params("", &param("state"))
        .ok()
        .and_then(|(_, state)| state);
    let ended_by = notice.map(|n| n.code).filter(|c| embed::ends_the_flow(*c));
    let origins = origins.to_vec();
    Some(view! { <ExitLinks provider failure_url state ended_by origins/> }.into_any())
}

/// A start link refused (missing, altered, expired, used): no form, what happened and what to do; the way
/// back to the application follows, when the link's signature held.
#[component]
fn LinkRefused(provider: &'static Provider, notice: Option<crate::error::Notice>) -> impl IntoView {
    let locale = crate::text::locale();
    view! {
        <super::StepHeading>{fill(td_string!(locale, form.connect_heading), &[("provider", provider.label.get(locale))])}</super::StepHeading>
        <NoticeView provider notice/>
    }
}

/// Holds the flow for one provider and shows the screen for its current step: the provider form, a
/// checkpoint, or success. The step lives in the server's flow cookie, so a reload shows the same screen.
#[component]
pub fn CredentialsFlowContainer(provider: &'static Provider) -> impl IntoView {
    let actions = FlowActions::new();
    provide_context(actions);
    let locale = crate::text::locale();
    provide_context(FocusGate(StoredValue::new(String::new())));
    // `?wait=1` is the no-JavaScript waiting page reloading itself: the first render waits (bounded).
    let query = use_query_map();
    let wait_first = query.with_untracked(|q| q.get("wait").is_some());
    let site = expect_context::<Resource<Result<SiteInfo, AppError>>>();
    // The page's step, then the step each action answers with. Only when an action failed (or on the
    // first load) is the step read from the server.
    let seen = StoredValue::new([0usize; 10]);
    let step = Resource::new(
        move || actions.versions(),
        move |versions| {
            let answered = seen
                .try_update_value(|seen| actions.answered(seen))
                .flatten();
            async move {
                match answered {
                    Some(step) => Ok(step),
                    None => load_with_retry(provider, wait_first && versions == 0).await,
                }
            }
        },
    );
    // Events for a host page (frame or popup): `ready` once, `step` at each new step, `success` at the end;
    // then redirect mode's `success_url`, when the page was given one.
    let last_event = StoredValue::new(String::new());
    Effect::new(move || {
        let (Some(Ok(site)), Some(Ok(current))) = (site.get(), step.get()) else {
            return;
        };
        let origins = &site.embed_origins;
        let name = embed::step_name(&current);
        let key = match &current {
            FlowStep::Checkpoint(view) => format!("{name}/{}", view.flow_id),
            _ => name.to_owned(),
        };
        if last_event.with_value(|last| *last == key) {
            return;
        }
        if last_event.with_value(String::is_empty) {
            embed::post(provider, "ready", &[], origins);
        }
        last_event.set_value(key);
        embed::post(provider, "step", &[("step", name)], origins);
        if let FlowStep::Connected(account) = &current {
            let state = account.state.clone().unwrap_or_default();
            embed::post(
                provider,
                "success",
                &[
                    ("account_id", account.id.as_str()),
                    ("state", state.as_str()),
                ],
                origins,
            );
            // In place of this page in the history, so "Back" in the application does not come here.
            #[cfg(feature = "hydrate")]
            if let Some(url) = &account.continue_url {
                let _ = window().location().replace(url);
            }
        }
    });
    // The page's address names the finished step an action answered with (a form, the linked account), as
    // the redirect after a plain form post does, so a reload draws it again; a visit elsewhere starts afresh.
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let location = leptos_router::hooks::use_location();
        Effect::new(move || {
            if actions.versions() == 0 {
                return;
            }
            let Some(Ok(current)) = step.get() else {
                return;
            };
            let name = match &current {
                FlowStep::Checkpoint(_) => None,
                finished => Some(finished.flow_id().to_owned()).filter(|id| !id.is_empty()),
            };
            let query = location.query.get_untracked();
            if query.get(crate::model::FLOW_PARAM) == name {
                return;
            }
            let url = crate::catalogue::with_params_replaced(
                &location.pathname.get_untracked(),
                query,
                &[crate::model::FLOW_PARAM, "wait"],
                (crate::model::FLOW_PARAM, name.as_deref()),
            );
            navigate(
                &url,
                leptos_router::NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        });
    }
    // A refused password or code must not stay typed: the re-drawn form may reuse the same input
    // elements, so once any action completes, secret fields in the flow are emptied.
    Effect::new(move || {
        if actions.versions() > 0 {
            clear_secret_fields();
        }
    });
    // Empty until the user acts, so the server-rendered page and the hydrated one agree.
    let announced = Memo::new(move |_| {
        if actions.versions() == 0 {
            return String::new();
        }
        step.get()
            .and_then(Result::ok)
            .map(|s| announcement(&s, provider, locale))
            .unwrap_or_default()
    });
    view! {
        <div id="announcer" class="visually-hidden" role="status" aria-live="polite">{move || announced.get()}</div>
        <section class="card flow" data-provider=provider.id>
            <Transition fallback=move || view! { <p class="loading">{td_string!(locale, app.loading)}</p> }>
                {move || Suspend::new(async move {
                    let site = site.await.ok();
                    let options = site.as_ref().map(|s| s.forms).unwrap_or_default();
                    let signed = site.as_ref().is_some_and(|s| s.signed_links);
                    let origins = site.map(|s| s.embed_origins).unwrap_or_default();
                    let step = step.await;
                    let exit = exit_links(provider, &step, &query.get_untracked(), &origins, signed);
                    let progress = step.as_ref().ok().map(|s| view! { <Progress step=s.clone()/> });
                    let screen = match step {
                        Ok(FlowStep::Form(form)) if form.notice.as_ref().is_some_and(|n| n.code.refuses_the_link()) => {
                            view! { <LinkRefused provider notice=form.notice/> }.into_any()
                        }
                        Ok(FlowStep::Form(form)) if provider.id == "linkedin" => view! { <LinkedInLogin form options origins signed/> }.into_any(),
                        Ok(FlowStep::Form(form)) => view! { <ProviderForm provider form options origins signed/> }.into_any(),
                        Ok(FlowStep::Checkpoint(checkpoint)) => match checkpoint.kind.clone() {
                            CheckpointKind::Code { source } => {
                                view! { <CodeInputCheckpoint provider source checkpoint/> }.into_any()
                            }
                            CheckpointKind::CodeOrInApp { source } => {
                                view! { <CodeInputCheckpoint provider source checkpoint or_in_app=true/> }.into_any()
                            }
                            CheckpointKind::PhoneRegister => {
                                view! { <PhoneRegisterCheckpoint provider checkpoint/> }.into_any()
                            }
                            CheckpointKind::Captcha { public_key, data } => {
                                view! { <CaptchaCheckpoint provider public_key data checkpoint/> }.into_any()
                            }
                            CheckpointKind::InApp | CheckpointKind::Loading | CheckpointKind::PairingCode { .. } => {
                                view! { <ActionCheckpoint provider checkpoint/> }.into_any()
                            }
                            CheckpointKind::ChallengeSelection { .. }
                            | CheckpointKind::ContractSelection { .. }
                            | CheckpointKind::Consent { .. } => {
                                view! { <ChoiceCheckpoint provider checkpoint/> }.into_any()
                            }
                            CheckpointKind::Unsupported { .. } => {
                                view! { <UnsupportedCheckpoint provider/> }.into_any()
                            }
                        },
                        Ok(FlowStep::Connected(account)) => view! { <Success provider account signed/> }.into_any(),
                        Err(AppError::BadRequest(_)) => view! { <NotFound/> }.into_any(),
                        Err(err) => view! {
                            <h1>{td_string!(locale, app.something_wrong)}</h1>
                            <NoticeView provider notice=Some(err.notice())/>
                            <p><a href=format!("/connect/{}", provider.id)>{td_string!(locale, app.try_again)}</a></p>
                        }.into_any(),
                    };
                    view! { {progress} {screen} {exit} }
                })}
            </Transition>
        </section>
    }
}
