//! `unipile-sandbox --port N [--api-key K] [--in-app-delay-ms N]`

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use unipile_sandbox::SandboxConfig;

const USAGE: &str = "usage: unipile-sandbox --port N [--api-key K] [--in-app-delay-ms N]
  --port N             port on 127.0.0.1 (0 picks a free one; default 0)
  --api-key K          expected X-API-KEY (default: $UNIPILE_SANDBOX_API_KEY, else sandbox-key)
  --in-app-delay-ms N  delay before an in-app validation is approved (default 4000)";

struct Options {
    port: u16,
    config: SandboxConfig,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 0,
        config: SandboxConfig::default(),
    };
    if let Ok(key) = std::env::var("UNIPILE_SANDBOX_API_KEY") {
        options.config.api_key = key;
    }
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => {
                options.port = value()?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535".to_owned())?;
            }
            "--api-key" => options.config.api_key = value()?,
            "--in-app-delay-ms" => {
                let ms: u64 = value()?
                    .parse()
                    .map_err(|_| "--in-app-delay-ms must be a number".to_owned())?;
                options.config.in_app_approval_delay = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.config.api_key.is_empty() {
        return Err("the API key must not be empty".into());
    }
    Ok(Some(options))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("unipile-sandbox: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let sandbox = match unipile_sandbox::spawn_on(addr, options.config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("unipile-sandbox: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("unipile-sandbox listening on {}", sandbox.base_url());
    match tokio::signal::ctrl_c().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unipile-sandbox: cannot wait for Ctrl-C: {e}");
            ExitCode::FAILURE
        }
    }
}
