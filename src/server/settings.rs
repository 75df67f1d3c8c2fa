//! Runtime settings: `Leptos.toml` layered under `CF_*` environment variables, parsed once at start-up.
//! Secrets are not settings: they come only from the environment (see [`Secrets`]).

use crate::catalogue;
use figment::{
    providers::{Env, Format, Toml},
    Figment,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    num::{NonZeroU32, NonZeroU64, NonZeroUsize},
    path::Path,
    time::Duration,
};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Providers offered on the picker, in order (ids of the catalogue).
    pub providers: Vec<String>,
    pub unipile: UnipileSettings,
    pub forms: FormSettings,
    pub flow: FlowSettings,
    pub cookie: CookieSettings,
    pub arkose: ArkoseSettings,
    pub sandbox: SandboxSettings,
    pub limits: LimitSettings,
    pub embed: EmbedSettings,
    pub server: ServerSettings,
    pub notify: NotifySettings,
    pub access: AccessSettings,
}

/// Who may start a sign-in. With signed links, `/connect/<provider>` opens only from a link the host's
/// backend signed with `LINK_SECRET` (a secret, read from the environment), expiring and single-use.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessSettings {
    /// Require signed start links. Unset, it follows the mode (see [`Settings::signed_links`]).
    pub signed_links: Option<bool>,
    /// Longest a link may be valid: a link whose `expires` is further ahead is refused.
    pub max_link_lifetime_secs: NonZeroU64,
}

/// The host's backend is told of every linked account: a signed POST to `url`, retried until it answers 2xx
/// or `give_up_after_secs` has passed. The key (`NOTIFY_SECRET`) is a secret, read from the environment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// Where notifications go: https, or http to a loopback address. Unset: no notifications.
    pub url: Option<String>,
    /// Longest an attempt may take (connecting included) before it counts as failed.
    pub timeout_ms: NonZeroU64,
    /// The wait after the first failed attempt; each later wait doubles, up to `retry_max_ms`.
    pub retry_initial_ms: NonZeroU64,
    pub retry_max_ms: u64,
    /// A notification not acknowledged this long after the account was linked is given up.
    pub give_up_after_secs: NonZeroU64,
}

/// Optional parts of the provider forms.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormSettings {
    /// Offer "Use my own proxy" (sent as `config.custom_proxy`).
    pub custom_proxy: bool,
    /// Let LinkedIn users choose products (classic, Recruiter or Sales Navigator).
    pub linkedin_products: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Sign-ins a client address may start per minute (a burst of this size, then one every 60/n s).
    pub start_per_ip_per_minute: NonZeroU32,
    /// Sign-ins that may be started per minute for one username of one provider, from any address.
    pub start_per_username_per_minute: NonZeroU32,
    /// Calls on a started sign-in (a code, a resend, another way, a choice, a wait, typing kept) per minute,
    /// for one sign-in; counted across replicas like every limit.
    pub actions_per_flow_per_minute: NonZeroU32,
    /// The same calls per minute from one client address, all its sign-ins together.
    pub actions_per_ip_per_minute: NonZeroU32,
    /// Take the client address from the last `X-Forwarded-For` entry (the one the nearest proxy added)
    /// instead of the socket. Only behind a proxy that sets it: otherwise clients choose their own address.
    pub trust_forwarded_for: bool,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EmbedSettings {
    /// Origins of the host applications (`https://app.example.com`): they may show the pages in a frame
    /// (`frame-ancestors`), receive the flow's `postMessage` events, and be given as `success_url` /
    /// `failure_url`. Empty: no frame, no events, no redirects.
    pub allowed_origins: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// After SIGTERM, how long requests in flight may take to finish before the process exits anyway.
    pub shutdown_deadline_secs: NonZeroU64,
    /// A page not ready within this long is answered with a page that says to reload (503). Pages take
    /// milliseconds, or up to `flow.wait_secs` when one holds a wait for an in-app approval without
    /// JavaScript; this must be longer.
    pub page_deadline_secs: u64,
    /// A name for this replica, sent in `x-served-by` when set (letters, digits, `.`, `_`, `-`).
    pub instance: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArkoseSettings {
    /// Origin (and optional path) of the Arkose Labs client API; the CAPTCHA script is loaded from
    /// `<base_url>/v2/<public_key>/api.js`. In sandbox mode the emulator's stand-in replaces it.
    pub base_url: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UnipileSettings {
    /// Used only with an API key; `UNIPILE_BASE_URL` overrides it. Scheme and host, optionally followed
    /// by `/` or `/v2`.
    pub base_url: String,
    /// Let live mode call an `http://` base_url (a local emulator); Unipile itself is https only.
    pub allow_http: bool,
    pub connect_timeout_ms: NonZeroU64,
    pub request_timeout_ms: NonZeroU64,
    /// Most calls one connection to Unipile carries at once (HTTP/2); past it another is opened.
    pub calls_per_connection: NonZeroUsize,
    /// A connection to Unipile nobody used for this long is closed; the next call opens a new one.
    pub idle_timeout_ms: NonZeroU64,
    /// Speak HTTP/2 without TLS to an `http://` base_url (a standalone sandbox). Over https it is
    /// negotiated; the built-in sandbox always gets it.
    pub cleartext_http2: bool,
    /// A PEM file of certificate authorities trusted for Unipile's TLS besides the public ones, e.g. that
    /// of a TLS-inspecting proxy between this server and Unipile.
    pub extra_root_certificates: Option<String>,
    /// The `provider` string sent to Unipile, per catalogue id, where it differs from the catalogue's default.
    pub provider_ids: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowSettings {
    /// How long a started sign-in stays open.
    pub checkpoint_lifetime_secs: NonZeroU64,
    /// Wrong codes allowed on one attempt before it is stopped.
    pub max_code_attempts: u8,
    /// Longest a request waiting for an in-app approval is held before it answers "still waiting".
    pub wait_secs: NonZeroU64,
    /// Time between two "Resend code".
    pub resend_cooldown_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CookieSettings {
    /// The site is served over https: the flow cookie is `Secure` and named `__Host-…`, and answers carry
    /// `Strict-Transport-Security`. Unset, it follows the mode (see [`Settings::secure_cookies`]).
    pub secure: Option<bool>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    pub in_app_delay_ms: u64,
    pub loading_delay_ms: u64,
}

/// Every setting's default: the `Leptos.toml` of the source tree, compiled in. A deployment's own file and
/// `CF_` variables override any key of it; a key it lacks is not a setting.
pub const DEFAULTS: &str = include_str!("../../Leptos.toml");

impl Default for Settings {
    /// The compiled-in defaults ([`DEFAULTS`]), before any file or variable.
    fn default() -> Self {
        Figment::from(Toml::string(DEFAULTS))
            .extract()
            .expect("the compiled-in Leptos.toml holds every setting")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid settings: {0}")]
    Parse(Box<figment::Error>),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Settings {
    /// Reads the defaults ([`DEFAULTS`]), then `path` (optional file), then this process's `CF_*` variables
    /// (`CF_FLOW__MAX_CODE_ATTEMPTS=3`: `__` between a section and its key), then `UNIPILE_BASE_URL`. Fails
    /// with the name of the first bad key: a value of the wrong type or out of its type's range (a count or
    /// duration of 0) stops it there.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let settings: Settings = Figment::from(Toml::string(DEFAULTS))
            .merge(Toml::file(path))
            // CF_SETTINGS_FILE names the file itself (read by main), not a setting.
            .merge(Env::prefixed("CF_").ignore(&["SETTINGS_FILE"]).split("__"))
            .merge(
                Env::raw()
                    .only(&["UNIPILE_BASE_URL"])
                    .map(|_| "unipile.base_url".into()),
            )
            .extract()
            .map_err(|e| SettingsError::Parse(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.providers.is_empty() {
            return Err(SettingsError::Invalid {
                key: "providers",
                reason: "offer at least one provider".into(),
            });
        }
        for id in &self.providers {
            if catalogue::find(id).is_none() {
                return Err(SettingsError::Invalid {
                    key: "providers",
                    reason: format!(
                        "unknown provider `{id}` (known: {})",
                        catalogue::PROVIDERS
                            .iter()
                            .map(|p| p.id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        for id in self.unipile.provider_ids.keys() {
            if catalogue::find(id).is_none() {
                return Err(SettingsError::Invalid {
                    key: "unipile.provider_ids",
                    reason: format!("unknown provider `{id}`"),
                });
            }
        }
        if let Err(e) = unipile::api_root(&self.unipile.base_url) {
            return Err(SettingsError::Invalid {
                key: "unipile.base_url",
                reason: format!("(or UNIPILE_BASE_URL) {e}"),
            });
        }
        if !(self.arkose.base_url.starts_with("https://")
            || self.arkose.base_url.starts_with("http://"))
        {
            return Err(SettingsError::Invalid {
                key: "arkose.base_url",
                reason: "must start with https://".into(),
            });
        }
        if !(1..=20).contains(&self.flow.max_code_attempts) {
            return Err(SettingsError::Invalid {
                key: "flow.max_code_attempts",
                reason: "must be between 1 and 20".into(),
            });
        }
        self.validate_operations()
    }

    fn validate_operations(&self) -> Result<(), SettingsError> {
        if !(1024..=1024 * 1024).contains(&self.limits.max_body_bytes) {
            return Err(SettingsError::Invalid {
                key: "limits.max_body_bytes",
                reason: "must be between 1024 and 1048576".into(),
            });
        }
        crate::origin::origin_of(&self.arkose.base_url).ok_or(SettingsError::Invalid {
            key: "arkose.base_url",
            reason: "must be an http(s) URL such as https://client-api.arkoselabs.com".into(),
        })?;
        for source in &self.embed.allowed_origins {
            if crate::origin::origin_of(source).as_deref() != Some(source.as_str()) {
                return Err(SettingsError::Invalid {
                    key: "embed.allowed_origins",
                    reason: format!("`{source}` is not an origin such as https://app.example.com (scheme, host and port only, lower case, no default port)"),
                });
            }
        }
        if self.server.page_deadline_secs <= self.flow.wait_secs.get() {
            return Err(SettingsError::Invalid {
                key: "server.page_deadline_secs",
                reason: format!(
                    "must be longer than flow.wait_secs ({}): a page can hold a wait that long",
                    self.flow.wait_secs
                ),
            });
        }
        let instance = &self.server.instance;
        if instance.len() > 64
            || !instance
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(SettingsError::Invalid {
                key: "server.instance",
                reason: "use at most 64 letters, digits, `.`, `_` or `-`".into(),
            });
        }
        self.validate_notify()
    }

    fn validate_notify(&self) -> Result<(), SettingsError> {
        let notify = &self.notify;
        if let Some(url) = &notify.url {
            notify_url(url).map_err(|reason| SettingsError::Invalid {
                key: "notify.url",
                reason,
            })?;
        }
        if notify.retry_max_ms < notify.retry_initial_ms.get() {
            return Err(SettingsError::Invalid {
                key: "notify.retry_max_ms",
                reason: format!(
                    "must be at least notify.retry_initial_ms ({})",
                    notify.retry_initial_ms
                ),
            });
        }
        Ok(())
    }

    pub fn offered(&self) -> impl Iterator<Item = &'static catalogue::Provider> + '_ {
        self.providers.iter().filter_map(|id| catalogue::find(id))
    }

    /// The optional form sections, as the forms read them.
    pub fn form_options(&self) -> catalogue::FormOptions {
        catalogue::FormOptions {
            custom_proxy: self.forms.custom_proxy,
            products: self.forms.linkedin_products,
        }
    }

    pub fn is_offered(&self, id: &str) -> bool {
        self.providers.iter().any(|p| p == id)
    }

    pub fn unipile_provider_id(&self, provider: &catalogue::Provider) -> String {
        self.unipile
            .provider_ids
            .get(provider.id)
            .cloned()
            .unwrap_or_else(|| provider.default_unipile_id.to_owned())
    }

    /// Whether the site is declared https: `cookie.secure` when set, else true in live mode (a deploy
    /// sits behind https) and false in sandbox mode (served over plain http on this machine).
    pub fn secure_cookies(&self, live: bool) -> bool {
        self.cookie.secure.unwrap_or(live)
    }

    /// Whether a sign-in needs a signed start link: `access.signed_links` when set, else true in live mode
    /// (only the host's own users may link accounts to its Unipile application) and false in sandbox mode
    /// (open for trying it out).
    pub fn signed_links(&self, live: bool) -> bool {
        self.access.signed_links.unwrap_or(live)
    }

    pub fn page_deadline(&self) -> Duration {
        Duration::from_secs(self.server.page_deadline_secs)
    }

    pub fn wait_bound(&self) -> Duration {
        Duration::from_secs(self.flow.wait_secs.get())
    }

    pub fn resend_cooldown(&self) -> Duration {
        Duration::from_secs(self.flow.resend_cooldown_secs)
    }

    pub fn checkpoint_lifetime(&self) -> Duration {
        Duration::from_secs(self.flow.checkpoint_lifetime_secs.get())
    }
}

/// `notify.url` checked: an absolute https URL, or http to a loopback address (a receiver on this machine,
/// or a test's); no login in it, no fragment. The reason when it is not.
pub fn notify_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
        format!("is not a URL ({e}): give one such as https://app.example.com/hooks/accounts")
    })?;
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "must be https (http is accepted only for a loopback address such as 127.0.0.1)"
                    .into(),
            )
        }
        _ => return Err("must be an https:// URL".into()),
    }
    if host.is_empty() {
        return Err("must name a host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a login: the receiver checks the signature instead".into());
    }
    if parsed.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    Ok(parsed)
}

/// Secrets, read from the environment (after `.env`) and nowhere else.
#[derive(Default)]
pub struct Secrets {
    pub api_key: Option<SecretString>,
    pub session_secret: Option<SecretString>,
    /// The bearer token `/metrics` asks for; without one `/metrics` is not served.
    pub metrics_token: Option<SecretString>,
    /// `REDIS_URL`: the flow records shared by every replica. Without it they live in this process.
    pub redis_url: Option<SecretString>,
    /// `NOTIFY_SECRET`: signs notifications to `notify.url` and the return links of redirect mode.
    pub notify_secret: Option<SecretString>,
    /// `LINK_SECRET`: the key start links are signed with (`access.signed_links`).
    pub link_secret: Option<SecretString>,
}

impl Secrets {
    pub fn from_env(env: &[(String, String)]) -> Secrets {
        let get = |name: &str| {
            env.iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| SecretString::from(v.trim().to_owned()))
        };
        Secrets {
            api_key: get("UNIPILE_API_KEY"),
            session_secret: get("SESSION_SECRET"),
            metrics_token: get("METRICS_TOKEN"),
            redis_url: get("REDIS_URL"),
            notify_secret: get("NOTIFY_SECRET"),
            link_secret: get("LINK_SECRET"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// [`Settings::load`] with exactly the environment `vars`, in a figment `Jail` (the process's own
    /// variables are set aside and restored after).
    // The jail's closure returns figment's own `Result`, whose error is large; its signature is the jail's.
    #[allow(clippy::result_large_err)]
    fn load_with(path: &Path, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut loaded = None;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            for (key, value) in vars {
                jail.set_env(key, value);
            }
            loaded = Some(Settings::load(path));
            Ok(())
        });
        loaded.expect("the jail ran")
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn file_then_environment() {
        let mut file = tempfile_in_target("layers.toml");
        writeln!(
            file.1,
            "providers = [\"imap\", \"linkedin\"]\n[flow]\nmax_code_attempts = 3"
        )
        .expect("write");
        let settings = load_with(
            &file.0,
            &[
                ("CF_FLOW__MAX_CODE_ATTEMPTS", "4"),
                ("CF_SETTINGS_FILE", &file.0.display().to_string()),
            ],
        )
        .expect("load");
        assert_eq!(settings.providers, vec!["imap", "linkedin"]);
        assert_eq!(settings.flow.max_code_attempts, 4);
        assert_eq!(settings.flow.checkpoint_lifetime_secs.get(), 300);
    }

    #[test]
    fn every_default_is_in_leptos_toml_and_nowhere_else() {
        // The shipped file and the compiled-in defaults are one and the same.
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        assert_eq!(
            load_with(&shipped, &[]).expect("Leptos.toml parses"),
            Settings::default()
        );
        // A deployment's file that names one key leaves every other at the compiled-in default.
        let mut file = tempfile_in_target("one-key.toml");
        writeln!(file.1, "[flow]\nwait_secs = 7").expect("write");
        let settings = load_with(&file.0, &[]).expect("load");
        assert_eq!(settings.flow.wait_secs.get(), 7);
        let mut expected = Settings::default();
        expected.flow.wait_secs = NonZeroU64::new(7).expect("not 0");
        assert_eq!(settings, expected);
        // No second source: a key missing from the defaults makes them unreadable, naming it.
        let without = DEFAULTS.replace("resend_cooldown_secs = 30", "");
        assert_ne!(
            without, DEFAULTS,
            "the shipped file names flow.resend_cooldown_secs"
        );
        let err = Figment::from(Toml::string(&without))
            .extract::<Settings>()
            .expect_err("a setting without a default");
        assert!(err.to_string().contains("resend_cooldown_secs"), "{err}");
    }

    #[test]
    fn a_count_or_duration_of_zero_is_refused_by_its_type_naming_the_key() {
        for (key, named) in [
            ("CF_FLOW__WAIT_SECS", "flow.wait_secs"),
            (
                "CF_FLOW__CHECKPOINT_LIFETIME_SECS",
                "flow.checkpoint_lifetime_secs",
            ),
            (
                "CF_UNIPILE__CONNECT_TIMEOUT_MS",
                "unipile.connect_timeout_ms",
            ),
            (
                "CF_UNIPILE__REQUEST_TIMEOUT_MS",
                "unipile.request_timeout_ms",
            ),
            (
                "CF_UNIPILE__CALLS_PER_CONNECTION",
                "unipile.calls_per_connection",
            ),
            (
                "CF_LIMITS__ACTIONS_PER_FLOW_PER_MINUTE",
                "limits.actions_per_flow_per_minute",
            ),
            (
                "CF_LIMITS__START_PER_USERNAME_PER_MINUTE",
                "limits.start_per_username_per_minute",
            ),
        ] {
            let err = load_with(Path::new("/nonexistent.toml"), &[(key, "0")]).expect_err(key);
            // figment names a variable's key in capitals ("FLOW.WAIT_SECS in `CF_` environment variable(s)").
            let text = err.to_string().to_lowercase();
            assert!(
                text.contains(named) && text.contains("nonzero"),
                "{key}=0: {text}"
            );
        }
    }

    #[test]
    fn a_bad_key_is_named() {
        let err = load_with(
            Path::new("/nonexistent.toml"),
            &[("CF_FLOW__MAX_CODE_ATTEMPTS", "0")],
        )
        .expect_err("0 attempts is refused");
        assert!(err.to_string().contains("flow.max_code_attempts"), "{err}");
        let err = load_with(
            Path::new("/nonexistent.toml"),
            &[("CF_PROVIDERS", "[linkedin, myspace]")],
        )
        .expect_err("unknown provider");
        assert!(err.to_string().contains("myspace"), "{err}");
        let err = load_with(
            Path::new("/nonexistent.toml"),
            &[("CF_FLOW__COLOUR", "blue")],
        )
        .expect_err("unknown key");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn the_base_url_may_be_written_with_a_slash_or_v2() {
        for url in [
            "https://api.unipile.com",
            "https://api.unipile.com/",
            "https://api.unipile.com/v2",
            "https://api.unipile.com/v2/",
        ] {
            let settings =
                load_with(Path::new("/nonexistent.toml"), &[("UNIPILE_BASE_URL", url)]).expect(url);
            assert!(!settings.unipile.allow_http, "{url}");
        }
    }

    #[test]
    fn the_shipped_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        let settings = load_with(&path, &[]).expect("Leptos.toml parses");
        assert_eq!(
            settings.providers.first().map(String::as_str),
            Some("linkedin")
        );
    }

    #[test]
    fn operational_settings_are_checked() {
        for (key, value, named) in [
            (
                "CF_LIMITS__START_PER_IP_PER_MINUTE",
                "0",
                "limits.start_per_ip_per_minute",
            ),
            ("CF_LIMITS__MAX_BODY_BYTES", "10", "limits.max_body_bytes"),
            ("CF_EMBED__ALLOWED_ORIGINS", "[*]", "embed.allowed_origins"),
            (
                "CF_EMBED__ALLOWED_ORIGINS",
                "[https://a.example; script-src *]",
                "embed.allowed_origins",
            ),
            (
                "CF_EMBED__ALLOWED_ORIGINS",
                "[https://a.example/path]",
                "embed.allowed_origins",
            ),
            (
                "CF_ARKOSE__BASE_URL",
                "javascript:alert(1)",
                "arkose.base_url",
            ),
            ("CF_SERVER__INSTANCE", "a b", "server.instance"),
            (
                "CF_SERVER__SHUTDOWN_DEADLINE_SECS",
                "0",
                "server.shutdown_deadline_secs",
            ),
            (
                "CF_SERVER__PAGE_DEADLINE_SECS",
                "25",
                "server.page_deadline_secs",
            ),
            (
                "CF_UNIPILE__IDLE_TIMEOUT_MS",
                "0",
                "unipile.idle_timeout_ms",
            ),
            (
                "UNIPILE_BASE_URL",
                "https://api.unipile.com/api/v1",
                "unipile.base_url",
            ),
            ("UNIPILE_BASE_URL", "api.unipile.com", "unipile.base_url"),
        ] {
            let err = load_with(Path::new("/nonexistent.toml"), &[(key, value)]).expect_err(key);
            assert!(
                err.to_string().to_lowercase().contains(named),
                "{key}={value}: {err}"
            );
        }
        let ok = load_with(
            Path::new("/nonexistent.toml"),
            &[
                (
                    "CF_EMBED__ALLOWED_ORIGINS",
                    "[http://127.0.0.1:3950, https://app.example.com]",
                ),
                ("CF_SERVER__INSTANCE", "a-1"),
            ],
        )
        .expect("valid");
        assert_eq!(
            ok.embed.allowed_origins,
            vec!["http://127.0.0.1:3950", "https://app.example.com"]
        );
        assert_eq!(
            crate::origin::origin_of("https://Client-API.arkoselabs.com/v2/x").as_deref(),
            Some("https://client-api.arkoselabs.com")
        );
    }

    #[test]
    fn secrets_come_from_the_environment_only() {
        let secrets = Secrets::from_env(&env(&[
            ("UNIPILE_API_KEY", " key "),
            ("SESSION_SECRET", ""),
            ("METRICS_TOKEN", " token "),
        ]));
        assert!(secrets.api_key.is_some());
        assert!(secrets.session_secret.is_none());
        assert_eq!(
            secrets
                .metrics_token
                .as_ref()
                .map(secrecy::ExposeSecret::expose_secret),
            Some("token")
        );
    }

    #[test]
    fn cookies_are_secure_in_live_mode_unless_the_setting_says_otherwise() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        let by_mode = load_with(&shipped, &[]).expect("Leptos.toml parses");
        assert!(by_mode.secure_cookies(true), "live mode");
        assert!(!by_mode.secure_cookies(false), "sandbox mode");
        let off = load_with(&shipped, &[("CF_COOKIE__SECURE", "false")]).expect("load");
        assert!(!off.secure_cookies(true));
        let on = load_with(&shipped, &[("CF_COOKIE__SECURE", "true")]).expect("load");
        assert!(on.secure_cookies(false));
    }

    #[test]
    fn signed_links_are_on_in_live_mode_unless_the_setting_says_otherwise() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        let by_mode = load_with(&shipped, &[]).expect("Leptos.toml parses");
        assert!(by_mode.signed_links(true), "live mode");
        assert!(!by_mode.signed_links(false), "sandbox mode");
        assert_eq!(by_mode.access.max_link_lifetime_secs.get(), 3_600);
        let off = load_with(&shipped, &[("CF_ACCESS__SIGNED_LINKS", "false")]).expect("load");
        assert!(!off.signed_links(true));
        let on = load_with(&shipped, &[("CF_ACCESS__SIGNED_LINKS", "true")]).expect("load");
        assert!(on.signed_links(false));
        let err = load_with(&shipped, &[("CF_ACCESS__MAX_LINK_LIFETIME_SECS", "0")])
            .expect_err("a lifetime of 0");
        assert!(
            err.to_string()
                .to_lowercase()
                .contains("access.max_link_lifetime_secs"),
            "{err}"
        );
        let secrets = Secrets::from_env(&env(&[("LINK_SECRET", " k ")]));
        assert_eq!(
            secrets
                .link_secret
                .as_ref()
                .map(secrecy::ExposeSecret::expose_secret),
            Some("k")
        );
    }

    #[test]
    fn notify_urls_are_https_or_loopback_and_delays_are_checked() {
        for (key, value, named) in [
            (
                "CF_NOTIFY__URL",
                "http://app.example.com/hook",
                "notify.url",
            ),
            ("CF_NOTIFY__URL", "http://10.0.0.1/hook", "notify.url"),
            ("CF_NOTIFY__URL", "ftp://app.example.com/hook", "notify.url"),
            ("CF_NOTIFY__URL", "app.example.com/hook", "notify.url"),
            (
                "CF_NOTIFY__URL",
                "https://user:pw@app.example.com/hook",
                "notify.url",
            ),
            ("CF_NOTIFY__TIMEOUT_MS", "0", "notify.timeout_ms"),
            (
                "CF_NOTIFY__RETRY_INITIAL_MS",
                "0",
                "notify.retry_initial_ms",
            ),
            ("CF_NOTIFY__RETRY_MAX_MS", "10", "notify.retry_max_ms"),
            (
                "CF_NOTIFY__GIVE_UP_AFTER_SECS",
                "0",
                "notify.give_up_after_secs",
            ),
        ] {
            let err = load_with(Path::new("/nonexistent.toml"), &[(key, value)]).expect_err(value);
            assert!(
                err.to_string().to_lowercase().contains(named),
                "{key}={value}: {err}"
            );
        }
        for url in [
            "https://app.example.com/hooks/accounts?k=1",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9/hook",
        ] {
            let settings =
                load_with(Path::new("/nonexistent.toml"), &[("CF_NOTIFY__URL", url)]).expect(url);
            assert_eq!(settings.notify.url.as_deref(), Some(url));
        }
        let secrets = Secrets::from_env(&env(&[("NOTIFY_SECRET", " s ")]));
        assert_eq!(
            secrets
                .notify_secret
                .as_ref()
                .map(secrecy::ExposeSecret::expose_secret),
            Some("s")
        );
    }

    fn tempfile_in_target(name: &str) -> (std::path::PathBuf, std::fs::File) {
        let dir = std::env::temp_dir().join(format!("cf-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        let file = std::fs::File::create(&path).expect("temp file");
        (path, file)
    }
}
