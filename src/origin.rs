//! The origin (`scheme://host[:port]`) of an absolute http(s) URL, read by the WHATWG URL standard that
//! browsers follow: the `url` crate on the server, the browser's own `URL` in the page. An address is judged
//! by the host a browser would open (`https://a.example\@b.example/` opens `a.example`), and both sides of a
//! hydrated page agree on it.

/// The origin of `url` when it is an absolute http(s) URL without a login in it; `None` otherwise. Written as
/// browsers write it: lower case, an international domain name in punycode, a default port left out.
pub fn origin_of(url: &str) -> Option<String> {
    parsed::origin_of(url)
}

#[cfg(feature = "ssr")]
mod parsed {
    pub fn origin_of(url: &str) -> Option<String> {
        let url = url::Url::parse(url).ok()?;
        let http = matches!(url.scheme(), "http" | "https");
        (http && url.username().is_empty() && url.password().is_none())
            .then(|| url.origin().ascii_serialization())
    }
}

#[cfg(not(feature = "ssr"))]
mod parsed {
    pub fn origin_of(url: &str) -> Option<String> {
        let url = web_sys::Url::new(url).ok()?;
        let http = matches!(url.protocol().as_str(), "http:" | "https:");
        (http && url.username().is_empty() && url.password().is_empty()).then(|| url.origin())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_as_a_browser_writes_them() {
        for (url, origin) in [
            (
                "http://127.0.0.1:4000/arkose/v2/k/api.js",
                "http://127.0.0.1:4000",
            ),
            (
                "https://Client-API.arkoselabs.com",
                "https://client-api.arkoselabs.com",
            ),
            (
                "https://app.example.com:443/back?x=1#y",
                "https://app.example.com",
            ),
            ("http://app.example.com:8080", "http://app.example.com:8080"),
            ("http://[::1]:3950/", "http://[::1]:3950"),
            ("https://bücher.example/", "https://xn--bcher-kva.example"),
            // The host a browser opens, not the text after the last `@`.
            ("https://a.example\\@b.example/", "https://a.example"),
            (" https://app.example.com/ ", "https://app.example.com"),
        ] {
            assert_eq!(origin_of(url).as_deref(), Some(origin), "{url}");
        }
    }

    #[test]
    fn no_origin_for_other_schemes_relative_urls_or_logins() {
        for url in [
            "",
            "/connect/linkedin",
            "//client-api.arkoselabs.com/x",
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://x/y",
            "https://user@host/",
            "https://user:pass@host/",
            "https://",
            "https://exa mple.com/",
        ] {
            assert_eq!(origin_of(url), None, "{url}");
        }
    }
}
