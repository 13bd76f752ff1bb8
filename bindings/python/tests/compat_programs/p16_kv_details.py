"""Key-value details: watch options (include_history, ignore_deletes, meta_only, updates_only),
history, keys with filters, delete/purge markers, purge_deletes, revision errors and their texts,
status fields, bucket TTL, missing buckets, key validation."""

import asyncio
import os

import nats
from nats.js.api import KeyValueConfig
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
)

URL = os.environ["NATS_URL"]


def show(e):
    return f"{type(e).__name__}: {e}"


async def drain(w, limit=50):
    out = []
    for _ in range(limit):
        try:
            e = await w.updates(timeout=0.5)
        except Exception as ex:
            out.append(("exc", type(ex).__name__))
            break
        if e is None:
            out.append(None)
            continue
        out.append((e.key, e.value, e.revision, e.operation, e.delta))
    return out


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    kv = await js.create_key_value(KeyValueConfig(bucket="cfg", history=10, ttl=60, description="d"))
    for k, v in [("a.x", b"1"), ("a.y", b"2"), ("b.x", b"3"), ("a.x", b"4")]:
        await kv.put(k, v)
    await kv.delete("a.y")
    await kv.put("c", b"5")
    await kv.purge("b.x")

    st = await kv.status()
    print("status", st.bucket, st.values, st.history, st.ttl)
    si = st.stream_info
    print("status stream", si.config.name, si.config.subjects, si.config.max_msgs_per_subject, si.config.max_age)
    print("status cfg", si.config.allow_rollup_hdrs, si.config.deny_delete, si.config.allow_direct, si.config.discard)
    print("status state", si.state.messages, si.state.num_subjects if hasattr(si.state, "num_subjects") else "")

    print("keys", sorted(await kv.keys()))
    try:
        print("keys filter", sorted(await kv.keys(filters=["a."])))
    except Exception as e:
        print("keys filter error", show(e))
    try:
        print("keys filters", sorted(await kv.keys(filters=["x", "c"])))
    except Exception as e:
        print("keys filters error", show(e))

    print("history a.x", [(h.key, h.value, h.revision, h.operation) for h in await kv.history("a.x")])
    print("history a.y", [(h.key, h.value, h.revision, h.operation) for h in await kv.history("a.y")])
    print("history b.x", [(h.key, h.value, h.revision, h.operation) for h in await kv.history("b.x")])
    try:
        await kv.history("nope")
    except Exception as e:
        print("history missing", show(e))

    w = await kv.watchall(include_history=True)
    print("watchall history", await drain(w))
    await w.stop()
    w = await kv.watchall(ignore_deletes=True)
    print("watchall ignore_deletes", await drain(w))
    await w.stop()
    w = await kv.watchall(meta_only=True)
    print("watchall meta_only", await drain(w))
    await w.stop()
    w = await kv.watch("a.*", include_history=True, ignore_deletes=True)
    print("watch a.* history no deletes", await drain(w))
    await w.stop()
    w = await kv.watch("zzz")
    print("watch nothing", await drain(w, 2))
    await w.stop()
    w = await kv.watchall()
    print("watchall current", await drain(w, 5))
    await kv.put("c", b"6")
    await kv.delete("c")
    print("watchall changes", await drain(w, 3))
    await w.stop()

    # watcher iterator
    w = await kv.watch("a.x")
    n = 0
    async for e in w:
        print("iter", e.key, e.value)
        n += 1
        if n == 1:
            break
    await w.stop()

    # revision errors
    try:
        await kv.create("a.x", b"dup")
    except KeyWrongLastSequenceError as e:
        print("create existing", show(e), e.description)
    try:
        await kv.update("a.x", b"v", last=1)
    except KeyWrongLastSequenceError as e:
        print("update wrong", show(e), e.description)
    try:
        await kv.update("new.key", b"v", last=0)
        print("update last=0 ok")
    except Exception as e:
        print("update last=0", show(e))
    try:
        await kv.update("never", b"v", last=5)
    except Exception as e:
        print("update missing key", show(e))
    r = await kv.create("a.y", b"again")
    print("create over delete", r)

    # deletes and purge_deletes
    await kv.delete("a.x")
    try:
        await kv.get("a.x")
    except KeyNotFoundError as e:
        print("get deleted", show(e), type(e).__name__, e.entry.operation if getattr(e, "entry", None) else None, e.op)
    try:
        await kv.get("missing")
    except KeyNotFoundError as e:
        print("get missing", show(e), getattr(e, "entry", "-"), e.op)
    try:
        await kv.get("a.x", revision=1)
        print("get old rev ok")
    except Exception as e:
        print("get old rev", show(e))
    try:
        await kv.get("a.x", revision=999)
    except Exception as e:
        print("get bad rev", show(e))
    try:
        await kv.get("c", revision=1)
    except Exception as e:
        print("get rev other key", show(e))
    try:
        await kv.delete("a.y", last=1)
    except Exception as e:
        print("delete wrong last", show(e))
    await kv.purge_deletes(olderthan=-1)
    print("after purge_deletes keys", sorted(await kv.keys()))
    w = await kv.watchall(include_history=True)
    print("after purge_deletes all", await drain(w))
    await w.stop()
    st = await kv.status()
    print("status after", st.values)

    # key validation
    for bad in ["", "a b", ".a", "a.", "a..b", "*", "a.>", "$x", "a/b=c_d-e"]:
        try:
            await kv.put(bad, b"v")
            print("put ok", repr(bad))
        except Exception as e:
            print("bad put", repr(bad), show(e))
        try:
            await kv.get(bad)
            print("get ok", repr(bad))
        except Exception as e:
            print("bad get", repr(bad), show(e))

    # missing buckets
    try:
        await js.key_value("ghost")
    except BucketNotFoundError as e:
        print("missing bucket", show(e), e.description)
    try:
        await js.delete_key_value("ghost")
    except Exception as e:
        print("delete missing bucket", show(e))
    try:
        await js.create_key_value(bucket="bad bucket")
    except Exception as e:
        print("bad bucket name", show(e))
    try:
        await js.key_value("bad bucket")
    except Exception as e:
        print("bind bad name", show(e))
    empty = await js.create_key_value(bucket="empty")
    try:
        await empty.keys()
    except NoKeysError as e:
        print("no keys", show(e))
    try:
        print("history empty", await empty.history("x"))
    except Exception as e:
        print("history empty", show(e))

    # same bucket again with the same/different config
    try:
        again = await js.create_key_value(bucket="empty")
        print("create again", (await again.status()).bucket)
    except Exception as e:
        print("create again", show(e))
    try:
        await js.create_key_value(bucket="empty", history=3)
        print("create different ok")
    except Exception as e:
        print("create different", show(e))
    ttlkv = await js.create_key_value(bucket="short", ttl=0.5)
    await ttlkv.put("k", b"v")
    print("ttl status", (await ttlkv.status()).ttl)
    await asyncio.sleep(1.2)
    try:
        await ttlkv.get("k")
    except Exception as e:
        print("ttl expired", show(e))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
