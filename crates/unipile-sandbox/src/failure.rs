//! Error responses in Unipile's shape: `{object:"Error", type, status, title, detail, req_id}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::util::random_id;

/// An error `type` with the HTTP status and title the sandbox answers it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) name: &'static str,
    pub(crate) status: u16,
    pub(crate) title: &'static str,
}

const fn kind(name: &'static str, status: u16, title: &'static str) -> Kind {
    Kind {
        name,
        status,
        title,
    }
}

pub(crate) const INVALID_PARAMETERS: Kind =
    kind("api/invalid_parameters", 400, "Invalid parameters");
pub(crate) const INVALID_CREDENTIALS: Kind =
    kind("provider/invalid_credentials", 401, "Invalid credentials");
pub(crate) const MISSING_AUTHORIZATION: Kind =
    kind("api/missing_authorization", 401, "Missing authorization");
pub(crate) const EXPIRED_AUTHORIZATION: Kind =
    kind("api/expired_authorization", 401, "Expired authorization");
pub(crate) const INVALID_CHECKPOINT_CODE: Kind = kind(
    "provider/invalid_checkpoint_code",
    401,
    "Invalid checkpoint code",
);
pub(crate) const RESOURCE_NOT_FOUND: Kind =
    kind("api/resource_not_found", 404, "Resource not found");
pub(crate) const PROVIDER_TIMEOUT: Kind = kind("provider/timeout", 504, "Provider timeout");
pub(crate) const INTERNAL_ERROR: Kind = kind("api/internal_error", 500, "Internal error");

/// Every error type of the contract, for the `error_<type>` usernames.
pub(crate) const KINDS: &[Kind] = &[
    INVALID_PARAMETERS,
    kind("provider/invalid_parameters", 400, "Invalid parameters"),
    kind(
        "api/invalid_auth_format",
        400,
        "Invalid authentication format",
    ),
    kind(
        "provider/invalid_authorization",
        401,
        "Invalid authorization",
    ),
    INVALID_CREDENTIALS,
    MISSING_AUTHORIZATION,
    EXPIRED_AUTHORIZATION,
    kind(
        "api/insufficient_permissions",
        403,
        "Insufficient permissions",
    ),
    INVALID_CHECKPOINT_CODE,
    kind("provider/account_mismatch", 401, "Account mismatch"),
    kind("api/proxy_auth_error", 407, "Proxy authentication error"),
    kind("api/inactive_subscription", 402, "Inactive subscription"),
    kind(
        "provider/insufficient_permissions",
        403,
        "Insufficient permissions",
    ),
    kind("api/account_restricted", 403, "Account restricted"),
    kind("api/already_exists", 409, "Already exists"),
    kind(
        "provider/unknown_authentication_context",
        403,
        "Unknown authentication context",
    ),
    RESOURCE_NOT_FOUND,
    kind("provider/resource_not_found", 404, "Resource not found"),
    kind("provider/method_not_allowed", 405, "Method not allowed"),
    kind("api/conflict", 409, "Conflict"),
    kind("provider/conflict", 409, "Conflict"),
    kind("provider/invalid_file", 415, "Invalid file"),
    kind("provider/unprocessable_entity", 422, "Unprocessable entity"),
    kind("api/too_many_requests", 429, "Too many requests"),
    kind("provider/too_many_requests", 429, "Too many requests"),
    INTERNAL_ERROR,
    kind("provider/server_error", 500, "Provider server error"),
    kind("api/not_implemented", 501, "Not implemented"),
    kind("api/proxy_error", 502, "Proxy error"),
    kind("api/proxy_timeout", 504, "Proxy timeout"),
    PROVIDER_TIMEOUT,
    kind("api/expired_link", 410, "Expired link"),
];

/// Finds the type named by an `error_<suffix>` username: `api_x` / `provider_x` pick the
/// thrower, a bare `x` prefers `api/x`, and `server` is the plain 500.
pub(crate) fn kind_for_suffix(suffix: &str) -> Option<Kind> {
    if suffix == "server" {
        return Some(INTERNAL_ERROR);
    }
    let find = |name: String| KINDS.iter().copied().find(|k| k.name == name);
    if let Some(rest) = suffix.strip_prefix("api_") {
        return find(format!("api/{rest}"));
    }
    if let Some(rest) = suffix.strip_prefix("provider_") {
        return find(format!("provider/{rest}"));
    }
    find(format!("api/{suffix}")).or_else(|| find(format!("provider/{suffix}")))
}

/// An error answer; handlers return `Result<Response, Failure>`.
#[derive(Debug)]
pub(crate) struct Failure {
    kind: Kind,
    detail: String,
}

impl Failure {
    pub(crate) fn new(kind: Kind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(detail: impl Into<String>) -> Failure {
        Failure::new(INVALID_PARAMETERS, detail)
    }

    pub(crate) fn unknown_intent(intent_id: &str) -> Failure {
        Failure::new(
            RESOURCE_NOT_FOUND,
            format!(
                "The authentication intent {intent_id} has expired, is finished or does not exist. Start a new intent."
            ),
        )
    }

    #[cfg(test)]
    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    #[cfg(test)]
    pub(crate) fn detail(&self) -> &str {
        &self.detail
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.kind.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "object": "Error",
            "type": self.kind.name,
            "status": self.kind.status,
            "title": self.kind.title,
            "detail": self.detail,
            "req_id": format!("req_{}", random_id(20)),
        });
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_resolve() {
        let name = |s: &str| kind_for_suffix(s).map(|k| k.name);
        assert_eq!(name("account_restricted"), Some("api/account_restricted"));
        assert_eq!(
            name("unknown_authentication_context"),
            Some("provider/unknown_authentication_context")
        );
        assert_eq!(name("invalid_parameters"), Some("api/invalid_parameters"));
        assert_eq!(
            name("provider_invalid_parameters"),
            Some("provider/invalid_parameters")
        );
        assert_eq!(name("server"), Some("api/internal_error"));
        assert_eq!(name("timeout"), Some("provider/timeout"));
        assert_eq!(name("nonsense"), None);
    }

    #[test]
    fn every_kind_has_an_error_status() {
        assert_eq!(KINDS.len(), 32);
        for kind in KINDS {
            assert!((400..600).contains(&kind.status), "{kind:?}");
            assert!(StatusCode::from_u16(kind.status).is_ok());
        }
    }
}
