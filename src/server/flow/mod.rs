//! The flow service: one function per user action, each taking the current [`FlowState`] (from the cookie)
//! and returning the next one. Server functions stay thin around these. How Unipile's answers become screens
//! is in [`screens`]; waiting on a checkpoint that completes by itself, in [`wait`].

mod screens;
mod wait;

use screens::*;
pub use screens::{checkpoint_kind, format_phone};
pub use wait::{wait, waitable, Held, Holders, Waited};

use super::{
    errors::notice_for, request::store_unavailable, session::FlowState, state::AppState,
    store::Generation,
};
use crate::{
    catalogue::{CheckedForm, Provider},
    error::{ErrorCode, NextStep, Notice},
    model::{
        AccountSummary, CheckpointKind, CheckpointView, Choice, CodeSource, Confirmation,
        FieldError, FlowStep, FormState, FormValues, Secret,
    },
};
use std::{future::Future, time::Duration};
use tracing::Instrument;
use unipile::{AuthResult, Channel, Checkpoint, ErrorType, TwoFactorPlatform, UnipileError};

/// How long a flow's record is kept: the attempt's lifetime, and a margin so that a late call on an
/// expired attempt is still recognised as one.
fn record_lifetime(app: &AppState) -> Duration {
    app.settings.checkpoint_lifetime() + Duration::from_secs(600)
}

fn new_flow_id() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A call to Unipile, timed for the metrics from now until it answers. The call's future is kept once, in
/// place (an `async fn` would keep its argument beside the future it awaits: twice the size).
fn timed<'a, T: 'a>(
    app: &'a AppState,
    operation: &'static str,
    call: impl Future<Output = T> + 'a,
) -> impl Future<Output = T> + 'a {
    use futures::FutureExt;
    let sent = std::time::Instant::now();
    call.map(move |answer| {
        app.metrics.upstream_call(operation, sent.elapsed());
        answer
    })
}

/// The form again, with a notice and what the user typed kept (never a secret).
pub fn back_to_form(provider: &Provider, form: FormValues, notice: Option<Notice>) -> FlowState {
    let flow_id = new_flow_id();
    FlowState {
        provider: provider.id.to_owned(),
        generation: 0,
        intent_id: None,
        step: FlowStep::Form(FormState {
            form: form.clone(),
            notice,
            errors: Vec::new(),
            flow_id: flow_id.clone(),
        }),
        flow_id,
        form,
        wrong_codes: 0,
        code_sent_at_ms: 0,
        expires_at_ms: 0,
    }
}

/// The form again with the fields that need correcting marked.
pub fn form_with_errors(
    provider: &Provider,
    form: FormValues,
    errors: Vec<FieldError>,
) -> FlowState {
    let mut state = back_to_form(provider, form, Some(Notice::new(ErrorCode::InvalidInput)));
    if let FlowStep::Form(shown) = &mut state.step {
        shown.errors = errors;
    }
    state
}

/// Starts a sign-in with a checked provider form.
#[tracing::instrument(skip_all, fields(provider = form.provider.id, method = form.method.id))]
pub async fn start(app: &AppState, form: CheckedForm) -> FlowState {
    let provider = form.provider;
    let body = form.intent(app.settings.unipile_provider_id(provider));
    let without_mail_servers = provider.mail_servers && !form.has_mail_servers();
    // Unipile's answer decides the step; the typed values move into the state once, for a way back.
    let mut started = back_to_form(provider, FormValues::default(), None);
    started.form = form.kept;
    app.metrics.started(provider.id);
    started.expires_at_ms =
        app.clock.now_ms() + app.settings.checkpoint_lifetime().as_millis() as u64;
    let next = match timed(
        app,
        "start_auth_intent",
        app.client.start_auth_intent(&body),
    )
    .await
    {
        Ok(result) => advance_view(app, provider, started, result),
        Err(err) => {
            let mut notice = notice_for(&app.metrics, &err, provider.id, "start_auth_intent");
            if without_mail_servers && is_type(&err, &ErrorType::ApiInvalidParameters) {
                notice.code = ErrorCode::ImapAutodetectFailed;
            }
            return back_to_form(provider, started.form, Some(notice));
        }
    };
    // A flow that goes on to a checkpoint gets its record now, and every later call of the attempt is
    // checked on it. One linked or refused at once needs none: no later call can act on it, and its limits
    // were counted on the store before anything was sent.
    match &next.step {
        FlowStep::Checkpoint(_) => {
            let created = app
                .store
                .create(&next.flow_id, next.code_sent_at_ms, record_lifetime(app))
                .await;
            match created {
                Ok(generation) => FlowState { generation, ..next },
                Err(e) => {
                    tracing::error!(provider = provider.id, store = app.store.name(), cause = %e, "flow record not created: the sign-in cannot go on");
                    back_to_form(
                        provider,
                        next.form,
                        Some(Notice::new(ErrorCode::ServiceUnavailable)),
                    )
                }
            }
        }
        FlowStep::Connected(_) => {
            announce(app, provider, &next).await;
            next
        }
        _ => next,
    }
}

/// The open checkpoint of `flow`, or the state to show instead (no flow, expired, finished).
#[allow(clippy::result_large_err)] // both sides are the same state, moved once per request
fn open_checkpoint(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
) -> Result<(FlowState, String, CheckpointView), FlowState> {
    match (&flow.intent_id, &flow.step) {
        (Some(intent), FlowStep::Checkpoint(view)) => {
            if flow.expires_at_ms <= app.clock.now_ms() {
                return Err(back_to_form(
                    provider,
                    flow.form,
                    Some(Notice::new(ErrorCode::Expired)),
                ));
            }
            let (intent, view) = (intent.clone(), view.clone());
            Ok((flow, intent, view))
        }
        (_, FlowStep::Connected(_)) => Err(flow),
        _ => Err(back_to_form(
            provider,
            flow.form,
            Some(Notice::new(ErrorCode::NoFlow)),
        )),
    }
}

/// The same checkpoint with a notice (and the confirmation cleared).
fn with_notice(mut flow: FlowState, notice: Notice) -> FlowState {
    if let FlowStep::Checkpoint(view) = &mut flow.step {
        view.notice = Some(notice);
        view.confirmation = None;
    }
    flow
}

/// Sends a code (or phone number, or contract id) for the open checkpoint.
#[tracing::instrument(skip_all, fields(provider = provider.id))]
pub async fn solve(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
    code: &Secret,
) -> FlowState {
    let (flow, intent_id, _) = match open_checkpoint(app, provider, flow) {
        Ok(open) => open,
        Err(state) => return state,
    };
    let call = app.client.solve_checkpoint(&intent_id, code.expose(), None);
    match timed(app, "solve_checkpoint", call).await {
        Ok(result) => advance(app, provider, flow, result).await,
        Err(err) => refused_on_checkpoint(app, provider, flow, &err, "solve_checkpoint").await,
    }
}

/// "Resend code": asks Unipile to send the code again, at most once per cooldown.
#[tracing::instrument(skip_all, fields(provider = provider.id))]
pub async fn resend(app: &AppState, provider: &'static Provider, flow: FlowState) -> FlowState {
    let (mut flow, intent_id, view) = match open_checkpoint(app, provider, flow) {
        Ok(open) => open,
        Err(state) => return state,
    };
    if !view.kind.can_resend() {
        return with_notice(flow, Notice::new(ErrorCode::ResendFailed));
    }
    // The cooldown is taken on the record, so a replayed cookie or another replica cannot reset it.
    let cooldown = app.settings.resend_cooldown().as_millis() as u64;
    match app
        .store
        .resend(&flow.flow_id, app.clock.now_ms(), cooldown)
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(sent_at_ms)) => {
            flow.code_sent_at_ms = sent_at_ms;
            return refresh_view(
                app,
                with_notice(flow, Notice::new(ErrorCode::ResendTooSoon)),
            );
        }
        Err(e) => return with_notice(flow, store_unavailable(app, &e)),
    }
    match timed(
        app,
        "resend_checkpoint",
        app.client.resend_checkpoint(&intent_id),
    )
    .await
    {
        Ok(()) => {
            flow.code_sent_at_ms = app.clock.now_ms();
            if let FlowStep::Checkpoint(view) = &mut flow.step {
                view.notice = None;
                view.confirmation = Some(Confirmation::CodeResent);
            }
            refresh_view(app, flow)
        }
        Err(err) => {
            let notice = notice_for(&app.metrics, &err, provider.id, "resend_checkpoint");
            match notice.code.next_step() {
                NextStep::Restart => back_to_form(provider, flow.form, Some(notice)),
                _ => with_notice(
                    flow,
                    Notice {
                        code: ErrorCode::ResendFailed,
                        support_ref: notice.support_ref,
                    },
                ),
            }
        }
    }
}

/// "Try another way" (`challenge` = None) or the choice of a method on a challenge-selection screen.
#[tracing::instrument(skip_all, fields(provider = provider.id))]
pub async fn request_other(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
    challenge: Option<&str>,
) -> FlowState {
    let (flow, intent_id, view) = match open_checkpoint(app, provider, flow) {
        Ok(open) => open,
        Err(state) => return state,
    };
    match (&view.kind, challenge) {
        (CheckpointKind::ChallengeSelection { options }, Some(id))
            if options.iter().any(|o| o.id == id) => {}
        (CheckpointKind::ChallengeSelection { .. }, _) => {
            return with_notice(flow, Notice::new(ErrorCode::InvalidInput))
        }
        (kind, None) if kind.can_switch() => {}
        _ => return with_notice(flow, Notice::new(ErrorCode::SwitchUnavailable)),
    }
    let call = app.client.request_checkpoint(&intent_id, challenge);
    match timed(app, "request_checkpoint", call).await {
        Ok(result) => advance(app, provider, flow, result).await,
        Err(err) => {
            let notice = notice_for(&app.metrics, &err, provider.id, "request_checkpoint");
            match notice.code.next_step() {
                NextStep::Restart => back_to_form(provider, flow.form, Some(notice)),
                _ if challenge.is_none() => with_notice(
                    flow,
                    Notice {
                        code: ErrorCode::SwitchUnavailable,
                        ..notice
                    },
                ),
                _ => with_notice(flow, notice),
            }
        }
    }
}

/// The contract chosen on a contract-selection screen.
pub async fn choose_contract(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
    contract: &str,
) -> FlowState {
    let offered = matches!(
        &flow.step,
        FlowStep::Checkpoint(CheckpointView { kind: CheckpointKind::ContractSelection { options }, .. })
            if options.iter().any(|o| o.id == contract)
    );
    if !offered {
        return match open_checkpoint(app, provider, flow) {
            Ok((flow, ..)) => with_notice(flow, Notice::new(ErrorCode::InvalidInput)),
            Err(state) => state,
        };
    }
    solve(app, provider, flow, &Secret::from(contract.to_owned())).await
}

/// The products ticked on a consent screen: at least one, each one offered. They are sent in the order the
/// screen showed them, whatever order the browser posted them in.
pub async fn choose_products(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
    chosen: &[String],
) -> FlowState {
    let code = match &flow.step {
        FlowStep::Checkpoint(CheckpointView {
            kind: CheckpointKind::Consent { options },
            ..
        }) if chosen.iter().all(|id| options.iter().any(|o| o.id == *id)) => unipile::consent_code(
            options
                .iter()
                .filter(|o| chosen.contains(&o.id))
                .map(|o| o.id.as_str()),
        ),
        _ => String::new(),
    };
    let refusal = if chosen.is_empty() {
        ErrorCode::NoProductChosen
    } else {
        ErrorCode::InvalidInput
    };
    if code.is_empty() {
        return match open_checkpoint(app, provider, flow) {
            Ok((flow, ..)) => with_notice(flow, Notice::new(refusal)),
            Err(state) => state,
        };
    }
    solve(app, provider, flow, &Secret::from(code)).await
}

/// What the page shows for `flow` now: an open checkpoint past its lifetime becomes "expired"; a linked
/// account is shown for a checkpoint's lifetime after it was linked, then the form is empty again.
pub fn current_step(
    app: &AppState,
    provider: &'static Provider,
    flow: Option<FlowState>,
) -> FlowStep {
    match flow {
        Some(flow) if flow.provider == provider.id => match &flow.step {
            FlowStep::Checkpoint(_) if flow.expires_at_ms <= app.clock.now_ms() => {
                FlowStep::Form(FormState {
                    form: flow.form,
                    notice: Some(Notice::new(ErrorCode::Expired)),
                    ..FormState::default()
                })
            }
            FlowStep::Checkpoint(_) => refresh_view(app, flow).step,
            FlowStep::Connected(_) if flow.expires_at_ms <= app.clock.now_ms() => {
                FlowStep::Form(FormState::default())
            }
            _ => flow.step,
        },
        _ => FlowStep::Form(FormState::default()),
    }
}

/// The state after the form's typed values are handed over ahead of a page load (another language, another
/// sign-in method), so the page drawn next shows them again. A field marked for correction stays marked
/// while it holds the value that was refused. `None` when the flow is past its form: the page shows a
/// checkpoint or the linked account, and there is nothing typed to keep.
pub fn keep_typed(
    app: &AppState,
    provider: &'static Provider,
    flow: Option<FlowState>,
    typed: FormValues,
) -> Option<FlowState> {
    let at_form = flow
        .as_ref()
        .is_some_and(|f| matches!(f.step, FlowStep::Form(_)));
    let FlowStep::Form(mut shown) = current_step(app, provider, flow.clone()) else {
        return None;
    };
    let before = &shown.form.values;
    shown
        .errors
        .retain(|e| before.get(&e.field) == typed.values.get(&e.field));
    let corrected = shown.errors.is_empty()
        && shown
            .notice
            .as_ref()
            .is_some_and(|n| n.code == ErrorCode::InvalidInput);
    if corrected {
        shown.notice = None;
    }
    match flow {
        // The attempt keeps its id, so a form of it open in another tab still counts.
        Some(mut state) if at_form => {
            shown.form = typed.clone();
            state.form = typed;
            state.step = FlowStep::Form(shown);
            Some(state)
        }
        // No flow yet, or an expired checkpoint that the page shows as the form again.
        _ => {
            let mut state = back_to_form(provider, typed, shown.notice);
            if let FlowStep::Form(form) = &mut state.step {
                form.errors = shown.errors;
            }
            Some(state)
        }
    }
}

/// Recomputes the parts of the checkpoint view that follow from the state and the settings.
fn refresh_view(app: &AppState, mut flow: FlowState) -> FlowState {
    let attempts = attempts_left(app, flow.wrong_codes);
    let resend_at = flow.code_sent_at_ms + app.settings.resend_cooldown().as_millis() as u64;
    if let FlowStep::Checkpoint(view) = &mut flow.step {
        view.attempts_left = attempts;
        view.expires_at_ms = flow.expires_at_ms;
        view.resend_at_ms = view.kind.can_resend().then_some(resend_at);
        view.can_switch = view.kind.can_switch();
        view.flow_id = flow.flow_id.clone();
    }
    flow
}

fn attempts_left(app: &AppState, wrong_codes: u8) -> u8 {
    app.settings
        .flow
        .max_code_attempts
        .saturating_sub(wrong_codes)
}

fn is_type(err: &UnipileError, kind: &ErrorType) -> bool {
    matches!(err, UnipileError::Api(api) if &api.kind == kind)
}

/// A refusal while a checkpoint is open: a wrong code keeps the checkpoint (until too many), an expired
/// intent restarts, anything else is reported on the checkpoint or the form as the error table says.
async fn refused_on_checkpoint(
    app: &AppState,
    provider: &'static Provider,
    mut flow: FlowState,
    err: &UnipileError,
    operation: &'static str,
) -> FlowState {
    let mut notice = notice_for(&app.metrics, err, provider.id, operation);
    let FlowStep::Checkpoint(view) = &flow.step else {
        return back_to_form(provider, flow.form, Some(notice));
    };
    if notice.code == ErrorCode::InvalidCode {
        // Counted on the record: the count a replayed cookie carries is not the one that decides.
        match app.store.wrong_code(&flow.flow_id).await {
            Ok(count) => flow.wrong_codes = u8::try_from(count).unwrap_or(u8::MAX),
            Err(e) => return refresh_view(app, with_notice(flow, store_unavailable(app, &e))),
        }
        if flow.wrong_codes >= app.settings.flow.max_code_attempts {
            tracing::info!(
                provider = provider.id,
                "attempt stopped after too many wrong codes"
            );
            app.metrics
                .refused(provider.id, ErrorCode::TooManyWrongCodes);
            return back_to_form(
                provider,
                flow.form,
                Some(Notice::new(ErrorCode::TooManyWrongCodes)),
            );
        }
    }
    if notice.code == ErrorCode::InvalidDetails {
        match view.kind {
            CheckpointKind::PhoneRegister => notice = Notice::new(ErrorCode::InvalidPhone),
            CheckpointKind::Code { .. } | CheckpointKind::CodeOrInApp { .. } => {
                notice = Notice::new(ErrorCode::InvalidCode)
            }
            _ => {}
        }
    }
    match notice.code.next_step() {
        NextStep::StayOnCheckpoint | NextStep::TryLater => {
            refresh_view(app, with_notice(flow, notice))
        }
        NextStep::StayOnForm | NextStep::Restart => back_to_form(provider, flow.form, Some(notice)),
    }
}

/// Moves the flow on after a successful answer from Unipile, and its record with it: a new checkpoint
/// starts its own count of wrong codes and its own resend cooldown; a linked account finishes the flow.
async fn advance(
    app: &AppState,
    provider: &'static Provider,
    flow: FlowState,
    result: AuthResult,
) -> FlowState {
    let sent_before = flow.code_sent_at_ms;
    let next = advance_view(app, provider, flow, result);
    let recorded = match &next.step {
        FlowStep::Connected(_) => app.store.finish(&next.flow_id).await,
        FlowStep::Checkpoint(_) if next.code_sent_at_ms != sent_before => {
            app.store
                .new_step(&next.flow_id, next.code_sent_at_ms)
                .await
        }
        _ => Ok(()),
    };
    if let Err(e) = recorded {
        tracing::warn!(provider = provider.id, store = app.store.name(), cause = %e, "flow record not updated");
    }
    announce(app, provider, &next).await;
    next
}

/// Tells the host's backend of an account linked in `flow` (nothing for any other step).
async fn announce(app: &AppState, provider: &'static Provider, flow: &FlowState) {
    if let FlowStep::Connected(account) = &flow.step {
        let linked = super::notify::Linked {
            flow_id: &flow.flow_id,
            account_id: &account.id,
            provider: provider.id,
            state: flow.form.state.as_deref(),
            reconnected: flow.form.account_id.is_some(),
        };
        app.notifier.linked(&app.metrics, linked).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_sent_without_their_trunk_prefix() {
        for (cc, number, sent) in [
            ("+44", "07700 900123", "(+44)7700900123"),
            ("44", "7700-900123", "(+44)7700900123"),
            ("+44", "(0)7400 123456", "(+44)7400123456"),
            ("+44", "020 7946 0958", "(+44)2079460958"),
            ("+33", "06 12 34 56 78", "(+33)612345678"),
            (" +33 ", "6.12.34.56.78", "(+33)612345678"),
            ("+1", "(201) 555-0123", "(+1)2015550123"),
            ("+1", "1 201 555 0123", "(+1)2015550123"),
            ("+7", "8 912 345 67 89", "(+7)9123456789"),
            ("+49", "0151 23456789", "(+49)15123456789"),
            // In Italy the leading zero is part of the number, not a trunk prefix.
            ("+39", "06 1234 5678", "(+39)0612345678"),
        ] {
            assert_eq!(
                format_phone(cc, number).as_deref(),
                Some(sent),
                "{cc} {number}"
            );
        }
    }

    #[test]
    fn numbers_that_cannot_exist_for_the_country_are_refused() {
        for (cc, number) in [
            ("", "612345678"),
            ("x", "612345678"),
            ("+", "612345678"),
            ("+0", "612345678"),
            ("+1234", "612345678"),
            // No country has these codes.
            ("+999", "612345678"),
            ("+33", ""),
            ("+33", "12"),
            ("+33", "6123abc"),
            ("+33", "06 12 34 56 78 9"),
            ("+33", "06 12 34 56 78 ext 12"),
            ("+33", "+33 6 12 34 56 78"),
            // The number of one country under the code of another.
            ("+44", "06 12 34 56 78"),
            ("+33", "07700 900123"),
            ("+44", "07700 9001"),
            // 555 is no US area code.
            ("+1", "(555) 010-4477"),
        ] {
            assert_eq!(format_phone(cc, number), None, "{cc} {number}");
        }
    }

    #[test]
    fn checkpoint_kinds_say_where_the_code_comes_from() {
        let kind = |c: Checkpoint| checkpoint_kind(&c);
        assert_eq!(
            kind(Checkpoint::TwoFactor {
                platform: TwoFactorPlatform::Sms
            }),
            CheckpointKind::Code {
                source: CodeSource::Sms
            }
        );
        assert_eq!(
            kind(Checkpoint::TwoFactor {
                platform: TwoFactorPlatform::App
            }),
            CheckpointKind::Code {
                source: CodeSource::AuthenticatorApp
            }
        );
        assert_eq!(
            kind(Checkpoint::Otp {
                channel: Some(Channel::Email)
            }),
            CheckpointKind::Code {
                source: CodeSource::Email
            }
        );
        assert_eq!(
            kind(Checkpoint::PhoneRegister),
            CheckpointKind::PhoneRegister
        );
        assert_eq!(kind(Checkpoint::InAppValidation), CheckpointKind::InApp);
        assert_eq!(
            kind(Checkpoint::Captcha {
                public_key: Some("pk".into()),
                data: Some("d\"'</script>".into())
            }),
            CheckpointKind::Captcha {
                public_key: "pk".into(),
                data: "d\"'</script>".into()
            }
        );
        // Without a key there is no challenge to draw.
        assert_eq!(
            kind(Checkpoint::Captcha {
                public_key: None,
                data: Some("d".into())
            }),
            CheckpointKind::Unsupported {
                type_name: "CAPTCHA".into()
            }
        );
        assert_eq!(kind(Checkpoint::Loading), CheckpointKind::Loading);
        assert_eq!(
            kind(Checkpoint::OtpOrInAppValidation {
                channel: Some(Channel::Sms)
            }),
            CheckpointKind::CodeOrInApp {
                source: CodeSource::Sms
            }
        );
        assert_eq!(
            kind(Checkpoint::Unknown {
                kind: "FACE_SCAN".into()
            }),
            CheckpointKind::Unsupported {
                type_name: "FACE_SCAN".into()
            }
        );
    }

    #[test]
    fn consent_screens_and_pairing_codes_get_their_screens_when_they_can_be_completed() {
        let products = vec![
            unipile::Product {
                id: "classic".into(),
                display_name: "LinkedIn".into(),
            },
            unipile::Product {
                id: "sales_navigator".into(),
                display_name: "Sales Navigator".into(),
            },
        ];
        let consent = checkpoint_kind(&Checkpoint::ConsentScreen { products });
        let CheckpointKind::Consent { options } = &consent else {
            panic!("not a consent screen: {consent:?}");
        };
        let shown: Vec<(&str, &str)> = options
            .iter()
            .map(|o| (o.id.as_str(), o.label.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("classic", "LinkedIn"),
                ("sales_navigator", "Sales Navigator")
            ]
        );
        assert!(!consent.waits() && !consent.can_switch() && !consent.can_resend());

        let pairing = checkpoint_kind(&Checkpoint::PairingCode {
            code: unipile::PairingCode::new("K7QF-3XN9"),
        });
        assert_eq!(
            pairing,
            CheckpointKind::PairingCode {
                code: Secret::from("K7QF-3XN9".to_owned())
            }
        );
        // It completes by waiting, as an approval in the app does; the code never prints.
        assert!(pairing.waits() && !pairing.can_switch() && !pairing.can_resend());
        assert!(!format!("{pairing:?}").contains("K7QF"));

        for (checkpoint, type_name) in [
            (
                Checkpoint::ConsentScreen {
                    products: Vec::new(),
                },
                "CONSENT_SCREEN",
            ),
            (
                Checkpoint::PairingCode {
                    code: unipile::PairingCode::new(" "),
                },
                "PAIRING_CODE",
            ),
        ] {
            assert_eq!(
                checkpoint_kind(&checkpoint),
                CheckpointKind::Unsupported {
                    type_name: type_name.into()
                }
            );
        }
    }

    #[test]
    fn what_each_checkpoint_offers() {
        assert!(CheckpointKind::Code {
            source: CodeSource::Sms
        }
        .can_resend());
        assert!(!CheckpointKind::Code {
            source: CodeSource::AuthenticatorApp
        }
        .can_resend());
        assert!(CheckpointKind::InApp.waits() && CheckpointKind::Loading.waits());
        assert!(!CheckpointKind::PhoneRegister.can_switch());
        assert!(CheckpointKind::InApp.can_switch());
    }
}
