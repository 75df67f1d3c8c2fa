//! The second stage of error handling: a classified [`UnipileError`] becomes the [`Notice`] a user sees.
//! The technical cause is logged here, once, with Unipile's `req_id`; users get a message, a remedy and,
//! for failures on our side, a support reference.

use crate::error::{ErrorCode, Notice};
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

/// Classifies `err`, logs its technical cause and returns what the user is told.
pub fn notice_for(err: &UnipileError, provider: &str, operation: &'static str) -> Notice {
    let code = match err {
        UnipileError::Api(api) => code_for(&api.kind),
        UnipileError::Timeout
        | UnipileError::Connect(_)
        | UnipileError::UnexpectedResponse { .. }
        | UnipileError::InvalidConfig(_) => ErrorCode::ServiceUnavailable,
    };
    let support_ref = err
        .req_id()
        .map(str::to_owned)
        .unwrap_or_else(local_reference);
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
pub fn local_reference() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("cf-{n:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NextStep;

    #[test]
    fn every_contract_error_type_has_a_user_message_and_a_next_step() {
        for kind in ErrorType::ALL {
            let code = code_for(kind);
            assert!(!code.message("LinkedIn").is_empty());
            assert!(!code.remedy("LinkedIn").is_empty());
            let _ = code.next_step();
        }
        assert_eq!(
            code_for(&ErrorType::Other("api/brand_new".into())),
            ErrorCode::ServiceUnavailable
        );
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
        let notice = notice_for(&UnipileError::Timeout, "linkedin", "test");
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
