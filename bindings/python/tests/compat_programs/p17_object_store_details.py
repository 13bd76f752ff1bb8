"""Object store details: put with meta and headers, info fields, get/delete/update_meta of missing
and deleted objects, renames, list of an empty store, watch options, status fields, seal, errors."""

import asyncio
import os
import tempfile

import nats
from nats.js.api import ObjectMeta, ObjectStoreConfig, StorageType
from nats.js.errors import (
    NotFoundError,
)

URL = os.environ["NATS_URL"]


def show(e):
    return f"{type(e).__name__}: {e}"


def info_fields(i):
    return (i.name, i.bucket, i.size, i.chunks, i.deleted, i.description, i.headers, bool(i.digest), bool(i.nuid))


async def main() -> None:
    nc = await nats.connect(URL)
    js = nc.jetstream()
    obs = await js.create_object_store(
        "docs", config=ObjectStoreConfig(description="documents", ttl=3600, storage=StorageType.MEMORY)
    )
    st = await obs.status()
    print("status", st.bucket, st.description, st.ttl, st.storage_type, st.replicas, st.sealed, st.size)
    print(
        "status stream",
        st.stream_info.config.name,
        st.stream_info.config.subjects,
        st.stream_info.config.allow_rollup_hdrs,
    )
    try:
        print("list empty", await obs.list())
    except Exception as e:
        print("list empty", show(e), isinstance(e, NotFoundError))

    info = await obs.put(
        "a.txt", b"alpha", meta=ObjectMeta(name="ignored-name", description="first", headers={"X": "1"})
    )
    print("put meta", info_fields(info))
    info = await obs.put("empty.bin", b"")
    print("put empty", info_fields(info))
    res = await obs.get("empty.bin")
    print("get empty", res.data, res.info.size)
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        f.write(b"file contents " * 1000)
        fname = f.name
    with open(fname, "rb") as fh:
        info = await obs.put("file.bin", fh)
    os.unlink(fname)
    print("put file", info.size, info.chunks)
    info = await obs.put("chunked", b"z" * 300000, meta=ObjectMeta(name="chunked", options=None))
    print("put chunked", info.size, info.chunks)
    try:
        await obs.put("bad", 12345)
    except Exception as e:
        print("put int", show(e))
    info = await obs.get_info("a.txt")
    print("info", info_fields(info), type(info.mtime).__name__, info.options)
    for name in ["a b", "dir/x.txt", "ünï"]:
        info = await obs.put(name, b"n")
        print("odd name", repr(info.name), (await obs.get(name)).data)

    # missing and deleted objects
    for call in ("get", "get_info", "delete"):
        try:
            await getattr(obs, call)("nope")
        except Exception as e:
            print("missing", call, show(e))
    r = await obs.delete("a.txt")
    print("delete result", type(r).__name__, r.name if hasattr(r, "name") else r)
    for call in ("get", "get_info", "delete"):
        try:
            await getattr(obs, call)("a.txt")
        except Exception as e:
            print("deleted", call, show(e))
    i = await obs.get_info("a.txt", show_deleted=True)
    print("show deleted", info_fields(i))
    try:
        r = await obs.get("a.txt", show_deleted=True)
        print("get deleted shown", r.data, r.info.deleted)
    except Exception as e:
        print("get deleted shown", show(e))

    # update_meta
    try:
        await obs.update_meta("nope", ObjectMeta(name="nope", description="d"))
    except Exception as e:
        print("update_meta missing", show(e))
    try:
        await obs.update_meta("a.txt", ObjectMeta(name="a.txt", description="d"))
    except Exception as e:
        print("update_meta deleted", show(e))
    try:
        await obs.update_meta("file.bin", ObjectMeta(name="chunked", description="d"))
    except Exception as e:
        print("rename over existing", show(e))
    # (a rename to a free name is left out: nats-py refuses every rename, natsrs renames)
    await obs.update_meta("chunked", ObjectMeta(name="chunked", description="big one", headers={"K": "V"}))
    print("updated", info_fields(await obs.get_info("chunked")))
    print("list", sorted((i.name, i.deleted) for i in await obs.list()))
    print("list ignore_deletes", sorted((i.name, i.deleted) for i in await obs.list(ignore_deletes=True)))

    # watch options
    w = await obs.watch()
    got = []
    while True:
        e = await w.updates(timeout=2)
        if e is None:
            break
        got.append((e.name, e.deleted))
    print("watch default", sorted(got))
    await w.stop()
    w = await obs.watch(ignore_deletes=True, include_history=True)
    got = []
    while True:
        e = await w.updates(timeout=2)
        if e is None:
            break
        got.append((e.name, e.deleted))
    print("watch history no deletes", got)
    await obs.put("late", b"1")
    e = await w.updates(timeout=2)
    print("watch late", e.name, e.size)
    await obs.delete("late")
    try:
        e = await w.updates(timeout=0.5)
        print("watch delete shown", e.name if e else e)
    except Exception as ex:
        print("watch delete", type(ex).__name__)
    await w.stop()
    w = await obs.watch(meta_only=True)
    e = await w.updates(timeout=2)
    print("meta_only first", e is None or e.name)
    await w.stop()

    st = await obs.status()
    print("status after", st.sealed, st.size > 0)
    await obs.seal()
    st = await obs.status()
    print("sealed", st.sealed)
    for call, args in (("put", ("x", b"1")), ("delete", ("chunked",))):
        try:
            await getattr(obs, call)(*args)
        except Exception as e:
            print("sealed", call, show(e))
    try:
        await js.create_object_store("bad name")
    except Exception as e:
        print("bad store name", show(e))
    try:
        await js.object_store("nosuch")
    except Exception as e:
        print("missing store", show(e))
    try:
        await js.delete_object_store("nosuch")
    except Exception as e:
        print("delete missing store", show(e))
    again = await js.create_object_store("docs2")
    print("new store", (await again.status()).bucket)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
