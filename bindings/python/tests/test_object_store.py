"""Object store (natsrs.aio.js.object_store) against a real JetStream server, and interop with
nats-py's object store on the same server in both directions."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import itertools
import os
import pathlib
import tempfile
import time
from ctypes import byref
from typing import Any, Iterator, List, Optional

import nats as natspy  # the real nats-py
import nats.js.api as pyapi
import nats.js.errors as pyerrors
import pytest
from conftest import Server, run

import natsrs.aio as nats
from natsrs.aio.js import api
from natsrs.aio.js.errors import (
    BucketNotFoundError,
    DigestMismatchError,
    InvalidBucketNameError,
    NotFoundError,
    ObjectAlreadyExists,
    ObjectDeletedError,
    ObjectNotFoundError,
)
from natsrs.aio.js.object_store import ObjectStore
from natsrs.errors import Error, TimeoutError

_names = itertools.count(1)


def uniq() -> str:
    return f"OBJ{os.getpid()}_{next(_names)}"


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-objects"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


async def _store(url: str, **params: Any) -> Any:
    nc = await nats.connect(url)
    js = nc.jetstream()
    return nc, js, await js.create_object_store(uniq(), **params)


def test_put_get_bytes_str_and_info(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl, description="files")
        data = os.urandom(300_000)
        info = await obs.put("blob", data)
        assert info.name == "blob" and info.size == len(data) and info.chunks == 3
        assert info.digest and info.digest.startswith("SHA-256=")
        r = await obs.get("blob")
        assert isinstance(r, ObjectStore.ObjectResult)
        assert r.data == data and r.info.nuid == info.nuid
        await obs.put("text", "héllo")
        assert (await obs.get("text")).data == "héllo".encode()
        await obs.put("empty", b"")
        e = await obs.get("empty")
        assert e.data == b"" and e.info.size == 0
        gi = await obs.get_info("blob")
        assert gi.size == len(data) and gi.bucket == obs._name and not gi.deleted
        # mtime as nats-py writes it (datetime.isoformat: "+00:00", microseconds), which
        # datetime.fromisoformat reads on Python 3.9 as well (the stored form ends in "Z")
        for t in (info.mtime, gi.mtime):
            assert t and t.endswith("+00:00")
            assert abs(datetime.datetime.fromisoformat(t).timestamp() - time.time()) < 600
        # replacing keeps one object under the name, new data
        await obs.put("blob", b"small")
        assert (await obs.get("blob")).data == b"small"
        st = await obs.status()
        assert st.bucket == obs._name and st.description == "files" and not st.sealed
        assert st.size > 0 and st.replicas == 1
        await nc.close()

    run(main())


def test_streamed_put_from_file_and_get_into_file(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)
        data = os.urandom(1_000_003)
        with tempfile.TemporaryDirectory() as d:
            src = pathlib.Path(d) / "in.bin"
            src.write_bytes(data)
            meta = api.ObjectMeta(
                description="a file", headers={"X-Kind": "bin"}, options=api.ObjectMetaOptions(max_chunk_size=64 * 1024)
            )
            with open(src, "rb") as f:
                info = await obs.put("file.bin", f, meta=meta)
            assert info.size == len(data) and info.chunks == -(-len(data) // (64 * 1024))
            assert info.description == "a file" and info.headers == {"X-Kind": "bin"}  # (as nats-py gives it back)
            dst = pathlib.Path(d) / "out.bin"
            with open(dst, "wb") as f:
                r = await obs.get("file.bin", writeinto=f)
            assert r.data == b"" and r.info.size == len(data)
            assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()

        # a reader with only read(), and a BytesIO target
        class OnlyRead:
            def __init__(self, b: bytes) -> None:
                self.b = io.BytesIO(b)

            def read(self, n: int) -> bytes:
                return self.b.read(min(n, 1000))  # short reads

        await obs.put("r", OnlyRead(data[:50_000]))
        out = io.BytesIO()
        await obs.get("r", writeinto=out)
        assert out.getvalue() == data[:50_000]
        await nc.close()

    run(main())


def test_reader_and_writer_errors_propagate(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)

        class Broken(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, b: Any) -> int:
                raise OSError("disk gone")

        with pytest.raises(OSError, match="disk gone"):
            await obs.put("x", Broken())
        with pytest.raises(ObjectNotFoundError):
            await obs.get_info("x")

        await obs.put("y", b"data" * 1000)

        class BadSink:
            def write(self, b: bytes) -> int:
                raise ValueError("full")

        with pytest.raises(ValueError, match="full"):
            await obs.get("y", writeinto=BadSink())
        await nc.close()

    run(main())


def test_errors_delete_list_update_meta_seal(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)
        with pytest.raises(ObjectNotFoundError):
            await obs.get("nope")
        with pytest.raises(ObjectNotFoundError):
            await obs.get_info("nope")
        with pytest.raises(NotFoundError):  # nats-py: an empty store lists as NotFoundError
            await obs.list()
        await obs.put("a", b"1")
        await obs.put("b", b"22")
        await obs.delete("a")
        with pytest.raises(ObjectNotFoundError):
            await obs.get("a")
        with pytest.raises(ObjectNotFoundError):
            await obs.delete("a")
        deleted = await obs.get("a", show_deleted=True)
        assert deleted.info.deleted and deleted.data == b""
        assert (await obs.get_info("a", show_deleted=True)).deleted
        names = sorted(i.name for i in await obs.list())
        assert names == ["a", "b"]
        assert [i.name for i in await obs.list(ignore_deletes=True)] == ["b"]
        await obs.update_meta("b", api.ObjectMeta(name="b", description="bee"))
        assert (await obs.get_info("b")).description == "bee"
        await obs.put("c", b"333")
        with pytest.raises(ObjectAlreadyExists):
            await obs.update_meta("b", api.ObjectMeta(name="c"))
        await obs.update_meta("b", api.ObjectMeta(name="b2"))
        assert (await obs.get("b2")).data == b"22"
        with pytest.raises(ObjectNotFoundError):
            await obs.get("b")
        with pytest.raises(ObjectDeletedError):
            await obs.update_meta("a", api.ObjectMeta(name="a", description="x"))
        await obs.seal()
        assert (await obs.status()).sealed
        with pytest.raises(Error):
            await obs.put("d", b"no")
        assert (await obs.get("c")).data == b"333"
        await nc.close()

    run(main())


def test_bind_create_delete_and_bucket_names(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        with pytest.raises(BucketNotFoundError):
            await js.object_store("MISSING")
        with pytest.raises(InvalidBucketNameError):
            await js.create_object_store("bad.name")
        with pytest.raises(InvalidBucketNameError):
            await js.object_store("bad name")
        name = uniq()
        cfg = api.ObjectStoreConfig(description="cfg", ttl=3600, max_bytes=10_000_000, storage=api.StorageType.MEMORY)
        obs = await js.create_object_store(name, config=cfg)
        si = await js.stream_info(f"OBJ_{name}")
        assert si.config.storage == api.StorageType.MEMORY and si.config.max_age == 3600
        assert si.config.description == "cfg" and si.config.max_bytes == 10_000_000
        await obs.put("k", b"v")
        again = await js.object_store(name)
        assert (await again.get("k")).data == b"v"
        assert await js.delete_object_store(name) is True
        with pytest.raises(BucketNotFoundError):
            await js.object_store(name)
        await nc.close()

    run(main())


def test_watch(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)
        await obs.put("one", b"1")
        w = await obs.watch()
        first = await w.updates(timeout=5)
        assert first is not None and first.name == "one"
        assert await w.updates(timeout=5) is None  # everything present at the start was given
        await obs.put("two", b"2")
        nxt = await w.updates(timeout=5)
        assert nxt is not None and nxt.name == "two"
        await obs.delete("one")
        d = await w.updates(timeout=5)
        assert d is not None and d.name == "one" and d.deleted
        with pytest.raises(TimeoutError):
            await w.updates(timeout=0.3)
        await w.stop()

        # iteration, updates_only, ignore_deletes
        w2 = await obs.watch(updates_only=True, ignore_deletes=True)
        got: List[Optional[api.ObjectInfo]] = []

        async def collect() -> None:
            async for info in w2:
                got.append(info)
                if len(got) == 1:
                    break

        task = asyncio.ensure_future(collect())
        await asyncio.sleep(0.2)
        await obs.delete("two")
        await obs.put("three", b"3")
        await asyncio.wait_for(task, 10)
        assert [i.name for i in got if i is not None] == ["three"]
        await w2.stop()
        await nc.close()

    run(main())


def test_digest_mismatch(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)
        info = await obs.put("tampered", b"A" * 1000)
        # replace the only chunk with other bytes of the same size (a raw publish to its subject)
        await js.purge_stream(f"OBJ_{obs._name}", subject=f"$O.{obs._name}.C.{info.nuid}")
        await js.publish(f"$O.{obs._name}.C.{info.nuid}", b"B" * 1000)
        with pytest.raises(DigestMismatchError):
            await obs.get("tampered")
        await nc.close()

    run(main())


# ---- interop with nats-py's object store ------------------------------------------------------------
def test_natsrs_writes_nats_py_reads(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        name = uniq()
        robs = await rs.jetstream().create_object_store(name, description="from natsrs")
        data = os.urandom(400_000)
        await robs.put("big", data, meta=api.ObjectMeta(description="big one"))
        await robs.put("small", b"s")
        await robs.delete("small")
        pobs = await py.jetstream().object_store(name)
        r = await pobs.get("big")
        assert r.data == data and r.info.description == "big one"
        assert r.info.digest == (await robs.get_info("big")).digest
        with pytest.raises(pyerrors.ObjectNotFoundError):
            await pobs.get("small")
        assert sorted(i.name for i in await pobs.list()) == ["big", "small"]
        st = await pobs.status()
        assert st.description == "from natsrs"
        await rs.close()
        await py.close()

    run(main())


def test_nats_py_writes_natsrs_reads(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        name = uniq()
        pobs = await py.jetstream().create_object_store(
            name, config=pyapi.ObjectStoreConfig(description="from nats-py")
        )
        data = os.urandom(333_333)
        await pobs.put(
            "big",
            data,
            meta=pyapi.ObjectMeta(name="big", description="py", options=pyapi.ObjectMetaOptions(max_chunk_size=10_000)),
        )
        await pobs.put("gone", b"x")
        await pobs.delete("gone")
        robs = await rs.jetstream().object_store(name)
        r = await robs.get("big")
        assert r.data == data and r.info.description == "py" and r.info.chunks == 34
        with pytest.raises(ObjectNotFoundError):
            await robs.get("gone")
        assert (await robs.get_info("gone", show_deleted=True)).deleted
        assert [i.name for i in await robs.list(ignore_deletes=True)] == ["big"]
        # a natsrs watcher sees a nats-py put
        w = await robs.watch(updates_only=True)
        await pobs.put("later", b"L")
        u = await w.updates(timeout=5)
        assert u is not None and u.name == "later"
        await w.stop()
        await rs.close()
        await py.close()

    run(main())


def test_streams_and_handles_do_not_leak_registrations(jurl: str) -> None:
    import gc

    from natsrs import _core

    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        name = uniq()
        await js.create_object_store(name)
        gc.collect()
        base = _core.registry_size()
        for i in range(20):
            obs = await js.object_store(name)
            await obs.put(f"o{i}", io.BytesIO(b"z" * 5000))
            await obs.get(f"o{i}", writeinto=io.BytesIO())
            w = await obs.watch(updates_only=True)
            await w.stop()
        del obs, w
        # A completion's registration is released by the library thread just after it resolved
        # the awaited call, so give that a bounded moment before comparing.
        for _ in range(100):
            gc.collect()
            if _core.registry_size() == base:
                break
            await asyncio.sleep(0.02)
        assert _core.registry_size() == base
        await nc.close()

    run(main())


def test_cancelled_watch_wait_loses_no_info(jurl: str) -> None:
    async def main() -> None:
        nc, js, obs = await _store(jurl)
        w = await obs.watch()
        assert await w.updates(timeout=5) is None
        for i in range(10):
            t = asyncio.ensure_future(w.updates(timeout=5))
            await asyncio.sleep(0.01 * (i % 3))
            await obs.put(f"o{i}", b"%d" % i)
            t.cancel()
            try:
                got = [await t]
            except asyncio.CancelledError:
                got = [await w.updates(timeout=5)]
            assert [x.name for x in got if x] == [f"o{i}"]
        t = asyncio.ensure_future(w.updates(timeout=5))
        await asyncio.sleep(0.05)
        t.cancel()
        await w.stop()  # waits for the abandoned call before freeing the watcher
        await nc.close()

    run(main())


def test_links_made_through_the_c_api(jurl: str) -> None:
    from ctypes import c_void_p

    from natsrs._core import lib
    from natsrs.aio.js.errors import LinkIsABucketError

    async def main() -> None:
        nc, js, obs = await _store(jurl)
        other = await js.create_object_store(uniq())
        await other.put("target", b"linked data")
        info = c_void_p()
        assert lib.natsrs_object_store_info(other._h.ptr, b"target", False, byref(info)) == 0
        assert lib.natsrs_object_store_add_link(obs._h.ptr, b"to-target", info.value, None) == 0
        lib.natsrs_object_info_free(info.value)
        assert lib.natsrs_object_store_add_bucket_link(obs._h.ptr, b"to-store", other._h.ptr, None) == 0
        r = await obs.get("to-target")  # followed into the other store
        assert r.data == b"linked data"
        li = await obs.get_info("to-target")
        assert li.is_link() and li.options is not None and li.options.link is not None
        assert li.options.link.bucket == other._name and li.options.link.name == "target"
        with pytest.raises(LinkIsABucketError):
            await obs.get("to-store")
        await nc.close()

    run(main())
