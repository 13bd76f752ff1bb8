"""Key-value (natsrs.aio.js.kv) against a real JetStream server, and interop with nats-py's
key-value on the same server in both directions."""

from __future__ import annotations

import asyncio
import itertools
import os
import pathlib
from typing import Any, Iterator, List, Optional

import nats as natspy  # the real nats-py
import nats.js.errors as pyerrors
import pytest
from conftest import Server, run

import natsrs.aio as nats
from natsrs.aio.js import api
from natsrs.aio.js.errors import (
    BadBucketError,
    BadRequestError,
    BucketNotFoundError,
    InvalidBucketNameError,
    InvalidKeyError,
    KeyHistoryTooLargeError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
    NotFoundError,
)
from natsrs.aio.js.kv import KeyValue
from natsrs.errors import TimeoutError

_names = itertools.count(1)


def uniq() -> str:
    return f"KV{os.getpid()}_{next(_names)}"


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-kv"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


async def _bucket(url: str, **params: Any) -> Any:
    nc = await nats.connect(url)
    js = nc.jetstream()
    return nc, js, await js.create_key_value(bucket=uniq(), **params)


def test_put_get_create_update(jurl: str) -> None:
    async def main() -> None:
        nc, js, kv = await _bucket(jurl, history=5)
        r1 = await kv.put("a", b"1")
        e = await kv.get("a")
        assert isinstance(e, KeyValue.Entry)
        assert (e.bucket, e.key, e.value, e.revision, e.operation) == (kv._name, "a", b"1", r1, None)
        r2 = await kv.put("a", b"2")
        assert r2 == r1 + 1
        assert (await kv.get("a", revision=r1)).value == b"1"
        assert (await kv.get("a")).value == b"2"
        # create only when absent
        rb = await kv.create("b", b"x")
        with pytest.raises(KeyWrongLastSequenceError) as ei:
            await kv.create("b", b"y")
        assert isinstance(ei.value, BadRequestError) and ei.value.err_code == 10071
        # update with the right and a stale revision
        rb2 = await kv.update("b", b"x2", last=rb)
        with pytest.raises(KeyWrongLastSequenceError):
            await kv.update("b", b"x3", last=rb)
        assert (await kv.get("b")).value == b"x2" and rb2 > rb
        # re-create after a delete
        await kv.delete("b")
        await kv.create("b", b"again")
        assert (await kv.get("b")).value == b"again"
        # revision of another key
        with pytest.raises(KeyNotFoundError):
            await kv.get("a", revision=rb)
        with pytest.raises(KeyNotFoundError):
            await kv.get("never")
        with pytest.raises(InvalidKeyError):
            await kv.put(".bad", b"")
        with pytest.raises(InvalidKeyError):
            await kv.get("sp ace")
        await nc.close()

    run(main())


def test_delete_purge_history_keys(jurl: str) -> None:
    async def main() -> None:
        nc, js, kv = await _bucket(jurl, history=10)
        with pytest.raises(NoKeysError):
            await kv.keys()
        r = await kv.put("k", b"1")
        await kv.put("k", b"2")
        with pytest.raises(BadRequestError) as dei:  # nats-py: the server's error, not a KV one
            await kv.delete("k", last=r)
        assert type(dei.value) is BadRequestError and dei.value.err_code == 10071
        assert await kv.delete("k") is True
        with pytest.raises(KeyNotFoundError) as ei:
            await kv.get("k")
        assert ei.value.op == "DEL" and ei.value.entry is not None and ei.value.entry.operation is None
        assert isinstance(ei.value, NotFoundError)
        hist = await kv.history("k")
        assert [(h.value, h.operation) for h in hist] == [(b"1", None), (b"2", None), (b"", "DEL")]
        assert [h.revision for h in hist] == sorted(h.revision for h in hist)
        with pytest.raises(NoKeysError):
            await kv.history("none")
        await kv.put("x.one", b"1")
        await kv.put("x.two", b"2")
        await kv.put("y.one", b"3")
        assert sorted(await kv.keys()) == ["x.one", "x.two", "y.one"]
        assert sorted(await kv.keys(filters=["x.*"])) == ["x.one", "x.two"]
        assert sorted(await kv.keys(filters=["one"])) == ["x.one", "y.one"]  # nats-py: substring
        assert await kv.purge("x.one") is True
        with pytest.raises(KeyNotFoundError):
            await kv.get("x.one")
        assert [h.operation for h in await kv.history("x.one")] == ["PURGE"]
        assert await kv.purge_deletes(olderthan=-1) is True
        with pytest.raises(NoKeysError):
            await kv.history("k")
        assert sorted(await kv.keys()) == ["x.two", "y.one"]
        st = await kv.status()
        assert isinstance(st, KeyValue.BucketStatus)
        assert st.bucket == kv._name and st.history == 10 and st.values == 2
        await nc.close()

    run(main())


def test_watch(jurl: str) -> None:
    async def main() -> None:
        nc, js, kv = await _bucket(jurl, history=5)
        await kv.put("a", b"1")
        await kv.put("a", b"2")
        await kv.put("b", b"3")
        w = await kv.watchall()
        got = [await w.updates(timeout=5) for _ in range(3)]
        assert [(e.key, e.value) for e in got[:2] if e] == [("a", b"2"), ("b", b"3")]
        assert got[2] is None  # the initial-values marker
        await kv.put("c", b"4")
        await kv.delete("a")
        e1 = await w.updates(timeout=5)
        e2 = await w.updates(timeout=5)
        assert e1 is not None and (e1.key, e1.value, e1.operation) == ("c", b"4", None)
        assert e2 is not None and (e2.key, e2.operation) == ("a", "DEL")
        with pytest.raises(TimeoutError):
            await w.updates(timeout=0.3)
        await w.stop()

        # one key with history, meta only
        w2 = await kv.watch("a", include_history=True, meta_only=True)
        hist: List[Optional[KeyValue.Entry]] = []
        async for e in w2:
            if e is None:
                break
            hist.append(e)
        assert [x.operation for x in hist if x] == [None, None, "DEL"]
        assert all(x.value == b"" for x in hist if x)
        await w2.stop()

        # an empty bucket gives the marker at once; ignore_deletes; iteration ends on stop
        _, _, empty = nc, js, await js.create_key_value(bucket=uniq())
        w3 = await empty.watchall(ignore_deletes=True)
        assert await w3.updates(timeout=5) is None
        seen: List[Any] = []

        async def collect() -> None:
            async for e in w3:
                seen.append(e)

        task = asyncio.ensure_future(collect())
        await empty.put("k", b"v")
        await empty.delete("k")
        await empty.put("k2", b"v2")
        for _ in range(100):
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.05)
        await w3.stop()
        await asyncio.wait_for(task, 10)
        assert [(e.key, e.operation) for e in seen] == [("k", None), ("k2", None)]
        await nc.close()

    run(main())


def test_buckets(jurl: str) -> None:
    async def main() -> None:
        nc = await nats.connect(jurl)
        js = nc.jetstream()
        with pytest.raises(BucketNotFoundError):
            await js.key_value("MISSING")
        with pytest.raises(InvalidBucketNameError):
            await js.create_key_value(bucket="bad.name")
        with pytest.raises(KeyHistoryTooLargeError):
            await js.create_key_value(bucket=uniq(), history=65)
        name = uniq()
        cfg = api.KeyValueConfig(
            bucket=name, description="d", history=3, ttl=3600, max_value_size=1024, storage=api.StorageType.MEMORY
        )
        kv = await js.create_key_value(config=cfg)
        si = await js.stream_info(f"KV_{name}")
        assert si.config.max_msgs_per_subject == 3 and si.config.max_age == 3600
        assert si.config.storage == api.StorageType.MEMORY and si.config.description == "d"
        assert si.config.max_msg_size == 1024
        st = await kv.status()
        assert st.ttl == 3600 and st.history == 3
        await kv.put("k", b"v")
        again = await js.key_value(name)
        assert (await again.get("k")).value == b"v"
        assert await js.delete_key_value(name) is True
        with pytest.raises(BucketNotFoundError):
            await js.key_value(name)
        # a stream named like a bucket that is not one
        other = uniq()
        await js.add_stream(name=f"KV_{other}", subjects=[f"notkv.{other}"])
        with pytest.raises(BadBucketError):
            await js.key_value(other)
        await js.delete_stream(f"KV_{other}")
        await nc.close()

    run(main())


# ---- interop with nats-py's key-value ---------------------------------------------------------------
def test_natsrs_writes_nats_py_reads(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        name = uniq()
        rkv = await rs.jetstream().create_key_value(bucket=name, history=5)
        r1 = await rkv.put("a", b"1")
        await rkv.put("a", b"2")
        await rkv.put("b", b"x")
        await rkv.delete("b")
        pkv = await py.jetstream().key_value(name)
        e = await pkv.get("a")
        assert e.value == b"2" and e.revision == r1 + 1
        assert (await pkv.get("a", revision=r1)).value == b"1"
        with pytest.raises(pyerrors.KeyNotFoundError):
            await pkv.get("b")
        assert await pkv.keys() == ["a"]
        assert [h.value for h in await pkv.history("a")] == [b"1", b"2"]
        # nats-py's compare-and-set against natsrs's revision
        rev = await rkv.update("a", b"3", last=r1 + 1)
        await pkv.update("a", b"4", last=rev)
        assert (await rkv.get("a")).value == b"4"
        # a nats-py watcher sees natsrs's writes
        w = await pkv.watch("a")
        init = await w.updates(timeout=5)
        assert init is not None and init.value == b"4"
        assert await w.updates(timeout=5) is None
        await rkv.put("a", b"5")
        u = await w.updates(timeout=5)
        assert u is not None and u.value == b"5"
        await w.stop()
        await rs.close()
        await py.close()

    run(main())


def test_nats_py_writes_natsrs_reads(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        name = uniq()
        pkv = await py.jetstream().create_key_value(bucket=name, history=5)
        r1 = await pkv.put("a", b"1")
        await pkv.put("a", b"2")
        await pkv.create("c", b"c")
        await pkv.put("d", b"d")
        await pkv.delete("d")
        await pkv.put("p", b"p")
        await pkv.purge("p")
        rkv = await rs.jetstream().key_value(name)
        assert (await rkv.get("a")).value == b"2"
        assert (await rkv.get("a", revision=r1)).value == b"1"
        with pytest.raises(KeyNotFoundError) as ei:
            await rkv.get("d")
        assert ei.value.op == "DEL"
        with pytest.raises(KeyNotFoundError) as ei:
            await rkv.get("p")
        assert ei.value.op == "PURGE"
        assert sorted(await rkv.keys()) == ["a", "c"]
        assert [(h.value, h.operation) for h in await rkv.history("d")] == [(b"d", None), (b"", "DEL")]
        with pytest.raises(KeyWrongLastSequenceError):
            await rkv.create("c", b"again")
        await rkv.create("d", b"recreated")
        assert (await pkv.get("d")).value == b"recreated"
        # a natsrs watcher sees nats-py's writes
        w = await rkv.watchall()
        initial = []
        while True:
            e = await w.updates(timeout=5)
            if e is None:
                break
            initial.append(e.key)
        assert sorted(initial) == ["a", "c", "d", "p"]
        await pkv.put("new", b"n")
        u = await w.updates(timeout=5)
        assert u is not None and (u.key, u.value) == ("new", b"n")
        await w.stop()
        await rs.close()
        await py.close()

    run(main())


NATS_PY_KV_PROGRAM = """
import asyncio
import sys

import {module} as nats
from {module}.js.errors import KeyNotFoundError


async def main():
    nc = await nats.connect(sys.argv[1])
    js = nc.jetstream()
    kv = await js.create_key_value(bucket=sys.argv[2], history=3)
    await kv.put("hello", b"world")
    entry = await kv.get("hello")
    print(f"KeyValue.Entry: key={{entry.key}}, value={{entry.value}}")
    await kv.put("hello", b"again")
    print([e.value for e in await kv.history("hello")])
    await kv.delete("hello")
    try:
        await kv.get("hello")
    except KeyNotFoundError:
        print("deleted")
    w = await kv.watchall()
    print(await w.updates(timeout=5) is not None, await w.updates(timeout=5))
    await w.stop()
    await js.delete_key_value(sys.argv[2])
    await nc.close()


asyncio.run(main())
"""


def test_nats_py_kv_program_runs_unchanged(jurl: str, tmp_path: pathlib.Path) -> None:
    """A nats-py key-value program gives the same output with only the import changed."""
    import subprocess
    import sys

    outs = []
    for module in ("nats", "natsrs.aio"):
        script = tmp_path / f"kv_{module.replace('.', '_')}.py"
        script.write_text(NATS_PY_KV_PROGRAM.format(module=module))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        r = subprocess.run(
            [sys.executable, str(script), jurl, uniq()], capture_output=True, text=True, env=env, timeout=60
        )
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]
    assert "KeyValue.Entry: key=hello, value=b'world'" in outs[0]


def test_cancelled_watch_wait_loses_no_entry(jurl: str) -> None:
    async def main() -> None:
        nc, js, kv = await _bucket(jurl)
        w = await kv.watchall()
        assert await w.updates(timeout=5) is None
        for i in range(20):
            # cancel waits at random points; every put must still come out of the watcher
            t = asyncio.ensure_future(w.updates(timeout=5))
            await asyncio.sleep(0.01 * (i % 3))
            await kv.put(f"k{i}", b"%d" % i)
            t.cancel()
            try:
                e = await t
                seen = [e]
            except asyncio.CancelledError:
                seen = []
            if not seen:
                seen.append(await w.updates(timeout=5))
            assert [(x.key, x.value) for x in seen if x] == [(f"k{i}", b"%d" % i)]
        await w.stop()
        await nc.close()

    run(main())


def test_purge_with_msg_ttl(jurl: str) -> None:
    async def main() -> None:
        nc, js, kv = await _bucket(jurl, history=5, limit_marker_ttl=1)
        await kv.put("a", b"1")
        await kv.put("a", b"2")
        await kv.put("b", b"keep")
        # (the server raises a TTL below the bucket's limit_marker_ttl to it)
        assert await kv.purge("a", msg_ttl=2) is True
        with pytest.raises(NotFoundError):
            await kv.get("a")
        (marker,) = await kv.history("a")
        assert marker.operation == "PURGE"
        raw = await js.get_last_msg(f"KV_{kv._name}", f"$KV.{kv._name}.a")
        assert (raw.headers or {}).get("Nats-TTL") == "2s"
        assert (raw.headers or {}).get("KV-Operation") == "PURGE"

        async def marker_gone() -> bool:
            try:
                await kv.history("a")
                return False
            except NoKeysError:
                return True

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while not await marker_gone() and loop.time() < deadline:
            await asyncio.sleep(0.1)
        assert await marker_gone()
        assert (await kv.get("b")).value == b"keep"
        # a bucket without limit markers takes a TTL too: nats-py's buckets allow per-message TTLs
        nc2, js2, plain = await _bucket(jurl)
        await plain.put("a", b"1")
        await plain.purge("a", msg_ttl=1)
        assert (await js2.stream_info(f"KV_{plain._name}")).config.allow_msg_ttl is True
        await plain.purge("a")  # without one: fine
        await nc2.close()
        await nc.close()

    run(main())
