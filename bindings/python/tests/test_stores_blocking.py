"""Key-value and object store of the blocking API (natsrs.js) against a real JetStream server."""

from __future__ import annotations

import io
import itertools
import os
import pathlib
import threading
from typing import Any, Iterator, List

import pytest
from conftest import Server

import natsrs
from natsrs.aio.js import api
from natsrs.aio.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
    ObjectNotFoundError,
)
from natsrs.errors import TimeoutError

_names = itertools.count(1)


def uniq() -> str:
    return f"BS{os.getpid()}_{next(_names)}"


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-stores-blocking"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


def test_blocking_key_value(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream()
        with pytest.raises(BucketNotFoundError):
            js.key_value("NONE")
        kv = js.create_key_value(bucket=uniq(), history=4)
        r = kv.put("a", b"1")
        assert kv.get("a").value == b"1"
        kv.update("a", b"2", last=r)
        with pytest.raises(KeyWrongLastSequenceError):
            kv.update("a", b"3", last=r)
        with pytest.raises(KeyWrongLastSequenceError):
            kv.create("a", b"x")
        kv.put("b.c", b"bc")
        assert sorted(kv.keys()) == ["a", "b.c"] and kv.keys(filters=["b.*"]) == ["b.c"]
        w = kv.watchall()
        first = [w.updates(timeout=5), w.updates(timeout=5), w.updates(timeout=5)]
        assert [e.key for e in first[:2] if e] == ["a", "b.c"] and first[2] is None
        kv.delete("a")
        d = w.updates(timeout=5)
        assert d is not None and (d.key, d.operation) == ("a", "DEL")
        with pytest.raises(TimeoutError):
            w.updates(timeout=0.2)
        # iteration in a thread ends when another thread stops the watch
        got: List[Any] = []
        t = threading.Thread(target=lambda: got.extend(w))
        t.start()
        kv.put("z", b"z")
        for _ in range(100):
            if got:
                break
            threading.Event().wait(0.05)
        w.stop()
        t.join(10)
        assert not t.is_alive() and [e.key for e in got] == ["z"]
        with pytest.raises(KeyNotFoundError) as ei:
            kv.get("a")
        assert ei.value.op == "DEL"
        assert [e.operation for e in kv.history("a")] == [None, None, "DEL"]
        kv.purge("a")
        kv.purge_deletes(olderthan=-1)
        with pytest.raises(NoKeysError):
            kv.history("a")
        assert kv.status().history == 4
        assert js.delete_key_value(kv._name) is True
        # a purge marker with a TTL (the bucket allows per-message TTLs)
        tkv = js.create_key_value(bucket=f"{kv._name}t", limit_marker_ttl=5)
        tkv.put("k", b"v")
        assert tkv.purge("k", msg_ttl=1) is True
        (marker,) = tkv.history("k")
        assert marker.operation == "PURGE"
        js.delete_key_value(tkv._name)


def test_blocking_object_store(jurl: str) -> None:
    with natsrs.connect(jurl) as nc:
        js = nc.jetstream()
        obs = js.create_object_store(uniq(), config=api.ObjectStoreConfig(description="b"))
        data = os.urandom(200_000)
        info = obs.put("f", io.BytesIO(data), meta=api.ObjectMeta(description="file"))
        assert info.size == len(data) and info.description == "file"
        assert obs.get("f").data == data
        out = io.BytesIO()
        obs.get("f", writeinto=out)
        assert out.getvalue() == data
        obs.put("g", b"g")
        assert sorted(i.name for i in obs.list()) == ["f", "g"]
        obs.update_meta("g", api.ObjectMeta(name="g", description="gee"))
        assert obs.get_info("g").description == "gee"
        obs.delete("g")
        with pytest.raises(ObjectNotFoundError):
            obs.get("g")
        assert obs.get("g", show_deleted=True).info.deleted
        assert obs.status().description == "b"
        obs.seal()
        assert obs.status().sealed
        again = js.object_store(obs._name)
        assert again.get("f").info.digest == info.digest
        assert js.delete_object_store(obs._name) is True
