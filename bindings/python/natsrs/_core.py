"""Shared machinery of both APIs: the library loader, status checks, the userdata registry, the
permanent ctypes trampolines, handle lifetimes and message extraction.

Callbacks from C never carry Python objects: every callback registration passes an integer key as
``userdata``; the trampoline looks the key up in ``_registry`` and calls the target's method. The
``userdata_free`` trampoline removes the key. An exception raised by Python code inside a
trampoline is caught there and reported (to the connection's error callback where there is one,
else to the ``natsrs`` logger); it never crosses into C.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import os
import pathlib
import queue
import struct
import threading
from ctypes import POINTER, byref, c_char_p, c_size_t, c_void_p
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ffi
from .errors import Error, LibraryNotFoundError, error_for

log = logging.getLogger("natsrs")

LIB_NAME = "libnatsrs.so"
PKG_DIR = pathlib.Path(__file__).resolve().parent


def _candidates() -> List[pathlib.Path]:
    out = [PKG_DIR / LIB_NAME]
    env = os.environ.get("NATSRS_LIB_PATH")
    if env:
        p = pathlib.Path(env)
        out.append(p / LIB_NAME if p.is_dir() else p)
    return out


def _load() -> Tuple[_ffi.Lib, pathlib.Path]:
    tried: List[str] = []
    for path in _candidates():
        if not path.exists():
            tried.append(f"{path} (not found)")
            continue
        try:
            dll = ctypes.CDLL(str(path))
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        return _ffi.Lib(dll), path
    if not os.environ.get("NATSRS_LIB_PATH"):
        tried.append("$NATSRS_LIB_PATH (not set)")
    raise LibraryNotFoundError(
        "natsrs: cannot load libnatsrs; tried: "
        + "; ".join(tried)
        + ". Install the package with `pip install ./bindings/python` (which builds and bundles the"
        " library) or set NATSRS_LIB_PATH to a libnatsrs.so."
    )


lib, lib_path = _load()
OK = _ffi.NATSRS_STATUS_OK


def last_error_message() -> str:
    raw = lib.natsrs_last_error_message()
    return raw.decode("utf-8", "replace") if raw else ""


def check(status: int, cls: Optional[type] = None) -> None:
    """Raises the mapped exception if ``status`` is not OK. Call right after the library call, on
    the same thread, so that the last-error message belongs to that call."""
    if status != OK:
        raise error_for(status, last_error_message(), cls)


def raise_status(status: int, cls: Optional[type] = None) -> Error:
    return error_for(status, last_error_message(), cls)


def enc(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode()


# ---- registry ---------------------------------------------------------------------------------------
_registry: Dict[int, Any] = {}
_keys = itertools.count(1)
_reg_lock = threading.Lock()


def register(obj: Any) -> int:
    key = next(_keys)  # itertools.count is atomic under the GIL
    _registry[key] = obj
    return key


def unregister(key: int) -> None:
    _registry.pop(key, None)


def registry_size() -> int:
    return len(_registry)


# Threads that run library callbacks. A handle freed by the garbage collector on one of them is
# handed to the reaper thread instead (freeing a connection from its own event thread could wait on
# itself).
_tls = threading.local()


def in_callback() -> bool:
    return bool(getattr(_tls, "depth", 0))


class _Reaper:
    def __init__(self) -> None:
        self.q: "queue.SimpleQueue[Tuple[Callable[[Any], None], int]]" = queue.SimpleQueue()
        self.thread: Optional[threading.Thread] = None
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.pending = 0  # frees queued or running
        self.closed = False  # the interpreter is exiting: nothing more is freed here

    def put(self, fn: Callable[[Any], None], ptr: int) -> None:
        with self.lock:
            if self.closed:
                return  # left to the end of the process (a free now could call into a dying interpreter)
            self.pending += 1
            if self.thread is None:
                self.thread = threading.Thread(target=self.run, name="natsrs-reaper", daemon=True)
                self.thread.start()
        self.q.put((fn, ptr))

    def run(self) -> None:
        while True:
            fn, ptr = self.q.get()
            try:
                fn(ptr)
            except Exception:  # pragma: no cover - free functions do not fail
                log.exception("natsrs: freeing a handle failed")
            finally:
                with self.lock:
                    self.pending -= 1
                    if not self.pending:
                        self.idle.notify_all()

    def finish(self, timeout: float) -> None:
        """At interpreter exit: waits (up to ``timeout`` seconds) until the queued frees are done,
        then takes no more. A free calls back into Python (the callbacks' userdata), and a library
        thread doing so once the interpreter finalizes is force-unwound, which aborts the process."""
        with self.lock:
            self.idle.wait_for(lambda: self.pending == 0, timeout)
            self.closed = True


_reaper = _Reaper()


def free_later_or_now(fn: Callable[[Any], None], ptr: int) -> None:
    if in_callback():
        _reaper.put(fn, ptr)
    else:
        fn(ptr)


def report(target: Any, exc: BaseException, where: str) -> None:
    """Reports an exception raised by user code in a callback: to ``target.report_exception`` when
    the target has one (the connection's error callback), else to the ``natsrs`` logger."""
    try:
        rep = getattr(target, "report_exception", None)
        if rep is not None:
            rep(exc)
            return
    except BaseException as e2:  # the reporter itself failed
        log.error("natsrs: error callback raised %r while reporting %r", e2, exc)
        return
    log.error("natsrs: exception in %s callback", where, exc_info=exc)


# ---- trampolines (module-level: alive for the whole process) -----------------------------------------
def _enter() -> None:
    _tls.depth = getattr(_tls, "depth", 0) + 1


def _leave() -> None:
    _tls.depth -= 1


# A library thread that delivers messages keeps one Python thread state for its whole life.
# ctypes makes a thread state for each callback on a thread Python did not start and deletes it
# when the callback returns; each one also maps and unmaps its frame stack (a TLB flush on every
# core) and costs a few microseconds per message. The first message handler on a thread takes an
# extra PyGILState_Ensure, kept in the thread-local ``_tls.held`` (a thread-local lives as long
# as its thread state, so a new thread never sees another one's); a ``userdata_free`` on the same
# thread (the dispatcher thread frees its handler's userdata as it ends) gives it back, so the
# thread state is deleted with the last callback. Python's thread-state counting makes the
# extra reference safe under nesting: the GIL is still released when each callback returns.
_gil_ensure = ctypes.pythonapi.PyGILState_Ensure
_gil_ensure.restype = ctypes.c_int
_gil_ensure.argtypes = []
_gil_release = ctypes.pythonapi.PyGILState_Release
_gil_release.restype = None
_gil_release.argtypes = [ctypes.c_int]


def _hold_thread_state() -> None:
    if getattr(_tls, "held", None) is None:
        _tls.held = _gil_ensure()


def _drop_thread_state() -> None:
    st = getattr(_tls, "held", None)
    if st is not None:
        del _tls.held
        _gil_release(st)


def _py_userdata_free(ud: Optional[int]) -> None:
    if ud:
        _registry.pop(ud, None)
    _drop_thread_state()


def _py_msg_handler(ud: Optional[int], sub: Optional[int], msg: Optional[int]) -> None:
    _hold_thread_state()
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None and msg:
            target.on_msg(msg)
    except BaseException as e:
        report(getattr(target, "events", None), e, "message")
    finally:
        _leave()


def _py_connection_handler(ud: Optional[int], nc: Optional[int]) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.fire()
    except BaseException as e:
        report(getattr(target, "events", None), e, "connection event")
    finally:
        _leave()


def _py_disconnected_handler(ud: Optional[int], nc: Optional[int], status: int, text: Optional[bytes]) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.fire_status(status, (text or b"").decode("utf-8", "replace"))
    except BaseException as e:
        report(getattr(target, "events", None), e, "disconnected")
    finally:
        _leave()


def _py_error_handler(
    ud: Optional[int], nc: Optional[int], sub: Optional[int], status: int, text: Optional[bytes]
) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.fire_error(status, (text or b"").decode("utf-8", "replace"), sub or 0)
    except BaseException as e:
        log.error("natsrs: exception in error callback", exc_info=e)
    finally:
        _leave()


def _py_reconnect_delay(ud: Optional[int], nc: Optional[int], attempts: int) -> int:
    _enter()
    target = _registry.get(ud or 0)
    try:
        return int(target.delay_ms(attempts)) if target is not None else 2000
    except BaseException as e:
        report(getattr(target, "events", None), e, "reconnect delay")
        return 2000
    finally:
        _leave()


def _py_reconnect_to_server(
    ud: Optional[int], nc: Optional[int], urls: Any, reconnects: Any, count: int, delay_out: Any
) -> int:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is None or not count:
            return -1
        us = [(urls[i] or b"").decode("utf-8", "replace") for i in range(count)]
        rs = [int(reconnects[i]) for i in range(count)]
        index, delay_ms = target.choose(nc or 0, us, rs)
        if delay_out:
            delay_out[0] = max(0, int(delay_ms))
        return int(index)
    except BaseException as e:
        report(getattr(target, "events", None), e, "reconnect to server")
        return -1
    finally:
        _leave()


def _py_string_handler(ud: Optional[int]) -> Optional[int]:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is None:
            return None
        return target.string_ptr()  # type: ignore[no-any-return]
    except BaseException as e:
        report(getattr(target, "events", None), e, "credentials")
        return None
    finally:
        _leave()


def _py_sign_handler(ud: Optional[int], nonce: Optional[int], nonce_len: int, sig_out: Optional[int]) -> int:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is None or not nonce or not sig_out:
            return _ffi.NATSRS_STATUS_INVALID_ARGUMENT
        sig = bytes(target.sign(ctypes.string_at(nonce, nonce_len)))
        if len(sig) != 64:
            raise ValueError(f"signature_cb returned {len(sig)} bytes, want 64")
        ctypes.memmove(sig_out, sig, 64)
        return OK
    except BaseException as e:
        report(getattr(target, "events", None), e, "signature")
        return _ffi.NATSRS_STATUS_BAD_CREDENTIALS
    finally:
        _leave()


def _py_request_handler(ud: Optional[int], status: int, msg: Optional[int]) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.complete(status, msg or 0)
        elif msg:
            lib.natsrs_msg_free(msg)
    except BaseException as e:
        log.error("natsrs: exception in request completion", exc_info=e)
    finally:
        _leave()


def _py_fetch_handler(ud: Optional[int], status: int, msgs: Any, count: int) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.complete(status, msgs, count)
        else:
            for i in range(count):
                if msgs[i]:
                    lib.natsrs_msg_free(msgs[i])
    except BaseException as e:
        log.error("natsrs: exception in fetch completion", exc_info=e)
    finally:
        _leave()


def _py_status_handler(ud: Optional[int], status: int) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None:
            target.complete(status, 0)
    except BaseException as e:
        log.error("natsrs: exception in flush completion", exc_info=e)
    finally:
        _leave()


def _py_service_handler(ud: Optional[int], req: Optional[int]) -> None:
    _enter()
    target = _registry.get(ud or 0)
    try:
        if target is not None and req:
            target.on_request(req)
    except BaseException as e:
        log.error("natsrs: exception in a service handler", exc_info=e)
    finally:
        _leave()


USERDATA_FREE = _ffi.natsrs_userdata_free(_py_userdata_free)
_svc_t = getattr(_ffi, "natsrs_service_handler", None)
SERVICE_HANDLER = _svc_t(_py_service_handler) if _svc_t is not None else None
MSG_HANDLER = _ffi.natsrs_msg_handler(_py_msg_handler)
CONNECTION_HANDLER = _ffi.natsrs_connection_handler(_py_connection_handler)
DISCONNECTED_HANDLER = _ffi.natsrs_disconnected_handler(_py_disconnected_handler)
ERROR_HANDLER = _ffi.natsrs_error_handler(_py_error_handler)
RECONNECT_DELAY_HANDLER = _ffi.natsrs_reconnect_delay_handler(_py_reconnect_delay)
STRING_HANDLER = _ffi.natsrs_string_handler(_py_string_handler)
RECONNECT_TO_SERVER_HANDLER = _ffi.natsrs_reconnect_to_server_handler(_py_reconnect_to_server)
SIGN_HANDLER = _ffi.natsrs_sign_handler(_py_sign_handler)
_req_t = getattr(_ffi, "natsrs_request_handler", None)
_st_t = getattr(_ffi, "natsrs_status_handler", None)
REQUEST_HANDLER = _req_t(_py_request_handler) if _req_t is not None else None
STATUS_HANDLER = _st_t(_py_status_handler) if _st_t is not None else None
HAS_ASYNC_REQUEST = REQUEST_HANDLER is not None and lib.has("natsrs_connection_request_async")
_fetch_t = getattr(_ffi, "natsrs_fetch_handler", None)
FETCH_HANDLER = _fetch_t(_py_fetch_handler) if _fetch_t is not None else None
HAS_ASYNC_FETCH = FETCH_HANDLER is not None and lib.has("natsrs_pull_subscription_fetch_async")
HAS_ASYNC_FLUSH = STATUS_HANDLER is not None and lib.has("natsrs_connection_flush_async")
HAS_NOTIFY_FD = lib.has("natsrs_subscription_notify_fd") and lib.has("natsrs_subscription_try_next_msgs")


# ---- messages ----------------------------------------------------------------------------------------
_string_at = ctypes.string_at


def extract(p: int) -> Tuple[str, str, bytes, Optional[Dict[str, str]], Optional[Dict[str, List[str]]]]:
    """Copies a C message into Python values: subject, reply, data, headers (first value of each
    key, as nats-py has them) and all values per key (None when there are no headers)."""
    L = lib
    subject = L.natsrs_msg_subject(p)
    reply = L.natsrs_msg_reply(p)
    n = L.natsrs_msg_data_len(p)
    data = _string_at(L.natsrs_msg_data(p), n) if n else b""
    keys = POINTER(c_char_p)()
    count = c_size_t(0)
    headers: Optional[Dict[str, str]] = None
    multi: Optional[Dict[str, List[str]]] = None
    if L.natsrs_msg_header_keys(p, byref(keys), byref(count)) == OK and count.value:
        headers = {}
        multi = {}
        vals = POINTER(c_char_p)()
        vcount = c_size_t(0)
        for i in range(count.value):
            kb = keys[i]
            if kb is None:
                continue
            k = kb.decode("utf-8", "replace")
            if L.natsrs_msg_header_values(p, kb, byref(vals), byref(vcount)) == OK:
                vs = [(vals[j] or b"").decode("utf-8", "replace") for j in range(vcount.value)]
            else:
                vs = []
            multi[k] = vs
            headers[k] = vs[0] if vs else ""
    code = L.natsrs_msg_status_code(p) if not n else 0  # status messages carry no payload
    if code:
        if headers is None:
            headers = {}
            multi = {}
        if "Status" not in headers:
            headers["Status"] = str(code)
            assert multi is not None
            multi["Status"] = [str(code)]
    return (
        subject.decode("utf-8", "replace") if subject else "",
        reply.decode("utf-8", "replace") if reply else "",
        data,
        headers,
        multi,
    )


def _typed_data_fn() -> Any:
    # natsrs_msg_data typed as a char pointer: slicing the result copies into bytes in one step
    fn = lib._dll["natsrs_msg_data"]
    fn.restype = POINTER(ctypes.c_char)
    fn.argtypes = (c_void_p,)
    return fn


_msg_data_chars = _typed_data_fn()


class BatchExtractor:
    """Copies C messages into Python values with the library functions bound once and scratch
    out-parameters of its own: use one extractor per consumer thread. ``run(arr, n, make)`` copies
    and frees a batch of owned messages; ``one(p, make)`` copies a borrowed one."""

    __slots__ = ("keys", "count", "bkeys", "bcount")

    def __init__(self) -> None:
        self.keys = POINTER(c_char_p)()
        self.count = c_size_t(0)
        self.bkeys = byref(self.keys)
        self.bcount = byref(self.count)

    def one(self, p: int, make: Callable[..., Any]) -> Any:
        L = lib
        subject = L.natsrs_msg_subject(p)
        reply = L.natsrs_msg_reply(p)
        dn = L.natsrs_msg_data_len(p)
        data = _msg_data_chars(p)[:dn] if dn else b""
        headers: Optional[Dict[str, str]] = None
        multi: Optional[Dict[str, List[str]]] = None
        if (L.natsrs_msg_header_keys(p, self.bkeys, self.bcount) == OK and self.count.value) or not dn:
            _, _, _, headers, multi = extract(p)
        return make(subject.decode() if subject else "", reply.decode() if reply else "", data, headers, multi)

    def run(self, arr: Any, n: int, make: Callable[..., Any]) -> List[Any]:
        L = lib
        subject_fn, reply_fn, len_fn = L.natsrs_msg_subject, L.natsrs_msg_reply, L.natsrs_msg_data_len
        keys_fn, free_fn, data_fn = L.natsrs_msg_header_keys, L.natsrs_msg_free, _msg_data_chars
        count, bkeys, bcount = self.count, self.bkeys, self.bcount
        out: List[Any] = []
        append = out.append
        for i in range(n):
            p = arr[i]
            if p is None:
                continue
            try:
                subject = subject_fn(p)
                reply = reply_fn(p)
                dn = len_fn(p)
                data = data_fn(p)[:dn] if dn else b""
                headers: Optional[Dict[str, str]] = None
                multi: Optional[Dict[str, List[str]]] = None
                if (keys_fn(p, bkeys, bcount) == OK and count.value) or not dn:
                    _, _, _, headers, multi = extract(p)
            finally:
                free_fn(p)
            append(make(subject.decode() if subject else "", reply.decode() if reply else "", data, headers, multi))
        return out


# ---- packed batches (natsrs_subscription_try_next_packed / natsrs_connection_publish_packed) -----------
PACKED_ENTRY = struct.Struct("<4I")  # subject, reply, header block, data lengths (little-endian u32)
PACKED_ENTRY_LEN = PACKED_ENTRY.size
PACKED_READ_FIRST = 512  # first size of a reader's buffer (10,000 idle subscriptions stay small)
PACKED_READ_BATCH = 256 * 1024  # a reader whose batches fill its buffer grows it up to this size
PACKED_READ_GROWTH = 4
_string_at_addr = ctypes.string_at
_NO_ENTRY = b"\xff\xff\xff\xff"  # a subject length of 4 GiB: never the start of a real entry


def parse_header_block(block: bytes, has_data: bool) -> Tuple[Optional[Dict[str, str]], Optional[Dict[str, List[str]]]]:
    """Headers of a raw ``NATS/1.0`` block as ``extract`` gives them: first value per key and all
    values per key (None, None without any); an inline status is ``Status`` when there is no
    payload (status messages carry none)."""
    lines = block.decode("utf-8", "replace").split("\r\n")
    headers: Dict[str, str] = {}
    multi: Dict[str, List[str]] = {}
    for line in lines[1:]:
        i = line.find(":")
        if i <= 0:
            continue
        k = line[:i]
        v = line[i + 1 :].strip(" \t")
        vs = multi.get(k)
        if vs is None:
            multi[k] = [v]
            headers[k] = v
        else:
            vs.append(v)
    if not has_data:
        rest = lines[0][8:].strip(" \t")  # after "NATS/1.0"
        code = rest.split(None, 1)[0] if rest else ""
        if len(code) == 3 and code.isdigit() and "Status" not in headers:
            headers["Status"] = str(int(code))
            multi["Status"] = [headers["Status"]]
    if not headers:
        return None, None
    return headers, multi


class PackedReader:
    """Drains a synchronous subscription with one ``natsrs_subscription_try_next_packed`` (or
    ``natsrs_subscription_next_packed``) call per batch into a reusable buffer, which grows when
    the first waiting message does not fit, and grows when batches fill it (up to
    ``PACKED_READ_BATCH``). One reader per consumer (not shared between threads)."""

    __slots__ = ("cap", "cbuf", "used", "count", "bused", "bcount")

    def __init__(self, cap: int = PACKED_READ_FIRST) -> None:
        self.used = c_size_t(0)
        self.count = c_size_t(0)
        self.bused = byref(self.used)
        self.bcount = byref(self.count)
        self.cap = 0
        self.cbuf: Any = None
        self._grow(cap)

    def _grow(self, cap: int) -> None:
        self.cap = cap
        self.cbuf = ctypes.create_string_buffer(cap)

    def read(self, p: int, timeout_ms: Optional[int] = None) -> Tuple[int, bytes, int]:
        """(status, the packed bytes, message count). Without ``timeout_ms`` it does not wait."""
        while True:
            if timeout_ms is None:
                st = lib.natsrs_subscription_try_next_packed(p, self.cbuf, self.cap, self.bused, self.bcount)
            else:
                st = lib.natsrs_subscription_next_packed(p, self.cbuf, self.cap, timeout_ms, self.bused, self.bcount)
            if st == _ffi.NATSRS_STATUS_BUFFER_TOO_SMALL:
                self._grow(max(int(self.used.value), 2 * self.cap))
                continue
            if st != OK:
                return st, b"", 0
            n = int(self.count.value)
            if not n:
                return OK, b"", 0
            used = int(self.used.value)
            raw = _string_at_addr(self.cbuf, used)
            if 2 * used > self.cap and self.cap < PACKED_READ_BATCH:
                self._grow(min(PACKED_READ_BATCH, PACKED_READ_GROWTH * self.cap))
            return OK, raw, n


def unpack_msgs(raw: bytes, cls: Callable[..., Any], client: Any, sid: Optional[int]) -> List[Any]:
    """The messages of a packed buffer as ``cls(client, subject, reply, data, headers, multi, sid)``."""
    return unpack_some(raw, 0, -1, cls, client, sid)[0]


def unpack_some(
    raw: bytes, off: int, limit: int, cls: Callable[..., Any], client: Any, sid: Optional[int]
) -> Tuple[List[Any], int]:
    """Up to ``limit`` messages (all when negative) of a packed buffer from offset ``off``, and
    the offset after them. A consumer that takes a large batch a chunk at a time keeps few
    message objects alive at once (fewer garbage-collector passes over survivors)."""
    out: List[Any] = []
    append = out.append
    unpack = PACKED_ENTRY.unpack_from
    startswith = raw.startswith
    end = len(raw)
    # The entry header and subject of the last plain entry (no reply, no headers): a batch is
    # mostly one subject and one size, so most entries are recognised by one prefix compare.
    # (It starts as a subject length no entry can have.)
    prefix, plen, pdl, subject = _NO_ENTRY, 0, 0, ""
    while off < end and limit:
        limit -= 1
        if startswith(prefix, off):
            o2 = off + plen
            off = o2 + pdl
            append(cls(client, subject, "", raw[o2:off], None, None, sid))
            continue
        sl, rl, hl, dl = unpack(raw, off)
        o = off + PACKED_ENTRY_LEN
        o2 = o + sl
        if not (rl or hl):
            if o2 - off != plen or not startswith(prefix[PACKED_ENTRY_LEN:], o):
                subject = raw[o:o2].decode("utf-8", "replace")
            prefix, plen, pdl = raw[off:o2], o2 - off, dl
            off = o2 + dl
            append(cls(client, subject, "", raw[o2:off], None, None, sid))
            continue
        subj = raw[o:o2].decode("utf-8", "replace")
        reply = raw[o2 : o2 + rl].decode("utf-8", "replace") if rl else ""
        o2 += rl
        if hl:
            headers, multi = parse_header_block(raw[o2 : o2 + hl], dl > 0)
            o2 += hl
        else:
            headers = multi = None
        off = o2 + dl
        append(cls(client, subj, reply, raw[o2:off], headers, multi, sid))
    return out, off


def make_c_msg(subject: str, reply: Optional[str], data: bytes, headers: Optional[Dict[str, Any]]) -> int:
    """An owned C message (free with natsrs_msg_free) with headers; header values may be a string
    or a list of strings."""
    out = c_void_p()
    check(lib.natsrs_msg_create(subject.encode(), enc(reply) if reply else None, data, len(data), byref(out)))
    p = out.value
    assert p is not None
    try:
        for k, v in (headers or {}).items():
            kb = str(k).encode()
            if isinstance(v, (list, tuple)):
                for item in v:
                    check(lib.natsrs_msg_header_add(p, kb, str(item).encode()))
            else:
                check(lib.natsrs_msg_header_set(p, kb, str(v).encode()))
    except BaseException:
        lib.natsrs_msg_free(p)
        raise
    return p


def strings(fn: Callable[..., int], *args: Any) -> List[str]:
    out = c_void_p()
    check(fn(*args, byref(out)))
    p = out.value
    try:
        n = lib.natsrs_strings_count(p)
        res = []
        for i in range(n):
            s = lib.natsrs_strings_get(p, i)
            res.append(s.decode() if s else "")
        return res
    finally:
        lib.natsrs_strings_free(p)


def ms(seconds: Optional[float], default_ms: int = -1) -> int:
    """Seconds (float) to the library's int64 milliseconds; None gives ``default_ms``."""
    if seconds is None:
        return default_ms
    if seconds < 0:
        from .errors import BadTimeoutError

        raise BadTimeoutError()
    return int(round(seconds * 1000))


class HandleGuard:
    """Lifetime of one C handle shared by threads: ``acquire()`` returns the pointer for one call
    (raises ``UseAfterCloseError`` after close), ``release()`` ends the call, ``close()`` marks it
    closed; the handle is freed when it is closed and no call is running, or by the finalizer of
    the owning object."""

    __slots__ = ("ptr", "busy", "closed", "lock", "free_fn")

    def __init__(self, ptr: int, free_fn: Callable[[Any], None]) -> None:
        self.ptr: Optional[int] = ptr
        self.busy = 0
        self.closed = False
        self.lock = threading.Lock()
        self.free_fn = free_fn

    def acquire(self, exc: Callable[[], Error]) -> int:
        with self.lock:
            if self.closed or self.ptr is None:
                raise exc()
            self.busy += 1
            return self.ptr

    def release(self) -> None:
        with self.lock:
            self.busy -= 1
            ptr = self._take_if_done()
        if ptr:
            free_later_or_now(self.free_fn, ptr)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            ptr = self._take_if_done()
        if ptr:
            free_later_or_now(self.free_fn, ptr)

    def _take_if_done(self) -> Optional[int]:
        if self.closed and self.busy == 0 and self.ptr is not None:
            p, self.ptr = self.ptr, None
            return p
        return None

    # finalizer (weakref.finalize): the owner is gone, so no call can be running
    @staticmethod
    def finalize(guard: "HandleGuard") -> None:
        with guard.lock:
            p, guard.ptr = guard.ptr, None
            guard.closed = True
        if p:
            free_later_or_now(guard.free_fn, p)
