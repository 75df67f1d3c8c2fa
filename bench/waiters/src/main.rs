//! Many browsers waiting at once for an in-app approval, each through the app's real endpoints.
//!
//! Every browser posts the start form (the sandbox answers an IN_APP_VALIDATION checkpoint), keeps the flow
//! cookie it gets, then posts the wait endpoint with that cookie until the step is `Connected`. Browsers
//! share `--connections` HTTP/2 connections (h2c); each of them is still its own request, flow cookie and
//! upstream long poll on the server. Prints one JSON object.
//!
//! waiters --base URL [--count N] [--connections N] [--start-concurrency N] [--timeout-secs N]
//!         [--start-body BODY] [--wait-body BODY]   (`{flow}` in the wait body is replaced by the flow id)

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};
use tokio::sync::Semaphore;

struct Options {
    base: String,
    count: usize,
    connections: usize,
    start_concurrency: usize,
    timeout: Duration,
    start_body: String,
    wait_body: String,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        base: String::new(),
        count: 10_000,
        connections: 100,
        start_concurrency: 200,
        timeout: Duration::from_secs(120),
        start_body:
            "provider=linkedin&method=password&username=user_in_app&password=pass_good&classic=on&premium=none"
                .into(),
        wait_body: "provider=linkedin&flow={flow}".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--base" => o.base = value.trim_end_matches('/').to_owned(),
            "--count" => o.count = number()?,
            "--connections" => o.connections = number()?.max(1),
            "--start-concurrency" => o.start_concurrency = number()?.max(1),
            "--timeout-secs" => o.timeout = Duration::from_secs(number()? as u64),
            "--start-body" => o.start_body = value,
            "--wait-body" => o.wait_body = value,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if o.base.is_empty() {
        return Err("--base is required".into());
    }
    Ok(o)
}

#[derive(Default)]
struct Counters {
    connected: AtomicUsize,
    errors: AtomicUsize,
    polls: AtomicUsize,
    waiting: AtomicUsize,
    max_waiting: AtomicUsize,
}

/// What one server-function answer says about the flow.
enum Step {
    Waiting(String),
    Connected,
    Other(String),
}

fn step_of(body: &[u8]) -> Step {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Step::Other(String::from_utf8_lossy(body).chars().take(200).collect());
    };
    if value.get("Connected").is_some() {
        return Step::Connected;
    }
    match value
        .get("Checkpoint")
        .and_then(|c| c.get("flow_id"))
        .and_then(|f| f.as_str())
    {
        Some(flow) => Step::Waiting(flow.to_owned()),
        None => Step::Other(value.to_string().chars().take(200).collect()),
    }
}

/// A browser's cookies: the latest value of each name it was sent.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, headers: &HeaderMap) {
        for cookie in headers.get_all(SET_COOKIE) {
            let Ok(text) = cookie.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> Option<HeaderValue> {
        let text = self
            .0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::from_str(&text)
            .ok()
            .filter(|_| !text.is_empty())
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: String,
    jar: &mut Jar,
) -> Result<Step, String> {
    let mut request = client.post(url).body(body);
    if let Some(cookie) = jar.header() {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    jar.take(response.headers());
    let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{url}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        ));
    }
    Ok(step_of(&body))
}

async fn browser(
    client: reqwest::Client,
    o: Arc<Options>,
    starts: Arc<Semaphore>,
    c: Arc<Counters>,
) -> Result<(), String> {
    let mut jar = Jar::default();
    let start_url = format!("{}/api/start_auth_intent", o.base);
    let wait_url = format!("{}/api/wait_checkpoint", o.base);
    let first = {
        let _permit = starts.acquire().await.map_err(|e| e.to_string())?;
        post(&client, &start_url, o.start_body.clone(), &mut jar).await?
    };
    let mut flow = match first {
        Step::Waiting(flow) => flow,
        Step::Connected => return Ok(()),
        Step::Other(body) => return Err(format!("start answered {body}")),
    };
    loop {
        let body = o.wait_body.replace("{flow}", &flow);
        c.polls.fetch_add(1, Ordering::Relaxed);
        let now = c.waiting.fetch_add(1, Ordering::Relaxed) + 1;
        c.max_waiting.fetch_max(now, Ordering::Relaxed);
        let answer = post(&client, &wait_url, body, &mut jar).await;
        c.waiting.fetch_sub(1, Ordering::Relaxed);
        match answer? {
            Step::Connected => return Ok(()),
            Step::Waiting(next) => flow = next,
            Step::Other(body) => return Err(format!("wait answered {body}")),
        }
    }
}

#[tokio::main]
async fn main() {
    let o = match options() {
        Ok(o) => Arc::new(o),
        Err(message) => {
            eprintln!("waiters: {message}");
            std::process::exit(2);
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    let clients: Vec<reqwest::Client> = (0..o.connections.min(o.count))
        .map(|_| {
            reqwest::Client::builder()
                .default_headers(headers.clone())
                .http2_prior_knowledge()
                .timeout(o.timeout)
                .build()
        })
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            eprintln!("waiters: cannot build an HTTP client: {e}");
            std::process::exit(2);
        });
    let counters = Arc::new(Counters::default());
    let starts = Arc::new(Semaphore::new(o.start_concurrency));
    let began = Instant::now();
    let tasks: Vec<_> = (0..o.count)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            tokio::spawn(browser(client, o.clone(), starts.clone(), counters.clone()))
        })
        .collect();
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {
                counters.connected.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(e)) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let result = serde_json::json!({
        "browsers": o.count,
        "connections": clients.len(),
        "connected": counters.connected.load(Ordering::Relaxed),
        "errors": counters.errors.load(Ordering::Relaxed),
        "first_error": first_error,
        "wait_requests": counters.polls.load(Ordering::Relaxed),
        "max_concurrent_waits": counters.max_waiting.load(Ordering::Relaxed),
        "elapsed_s": began.elapsed().as_secs_f64(),
    });
    println!("{result}");
}
