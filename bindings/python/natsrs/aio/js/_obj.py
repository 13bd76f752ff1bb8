"""The object-store C API as plain (blocking) Python calls on one ``natsrs_object_store`` handle.

Each method makes the library call and, on failure, raises nats-py's exception, built on the
calling thread from the status and ``natsrs_last_error_message``. The asyncio ``ObjectStore``
runs them in the JetStream thread pool. Puts from a file-like object stream through the read
callback of ``natsrs_object_store_put_stream`` and gets into ``writeinto`` through the write
callback of ``natsrs_object_store_get_stream``; both run on the calling (pool) thread.
"""

from __future__ import annotations

import ctypes
import io
import json
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Dict, List, Optional, Tuple

from ... import _core, _ffi
from ..._core import OK, lib
from ...errors import Error
from . import _c
from .errors import (
    BadObjectMetaError,
    BucketNotFoundError,
    DigestMismatchError,
    LinkIsABucketError,
    ObjectAlreadyExists,
    ObjectDeletedError,
    ObjectNotFoundError,
)

_S = _ffi
STORAGE_TYPES = {"file": _S.NATSRS_STORAGE_TYPE_FILE, "memory": _S.NATSRS_STORAGE_TYPE_MEMORY}
# a watcher's next() waits at most this long per library call, so a stop is seen in time
WATCH_POLL_MS = 250


def _obj_error(status: int, update: bool = False) -> Error:
    """nats-py's exception for a failed object-store call (read on the calling thread); as
    nats-py's, without code or description (the library's text is not nats-py's)."""
    text = _core.last_error_message()
    if status == _S.NATSRS_STATUS_NOT_FOUND and _c.api_codes() is None:
        return ObjectDeletedError() if update else ObjectNotFoundError()
    if status == _S.NATSRS_STATUS_IO and "digest mismatch" in text:
        return DigestMismatchError()
    if status == _S.NATSRS_STATUS_INVALID_ARGUMENT and "is a link to store" in text:
        return LinkIsABucketError()
    if status == _S.NATSRS_STATUS_ILLEGAL_STATE and "deleted" in text:
        return ObjectDeletedError()
    if status == _S.NATSRS_STATUS_ILLEGAL_STATE and "already exists" in text:
        return ObjectAlreadyExists()
    if status == _S.NATSRS_STATUS_JETSTREAM and "meta" in text and _c.api_codes() is None:
        return BadObjectMetaError()
    # an API error, or any other status: the JetStream mapping (reads the same thread's details)
    return _c.error(status)


def _check(status: int, update: bool = False) -> None:
    if status != OK:
        raise _obj_error(status, update)


def info_dict(h: int) -> Dict[str, Any]:
    """The JSON of a borrowed ``natsrs_object_info`` as a dict."""
    out = c_void_p()
    _core.check(lib.natsrs_object_info_json(h, byref(out)))
    return dict(json.loads(_c.take_string(out.value) or "{}"))


def _take_info(h: Optional[int]) -> Dict[str, Any]:
    if not h:
        return {}
    try:
        return info_dict(h)
    finally:
        lib.natsrs_object_info_free(h)


def meta_handle(meta: Dict[str, Any]) -> int:
    """An owned ``natsrs_object_meta`` from nats-py's ObjectMeta as a dict (header values may
    be single strings: they become one-element lists, the wire form)."""
    m = dict(meta)
    hdrs = m.get("headers")
    if hdrs:
        m["headers"] = {
            str(k): [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)] for k, v in hdrs.items()
        }
    out = c_void_p()
    _core.check(lib.natsrs_object_meta_from_json(json.dumps(m).encode(), byref(out)))
    assert out.value is not None
    return out.value


# ---- streaming callbacks (module-level trampolines; userdata is a registry key) ----------------------
class _Reader:
    __slots__ = ("src", "exc")

    def __init__(self, src: Any) -> None:
        self.src = src
        self.exc: Optional[BaseException] = None

    def read(self, buf: int, cap: int) -> int:
        readinto = getattr(self.src, "readinto", None)
        if readinto is not None:
            view = memoryview((ctypes.c_char * cap).from_address(buf)).cast("B")
            n = readinto(view)
            return int(n or 0)
        data = self.src.read(cap)
        if isinstance(data, str):
            data = data.encode()
        if not data:
            return 0
        ctypes.memmove(buf, bytes(data), len(data))
        return len(data)


class _Writer:
    __slots__ = ("dst", "exc")

    def __init__(self, dst: Any) -> None:
        self.dst = dst
        self.exc: Optional[BaseException] = None


def _py_read(ud: Optional[int], buf: Optional[int], cap: int) -> int:
    r = _core._registry.get(ud or 0)
    if r is None or not buf:
        return -1
    try:
        return int(r.read(buf, cap))
    except BaseException as e:
        r.exc = e
        return -1


def _py_write(ud: Optional[int], data: Optional[int], n: int) -> int:
    w = _core._registry.get(ud or 0)
    if w is None:
        return 1
    try:
        w.dst.write(ctypes.string_at(data, n) if data and n else b"")
        return 0
    except BaseException as e:
        w.exc = e
        return 1


READ_FN = _ffi.natsrs_object_read_fn(_py_read)
WRITE_FN = _ffi.natsrs_object_write_fn(_py_write)


def as_reader(data: Any) -> Any:
    """A binary reader over nats-py's put inputs (str, bytes, a binary or text file-like)."""
    if isinstance(data, str):
        return io.BytesIO(data.encode())
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(data))
    if isinstance(data, io.TextIOBase) and hasattr(data, "buffer"):
        return data.buffer
    if hasattr(data, "readinto") or hasattr(data, "read"):
        return data
    raise TypeError("nats: invalid type for object store")


def as_writer(dst: Any) -> Any:
    return dst.buffer if hasattr(dst, "buffer") else dst


# ---- config -------------------------------------------------------------------------------------------
def config_handle(
    bucket: str, description: Optional[str], ttl: Optional[float], max_bytes: Optional[int], storage: Any, replicas: int
) -> int:
    out = c_void_p()
    _core.check(lib.natsrs_object_store_config_new(bucket.encode(), byref(out)))
    assert out.value is not None
    cfg: int = out.value
    try:
        if description:
            _core.check(lib.natsrs_object_store_config_set_description(cfg, description.encode()))
        if ttl:
            _core.check(lib.natsrs_object_store_config_set_ttl_ms(cfg, max(1, int(ttl * 1000))))
        if max_bytes is not None and max_bytes > 0:
            _core.check(lib.natsrs_object_store_config_set_max_bytes(cfg, int(max_bytes)))
        if storage is not None:
            key = getattr(storage, "value", storage)
            _core.check(lib.natsrs_object_store_config_set_storage(cfg, STORAGE_TYPES[str(key)]))
        if replicas and replicas > 1:
            _core.check(lib.natsrs_object_store_config_set_replicas(cfg, int(replicas)))
    except BaseException:
        lib.natsrs_object_store_config_free(cfg)
        raise
    return cfg


def create(js: "_c.JsHandle", cfg: int) -> "ObjHandle":
    out = c_void_p()
    try:
        _c.check(lib.natsrs_jetstream_create_object_store(js.ptr, cfg, byref(out)))
    finally:
        lib.natsrs_object_store_config_free(cfg)
    assert out.value is not None
    return ObjHandle(out.value, js)


def bind(js: "_c.JsHandle", bucket: str) -> "ObjHandle":
    out = c_void_p()
    st = lib.natsrs_jetstream_object_store(js.ptr, bucket.encode(), byref(out))
    if st == _S.NATSRS_STATUS_NOT_FOUND:
        raise BucketNotFoundError  # nats-py's: without code or description
    _c.check(st)
    assert out.value is not None
    return ObjHandle(out.value, js)


def delete_store(js: "_c.JsHandle", bucket: str) -> bool:
    _c.check(lib.natsrs_jetstream_delete_object_store(js.ptr, bucket.encode()))
    return True


def _free_store(ptr: int) -> None:
    lib.natsrs_object_store_free(ptr)


def _release_store(ptr: int, js: Any) -> None:  # `js` keeps the context alive until the store is freed
    _core.free_later_or_now(_free_store, ptr)


class ObjHandle:
    """Owns one ``natsrs_object_store`` (the JetStream context outlives it)."""

    def __init__(self, ptr: int, js: "_c.JsHandle") -> None:
        self._ptr = ptr
        self.js = js
        self._finalizer = weakref.finalize(self, _release_store, ptr, js)

    @property
    def ptr(self) -> int:
        """The handle; the blocking client's pending publishes are handed over first (see
        ``JsHandle.ptr``)."""
        _c.settle(self.js.conn_core)
        return self._ptr

    def seal(self) -> None:
        _c.check(lib.natsrs_object_store_seal(self.ptr))

    def info(self, name: str, show_deleted: bool) -> Dict[str, Any]:
        out = c_void_p()
        _check(lib.natsrs_object_store_info(self.ptr, name.encode(), bool(show_deleted), byref(out)))
        return _take_info(out.value)

    def put(self, meta: Dict[str, Any], data: Any) -> Dict[str, Any]:
        out = c_void_p()
        simple = set(k for k, v in meta.items() if v is not None) <= {"name"}
        if simple and isinstance(data, (bytes, bytearray, str)):
            raw = data.encode() if isinstance(data, str) else bytes(data)
            _check(lib.natsrs_object_store_put_bytes(self.ptr, str(meta["name"]).encode(), raw, len(raw), byref(out)))
            return _take_info(out.value)
        reader = _Reader(as_reader(data))
        key = _core.register(reader)
        m = meta_handle(meta)
        try:
            st = lib.natsrs_object_store_put_stream(self.ptr, m, READ_FN, key, byref(out))
        finally:
            lib.natsrs_object_meta_free(m)
            _core.unregister(key)
        if reader.exc is not None:
            lib.natsrs_object_info_free(out.value)
            raise reader.exc
        _check(st)
        return _take_info(out.value)

    def get(self, name: str, writeinto: Any) -> Tuple[Dict[str, Any], bytes]:
        out = c_void_p()
        if writeinto is not None:
            writer = _Writer(as_writer(writeinto))
            key = _core.register(writer)
            try:
                st = lib.natsrs_object_store_get_stream(self.ptr, name.encode(), WRITE_FN, key, byref(out))
            finally:
                _core.unregister(key)
            if writer.exc is not None:
                lib.natsrs_object_info_free(out.value)
                raise writer.exc
            _check(st)
            return _take_info(out.value), b""
        data = c_void_p()
        n = c_size_t(0)
        _check(lib.natsrs_object_store_get_bytes(self.ptr, name.encode(), byref(data), byref(n), byref(out)))
        try:
            payload = ctypes.string_at(data.value, n.value) if data.value and n.value else b""
        finally:
            lib.natsrs_object_data_free(data.value)
        return _take_info(out.value), payload

    def update_meta(self, name: str, meta: Dict[str, Any]) -> Dict[str, Any]:
        m = meta_handle(meta)
        out = c_void_p()
        try:
            _check(lib.natsrs_object_store_update_meta(self.ptr, name.encode(), m, byref(out)), update=True)
        finally:
            lib.natsrs_object_meta_free(m)
        return _take_info(out.value)

    def delete(self, name: str) -> None:
        self.info(name, False)  # nats-py: deleting a missing or deleted object is ObjectNotFoundError
        _check(lib.natsrs_object_store_delete(self.ptr, name.encode()))

    def list(self, show_deleted: bool) -> List[Dict[str, Any]]:
        out = c_void_p()
        _check(lib.natsrs_object_store_list(self.ptr, bool(show_deleted), byref(out)))
        try:
            return [
                info_dict(lib.natsrs_object_info_list_get(out.value, i))
                for i in range(lib.natsrs_object_info_list_count(out.value))
            ]
        finally:
            lib.natsrs_object_info_list_free(out.value)

    def watch(self, include_history: bool, ignore_deletes: bool, updates_only: bool) -> "WatchHandle":
        out = c_void_p()
        _check(lib.natsrs_object_store_watch(self.ptr, include_history, ignore_deletes, updates_only, byref(out)))
        assert out.value is not None
        return WatchHandle(out.value, self)


def _free_watch(ptr: int) -> None:
    lib.natsrs_object_watcher_free(ptr)


def _release_watch(ptr: int, store: Any) -> None:
    _core.free_later_or_now(_free_watch, ptr)


_NOTHING: Dict[str, Any] = {"__nothing__": True}


class WatchHandle:
    """Owns one ``natsrs_object_watcher``; ``next`` is called from one thread at a time."""

    def __init__(self, ptr: int, store: ObjHandle) -> None:
        self.ptr = ptr
        self._finalizer = weakref.finalize(self, _release_watch, ptr, store)

    def next(self, timeout_ms: int) -> Optional[Dict[str, Any]]:
        """The next info as a dict, None for the end-of-initial-values marker, ``NOTHING`` when
        nothing came within ``timeout_ms``."""
        out = c_void_p()
        st = lib.natsrs_object_watcher_next(self.ptr, max(1, timeout_ms), byref(out))
        if st == _S.NATSRS_STATUS_TIMEOUT:
            return _NOTHING
        _check(st)
        return _take_info(out.value) if out.value else None

    def stop(self) -> None:
        lib.natsrs_object_watcher_stop(self.ptr)

    def free(self) -> None:
        self._finalizer()


NOTHING = _NOTHING
