#!/usr/bin/env python3
"""Shapes harness helpers (bench/shapes.sh).

  report.py annotate CLIENT SHAPE REP RC LOAD_BEFORE LOAD_AFTER STDOUT_FILE STDERR_FILE
      -> one JSON line: the program's last stdout line plus rep, load averages, exit code/error
  report.py table FILE.jsonl [...]
      -> Markdown table: median per (client, shape) over the runs (min-max when more than one),
         and libnatsrs / best peer for every metric.
"""
import json
import statistics
import sys

CLIENTS = ["natsrs", "natsrs-pool4", "natsc", "natsc-global4", "natsgo"]
OURS = ["natsrs", "natsrs-pool4"]
PEERS = ["natsc", "natsc-global4", "natsgo"]
# shape -> [(metric key, label, higher_is_better)]
METRICS = {
    "fanout_1conn": [("rate", "deliveries/s", True), ("cpu_ns_per_delivery", "client CPU ns/delivery", False)],
    "fanout_100conn": [("rate", "deliveries/s", True), ("cpu_ns_per_delivery", "client CPU ns/delivery", False)],
    "req32": [("rate", "requests/s", True), ("p50_us", "p50 µs", False), ("p99_us", "p99 µs", False),
              ("cpu_ns_per_request", "client CPU ns/request", False)],
    "conns1000": [("connect_ms", "connect all ms", False), ("close_ms", "close all ms", False),
                  ("rss_kb", "VmRSS kB", False), ("rss_delta_kb", "VmRSS growth kB", False), ("threads", "threads", False)],
    "subs10k": [("rss_kb", "VmRSS kB", False), ("rss_delta_kb", "VmRSS growth kB", False), ("threads", "threads", False),
                ("subscribe_ms", "subscribe all ms", False), ("deliver_all_ms", "1 msg to each sub ms", False)],
}


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def annotate(argv):
    client, shape, rep, rc, l0, l1, outf, errf = argv
    lines = [ln for ln in read_text(outf).splitlines() if ln.strip()]
    d = None
    if lines:
        try:
            d = json.loads(lines[-1])
        except ValueError:
            d = None
    if not isinstance(d, dict):
        err = read_text(errf).strip().splitlines()
        d = {"client": client, "shape": shape, "error": f"exit {rc}: " + (err[-1] if err else "no output")}
    elif rc != "0":
        d["error"] = f"exit {rc} after output"
    if "rss_kb" in d and "rss_before_kb" in d:
        d["rss_delta_kb"] = d["rss_kb"] - d["rss_before_kb"]
    d["rep"] = int(rep)
    d["loadavg_before"] = float(l0)
    d["loadavg_after"] = float(l1)
    print(json.dumps(d, separators=(",", ":")))


def fmt(v):
    if v is None:
        return "–"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f} M"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.1f}"


def table(files):
    runs = {}
    meta = []
    for f in files:
        for line in read_text(f).splitlines():
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            if "meta" in d:
                meta.append(d["meta"])
                continue
            if "error" in d:
                runs.setdefault((d["client"], d["shape"]), []).append(None)
                continue
            runs.setdefault((d["client"], d["shape"]), []).append(d)
    clients = [c for c in CLIENTS if any(k[0] == c for k in runs)]
    nrep = max((len(v) for v in runs.values()), default=0)
    out = []
    if meta:
        m = meta[-1]
        out.append(f"{m.get('date')} · {m.get('cpu')} ({m.get('ncpu')} CPUs) · kernel {m.get('kernel')} · "
                   f"nats-server {m.get('nats_server')} · nats.c {m.get('libnats')} · nats.go {m.get('natsgo')} · "
                   f"libnatsrs {m.get('libnatsrs')}")
        out.append("")
    out.append(f"Median of {nrep} run(s) per cell" + (" (min–max)" if nrep > 1 else "") +
               "; ↑ higher is better, ↓ lower is better; ratio = libnatsrs ÷ best peer (nats.c either way, nats.go).")
    out.append("")
    hdr = ["shape", "metric", ""] + clients + ["natsrs ÷ best peer", "natsrs-pool4 ÷ best peer"]
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "---|" * len(hdr))
    for shape, metrics in METRICS.items():
        for key, label, hib in metrics:
            med = {}
            cells = []
            for c in clients:
                rs = runs.get((c, shape), [])
                vals = [r[key] for r in rs if r is not None and r.get(key) is not None]
                bad = sum(1 for r in rs if r is None)
                short = sum(1 for r in rs if r is not None and r.get("timed_out"))
                if not rs:
                    cells.append("")
                    continue
                if not vals:
                    cells.append("failed")
                    continue
                m = statistics.median(vals)
                med[c] = m
                s = fmt(m)
                if len(vals) > 1:
                    s += f" ({fmt(min(vals))}–{fmt(max(vals))})"
                if bad:
                    s += f" [{bad} failed]"
                if short:
                    s += f" [{short} short]"
                cells.append(s)
            if not any(runs.get((c, shape)) for c in clients):
                continue
            peers = [med[c] for c in PEERS if c in med]
            best = (max(peers) if hib else min(peers)) if peers else None
            ratios = []
            for c in OURS:
                if c in med and best:
                    ratios.append(f"{med[c] / best:.2f}")
                else:
                    ratios.append("")
            out.append("| " + " | ".join([shape, label, "↑" if hib else "↓"] + cells + ratios) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "annotate":
        annotate(sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "table":
        table(sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
