"""Seed README "Queue groups": each message goes to one member of the group."""

import asyncio
import os

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def main() -> None:
    nc = await nats.connect(URL)
    received = {"a": 0, "b": 0}
    plain = 0

    def worker(name: str):  # type: ignore[no-untyped-def]
        async def cb(msg: nats.Msg) -> None:
            received[name] += 1

        return cb

    async def normal(msg: nats.Msg) -> None:
        nonlocal plain
        plain += 1

    await nc.subscribe("foo", "job_workers", cb=worker("a"))
    await nc.subscribe("foo", queue="job_workers", cb=worker("b"))
    await nc.subscribe("foo", cb=normal)  # normal subscribers keep working as expected
    for i in range(100):
        await nc.publish("foo", b"job %d" % i)
    await nc.flush()
    for _ in range(200):
        if sum(received.values()) == 100 and plain == 100:
            break
        await asyncio.sleep(0.01)
    print(f"queue members: {received}, plain subscriber: {plain}")
    assert sum(received.values()) == 100 and plain == 100
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
