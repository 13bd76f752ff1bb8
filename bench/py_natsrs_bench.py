#!/usr/bin/env python3
"""The Python binding of libnatsrs (bindings/python) as a bench client, next to py_bench.py.

Usage: py_natsrs_bench.py [--api aio|blocking] <case> <url> [N]   -> one JSON line (bench/README.md)
Cases: pub_<size>, pubsub_<size>, reqrep. Client names: "natsrs-py-aio" (natsrs.aio, nats-py's API,
the same program as py_bench.py with only the import changed) and "natsrs-py" (the blocking API).
BENCH_SECS bounds the throughput cases (default 2.5). Run with the package installed
(pip install ./bindings/python) or with PYTHONPATH=bindings/python and NATSRS_LIB_PATH set.
Side by side with nats-py: bench/py_natsrs_bench.py --compare <url> runs nats-py (py_bench.py) and
both APIs on each case and prints the JSON lines and a ratio table.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import py_bench  # noqa: E402  (emit, cpu_ns, peak_rss_kb, bench_secs, and the nats-py cases)

try:
    import natsrs  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent / "bindings/python"))
    if not os.environ.get("NATSRS_LIB_PATH"):
        os.environ["NATSRS_LIB_PATH"] = str(HERE.parent / "target/release/libnatsrs.so")
import natsrs  # noqa: E402
import natsrs.aio as nats  # noqa: E402

cpu_ns, peak_rss_kb, bench_secs = py_bench.cpu_ns, py_bench.peak_rss_kb, py_bench.bench_secs


# ---- asyncio API: py_bench.py's cases run on natsrs.aio (only the module differs) -------------------
def run_aio(case, url, n):
    py_bench.nats = nats
    py_bench.CLIENT = "natsrs-py-aio"
    sys.argv = [sys.argv[0], case, url] + ([str(n)] if n else [])
    asyncio.run(py_bench.main())


# ---- blocking API ---------------------------------------------------------------------------------
def b_pub(url, size, n):
    nc = natsrs.connect(url)
    nc.flush()
    payload = b"x" * size
    limit = bench_secs()
    c0 = cpu_ns()
    t0 = time.perf_counter()
    sent = 0
    pub = nc.publish
    while sent < n:
        pub("bench.pub", payload)
        sent += 1
        if sent & 255 == 0 and time.perf_counter() - t0 >= limit:
            break
    nc.flush(timeout=60)
    secs = time.perf_counter() - t0
    cpu = cpu_ns() - c0
    nc.close()
    return dict(msgs=sent, secs=secs, size=size, cpu=cpu, rss=peak_rss_kb())


def b_pubsub(url, size, n):
    sc = natsrs.connect(url)
    pc = natsrs.connect(url)
    sub = sc.subscribe("bench.ps", pending_msgs_limit=-1, pending_bytes_limit=-1)
    sc.flush()
    state = {"count": 0, "done": None, "target": None}
    stop = threading.Event()

    def consume():
        last = None
        while not stop.is_set():
            try:
                got = sub.next_msgs(1024, timeout=0.05)
            except natsrs.errors.TimeoutError:
                # everything may have arrived before the publisher set the target: the time of
                # the last arrival is the end
                if state["target"] is not None and state["count"] >= state["target"]:
                    state["done"] = last
                    return
                continue
            except natsrs.errors.Error:
                return
            last = time.perf_counter()
            state["count"] += len(got)
            if state["target"] is not None and state["count"] >= state["target"]:
                state["done"] = last
                return

    th = threading.Thread(target=consume)
    payload = b"x" * size
    limit = bench_secs()
    c0 = cpu_ns()
    t0 = time.perf_counter()
    th.start()
    sent = 0
    pub = pc.publish
    while sent < n:
        pub("bench.ps", payload)
        sent += 1
        if sent & 255 == 0 and time.perf_counter() - t0 >= limit:
            break
    pc.flush(timeout=60)
    state["target"] = sent
    th.join(30)
    stop.set()
    th.join()
    cpu = cpu_ns() - c0
    timed_out = state["done"] is None
    secs = (state["done"] or time.perf_counter()) - t0
    got = state["count"]
    dropped = sub.dropped
    sub.close()
    pc.close()
    sc.close()
    return dict(msgs=got, secs=secs, size=size, cpu=cpu, rss=peak_rss_kb(), dropped=max(0, sent - got), sent=sent,
                timed_out=timed_out, lib_dropped=dropped)


def b_reqrep(url, n):
    rc = natsrs.connect(url)
    qc = natsrs.connect(url)
    rc.subscribe("bench.rr", cb=lambda m: rc.publish(m.reply, m.data) if m.reply else None)
    rc.flush()
    payload = b"x" * 16
    for _ in range(min(1000, n // 10 + 1)):
        qc.request("bench.rr", payload, timeout=5)
    lat = []
    c0 = cpu_ns()
    t0 = time.perf_counter()
    req = qc.request
    for _ in range(n):
        s = time.perf_counter_ns()
        req("bench.rr", payload, timeout=5)
        lat.append(time.perf_counter_ns() - s)
    secs = time.perf_counter() - t0
    cpu = cpu_ns() - c0
    lat.sort()

    def pct(p):
        return lat[round((len(lat) - 1) * p)] / 1e3

    qc.close()
    rc.close()
    return dict(msgs=n, secs=secs, cpu=cpu, p50=pct(0.50), p99=pct(0.99))


def run_blocking(case, url, n):
    py_bench.CLIENT = "natsrs-py"
    if case.startswith("pubsub_"):
        res = b_pubsub(url, int(case[7:]), n or (1 << 62))
    elif case.startswith("pub_"):
        res = b_pub(url, int(case[4:]), n or (1 << 62))
    elif case == "reqrep":
        res = b_reqrep(url, n or 20000)
    else:
        print(json.dumps({"client": "natsrs-py", "case": case, "unsupported": True}), flush=True)
        return
    py_bench.emit(case, **res)


# ---- side by side -----------------------------------------------------------------------------------
def compare(url, cases):
    rows = []
    me = [sys.executable, __file__]
    for case in cases:
        n = ["5000"] if case == "reqrep" else []
        for label, cmd in (("nats-py", [sys.executable, str(HERE / "py_bench.py")]),
                           ("natsrs-py-aio", me + ["--api", "aio"]), ("natsrs-py", me + ["--api", "blocking"])):
            out = subprocess.run(cmd + [case, url] + n, capture_output=True, text=True, timeout=300)
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else json.dumps(
                {"client": label, "case": case, "error": out.stderr[-300:]})
            print(line, flush=True)
            rows.append(json.loads(line))
    print()
    print(f"{'case':<14}{'client':<16}{'msgs/s':>12}{'p50 us':>10}{'cpu ns/msg':>12}{'vs nats-py':>12}")
    base = {}
    for r in rows:
        if r.get("client") == "nats-py":
            base[r["case"]] = r
    for r in rows:
        b = base.get(r["case"], {})
        if r.get("p50_us") and b.get("p50_us"):
            ratio = f"p50 x{r['p50_us'] / b['p50_us']:.2f}"
        elif r.get("msgs_per_sec") and b.get("msgs_per_sec"):
            ratio = f"x{r['msgs_per_sec'] / b['msgs_per_sec']:.2f}"
        else:
            ratio = ""
        rate = r.get("msgs_per_sec") or 0
        print(f"{r['case']:<14}{r['client']:<16}{rate:>12.0f}{(r.get('p50_us') or 0):>10.1f}"
              f"{(r.get('cpu_ns_per_msg') or 0):>12.0f}{ratio:>12}")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--compare":
        compare(args[1], args[2].split(",") if len(args) > 2 else ["pub_16", "pub_1024", "pubsub_16", "pubsub_1024",
                                                                    "reqrep"])
        return
    api = "aio"
    if len(args) >= 2 and args[0] == "--api":
        api, args = args[1], args[2:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    case, url = args[0], args[1]
    n = int(args[2]) if len(args) > 2 else None
    if api == "aio":
        run_aio(case, url, n)
    else:
        run_blocking(case, url, n)


if __name__ == "__main__":
    main()
