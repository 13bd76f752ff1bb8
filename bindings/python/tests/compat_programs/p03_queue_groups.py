"""Queue groups share the work; plain subscribers see everything."""

import asyncio
import os

import nats

URL = os.environ["NATS_URL"]
N = 300


async def main() -> None:
    nc = await nats.connect(URL)
    counts = {"a": 0, "b": 0, "c": 0}
    seen = set()
    everyone = []
    done = asyncio.Event()

    def make(name):
        async def worker(msg):
            counts[name] += 1
            seen.add(msg.data)
            if len(seen) == N and len(everyone) == N:
                done.set()

        return worker

    subs = []
    for name in counts:
        subs.append(await nc.subscribe("jobs", queue="workers", cb=make(name)))

    async def watcher(msg):
        everyone.append(msg.data)
        if len(seen) == N and len(everyone) == N:
            done.set()

    await nc.subscribe("jobs", cb=watcher)
    print("queues", [s.queue for s in subs])

    for i in range(N):
        await nc.publish("jobs", b"job-%d" % i)
    await nc.flush()
    await asyncio.wait_for(done.wait(), 10)
    print("total", sum(counts.values()), "distinct", len(seen), "watcher", len(everyone))
    print("in order for watcher", everyone == [b"job-%d" % i for i in range(N)])

    # a queue group of responders answers each request once
    answered = []

    async def responder(msg):
        answered.append(msg.data)
        await msg.respond(b"done:" + msg.data)

    nc2 = await nats.connect(URL)
    await nc2.subscribe("rpc", "svc", responder)
    await nc2.subscribe("rpc", "svc", responder)
    await nc2.flush()
    replies = []
    for i in range(10):
        r = await nc.request("rpc", b"%d" % i, timeout=2)
        replies.append(r.data)
    print("replies", replies)
    print("answered once each", sorted(answered) == sorted(b"%d" % i for i in range(10)))

    # bad queue names
    try:
        await nc.subscribe("jobs", queue="bad queue")
    except Exception as e:
        print("bad queue", type(e).__name__, isinstance(e, nats.errors.BadSubjectError))
    await nc2.drain()
    await nc.drain()
    print("closed", nc.is_closed, nc2.is_closed)


if __name__ == "__main__":
    asyncio.run(main())
