#!/usr/bin/env python3
"""Turn bench JSON lines into tables (and optionally an SVG chart).

Usage: report.py [--svg FILE] [--md] [results.jsonl ...]   (reads stdin when no file is given)

--md prints one Markdown table instead (medians, natsrs against the best peer, CPU per message),
the form used in bench/README.md and README.md.

Lines that are not JSON objects with "client" and "case" are ignored, except one optional
{"meta": {...}} line written by run.sh, which is printed as the header.

With several runs per (case, client) (run.sh --repeat K) every number is the median over the
runs without an error; a spread table gives min-max of the main metric, a last table the best run.

Every ratio column is oriented so that > 1 means libnatsrs is better:
  throughput  natsrs_msgs_per_sec / peer_msgs_per_sec   (obj_*: MB/s)
  latency     peer_p50 / natsrs_p50
  memory      peer_rss / natsrs_rss
  CPU/msg     peer_cpu_ns_per_msg / natsrs_cpu_ns_per_msg
"natsrs/best" compares with the best peer of that case (by its median).
"""
import json
import math
import statistics
import sys

CLIENTS = ["natsrs", "natsc", "nats.go", "async-nats", "nats-py"]
PEERS = [c for c in CLIENTS if c != "natsrs"]
KINDS = ["pub_", "pubsub_", "reqrep", "mem_", "js_pub_sync_", "js_pub_async_", "js_fetch_", "kv_", "obj_"]


def load(paths):
    rows, meta = [], None
    streams = [open(p) for p in paths] if paths else [sys.stdin]
    for f in streams:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if "meta" in d:
                meta = d["meta"]
            elif "client" in d and "case" in d and not d.get("unsupported"):
                rows.append(d)
    return rows, meta


def case_order(c):
    best = None
    for i, k in enumerate(KINDS):
        if c.startswith(k) and (best is None or len(k) > len(KINDS[best])):
            best = i
    if best is None:
        return (len(KINDS), 0, c)
    tail = c[len(KINDS[best]):]
    num = int(tail) if tail.isdigit() else 0
    return (best, num, c)


def kind(case):
    if case.startswith("pubsub_"):
        return "pubsub"
    if case.startswith("pub_"):
        return "pub"
    if case.startswith("reqrep"):
        return "lat"
    if case.startswith("mem_"):
        return "mem"
    if case.startswith("obj_"):
        return "obj"
    if case.startswith(("js_", "kv_")):
        return "js"
    return "other"


RATE_KINDS = ("pub", "pubsub", "js", "obj")


def fmt_rate(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_num(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def fmt_ratio(v):
    return "-" if v is None else f"{v:.2f}x"


def ratio(a, b):
    if a is None or b is None or b == 0 or a == 0:
        return None
    return a / b


def table(headers, body):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *body)] if body else [len(h) for h in headers]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in body]
    return "\n".join(out)


def main_field(case):
    k = kind(case)
    return {"pub": "msgs_per_sec", "pubsub": "msgs_per_sec", "js": "msgs_per_sec", "obj": "mb_per_sec",
            "lat": "p50_us", "mem": "rss_kb"}.get(k)


def higher_better(case):
    return kind(case) in RATE_KINDS


def fmt_main(case, v):
    k = kind(case)
    if k == "obj":
        return fmt_num(v)
    if k in RATE_KINDS:
        return fmt_rate(v)
    if k == "lat":
        return fmt_num(v)
    return "-" if v is None else str(int(v))


def natsrs_case(case):
    # natsrs has no send-asap variant: its default reqrep is compared with nats.c's best.
    return "reqrep" if case == "reqrep_sendasap" else case


def cpu_shown(res, case, client):
    """Median client CPU per message: ns, or us per object for obj_* cases."""
    v = res.median(case, client, "cpu_ns_per_msg")
    if v is None:
        return None
    return v / 1e3 if kind(case) == "obj" else v


class Results:
    def __init__(self, rows):
        self.runs = {}
        for d in rows:
            self.runs.setdefault((d["case"], d["client"]), []).append(d)
        self.cases = sorted({c for c, _ in self.runs}, key=case_order)
        present = {k[1] for k in self.runs}
        self.clients = [c for c in CLIENTS if c in present] + sorted(present - set(CLIENTS))
        self.peers = [c for c in self.clients if c != "natsrs"]

    def good(self, case, client):
        return [d for d in self.runs.get((case, client), []) if not d.get("error")]

    def values(self, case, client, field):
        return [d[field] for d in self.good(case, client) if isinstance(d.get(field), (int, float))]

    def median(self, case, client, field):
        v = self.values(case, client, field)
        return statistics.median(v) if v else None

    def best(self, case, client, field):
        v = self.values(case, client, field)
        if not v:
            return None
        return max(v) if higher_better(case) else min(v)

    def main(self, case, client, how="median"):
        f = main_field(case)
        if f is None:
            return None
        return self.median(case, client, f) if how == "median" else self.best(case, client, f)

    def better_ratio(self, case, peer, how="median"):
        mine = self.main(natsrs_case(case), "natsrs", how)
        theirs = self.main(case, peer, how)
        return ratio(mine, theirs) if higher_better(case) else ratio(theirs, mine)

    def best_peer(self, case, how="median"):
        # A pub->sub peer that dropped messages (slow consumer at its defaults) did less work per
        # message received; it is not a "best" to compare with.
        cand = [(self.main(case, p, how), p) for p in self.peers if self.main(case, p, how) is not None
                and not (kind(case) == "pubsub" and (self.median(case, p, "dropped") or 0) > 0)]
        if not cand:
            return None
        return (max if higher_better(case) else min)(cand)[1]


def print_tables(res, meta):
    clients, peers, cases = res.clients, res.peers, res.cases
    has_natsrs = "natsrs" in clients
    nmax = max((len(res.good(*k)) for k in res.runs), default=0)
    agg = f"median of up to {nmax} runs per" if nmax > 1 else "one run per"
    if meta:
        print("# " + "  ".join(f"{k}: {v}" for k, v in meta.items()))
    print()
    print(f"Main metric per case ({agg} (case, client)): pub/pubsub/js/kv = msgs/s, obj = MB/s")
    print("(higher better); reqrep = p50 latency in us, mem = VmRSS KiB with 10k subscriptions (lower")
    print("better). Ratio columns: > 1 means libnatsrs is better (throughput natsrs/peer; latency and")
    print("memory peer/natsrs); natsrs/best = against the best peer of the row (pub->sub: among peers")
    print("that dropped nothing). reqrep_sendasap exists only for nats.c; its ratios use natsrs's reqrep.")
    print()
    headers = ["case"] + clients
    if has_natsrs:
        headers += [f"natsrs/{p}" for p in peers] + ["best peer", "natsrs/best"]
    if has_natsrs and "natsc" in clients:
        headers.append("target vs natsc")
    body = []
    for case in cases:
        k = kind(case)
        r = [case] + [fmt_main(case, res.main(case, c)) for c in clients]
        if has_natsrs:
            r += [fmt_ratio(res.better_ratio(case, p)) for p in peers]
            bp = res.best_peer(case) if case != "reqrep_sendasap" else None
            mine = res.main(case, "natsrs")
            r += [bp or "-", fmt_ratio(res.better_ratio(case, bp)) if (bp and mine is not None) else "-"]
        if has_natsrs and "natsc" in clients:
            rt = res.better_ratio(case, "natsc")
            if rt is None:
                r.append("-")
            elif k == "pub":
                rc = ratio(res.median(case, "natsc", "cpu_ns_per_msg"), res.median(case, "natsrs", "cpu_ns_per_msg"))
                ok = rt >= 0.95 and rc is not None and rc >= 1.0
                r.append(("met" if ok else "MISSED") + " (>=0.95x, cpu<=)")
            elif k == "pubsub":
                r.append(("met" if rt >= 1.0 else "MISSED") + " (>=1x)")
            elif case == "reqrep_sendasap":
                r.append(("met" if rt >= 1 / 1.1 else "MISSED") + " (p50<=1.1x best)")
            else:
                r.append("")
        body.append(r)
    print(table(headers, body))

    print()
    print("Client CPU per message (user+sys of the client process / msgs, ns; obj: per 16 MiB object,")
    print("in us; lower better). Ratio columns: peer/natsrs, so > 1 means libnatsrs uses less CPU.")
    print()
    headers = ["case"] + clients + ([f"{p}/natsrs" for p in peers] if has_natsrs else [])
    body = []
    for case in cases:
        if kind(case) == "mem":
            continue
        r = [case] + [fmt_num(cpu_shown(res, case, c), 0) for c in clients]
        if has_natsrs:
            mine = res.median(natsrs_case(case), "natsrs", "cpu_ns_per_msg")
            r += [fmt_ratio(ratio(res.median(case, p, "cpu_ns_per_msg"), mine)) for p in peers]
        body.append(r)
    print(table(headers, body))

    if any(res.values(case, c, "server_cpu_ns_per_msg") for case in cases for c in clients):
        print()
        print("nats-server CPU per message while each client ran (user+sys of the server over the whole run,")
        print("setup included, / msgs, ns; lower = the client's traffic is cheaper for the server).")
        print()
        headers = ["case"] + clients + ([f"{p}/natsrs" for p in peers] if has_natsrs else [])
        body = []
        for case in cases:
            if kind(case) == "mem":
                continue
            r = [case] + [fmt_num(res.median(case, c, "server_cpu_ns_per_msg"), 0) for c in clients]
            if has_natsrs:
                mine = res.median(natsrs_case(case), "natsrs", "server_cpu_ns_per_msg")
                r += [fmt_ratio(ratio(res.median(case, p, "server_cpu_ns_per_msg"), mine)) for p in peers]
            body.append(r)
        print(table(headers, body))

    print()
    print("Details: MB/s and peak RSS KiB | pubsub dropped (sent-received) | reqrep p99 us | mem baseline")
    print()
    headers = ["case", "metric"] + clients
    body = []
    cell = lambda v, d=None: "-" if v is None else (str(int(v)) if d is None else f"{v:.{d}f}")
    for case in cases:
        k = kind(case)
        if k in ("pub", "pubsub", "js"):
            body.append([case, "MB/s"] + [cell(res.median(case, c, "mb_per_sec"), 1) for c in clients])
        if k == "pubsub":
            body.append([case, "dropped"] + [cell(res.median(case, c, "dropped")) for c in clients])
        if k in RATE_KINDS:
            body.append([case, "peak RSS KiB"] + [cell(res.median(case, c, "peak_rss_kb")) for c in clients])
        if k == "lat":
            body.append([case, "p99 us"] + [cell(res.median(case, c, "p99_us"), 1) for c in clients])
        if k == "mem":
            body.append([case, "RSS before subs KiB"] + [cell(res.median(case, c, "rss_before_subs_kb")) for c in clients])
    print(table(headers, body))

    if nmax > 1:
        print()
        print("Spread of the main metric: min-max over the runs (n = runs without error).")
        print()
        headers = ["case"] + clients
        body = []
        for case in cases:
            r = [case]
            for c in clients:
                v = res.values(case, c, main_field(case))
                r.append("-" if not v else f"{fmt_main(case, min(v))}-{fmt_main(case, max(v))} (n={len(v)})")
            body.append(r)
        print(table(headers, body))
        if has_natsrs:
            print()
            print("Best run of each (case, client) and natsrs against the best peer's best run.")
            print()
            headers = ["case"] + clients + ["best peer", "natsrs/best"]
            body = []
            for case in cases:
                bp = res.best_peer(case, "best") if case != "reqrep_sendasap" else None
                r = [case] + [fmt_main(case, res.main(case, c, "best")) for c in clients]
                r += [bp or "-", fmt_ratio(res.better_ratio(case, bp, "best")) if bp else "-"]
                body.append(r)
            print(table(headers, body))

    allruns = [d for runs in res.runs.values() for d in runs]
    busy = [d for d in allruns if (d.get("busy_pct") or 0) >= 15]
    if busy:
        print()
        print(f"WARNING: {len(busy)} of {len(allruns)} runs started while the machine was busy with other work")
        print("(>= 15% of both CPUs busy just before the run); busy runs / runs per case and client:")
        print()
        headers = ["case"] + clients
        body = []
        for case in cases:
            r = [case]
            for c in clients:
                runs = res.runs.get((case, c), [])
                nb = sum(1 for d in runs if (d.get("busy_pct") or 0) >= 15)
                r.append(f"{nb}/{len(runs)}" if runs else "-")
            body.append(r)
        print(table(headers, body))
    errors = [d for runs in res.runs.values() for d in runs if d.get("error")]
    if errors:
        print()
        print("Errors:")
        for d in errors:
            print(f"  {d['client']} {d['case']}: {d['error']}")


def write_svg(res, path):
    """Horizontal bars: natsrs/peer ratio (median, > 1 = natsrs better) per case and peer, log scale."""
    if "natsrs" not in res.clients:
        return
    colors = {"natsc": "#4e79a7", "nats.go": "#f28e2b", "async-nats": "#59a14f", "nats-py": "#b07aa1"}
    rows = []
    for case in res.cases:
        for p in res.peers:
            rt = res.better_ratio(case, p)
            if rt is not None:
                rows.append((case, p, rt))
    if not rows:
        return
    lo, hi = 0.25, 16.0
    bar_h, gap, left, width = 12, 8, 150, 520
    cases = [c for c in res.cases if any(r[0] == c for r in rows)]
    height = 40 + sum(gap + bar_h * sum(1 for r in rows if r[0] == c) for c in cases) + 30

    def x(v):
        return left + width * (math.log2(min(max(v, lo), hi)) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" height="{height}" '
            'font-family="sans-serif" font-size="11">'),
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="16" font-size="13">libnatsrs / peer (median; &gt; 1 = libnatsrs better; log scale)</text>']
    for t in (0.25, 0.5, 1, 2, 4, 8, 16):
        out.append(f'<line x1="{x(t):.1f}" y1="26" x2="{x(t):.1f}" y2="{height - 24}" '
                   f'stroke="{"#000" if t == 1 else "#ddd"}"/>')
        out.append(f'<text x="{x(t):.1f}" y="{height - 10}" text-anchor="middle">{t:g}x</text>')
    y = 32
    for c in cases:
        y += gap
        out.append(f'<text x="{left - 6}" y="{y + 10}" text-anchor="end">{c}</text>')
        for case, p, rt in rows:
            if case != c:
                continue
            x0, x1 = sorted((x(1), x(rt)))
            out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar_h - 2}" '
                       f'fill="{colors.get(p, "#999")}"><title>{case} vs {p}: {rt:.2f}x</title></rect>')
            out.append(f'<text x="{max(x(rt), x(1)) + 4:.1f}" y="{y + 9}" font-size="9">{rt:.2f}</text>')
            y += bar_h
    ly = 40
    for p in res.peers:
        out.append(f'<rect x="{left + width + 20}" y="{ly}" width="10" height="10" fill="{colors.get(p, "#999")}"/>')
        out.append(f'<text x="{left + width + 34}" y="{ly + 9}">vs {p}</text>')
        ly += 16
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def print_markdown(res):
    clients = res.clients
    unit = {"pub": "msgs/s", "pubsub": "msgs/s", "js": "msgs/s", "obj": "MB/s", "lat": "p50 µs", "mem": "RSS KiB"}
    print("| case | unit | " + " | ".join(clients) + " | best peer | natsrs/best | CPU ns/msg natsrs | CPU ns/msg best peer |")
    print("|---|---|" + "---|" * (len(clients) + 4))
    for case in res.cases:
        cells = [case, unit.get(kind(case), "")] + [fmt_main(case, res.main(case, c)) for c in clients]
        bp = res.best_peer(case) if case != "reqrep_sendasap" else None
        has = "natsrs" in clients and res.main(natsrs_case(case), "natsrs") is not None
        cells += [bp or "-", fmt_ratio(res.better_ratio(case, bp)) if (bp and has) else "-"]
        if kind(case) == "mem":
            cells += ["", ""]
        else:
            cells += [fmt_num(cpu_shown(res, case, "natsrs"), 0) if has else "-",
                      fmt_num(cpu_shown(res, case, bp), 0) if bp else "-"]
        print("| " + " | ".join(cells) + " |")


def main():
    args = sys.argv[1:]
    svg, md = None, False
    while args[:1] in (["--svg"], ["--md"]):
        if args[0] == "--svg":
            svg, args = args[1], args[2:]
        else:
            md, args = True, args[1:]
    rows, meta = load(args)
    res = Results(rows)
    if md:
        print_markdown(res)
        return
    print_tables(res, meta)
    if svg:
        write_svg(res, svg)


if __name__ == "__main__":
    main()
