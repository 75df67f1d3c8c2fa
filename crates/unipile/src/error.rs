use crate::wire_enum::wire_enum;

/// Everything that can go wrong in a call to Unipile, classified for the application's own
/// error mapping. Messages never contain the API key or the user's credentials.
#[derive(Debug, thiserror::Error)]
pub enum UnipileError {
    /// Unipile answered with a well-formed error body.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The connection or the whole request exceeded its timeout.
    #[error("Unipile did not answer in time")]
    Timeout,
    /// No usable connection: refused, reset, closed early, DNS or TLS failure.
    #[error("could not talk to Unipile: {0}")]
    Connect(String),
    /// A response this client cannot read: not JSON (e.g. an HTML proxy page), empty,
    /// truncated, or JSON of the wrong shape.
    #[error("unexpected response from Unipile (HTTP {status}): {reason}")]
    UnexpectedResponse {
        status: u16,
        reason: String,
        req_id: Option<String>,
    },
    /// The [`ClientConfig`](crate::ClientConfig) cannot be used.
    #[error("invalid Unipile client configuration: {0}")]
    InvalidConfig(String),
}

impl UnipileError {
    /// Unipile's request id, to quote when reporting a problem to Unipile.
    pub fn req_id(&self) -> Option<&str> {
        match self {
            UnipileError::Api(api) => api.req_id.as_deref(),
            UnipileError::UnexpectedResponse { req_id, .. } => req_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, when a response was received at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            UnipileError::Api(api) => Some(api.status),
            UnipileError::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An error body of the form `{object:"Error", type, status, title, detail, req_id}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unipile answered {status} {kind}: {title}")]
pub struct ApiError {
    /// The HTTP status of the response (authoritative over the body's `status`).
    pub status: u16,
    pub kind: ErrorType,
    pub title: String,
    pub detail: Option<String>,
    pub req_id: Option<String>,
}

wire_enum! {
    /// The `type` of an error body, `thrower/info`: `api/…` comes from Unipile itself,
    /// `provider/…` is forwarded from LinkedIn, Instagram, the mail server…
    pub enum ErrorType {
        ApiInvalidParameters => "api/invalid_parameters",
        ProviderInvalidParameters => "provider/invalid_parameters",
        ApiInvalidAuthFormat => "api/invalid_auth_format",
        ProviderInvalidAuthorization => "provider/invalid_authorization",
        ProviderInvalidCredentials => "provider/invalid_credentials",
        ApiMissingAuthorization => "api/missing_authorization",
        ApiExpiredAuthorization => "api/expired_authorization",
        ApiInsufficientPermissions => "api/insufficient_permissions",
        ProviderInvalidCheckpointCode => "provider/invalid_checkpoint_code",
        ProviderAccountMismatch => "provider/account_mismatch",
        ApiProxyAuthError => "api/proxy_auth_error",
        ApiInactiveSubscription => "api/inactive_subscription",
        ProviderInsufficientPermissions => "provider/insufficient_permissions",
        ApiAccountRestricted => "api/account_restricted",
        ApiAlreadyExists => "api/already_exists",
        ProviderUnknownAuthenticationContext => "provider/unknown_authentication_context",
        ApiResourceNotFound => "api/resource_not_found",
        ProviderResourceNotFound => "provider/resource_not_found",
        ProviderMethodNotAllowed => "provider/method_not_allowed",
        ApiConflict => "api/conflict",
        ProviderConflict => "provider/conflict",
        ProviderInvalidFile => "provider/invalid_file",
        ProviderUnprocessableEntity => "provider/unprocessable_entity",
        ApiTooManyRequests => "api/too_many_requests",
        ProviderTooManyRequests => "provider/too_many_requests",
        ApiInternalError => "api/internal_error",
        ProviderServerError => "provider/server_error",
        ApiNotImplemented => "api/not_implemented",
        ApiProxyError => "api/proxy_error",
        ApiProxyTimeout => "api/proxy_timeout",
        ProviderTimeout => "provider/timeout",
        ApiExpiredLink => "api/expired_link",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_type_round_trips() {
        assert_eq!(ErrorType::ALL.len(), 32);
        for kind in ErrorType::ALL {
            assert_eq!(&ErrorType::parse(kind.as_str()), kind);
            assert!(!matches!(kind, ErrorType::Other(_)));
        }
    }

    #[test]
    fn unknown_type_is_kept() {
        let kind = ErrorType::parse("api/brand_new");
        assert_eq!(kind, ErrorType::Other("api/brand_new".into()));
        assert_eq!(kind.as_str(), "api/brand_new");
    }

    #[test]
    fn accessors() {
        let api = UnipileError::Api(ApiError {
            status: 409,
            kind: ErrorType::ApiAlreadyExists,
            title: "Already exists".into(),
            detail: None,
            req_id: Some("req_1".into()),
        });
        assert_eq!(api.req_id(), Some("req_1"));
        assert_eq!(api.status(), Some(409));
        assert_eq!(UnipileError::Timeout.status(), None);
        assert_eq!(UnipileError::Timeout.req_id(), None);
    }
}
