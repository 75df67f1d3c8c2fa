//! Proxies between this server and Unipile, named as curl names them (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, `NO_PROXY`). The same values drive both transports: reqwest for HTTP/1.1, and the
//! HTTP/2 connections the client opens itself, through a CONNECT tunnel.

use std::fmt;

use hyper_util::client::proxy::matcher::{Intercept, Matcher};

use crate::error::UnipileError;

/// Which proxy each call to Unipile goes through. Empty values mean "none".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// For every destination without a more specific entry (`ALL_PROXY`).
    pub all: String,
    /// For `http://` destinations (`HTTP_PROXY`).
    pub http: String,
    /// For `https://` destinations (`HTTPS_PROXY`).
    pub https: String,
    /// Hosts, domains and networks reached directly (`NO_PROXY`), comma-separated; `*` for all.
    pub no: String,
}

impl Proxies {
    /// The proxies of this process's environment, upper-case names first, as curl reads them.
    pub fn from_env() -> Proxies {
        let first = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|name| std::env::var(name).ok())
                .unwrap_or_default()
        };
        Proxies {
            all: first(["ALL_PROXY", "all_proxy"]),
            http: first(["HTTP_PROXY", "http_proxy"]),
            https: first(["HTTPS_PROXY", "https_proxy"]),
            no: first(["NO_PROXY", "no_proxy"]),
        }
    }

    /// The proxy a call to `origin` goes through, if any.
    pub(crate) fn for_origin(&self, origin: &http::Uri) -> Option<Intercept> {
        Matcher::builder()
            .all(self.all.as_str())
            .http(self.http.as_str())
            .https(self.https.as_str())
            .no(self.no.as_str())
            .build()
            .intercept(origin)
    }

    /// The same rules for reqwest, which is told not to read the environment itself.
    pub(crate) fn for_reqwest(&self) -> Result<Vec<reqwest::Proxy>, UnipileError> {
        let no = || reqwest::NoProxy::from_string(&self.no);
        let mut proxies = Vec::new();
        type Make = fn(&String) -> reqwest::Result<reqwest::Proxy>;
        let rules: [(&str, &String, Make); 3] = [
            ("HTTP_PROXY", &self.http, |url| reqwest::Proxy::http(url)),
            ("HTTPS_PROXY", &self.https, |url| reqwest::Proxy::https(url)),
            ("ALL_PROXY", &self.all, |url| reqwest::Proxy::all(url)),
        ];
        for (name, value, make) in rules {
            if value.is_empty() {
                continue;
            }
            let proxy = make(value).map_err(|_| {
                UnipileError::InvalidConfig(format!(
                    "{name} is not a proxy URL (e.g. http://proxy.example:3128)"
                ))
            })?;
            proxies.push(proxy.no_proxy(no()));
        }
        Ok(proxies)
    }
}

/// Says which proxies are set, never their URLs: a URL may carry a password.
impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |value: &String| if value.is_empty() { "unset" } else { "set" };
        f.debug_struct("Proxies")
            .field("all", &set(&self.all))
            .field("http", &set(&self.http))
            .field("https", &set(&self.https))
            .field("no", &self.no)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(https: &str, no: &str) -> Proxies {
        Proxies {
            https: https.into(),
            no: no.into(),
            ..Proxies::default()
        }
    }

    #[test]
    fn https_destinations_take_the_https_proxy_unless_excluded() {
        let origin = http::Uri::from_static("https://api.unipile.com");
        let set = proxies("http://user:secret@proxy.test:3128", "");
        let intercept = set.for_origin(&origin).expect("proxied");
        assert_eq!(intercept.uri().host(), Some("proxy.test"));
        assert!(intercept.basic_auth().is_some());
        assert!(proxies("http://proxy.test:3128", "unipile.com")
            .for_origin(&origin)
            .is_none());
        assert!(proxies("", "").for_origin(&origin).is_none());
        let all = Proxies {
            all: "http://proxy.test:3128".into(),
            ..Proxies::default()
        };
        assert!(all.for_origin(&origin).is_some());
    }

    #[test]
    fn debug_never_shows_a_proxy_password() {
        let text = format!("{:?}", proxies("http://user:secret@proxy.test:3128", ""));
        assert!(
            !text.contains("secret") && !text.contains("proxy.test"),
            "{text}"
        );
    }

    #[test]
    fn a_value_that_is_no_url_is_refused_with_its_name() {
        match proxies("::not a url::", "").for_reqwest() {
            Err(UnipileError::InvalidConfig(reason)) => assert!(reason.contains("HTTPS_PROXY")),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
