"""Object store: put bytes/str/file, get, info, list, meta update, delete, watch, status, errors."""

import asyncio
import io
import os

import nats
from nats.js.api import ObjectMeta, ObjectStoreConfig
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    obs = await js.create_object_store("files", config=ObjectStoreConfig(description="my files"))

    info = await obs.put("hello.txt", b"hello world")
    print("put", info.name, info.bucket, info.size, info.chunks, info.deleted, info.digest)
    big = bytes(range(256)) * 2000
    info = await obs.put("big.bin", big, meta=ObjectMeta(name="big.bin", description="binary", headers={"Kind": "raw"}))
    print("put big", info.size, info.chunks, info.description, info.digest)
    info = await obs.put("text.txt", "some text")
    print("put str", info.size)
    info = await obs.put("stream.bin", io.BytesIO(b"abc" * 50000))
    print("put file object", info.size, info.chunks)

    res = await obs.get("hello.txt")
    print("get", res.data, res.info.name, res.info.size)
    res = await obs.get("big.bin")
    print("get big", res.data == big, len(res.data))
    buf = io.BytesIO()
    res = await obs.get("stream.bin", writeinto=buf)
    print("get into", len(buf.getvalue()), res.data)

    info = await obs.get_info("big.bin")
    print("info", info.name, info.size, info.description, info.headers, info.nuid is not None)

    # (renaming through update_meta is left out: nats-py refuses every rename)
    await obs.update_meta("text.txt", ObjectMeta(name="text.txt", description="described"))
    info = await obs.get_info("text.txt")
    print("meta updated", info.name, info.description, info.size)
    print("list", sorted(i.name for i in await obs.list()))
    try:
        await obs.get("nothing.txt")
    except ObjectNotFoundError as e:
        print("missing", type(e).__name__)

    res = await obs.delete("hello.txt")
    print("deleted", res)
    try:
        await obs.get("hello.txt")
    except Exception as e:
        print("get deleted", type(e).__name__, isinstance(e, ObjectNotFoundError))
    info = await obs.get_info("hello.txt", show_deleted=True)
    print("show deleted", info.name, info.deleted)
    print("list after delete", sorted(i.name for i in await obs.list()))
    print("list with deletes", sorted((i.name, bool(i.deleted)) for i in await obs.list(ignore_deletes=False)))

    # overwrite keeps one object
    await obs.put("big.bin", b"small now")
    res = await obs.get("big.bin")
    print("overwritten", res.data, res.info.size)

    w = await obs.watch(include_history=False)
    seen = []
    while True:
        e = await w.updates(timeout=2)
        if e is None:
            break
        seen.append(e.name)
    print("watch initial", sorted(seen))
    await obs.put("new.txt", b"new")
    e = await w.updates(timeout=2)
    print("watch update", e.name, e.size)
    await w.stop()

    st = await obs.status()
    print("status", st.bucket, st.description, st.sealed)
    await obs.seal()
    st = await obs.status()
    print("sealed", st.sealed)
    try:
        await obs.put("late.txt", b"x")
    except Exception as e:
        print("put on sealed", type(e).__name__)

    obs2 = await js.object_store("files")
    print("bound", (await obs2.get("new.txt")).data)
    try:
        await js.object_store("nosuch")
    except BucketNotFoundError as e:
        print("no bucket", type(e).__name__)
    print("delete bucket", await js.delete_object_store("files"))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
