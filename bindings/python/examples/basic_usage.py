"""Seed README "Basic usage", with natsrs.aio (nats-py's asyncio API)."""

import asyncio
import os

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def main() -> None:
    # Connect to the server
    nc = await nats.connect(URL)

    # Simple async subscriber
    received = asyncio.Event()

    async def on_foo(msg: nats.Msg) -> None:
        print(f"Received a message: {msg.data.decode()}")
        received.set()

    await nc.subscribe("foo", cb=on_foo)

    # Simple publisher
    await nc.publish("foo", b"Hello World")
    await asyncio.wait_for(received.wait(), 2)

    # Replying to requests
    async def on_request(msg: nats.Msg) -> None:
        await msg.respond(b"answer is 42")

    await nc.subscribe("request", cb=on_request)

    # Simple sync subscriber
    sub = await nc.subscribe("foo")
    await nc.publish("foo", b"sync hello")
    m = await sub.next_msg(timeout=1)
    print(f"next_msg: {m.data.decode()}")

    # "Channel" subscriber: the async iterator
    chan = await nc.subscribe("chan")
    await nc.publish("chan", b"via the iterator")
    async for msg in chan.messages:
        print(f"iterator: {msg.data.decode()}")
        break

    # Unsubscribe
    await sub.unsubscribe()

    # Drain a subscription: removes interest, processes what already arrived
    await chan.drain()

    # Requests
    async def helper(msg: nats.Msg) -> None:
        await nc.publish(msg.reply, b"I can help!")

    await nc.subscribe("help", cb=helper)
    reply = await nc.request("help", b"help me", timeout=1)
    print(f"Reply: {reply.data.decode()}")
    answer = await nc.request("request", b"?", timeout=1)
    assert answer.data == b"answer is 42"

    # Drain the connection (preferred for responders): close() is not needed after it
    await nc.drain()
    assert nc.is_closed


if __name__ == "__main__":
    asyncio.run(main())
