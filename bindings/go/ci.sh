#!/usr/bin/env bash
# The Go binding's test stage (scripts/test.sh runs it as stage "go"; it also runs alone):
#   go vet           the binding, its seed-README tests, examples and the interop module
#   go test -race    the binding's tests and the seed-README tests (real nats-server processes)
#   again with GOEXPERIMENT=cgocheck2, and once with -tags debug (GC forced at every handle access)
#   interop          against nats.go v1.55.0 (test-only module bindings/go/interop)
#   examples         every program in examples/ against a server with JetStream (NATS_URL), plus the TLS, nkey
#                    and operator-mode servers for examples/tls and examples/auth
# Links libnatsrs from target/release unless CGO_CFLAGS/CGO_LDFLAGS say otherwise (README.md).
# Ends with "N passed, M failed" (one per Go test and per example).
set -uo pipefail
exec </dev/null

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../scripts/lib.sh
. "$HERE/../../scripts/lib.sh"
trap natsrs_cleanup EXIT
natsrs_tmpdir

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go: not found (install Go >= 1.24, e.g. into /usr/local/go)"
  echo "0 passed, 1 failed"
  exit 1
fi
export GOPATH="${NATSRS_GOPATH:-$NATSRS_ROOT/.venv/go}"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly -modcacherw"
export CGO_ENABLED=1
unset NATS_URL

PASSED=0 FAILED=0
count() { # count LOG: add the --- PASS / --- FAIL lines of a go test -v log
  local p f
  p=$(grep -cE '^\s*--- PASS' "$1" || true)
  f=$(grep -cE '^\s*--- FAIL' "$1" || true)
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}
step() { # step NAME CMD...: runs, keeps the log, shows failures
  local name="$1" log="$NATSRS_TMP/go-$1.log" rc
  shift
  natsrs_say "[go] $name: $*"
  "$@" >"$log" 2>&1
  rc=$?
  if [ "$name" != vet ] && [ "$name" != "vet-interop" ]; then count "$log"; fi
  grep -E '^(ok|FAIL|---|panic|\s+\S+_test\.go:)' "$log" | grep -vE '^\s*--- (PASS|SKIP)' | tail -n 40
  if [ "$rc" != 0 ]; then
    tail -n 60 "$log"
    echo "[go] $name: FAILED (exit $rc)"
    if ! grep -qE '^\s*--- FAIL' "$log"; then FAILED=$((FAILED + 1)); fi
  fi
  return 0
}

# Security material for the auth/TLS tests and examples.
PKI="${NATSRS_TEST_PKI:-}"
if [ -z "$PKI" ]; then
  PKI="$NATSRS_TMP/pki"
  if [ -x "$NATSRS_ROOT/target/release/examples/gen_test_pki" ]; then
    "$NATSRS_ROOT/target/release/examples/gen_test_pki" "$PKI" >/dev/null || PKI=""
  elif command -v cargo >/dev/null 2>&1; then
    (cd "$NATSRS_ROOT" && cargo run --release --quiet --example gen_test_pki -- "$PKI") >/dev/null || PKI=""
  else
    PKI=""
  fi
fi
if [ -n "$PKI" ]; then
  export NATSRS_TEST_PKI="$PKI" NATSRS_REQUIRE_PKI=1
else
  echo "[go] no test PKI (gen_test_pki): auth/TLS tests are skipped"
fi

cd "$HERE"
step vet go vet ./...
step vet-interop sh -c 'cd interop && go vet ./...'
step race go test -race -count=1 -v ./...
step cgocheck2 env GOEXPERIMENT=cgocheck2 go test -race -count=1 -v ./...
step debug go test -tags debug -count=1 -v .
step interop sh -c 'cd interop && go test -race -count=1 -v ./...'

# Examples against real servers.
mkdir -p "$NATSRS_TMP/go-examples-js"
if natsrs_start_server -js -sd "$NATSRS_TMP/go-examples-js"; then
  if [ -n "$PKI" ]; then
    natsrs_start_named_server GO_TLS -c "$PKI/tls.conf" || true
    natsrs_start_named_server GO_NKEY -c "$PKI/nkey.conf" || true
    natsrs_start_named_server GO_OP -c "$PKI/operator.conf" || true
    export NATS_TLS_URL="tls://127.0.0.1:${GO_TLS_PORT:-0}" NATS_CA_FILE="$PKI/ca.pem"
    export NATS_CERT_FILE="$PKI/client-cert.pem" NATS_KEY_FILE="$PKI/client-key.pem"
    export NATS_NKEY_URL="nats://127.0.0.1:${GO_NKEY_PORT:-0}" NATS_NKEY_SEED_FILE="$PKI/user.nk"
    export NATS_CREDS_URL="nats://127.0.0.1:${GO_OP_PORT:-0}" NATS_CREDS_FILE="$PKI/user.creds"
  fi
  mkdir -p "$NATSRS_TMP/go-examples"
  for dir in examples/*/; do
    name="$(basename "$dir")"
    log="$NATSRS_TMP/go-example-$name.log"
    if go build -o "$NATSRS_TMP/go-examples/$name" "./$dir" >"$log" 2>&1 \
       && timeout 120 "$NATSRS_TMP/go-examples/$name" >>"$log" 2>&1; then
      PASSED=$((PASSED + 1))
      echo "[go] example $name: $(tail -n 1 "$log")"
    else
      FAILED=$((FAILED + 1))
      echo "[go] example $name: FAILED"
      tail -n 20 "$log"
    fi
  done
  natsrs_stop_all_servers
else
  echo "[go] could not start nats-server for the examples"
  FAILED=$((FAILED + 1))
fi

echo "go: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
