"""The key-value C API as plain (blocking) Python calls on one ``natsrs_kv`` handle.

Each method makes the library call and, on failure, raises nats-py's exception, built on the
calling thread from the status and ``natsrs_last_error_message`` (``NATSRS_STATUS_WRONG_REVISION``
is ``KeyWrongLastSequenceError``, ``NATSRS_STATUS_KEY_DELETED`` and ``NATSRS_STATUS_NOT_FOUND`` of
a key ``KeyNotFoundError``). The asyncio ``KeyValue`` runs them in the JetStream thread pool.
"""

from __future__ import annotations

import ctypes
import datetime
import json
import re
import weakref
from ctypes import byref, c_char_p, c_uint64, c_void_p
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ... import _core, _ffi
from ..._core import OK, lib
from ...errors import Error, error_for
from . import _c
from .errors import (
    BadBucketError,
    BucketNotFoundError,
    InvalidKeyError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
)

_S = _ffi
OPERATIONS = {
    _S.NATSRS_KV_OPERATION_PUT: None,
    _S.NATSRS_KV_OPERATION_DELETE: "DEL",
    _S.NATSRS_KV_OPERATION_PURGE: "PURGE",
}
# a watcher's next() waits at most this long per library call
WATCH_POLL_MS = 250
_MARKER = re.compile(r"is a (\w+) marker \(revision (\d+)\)")

# (bucket, key, value, revision, delta, created, operation): the fields of nats-py's KeyValue.Entry
EntryTuple = Tuple[str, str, bytes, int, int, Optional[datetime.datetime], Optional[str]]


def _kv_error(status: int, key: Optional[str] = None) -> Error:
    text = _core.last_error_message()
    if status == _S.NATSRS_STATUS_WRONG_REVISION:
        return KeyWrongLastSequenceError(description=_c._strip(text).replace("wrong last revision: ", "", 1))
    if status == _S.NATSRS_STATUS_KEY_DELETED:
        m = _MARKER.search(text)
        op = m.group(1) if m else None
        return KeyNotFoundError(entry=(op, int(m.group(2))) if m else None, op=op)
    if status == _S.NATSRS_STATUS_NOT_FOUND and key is not None and _c.api_codes() is None:
        return KeyNotFoundError()
    if status == _S.NATSRS_STATUS_INVALID_ARGUMENT and key is not None and "key" in text:
        return InvalidKeyError(text)
    return _c.error(status)


def _check(status: int, key: Optional[str] = None) -> None:
    if status != OK:
        raise _kv_error(status, key)


def entry_tuple(h: int) -> EntryTuple:
    """The fields of a borrowed ``natsrs_kv_entry``."""
    n = lib.natsrs_kv_entry_value_len(h)
    v = lib.natsrs_kv_entry_value(h)
    value = ctypes.string_at(v, n) if v and n else b""
    ns = int(lib.natsrs_kv_entry_created_ns(h))
    created = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc) if ns > 0 else None
    bucket = lib.natsrs_kv_entry_bucket(h)
    key = lib.natsrs_kv_entry_key(h)
    return (
        bucket.decode() if bucket else "",
        key.decode() if key else "",
        value,
        int(lib.natsrs_kv_entry_revision(h)),
        int(lib.natsrs_kv_entry_delta(h)),
        created,
        OPERATIONS.get(int(lib.natsrs_kv_entry_operation(h))),
    )


def _take_entry(h: Optional[int]) -> EntryTuple:
    try:
        return entry_tuple(h or 0)
    finally:
        lib.natsrs_kv_entry_free(h)


def _c_strings(items: Sequence[str]) -> Tuple[Any, int]:
    arr = (c_char_p * max(1, len(items)))(*[s.encode() for s in items])
    return arr, len(items)


# ---- buckets ---------------------------------------------------------------------------------------
def bind(js: "_c.JsHandle", bucket: str) -> "KvHandle":
    out = c_void_p()
    st = lib.natsrs_jetstream_bind_kv(js.ptr, bucket.encode(), byref(out))
    if st == _S.NATSRS_STATUS_NOT_FOUND:
        raise BucketNotFoundError  # nats-py's: without code or description
    if st == _S.NATSRS_STATUS_INVALID_ARGUMENT:
        text = _core.last_error_message()
        if "not a key-value bucket" in text:
            raise BadBucketError(description=text)
        raise error_for(st, text)
    _c.check(st)
    assert out.value is not None
    return KvHandle(out.value, js)


def delete_bucket(js: "_c.JsHandle", bucket: str) -> bool:
    _c.check(lib.natsrs_jetstream_delete_kv(js.ptr, bucket.encode()))
    return True


def _free_kv(ptr: int) -> None:
    lib.natsrs_kv_free(ptr)


def _release_kv(ptr: int, js: Any) -> None:  # `js` keeps the context alive until the bucket is freed
    _core.free_later_or_now(_free_kv, ptr)


class KvHandle:
    """Owns one ``natsrs_kv`` (the JetStream context outlives it)."""

    def __init__(self, ptr: int, js: "_c.JsHandle") -> None:
        self._ptr = ptr
        self.js = js
        self._finalizer = weakref.finalize(self, _release_kv, ptr, js)

    @property
    def ptr(self) -> int:
        """The handle; the blocking client's pending publishes are handed over first (see
        ``JsHandle.ptr``)."""
        _c.settle(self.js.conn_core)
        return self._ptr

    def get(self, key: str, revision: Optional[int]) -> EntryTuple:
        out = c_void_p()
        if revision:
            _check(lib.natsrs_kv_get_revision(self.ptr, key.encode(), int(revision), byref(out)), key)
        else:
            _check(lib.natsrs_kv_get(self.ptr, key.encode(), byref(out)), key)
        return _take_entry(out.value)

    def put(self, key: str, value: bytes) -> int:
        rev = c_uint64(0)
        _check(lib.natsrs_kv_put(self.ptr, key.encode(), value, len(value), byref(rev)), key)
        return int(rev.value)

    def create(self, key: str, value: bytes, ttl: Optional[float]) -> int:
        rev = c_uint64(0)
        if ttl:
            st = lib.natsrs_kv_create_with_ttl(
                self.ptr, key.encode(), value, len(value), max(1, int(ttl * 1000)), byref(rev)
            )
        else:
            st = lib.natsrs_kv_create(self.ptr, key.encode(), value, len(value), byref(rev))
        _check(st, key)
        return int(rev.value)

    def update(self, key: str, value: bytes, last: int) -> int:
        rev = c_uint64(0)
        _check(lib.natsrs_kv_update(self.ptr, key.encode(), value, len(value), int(last), byref(rev)), key)
        return int(rev.value)

    def delete(self, key: str, last: int) -> None:
        _check(lib.natsrs_kv_delete(self.ptr, key.encode(), int(last)), key)

    def purge(self, key: str, last: int, ttl: Optional[float] = None) -> None:
        if ttl:
            _check(lib.natsrs_kv_purge_with_ttl(self.ptr, key.encode(), max(1, int(ttl * 1000))), key)
        else:
            _check(lib.natsrs_kv_purge(self.ptr, key.encode(), int(last)), key)

    def purge_deletes(self, older_than_ms: int) -> int:
        n = c_uint64(0)
        _check(lib.natsrs_kv_purge_deletes(self.ptr, older_than_ms, byref(n)))
        return int(n.value)

    def keys(self, filters: Sequence[str]) -> List[str]:
        arr, n = _c_strings(filters)
        out = c_void_p()
        _check(lib.natsrs_kv_keys(self.ptr, arr if n else None, n, byref(out)))
        p = out.value
        try:
            res = []
            for i in range(lib.natsrs_strings_count(p)):
                s = lib.natsrs_strings_get(p, i)
                res.append(s.decode() if s else "")
            return res
        finally:
            lib.natsrs_strings_free(p)

    def history(self, key: str) -> List[EntryTuple]:
        out = c_void_p()
        st = lib.natsrs_kv_history(self.ptr, key.encode(), byref(out))
        if st == _S.NATSRS_STATUS_NOT_FOUND and _c.api_codes() is None:
            raise NoKeysError()
        _check(st, key)
        try:
            return [
                entry_tuple(lib.natsrs_kv_entries_get(out.value, i))
                for i in range(lib.natsrs_kv_entries_count(out.value))
            ]
        finally:
            lib.natsrs_kv_entries_free(out.value)

    def status_json(self) -> Dict[str, Any]:
        out = c_void_p()
        _check(lib.natsrs_kv_bucket_status(self.ptr, byref(out)))
        try:
            s = c_void_p()
            _core.check(lib.natsrs_kv_status_json(out.value, byref(s)))
            return dict(json.loads(_c.take_string(s.value) or "{}"))
        finally:
            lib.natsrs_kv_status_free(out.value)

    def watch(
        self, keys: Sequence[str], include_history: bool, ignore_deletes: bool, meta_only: bool, updates_only: bool
    ) -> "KvWatchHandle":
        o = c_void_p()
        _core.check(lib.natsrs_kv_watch_options_create(byref(o)))
        opts = o.value
        out = c_void_p()
        try:
            if include_history:
                _core.check(lib.natsrs_kv_watch_options_set_include_history(opts, True))
            if ignore_deletes:
                _core.check(lib.natsrs_kv_watch_options_set_ignore_deletes(opts, True))
            if meta_only:
                _core.check(lib.natsrs_kv_watch_options_set_meta_only(opts, True))
            if updates_only:
                _core.check(lib.natsrs_kv_watch_options_set_updates_only(opts, True))
            if list(keys) == [">"]:
                _check(lib.natsrs_kv_watch_all(self.ptr, opts, byref(out)))
            elif len(keys) == 1:
                _check(lib.natsrs_kv_watch(self.ptr, keys[0].encode(), opts, byref(out)))
            else:
                arr, n = _c_strings(keys)
                _check(lib.natsrs_kv_watch_many(self.ptr, arr, n, opts, byref(out)))
        finally:
            lib.natsrs_kv_watch_options_free(opts)
        assert out.value is not None
        return KvWatchHandle(out.value, self)


def _free_watch(ptr: int) -> None:
    lib.natsrs_kv_watcher_free(ptr)


def _release_watch(ptr: int, kv: Any) -> None:
    _core.free_later_or_now(_free_watch, ptr)


NOTHING: Any = object()  # no entry within the poll interval
STOPPED: Any = object()  # the watch was stopped


class KvWatchHandle:
    """Owns one ``natsrs_kv_watcher``; ``next`` is called from one thread at a time, ``stop``
    from any."""

    def __init__(self, ptr: int, kv: KvHandle) -> None:
        self.ptr = ptr
        self._finalizer = weakref.finalize(self, _release_watch, ptr, kv)

    def next(self, timeout_ms: int) -> Any:
        """An EntryTuple, None for the initial-values marker, NOTHING or STOPPED."""
        out = c_void_p()
        st = lib.natsrs_kv_watcher_next(self.ptr, max(1, timeout_ms), byref(out))
        if st == _S.NATSRS_STATUS_TIMEOUT:
            return NOTHING
        if st == _S.NATSRS_STATUS_ILLEGAL_STATE:
            return STOPPED
        _check(st)
        return _take_entry(out.value) if out.value else None

    def stop(self) -> None:
        lib.natsrs_kv_watcher_stop(self.ptr)

    def free(self) -> None:
        self._finalizer()
