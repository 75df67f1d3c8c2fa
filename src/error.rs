//! What can go wrong, in the user's terms: one table of message + remedy + next step.
//!
//! The server classifies every Unipile answer and every local failure into an [`ErrorCode`]; the browser
//! renders the text from this table, so the same words appear with and without JavaScript.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// A refusal or failure the user is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    InvalidLink,
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
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidCredentials,
        ErrorCode::UnknownAuthenticationContext,
        ErrorCode::InvalidCode,
        ErrorCode::TooManyWrongCodes,
        ErrorCode::InvalidPhone,
        ErrorCode::AccountRestricted,
        ErrorCode::AlreadyLinked,
        ErrorCode::AccountMismatch,
        ErrorCode::ProxyError,
        ErrorCode::ProxyTimeout,
        ErrorCode::ProxyAuth,
        ErrorCode::InvalidDetails,
        ErrorCode::ImapAutodetectFailed,
        ErrorCode::ProviderRefused,
        ErrorCode::ProviderUnavailable,
        ErrorCode::RateLimited,
        ErrorCode::Expired,
        ErrorCode::NoFlow,
        ErrorCode::InvalidInput,
        ErrorCode::ServiceUnavailable,
        ErrorCode::ResendTooSoon,
        ErrorCode::ResendFailed,
        ErrorCode::SwitchUnavailable,
        ErrorCode::ReplacedByNewerAttempt,
        ErrorCode::InvalidLink,
    ];

    /// What happened, in one sentence. `provider` is the provider's display name.
    pub fn message(self, provider: &str) -> String {
        match self {
            ErrorCode::InvalidCredentials => {
                format!("{provider} did not accept this sign-in: the email, username or password is not correct.")
            }
            ErrorCode::UnknownAuthenticationContext => {
                format!("{provider} wants to confirm this sign-in in a way we can't show here.")
            }
            ErrorCode::InvalidCode => "That code is not correct.".to_owned(),
            ErrorCode::TooManyWrongCodes => {
                "Too many wrong codes: this sign-in attempt was stopped to protect your account.".to_owned()
            }
            ErrorCode::InvalidPhone => "That phone number doesn't look right.".to_owned(),
            ErrorCode::AccountRestricted => format!("This {provider} account can't be linked."),
            ErrorCode::AlreadyLinked => format!("This {provider} account is already linked."),
            ErrorCode::AccountMismatch => format!(
                "These credentials belong to a different {provider} account than the one being reconnected."
            ),
            ErrorCode::ProxyError => "Your proxy did not work.".to_owned(),
            ErrorCode::ProxyTimeout => "Your proxy did not answer in time.".to_owned(),
            ErrorCode::ProxyAuth => "Your proxy refused its username or password.".to_owned(),
            ErrorCode::InvalidDetails => format!("{provider} did not accept some of the details sent."),
            ErrorCode::ImapAutodetectFailed => {
                "We couldn't find the mail server settings for this address automatically.".to_owned()
            }
            ErrorCode::ProviderRefused => format!("{provider} refused this sign-in."),
            ErrorCode::ProviderUnavailable => format!("{provider} is not answering properly right now."),
            ErrorCode::RateLimited => "Too many attempts in a short time.".to_owned(),
            ErrorCode::Expired => "This attempt expired.".to_owned(),
            ErrorCode::NoFlow => "There is no sign-in in progress in this browser.".to_owned(),
            ErrorCode::InvalidInput => "Some fields are missing or not in the expected form.".to_owned(),
            ErrorCode::ServiceUnavailable => "We couldn't complete this sign-in because of a problem on our side.".to_owned(),
            ErrorCode::ResendTooSoon => "A code was sent moments ago.".to_owned(),
            ErrorCode::ResendFailed => "We couldn't send a new code.".to_owned(),
            ErrorCode::SwitchUnavailable => "No other way to verify is available for this sign-in right now.".to_owned(),
            ErrorCode::ReplacedByNewerAttempt => {
                "This page was showing an older sign-in attempt, replaced by a newer one (perhaps in another tab).".to_owned()
            }
            ErrorCode::InvalidLink => {
                "This link is not valid: its account reference or state is malformed.".to_owned()
            }
        }
    }

    /// What to do next, in one sentence.
    pub fn remedy(self, provider: &str) -> String {
        match self {
            ErrorCode::InvalidCredentials => "Check them and try again.".to_owned(),
            ErrorCode::UnknownAuthenticationContext => format!(
                "Please sign in on {provider}'s website or app in this browser, complete any check it asks for, then try again here."
            ),
            ErrorCode::InvalidCode => "Check the latest code you received and enter it again.".to_owned(),
            ErrorCode::TooManyWrongCodes => "Start again: your username is kept.".to_owned(),
            ErrorCode::InvalidPhone => {
                "Enter the country code (for example +33) and the number, digits only, then try again.".to_owned()
            }
            ErrorCode::AccountRestricted => "Use another account, or contact support if you think this is a mistake.".to_owned(),
            ErrorCode::AlreadyLinked => "There is nothing more to do; to refresh its connection, reconnect it from your application.".to_owned(),
            ErrorCode::AccountMismatch => "Sign in with the account you want to reconnect.".to_owned(),
            ErrorCode::ProxyError | ErrorCode::ProxyTimeout => {
                "Check the proxy host, port and protocol, or remove the proxy, then try again.".to_owned()
            }
            ErrorCode::ProxyAuth => "Check the proxy username and password, then try again.".to_owned(),
            ErrorCode::InvalidDetails => "Check the fields and try again.".to_owned(),
            ErrorCode::ImapAutodetectFailed => {
                "Open the advanced settings and enter your IMAP and SMTP servers, then try again.".to_owned()
            }
            ErrorCode::ProviderRefused => format!("Sign in on {provider} directly to check your account, then try again."),
            ErrorCode::ProviderUnavailable => "Wait a few minutes, then try again.".to_owned(),
            ErrorCode::RateLimited => "Wait a few minutes, then try again.".to_owned(),
            ErrorCode::Expired => "Start again: your username is kept, only the password needs typing again.".to_owned(),
            ErrorCode::NoFlow => "Start again from the sign-in form.".to_owned(),
            ErrorCode::InvalidInput => "Correct the highlighted fields and try again.".to_owned(),
            ErrorCode::ServiceUnavailable => {
                "Try again in a few minutes. If it keeps happening, contact support and quote the reference below.".to_owned()
            }
            ErrorCode::ResendTooSoon => "Wait until the countdown ends, then ask for another code.".to_owned(),
            ErrorCode::ResendFailed => "Wait a moment and try again, or use the code you already received.".to_owned(),
            ErrorCode::SwitchUnavailable => "Continue with the current method, or start again.".to_owned(),
            ErrorCode::ReplacedByNewerAttempt => "Continue with the newer attempt shown here.".to_owned(),
            ErrorCode::InvalidLink => {
                "Open the link again from your application, or connect a new account instead.".to_owned()
            }
        }
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
            | ErrorCode::ReplacedByNewerAttempt => NextStep::StayOnCheckpoint,
            ErrorCode::TooManyWrongCodes
            | ErrorCode::Expired
            | ErrorCode::NoFlow
            | ErrorCode::InvalidLink => NextStep::Restart,
            ErrorCode::ProviderUnavailable
            | ErrorCode::RateLimited
            | ErrorCode::ServiceUnavailable => NextStep::TryLater,
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
        }
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable { .. } => 503,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_says_what_happened_and_what_to_do() {
        for code in ErrorCode::ALL {
            let message = code.message("LinkedIn");
            let remedy = code.remedy("LinkedIn");
            assert!(message.ends_with('.'), "{code:?}: {message}");
            assert!(
                remedy.len() > 10 && remedy.ends_with('.'),
                "{code:?}: {remedy}"
            );
            assert_ne!(message, remedy);
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
            .remedy("LinkedIn")
            .contains("Wait a few minutes"));
        let json = serde_json::to_string(&limited).expect("json");
        assert_eq!(
            serde_json::from_str::<AppError>(&json).expect("parse"),
            limited
        );
    }

    #[test]
    fn unknown_authentication_context_tells_where_to_sign_in() {
        let remedy = ErrorCode::UnknownAuthenticationContext.remedy("LinkedIn");
        assert!(remedy.contains("sign in on LinkedIn's website"), "{remedy}");
    }
}
