"""Seed README "Advanced usage": retry on failed connect, flush with timeout, auto-unsubscribe,
several connections."""

import asyncio
import os
import socket

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


def unused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"nats://127.0.0.1:{s.getsockname()[1]}"


async def main() -> None:
    # retry_on_failed_connect: connect returns at once and keeps trying in the background
    reconnected = asyncio.Event()

    async def reconnected_cb() -> None:
        reconnected.set()

    nc0 = await nats.connect(
        unused_url(),
        retry_on_failed_connect=True,
        max_reconnect_attempts=10,
        reconnect_time_wait=1,
        reconnected_cb=reconnected_cb,
    )
    print("retrying in the background, reconnecting:", nc0.is_reconnecting)
    await nc0.close()

    nc = await nats.connect(URL)
    # Flush: returns when the server has processed everything sent before
    await nc.flush()
    print("All clear!")
    try:
        await nc.flush(timeout=1)
        print("All clear!")
    except nats.errors.FlushTimeoutError:
        print("Flushed timed out!")

    # Auto-unsubscribe after MAX_WANTED messages
    MAX_WANTED = 10
    sub = await nc.subscribe("foo")
    await sub.unsubscribe(limit=MAX_WANTED)
    for i in range(20):
        await nc.publish("foo", b"%d" % i)
    got = [m async for m in sub.messages]
    print(f"auto-unsubscribed after {len(got)} messages")
    assert len(got) == MAX_WANTED

    # Multiple connections
    nc1 = await nats.connect(URL)
    nc2 = await nats.connect(URL)
    done = asyncio.Event()

    async def cb(msg: nats.Msg) -> None:
        print(f"Received a message: {msg.data.decode()}")
        done.set()

    await nc1.subscribe("foo", cb=cb)
    await nc1.flush()
    await nc2.publish("foo", b"Hello World!")
    await asyncio.wait_for(done.wait(), 2)
    for c in (nc, nc1, nc2):
        await c.close()


if __name__ == "__main__":
    asyncio.run(main())
