//! Types the server and the browser share. None of them carries an `intent_id`, an API key or a raw
//! Unipile body: the browser only ever sees what it needs to draw the current step.

use crate::{error::Notice, i18n::Locale, text::fill};
use leptos_i18n::td_string;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};

/// The query parameter of a flow page that names the finished step it draws: a reload of that address draws
/// it again, any other visit starts afresh (see `server::request::RequestCx::page_flow`).
pub const FLOW_PARAM: &str = "flow";

/// Where the user is in the flow for one provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FlowStep {
    /// The provider form, possibly after a refusal.
    Form(FormState),
    /// A step the user must complete before the account is linked.
    Checkpoint(CheckpointView),
    /// Linked.
    Connected(AccountSummary),
}

impl FlowStep {
    /// The same step with `notice` shown on it (a finished step has nowhere to show one).
    pub fn with_notice(mut self, notice: Notice) -> FlowStep {
        match &mut self {
            FlowStep::Form(form) => form.notice = Some(notice),
            FlowStep::Checkpoint(view) => view.notice = Some(notice),
            FlowStep::Connected(_) => {}
        }
        self
    }

    /// The attempt the step belongs to, as a page address names it (`flow=…`); empty for a form of no
    /// attempt.
    pub fn flow_id(&self) -> &str {
        match self {
            FlowStep::Form(form) => &form.flow_id,
            FlowStep::Checkpoint(view) => &view.flow_id,
            FlowStep::Connected(account) => &account.flow_id,
        }
    }

    /// The notice shown with the step, if any.
    pub fn notice(&self) -> Option<&Notice> {
        match self {
            FlowStep::Form(form) => form.notice.as_ref(),
            FlowStep::Checkpoint(view) => view.notice.as_ref(),
            FlowStep::Connected(_) => None,
        }
    }
}

/// The provider form as it is drawn: what the user typed last time (never a secret), a notice, and the
/// fields that need correcting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    pub form: FormValues,
    pub notice: Option<Notice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The attempt this form belongs to, when the browser's flow holds it: a page address naming it draws
    /// it again (a reload shows the same form, what was typed and the notice included).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flow_id: String,
}

/// The non-secret part of a sign-in form, kept so the form can be refilled after a refusal or an expiry.
/// Passwords, cookies and proxy passwords are never in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormValues {
    /// The catalogue id of the sign-in method; empty means the provider's first method.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// Field name → value, for the fields of the catalogue that are not secret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// The account being reconnected (`acc_…`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The host application's opaque `state`, passed through to Unipile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Redirect mode: where the browser goes when the account is linked, or when the user gives up
    /// (URLs of `embed.allowed_origins`, checked on arrival).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_url: Option<String>,
}

impl FormValues {
    /// The kept value of `field`, or "".
    pub fn get(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }
}

/// A field of the form that needs correcting, and why. Never carries the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub problem: FieldProblem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldProblem {
    Required,
    TooLong,
    NotEmail,
    NotHost,
    NotPort,
    NotToken,
    NotPrintable,
    NotAChoice,
    /// A server section that is only partly filled in (IMAP without SMTP, a proxy without a port…).
    NeededWithOthers,
}

impl FieldProblem {
    /// What is wrong and how to fix it; `label` is the field's label.
    pub fn message(self, locale: Locale, label: &str) -> String {
        let text = match self {
            FieldProblem::Required => td_string!(locale, problems.required),
            FieldProblem::TooLong => td_string!(locale, problems.too_long),
            FieldProblem::NotEmail => td_string!(locale, problems.not_email),
            FieldProblem::NotHost => td_string!(locale, problems.not_host),
            FieldProblem::NotPort => td_string!(locale, problems.not_port),
            FieldProblem::NotToken => td_string!(locale, problems.not_token),
            FieldProblem::NotPrintable => td_string!(locale, problems.not_printable),
            FieldProblem::NotAChoice => td_string!(locale, problems.not_a_choice),
            FieldProblem::NeededWithOthers => td_string!(locale, problems.needed_with_others),
        };
        fill(text, &[("label", label)])
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointView {
    pub kind: CheckpointKind,
    pub notice: Option<Notice>,
    /// Something that worked and deserves a word ("A new code was sent").
    pub confirmation: Option<Confirmation>,
    /// Wrong codes the user may still enter before the attempt is stopped.
    pub attempts_left: u8,
    /// When this attempt expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// When "Resend code" may be used next (ms since the epoch); `None` where nothing can be resent.
    pub resend_at_ms: Option<u64>,
    /// Whether "Try another way" is offered.
    pub can_switch: bool,
    /// Identifies this attempt, so a form left open in another tab cannot act on a newer attempt.
    pub flow_id: String,
    /// Phone registration: the number last sent, shown again when it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<TypedPhone>,
}

/// A phone number as typed on the phone-registration step, so a refused number is corrected rather than
/// typed again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedPhone {
    pub country_code: String,
    pub number: String,
}

impl TypedPhone {
    /// The longest values the form takes.
    pub const COUNTRY_CODE_MAX: usize = 5;
    pub const NUMBER_MAX: usize = 24;

    /// What was typed, or `None` when it is longer than the form allows (only a forged post is).
    pub fn new(country_code: &str, number: &str) -> Option<TypedPhone> {
        let fits = country_code.chars().count() <= Self::COUNTRY_CODE_MAX
            && number.chars().count() <= Self::NUMBER_MAX;
        fits.then(|| TypedPhone {
            country_code: country_code.trim().to_owned(),
            number: number.trim().to_owned(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confirmation {
    CodeResent,
}

impl Confirmation {
    pub fn message(self, locale: Locale) -> &'static str {
        match self {
            Confirmation::CodeResent => td_string!(locale, checkpoint.resent),
        }
    }
}

/// The checkpoint screens the app knows how to draw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckpointKind {
    /// A code the user types (2FA or OTP); `source` says where it comes from.
    Code { source: CodeSource },
    /// The user registers a phone number, then receives a code.
    PhoneRegister,
    /// An Arkose Labs CAPTCHA drawn in the browser; its token is sent as the code. `data` is an opaque blob
    /// for the CAPTCHA script, passed to it as a value and never written into markup or script text.
    Captcha { public_key: String, data: String },
    /// The user approves the sign-in in the provider's app; the page waits.
    InApp,
    /// Either a code or an approval in the app, whichever comes first.
    CodeOrInApp { source: CodeSource },
    /// The user picks how to receive a code.
    ChallengeSelection { options: Vec<Choice> },
    /// The user picks a contract (LinkedIn Recruiter / Sales Navigator seats).
    ContractSelection { options: Vec<Choice> },
    /// The provider is still preparing the next step; the page waits.
    Loading,
    /// The user ticks the products to activate on the account (at least one).
    Consent { options: Vec<Choice> },
    /// The user enters `code` in the provider's app; the page shows it and waits, as for an approval in
    /// the app.
    PairingCode { code: Secret },
    /// Any checkpoint type this version does not support.
    Unsupported { type_name: String },
}

impl CheckpointKind {
    /// Steps completed by waiting rather than by typing.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            CheckpointKind::InApp
                | CheckpointKind::CodeOrInApp { .. }
                | CheckpointKind::Loading
                | CheckpointKind::PairingCode { .. }
        )
    }

    /// Where a code can be sent again.
    pub fn can_resend(&self) -> bool {
        match self {
            CheckpointKind::Code { source } | CheckpointKind::CodeOrInApp { source } => {
                *source != CodeSource::AuthenticatorApp
            }
            _ => false,
        }
    }

    /// Where the provider may offer another verification method.
    pub fn can_switch(&self) -> bool {
        matches!(
            self,
            CheckpointKind::Code { .. }
                | CheckpointKind::InApp
                | CheckpointKind::CodeOrInApp { .. }
        )
    }

    /// The step's name, for announcements and logs.
    pub fn title(&self, locale: Locale) -> &'static str {
        match self {
            CheckpointKind::Code { .. } | CheckpointKind::CodeOrInApp { .. } => {
                td_string!(locale, steps.code)
            }
            CheckpointKind::PhoneRegister => td_string!(locale, steps.phone),
            CheckpointKind::Captcha { .. } => td_string!(locale, steps.captcha),
            CheckpointKind::InApp => td_string!(locale, steps.in_app),
            CheckpointKind::ChallengeSelection { .. } => td_string!(locale, steps.challenge),
            CheckpointKind::ContractSelection { .. } => td_string!(locale, steps.contract),
            CheckpointKind::Loading => td_string!(locale, steps.loading),
            CheckpointKind::Consent { .. } => td_string!(locale, steps.consent),
            CheckpointKind::PairingCode { .. } => td_string!(locale, steps.pairing),
            CheckpointKind::Unsupported { .. } => td_string!(locale, steps.unsupported),
        }
    }
}

/// One option of a choice checkpoint: an id sent back, a label, and a detail such as a masked address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub label: String,
    pub detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeSource {
    Sms,
    AuthenticatorApp,
    WhatsApp,
    Email,
    Unspecified,
}

impl CodeSource {
    /// Where the code comes from, to complete "Enter the code …".
    pub fn describe(self, locale: Locale, provider: &str) -> String {
        let text = match self {
            CodeSource::Sms => td_string!(locale, checkpoint.source_sms),
            CodeSource::AuthenticatorApp => td_string!(locale, checkpoint.source_app),
            CodeSource::WhatsApp => td_string!(locale, checkpoint.source_whatsapp),
            CodeSource::Email => td_string!(locale, checkpoint.source_email),
            CodeSource::Unspecified => td_string!(locale, checkpoint.source_other),
        };
        fill(text, &[("provider", provider)])
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: String,
    pub name: Option<String>,
    /// Redirect mode: the host's `success_url` with `account_id`, `provider` and `state` added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_url: Option<String>,
    /// The host's `state`, echoed in the `success` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The attempt that linked it: a page address naming it shows this account again for a while.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub flow_id: String,
}

/// A secret: what the user types (password, code), sent to the server, or a pairing code shown to them.
/// Never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let secret = Secret::from("pass_good".to_owned());
        assert!(!format!("{secret:?}").contains("pass_good"));
        assert_eq!(
            serde_json::to_string(&secret).expect("json"),
            "\"pass_good\""
        );
    }

    #[test]
    fn each_code_source_names_its_channel() {
        assert!(CodeSource::Sms
            .describe(Locale::en, "LinkedIn")
            .contains("text message (SMS)"));
        assert!(CodeSource::AuthenticatorApp
            .describe(Locale::en, "LinkedIn")
            .contains("authenticator app"));
        assert!(CodeSource::WhatsApp
            .describe(Locale::en, "LinkedIn")
            .contains("WhatsApp"));
        assert!(CodeSource::Email
            .describe(Locale::en, "LinkedIn")
            .contains("e-mail"));
    }
}
