#!/usr/bin/env bash
# Installs what building and testing need, and only what is missing: Debian Chromium and ChromeDriver, nginx,
# redis-server (the shared flow store of the scale-out tests; never started as a system service), the
# wasm32 target, cargo-leptos and wasm-bindgen-cli at the versions that work here, and the npm packages of
# end2end/ (Playwright, and binaryen's wasm-opt, which replaces Debian's broken one). Sourced by run and test.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.129

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (Debian)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 10 minutes, once per machine)"
  cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  say "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (must match the wasm-bindgen crate)"
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --locked
fi

if [ ! -x "$root/end2end/node_modules/.bin/playwright" ] || [ ! -x "$root/end2end/node_modules/.bin/wasm-opt" ] \
  || [ "$root/end2end/package-lock.json" -nt "$root/end2end/node_modules/.package-lock.json" ]; then
  say "installing the npm packages of end2end/"
  (cd "$root/end2end" && npm ci --no-audit --no-fund --loglevel=error)
fi

# cargo-leptos runs the first wasm-opt on PATH: binaryen's from npm, never Debian's.
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# A free loopback port, for servers the scripts start (never assume one is free).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
