//! Runtime settings: `Leptos.toml` layered under `CF_*` environment variables, parsed once at start-up.
//! Secrets are not settings: they come only from the environment (see [`Secrets`]).

use crate::catalogue;
use figment::{
    providers::{Format, Serialized, Toml},
    Figment,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path, time::Duration};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Providers offered on the picker, in order (ids of the catalogue).
    pub providers: Vec<String>,
    pub unipile: UnipileSettings,
    pub flow: FlowSettings,
    pub cookie: CookieSettings,
    pub arkose: ArkoseSettings,
    pub sandbox: SandboxSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ArkoseSettings {
    /// Origin (and optional path) of the Arkose Labs client API; the CAPTCHA script is loaded from
    /// `<base_url>/v2/<public_key>/api.js`. In sandbox mode the emulator's stand-in replaces it.
    pub base_url: String,
}

impl Default for ArkoseSettings {
    fn default() -> Self {
        ArkoseSettings { base_url: "https://client-api.arkoselabs.com".to_owned() }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UnipileSettings {
    /// Used only with an API key; `UNIPILE_BASE_URL` overrides it.
    pub base_url: String,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    /// The `provider` string sent to Unipile, per catalogue id, where it differs from the catalogue's default.
    pub provider_ids: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FlowSettings {
    /// How long a started sign-in stays open.
    pub checkpoint_lifetime_secs: u64,
    /// Wrong codes allowed on one attempt before it is stopped.
    pub max_code_attempts: u8,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CookieSettings {
    /// Mark the flow cookie `Secure` (set when the site is served over https).
    pub secure: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSettings {
    pub in_app_delay_ms: u64,
    pub loading_delay_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            providers: catalogue::PROVIDERS.iter().map(|p| p.id.to_owned()).collect(),
            unipile: UnipileSettings::default(),
            flow: FlowSettings::default(),
            cookie: CookieSettings::default(),
            arkose: ArkoseSettings::default(),
            sandbox: SandboxSettings::default(),
        }
    }
}

impl Default for UnipileSettings {
    fn default() -> Self {
        UnipileSettings {
            base_url: "https://api.unipile.com".to_owned(),
            connect_timeout_ms: 5_000,
            request_timeout_ms: 30_000,
            provider_ids: BTreeMap::new(),
        }
    }
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings { checkpoint_lifetime_secs: 300, max_code_attempts: 5 }
    }
}

impl Default for CookieSettings {
    fn default() -> Self {
        CookieSettings { secure: false }
    }
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings { in_app_delay_ms: 4_000, loading_delay_ms: 2_000 }
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
    /// Reads `path` (optional file), then `CF_*` variables from `env` (`CF_FLOW__MAX_CODE_ATTEMPTS=3`), then
    /// `UNIPILE_BASE_URL`. Fails with the name of the first bad key.
    pub fn load(path: &Path, env: &[(String, String)]) -> Result<Settings, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file(path));
        let cf_vars: Vec<(String, String)> = env
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("CF_").map(|k| (k.to_ascii_lowercase(), v.clone())))
            .collect();
        for (key, value) in cf_vars {
            let dotted = key.replace("__", ".");
            figment = figment.merge((dotted, parse_env_value(&value)));
        }
        if let Some((_, url)) = env.iter().find(|(k, _)| k == "UNIPILE_BASE_URL") {
            figment = figment.merge(("unipile.base_url", url.clone()));
        }
        let settings: Settings = figment.extract().map_err(|e| SettingsError::Parse(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.providers.is_empty() {
            return Err(SettingsError::Invalid { key: "providers", reason: "offer at least one provider".into() });
        }
        for id in &self.providers {
            if catalogue::find(id).is_none() {
                return Err(SettingsError::Invalid {
                    key: "providers",
                    reason: format!(
                        "unknown provider `{id}` (known: {})",
                        catalogue::PROVIDERS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
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
        if !(self.unipile.base_url.starts_with("https://") || self.unipile.base_url.starts_with("http://")) {
            return Err(SettingsError::Invalid { key: "unipile.base_url", reason: "must start with https://".into() });
        }
        if !(self.arkose.base_url.starts_with("https://") || self.arkose.base_url.starts_with("http://")) {
            return Err(SettingsError::Invalid { key: "arkose.base_url", reason: "must start with https://".into() });
        }
        for (key, value) in [
            ("unipile.connect_timeout_ms", self.unipile.connect_timeout_ms),
            ("unipile.request_timeout_ms", self.unipile.request_timeout_ms),
            ("flow.checkpoint_lifetime_secs", self.flow.checkpoint_lifetime_secs),
        ] {
            if value == 0 {
                return Err(SettingsError::Invalid { key, reason: "must be greater than 0".into() });
            }
        }
        if !(1..=20).contains(&self.flow.max_code_attempts) {
            return Err(SettingsError::Invalid { key: "flow.max_code_attempts", reason: "must be between 1 and 20".into() });
        }
        Ok(())
    }

    pub fn offered(&self) -> impl Iterator<Item = &'static catalogue::Provider> + '_ {
        self.providers.iter().filter_map(|id| catalogue::find(id))
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

    pub fn checkpoint_lifetime(&self) -> Duration {
        Duration::from_secs(self.flow.checkpoint_lifetime_secs)
    }
}

/// Environment values are strings; numbers, booleans and `[a, b]` lists are read as such.
fn parse_env_value(value: &str) -> figment::value::Value {
    use figment::value::Value;
    let trimmed = value.trim();
    if let Ok(n) = trimmed.parse::<u64>() {
        return Value::from(n);
    }
    match trimmed {
        "true" => return Value::from(true),
        "false" => return Value::from(false),
        _ => {}
    }
    if let Some(inner) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let items: Vec<Value> =
            inner.split(',').map(|s| s.trim().trim_matches('"')).filter(|s| !s.is_empty()).map(Value::from).collect();
        return Value::from(items);
    }
    Value::from(trimmed.to_owned())
}

/// Secrets, read from the environment (after `.env`) and nowhere else.
pub struct Secrets {
    pub api_key: Option<SecretString>,
    pub session_secret: Option<SecretString>,
}

impl Secrets {
    pub fn from_env(env: &[(String, String)]) -> Secrets {
        let get = |name: &str| {
            env.iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| SecretString::from(v.trim().to_owned()))
        };
        Secrets { api_key: get("UNIPILE_API_KEY"), session_secret: get("SESSION_SECRET") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn file_then_environment() {
        let mut file = tempfile_in_target("layers.toml");
        writeln!(file.1, "providers = [\"imap\", \"linkedin\"]\n[flow]\nmax_code_attempts = 3").expect("write");
        let settings = Settings::load(&file.0, &env(&[("CF_FLOW__MAX_CODE_ATTEMPTS", "4")])).expect("load");
        assert_eq!(settings.providers, vec!["imap", "linkedin"]);
        assert_eq!(settings.flow.max_code_attempts, 4);
        assert_eq!(settings.flow.checkpoint_lifetime_secs, 300);
    }

    #[test]
    fn a_bad_key_is_named() {
        let err = Settings::load(Path::new("/nonexistent.toml"), &env(&[("CF_FLOW__MAX_CODE_ATTEMPTS", "0")]))
            .expect_err("0 attempts is refused");
        assert!(err.to_string().contains("flow.max_code_attempts"), "{err}");
        let err = Settings::load(Path::new("/nonexistent.toml"), &env(&[("CF_PROVIDERS", "[linkedin, myspace]")]))
            .expect_err("unknown provider");
        assert!(err.to_string().contains("myspace"), "{err}");
        let err = Settings::load(Path::new("/nonexistent.toml"), &env(&[("CF_FLOW__COLOUR", "blue")]))
            .expect_err("unknown key");
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn the_shipped_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
        let settings = Settings::load(&path, &[]).expect("Leptos.toml parses");
        assert_eq!(settings.providers.first().map(String::as_str), Some("linkedin"));
    }

    #[test]
    fn secrets_come_from_the_environment_only() {
        let secrets = Secrets::from_env(&env(&[("UNIPILE_API_KEY", " key "), ("SESSION_SECRET", "")]));
        assert!(secrets.api_key.is_some());
        assert!(secrets.session_secret.is_none());
    }

    fn tempfile_in_target(name: &str) -> (std::path::PathBuf, std::fs::File) {
        let dir = std::env::temp_dir().join(format!("cf-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        let file = std::fs::File::create(&path).expect("temp file");
        (path, file)
    }
}
