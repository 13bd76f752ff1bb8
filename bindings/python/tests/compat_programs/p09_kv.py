"""Key-value store: create, put/get, create/update with revisions, delete/purge, history, keys,
watchers, status, bucket errors."""

import asyncio
import os

import nats
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError

URL = os.environ["NATS_URL"]


def show(e):
    return type(e).__name__


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()

    kv = await js.create_key_value(
        KeyValueConfig(bucket="settings", history=5, description="app settings", storage=StorageType.FILE)
    )
    st = await kv.status()
    print("bucket", st.bucket, st.values, st.history, kv._name if hasattr(kv, "_name") else "")

    r1 = await kv.put("color", b"red")
    r2 = await kv.put("color", b"green")
    r3 = await kv.put("size", b"L")
    print("revisions", r1, r2, r3)
    e = await kv.get("color")
    print("get", e.bucket, e.key, e.value, e.revision, e.delta, e.operation)
    e = await kv.get("color", revision=1)
    print("get rev 1", e.value, e.revision)

    try:
        await kv.create("color", b"blue")
    except KeyWrongLastSequenceError as ex:
        print("create existing", show(ex), isinstance(ex, nats.js.errors.APIError))
    r = await kv.create("shape", b"round")
    print("create new", r)

    r = await kv.update("color", b"blue", last=r2)
    print("update", r)
    try:
        await kv.update("color", b"black", last=r2)
    except KeyWrongLastSequenceError as ex:
        print("stale update", show(ex))

    try:
        await kv.get("missing")
    except KeyNotFoundError as ex:
        print("missing", show(ex))

    await kv.delete("size")
    try:
        await kv.get("size")
    except KeyNotFoundError as ex:
        print("deleted", show(ex), isinstance(ex, nats.js.errors.KeyDeletedError))
    r = await kv.create("size", b"M")
    print("create after delete", r)

    hist = await kv.history("color")
    print("history", [(h.value, h.revision, h.operation, h.delta) for h in hist])
    print("keys", sorted(await kv.keys()))

    await kv.purge("shape")
    print("keys after purge", sorted(await kv.keys()))
    try:
        await kv.get("shape")
    except KeyNotFoundError as ex:
        print("purged", show(ex))

    # a watcher of everything: the current values, then a None marker, then updates
    w = await kv.watchall()
    initial = []
    while True:
        e = await w.updates(timeout=2)
        if e is None:
            break
        initial.append((e.key, e.value, e.operation, e.delta, e.bucket))
    print("watch initial", sorted(initial, key=str))
    # (one change at a time: an entry's delta counts the changes stored after it by then)
    await kv.put("color", b"white")
    e1 = await w.updates(timeout=2)
    await kv.delete("size")
    e2 = await w.updates(timeout=2)
    print("watch updates", (e1.key, e1.value, e1.operation, e1.delta), (e2.key, e2.value, e2.operation, e2.delta))
    await w.stop()

    # a watcher of one key, only new values
    w = await kv.watch("color", include_history=False, ignore_deletes=True)
    first = await w.updates(timeout=2)
    print("watch color current", first.value if first else None)
    marker = await w.updates(timeout=2)
    print("marker", marker)
    await kv.put("color", b"purple")
    e = await w.updates(timeout=2)
    print("color now", e.value, e.revision)
    try:
        await w.updates(timeout=0.3)
    except Exception as ex:
        print("no more", show(ex), isinstance(ex, nats.errors.TimeoutError))
    await w.stop()

    st = await kv.status()
    print("status", st.bucket, st.values, st.history)

    empty = await js.create_key_value(bucket="empty")
    try:
        await empty.keys()
    except NoKeysError as ex:
        print("no keys", show(ex))

    kv2 = await js.key_value("settings")
    print("bound", (await kv2.get("color")).value)
    try:
        await js.key_value("nosuch")
    except BucketNotFoundError as ex:
        print("no bucket", show(ex))
    print("delete bucket", await js.delete_key_value("empty"))
    try:
        await kv.put("bad key!", b"x")
    except Exception as ex:
        print("bad key", show(ex))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
