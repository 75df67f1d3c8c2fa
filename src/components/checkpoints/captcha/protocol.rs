//! The message protocol between Arkose's callbacks and the page, and the values given to the script: pure
//! functions, so they are unit-tested on the host.

use serde_json::{json, Value};

/// How long the script may take to report it is ready before the attempt counts as failed.
pub const LOAD_TIMEOUT_MS: u64 = 10_000;
/// Loads of the script tried before the challenge is reported as unavailable.
pub const MAX_LOAD_ATTEMPTS: u8 = 3;
/// Longest token accepted from a message (Arkose tokens are a few hundred characters).
pub const MAX_TOKEN_LEN: usize = 4096;

/// What Arkose's callbacks report, as posted to the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArkoseEvent {
    Loaded,
    Shown,
    Completed { token: String },
    Failed,
    Errored,
    Suppressed,
    Resized { height: u32 },
}

impl ArkoseEvent {
    fn id(&self) -> &'static str {
        match self {
            ArkoseEvent::Loaded => "challenge-loaded",
            ArkoseEvent::Shown => "challenge-shown",
            ArkoseEvent::Completed { .. } => "challenge-complete",
            ArkoseEvent::Failed => "challenge-failed",
            ArkoseEvent::Errored => "challenge-error",
            ArkoseEvent::Suppressed => "challenge-suppressed",
            ArkoseEvent::Resized { .. } => "challenge-iframeSize",
        }
    }
}

/// The JSON a callback posts for `event`.
pub fn event_message(public_key: &str, event: &ArkoseEvent) -> String {
    let payload = match event {
        ArkoseEvent::Completed { token } => json!({ "sessionToken": token }),
        ArkoseEvent::Resized { height } => json!({ "frameHeight": height }),
        _ => json!({}),
    };
    json!({ "eventId": event.id(), "publicKey": public_key, "payload": payload }).to_string()
}

/// The event in a posted message, or `None` when the message is not for this challenge: another origin than
/// `trusted_origins`, another public key, an unknown event, or a malformed payload.
pub fn read_message(
    origin: &str,
    data: &str,
    trusted_origins: &[String],
    public_key: &str,
) -> Option<ArkoseEvent> {
    if !trusted_origins.iter().any(|trusted| trusted == origin) {
        return None;
    }
    let message: Value = serde_json::from_str(data).ok()?;
    if message.get("publicKey")?.as_str()? != public_key {
        return None;
    }
    let payload = message.get("payload");
    let event = match message.get("eventId")?.as_str()? {
        "challenge-loaded" => ArkoseEvent::Loaded,
        "challenge-shown" => ArkoseEvent::Shown,
        "challenge-complete" => {
            let token = payload?.get("sessionToken")?.as_str()?;
            if token.is_empty() || token.len() > MAX_TOKEN_LEN {
                return None;
            }
            ArkoseEvent::Completed {
                token: token.to_owned(),
            }
        }
        "challenge-failed" => ArkoseEvent::Failed,
        "challenge-error" => ArkoseEvent::Errored,
        "challenge-suppressed" => ArkoseEvent::Suppressed,
        "challenge-iframeSize" => {
            let height = payload?.get("frameHeight")?.as_u64()?;
            ArkoseEvent::Resized {
                height: u32::try_from(height).ok()?.min(2_000),
            }
        }
        _ => return None,
    };
    Some(event)
}

/// `<base>/v2/<public_key>/api.js`, or `None` when the key is not a plain identifier (it goes into a URL path).
pub fn script_url(base_url: &str, public_key: &str) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if public_key.is_empty() || public_key.len() > 128 || !public_key.chars().all(plain) {
        return None;
    }
    Some(format!(
        "{}/v2/{public_key}/api.js",
        base_url.trim_end_matches('/')
    ))
}

/// A size Arkose reports as a number or as text such as `"450px"`.
pub fn parse_size(text: &str) -> Option<u32> {
    let number = text.trim().trim_end_matches("px").trim();
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n.round().min(2_000.0) as u32)
}

/// Name of the `window` function the script calls; unique per page and per load attempt.
pub fn callback_name(nonce: u64, attempt: u8) -> String {
    format!("cfArkoseReady_{nonce:x}_{attempt}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sandbox-public-key";

    fn trusted() -> Vec<String> {
        vec![
            "http://127.0.0.1:3950".to_owned(),
            "https://client-api.arkoselabs.com".to_owned(),
        ]
    }

    #[test]
    fn posted_events_read_back() {
        for event in [
            ArkoseEvent::Loaded,
            ArkoseEvent::Shown,
            ArkoseEvent::Completed {
                token: "tok\"en'</script>|r=eu".to_owned(),
            },
            ArkoseEvent::Failed,
            ArkoseEvent::Errored,
            ArkoseEvent::Suppressed,
            ArkoseEvent::Resized { height: 450 },
        ] {
            let message = event_message(KEY, &event);
            assert_eq!(
                read_message("http://127.0.0.1:3950", &message, &trusted(), KEY),
                Some(event.clone()),
                "{message}"
            );
            assert_eq!(
                read_message(
                    "https://client-api.arkoselabs.com",
                    &message,
                    &trusted(),
                    KEY
                ),
                Some(event)
            );
        }
    }

    #[test]
    fn messages_from_elsewhere_or_for_another_key_are_ignored() {
        let complete = event_message(
            KEY,
            &ArkoseEvent::Completed {
                token: "t".to_owned(),
            },
        );
        for origin in [
            "http://127.0.0.2:3950",
            "http://127.0.0.1:3951",
            "null",
            "",
            "https://evil.example",
        ] {
            assert_eq!(
                read_message(origin, &complete, &trusted(), KEY),
                None,
                "{origin}"
            );
        }
        let other_key = event_message(
            "other-key",
            &ArkoseEvent::Completed {
                token: "t".to_owned(),
            },
        );
        assert_eq!(
            read_message("http://127.0.0.1:3950", &other_key, &trusted(), KEY),
            None
        );
        for data in [
            "not json",
            "\"challenge-complete\"",
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key"}"#,
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key","payload":{"sessionToken":""}}"#,
            r#"{"eventId":"challenge-complete","publicKey":"sandbox-public-key","payload":{"sessionToken":7}}"#,
            r#"{"eventId":"challenge-solved","publicKey":"sandbox-public-key","payload":{}}"#,
            r#"{"eventId":"challenge-loaded","payload":{}}"#,
        ] {
            assert_eq!(
                read_message("http://127.0.0.1:3950", data, &trusted(), KEY),
                None,
                "{data}"
            );
        }
        let long = event_message(
            KEY,
            &ArkoseEvent::Completed {
                token: "x".repeat(MAX_TOKEN_LEN + 1),
            },
        );
        assert_eq!(
            read_message("http://127.0.0.1:3950", &long, &trusted(), KEY),
            None
        );
    }

    #[test]
    fn the_script_url_takes_only_plain_keys() {
        assert_eq!(
            script_url("https://client-api.arkoselabs.com/", "ABC-123_x").as_deref(),
            Some("https://client-api.arkoselabs.com/v2/ABC-123_x/api.js")
        );
        assert_eq!(
            script_url("http://127.0.0.1:4000/arkose", KEY).as_deref(),
            Some("http://127.0.0.1:4000/arkose/v2/sandbox-public-key/api.js")
        );
        for key in ["", "../x", "a/b", "k?x=1", "k\"><script>", "clé"] {
            assert_eq!(
                script_url("https://client-api.arkoselabs.com", key),
                None,
                "{key}"
            );
        }
    }

    #[test]
    fn sizes_as_numbers_or_pixels() {
        assert_eq!(parse_size("450"), Some(450));
        assert_eq!(parse_size("140px"), Some(140));
        assert_eq!(parse_size(" 99.6px "), Some(100));
        assert_eq!(parse_size("99999"), Some(2_000));
        for bad in ["", "auto", "-3", "NaN", "100%"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn callback_names_differ_per_attempt() {
        assert_ne!(callback_name(0xabc, 1), callback_name(0xabc, 2));
        assert!(callback_name(0xabc, 1)
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
