"""Drain of a subscription and of a connection, flush with a timeout, new_inbox, max payload."""

import asyncio
import os

import nats
from nats.errors import ConnectionClosedError, MaxPayloadError

URL = os.environ["NATS_URL"]


async def main() -> None:
    closed = asyncio.Event()

    async def closed_cb():
        closed.set()

    nc = await nats.connect(URL, closed_cb=closed_cb, drain_timeout=5)
    inbox = nc.new_inbox()
    print("inbox", inbox.startswith("_INBOX."), len(inbox.split(".")), inbox != nc.new_inbox())

    nc2 = await nats.connect(URL, inbox_prefix="_MYBOX")
    print("custom inbox", nc2.new_inbox().startswith("_MYBOX."))
    await nc2.close()

    handled = []

    async def slow(msg):
        await asyncio.sleep(0.01)
        handled.append(int(msg.data))

    sub = await nc.subscribe("drainme", cb=slow)
    for i in range(20):
        await nc.publish("drainme", b"%d" % i)
    await nc.flush(timeout=2)
    await sub.drain()
    print("sub drained, handled", handled == list(range(20)))
    await nc.publish("drainme", b"after")
    await nc.flush()
    await asyncio.sleep(0.1)
    print("after drain still", len(handled))

    # max payload
    try:
        await nc.publish("big", b"x" * (nc.max_payload + 1))
    except MaxPayloadError as e:
        print("too big", type(e).__name__)

    # connection drain delivers what is pending, then closes
    got = []

    async def collect(msg):
        got.append(msg.data)

    await nc.subscribe("final", cb=collect)
    for i in range(10):
        await nc.publish("final", b"f%d" % i)
    # (is_draining while the drain runs is left out: when it shows depends on timing)
    await nc.drain()
    await asyncio.wait_for(closed.wait(), 5)
    print("drained", len(got), nc.is_closed, nc.is_connected)
    try:
        await nc.publish("final", b"late")
    except ConnectionClosedError as e:
        print("publish after drain", type(e).__name__)
    try:
        await nc.drain()
    except Exception as e:
        print("drain after close", type(e).__name__)

    # flush on a healthy connection, many publishes
    nc = await nats.connect(URL)
    sub = await nc.subscribe("many")
    for _ in range(1000):
        await nc.publish("many", b"m")
    await nc.flush(timeout=5)
    for _ in range(1000):
        if sub.pending_msgs == 1000:
            break
        await asyncio.sleep(0.01)
    print("many pending", sub.pending_msgs)
    await sub.unsubscribe()
    try:
        await sub.next_msg(timeout=0.1)
    except Exception as e:
        print("next_msg after unsubscribe", type(e).__name__)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
