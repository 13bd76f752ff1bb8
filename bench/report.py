#!/usr/bin/env python3
"""Turn bench JSON lines into tables.

Usage: report.py [results.jsonl ...]   (reads stdin when no file is given)

Lines that are not JSON objects with "client" and "case" are ignored, except one optional
{"meta": {...}} line written by run.sh, which is printed as the header.

Every ratio column is oriented so that > 1 means libnatsrs is better:
  throughput  natsrs_msgs_per_sec / peer_msgs_per_sec
  latency     peer_p50 / natsrs_p50
  memory      peer_rss / natsrs_rss
  CPU/msg     peer_cpu_ns_per_msg / natsrs_cpu_ns_per_msg
"""
import json
import sys

CLIENTS = ["natsrs", "natsc", "async-nats", "nats-py"]
PEERS = ["natsc", "async-nats", "nats-py"]


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
    kinds = ["pub_", "pubsub_", "reqrep", "mem_"]
    for i, k in enumerate(kinds):
        if c.startswith(k):
            tail = c[len(k):]
            num = int(tail) if tail.isdigit() else 0
            return (i, num, c)
    return (len(kinds), 0, c)


def kind(case):
    if case.startswith("pubsub_"):
        return "pubsub"
    if case.startswith("pub_"):
        return "pub"
    if case.startswith("reqrep"):
        return "lat"
    if case.startswith("mem_"):
        return "mem"
    return "other"


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


def main():
    rows, meta = load(sys.argv[1:])
    # With --repeat there are several runs per (case, client): keep the best by the case's main
    # metric (highest rate, lowest p50, lowest RSS); runs with an error lose to any good run.
    def score(d):
        k = kind(d["case"])
        if d.get("error"):
            return float("-inf")
        if k in ("pub", "pubsub"):
            v = d.get("msgs_per_sec")
            return v if v is not None else float("-inf")
        v = d.get("p50_us") if k == "lat" else d.get("rss_kb")
        return -v if v is not None else float("-inf")

    res, nruns = {}, {}
    for d in rows:
        key = (d["case"], d["client"])
        nruns[key] = nruns.get(key, 0) + 1
        if key not in res or score(d) > score(res[key]):
            res[key] = d
    cases = sorted({c for c, _ in res}, key=case_order)
    clients = [c for c in CLIENTS if any(k[1] == c for k in res)]
    clients += sorted({k[1] for k in res} - set(CLIENTS))
    peers = [p for p in PEERS if p in clients]

    def get(case, client, field):
        d = res.get((case, client))
        if d is None:
            return None
        if field == "rss":
            return d.get("rss_kb")
        return d.get(field)

    def primary(case, client):
        k = kind(case)
        if k in ("pub", "pubsub"):
            return get(case, client, "msgs_per_sec")
        if k == "lat":
            return get(case, client, "p50_us")
        if k == "mem":
            return get(case, client, "rss")
        return None

    def natsrs_case(case):
        # natsrs has no send-asap variant: its default reqrep is compared with nats.c's best.
        return "reqrep" if case == "reqrep_sendasap" else case

    def better_ratio(case, peer):
        k = kind(case)
        mine = primary(natsrs_case(case), "natsrs")
        theirs = primary(case, peer)
        if k in ("pub", "pubsub"):
            return ratio(mine, theirs)
        return ratio(theirs, mine)  # latency and memory: lower is better

    if meta:
        print("# " + "  ".join(f"{k}: {v}" for k, v in meta.items()))
    print()
    print("Main metric per case: pub/pubsub = msgs/s (higher better), reqrep = p50 latency in us")
    print("(lower better), mem = VmRSS in KiB with 10k subscriptions (lower better).")
    print("Ratio columns: > 1 means libnatsrs is better (throughput natsrs/peer; latency and")
    print("memory peer/natsrs). reqrep_sendasap exists only for nats.c; its ratio uses natsrs's reqrep.")
    print()
    headers = ["case"] + clients + [f"natsrs/{p}" for p in peers if "natsrs" in clients]
    if "natsrs" in clients and "natsc" in clients:
        headers.append("target vs natsc")
    body = []
    for case in cases:
        k = kind(case)
        r = [case]
        for c in clients:
            v = primary(case, c)
            if k in ("pub", "pubsub"):
                r.append(fmt_rate(v))
            elif k == "lat":
                r.append(fmt_num(v))
            else:
                r.append("-" if v is None else str(v))
        if "natsrs" in clients:
            for p in peers:
                r.append(fmt_ratio(better_ratio(case, p)))
        if "natsrs" in clients and "natsc" in clients:
            rt = better_ratio(case, "natsc")
            if rt is None:
                r.append("-")
            elif k == "pub":
                rc = ratio(get(case, "natsc", "cpu_ns_per_msg"), get(case, "natsrs", "cpu_ns_per_msg"))
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

    # CPU per message
    print()
    print("Client CPU per message (user+sys of the client process / msgs, ns; lower better).")
    print("Ratio columns: peer/natsrs, so > 1 means libnatsrs uses less CPU.")
    print()
    headers = ["case"] + clients + [f"{p}/natsrs" for p in peers if "natsrs" in clients]
    body = []
    for case in cases:
        if kind(case) == "mem":
            continue
        r = [case] + [fmt_num(get(case, c, "cpu_ns_per_msg"), 0) for c in clients]
        if "natsrs" in clients:
            mine = get(natsrs_case(case), "natsrs", "cpu_ns_per_msg")
            r += [fmt_ratio(ratio(get(case, p, "cpu_ns_per_msg"), mine)) for p in peers]
        body.append(r)
    print(table(headers, body))

    # Details: MB/s, p99, drops, peak RSS
    print()
    print("Details: pub/pubsub MB/s and peak RSS KiB | pubsub dropped (sent-received) | reqrep p99 us")
    print()
    headers = ["case", "metric"] + clients
    body = []
    for case in cases:
        k = kind(case)
        if k in ("pub", "pubsub"):
            body.append([case, "MB/s"] + [fmt_num(get(case, c, "mb_per_sec")) for c in clients])
        if k == "pubsub":
            body.append([case, "dropped"] + ["-" if get(case, c, "dropped") is None else str(get(case, c, "dropped")) for c in clients])
        if k in ("pub", "pubsub"):
            body.append([case, "peak RSS KiB"] + ["-" if get(case, c, "peak_rss_kb") is None else str(get(case, c, "peak_rss_kb")) for c in clients])
        if k == "lat":
            body.append([case, "p99 us"] + [fmt_num(get(case, c, "p99_us")) for c in clients])
        if k == "mem":
            body.append([case, "RSS before subs KiB"] + ["-" if get(case, c, "rss_before_subs_kb") is None else str(get(case, c, "rss_before_subs_kb")) for c in clients])
    print(table(headers, body))

    busy = [(k, d["busy_pct"]) for k, d in sorted(res.items()) if (d.get("busy_pct") or 0) >= 15]
    if busy:
        print()
        print("WARNING: these results were measured while the machine was busy with other work:")
        for (case, client), b in busy:
            print(f"  {client} {case}: {b:.0f}% busy before the run")
    if any(n > 1 for n in nruns.values()):
        print()
        print(f"Best of {max(nruns.values())} runs per (case, client).")

    errors = [d for d in rows if d.get("error")]
    if errors:
        print()
        print("Errors:")
        for d in errors:
            print(f"  {d['client']} {d['case']}: {d['error']}")


if __name__ == "__main__":
    main()
