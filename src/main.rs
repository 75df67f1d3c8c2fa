use credentials_flow::server::{
    settings::{Secrets, Settings},
    startup::{build, serve},
    state::Mode,
};
use leptos::config::get_configuration;
use std::{path::PathBuf, process::ExitCode, time::Duration};
use tracing_subscriber::EnvFilter;

/// The server allocates and frees many small blocks per request from both worker threads; mimalloc's
/// per-thread heaps do that without the system allocator's arena locks (bench/README.md). Built without
/// transparent huge pages: with them an idle server holds 20 MiB instead of 13.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let settings_path = std::env::var_os("CF_SETTINGS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "Leptos.toml".into());
    let settings = match Settings::load(&settings_path) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: {} ({})", err, settings_path.display());
            return ExitCode::FAILURE;
        }
    };
    // cargo-leptos passes the build settings in LEPTOS_* variables; a bare binary reads Cargo.toml.
    let conf = if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        get_configuration(None)
    } else {
        get_configuration(Some("Cargo.toml"))
    };
    let leptos_options = match conf {
        Ok(conf) => conf.leptos_options,
        Err(err) => {
            eprintln!("error: Leptos build settings could not be read: {err}");
            return ExitCode::FAILURE;
        }
    };
    let addr = leptos_options.site_addr;
    let built = match build(settings, Secrets::from_env(&env), leptos_options).await {
        Ok(built) => built,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "error: cannot listen on {addr}: {err} (set LEPTOS_SITE_ADDR to another address)"
            );
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    let mode = match &built.state.mode {
        Mode::Live => "live mode: Unipile API".to_owned(),
        Mode::Sandbox { base_url } => {
            format!("sandbox mode: built-in Unipile emulator at {base_url}")
        }
    };
    println!("Credentials Flow listening on http://{local} ({mode})");
    let deadline = Duration::from_secs(built.state.settings.server.shutdown_deadline_secs.get());
    let served = serve(listener, built.router, shutdown_signal(), deadline).await;
    // Notifications kept in this process are lost when it ends: they get the same deadline to go out.
    built.state.notifier.drain(deadline).await;
    drop(built.sandbox);
    match served {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: stopped before every request in flight had finished");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: server stopped: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
