"""Seed README "Go channels": the Python counterpart is the subscription's async iterator (receive)
and an asyncio.Queue drained by a publishing task (send)."""

import asyncio
import json
import os

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def main() -> None:
    nc = await nats.connect(URL)
    recv = await nc.subscribe("hello")  # the "receive channel"
    send: "asyncio.Queue[dict]" = asyncio.Queue()  # the "send channel"

    async def sender() -> None:
        while True:
            person = await send.get()
            await nc.publish("hello", json.dumps(person).encode())

    task = asyncio.ensure_future(sender())
    await send.put({"name": "derek", "age": 22, "address": "140 New Montgomery Street"})
    async for msg in recv.messages:
        who = json.loads(msg.data)
        print(f"Received: {who}")
        break
    task.cancel()
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
