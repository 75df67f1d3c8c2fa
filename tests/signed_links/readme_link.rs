// hmac = "0.12", sha2 = "0.10"
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `application/x-www-form-urlencoded`, as browsers and `URLSearchParams` write it.
fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A start link for one of your users. `base`: where Credentials Flow is served
/// (`https://connect.example.com`); `params`: the link's own (`state`, `account_id`, `success_url`,
/// `failure_url`, `lang`); `expires`: unix seconds (now + 15 minutes, say); `nonce`: 8 to 64 random
/// characters of `A-Z a-z 0-9 _ -` (32 hex digits will do); `secret`: LINK_SECRET.
pub fn start_link(
    base: &str,
    provider: &str,
    params: &[(&str, &str)],
    expires: u64,
    nonce: &str,
    secret: &[u8],
) -> String {
    let expires = expires.to_string();
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("expires", &expires));
    all.push(("nonce", nonce));
    all.sort(); // by name, then value
    let query: Vec<String> = all
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    let signed = format!("/connect/{provider}?{}", query.join("&"));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(signed.as_bytes());
    let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{base}{signed}&sig={sig}")
}
