//! From Unipile's answers to the screens: the next state for an account or a checkpoint, the kind of
//! screen a checkpoint gets, and the phone number as Unipile takes it.

use super::*;

/// The state after a successful answer from Unipile.
pub(super) fn advance_view(
    app: &AppState,
    provider: &'static Provider,
    mut flow: FlowState,
    result: AuthResult,
) -> FlowState {
    match result {
        AuthResult::Account(account) => {
            tracing::info!(provider = provider.id, account_id = %account.id, "account linked");
            app.metrics.linked(provider.id);
            flow.intent_id = None;
            // Signed when NOTIFY_SECRET is set, so the host can trust what the browser brings back.
            let continue_url = flow.form.success_url.as_deref().map(|url| {
                app.notifier.return_link(
                    url,
                    &[
                        ("account_id", Some(account.id.as_str())),
                        ("provider", Some(provider.id)),
                        ("state", flow.form.state.as_deref()),
                    ],
                )
            });
            flow.step = FlowStep::Connected(AccountSummary {
                id: account.id,
                name: account.name,
                continue_url,
                state: flow.form.state.clone(),
                flow_id: flow.flow_id.clone(),
            });
            // A reload of the page's address shows the linked account this long, then an empty form.
            flow.expires_at_ms =
                app.clock.now_ms() + app.settings.checkpoint_lifetime().as_millis() as u64;
            flow
        }
        AuthResult::Checkpoint {
            intent_id,
            checkpoint,
        } => {
            let kind = checkpoint_kind(&checkpoint);
            tracing::info!(
                provider = provider.id,
                checkpoint_type = checkpoint.type_name(),
                "checkpoint"
            );
            if let CheckpointKind::Unsupported { type_name } = &kind {
                tracing::warn!(provider = provider.id, checkpoint_type = %type_name, "checkpoint type not supported");
            }
            let same_step = matches!(&flow.step, FlowStep::Checkpoint(view) if view.kind == kind);
            if !same_step {
                app.metrics.checkpoint(provider.id, checkpoint.type_name());
                flow.wrong_codes = 0;
                flow.code_sent_at_ms = app.clock.now_ms();
            }
            flow.intent_id = Some(intent_id);
            flow.step = FlowStep::Checkpoint(CheckpointView {
                kind,
                notice: None,
                confirmation: None,
                attempts_left: 0,
                expires_at_ms: 0,
                resend_at_ms: None,
                can_switch: false,
                flow_id: String::new(),
                phone: None,
            });
            refresh_view(app, flow)
        }
        AuthResult::QrCode { .. } | AuthResult::OauthUrl { .. } | AuthResult::Unknown { .. } => {
            let object = match &result {
                AuthResult::QrCode { .. } => "AuthenticationQrCode",
                AuthResult::OauthUrl { .. } => "OauthUrl",
                AuthResult::Unknown { object } => object.as_str(),
                AuthResult::Account(_) | AuthResult::Checkpoint { .. } => "",
            };
            tracing::error!(
                provider = provider.id,
                object,
                "answer not part of the credentials flow"
            );
            let notice = Notice {
                code: ErrorCode::ServiceUnavailable,
                support_ref: Some(crate::server::errors::local_reference()),
            };
            back_to_form(provider, flow.form, Some(notice))
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
        Checkpoint::Otp { channel } => CheckpointKind::Code {
            source: channel_source(channel),
        },
        Checkpoint::PhoneRegister => CheckpointKind::PhoneRegister,
        Checkpoint::Captcha {
            public_key: Some(public_key),
            data,
        } if !public_key.is_empty() => CheckpointKind::Captcha {
            public_key: public_key.clone(),
            data: data.clone().unwrap_or_default(),
        },
        Checkpoint::InAppValidation => CheckpointKind::InApp,
        Checkpoint::OtpOrInAppValidation { channel } => CheckpointKind::CodeOrInApp {
            source: channel_source(channel),
        },
        Checkpoint::ChallengeSelection { challenges } => CheckpointKind::ChallengeSelection {
            options: challenges
                .iter()
                .map(|c| Choice {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    detail: c.description.clone(),
                })
                .collect(),
        },
        Checkpoint::ContractSelection { contracts } => CheckpointKind::ContractSelection {
            options: contracts
                .iter()
                .map(|c| Choice {
                    id: c.id.clone(),
                    label: c.name.clone(),
                    detail: None,
                })
                .collect(),
        },
        Checkpoint::Loading => CheckpointKind::Loading,
        // With nothing to choose or nothing to show, the step cannot be completed here.
        Checkpoint::ConsentScreen { products } if !products.is_empty() => CheckpointKind::Consent {
            options: products
                .iter()
                .map(|p| Choice {
                    id: p.id.clone(),
                    label: p.display_name.clone(),
                    detail: None,
                })
                .collect(),
        },
        Checkpoint::PairingCode { code } if !code.expose().trim().is_empty() => {
            CheckpointKind::PairingCode {
                code: Secret::from(code.expose().to_owned()),
            }
        }
        other => CheckpointKind::Unsupported {
            type_name: other.type_name().to_owned(),
        },
    }
}

/// Reads a phone number typed as a country code and the number as it is dialled in that country, and
/// writes it as the contract expects: `(+44)7700900123`, the national number without its trunk prefix (the
/// `0` of `07700 900123`, the `1` of `1 201 555 0123`). `None` when no such number can exist there.
pub fn format_phone(country_code: &str, number: &str) -> Option<String> {
    use phonenumber::{country, metadata::DATABASE};
    let cc = country_code.trim();
    let cc = cc.strip_prefix('+').unwrap_or(cc);
    if cc.is_empty()
        || cc.len() > 3
        || cc.starts_with('0')
        || !cc.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Digits and the separators people write; letters or an extension are not a number to send a code to.
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return None;
    }
    let code: u16 = cc.parse().ok()?;
    // The country that owns the code gives the trunk prefix to drop (+1: the United States, +44: the UK).
    let regions = DATABASE.by_code(&code)?;
    let region = regions
        .iter()
        .find(|m| m.is_main_country_for_code())
        .or(regions.first())?;
    let region: country::Id = region.id().parse().ok()?;
    let parsed = phonenumber::parse(Some(region), number).ok()?;
    if parsed.code().value() != code {
        return None;
    }
    // Italian-style leading zeros belong to the number and are kept.
    let national = parsed.national().to_string();
    (parsed.is_valid() || reserved_for_drama(code, &national))
        .then(|| format!("(+{code}){national}"))
}

/// Ofcom keeps 07700 900000–900999 for drama and examples. libphonenumber calls them invalid, as they are
/// never assigned, but they are the UK's example mobile numbers, the ones people type to try the flow.
pub(super) fn reserved_for_drama(code: u16, national: &str) -> bool {
    code == 44 && national.len() == 10 && national.starts_with("7700900")
}
