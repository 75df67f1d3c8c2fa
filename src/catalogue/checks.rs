//! How a form's fields are checked, and the link parameters (reconnect, state, return addresses) with them.

use super::*;
use percent_encoding::utf8_percent_encode;

/// The optional sections the deployment offers (settings), as the forms need to know them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    /// "Use my own proxy".
    pub custom_proxy: bool,
    /// LinkedIn's product choice.
    pub products: bool,
}

/// A submitted sign-in form, as posted (with or without JavaScript): the method, the reconnect and state
/// parameters, and the fields by name. `Debug` shows field names only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub success_url: String,
    #[serde(default)]
    pub failure_url: String,
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
}

impl fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInForm")
            .field("method", &self.method)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A form that passed every check: the values to send (secrets included) and what may be kept.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedForm {
    pub provider: &'static Provider,
    pub method: &'static Method,
    /// Every filled-in field, trimmed where it is not a secret.
    values: BTreeMap<&'static str, String>,
    /// What is kept for the form after a refusal (no secrets).
    pub kept: FormValues,
}

impl fmt::Debug for CheckedForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedForm")
            .field("provider", &self.provider.id)
            .field("method", &self.method.id)
            .field("kept", &self.kept)
            .finish_non_exhaustive()
    }
}

/// Why an `account_id` or `state` parameter was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    AccountId,
    State,
    /// A `success_url` or `failure_url` outside `embed.allowed_origins`.
    RedirectUrl,
}

impl LinkProblem {
    /// What the page says: a return address the application has not allowed is not a malformed link.
    pub fn code(self) -> ErrorCode {
        match self {
            LinkProblem::AccountId | LinkProblem::State => ErrorCode::InvalidLink,
            LinkProblem::RedirectUrl => ErrorCode::RedirectNotAllowed,
        }
    }
}

/// Checks a reconnect `account_id` (`acc_` then letters, digits, `-` or `_`).
pub fn valid_account_id(id: &str) -> bool {
    id.strip_prefix("acc_").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 100
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Checks the host's `state`: at most [`MAX_STATE_LEN`] bytes, no control characters.
pub fn valid_state(state: &str) -> bool {
    state.len() <= MAX_STATE_LEN && !state.chars().any(char::is_control)
}

/// The reconnect and state parameters of a page or form, checked; empty means absent.
pub fn link_params(
    account_id: &str,
    state: &str,
) -> Result<(Option<String>, Option<String>), LinkProblem> {
    let account_id = account_id.trim();
    if !account_id.is_empty() && !valid_account_id(account_id) {
        return Err(LinkProblem::AccountId);
    }
    if !valid_state(state) {
        return Err(LinkProblem::State);
    }
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok((some(account_id), some(state)))
}

/// The flow page of `provider` with the query parameters that are set, percent-encoded.
pub fn page_url(provider: &str, params: &[(&str, Option<&str>)]) -> String {
    with_query(&format!("/connect/{provider}"), params)
}

/// What a query value keeps as it is: RFC 3986's unreserved characters; every other byte is percent-encoded.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Longest `success_url` / `failure_url` accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Whether `url` may receive the end of the flow: an http(s) URL of an allowed origin, printable, no
/// fragment, of a sane length.
pub fn redirect_allowed(url: &str, allowed_origins: &[String]) -> bool {
    url.len() <= MAX_URL_LEN
        && !url.contains('#')
        && url.bytes().all(|b| b.is_ascii_graphic())
        && crate::origin::origin_of(url).is_some_and(|o| allowed_origins.contains(&o))
}

/// `url` with `params` appended to its query, percent-encoded.
pub fn with_query(url: &str, params: &[(&str, Option<&str>)]) -> String {
    let added: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE))))
        .collect();
    if added.is_empty() {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", added.join("&"))
}

/// `path` with the parameters `pairs` (a page's query) but those `dropped`, then `added` (one given `None`
/// is left out).
pub fn with_params_replaced<K: AsRef<str>>(
    path: &str,
    pairs: impl IntoIterator<Item = (K, String)>,
    dropped: &[&str],
    added: (&str, Option<&str>),
) -> String {
    let kept: Vec<(K, String)> = pairs
        .into_iter()
        .filter(|(k, _)| !dropped.contains(&k.as_ref()))
        .collect();
    let mut params: Vec<(&str, Option<&str>)> = kept
        .iter()
        .map(|(k, v)| (k.as_ref(), Some(v.as_str())))
        .collect();
    params.push(added);
    with_query(path, &params)
}

/// The host's redirect targets, checked against the allow-list; empty means absent.
pub fn redirect_params(
    success_url: &str,
    failure_url: &str,
    allowed_origins: &[String],
) -> Result<(Option<String>, Option<String>), LinkProblem> {
    let check = |url: &str| -> Result<Option<String>, LinkProblem> {
        match url.trim() {
            "" => Ok(None),
            url if redirect_allowed(url, allowed_origins) => Ok(Some(url.to_owned())),
            _ => Err(LinkProblem::RedirectUrl),
        }
    };
    Ok((check(success_url)?, check(failure_url)?))
}

/// The value a user typed for a field, cleaned: non-secrets trimmed; cookie values without surrounding
/// quotes or a leading `name=`.
pub(super) fn clean<'a>(field: &Field, raw: &'a str) -> &'a str {
    match field.check {
        Check::Token => {
            let v = raw.trim();
            let v = v
                .strip_prefix(field.name)
                .and_then(|rest| rest.strip_prefix('='))
                .unwrap_or(v);
            v.trim_matches('"')
        }
        _ if field.secret() => raw,
        _ => raw.trim(),
    }
}

pub(super) fn problem(field: &Field, value: &str) -> Option<FieldProblem> {
    if value.is_empty() {
        return None;
    }
    if value.len() > field.max_len {
        return Some(FieldProblem::TooLong);
    }
    if value.chars().any(char::is_control) {
        return Some(FieldProblem::NotPrintable);
    }
    if field.input == Input::Checkbox {
        return (value != "on").then_some(FieldProblem::NotAChoice);
    }
    if let Input::Select(options) | Input::Radio(options) = field.input {
        return (!options.iter().any(|(v, _)| *v == value)).then_some(FieldProblem::NotAChoice);
    }
    let ok = match field.check {
        Check::Text => true,
        Check::Email => is_email(value),
        Check::Token => value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\')),
        Check::Host => is_host(value),
        Check::Port => {
            value.len() <= 5
                && value.bytes().all(|b| b.is_ascii_digit())
                && matches!(value.parse::<u32>(), Ok(1..=65535))
        }
    };
    if ok {
        None
    } else {
        Some(match field.check {
            Check::Email => FieldProblem::NotEmail,
            Check::Token => FieldProblem::NotToken,
            Check::Host => FieldProblem::NotHost,
            Check::Port => FieldProblem::NotPort,
            Check::Text => FieldProblem::NotPrintable,
        })
    }
}

pub(super) fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.chars().any(char::is_whitespace)
                && domain.contains('.')
                && is_host(domain)
        }
        None => false,
    }
}

/// A DNS name (letters, digits, hyphens; labels of 1–63), an IPv4 address, or an IPv6 address (bracketed
/// or not).
pub fn is_host(value: &str) -> bool {
    let bare = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    if bare.contains(':') {
        return bare.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if bare.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return bare.parse::<std::net::Ipv4Addr>().is_ok();
    }
    let name = bare.strip_suffix('.').unwrap_or(bare);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl SignInForm {
    /// Checks the form against the catalogue entry. On success the values are ready to be sent; otherwise
    /// the fields to correct come back with what may be kept.
    #[allow(
        clippy::result_large_err,
        reason = "a checked form holds the same kept values: boxing the refusal leaves the result as large"
    )]
    pub fn check(
        &self,
        provider: &'static Provider,
        options: FormOptions,
    ) -> Result<CheckedForm, (FormValues, Vec<FieldError>)> {
        let method = provider.method(&self.method);
        let (account_id, state) = link_params(&self.account_id, &self.state).unwrap_or_default();
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let mut values = BTreeMap::new();
        let mut kept = FormValues {
            method: method.id.to_owned(),
            values: BTreeMap::new(),
            account_id,
            state,
            success_url: some(&self.success_url),
            failure_url: some(&self.failure_url),
        };
        let mut errors = Vec::new();
        let mut error = |field: &Field, problem| {
            errors.push(FieldError {
                field: field.name.to_owned(),
                problem,
            })
        };
        for field in provider.fields(method) {
            let offered = match field.name {
                n if n.starts_with("proxy_") => options.custom_proxy,
                "classic" | "premium" => options.products,
                _ => true,
            };
            if !offered {
                continue;
            }
            let raw = self
                .fields
                .get(field.name)
                .map(String::as_str)
                .unwrap_or("");
            let value = clean(field, raw);
            // An empty field whose default is empty reads the same kept or not (`FormValues::get`).
            let keep = !value.is_empty() || !field.default.is_empty();
            if keep && !field.secret() && value.len() <= field.max_len {
                kept.values.insert(field.name.to_owned(), value.to_owned());
            }
            if let Some(problem) = problem(field, value) {
                error(field, problem);
            } else if value.is_empty() && field.required {
                error(field, FieldProblem::Required);
            } else if !value.is_empty() {
                values.insert(field.name, value.to_owned());
            }
        }
        // A checkbox left unticked is absent from the post; keep it as "off" so the form shows it so.
        if options.products && provider.products && !values.contains_key("classic") {
            kept.values.insert("classic".to_owned(), "off".to_owned());
        }
        // Sections are all or nothing: a host needs its port, a mail server needs the other one.
        let filled = |name: &str| values.contains_key(name);
        let mut needed = |names: &[&'static str]| {
            for name in names {
                if !filled(name) && !errors.iter().any(|e| e.field == *name) {
                    errors.push(FieldError {
                        field: (*name).to_owned(),
                        problem: FieldProblem::NeededWithOthers,
                    });
                }
            }
        };
        if provider.mail_servers && (filled("imap_host") || filled("smtp_host")) {
            needed(&["imap_host", "imap_port", "smtp_host", "smtp_port"]);
        }
        if options.custom_proxy
            && provider.custom_proxy
            && PROXY_FIELDS
                .iter()
                .any(|f| f.name != "proxy_protocol" && filled(f.name))
        {
            needed(&["proxy_host", "proxy_port"]);
        }
        if errors.is_empty() {
            Ok(CheckedForm {
                provider,
                method,
                values,
                kept,
            })
        } else {
            Err((kept, errors))
        }
    }
}

impl CheckedForm {
    pub(super) fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The name the per-username rate limit counts, where the method has one.
    pub fn login_name(&self) -> Option<&str> {
        self.value("username")
    }

    /// Whether the IMAP servers were given (the full form), rather than left to autodetection.
    pub fn has_mail_servers(&self) -> bool {
        self.value("imap_host").is_some()
    }
}
