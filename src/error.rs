//! What can go wrong, in the user's terms: one table of message + remedy + next step.
//!
//! The server classifies every Unipile answer and every local failure into an [`ErrorCode`]; the browser
//! renders the text from this table, so the same words appear with and without JavaScript.

use crate::{i18n::Locale, text::fill};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use leptos_i18n::td_string;
use serde::{Deserialize, Serialize};

/// A refusal or failure the user is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidCredentials,
    UnknownAuthenticationContext,
    InvalidCode,
    TooManyWrongCodes,
    InvalidPhone,
    AccountRestricted,
    AlreadyLinked,
    AccountMismatch,
    ProxyError,
    ProxyTimeout,
    ProxyAuth,
    InvalidDetails,
    ImapAutodetectFailed,
    ProviderRefused,
    ProviderUnavailable,
    RateLimited,
    Expired,
    NoFlow,
    InvalidInput,
    ServiceUnavailable,
    ResendTooSoon,
    ResendFailed,
    SwitchUnavailable,
    ReplacedByNewerAttempt,
    /// A consent screen sent without any product ticked.
    NoProductChosen,
    InvalidLink,
    /// A `success_url` or `failure_url` the host application has not allowed.
    RedirectNotAllowed,
    /// The call carried an older step of the flow than the server's record (a replayed cookie, or a second
    /// submission racing the first): refused without calling Unipile.
    OutOfDate,
    /// The flow record could not be reached: nothing was sent to Unipile.
    StoreUnavailable,
    /// Signed links are required and this page or sign-in has no valid one (missing, altered, signed with
    /// another key, with a bad nonce or a lifetime too long, or parameters it does not bind).
    LinkInvalid,
    /// The signed link was valid but is no longer: expired, or already used.
    LinkExpired,
}

/// What the interface does after showing the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Stay on the provider form, values kept (secrets cleared).
    StayOnForm,
    /// Stay on the current checkpoint.
    StayOnCheckpoint,
    /// The attempt is over: start again from the form.
    Restart,
    /// Nothing the user can fix now: try again later.
    TryLater,
}

impl ErrorCode {
    /// Every code, in the order declared: derived, so a new one cannot escape the exhaustive tests.
    pub const ALL: &'static [ErrorCode] = <ErrorCode as strum::VariantArray>::VARIANTS;

    /// What happened, in one sentence. `provider` is the provider's display name.
    pub fn message(self, locale: Locale, provider: &str) -> String {
        let text = match self {
            ErrorCode::InvalidCredentials => td_string!(locale, errors.invalid_credentials),
            ErrorCode::UnknownAuthenticationContext => {
                td_string!(locale, errors.unknown_authentication_context)
            }
            ErrorCode::InvalidCode => td_string!(locale, errors.invalid_code),
            ErrorCode::TooManyWrongCodes => td_string!(locale, errors.too_many_wrong_codes),
            ErrorCode::InvalidPhone => td_string!(locale, errors.invalid_phone),
            ErrorCode::AccountRestricted => td_string!(locale, errors.account_restricted),
            ErrorCode::AlreadyLinked => td_string!(locale, errors.already_linked),
            ErrorCode::AccountMismatch => td_string!(locale, errors.account_mismatch),
            ErrorCode::ProxyError => td_string!(locale, errors.proxy_error),
            ErrorCode::ProxyTimeout => td_string!(locale, errors.proxy_timeout),
            ErrorCode::ProxyAuth => td_string!(locale, errors.proxy_auth),
            ErrorCode::InvalidDetails => td_string!(locale, errors.invalid_details),
            ErrorCode::ImapAutodetectFailed => td_string!(locale, errors.imap_autodetect_failed),
            ErrorCode::ProviderRefused => td_string!(locale, errors.provider_refused),
            ErrorCode::ProviderUnavailable => td_string!(locale, errors.provider_unavailable),
            ErrorCode::RateLimited => td_string!(locale, errors.rate_limited),
            ErrorCode::Expired => td_string!(locale, errors.expired),
            ErrorCode::NoFlow => td_string!(locale, errors.no_flow),
            ErrorCode::InvalidInput => td_string!(locale, errors.invalid_input),
            ErrorCode::ServiceUnavailable => td_string!(locale, errors.service_unavailable),
            ErrorCode::ResendTooSoon => td_string!(locale, errors.resend_too_soon),
            ErrorCode::ResendFailed => td_string!(locale, errors.resend_failed),
            ErrorCode::SwitchUnavailable => td_string!(locale, errors.switch_unavailable),
            ErrorCode::ReplacedByNewerAttempt => td_string!(locale, errors.replaced),
            ErrorCode::NoProductChosen => td_string!(locale, errors.no_product_chosen),
            ErrorCode::InvalidLink => td_string!(locale, errors.invalid_link),
            ErrorCode::RedirectNotAllowed => td_string!(locale, errors.redirect_not_allowed),
            ErrorCode::OutOfDate => td_string!(locale, errors.out_of_date),
            ErrorCode::StoreUnavailable => td_string!(locale, errors.store_unavailable),
            ErrorCode::LinkInvalid | ErrorCode::LinkExpired => {
                td_string!(locale, errors.link_refused)
            }
        };
        fill(text, &[("provider", provider)])
    }

    /// What to do next, in one sentence.
    pub fn remedy(self, locale: Locale, provider: &str) -> String {
        let text = match self {
            ErrorCode::InvalidCredentials => td_string!(locale, errors.invalid_credentials_remedy),
            ErrorCode::UnknownAuthenticationContext => {
                td_string!(locale, errors.unknown_authentication_context_remedy)
            }
            ErrorCode::InvalidCode => td_string!(locale, errors.invalid_code_remedy),
            ErrorCode::TooManyWrongCodes => td_string!(locale, errors.too_many_wrong_codes_remedy),
            ErrorCode::InvalidPhone => td_string!(locale, errors.invalid_phone_remedy),
            ErrorCode::AccountRestricted => td_string!(locale, errors.account_restricted_remedy),
            ErrorCode::AlreadyLinked => td_string!(locale, errors.already_linked_remedy),
            ErrorCode::AccountMismatch => td_string!(locale, errors.account_mismatch_remedy),
            ErrorCode::ProxyError => td_string!(locale, errors.proxy_remedy),
            ErrorCode::ProxyTimeout => td_string!(locale, errors.proxy_remedy),
            ErrorCode::ProxyAuth => td_string!(locale, errors.proxy_auth_remedy),
            ErrorCode::InvalidDetails => td_string!(locale, errors.invalid_details_remedy),
            ErrorCode::ImapAutodetectFailed => {
                td_string!(locale, errors.imap_autodetect_failed_remedy)
            }
            ErrorCode::ProviderRefused => td_string!(locale, errors.provider_refused_remedy),
            ErrorCode::ProviderUnavailable => td_string!(locale, errors.wait_minutes),
            ErrorCode::RateLimited => td_string!(locale, errors.wait_minutes),
            ErrorCode::Expired => td_string!(locale, errors.expired_remedy),
            ErrorCode::NoFlow => td_string!(locale, errors.no_flow_remedy),
            ErrorCode::InvalidInput => td_string!(locale, errors.invalid_input_remedy),
            ErrorCode::ServiceUnavailable => td_string!(locale, errors.service_unavailable_remedy),
            ErrorCode::ResendTooSoon => td_string!(locale, errors.resend_too_soon_remedy),
            ErrorCode::ResendFailed => td_string!(locale, errors.resend_failed_remedy),
            ErrorCode::SwitchUnavailable => td_string!(locale, errors.switch_unavailable_remedy),
            ErrorCode::ReplacedByNewerAttempt => td_string!(locale, errors.replaced_remedy),
            ErrorCode::NoProductChosen => td_string!(locale, errors.no_product_chosen_remedy),
            ErrorCode::InvalidLink => td_string!(locale, errors.invalid_link_remedy),
            ErrorCode::RedirectNotAllowed => td_string!(locale, errors.redirect_not_allowed_remedy),
            ErrorCode::OutOfDate => td_string!(locale, errors.out_of_date_remedy),
            ErrorCode::StoreUnavailable => td_string!(locale, errors.store_unavailable_remedy),
            ErrorCode::LinkInvalid | ErrorCode::LinkExpired => {
                td_string!(locale, errors.link_refused_remedy)
            }
        };
        fill(text, &[("provider", provider)])
    }

    /// A refusal of the signed start link: the page shows no form, only the way back to the application.
    pub fn refuses_the_link(self) -> bool {
        matches!(self, ErrorCode::LinkInvalid | ErrorCode::LinkExpired)
    }

    pub fn next_step(self) -> NextStep {
        match self {
            ErrorCode::InvalidCredentials
            | ErrorCode::UnknownAuthenticationContext
            | ErrorCode::AccountRestricted
            | ErrorCode::AlreadyLinked
            | ErrorCode::AccountMismatch
            | ErrorCode::ProxyError
            | ErrorCode::ProxyTimeout
            | ErrorCode::ProxyAuth
            | ErrorCode::InvalidDetails
            | ErrorCode::ImapAutodetectFailed
            | ErrorCode::ProviderRefused
            | ErrorCode::InvalidInput => NextStep::StayOnForm,
            ErrorCode::InvalidCode
            | ErrorCode::InvalidPhone
            | ErrorCode::ResendTooSoon
            | ErrorCode::ResendFailed
            | ErrorCode::SwitchUnavailable
            | ErrorCode::ReplacedByNewerAttempt
            | ErrorCode::NoProductChosen
            | ErrorCode::OutOfDate => NextStep::StayOnCheckpoint,
            ErrorCode::TooManyWrongCodes
            | ErrorCode::Expired
            | ErrorCode::NoFlow
            | ErrorCode::InvalidLink
            | ErrorCode::RedirectNotAllowed
            | ErrorCode::LinkInvalid
            | ErrorCode::LinkExpired => NextStep::Restart,
            ErrorCode::ProviderUnavailable
            | ErrorCode::RateLimited
            | ErrorCode::ServiceUnavailable
            | ErrorCode::StoreUnavailable => NextStep::TryLater,
        }
    }
}

/// The part of the provider form an error points at; the form opens and marks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Highlight {
    Nothing,
    /// The sign-in fields of the method (username and password, or cookies).
    Credentials,
    /// Proxy host, port and protocol.
    Proxy,
    /// Proxy username and password.
    ProxyLogin,
    /// The IMAP and SMTP server settings.
    MailServers,
}

impl ErrorCode {
    pub fn highlight(self) -> Highlight {
        match self {
            ErrorCode::InvalidCredentials | ErrorCode::AccountMismatch => Highlight::Credentials,
            ErrorCode::ProxyError | ErrorCode::ProxyTimeout => Highlight::Proxy,
            ErrorCode::ProxyAuth => Highlight::ProxyLogin,
            ErrorCode::ImapAutodetectFailed => Highlight::MailServers,
            _ => Highlight::Nothing,
        }
    }
}

/// A notice shown above a form or checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub code: ErrorCode,
    /// A reference support can look up in the logs (Unipile's `req_id` or ours); never a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_ref: Option<String>,
}

impl Notice {
    pub fn new(code: ErrorCode) -> Self {
        Notice {
            code,
            support_ref: None,
        }
    }
}

/// A failure of a server function, as the browser receives it. Expected refusals are not errors: they
/// come back as `Ok` flow steps carrying a [`Notice`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("the request was not valid: {0}")]
    BadRequest(String),
    #[error("the service is unavailable (reference {support_ref})")]
    Unavailable { support_ref: String },
    #[error("the server could not be reached")]
    Transport(String),
    /// Too many sign-ins started from this address or for this username; try again after this long.
    #[error("too many attempts (retry after {retry_after_secs} s)")]
    RateLimited { retry_after_secs: u64 },
    /// The flow store does not answer: nothing was sent to Unipile.
    #[error("the flow store is unavailable")]
    StoreUnavailable,
}

impl AppError {
    pub fn notice(&self) -> Notice {
        match self {
            AppError::BadRequest(_) => Notice::new(ErrorCode::InvalidInput),
            AppError::Unavailable { support_ref } => Notice {
                code: ErrorCode::ServiceUnavailable,
                support_ref: Some(support_ref.clone()),
            },
            AppError::Transport(_) => Notice::new(ErrorCode::ServiceUnavailable),
            AppError::RateLimited { .. } => Notice::new(ErrorCode::RateLimited),
            AppError::StoreUnavailable => Notice::new(ErrorCode::StoreUnavailable),
        }
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable { .. } | AppError::StoreUnavailable => 503,
            AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(msg)
            }
            ServerFnErrorErr::Request(msg) => AppError::Transport(msg),
            other => AppError::Transport(other.to_string()),
        }
    }

    /// The error's answer: its JSON. server_fn sends every error with 500; on the server, inside a server
    /// function's call, the error's own status ([`AppError::status`], with `Retry-After` for a rate limit)
    /// is set here through the call's `ResponseOptions`, so only failures on our side are 5xx.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        crate::server::errors::give_status(self);
        serde_json::to_vec(self)
            .unwrap_or_else(|_| br#"{"Transport":"the error could not be written"}"#.to_vec())
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_says_what_happened_and_what_to_do() {
        for locale in [Locale::en, Locale::fr] {
            for code in ErrorCode::ALL {
                let message = code.message(locale, "LinkedIn");
                let remedy = code.remedy(locale, "LinkedIn");
                assert!(message.ends_with('.'), "{locale:?} {code:?}: {message}");
                assert!(
                    remedy.len() > 10 && remedy.ends_with('.'),
                    "{locale:?} {code:?}: {remedy}"
                );
                assert_ne!(message, remedy);
                assert!(!message.contains('{') && !remedy.contains('{'), "{code:?}");
            }
        }
    }

    #[test]
    fn codes_round_trip_through_json() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("serialise");
            assert_eq!(
                &serde_json::from_str::<ErrorCode>(&json).expect("parse"),
                code
            );
        }
    }

    #[test]
    fn failures_have_their_own_status_and_notice() {
        let limited = AppError::RateLimited {
            retry_after_secs: 12,
        };
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.notice().code, ErrorCode::RateLimited);
        assert_eq!(AppError::BadRequest("x".into()).status(), 400);
        assert!(ErrorCode::RateLimited
            .remedy(Locale::en, "LinkedIn")
            .contains("Wait a few minutes"));
        let json = serde_json::to_string(&limited).expect("json");
        assert_eq!(
            serde_json::from_str::<AppError>(&json).expect("parse"),
            limited
        );
    }

    #[test]
    fn unknown_authentication_context_tells_where_to_sign_in() {
        let remedy = ErrorCode::UnknownAuthenticationContext.remedy(Locale::en, "LinkedIn");
        assert!(remedy.contains("sign in on LinkedIn's website"), "{remedy}");
        let remedy = ErrorCode::UnknownAuthenticationContext.remedy(Locale::fr, "LinkedIn");
        assert!(remedy.contains("l’application LinkedIn"), "{remedy}");
    }
}
