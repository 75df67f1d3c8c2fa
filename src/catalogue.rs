//! The providers a user can link, as data both the server and the browser read: how each one signs in
//! (its methods and their fields), how those fields are checked, and how they become the body sent to
//! Unipile. The forms are drawn from this table; adding a provider or a method starts here.

use crate::{
    error::ErrorCode,
    model::{FieldError, FieldProblem, FormValues},
    same,
    text::Text,
    tx,
};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt};

/// How a field is typed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Text,
    Email,
    /// Hidden while typed; never kept, never sent back to the browser.
    Secret,
    /// Digits only (ports).
    Number,
    /// One of the `(value, label)` options, in a drop-down list.
    Select(&'static [(&'static str, Text)]),
    /// One of the `(value, label)` options, all shown.
    Radio(&'static [(&'static str, Text)]),
    /// Ticked ("on") or not.
    Checkbox,
}

/// What a field's value must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Any printable text.
    Text,
    Email,
    /// A cookie value: printable ASCII without spaces, quotes, commas or semicolons.
    Token,
    /// A host name, an IPv4 address or an IPv6 address.
    Host,
    /// 1–65535.
    Port,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The form field's name, unique across a provider's form.
    pub name: &'static str,
    pub label: Text,
    pub input: Input,
    /// The `autocomplete` hint.
    pub autocomplete: &'static str,
    pub required: bool,
    pub max_len: usize,
    pub check: Check,
    pub help: Option<Text>,
    /// Shown in a fresh form.
    pub default: &'static str,
}

impl Field {
    /// Secrets are never kept after a refusal nor sent back to the browser.
    pub fn secret(&self) -> bool {
        self.input == Input::Secret
    }
}

/// How a method's fields become Unipile's `credentials`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `{username, password}`
    Basic,
    /// LinkedIn cookies: `{access_token, premium_access_token?, user_agent}`
    LinkedInCookie,
    /// Instagram: `{sessionid}`
    InstagramCookie,
    /// IMAP: `{user, password}`, or `{imap: {…}, smtp: {…}}` when the mail servers are filled in.
    Mailbox,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Method {
    /// Used in URLs (`?method=cookie`) and forms.
    pub id: &'static str,
    /// Names the method where a provider has more than one.
    pub label: Text,
    /// A sentence above the fields, where the method needs explaining.
    pub intro: Option<Text>,
    pub fields: &'static [Field],
    pub body: Body,
}

/// A provider's mark: its initials on its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logo {
    pub mark: &'static str,
    pub color: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provider {
    /// Our id, used in URLs (`/connect/{id}`) and in `Leptos.toml`.
    pub id: &'static str,
    pub label: Text,
    pub logo: Logo,
    /// The `provider` value sent to Unipile unless settings override it.
    pub default_unipile_id: &'static str,
    /// The first method is the default.
    pub methods: &'static [Method],
    /// Accepts `config.custom_proxy`.
    pub custom_proxy: bool,
    /// Offers the LinkedIn products (`config.products`).
    pub products: bool,
    /// Has the IMAP and SMTP server settings.
    pub mail_servers: bool,
}

impl Provider {
    /// The method called `id`, or the first one.
    pub fn method(&self, id: &str) -> &'static Method {
        self.methods
            .iter()
            .find(|m| m.id == id)
            .unwrap_or(&self.methods[0])
    }

    /// Every field the form can hold for `method`, with the optional sections.
    pub fn fields(&self, method: &Method) -> impl Iterator<Item = &'static Field> {
        let mail: &'static [Field] = if self.mail_servers {
            MAIL_SERVER_FIELDS
        } else {
            &[]
        };
        let proxy: &'static [Field] = if self.custom_proxy { PROXY_FIELDS } else { &[] };
        let products: &'static [Field] = if self.products { PRODUCT_FIELDS } else { &[] };
        method
            .fields
            .iter()
            .chain(mail)
            .chain(products)
            .chain(proxy)
    }

    /// The label of the field called `name`, for messages.
    pub fn field_label(&self, name: &str) -> Text {
        self.methods
            .iter()
            .flat_map(|m| m.fields)
            .chain(MAIL_SERVER_FIELDS)
            .chain(PROXY_FIELDS)
            .chain(PRODUCT_FIELDS)
            .find(|f| f.name == name)
            .map(|f| f.label)
            .unwrap_or(tx!(form.this_field))
    }
}

/// Longest username or password we accept; longer input is refused before any call upstream.
pub const MAX_FIELD_LEN: usize = 512;
/// Longest cookie value accepted.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Longest `state` passed through to Unipile.
pub const MAX_STATE_LEN: usize = 256;

const fn field(name: &'static str, label: Text, input: Input) -> Field {
    Field {
        name,
        label,
        input,
        autocomplete: "off",
        required: true,
        max_len: MAX_FIELD_LEN,
        check: Check::Text,
        help: None,
        default: "",
    }
}

const fn username(label: Text, help: Text) -> Field {
    Field {
        autocomplete: "username",
        help: Some(help),
        ..field("username", label, Input::Text)
    }
}

const PASSWORD: Field = Field {
    autocomplete: "current-password",
    ..field("password", tx!(fields.password), Input::Secret)
};

const fn token(name: &'static str, label: Text, help: Text) -> Field {
    Field {
        max_len: MAX_TOKEN_LEN,
        check: Check::Token,
        help: Some(help),
        ..field(name, label, Input::Secret)
    }
}

const LINKEDIN_PASSWORD_FIELDS: &[Field] = &[
    username(
        tx!(fields.email_or_phone),
        tx!(fields.linkedin_username_help),
    ),
    PASSWORD,
];
const LINKEDIN_COOKIE_FIELDS: &[Field] = &[
    token("li_at", tx!(fields.li_at), tx!(fields.li_at_help)),
    Field {
        required: false,
        ..token("li_a", tx!(fields.li_a), tx!(fields.li_a_help))
    },
    Field {
        autocomplete: "off",
        help: Some(tx!(fields.user_agent_help)),
        ..field("user_agent", tx!(fields.user_agent), Input::Text)
    },
];
const INSTAGRAM_PASSWORD_FIELDS: &[Field] = &[
    username(tx!(fields.username), tx!(fields.instagram_username_help)),
    PASSWORD,
];
const INSTAGRAM_COOKIE_FIELDS: &[Field] = &[token(
    "sessionid",
    tx!(fields.sessionid),
    tx!(fields.sessionid_help),
)];
const MESSENGER_FIELDS: &[Field] = &[
    username(
        tx!(fields.email_or_phone),
        tx!(fields.messenger_username_help),
    ),
    PASSWORD,
];
const X_FIELDS: &[Field] = &[
    username(tx!(fields.x_username), tx!(fields.x_username_help)),
    PASSWORD,
];
const IMAP_FIELDS: &[Field] = &[
    Field {
        input: Input::Email,
        check: Check::Email,
        ..username(tx!(fields.email), tx!(fields.email_help))
    },
    PASSWORD,
];

const ENCRYPTIONS: &[(&str, Text)] = &[
    ("default", tx!(fields.automatic)),
    ("ssl", same!("SSL")),
    ("tls", same!("TLS")),
    ("starttls", same!("STARTTLS")),
];
const PROXY_PROTOCOLS: &[(&str, Text)] = &[
    ("https", same!("HTTPS")),
    ("http", same!("HTTP")),
    ("socks5", same!("SOCKS5")),
    ("socks4", same!("SOCKS4")),
];
const PREMIUM: &[(&str, Text)] = &[
    ("none", tx!(fields.none)),
    ("recruiter", same!("Recruiter")),
    ("sales_navigator", same!("Sales Navigator")),
];

const fn host(name: &'static str, label: Text) -> Field {
    Field {
        check: Check::Host,
        max_len: 253,
        required: false,
        ..field(name, label, Input::Text)
    }
}

const fn port(name: &'static str, label: Text, default: &'static str) -> Field {
    Field {
        check: Check::Port,
        max_len: 5,
        required: false,
        default,
        ..field(name, label, Input::Number)
    }
}

const fn optional(field: Field, help: Text) -> Field {
    Field {
        required: false,
        help: Some(help),
        ..field
    }
}

/// IMAP's "Advanced settings": both servers, each with its own user and password when they differ from the
/// mailbox's.
pub const MAIL_SERVER_FIELDS: &[Field] = &[
    host("imap_host", tx!(fields.imap_host)),
    port("imap_port", tx!(fields.imap_port), "993"),
    Field {
        default: "default",
        required: false,
        ..field(
            "imap_encryption",
            tx!(fields.imap_encryption),
            Input::Select(ENCRYPTIONS),
        )
    },
    optional(
        field("imap_user", tx!(fields.imap_user), Input::Text),
        tx!(fields.same_user),
    ),
    optional(
        field("imap_password", tx!(fields.imap_password), Input::Secret),
        tx!(fields.same_password),
    ),
    host("smtp_host", tx!(fields.smtp_host)),
    port("smtp_port", tx!(fields.smtp_port), "587"),
    Field {
        default: "default",
        required: false,
        ..field(
            "smtp_encryption",
            tx!(fields.smtp_encryption),
            Input::Select(ENCRYPTIONS),
        )
    },
    optional(
        field("smtp_user", tx!(fields.smtp_user), Input::Text),
        tx!(fields.same_user),
    ),
    optional(
        field("smtp_password", tx!(fields.smtp_password), Input::Secret),
        tx!(fields.same_password),
    ),
];

/// "Use my own proxy".
pub const PROXY_FIELDS: &[Field] = &[
    host("proxy_host", tx!(fields.proxy_host)),
    port("proxy_port", tx!(fields.proxy_port), ""),
    Field {
        default: "https",
        required: false,
        ..field(
            "proxy_protocol",
            tx!(fields.proxy_protocol),
            Input::Select(PROXY_PROTOCOLS),
        )
    },
    optional(
        field("proxy_username", tx!(fields.proxy_username), Input::Text),
        tx!(fields.proxy_login_help),
    ),
    optional(
        field("proxy_password", tx!(fields.proxy_password), Input::Secret),
        tx!(fields.proxy_login_help),
    ),
];

/// LinkedIn's products: classic messaging, plus at most one of Recruiter and Sales Navigator.
pub const PRODUCT_FIELDS: &[Field] = &[
    Field {
        default: "on",
        required: false,
        ..field("classic", tx!(fields.classic), Input::Checkbox)
    },
    Field {
        default: "none",
        required: false,
        ..field("premium", tx!(fields.premium), Input::Radio(PREMIUM))
    },
];

pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "linkedin",
        label: same!("LinkedIn"),
        logo: Logo {
            mark: "in",
            color: "#0a66c2",
        },
        default_unipile_id: "linkedin",
        methods: &[
            Method {
                id: "password",
                label: tx!(methods.email_password),
                intro: None,
                fields: LINKEDIN_PASSWORD_FIELDS,
                body: Body::Basic,
            },
            Method {
                id: "cookie",
                label: tx!(methods.session_cookies),
                intro: Some(tx!(methods.linkedin_cookie_intro)),
                fields: LINKEDIN_COOKIE_FIELDS,
                body: Body::LinkedInCookie,
            },
        ],
        custom_proxy: true,
        products: true,
        mail_servers: false,
    },
    Provider {
        id: "instagram",
        label: same!("Instagram"),
        logo: Logo {
            mark: "Ig",
            color: "#c13584",
        },
        default_unipile_id: "instagram",
        methods: &[
            Method {
                id: "password",
                label: tx!(methods.username_password),
                intro: None,
                fields: INSTAGRAM_PASSWORD_FIELDS,
                body: Body::Basic,
            },
            Method {
                id: "cookie",
                label: tx!(methods.session_cookie),
                intro: Some(tx!(methods.instagram_cookie_intro)),
                fields: INSTAGRAM_COOKIE_FIELDS,
                body: Body::InstagramCookie,
            },
        ],
        custom_proxy: true,
        products: false,
        mail_servers: false,
    },
    Provider {
        id: "messenger",
        label: same!("Messenger"),
        logo: Logo {
            mark: "M",
            color: "#0866ff",
        },
        default_unipile_id: "messenger",
        methods: &[Method {
            id: "password",
            label: tx!(methods.email_password),
            intro: None,
            fields: MESSENGER_FIELDS,
            body: Body::Basic,
        }],
        custom_proxy: true,
        products: false,
        mail_servers: false,
    },
    Provider {
        id: "x",
        label: same!("X (Twitter)"),
        logo: Logo {
            mark: "X",
            color: "#0f1419",
        },
        default_unipile_id: "twitter",
        methods: &[Method {
            id: "password",
            label: tx!(methods.username_password),
            intro: None,
            fields: X_FIELDS,
            body: Body::Basic,
        }],
        custom_proxy: true,
        products: false,
        mail_servers: false,
    },
    Provider {
        id: "imap",
        label: tx!(providers.imap),
        logo: Logo {
            mark: "@",
            color: "#4b5563",
        },
        default_unipile_id: "imap",
        methods: &[Method {
            id: "password",
            label: tx!(methods.email_password),
            intro: None,
            fields: IMAP_FIELDS,
            body: Body::Mailbox,
        }],
        custom_proxy: true,
        products: false,
        mail_servers: true,
    },
];

pub fn find(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

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

/// `value` made safe as HTML text or inside a double-quoted attribute.
pub fn escape_html(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, or `None` when `url` is not one. Enough to compare
/// with an allow-list or build a Content-Security-Policy source; not a general URL parser.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    valid.then(|| format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Longest `success_url` / `failure_url` accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Whether `url` may receive the end of the flow: an http(s) URL of an allowed origin, printable, no
/// fragment, of a sane length.
pub fn redirect_allowed(url: &str, allowed_origins: &[String]) -> bool {
    url.len() <= MAX_URL_LEN
        && !url.contains('#')
        && url.bytes().all(|b| b.is_ascii_graphic())
        && origin_of(url).is_some_and(|o| allowed_origins.contains(&o))
}

/// `url` with `params` appended to its query, percent-encoded.
pub fn with_query(url: &str, params: &[(&str, Option<&str>)]) -> String {
    let added: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", percent_encode(v))))
        .collect();
    if added.is_empty() {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", added.join("&"))
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
fn clean<'a>(field: &Field, raw: &'a str) -> &'a str {
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

fn problem(field: &Field, value: &str) -> Option<FieldProblem> {
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

fn is_email(value: &str) -> bool {
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
    fn value(&self, name: &str) -> Option<&str> {
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

#[cfg(feature = "ssr")]
mod body {
    use super::{Body, CheckedForm};
    use secrecy::SecretString;
    use unipile::{
        Credentials, CustomProxy, Encryption, IntentConfig, MailServer, ProxyProtocol,
        StartAuthIntent,
    };

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    impl CheckedForm {
        fn text(&self, name: &str) -> String {
            self.value(name).unwrap_or_default().to_owned()
        }

        fn mail_server(&self, prefix: &str) -> MailServer {
            let get = |f: &str| self.value(&format!("{prefix}_{f}")).map(str::to_owned);
            MailServer {
                user: get("user").unwrap_or_else(|| self.text("username")),
                password: secret(&get("password").unwrap_or_else(|| self.text("password"))),
                host: get("host").unwrap_or_default(),
                port: get("port").and_then(|p| p.parse().ok()).unwrap_or_default(),
                encryption: match get("encryption").as_deref() {
                    Some("tls") => Some(Encryption::Tls),
                    Some("ssl") => Some(Encryption::Ssl),
                    Some("starttls") => Some(Encryption::Starttls),
                    _ => None,
                },
            }
        }

        /// The Start Auth Intent body for this form; `unipile_id` is the provider string to send.
        pub fn intent(&self, unipile_id: String) -> StartAuthIntent {
            let credentials = match self.method.body {
                Body::Basic => Credentials::Basic {
                    username: self.text("username"),
                    password: secret(&self.text("password")),
                    user_agent: None,
                },
                Body::LinkedInCookie => Credentials::LinkedInCookie {
                    access_token: secret(&self.text("li_at")),
                    premium_access_token: self.value("li_a").map(secret),
                    user_agent: self.text("user_agent"),
                },
                Body::InstagramCookie => Credentials::InstagramCookie {
                    sessionid: secret(&self.text("sessionid")),
                },
                Body::Mailbox if self.has_mail_servers() => Credentials::ImapFull {
                    imap: self.mail_server("imap"),
                    smtp: self.mail_server("smtp"),
                },
                Body::Mailbox => Credentials::ImapBasic {
                    user: self.text("username"),
                    password: secret(&self.text("password")),
                },
            };
            let custom_proxy = self.value("proxy_host").map(|host| CustomProxy {
                host: host.to_owned(),
                port: self
                    .value("proxy_port")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_default(),
                protocol: match self.value("proxy_protocol") {
                    Some("http") => Some(ProxyProtocol::Http),
                    Some("socks5") => Some(ProxyProtocol::Socks5),
                    Some("socks4") => Some(ProxyProtocol::Socks4),
                    Some("https") => Some(ProxyProtocol::Https),
                    _ => None,
                },
                username: self.value("proxy_username").map(str::to_owned),
                password: self.value("proxy_password").map(secret),
            });
            let mut products = Vec::new();
            if self.value("classic") == Some("on") {
                products.push("classic".to_owned());
            }
            if let Some(premium @ ("recruiter" | "sales_navigator")) = self.value("premium") {
                products.push(premium.to_owned());
            }
            let products = (!products.is_empty()).then_some(products);
            let config = (custom_proxy.is_some() || products.is_some()).then(|| IntentConfig {
                custom_proxy,
                products,
                // IMAP's config object requires it in one edition of the schema; syncing is the default.
                initial_sync_enable: (self.method.body == Body::Mailbox).then_some(true),
            });
            StartAuthIntent {
                provider: unipile_id,
                account_id: self.kept.account_id.clone(),
                state: self.kept.state.clone(),
                user_timezone: None,
                credentials,
                config,
            }
        }
    }
}

#[cfg(test)]
mod tests;
