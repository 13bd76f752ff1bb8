#!/usr/bin/env python3
"""Medians of alternating runs: nats-py (bench/py_bench.py) against natsrs.aio (the same program
with only the import changed, bench/py_natsrs_bench.py --api aio), on a shared, noisy machine.

Usage: bench_pubsub.py <url> [cases (comma separated, default pub_16,pubsub_16,reqrep)] [runs (default 5)]

Each case runs nats-py and natsrs.aio one after the other, ``runs`` times, and prints the median
rate (msgs/s; p50 latency for reqrep) and process CPU per message of each, and the ratio. Run from
the repository root with PYTHONPATH=bindings/python and NATSRS_LIB_PATH set (or the package
installed). BENCH_SECS bounds the throughput cases (default 2.5). BENCH_BASELINE=<dir> adds a third
client, "baseline": natsrs.aio from another copy of bindings/python (e.g. an older commit's, from
``git archive``), run in the same alternation, for before/after tables on a noisy machine.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

ROOT = pathlib.Path(__file__).resolve().parents[3]
REQREP_N = "3000"
TIMEOUT_S = 300


def one(cmd: List[str], env: Optional[Dict[str, str]] = None) -> Dict[str, float]:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-1000:]}")
    return dict(json.loads(lines[-1]))


def main() -> None:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url = sys.argv[1]
    cases = sys.argv[2].split(",") if len(sys.argv) > 2 else ["pub_16", "pubsub_16", "reqrep"]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    py = sys.executable
    clients = {
        "nats-py": [py, str(ROOT / "bench/py_bench.py")],
        "natsrs.aio": [py, str(ROOT / "bench/py_natsrs_bench.py"), "--api", "aio"],
    }
    envs: Dict[str, Optional[Dict[str, str]]] = {k: None for k in clients}
    baseline = os.environ.get("BENCH_BASELINE")
    if baseline:
        clients["baseline"] = clients["natsrs.aio"]
        # with the library path set, the bench client imports natsrs from PYTHONPATH only
        lib = os.environ.get("NATSRS_LIB_PATH") or str(ROOT / "target/release/libnatsrs.so")
        envs["baseline"] = dict(os.environ, PYTHONPATH=baseline, NATSRS_LIB_PATH=lib)
        envs["natsrs.aio"] = dict(os.environ, NATSRS_LIB_PATH=lib)
    print(f"{'case':<12}{'client':<12}{'median':>14}{'cpu ns/msg':>12}{'ratio':>10}   runs")
    for case in cases:
        extra = [REQREP_N] if case == "reqrep" else []
        got: Dict[str, List[Dict[str, float]]] = {k: [] for k in clients}
        for _ in range(runs):
            for name, cmd in clients.items():
                try:
                    got[name].append(one(cmd + [case, url] + extra, envs[name]))
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    print(f"# {name} {case}: {e}", file=sys.stderr)
        key = "p50_us" if case == "reqrep" else "msgs_per_sec"
        med = {}
        for name, rows in got.items():
            vals = [float(r[key]) for r in rows if r.get(key)]
            cpu = [float(r["cpu_ns_per_msg"]) for r in rows if r.get("cpu_ns_per_msg")]
            med[name] = statistics.median(vals) if vals else 0.0
            base = med.get("nats-py") or 0.0
            ratio = ""
            if base and med[name]:
                ratio = f"p50 x{med[name] / base:.2f}" if key == "p50_us" else f"x{med[name] / base:.2f}"
            unit = " us p50" if key == "p50_us" else " msgs/s"
            print(
                f"{case:<12}{name:<12}{med[name]:>8.0f}{unit:<6}{(statistics.median(cpu) if cpu else 0):>12.0f}"
                f"{ratio:>10}   {sorted(round(v) for v in vals)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
