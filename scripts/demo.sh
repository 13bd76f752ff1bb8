#!/usr/bin/env bash
# The README's first command: installs what is needed (project-local .venv), builds libnatsrs and
# the C examples, starts a local nats-server on a free 127.0.0.1 port, runs the C demo of the basic
# usage against it, stops the server (always) and exits with the demo's status.
set -euo pipefail
exec </dev/null

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$NATSRS_ROOT"

trap natsrs_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

natsrs_say "set-up (project-local .venv with the pinned nats-server)"
bash scripts/setup.sh

natsrs_say "building libnatsrs (cargo build --release)"
cargo build --release

natsrs_say "building the C examples (make -C examples-c all)"
make -C examples-c all

natsrs_say "starting nats-server"
natsrs_start_server
natsrs_say "nats-server pid $NATS_SERVER_PID listening at $NATS_URL"

export LD_LIBRARY_PATH="$NATSRS_ROOT/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
natsrs_say "running examples-c/build/demo with NATS_URL=$NATS_URL"
set +e
examples-c/build/demo
rc=$?
set -e
if [ "$rc" = 0 ]; then
  natsrs_say "demo finished successfully"
else
  natsrs_say "demo FAILED with exit status $rc; nats-server log tail:"
  tail -n 20 "$NATS_SERVER_LOG" || true
fi
exit "$rc"
