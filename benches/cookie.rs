//! The flow cookie's cost: sealing a flow state into `Set-Cookie` values (JSON, AES-256-GCM, base64) and
//! opening it again from a `Cookie` header, as every sign-in and checkpoint call does once each. Two states:
//! a code checkpoint (the usual size) and a CAPTCHA checkpoint whose opaque data spreads it over several
//! cookies. Prints one JSON object; `bench/run` puts it in its table. A timing, so a bench, never a test.

use axum::http::{header, HeaderMap, HeaderValue};
use credentials_flow::{
    model::{CheckpointKind, CheckpointView, CodeSource, FlowStep, FormValues},
    server::session::{CookieCodec, FlowState},
};
use std::{
    hint::black_box,
    time::{Duration, Instant},
};

const ROUNDS: usize = 9;
const CALLS_PER_ROUND: u32 = 2_000;

fn state(kind: CheckpointKind) -> FlowState {
    FlowState {
        provider: "linkedin".into(),
        flow_id: "5fdbb0e28d2b30a7".into(),
        generation: 2,
        intent_id: Some("intent_6MvZ1Xc0Q2yGm8rT4kPq".into()),
        form: FormValues {
            values: [("username".to_owned(), "jane.doe@example.com".to_owned())].into(),
            ..FormValues::default()
        },
        step: FlowStep::Checkpoint(CheckpointView {
            kind,
            notice: None,
            confirmation: None,
            attempts_left: 5,
            expires_at_ms: 1_795_974_964_249,
            resend_at_ms: Some(1_795_974_694_250),
            can_switch: true,
            flow_id: "5fdbb0e28d2b30a7".into(),
            phone: None,
        }),
        wrong_codes: 0,
        code_sent_at_ms: 1_795_974_664_250,
        expires_at_ms: 1_795_974_964_249,
    }
}

/// The `Cookie` header a browser sends back after these `Set-Cookie` values.
fn sent_back(set_cookies: &[HeaderValue]) -> HeaderMap {
    let pairs: Vec<&str> = set_cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| !v.contains("Max-Age=0"))
        .filter_map(|v| v.split(';').next())
        .collect();
    let mut headers = HeaderMap::new();
    let value = format!("theme=dark; {}", pairs.join("; "));
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&value).expect("cookie header"),
    );
    headers
}

/// Median over the rounds of the time per call, in nanoseconds.
fn per_call_ns(mut call: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..CALLS_PER_ROUND {
                call();
            }
            started.elapsed().as_nanos() as f64 / f64::from(CALLS_PER_ROUND)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

fn measure(codec: &CookieCodec, name: &str, state: &FlowState) -> String {
    let set = codec
        .write(state, &HeaderMap::new())
        .expect("the state fits");
    let sent = sent_back(&set);
    let opened = codec
        .read(&sent, &state.provider)
        .expect("the cookie opens");
    assert_eq!(&opened, state, "{name}: the state comes back whole");
    let bytes: usize = set.iter().map(HeaderValue::len).sum();
    let seal = per_call_ns(|| {
        black_box(codec.write(black_box(state), &HeaderMap::new()));
    });
    let open = per_call_ns(|| {
        black_box(codec.read(black_box(&sent), &state.provider));
    });
    format!(
        r#""{name}":{{"cookies":{},"set_cookie_bytes":{bytes},"seal_us":{:.2},"open_us":{:.2}}}"#,
        set.len(),
        seal / 1000.0,
        open / 1000.0
    )
}

fn main() {
    let codec = CookieCodec::new(&[7u8; 64], true, Duration::from_secs(300));
    let code = state(CheckpointKind::Code {
        source: CodeSource::Sms,
    });
    let data: String = (0..3_000)
        .map(|i| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(i * 7919 + i / 3) % 64],
            )
        })
        .collect();
    let captcha = state(CheckpointKind::Captcha {
        public_key: "3117BF26-4762-4F5A-8ED9-A85E69209A46".into(),
        data,
    });
    println!(
        "{{{},{}}}",
        measure(&codec, "code_checkpoint", &code),
        measure(&codec, "captcha_checkpoint", &captcha)
    );
}
