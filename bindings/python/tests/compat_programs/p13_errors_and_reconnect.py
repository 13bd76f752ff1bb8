"""Error callbacks: a subscription callback that raises, a slow consumer; force_reconnect with
disconnected/reconnected callbacks; the context-manager form of a connection."""

import asyncio
import os

import nats
from nats.errors import SlowConsumerError

URL = os.environ["NATS_URL"]


async def main() -> None:
    errors = []
    reconnected = asyncio.Event()
    events = []

    async def error_cb(e):
        if isinstance(e, SlowConsumerError):
            errors.append(("slow", type(e).__name__, e.subject))
        else:
            errors.append(("other", type(e).__name__, str(e)))

    async def disconnected_cb():
        events.append("disconnected")

    async def reconnected_cb():
        events.append("reconnected")
        reconnected.set()

    nc = await nats.connect(
        URL,
        error_cb=error_cb,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
        reconnect_time_wait=0.1,
    )

    async def broken(msg):
        raise ValueError("boom " + msg.data.decode())

    await nc.subscribe("broken", cb=broken)
    await nc.publish("broken", b"1")
    await nc.flush()
    for _ in range(500):
        if errors:
            break
        await asyncio.sleep(0.02)
    print("callback error", errors)
    errors.clear()

    # a slow consumer: a tiny pending limit and a blocked callback
    gate = asyncio.Event()
    handled = []

    async def stuck(msg):
        await gate.wait()
        handled.append(msg.data)

    sub = await nc.subscribe("slow", cb=stuck, pending_msgs_limit=5)
    for i in range(50):
        await nc.publish("slow", b"%d" % i)
    await nc.flush()
    for _ in range(500):
        if errors:
            break
        await asyncio.sleep(0.02)
    gate.set()
    await asyncio.sleep(0.2)
    print("slow consumer reported", bool(errors) and errors[0][:3])
    print("some dropped", len(handled) < 50)
    await sub.unsubscribe()

    # force a reconnect; subscriptions survive it
    echo = await nc.subscribe("after.reconnect")
    await nc.force_reconnect()
    await asyncio.wait_for(reconnected.wait(), 10)
    await nc.publish("after.reconnect", b"still here")
    m = await echo.next_msg(timeout=5)
    print("after reconnect", m.data, nc.is_connected, nc.stats["reconnects"])
    await nc.close()
    print("events", events)

    async with await nats.connect(URL) as nc2:
        sub = await nc2.subscribe("ctx")
        await nc2.publish("ctx", b"inside")
        print("context manager", (await sub.next_msg(timeout=2)).data, nc2.is_connected)
    print("closed by context", nc2.is_closed)


if __name__ == "__main__":
    asyncio.run(main())
