#!/usr/bin/env bash
# Shapes harness: fan-out, many parallel requesters, many connections, many async subscriptions,
# for libnatsrs (include/natsrs.h, target/release), nats.c (libnats-dev) and nats.go (module proxy).
#
#   bench/shapes.sh [--reps K] [--shapes fanout_1conn,fanout_100conn,req32,conns1000,subs10k]
#                   [--secs S] [--out FILE]
#
# Builds bench/shapes/build/{shapes_natsrs,shapes_natsc,shapes_natsgo} (no cargo build: it links
# the libnatsrs already in target/release), starts one nats-server on 127.0.0.1 pinned to CPU 0,
# runs every shape for every client (each run its own process pinned to CPU 1; the client order
# alternates between reps), prints one JSON line per (client, shape, rep) with the 1-minute load
# average before and after, then the Markdown table (bench/shapes/report.py). Every run is bounded:
# counts, --secs (default 3) for timed loops, stall/hard deadlines in the programs, timeout 180.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
SHAPES_DIR="$BENCH_DIR/shapes"
BUILD="$SHAPES_DIR/build"
. "$ROOT/scripts/lib.sh"

REPS=1
SHAPES="fanout_1conn,fanout_100conn,req32,conns1000,subs10k"
OUT=""
export SHAPES_SECS="${SHAPES_SECS:-3}"
POOL=4
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --shapes) SHAPES="$2"; shift ;;
    --secs) SHAPES_SECS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "[shapes] $*" >&2; }
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3

# ---------------------------------------------------------------- builds
mkdir -p "$BUILD"
[ -f /usr/include/nats/nats.h ] || { log "nats.c headers missing: apt-get install libnats-dev (see bench/run.sh)"; exit 1; }
[ -f "$ROOT/target/release/libnatsrs.so" ] || { log "target/release/libnatsrs.so missing: cargo build --release first"; exit 1; }
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra"
log "building shapes_natsrs, shapes_natsc"
gcc $CFLAGS -I"$ROOT/include" -o "$BUILD/shapes_natsrs" "$SHAPES_DIR/shapes_natsrs.c" \
  -L"$ROOT/target/release" -Wl,-rpath,"$ROOT/target/release" -lnatsrs -lpthread
gcc $CFLAGS -o "$BUILD/shapes_natsc" "$SHAPES_DIR/shapes_natsc.c" -lnats -lpthread
log "building shapes_natsgo"
command -v go >/dev/null 2>&1 || PATH="/usr/local/go/bin:$PATH"
(
  export GOPATH="$ROOT/.venv/go" GOMODCACHE="$ROOT/.venv/go/pkg/mod" GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -modcacherw"
  cd "$SHAPES_DIR/go" && go build -o "$BUILD/shapes_natsgo" .
)

# ---------------------------------------------------------------- pinning and server
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  PIN_CLIENT="taskset -c 1"
  natsrs_tmpdir
  printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$NATS_SERVER_BIN" >"$NATSRS_TMP/nats-server-cpu0"
  chmod +x "$NATSRS_TMP/nats-server-cpu0"
  REAL_SERVER_BIN="$NATS_SERVER_BIN"
  NATS_SERVER_BIN="$NATSRS_TMP/nats-server-cpu0"
else
  log "WARNING: fewer than 2 CPUs or no taskset: running unpinned"
  PIN_CLIENT=""
  REAL_SERVER_BIN="$NATS_SERVER_BIN"
fi
trap natsrs_cleanup EXIT
natsrs_start_server >&2
log "nats-server on $NATS_URL (pid $NATS_SERVER_PID)"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
[ -n "$OUT" ] || OUT="$BUILD/shapes-$STAMP.jsonl"
: >"$OUT"
"$PY" - "$REAL_SERVER_BIN" "$ROOT" "$SHAPES_SECS" >>"$OUT" <<'EOF2'
import datetime, json, os, platform, re, subprocess, sys
def run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, shell=True, cwd=cwd).stdout.strip()
    except Exception:
        return None
cpu = ""
for l in open("/proc/cpuinfo"):
    if l.startswith("model name"):
        cpu = l.split(":", 1)[1].strip(); break
gomod = open(os.path.join(sys.argv[2], "bench/shapes/go/go.mod")).read()
m = re.search(r"github.com/nats-io/nats.go (v\S+)", gomod)
print(json.dumps({"meta": {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "ncpu": os.cpu_count(), "kernel": platform.release(),
    "nats_server": run(f"'{sys.argv[1]}' --version"),
    "libnats": run("dpkg-query -W -f '${Version}' libnats-dev"),
    "natsgo": m.group(1) if m else None,
    "libnatsrs": run("git rev-parse --short HEAD", cwd=sys.argv[2]),
    "libnatsrs_so_mtime": datetime.datetime.fromtimestamp(
        os.path.getmtime(os.path.join(sys.argv[2], "target/release/libnatsrs.so")), datetime.timezone.utc
    ).strftime("%Y-%m-%d %H:%M UTC"),
    "shapes_secs": float(sys.argv[3]),
    "loadavg": open("/proc/loadavg").read().split()[:3],
}}))
EOF2

client_cmd() {
  case "$1" in
    natsrs) echo "$BUILD/shapes_natsrs" ;;
    natsrs-pool4) echo "$BUILD/shapes_natsrs" ;;
    natsc) echo "$BUILD/shapes_natsc" ;;
    natsc-global4) echo "$BUILD/shapes_natsc" ;;
    natsgo) echo "$BUILD/shapes_natsgo" ;;
  esac
}
client_arg() {
  case "$1" in
    natsrs-pool4|natsc-global4) echo "$POOL" ;;
    *) echo "" ;;
  esac
}
clients_for() { # shape rep -> client list (order alternates with the rep)
  local l
  case "$1" in
    fanout_*|subs10k) l="natsrs natsrs-pool4 natsc natsc-global4 natsgo" ;;
    *) l="natsrs natsc natsgo" ;;
  esac
  if [ $(( $2 % 2 )) -eq 0 ]; then echo "$l" | tr ' ' '\n' | tac | tr '\n' ' '; else echo "$l"; fi
}
load1() { cut -d' ' -f1 /proc/loadavg; }

IFS=',' read -r -a SHAPE_LIST <<<"$SHAPES"
for rep in $(seq 1 "$REPS"); do
  for shape in "${SHAPE_LIST[@]}"; do
    for client in $(clients_for "$shape" "$rep"); do
      cmd="$(client_cmd "$client")"
      arg="$(client_arg "$client")"
      l0="$(load1)"
      set +e
      timeout 180 $PIN_CLIENT $cmd "$shape" "$NATS_URL" $arg >"$BUILD/last-stdout.txt" 2>"$BUILD/last-stderr.txt"
      rc=$?
      set -e
      l1="$(load1)"
      line="$("$PY" "$SHAPES_DIR/report.py" annotate "$client" "$shape" "$rep" "$rc" "$l0" "$l1" \
        "$BUILD/last-stdout.txt" "$BUILD/last-stderr.txt")"
      echo "$line"
      echo "$line" >>"$OUT"
      sleep 0.5
    done
  done
done

echo
"$PY" "$SHAPES_DIR/report.py" table "$OUT"
log "results saved to $OUT"
