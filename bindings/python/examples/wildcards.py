"""Seed README "Wildcard subscriptions"."""

import asyncio
import os

import natsrs.aio as nats

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


async def main() -> None:
    nc = await nats.connect(URL)
    seen = []

    def printer(pattern: str):  # type: ignore[no-untyped-def]
        async def cb(msg: nats.Msg) -> None:
            print(f"[{pattern}] Msg received on [{msg.subject}] : {msg.data.decode()}")
            seen.append(pattern)

        return cb

    # "*" matches any token, at any level of the subject
    await nc.subscribe("foo.*.baz", cb=printer("foo.*.baz"))
    await nc.subscribe("foo.bar.*", cb=printer("foo.bar.*"))
    # ">" matches any length of the tail of a subject, and can only be the last token
    await nc.subscribe("foo.>", cb=printer("foo.>"))

    # This matches all of the above
    await nc.publish("foo.bar.baz", b"Hello World")
    await nc.flush()
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(seen) == ["foo.*.baz", "foo.>", "foo.bar.*"]
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
