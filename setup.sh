#!/usr/bin/env bash
# The project's single set-up script.
#
#   ./setup.sh run    install what is missing, build (release) and run the server
#                     with demo agents on http://127.0.0.1:3000
#   ./setup.sh test   install what is missing and run every check and test:
#                     fmt, clippy (native + wasm32), cargo test, release build,
#                     Playwright browser tests
#   ./setup.sh bench  install what is missing, build (release) and run the
#                     standard benchmark workloads (docs/performance.md)
#   ./setup.sh tools  only install what is missing
#   ./setup.sh cluster  install what is missing and start, on loopback, a
#                     throwaway PostgreSQL, a NATS server, three nodes and nginx
#                     in front of them on http://127.0.0.1:8080 (docs/deploy.md);
#                     with --smoke, check it through nginx and stop
#
# Every install step is skipped when already done. Nothing is downloaded from
# anywhere but crates.io, the npm registry and Debian's apt repositories.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$PWD"

CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132.0.0"
BINARYEN_DIR=".tools/binaryen"
# Debian packages needed by `./setup.sh test`. The CJK fonts let Chromium draw
# the Chinese UI the browser tests look at; aiosmtpd is the SMTP server the mail
# tests send to; the PostgreSQL and NATS tests start throwaway servers of their own,
# and the cluster smoke test puts nginx in front of three nodes.
APT_TEST_PACKAGES="chromium chromium-driver fonts-noto-cjk python3-aiosmtpd postgresql nats-server nginx curl"

# The project-local wasm-opt (npm binaryen) must come first on PATH: Debian's
# binaryen produces a .wasm that fails in the browser, and without any wasm-opt
# cargo-leptos tries to download one (which fails here).
export PATH="$ROOT/$BINARYEN_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }
section() { printf '\n======== %s ========\n' "$*"; }

# True when the text in $1 contains version $2 as a whole word (0.3.10 but not 0.3.100).
has_version() {
  local text="$1" version="${2//./\\.}"
  [[ "$text" =~ (^|[^0-9.])${version}($|[^0-9.]) ]]
}

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------

need_rust() {
  command -v rustup >/dev/null 2>&1 || die "rustup not found: install Rust with rustup first (https://rustup.rs)"
  command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH"
}

need_node() {
  command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20 or newer (with npm)"
  command -v npm >/dev/null 2>&1 || die "npm not found: install npm (comes with Node.js)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 20)) || die "Node.js $(node --version) is too old: Playwright needs 20 or newer"
}

install_wasm_target() {
  local installed
  installed="$(rustup target list --installed)"
  if grep -qx 'wasm32-unknown-unknown' <<<"$installed"; then
    say "rust target wasm32-unknown-unknown: already installed, skipping"
  else
    say "rust target wasm32-unknown-unknown: installing"
    rustup target add wasm32-unknown-unknown
  fi
}

install_rust_components() {
  local installed missing=() c
  installed="$(rustup component list --installed 2>/dev/null || true)"
  for c in rustfmt clippy; do
    grep -q "^${c}" <<<"$installed" || missing+=("$c")
  done
  if ((${#missing[@]} == 0)); then
    say "rust components rustfmt, clippy: already installed, skipping"
  else
    say "rust components ${missing[*]}: installing"
    rustup component add "${missing[@]}"
  fi
}

install_cargo_leptos() {
  local current
  current="$(cargo leptos --version 2>/dev/null || true)"
  if has_version "$current" "$CARGO_LEPTOS_VERSION"; then
    say "cargo-leptos $CARGO_LEPTOS_VERSION: already installed, skipping"
  else
    say "cargo-leptos $CARGO_LEPTOS_VERSION: installing with cargo install (takes ~15 min on 2 cores)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --force
  fi
}

# Prints the version of the `wasm-bindgen` package recorded in Cargo.lock.
wasm_bindgen_lock_version() {
  [[ -f Cargo.lock ]] || return 1
  awk '
    $0 == "name = \"wasm-bindgen\"" { want = 1; next }
    want && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
    /^\[\[package\]\]/ { want = 0 }
  ' Cargo.lock
}

install_wasm_bindgen() {
  if [[ ! -f Cargo.lock ]]; then
    say "Cargo.lock missing: generating it to learn the wasm-bindgen version"
    cargo generate-lockfile
  fi
  local want current
  want="$(wasm_bindgen_lock_version)" || true
  [[ -n "$want" ]] || die "no wasm-bindgen package in Cargo.lock"
  current="$(wasm-bindgen --version 2>/dev/null || true)"
  if has_version "$current" "$want"; then
    say "wasm-bindgen-cli $want (matches Cargo.lock): already installed, skipping"
  else
    say "wasm-bindgen-cli $want (matches Cargo.lock): installing with cargo install (takes ~3 min)"
    # No --locked: the CLI's own lockfile wants a crate version crates.io lacks here.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

install_binaryen() {
  local bin="$BINARYEN_DIR/node_modules/.bin/wasm-opt"
  local pkg="$BINARYEN_DIR/node_modules/binaryen/package.json"
  local current=""
  [[ -f "$pkg" ]] && current="$(node -p "require('./$pkg').version" 2>/dev/null || true)"
  if [[ -x "$bin" && "$current" == "$BINARYEN_VERSION" ]]; then
    say "wasm-opt (npm binaryen@$BINARYEN_VERSION in $BINARYEN_DIR): already installed, skipping"
  else
    say "wasm-opt (npm binaryen@$BINARYEN_VERSION in $BINARYEN_DIR): installing"
    mkdir -p "$BINARYEN_DIR"
    npm install --prefix "$BINARYEN_DIR" "binaryen@$BINARYEN_VERSION" --no-audit --no-fund
  fi
  [[ "$(command -v wasm-opt)" == "$ROOT/$bin" ]] || die "wasm-opt on PATH is $(command -v wasm-opt || echo 'missing'), expected $ROOT/$bin"
}

# apt_install PKG... : installs the packages that dpkg does not report installed.
apt_install() {
  local missing=() p
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "apt packages $*: already installed, skipping"
    return
  fi
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "apt packages ${missing[*]}: installing"
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -q
  ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_test_packages() {
  # shellcheck disable=SC2086 # the list is split on purpose
  apt_install $APT_TEST_PACKAGES
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium missing after installing chromium"
}

install_end2end_deps() {
  if [[ -f end2end/node_modules/.package-lock.json && end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]]; then
    say "end2end npm packages: up to date with package-lock.json, skipping"
  else
    say "end2end npm packages: npm ci (no browser download)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
}

install_tools() {
  need_rust
  need_node
  install_wasm_target
  install_rust_components
  install_cargo_leptos
  install_wasm_bindgen
  install_binaryen
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

# The release build of server and site: the widget's WebAssembly (its chat panel
# split off, --split), the console's bundle of its own, then every site file
# compressed once (Brotli, gzip) beside it, so that the server never compresses
# them per request.
build_release() {
  cargo leptos build --release --split
  build_console_bundle
  target/release/server compress-site --site-root target/site
}

# The agent console's WebAssembly, a bundle of its own (frontend/console) so that
# visitors never download any of it: built for wasm32 in a target folder of its
# own (without the --emit-relocs that splitting needs, and that would stay in
# the file), then wasm-bindgen and wasm-opt as cargo-leptos runs them, written
# to target/site/pkg as console.<content hash>.js and .wasm; the server finds
# them there.
build_console_bundle() {
  local pkg=target/site/pkg
  local wasm=target/console/wasm32-unknown-unknown/wasm-release/console.wasm
  CARGO_TARGET_DIR=target/console RUSTFLAGS="--cfg erase_components" \
    cargo build -p console-frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  local tmp
  tmp="$(mktemp -d)"
  wasm-bindgen --target=web --no-typescript --out-name=console --out-dir="$tmp" "$wasm"
  [[ ! -e "$tmp/snippets" ]] || die "the console bundle has JavaScript snippets, which build_console_bundle does not copy"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$tmp/console_bg.wasm" -o "$tmp/console_bg.wasm"
  local hash
  hash="$(cat "$tmp/console.js" "$tmp/console_bg.wasm" | sha256sum | cut -c1-16)"
  mkdir -p "$pkg"
  rm -f "$pkg"/console.*.js "$pkg"/console.*.js.* "$pkg"/console.*.wasm "$pkg"/console.*.wasm.*
  mv "$tmp/console.js" "$pkg/console.$hash.js"
  mv "$tmp/console_bg.wasm" "$pkg/console.$hash.wasm"
  rm -rf "$tmp"
  say "console bundle: $pkg/console.$hash.{js,wasm}"
}

# The load generator, built with the flags cargo-leptos gives the server's release
# build (always-erase-components), so that it reuses that build's artifacts: with
# cargo's default flags it would build the server crate and every dependency
# again, some ten minutes on 2 cores.
build_loadgen() {
  RUSTFLAGS="--cfg erase_components" \
    cargo build --release -p server --bin loadgen --no-default-features
}

cmd_tools() {
  section "Tools"
  install_tools
  section "Test tools"
  install_test_packages
  install_end2end_deps
}

cmd_run() {
  section "Tools"
  install_tools
  section "Release build (cargo leptos build --release --split)"
  build_release
  section "Run"
  mkdir -p data
  export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
  export CHAT_ADDR="${CHAT_ADDR:-127.0.0.1:3000}"
  export CHAT_DATABASE_URL="${CHAT_DATABASE_URL:-sqlite://data/chat.db}"
  say "starting target/release/server serve --demo on $CHAT_ADDR ($CHAT_DATABASE_URL)"
  exec target/release/server serve --demo "$@"
}

CURRENT_SECTION=""
SECTION_STARTED=0
TIMINGS=()
# Records how long the section that just ended took.
end_section() {
  if [[ -n "$CURRENT_SECTION" ]]; then
    TIMINGS+=("$(printf '%5ds  %s' "$((SECONDS - SECTION_STARTED))" "$CURRENT_SECTION")")
  fi
}
print_timings() {
  section "Time per section"
  printf '%s\n' "${TIMINGS[@]}"
}
report_failure() {
  local rc=$?
  end_section
  if ((rc != 0)); then
    printf '\nsetup.sh test: FAILED in section: %s (exit %s)\n' "$CURRENT_SECTION" "$rc" >&2
  fi
  print_timings
}
test_section() {
  end_section
  CURRENT_SECTION="$*"
  SECTION_STARTED=$SECONDS
  section "$*"
}

cmd_test() {
  # On any failure (set -e), name the section that failed.
  trap report_failure EXIT

  test_section "Tools"
  install_tools
  install_test_packages
  install_end2end_deps

  test_section "Format (cargo fmt --check)"
  cargo fmt --all --check

  test_section "Lint (cargo clippy, workspace, native)"
  cargo clippy --workspace --all-targets -- -D warnings

  test_section "Lint (cargo clippy, frontend, wasm32)"
  # One at a time: together their features would unify, and the widget's own
  # build of the shared app crate (without `agent-frames`) would go unlinted.
  cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p console-frontend --target wasm32-unknown-unknown -- -D warnings

  test_section "Unit and integration tests (cargo test)"
  # Without the browser crates: building them alongside would unify the shared app
  # crate's `hydrate` feature into the server's build (browser-only reactive
  # effects in server rendering). It has no tests of its own; clippy checks it.
  cargo test --workspace --exclude frontend --exclude console-frontend

  test_section "Release build (cargo leptos build --release --split, compress-site)"
  build_release

  test_section "Cluster smoke (PostgreSQL, NATS, 3 nodes, nginx: ./setup.sh cluster --smoke)"
  (run_cluster --smoke)

  test_section "Benchmark, seconds-long (loadgen --quick; numbers not asserted)"
  build_loadgen
  target/release/loadgen --quick --server-bin target/release/server \
    --out target/bench/quick.json

  test_section "Browser tests (TypeScript check)"
  (cd end2end && npx tsc --noEmit -p .)

  test_section "Browser tests (Playwright)"
  (
    cd end2end
    CHAT_SERVER_BIN="$ROOT/target/release/server" \
      LEPTOS_SITE_ROOT="$ROOT/target/site" \
      npx playwright test
  )

  end_section
  CURRENT_SECTION=""
  section "All checks and tests passed"
}

cmd_bench() {
  install_tools
  # steady-pg starts a throwaway PostgreSQL server of its own.
  apt_install postgresql
  section "Release build (server and load generator)"
  build_release
  build_loadgen
  section "Benchmark: idle, steady, ramp and steady-pg workloads (a few minutes)"
  target/release/loadgen --server-bin target/release/server \
    --out target/bench/results.json "$@"
}

# ---------------------------------------------------------------------------
# A cluster on loopback (./setup.sh cluster)
# ---------------------------------------------------------------------------

CLUSTER_PACKAGES="postgresql nats-server nginx curl"
CLUSTER_PORT="${CLUSTER_PORT:-8080}"
CLUSTER_PG_PORT="${CLUSTER_PG_PORT:-55432}"
CLUSTER_NATS_PORT="${CLUSTER_NATS_PORT:-54222}"
CLUSTER_NODE_PORTS=(3101 3102 3103)
CLUSTER_DIR=""
CLUSTER_PIDS=()

# PostgreSQL's server programs (Debian keeps them off the PATH).
pg_bin_dir() {
  local dir
  dir="$(pg_config --bindir 2>/dev/null || true)"
  if [[ -x "$dir/initdb" ]]; then
    printf '%s\n' "$dir"
    return
  fi
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [[ -x "$dir/initdb" ]] || die "PostgreSQL's initdb not found: apt-get install postgresql"
  printf '%s\n' "$dir"
}

# Runs a PostgreSQL program as `nobody` when we are root (initdb refuses root).
as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
  else
    "$@"
  fi
}

cluster_stop() {
  local pid
  for pid in "${CLUSTER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${CLUSTER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$CLUSTER_DIR" && -d "$CLUSTER_DIR" ]]; then
    if [[ -f "$CLUSTER_DIR/nginx.pid" ]]; then
      nginx -p "$CLUSTER_DIR" -c nginx.conf -s stop 2>/dev/null || true
    fi
    as_postgres "$(pg_bin_dir)/pg_ctl" -D "$CLUSTER_DIR/pg" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
}

# Waits until `url` answers 200 (at most 30 s).
wait_ready() {
  local url="$1" what="$2" tries=0
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    tries=$((tries + 1))
    ((tries < 300)) || die "$what did not become ready ($url); logs in $CLUSTER_DIR"
    sleep 0.1
  done
}

cluster_nginx_conf() {
  local servers="" port
  for port in "${CLUSTER_NODE_PORTS[@]}"; do
    servers+="        server 127.0.0.1:$port max_fails=2 fail_timeout=5s;"$'\n'
  done
  cat <<NGINX
# The load balancer of ./setup.sh cluster: the configuration docs/deploy.md
# describes, on loopback.
worker_processes 1;
pid $CLUSTER_DIR/nginx.pid;
error_log $CLUSTER_DIR/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $CLUSTER_DIR/tmp/body;
    proxy_temp_path $CLUSTER_DIR/tmp/proxy;
    fastcgi_temp_path $CLUSTER_DIR/tmp/fastcgi;
    uwsgi_temp_path $CLUSTER_DIR/tmp/uwsgi;
    scgi_temp_path $CLUSTER_DIR/tmp/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    upstream chat {
        least_conn;
$servers    }
    server {
        listen 127.0.0.1:$CLUSTER_PORT;
        location / {
            proxy_pass http://chat;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_read_timeout 75s;
            client_max_body_size 11m;
            proxy_next_upstream error timeout http_502 http_503;
        }
    }
}
NGINX
}

# Checks the running cluster through nginx: pages, the widget, a WebSocket
# upgrade, and that every node is ready.
cluster_smoke() {
  local base="http://127.0.0.1:$CLUSTER_PORT" port path status
  for path in /demo /console /widget.js /readyz; do
    curl -fsS -o /dev/null "$base$path" || die "smoke: GET $path through nginx failed"
  done
  for port in "${CLUSTER_NODE_PORTS[@]}"; do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || die "smoke: node $port is not ready"
  done
  status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H "Origin: $base" \
    "$base/ws/visitor" || true)"
  [[ "$status" == 101 ]] || die "smoke: the WebSocket upgrade through nginx answered $status"
  say "smoke: pages, the widget, 3 nodes ready and a WebSocket upgrade through nginx: ok"
}

cmd_cluster() {
  section "Tools"
  install_tools
  # shellcheck disable=SC2086 # the list is split on purpose
  apt_install $CLUSTER_PACKAGES
  section "Release build (cargo leptos build --release --split)"
  build_release
  section "Cluster"
  run_cluster "$@"
}

# Starts the cluster from the release build; with --smoke, checks it and stops.
# Run it in a subshell of its own: it sets traps to stop what it started.
run_cluster() {
  local smoke=0
  [[ "${1:-}" == --smoke ]] && smoke=1
  CLUSTER_DIR="$(mktemp -d /tmp/livechat-cluster.XXXXXX)"
  chmod 755 "$CLUSTER_DIR"
  trap cluster_stop EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$CLUSTER_DIR/pg" "$CLUSTER_DIR/files" "$CLUSTER_DIR/tmp"
  chmod 777 "$CLUSTER_DIR/tmp"
  if [[ "$(id -u)" == 0 ]]; then chown nobody:nogroup "$CLUSTER_DIR/pg"; fi

  local pgbin
  pgbin="$(pg_bin_dir)"
  say "PostgreSQL on 127.0.0.1:$CLUSTER_PG_PORT"
  as_postgres "$pgbin/initdb" -D "$CLUSTER_DIR/pg" -U chat --auth=trust --no-sync >"$CLUSTER_DIR/initdb.log"
  as_postgres "$pgbin/pg_ctl" -D "$CLUSTER_DIR/pg" -l "$CLUSTER_DIR/pg/server.log" -w \
    -o "-k $CLUSTER_DIR/pg -p $CLUSTER_PG_PORT -c listen_addresses=127.0.0.1" start >/dev/null ||
    die "PostgreSQL did not start (port $CLUSTER_PG_PORT in use? set CLUSTER_PG_PORT)"
  psql -q -h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U chat -d postgres -c 'CREATE DATABASE chat' >/dev/null

  say "NATS on 127.0.0.1:$CLUSTER_NATS_PORT"
  nats-server -a 127.0.0.1 -p "$CLUSTER_NATS_PORT" -l "$CLUSTER_DIR/nats.log" &
  CLUSTER_PIDS+=($!)

  local i port demo
  for i in "${!CLUSTER_NODE_PORTS[@]}"; do
    port="${CLUSTER_NODE_PORTS[$i]}"
    # The first node makes the demo agents (and writes their logins beside it).
    demo=()
    if ((i == 0)); then demo=(--demo); fi
    say "node $((i + 1)) on 127.0.0.1:$port"
    (
      cd "$CLUSTER_DIR"
      CHAT_ADDR="127.0.0.1:$port" \
        CHAT_DATABASE_URL="postgres://chat@127.0.0.1:$CLUSTER_PG_PORT/chat" \
        CHAT_NATS_URL="nats://127.0.0.1:$CLUSTER_NATS_PORT" \
        CHAT_FILES_DIR="$CLUSTER_DIR/files" \
        CHAT_TRUSTED_PROXIES=127.0.0.1 \
        LEPTOS_SITE_ROOT="$ROOT/target/site" \
        exec "$ROOT/target/release/server" serve "${demo[@]}" >"$CLUSTER_DIR/node$((i + 1)).log" 2>&1
    ) &
    CLUSTER_PIDS+=($!)
    wait_ready "http://127.0.0.1:$port/readyz" "node $((i + 1))"
  done

  say "nginx on 127.0.0.1:$CLUSTER_PORT (least_conn over the three nodes)"
  cluster_nginx_conf >"$CLUSTER_DIR/nginx.conf"
  nginx -p "$CLUSTER_DIR" -c nginx.conf || die "nginx did not start (port $CLUSTER_PORT in use? set CLUSTER_PORT)"
  wait_ready "http://127.0.0.1:$CLUSTER_PORT/readyz" "nginx"

  if ((smoke)); then
    cluster_smoke
    return
  fi
  local base="http://127.0.0.1:$CLUSTER_PORT"
  cat <<URLS

  Demo website:   $base/demo
  Agent console:  $base/console

  Agent logins (username / password):
$(sed 's/^/  /' "$CLUSTER_DIR/demo-logins.txt" 2>/dev/null)

  Nodes on ports ${CLUSTER_NODE_PORTS[*]} (logs: $CLUSTER_DIR/node*.log),
  PostgreSQL on $CLUSTER_PG_PORT, NATS on $CLUSTER_NATS_PORT.
  Ctrl-C stops everything and removes it.
URLS
  wait
}

usage() {
  cat <<'EOF'
usage: ./setup.sh run | test | bench | tools | build
  run    install what is missing, build and run the server on http://127.0.0.1:3000
  test   install what is missing and run every check and test
  bench  install what is missing and run the benchmark (docs/performance.md)
  tools  only install what is missing
  build  only the release build (server, widget, console bundle, compressed)
  cluster [--smoke]  a throwaway cluster on loopback: PostgreSQL, NATS, three
         nodes and nginx on http://127.0.0.1:8080 (--smoke: check it, then stop)
EOF
}

main() {
  local cmd="${1:-}"
  if (($# > 0)); then shift; fi
  case "$cmd" in
    run) cmd_run "$@" ;;
    test) cmd_test ;;
    bench) cmd_bench "$@" ;;
    tools) cmd_tools ;;
    cluster) cmd_cluster "$@" ;;
    build)
      install_tools
      build_release
      ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
