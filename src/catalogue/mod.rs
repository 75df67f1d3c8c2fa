//! The providers a user can link, as data both the server and the browser read: how each one signs in
//! (its methods and their fields), how those fields are checked, and how they become the body sent to
//! Unipile. The forms are drawn from this table; adding a provider or a method starts here. The checks are in
//! [`checks`], the body sent to Unipile in `body` (server only).

mod checks;
pub use checks::*;
#[cfg(feature = "ssr")]
mod body;

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

#[cfg(test)]
mod tests;
