"""Seed README "Key-value": a bucket, put/get, compare-and-set, delete, history, keys and a
watcher with the initial-values marker (nats-py's nats.js.kv API).
NATS_URL must point at a server with JetStream enabled (nats-server -js)."""

import asyncio
import os

import natsrs.aio as nats
from natsrs.aio.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError

URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")
BUCKET = "EXAMPLE_PROFILES"


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    try:
        await js.delete_key_value(BUCKET)
    except NotFoundError:
        pass
    kv = await js.create_key_value(bucket=BUCKET, history=5)

    rev = await kv.put("sue.color", b"blue")
    entry = await kv.get("sue.color")
    print(f"{entry.key} = {entry.value!r} (revision {entry.revision})")

    # compare-and-set: only the writer that saw the latest revision wins
    await kv.update("sue.color", b"green", last=rev)
    try:
        await kv.update("sue.color", b"red", last=rev)
    except KeyWrongLastSequenceError:
        print("stale update refused")
    try:
        await kv.create("sue.color", b"pink")
    except KeyWrongLastSequenceError:
        print("create refused: the key has a value")

    # a watcher gets the current values, then None, then every change
    watcher = await kv.watchall()
    while (update := await watcher.updates(timeout=5)) is not None:
        print(f"initial: {update.key} = {update.value!r}")
    await kv.put("bob.color", b"yellow")
    await kv.delete("sue.color")
    for _ in range(2):
        change = await watcher.updates(timeout=5)
        print(f"change: {change.key} op={change.operation or 'PUT'} value={change.value!r}")
    await watcher.stop()

    try:
        await kv.get("sue.color")
    except KeyNotFoundError:
        print("sue.color was deleted")
    print("history:", [(e.value, e.operation) for e in await kv.history("sue.color")])
    print("keys:", await kv.keys())
    status = await kv.status()
    print(f"bucket {status.bucket}: {status.values} values, history {status.history}")

    await js.delete_key_value(BUCKET)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
