#!/usr/bin/env bash
# Runs the Go bench for the binding (natsrs-go) and nats.go against one nats-server, same cases,
# one JSON line per (client, case):  bench/go/run.sh [case ...]   (default: pub_16 pub_1024
# pubsub_16 pubsub_1024 reqrep). Links libnatsrs like bindings/go (CGO_* override).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../../scripts/lib.sh"
trap natsrs_cleanup EXIT
command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
export GOPATH="${NATSRS_GOPATH:-$NATSRS_ROOT/.venv/go}" GOMODCACHE="${NATSRS_GOPATH:-$NATSRS_ROOT/.venv/go}/pkg/mod"
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -modcacherw"
natsrs_tmpdir
cd "$HERE"
go build -o "$NATSRS_TMP/natsrs-go_bench" .
go build -tags natsgo -o "$NATSRS_TMP/natsgo_bench" .
natsrs_start_server >&2
cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=(pub_16 pub_1024 pubsub_16 pubsub_1024 reqrep)
for c in "${cases[@]}"; do
  for b in natsgo_bench natsrs-go_bench; do
    "$NATSRS_TMP/$b" "$c" "$NATS_URL"
  done
done
