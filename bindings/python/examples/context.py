"""Seed README "Context support": in asyncio, timeouts and cancellation do that job. A cancelled
request is cancelled in the library (no thread is held while it waits); a cancelled next_msg loses
no message."""

import asyncio
import os

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def main() -> None:
    nc = await nats.connect(URL)
    await nc.subscribe("foo")  # a subscriber that never answers

    # Request with a deadline of the caller (like a context with a timeout)
    try:
        await asyncio.wait_for(nc.request("foo", b"bar", timeout=30), 0.2)
    except asyncio.TimeoutError:
        print("request: deadline exceeded")

    # Synchronous subscriber with a deadline
    sub = await nc.subscribe("foo")
    try:
        await asyncio.wait_for(sub.next_msg(timeout=None), 0.2)
    except asyncio.TimeoutError:
        print("next_msg: deadline exceeded")
    await nc.publish("foo", b"still delivered")
    print("next message:", (await sub.next_msg(1)).data.decode())
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
