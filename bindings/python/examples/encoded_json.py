"""Seed README "Encoded connections": in Python, encode with json (or any codec) at the edges."""

import asyncio
import json
import os
from dataclasses import asdict, dataclass

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


@dataclass
class Person:
    name: str
    address: str
    age: int


async def main() -> None:
    nc = await nats.connect(URL)
    people: "asyncio.Queue[Person]" = asyncio.Queue()

    async def on_hello(msg: nats.Msg) -> None:
        p = Person(**json.loads(msg.data))
        print(f"Received a person: {p}")
        await people.put(p)

    await nc.subscribe("hello", cb=on_hello)

    async def on_help(msg: nats.Msg) -> None:
        await msg.respond(json.dumps("I can help!").encode())

    await nc.subscribe("help", cb=on_help)

    me = Person(name="derek", age=22, address="140 New Montgomery Street, San Francisco, CA")
    await nc.publish("hello", json.dumps(asdict(me)).encode())
    assert await asyncio.wait_for(people.get(), 2) == me

    response = json.loads((await nc.request("help", json.dumps("help me").encode(), timeout=1)).data)
    print(f"Response: {response}")
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
