//! Request bodies. Secrets are `SecretString`, so `Debug` redacts them; they are exposed only
//! while serde writes the body.

use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};

/// Body of `POST /v2/auth/intent`.
#[derive(Debug, Clone, Serialize)]
pub struct StartAuthIntent {
    /// `linkedin`, `instagram`, `imap`, `messenger`, `twitter`…
    pub provider: String,
    /// Reconnects this existing account (`acc_…`) instead of creating one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Echoed in Unipile's `account.add` / `account.reconnect` webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// LinkedIn only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_timezone: Option<String>,
    pub credentials: Credentials,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<IntentConfig>,
}

/// The `credentials` object; its shape depends on the provider.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Credentials {
    /// LinkedIn, Instagram, Messenger, X.
    Basic {
        username: String,
        #[serde(serialize_with = "expose")]
        password: SecretString,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_agent: Option<String>,
    },
    /// LinkedIn `li_at` cookie (and `li_a` for Recruiter / Sales Navigator).
    LinkedInCookie {
        #[serde(serialize_with = "expose")]
        access_token: SecretString,
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "expose_option"
        )]
        premium_access_token: Option<SecretString>,
        /// Exact user agent of the browser the cookie comes from.
        user_agent: String,
    },
    /// Instagram `sessionid` cookie.
    InstagramCookie {
        #[serde(serialize_with = "expose")]
        sessionid: SecretString,
    },
    /// IMAP with server settings guessed by Unipile.
    ImapBasic {
        user: String,
        #[serde(serialize_with = "expose")]
        password: SecretString,
    },
    /// IMAP with explicit IMAP and SMTP servers.
    ImapFull { imap: MailServer, smtp: MailServer },
}

#[derive(Debug, Clone, Serialize)]
pub struct MailServer {
    pub user: String,
    #[serde(serialize_with = "expose")]
    pub password: SecretString,
    pub host: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encryption {
    Tls,
    Ssl,
    Starttls,
    Default,
}

/// The `config` object of an intent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntentConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_proxy: Option<CustomProxy>,
    /// LinkedIn: `classic`, `recruiter`, `sales_navigator`, `company`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<String>>,
    /// IMAP only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_sync_enable: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomProxy {
    pub host: String,
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ProxyProtocol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "expose_option"
    )]
    pub password: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyProtocol {
    Https,
    Http,
    Socks5,
    Socks4,
}

fn expose<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

fn expose_option<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn intent(credentials: Credentials) -> StartAuthIntent {
        StartAuthIntent {
            provider: "linkedin".into(),
            account_id: None,
            state: None,
            user_timezone: None,
            credentials,
            config: None,
        }
    }

    #[test]
    fn basic_intent_serializes_without_empty_options() {
        let body = intent(Credentials::Basic {
            username: "user_good".into(),
            password: secret("hunter2-secret"),
            user_agent: None,
        });
        assert_eq!(
            serde_json::to_value(&body).ok(),
            Some(json!({
                "provider": "linkedin",
                "credentials": {"username": "user_good", "password": "hunter2-secret"}
            }))
        );
    }

    #[test]
    fn full_intent_serializes_every_field() {
        let body = StartAuthIntent {
            provider: "imap".into(),
            account_id: Some("acc_1".into()),
            state: Some("s".into()),
            user_timezone: Some("Europe/Paris".into()),
            credentials: Credentials::ImapFull {
                imap: MailServer {
                    user: "u".into(),
                    password: secret("p1"),
                    host: "imap.example".into(),
                    port: 993,
                    encryption: Some(Encryption::Ssl),
                },
                smtp: MailServer {
                    user: "u".into(),
                    password: secret("p2"),
                    host: "smtp.example".into(),
                    port: 587,
                    encryption: None,
                },
            },
            config: Some(IntentConfig {
                custom_proxy: Some(CustomProxy {
                    host: "proxy.example".into(),
                    port: 8080,
                    protocol: Some(ProxyProtocol::Socks5),
                    username: Some("pu".into()),
                    password: Some(secret("pp")),
                }),
                products: Some(vec!["classic".into()]),
                initial_sync_enable: Some(false),
            }),
        };
        assert_eq!(
            serde_json::to_value(&body).ok(),
            Some(json!({
                "provider": "imap", "account_id": "acc_1", "state": "s", "user_timezone": "Europe/Paris",
                "credentials": {
                    "imap": {"user": "u", "password": "p1", "host": "imap.example", "port": 993, "encryption": "ssl"},
                    "smtp": {"user": "u", "password": "p2", "host": "smtp.example", "port": 587}
                },
                "config": {
                    "custom_proxy": {"host": "proxy.example", "port": 8080, "protocol": "socks5", "username": "pu", "password": "pp"},
                    "products": ["classic"],
                    "initial_sync_enable": false
                }
            }))
        );
    }

    #[test]
    fn cookie_credentials_serialize() {
        let linkedin = Credentials::LinkedInCookie {
            access_token: secret("li_at_value"),
            premium_access_token: Some(secret("li_a_value")),
            user_agent: "UA".into(),
        };
        assert_eq!(
            serde_json::to_value(&linkedin).ok(),
            Some(
                json!({"access_token": "li_at_value", "premium_access_token": "li_a_value", "user_agent": "UA"})
            )
        );
        let instagram = Credentials::InstagramCookie {
            sessionid: secret("sid"),
        };
        assert_eq!(
            serde_json::to_value(&instagram).ok(),
            Some(json!({"sessionid": "sid"}))
        );
        let imap = Credentials::ImapBasic {
            user: "a@b.c".into(),
            password: secret("pw"),
        };
        assert_eq!(
            serde_json::to_value(&imap).ok(),
            Some(json!({"user": "a@b.c", "password": "pw"}))
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            Credentials::Basic {
                username: "user_good".into(),
                password: secret("s3cret-basic"),
                user_agent: None,
            },
            Credentials::LinkedInCookie {
                access_token: secret("s3cret-li-at"),
                premium_access_token: Some(secret("s3cret-li-a")),
                user_agent: "UA".into(),
            },
            Credentials::InstagramCookie {
                sessionid: secret("s3cret-session"),
            },
            Credentials::ImapBasic {
                user: "u".into(),
                password: secret("s3cret-imap"),
            },
            Credentials::ImapFull {
                imap: MailServer {
                    user: "u".into(),
                    password: secret("s3cret-imap-full"),
                    host: "h".into(),
                    port: 993,
                    encryption: None,
                },
                smtp: MailServer {
                    user: "u".into(),
                    password: secret("s3cret-smtp-full"),
                    host: "h".into(),
                    port: 465,
                    encryption: Some(Encryption::Tls),
                },
            },
        ];
        for credentials in all {
            let mut body = intent(credentials);
            body.config = Some(IntentConfig {
                custom_proxy: Some(CustomProxy {
                    host: "h".into(),
                    port: 1,
                    protocol: None,
                    username: None,
                    password: Some(secret("s3cret-proxy")),
                }),
                ..IntentConfig::default()
            });
            let debug = format!("{body:?} {:#?}", body.credentials);
            assert!(!debug.contains("s3cret"), "secret leaked: {debug}");
        }
    }
}
