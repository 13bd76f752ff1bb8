#!/usr/bin/env python3
"""nats-py (asyncio) peer client for the libnatsrs bench harness.

Usage: py_bench.py <case> <url> [N]   -> one JSON line on stdout (schema: bench/README.md).
The time bound of the throughput cases comes from the env var BENCH_SECS (default 2.5).
"""
import asyncio
import json
import os
import resource
import sys
import time

import nats

CLIENT = "nats-py"


def cpu_ns():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def vm_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def bench_secs():
    try:
        v = float(os.environ.get("BENCH_SECS", "2.5"))
        return v if v > 0 else 2.5
    except ValueError:
        return 2.5


def emit(case, msgs=None, secs=None, size=None, cpu=None, p50=None, p99=None,
         rss=None, dropped=None, **extra):
    rate = msgs / secs if msgs is not None and secs else None
    mb = rate * size / 1e6 if rate is not None and size is not None else None
    cpm = cpu / msgs if cpu is not None and msgs else None
    r = lambda v: None if v is None else round(v, 3)
    out = {
        "client": CLIENT, "case": case, "msgs": msgs, "secs": r(secs),
        "msgs_per_sec": r(rate), "mb_per_sec": r(mb), "cpu_ns_per_msg": r(cpm),
        "p50_us": r(p50), "p99_us": r(p99), "peak_rss_kb": rss, "dropped": dropped,
    }
    out.update(extra)
    print(json.dumps(out, separators=(",", ":")), flush=True)


async def case_pub(url, size, n):
    nc = await nats.connect(url)
    await nc.flush()
    payload = b"x" * size
    limit = bench_secs()
    c0 = cpu_ns()
    t0 = time.perf_counter()
    sent = 0
    pub = nc.publish
    while sent < n:
        await pub("bench.pub", payload)
        sent += 1
        if sent & 255 == 0 and time.perf_counter() - t0 >= limit:
            break
    await nc.flush(timeout=60)
    secs = time.perf_counter() - t0
    cpu = cpu_ns() - c0
    await nc.close()
    return dict(msgs=sent, secs=secs, size=size, cpu=cpu, rss=peak_rss_kb())


async def case_pubsub(url, size, n):
    sc = await nats.connect(url)
    pc = await nats.connect(url)
    state = {"count": 0, "target": None, "done": None}
    done = asyncio.Event()
    t0 = 0.0

    async def handler(msg):
        state["count"] += 1
        if state["count"] == state["target"]:
            state["done"] = time.perf_counter()
            done.set()

    sub = await sc.subscribe("bench.ps", cb=handler)
    await sc.flush()
    await pc.flush()
    payload = b"x" * size
    limit = bench_secs()
    c0 = cpu_ns()
    t0 = time.perf_counter()
    sent = 0
    pub = pc.publish
    while sent < n:
        await pub("bench.ps", payload)
        sent += 1
        if sent & 255 == 0 and time.perf_counter() - t0 >= limit:
            break
    await pc.flush(timeout=60)
    state["target"] = sent
    if state["count"] >= sent and state["done"] is None:
        state["done"] = time.perf_counter()
    last, last_prog, last_arrival = state["count"], time.perf_counter(), time.perf_counter()
    while state["done"] is None:
        try:
            await asyncio.wait_for(done.wait(), 0.05)
        except asyncio.TimeoutError:
            pass
        now = time.perf_counter()
        if state["count"] != last:
            last, last_prog, last_arrival = state["count"], now, now
        elif now - last_prog > 2.0:
            break
    cpu = cpu_ns() - c0
    got = state["count"]
    timed_out = state["done"] is None
    secs = (state["done"] if not timed_out else last_arrival) - t0
    try:
        lib_dropped = sub.pending_msgs  # nats-py exposes no drop counter; pending left in queue
    except Exception:
        lib_dropped = None
    await sub.unsubscribe()
    await pc.close()
    await sc.close()
    return dict(msgs=got, secs=secs, size=size, cpu=cpu, rss=peak_rss_kb(),
                dropped=max(0, sent - got), sent=sent, timed_out=timed_out,
                pending_left=lib_dropped)


async def case_reqrep(url, n):
    rc = await nats.connect(url)
    qc = await nats.connect(url)

    async def responder(msg):
        if msg.reply:
            await rc.publish(msg.reply, msg.data)

    await rc.subscribe("bench.rr", cb=responder)
    await rc.flush()
    payload = b"x" * 16
    for _ in range(min(1000, n // 10 + 1)):
        await qc.request("bench.rr", payload, timeout=5)
    lat = []
    c0 = cpu_ns()
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter_ns()
        await qc.request("bench.rr", payload, timeout=5)
        lat.append(time.perf_counter_ns() - s)
    secs = time.perf_counter() - t0
    cpu = cpu_ns() - c0
    lat.sort()
    pct = lambda p: lat[round((len(lat) - 1) * p)] / 1e3
    await qc.close()
    await rc.close()
    return dict(msgs=n, secs=secs, cpu=cpu, p50=pct(0.50), p99=pct(0.99))


async def case_mem(url, n):
    nc = await nats.connect(url)
    await nc.flush()
    await asyncio.sleep(0.1)
    base = vm_rss_kb()
    subs = []
    for i in range(n):
        subs.append(await nc.subscribe(f"bench.mem.{i}"))
    await nc.flush(timeout=30)
    await asyncio.sleep(0.2)
    rss = vm_rss_kb()
    res = dict(rss=peak_rss_kb(), subs=n, rss_kb=rss, rss_before_subs_kb=base)
    await nc.close()
    return res


async def main():
    if len(sys.argv) < 3:
        print(f"usage: {sys.argv[0]} <case> <url> [N]", file=sys.stderr)
        sys.exit(2)
    case, url = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    if case.startswith("pubsub_"):
        res = await case_pubsub(url, int(case[7:]), n or (1 << 62))
    elif case.startswith("pub_"):
        res = await case_pub(url, int(case[4:]), n or (1 << 62))
    elif case == "reqrep":
        res = await case_reqrep(url, n or 20000)
    elif case == "mem_10k_subs":
        res = await case_mem(url, n or 10000)
    else:
        print(json.dumps({"client": CLIENT, "case": case, "unsupported": True},
                         separators=(",", ":")), flush=True)
        return
    emit(case, **res)


if __name__ == "__main__":
    asyncio.run(main())
