//! How a checked form becomes the body of `POST /v2/auth/intent` (server only).

use super::{Body, CheckedForm};
use secrecy::SecretString;
use unipile::{
    Credentials, CustomProxy, Encryption, IntentConfig, MailServer, ProxyProtocol, StartAuthIntent,
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
