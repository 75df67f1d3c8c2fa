//! The second stage of error handling: a classified [`UnipileError`] becomes the [`Notice`] a user sees.
//! The technical cause is logged here, once, with Unipile's `req_id`; users get a message, a remedy and,
//! for failures on our side, a support reference.

use super::metrics::Metrics;
use crate::error::{AppError, ErrorCode, Notice};
use axum::http::{header, HeaderValue, StatusCode};
use leptos_axum::ResponseOptions;
use std::sync::PoisonError;
use unipile::{ErrorType, UnipileError};

/// The user-facing code for an error type of Unipile's contract.
pub fn code_for(kind: &ErrorType) -> ErrorCode {
    match kind {
        ErrorType::ProviderInvalidCredentials => ErrorCode::InvalidCredentials,
        ErrorType::ProviderUnknownAuthenticationContext => ErrorCode::UnknownAuthenticationContext,
        ErrorType::ProviderInvalidCheckpointCode => ErrorCode::InvalidCode,
        ErrorType::ApiAccountRestricted => ErrorCode::AccountRestricted,
        ErrorType::ApiAlreadyExists => ErrorCode::AlreadyLinked,
        ErrorType::ProviderAccountMismatch => ErrorCode::AccountMismatch,
        ErrorType::ApiProxyError => ErrorCode::ProxyError,
        ErrorType::ApiProxyTimeout => ErrorCode::ProxyTimeout,
        ErrorType::ApiProxyAuthError => ErrorCode::ProxyAuth,
        ErrorType::ApiInvalidParameters
        | ErrorType::ProviderInvalidParameters
        | ErrorType::ProviderUnprocessableEntity
        | ErrorType::ProviderInvalidFile => ErrorCode::InvalidDetails,
        ErrorType::ProviderInsufficientPermissions
        | ErrorType::ProviderMethodNotAllowed
        | ErrorType::ProviderConflict
        | ErrorType::ProviderInvalidAuthorization => ErrorCode::ProviderRefused,
        ErrorType::ApiResourceNotFound | ErrorType::ProviderResourceNotFound => ErrorCode::Expired,
        ErrorType::ApiTooManyRequests | ErrorType::ProviderTooManyRequests => {
            ErrorCode::RateLimited
        }
        ErrorType::ProviderServerError | ErrorType::ProviderTimeout => {
            ErrorCode::ProviderUnavailable
        }
        // Meant for the developer (key, subscription, Unipile itself): the user gets a neutral message.
        ErrorType::ApiInvalidAuthFormat
        | ErrorType::ApiMissingAuthorization
        | ErrorType::ApiExpiredAuthorization
        | ErrorType::ApiInsufficientPermissions
        | ErrorType::ApiInactiveSubscription
        | ErrorType::ApiInternalError
        | ErrorType::ApiNotImplemented
        | ErrorType::ApiConflict
        | ErrorType::ApiExpiredLink
        | ErrorType::Other(_) => ErrorCode::ServiceUnavailable,
    }
}

/// The user-facing code for an answer that names no error type: only its HTTP status says anything.
/// A rate limit and a missing intent are recognisable; anything else is a failure upstream.
pub fn code_for_status(status: u16) -> ErrorCode {
    match status {
        404 | 410 => ErrorCode::Expired,
        429 => ErrorCode::RateLimited,
        _ => ErrorCode::ServiceUnavailable,
    }
}

/// Classifies `err`, logs its technical cause, counts it and returns what the user is told.
pub fn notice_for(
    metrics: &Metrics,
    err: &UnipileError,
    provider: &str,
    operation: &'static str,
) -> Notice {
    let code = match err {
        UnipileError::Api(api) => code_for(&api.kind),
        // A success status whose body cannot be read is no refusal, whatever its status.
        UnipileError::UnexpectedResponse { status, .. } if *status >= 400 => {
            code_for_status(*status)
        }
        UnipileError::Timeout
        | UnipileError::Connect(_)
        | UnipileError::UnexpectedResponse { .. }
        | UnipileError::InvalidConfig(_) => ErrorCode::ServiceUnavailable,
    };
    let support_ref = err
        .req_id()
        .map(str::to_owned)
        .unwrap_or_else(local_reference);
    metrics.refused(provider, code);
    if code == ErrorCode::ServiceUnavailable || code == ErrorCode::ProviderUnavailable {
        tracing::error!(provider, operation, status = ?err.status(), support_ref, cause = %err, "upstream failure");
    } else {
        tracing::info!(provider, operation, status = ?err.status(), support_ref, ?code, "sign-in refused");
    }
    Notice {
        code,
        support_ref: (code == ErrorCode::ServiceUnavailable).then_some(support_ref),
    }
}

/// A reference for failures that have no Unipile `req_id` (timeouts, unreachable upstream).
/// Gives an answer that carries `err` its status, unless the call already chose one (a form posted without
/// JavaScript is sent back to its page), and `Retry-After` for a rate limit.
pub fn answer_with_status(err: &AppError, options: &ResponseOptions) {
    let mut parts = options.0.write().unwrap_or_else(PoisonError::into_inner);
    parts.status.get_or_insert(
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if let AppError::RateLimited { retry_after_secs } = err {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
}

/// In a server function's call through leptos_axum, gives its answer the status of `err` (see
/// [`answer_with_status`]). A form posted without JavaScript is left as it is: leptos_axum sends the
/// browser back to the page it came from.
pub fn give_status(err: &AppError) {
    use leptos::prelude::use_context;
    let plain_post = use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| super::request::is_plain_post(&parts.headers));
    if let (false, Some(options)) = (plain_post, use_context::<ResponseOptions>()) {
        answer_with_status(err, &options);
    }
}

pub fn local_reference() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("cf-{n:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Highlight, NextStep};

    #[test]
    fn every_contract_error_type_has_a_user_message_and_a_next_step() {
        for kind in ErrorType::ALL {
            let code = code_for(kind);
            assert!(!code.message(crate::i18n::Locale::en, "LinkedIn").is_empty());
            assert!(!code.remedy(crate::i18n::Locale::en, "LinkedIn").is_empty());
            let _ = code.next_step();
        }
        assert_eq!(
            code_for(&ErrorType::Other("api/brand_new".into())),
            ErrorCode::ServiceUnavailable
        );
    }

    /// The whole catalogue, row by row: every error type of the contract, what the user is told, what the
    /// interface does next and which part of the form it points at.
    #[test]
    fn the_whole_error_catalogue() {
        use crate::error::Highlight as H;
        use ErrorCode as C;
        use NextStep as N;
        let rows: &[(&str, ErrorCode, NextStep, Highlight)] = &[
            (
                "api/invalid_parameters",
                C::InvalidDetails,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "provider/invalid_parameters",
                C::InvalidDetails,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "api/invalid_auth_format",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/invalid_authorization",
                C::ProviderRefused,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "provider/invalid_credentials",
                C::InvalidCredentials,
                N::StayOnForm,
                H::Credentials,
            ),
            (
                "api/missing_authorization",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "api/expired_authorization",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "api/insufficient_permissions",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/invalid_checkpoint_code",
                C::InvalidCode,
                N::StayOnCheckpoint,
                H::Nothing,
            ),
            (
                "provider/account_mismatch",
                C::AccountMismatch,
                N::StayOnForm,
                H::Credentials,
            ),
            (
                "api/proxy_auth_error",
                C::ProxyAuth,
                N::StayOnForm,
                H::ProxyLogin,
            ),
            (
                "api/inactive_subscription",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/insufficient_permissions",
                C::ProviderRefused,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "api/account_restricted",
                C::AccountRestricted,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "api/already_exists",
                C::AlreadyLinked,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "provider/unknown_authentication_context",
                C::UnknownAuthenticationContext,
                N::StayOnForm,
                H::Nothing,
            ),
            ("api/resource_not_found", C::Expired, N::Restart, H::Nothing),
            (
                "provider/resource_not_found",
                C::Expired,
                N::Restart,
                H::Nothing,
            ),
            (
                "provider/method_not_allowed",
                C::ProviderRefused,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "api/conflict",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/conflict",
                C::ProviderRefused,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "provider/invalid_file",
                C::InvalidDetails,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "provider/unprocessable_entity",
                C::InvalidDetails,
                N::StayOnForm,
                H::Nothing,
            ),
            (
                "api/too_many_requests",
                C::RateLimited,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/too_many_requests",
                C::RateLimited,
                N::TryLater,
                H::Nothing,
            ),
            (
                "api/internal_error",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "provider/server_error",
                C::ProviderUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "api/not_implemented",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            ("api/proxy_error", C::ProxyError, N::StayOnForm, H::Proxy),
            (
                "api/proxy_timeout",
                C::ProxyTimeout,
                N::StayOnForm,
                H::Proxy,
            ),
            (
                "provider/timeout",
                C::ProviderUnavailable,
                N::TryLater,
                H::Nothing,
            ),
            (
                "api/expired_link",
                C::ServiceUnavailable,
                N::TryLater,
                H::Nothing,
            ),
        ];
        assert_eq!(
            rows.len(),
            ErrorType::ALL.len(),
            "one row per contract type"
        );
        for kind in ErrorType::ALL {
            let row = rows
                .iter()
                .find(|r| r.0 == kind.as_str())
                .unwrap_or_else(|| panic!("{kind:?} has no row"));
            let code = code_for(kind);
            assert_eq!(
                (code, code.next_step(), code.highlight()),
                (row.1, row.2, row.3),
                "{}",
                row.0
            );
            let (message, remedy) = (
                code.message(crate::i18n::Locale::en, "LinkedIn"),
                code.remedy(crate::i18n::Locale::en, "LinkedIn"),
            );
            assert!(message.ends_with('.') && remedy.ends_with('.'), "{}", row.0);
            // Developer-side failures never show the technical cause.
            if code == C::ServiceUnavailable {
                assert!(
                    !message.contains("API") && !message.contains("key"),
                    "{message}"
                );
            }
        }
        // Transport failures: a neutral message, a reference, try later.
        for err in [
            UnipileError::Timeout,
            UnipileError::Connect("refused".into()),
            UnipileError::UnexpectedResponse {
                status: 502,
                reason: "html".into(),
                req_id: None,
            },
        ] {
            let notice = notice_for(&Metrics::default(), &err, "linkedin", "test");
            assert_eq!(notice.code, C::ServiceUnavailable);
            assert_eq!(notice.code.next_step(), N::TryLater);
            assert!(notice.support_ref.is_some());
        }
    }

    #[test]
    fn answers_without_a_type_are_classified_by_status() {
        let by_status = |status: u16| {
            let err = UnipileError::UnexpectedResponse {
                status,
                reason: "error body names no type".into(),
                req_id: None,
            };
            notice_for(&Metrics::default(), &err, "linkedin", "test").code
        };
        assert_eq!(by_status(429), ErrorCode::RateLimited);
        assert_eq!(by_status(404), ErrorCode::Expired);
        assert_eq!(by_status(500), ErrorCode::ServiceUnavailable);
        assert_eq!(by_status(401), ErrorCode::ServiceUnavailable);
        // A success status with a body that cannot be read is a failure upstream, not a refusal.
        assert_eq!(by_status(200), ErrorCode::ServiceUnavailable);
        assert_eq!(by_status(307), ErrorCode::ServiceUnavailable);
    }

    #[test]
    fn developer_side_errors_are_neutral_and_carry_a_reference() {
        for kind in [
            ErrorType::ApiMissingAuthorization,
            ErrorType::ApiExpiredAuthorization,
            ErrorType::ApiInsufficientPermissions,
            ErrorType::ApiInternalError,
        ] {
            assert_eq!(code_for(&kind), ErrorCode::ServiceUnavailable);
        }
        let notice = notice_for(
            &Metrics::default(),
            &UnipileError::Timeout,
            "linkedin",
            "test",
        );
        assert!(notice
            .support_ref
            .as_deref()
            .is_some_and(|r| r.starts_with("cf-")));
        assert_eq!(notice.code.next_step(), NextStep::TryLater);
    }

    #[test]
    fn user_fixable_refusals_keep_the_form() {
        for kind in [
            ErrorType::ProviderInvalidCredentials,
            ErrorType::ProviderUnknownAuthenticationContext,
            ErrorType::ApiAccountRestricted,
            ErrorType::ApiAlreadyExists,
            ErrorType::ApiProxyError,
            ErrorType::ApiProxyTimeout,
            ErrorType::ApiProxyAuthError,
        ] {
            assert_eq!(
                code_for(&kind).next_step(),
                NextStep::StayOnForm,
                "{kind:?}"
            );
        }
        assert_eq!(
            code_for(&ErrorType::ProviderInvalidCheckpointCode).next_step(),
            NextStep::StayOnCheckpoint
        );
    }
}
