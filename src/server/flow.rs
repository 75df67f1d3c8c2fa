//! The flow service: one function per user action, each taking the current [`FlowState`] (from the cookie)
//! and returning the next one. Server functions stay thin around these.

use super::{errors::notice_for, session::FlowState, state::AppState};
use crate::{
    catalogue::{CredentialShape, Provider},
    error::{ErrorCode, NextStep, Notice},
    model::{AccountSummary, CheckpointKind, CheckpointView, CodeSource, FlowStep, FormState, Secret},
};
use secrecy::SecretString;
use std::time::{SystemTime, UNIX_EPOCH};
use unipile::{AuthResult, Channel, Checkpoint, Credentials, ErrorType, StartAuthIntent, TwoFactorPlatform, UnipileError};

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The form again, with a notice and the username kept.
pub fn back_to_form(provider: &Provider, username: String, notice: Option<Notice>) -> FlowState {
    FlowState {
        provider: provider.id.to_owned(),
        intent_id: None,
        step: FlowStep::Form(FormState { username: username.clone(), notice }),
        username,
        wrong_codes: 0,
        expires_at_ms: 0,
    }
}

/// Starts a sign-in with the credentials of the provider form.
#[tracing::instrument(skip_all, fields(provider = provider.id))]
pub async fn start(app: &AppState, provider: &'static Provider, username: String, password: &Secret) -> FlowState {
    let credentials = match provider.shape {
        CredentialShape::UsernamePassword => Credentials::Basic {
            username: username.clone(),
            password: SecretString::from(password.expose().to_owned()),
            user_agent: None,
        },
        CredentialShape::MailboxPassword => Credentials::ImapBasic {
            user: username.clone(),
            password: SecretString::from(password.expose().to_owned()),
        },
    };
    let body = StartAuthIntent {
        provider: app.settings.unipile_provider_id(provider),
        account_id: None,
        state: None,
        user_timezone: None,
        credentials,
        config: None,
    };
    let started = FlowState {
        provider: provider.id.to_owned(),
        intent_id: None,
        username: username.clone(),
        step: FlowStep::Form(FormState { username: username.clone(), notice: None }),
        wrong_codes: 0,
        expires_at_ms: now_ms() + app.settings.checkpoint_lifetime().as_millis() as u64,
    };
    match app.client.start_auth_intent(&body).await {
        Ok(result) => advance(app, provider, started, result),
        Err(err) => {
            let mut notice = notice_for(&err, provider.id, "start_auth_intent");
            if provider.shape == CredentialShape::MailboxPassword && is_type(&err, &ErrorType::ApiInvalidParameters) {
                notice.code = ErrorCode::ImapAutodetectFailed;
            }
            back_to_form(provider, username, Some(notice))
        }
    }
}

/// Sends a code (or phone number) for the open checkpoint.
#[tracing::instrument(skip_all, fields(provider = provider.id))]
pub async fn solve(app: &AppState, provider: &'static Provider, flow: FlowState, code: &Secret) -> FlowState {
    let Some(intent_id) = flow.intent_id.clone() else {
        return back_to_form(provider, flow.username, Some(Notice::new(ErrorCode::NoFlow)));
    };
    if flow.expires_at_ms <= now_ms() {
        return back_to_form(provider, flow.username, Some(Notice::new(ErrorCode::Expired)));
    }
    match app.client.solve_checkpoint(&intent_id, code.expose(), None).await {
        Ok(result) => advance(app, provider, flow, result),
        Err(err) => refused_on_checkpoint(app, provider, flow, &err, "solve_checkpoint"),
    }
}

/// What the page shows for `flow` now: an open checkpoint past its lifetime becomes "expired".
pub fn current_step(app: &AppState, provider: &'static Provider, flow: Option<FlowState>) -> FlowStep {
    match flow {
        Some(flow) if flow.provider == provider.id => match flow.step {
            FlowStep::Checkpoint(_) if flow.expires_at_ms <= now_ms() => FlowStep::Form(FormState {
                username: flow.username,
                notice: Some(Notice::new(ErrorCode::Expired)),
            }),
            FlowStep::Checkpoint(mut view) => {
                view.attempts_left = attempts_left(app, flow.wrong_codes);
                FlowStep::Checkpoint(view)
            }
            step => step,
        },
        _ => FlowStep::Form(FormState::default()),
    }
}

fn attempts_left(app: &AppState, wrong_codes: u8) -> u8 {
    app.settings.flow.max_code_attempts.saturating_sub(wrong_codes)
}

fn is_type(err: &UnipileError, kind: &ErrorType) -> bool {
    matches!(err, UnipileError::Api(api) if &api.kind == kind)
}

/// A refusal while a checkpoint is open: a wrong code keeps the checkpoint (until too many), an expired
/// intent restarts, anything else is reported on the checkpoint or the form as the error table says.
fn refused_on_checkpoint(
    app: &AppState,
    provider: &'static Provider,
    mut flow: FlowState,
    err: &UnipileError,
    operation: &'static str,
) -> FlowState {
    let mut notice = notice_for(err, provider.id, operation);
    let FlowStep::Checkpoint(view) = &flow.step else {
        return back_to_form(provider, flow.username, Some(notice));
    };
    if notice.code == ErrorCode::InvalidCode {
        flow.wrong_codes = flow.wrong_codes.saturating_add(1);
        if flow.wrong_codes >= app.settings.flow.max_code_attempts {
            tracing::info!(provider = provider.id, "attempt stopped after too many wrong codes");
            return back_to_form(provider, flow.username, Some(Notice::new(ErrorCode::TooManyWrongCodes)));
        }
    }
    if view.kind == CheckpointKind::PhoneRegister && notice.code == ErrorCode::InvalidDetails {
        notice = Notice::new(ErrorCode::InvalidPhone);
    }
    match notice.code.next_step() {
        NextStep::StayOnCheckpoint | NextStep::TryLater => {
            let mut view = view.clone();
            view.notice = Some(notice);
            view.attempts_left = attempts_left(app, flow.wrong_codes);
            flow.step = FlowStep::Checkpoint(view);
            flow
        }
        NextStep::StayOnForm | NextStep::Restart => back_to_form(provider, flow.username, Some(notice)),
    }
}

/// Moves the flow on after a successful answer from Unipile.
fn advance(app: &AppState, provider: &'static Provider, mut flow: FlowState, result: AuthResult) -> FlowState {
    match result {
        AuthResult::Account(account) => {
            tracing::info!(provider = provider.id, account_id = %account.id, "account linked");
            flow.intent_id = None;
            flow.step = FlowStep::Connected(AccountSummary { id: account.id, name: account.name });
            flow
        }
        AuthResult::Checkpoint { intent_id, checkpoint } => {
            let kind = checkpoint_kind(&checkpoint);
            if let CheckpointKind::Unsupported { type_name } = &kind {
                tracing::warn!(provider = provider.id, checkpoint_type = %type_name, "checkpoint type not supported");
            }
            let same_step = matches!(&flow.step, FlowStep::Checkpoint(view) if view.kind == kind);
            if !same_step {
                flow.wrong_codes = 0;
            }
            flow.intent_id = Some(intent_id);
            flow.step = FlowStep::Checkpoint(CheckpointView {
                kind,
                notice: None,
                attempts_left: attempts_left(app, flow.wrong_codes),
                expires_at_ms: flow.expires_at_ms,
            });
            flow
        }
        AuthResult::QrCode { .. } | AuthResult::OauthUrl { .. } | AuthResult::Unknown { .. } => {
            let object = match &result {
                AuthResult::QrCode { .. } => "AuthenticationQrCode",
                AuthResult::OauthUrl { .. } => "OauthUrl",
                AuthResult::Unknown { object } => object.as_str(),
                _ => "",
            };
            tracing::error!(provider = provider.id, object, "answer not part of the credentials flow");
            let notice = Notice { code: ErrorCode::ServiceUnavailable, support_ref: Some(super::errors::local_reference()) };
            back_to_form(provider, flow.username, Some(notice))
        }
    }
}

pub fn checkpoint_kind(checkpoint: &Checkpoint) -> CheckpointKind {
    let channel_source = |channel: &Option<Channel>| match channel {
        Some(Channel::Email) => CodeSource::Email,
        Some(Channel::Sms) => CodeSource::Sms,
        Some(Channel::Whatsapp) => CodeSource::WhatsApp,
        Some(Channel::Other(_)) | None => CodeSource::Unspecified,
    };
    match checkpoint {
        Checkpoint::TwoFactor { platform } => CheckpointKind::Code {
            source: match platform {
                TwoFactorPlatform::Sms => CodeSource::Sms,
                TwoFactorPlatform::App => CodeSource::AuthenticatorApp,
                TwoFactorPlatform::Whatsapp => CodeSource::WhatsApp,
                TwoFactorPlatform::Other(_) => CodeSource::Unspecified,
            },
        },
        Checkpoint::Otp { channel } => CheckpointKind::Code { source: channel_source(channel) },
        Checkpoint::PhoneRegister => CheckpointKind::PhoneRegister,
        Checkpoint::Captcha { public_key: Some(public_key), data } if !public_key.is_empty() => {
            CheckpointKind::Captcha { public_key: public_key.clone(), data: data.clone().unwrap_or_default() }
        }
        other => CheckpointKind::Unsupported { type_name: other.type_name().to_owned() },
    }
}

/// Validates a phone number typed as country code + number and writes it as the contract expects:
/// `(+33)612345678`.
pub fn format_phone(country_code: &str, number: &str) -> Option<String> {
    let cc = country_code.trim().trim_start_matches('+');
    if cc.is_empty() || cc.len() > 4 || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = String::with_capacity(number.len());
    for c in number.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    if !(4..=15).contains(&digits.len()) {
        return None;
    }
    Some(format!("(+{cc}){digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_take_the_contract_format() {
        assert_eq!(format_phone("+33", "6 12 34 56 78").as_deref(), Some("(+33)612345678"));
        assert_eq!(format_phone("44", "07700-900123").as_deref(), Some("(+44)07700900123"));
        assert_eq!(format_phone("+1", "(555) 010.4477").as_deref(), Some("(+1)5550104477"));
        for (cc, number) in [("", "612345678"), ("+33", "12"), ("+33", "6123abc"), ("+12345", "612345678"), ("x", "612345678")] {
            assert_eq!(format_phone(cc, number), None, "{cc} {number}");
        }
    }

    #[test]
    fn checkpoint_kinds_say_where_the_code_comes_from() {
        let kind = |c: Checkpoint| checkpoint_kind(&c);
        assert_eq!(kind(Checkpoint::TwoFactor { platform: TwoFactorPlatform::Sms }), CheckpointKind::Code { source: CodeSource::Sms });
        assert_eq!(
            kind(Checkpoint::TwoFactor { platform: TwoFactorPlatform::App }),
            CheckpointKind::Code { source: CodeSource::AuthenticatorApp }
        );
        assert_eq!(kind(Checkpoint::Otp { channel: Some(Channel::Email) }), CheckpointKind::Code { source: CodeSource::Email });
        assert_eq!(kind(Checkpoint::PhoneRegister), CheckpointKind::PhoneRegister);
        assert_eq!(
            kind(Checkpoint::Captcha { public_key: Some("pk".into()), data: Some("d\"'</script>".into()) }),
            CheckpointKind::Captcha { public_key: "pk".into(), data: "d\"'</script>".into() }
        );
        assert_eq!(
            kind(Checkpoint::Captcha { public_key: Some("pk".into()), data: None }),
            CheckpointKind::Captcha { public_key: "pk".into(), data: String::new() }
        );
        // Without a key there is no challenge to draw.
        assert_eq!(
            kind(Checkpoint::Captcha { public_key: None, data: Some("d".into()) }),
            CheckpointKind::Unsupported { type_name: "CAPTCHA".into() }
        );
        assert_eq!(
            kind(Checkpoint::Unknown { kind: "FACE_SCAN".into() }),
            CheckpointKind::Unsupported { type_name: "FACE_SCAN".into() }
        );
    }
}
