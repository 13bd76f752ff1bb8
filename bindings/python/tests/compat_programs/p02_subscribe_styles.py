"""Subscriptions: callback, messages iterator, next_msg, wildcards, limits, pending counts."""

import asyncio
import os

import nats
from nats.errors import TimeoutError

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)

    # callback style
    seen = []
    done = asyncio.Event()

    async def handler(msg):
        seen.append((msg.subject, msg.reply, msg.data.decode(), msg.headers))
        if len(seen) == 3:
            done.set()

    sub = await nc.subscribe("orders.*", cb=handler)
    print("sub subject", sub.subject, "queue", repr(sub.queue))
    await nc.publish("orders.new", b"one")
    await nc.publish("orders.paid", b"two", reply="audit")
    await nc.publish("orders.new.extra", b"skipped")
    await nc.publish("orders.shipped", b"three")
    await asyncio.wait_for(done.wait(), 5)
    for s in seen:
        print("cb", s)
    print("delivered", sub.delivered)
    await sub.unsubscribe()

    # iterator style with a full wildcard
    sub = await nc.subscribe("events.>")
    for i in range(4):
        await nc.publish(f"events.{i}.x", f"e{i}".encode())
    await nc.flush()
    n = 0
    async for msg in sub.messages:
        print("iter", msg.subject, msg.data)
        n += 1
        if n == 4:
            break
    await sub.unsubscribe()

    # next_msg style and pending counts
    sub = await nc.subscribe("work")
    for i in range(5):
        await nc.publish("work", b"w%d" % i)
    await nc.flush()
    for _ in range(500):
        if sub.pending_msgs == 5:
            break
        await asyncio.sleep(0.01)
    print("pending", sub.pending_msgs, sub.pending_bytes)
    m = await sub.next_msg()
    print("next", m.data, "pending now", sub.pending_msgs)
    m = await sub.next_msg(timeout=1)
    print("next", m.data)
    rest = [(await sub.next_msg(timeout=1)).data for _ in range(3)]
    print("rest", rest)
    try:
        await sub.next_msg(timeout=0.2)
    except TimeoutError as e:
        print("empty", type(e).__name__)

    # auto-unsubscribe after a limit
    sub = await nc.subscribe("limited")
    await sub.unsubscribe(limit=2)
    for i in range(5):
        await nc.publish("limited", b"%d" % i)
    await nc.flush()
    got = []
    try:
        async for msg in sub.messages:
            got.append(msg.data)
    except Exception as e:
        print("iterator ended with", type(e).__name__)
    print("limited got", got)

    # max_msgs on subscribe with a callback
    count = []

    async def counter(msg):
        count.append(msg.data)

    sub = await nc.subscribe("capped", cb=counter, max_msgs=3)
    for i in range(6):
        await nc.publish("capped", b"%d" % i)
    await nc.flush()
    for _ in range(500):
        if len(count) >= 3:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # (time for a wrong fourth to show)
    print("capped", count)

    # a future receives the first message
    fut = asyncio.get_running_loop().create_future()
    await nc.subscribe("once", future=fut)
    await nc.publish("once", b"first")
    await nc.publish("once", b"second")
    msg = await asyncio.wait_for(fut, 5)
    print("future", msg.subject, msg.data)

    # bad subjects
    for subj in ("", "a b", "foo..bar"):
        try:
            await nc.subscribe(subj)
            print("subscribed", repr(subj))
        except Exception as e:
            print("bad subject", repr(subj), type(e).__name__, isinstance(e, nats.errors.BadSubjectError))

    # next_msg on a callback subscription is an error
    sub = await nc.subscribe("cbonly", cb=counter)
    try:
        await sub.next_msg(timeout=0.1)
    except Exception as e:
        print("next_msg on cb sub", type(e).__name__)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
