"""The JetStream C API as plain (blocking) Python functions on one ``natsrs_jetstream`` handle.

Each function makes one library call and, on failure, raises the nats-py exception built from
the status, ``natsrs_last_error_message`` and ``natsrs_last_error_api`` read right after the call
on the same thread. The asyncio API runs the ones that wait on the network in the loop's
executor; JetStream publish uses the library's non-blocking publish instead (see client.py).
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime
import json
import re
import weakref
from ctypes import byref, c_int32, c_int64, c_uint64, c_void_p, string_at
from typing import Any, Callable, Dict, List, Optional, Tuple

from ... import _core, _ffi
from ..._core import OK, lib
from ...errors import Error, NoRespondersError, error_for
from . import api
from .errors import NoStreamResponseError, NotFoundError, ServiceUnavailableError, api_error

_S = _ffi
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# JetStream calls that wait on the server (management, fetch, publish with extra headers) run in
# this pool, not the loop's default executor (min(32, cpus + 4) threads), so that many concurrent
# fetches do not queue behind each other; threads are started on demand.
JS_EXECUTOR_MAX_WORKERS = 64
executor = concurrent.futures.ThreadPoolExecutor(max_workers=JS_EXECUTOR_MAX_WORKERS, thread_name_prefix="natsrs-js")

# The library's async-publish window is made large: the asyncio API bounds it itself (nats-py's
# publish_async_max_pending, with an asyncio semaphore) so the library never stalls the loop.
LIBRARY_ASYNC_MAX_PENDING = 1 << 30
LIBRARY_ASYNC_STALL_WAIT_MS = 0


def api_codes() -> Optional[Tuple[int, int]]:
    code = c_int32(0)
    err_code = c_uint64(0)
    if lib.natsrs_last_error_api(byref(code), byref(err_code)):
        return int(code.value), int(err_code.value)
    return None


_API_MESSAGE = re.compile(r"^(?:JetStream error: |not found: )?(.*?)(?: \(code \d+, err_code \d+\))?$", re.S)


def _strip(text: str) -> str:
    """The server's description from the library's message ("<status>: <description> (code C,
    err_code E)")."""
    m = _API_MESSAGE.match(text)
    return m.group(1) if m else text


def error(status: int, publish: bool = False) -> Error:
    """The exception for a failed JetStream call (read on the calling thread)."""
    text = _core.last_error_message()
    codes = api_codes()
    if codes is not None:
        return api_error(codes[0], _strip(text), codes[1])
    if status == _S.NATSRS_STATUS_NO_RESPONDERS:
        return NoStreamResponseError() if publish else ServiceUnavailableError(code=503, description=text)
    if status == _S.NATSRS_STATUS_NOT_FOUND:
        return NotFoundError(code=404, description=text)
    return error_for(status, text)


def wire_headers_b64(headers: Dict[str, List[str]]) -> str:
    """A header block as the server's JSON carries it (base64 of ``NATS/1.0`` and the lines):
    nats-py's ``RawStreamMsg.hdrs`` of a get that is not direct."""
    lines = "".join(f"{k}: {v}\r\n" for k, vs in headers.items() for v in vs)
    return base64.b64encode(f"NATS/1.0\r\n{lines}\r\n".encode()).decode()


def time_of_ns(ns: int) -> datetime.datetime:
    """A time in ns since the Unix epoch as an aware UTC datetime (microseconds, as nats-py)."""
    return EPOCH + datetime.timedelta(microseconds=ns // 1000)


def rfc3339_ns(ns: int) -> str:
    """The server's form of a time (Go's RFC3339Nano): UTC, nanoseconds without trailing zeros."""
    secs, frac = divmod(ns, 1_000_000_000)
    head = (EPOCH + datetime.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{head}.{frac:09d}".rstrip("0").rstrip(".") + "Z"


def check(status: int) -> None:
    if status != OK:
        raise error(status)


def check_direct(status: int, direct: bool) -> None:
    """``check`` for a read that may be a direct get: nats-py sends those as plain requests, so
    a stream without direct get (no responders) is ``NoRespondersError`` there, not an API error."""
    if status != OK:
        if direct and status == _S.NATSRS_STATUS_NO_RESPONDERS and api_codes() is None:
            raise NoRespondersError()  # (nats-py's text)
        if direct and status == _S.NATSRS_STATUS_NOT_FOUND and api_codes() is None:
            raise NotFoundError  # nats-py's for a 404 status: without code or description
        raise error(status)


def take_string(p: Optional[int]) -> str:
    if not p:
        return ""
    try:
        return string_at(p).decode()
    finally:
        lib.natsrs_string_free(p)


def _json_of(fn: Callable[..., int], h: int) -> Dict[str, Any]:
    out = c_void_p()
    check(fn(h, byref(out)))
    return dict(json.loads(take_string(out.value) or "{}"))


def _free_js(ptr: int) -> None:
    lib.natsrs_jetstream_free(ptr)


def settle(conn_core: Any) -> None:
    """Hands the blocking client's pending publishes over (natsrs/_pub_batch.py), so that a
    JetStream, key-value or object-store call goes out after them."""
    b = conn_core.batch
    if b is not None and b.buf:
        b.hand_over()


class JsHandle:
    """Owns one ``natsrs_jetstream`` on a connection. The finalizer keeps the connection core
    alive until the context is freed (the context must not outlive its connection)."""

    def __init__(self, conn_core: Any, prefix: Optional[str], domain: Optional[str], timeout: float) -> None:
        o = c_void_p()
        _core.check(lib.natsrs_jetstream_options_create(byref(o)))
        opts = o.value
        try:
            if domain:
                _core.check(lib.natsrs_jetstream_options_set_domain(opts, domain.encode()))
            elif prefix:
                _core.check(lib.natsrs_jetstream_options_set_api_prefix(opts, prefix.encode()))
            _core.check(lib.natsrs_jetstream_options_set_timeout_ms(opts, max(1, _core.ms(timeout))))
            _core.check(lib.natsrs_jetstream_options_set_publish_async_max_pending(opts, LIBRARY_ASYNC_MAX_PENDING))
            _core.check(lib.natsrs_jetstream_options_set_publish_async_stall_wait_ms(opts, LIBRARY_ASYNC_STALL_WAIT_MS))
            out = c_void_p()
            _core.check(lib.natsrs_jetstream_new(conn_core.require_open(), opts, byref(out)))
        finally:
            lib.natsrs_jetstream_options_free(opts)
        assert out.value is not None
        self._ptr: int = out.value
        self.conn_core = conn_core
        self._finalizer = weakref.finalize(self, _release, self._ptr, conn_core)

    @property
    def ptr(self) -> int:
        """The handle; the blocking client's pending publishes are handed over first, so that
        a JetStream call goes out after them (natsrs/_pub_batch.py)."""
        settle(self.conn_core)
        return self._ptr

    # ---- any API call (natsrs_jetstream_api_request)
    def api_request(
        self, suffix: str, req: Optional[Dict[str, Any]] = None, timeout: Optional[float] = None
    ) -> Dict[str, Any]:
        """Sends ``req`` (JSON; None for an empty request) to ``<prefix>.<suffix>`` and returns the
        server's JSON reply; an API error raises its nats-py exception. ``timeout`` None: the
        context's timeout."""
        body = json.dumps(req).encode() if req is not None else None
        t = max(1, _core.ms(timeout)) if timeout is not None else 0
        out = c_void_p()
        check(lib.natsrs_jetstream_api_request(self.ptr, suffix.encode(), body, t, byref(out)))
        return dict(json.loads(take_string(out.value) or "{}"))

    # ---- account and streams
    def account_info(self) -> Dict[str, Any]:
        out = c_void_p()
        check(lib.natsrs_jetstream_account_info(self.ptr, byref(out)))
        try:
            return _json_of(lib.natsrs_account_info_json, out.value or 0)
        finally:
            lib.natsrs_account_info_free(out.value)

    def _stream_call(self, fn: Callable[..., int], config: Dict[str, Any]) -> Dict[str, Any]:
        cfg = c_void_p()
        _core.check(lib.natsrs_stream_config_from_json(json.dumps(config).encode(), byref(cfg)))
        info = c_void_p()
        try:
            check(fn(self.ptr, cfg.value, byref(info)))
        finally:
            lib.natsrs_stream_config_free(cfg.value)
        return self._stream_info_json(info.value or 0)

    @staticmethod
    def _stream_info_json(h: int) -> Dict[str, Any]:
        try:
            return _json_of(lib.natsrs_stream_info_json, h)
        finally:
            lib.natsrs_stream_info_free(h)

    def add_stream(self, config: Dict[str, Any]) -> Dict[str, Any]:
        return self._stream_call(lib.natsrs_jetstream_add_stream, config)

    def update_stream(self, config: Dict[str, Any]) -> Dict[str, Any]:
        return self._stream_call(lib.natsrs_jetstream_update_stream, config)

    def stream_info(self, name: str) -> Dict[str, Any]:
        out = c_void_p()
        check(lib.natsrs_jetstream_stream_info(self.ptr, name.encode(), byref(out)))
        return self._stream_info_json(out.value or 0)

    def delete_stream(self, name: str) -> None:
        check(lib.natsrs_jetstream_delete_stream(self.ptr, name.encode()))

    def purge_stream(self, name: str, subject: Optional[str], seq: int, keep: int) -> int:
        purged = c_uint64(0)
        check(
            lib.natsrs_jetstream_purge_stream(
                self.ptr, name.encode(), subject.encode() if subject else None, seq, keep, byref(purged)
            )
        )
        return int(purged.value)

    def stream_names(self, subject: Optional[str] = None) -> List[str]:
        out = c_void_p()
        check(lib.natsrs_jetstream_stream_names_json(self.ptr, subject.encode() if subject else None, byref(out)))
        return [str(x) for x in json.loads(take_string(out.value) or "[]")]

    # ---- consumers
    def _consumer_info_json(self, h: int) -> Dict[str, Any]:
        try:
            return _json_of(lib.natsrs_consumer_info_json, h)
        finally:
            lib.natsrs_consumer_info_free(h)

    def add_consumer(self, stream: str, config: Dict[str, Any], update: bool = False) -> Dict[str, Any]:
        cfg = c_void_p()
        _core.check(lib.natsrs_consumer_config_from_json(json.dumps(config).encode(), byref(cfg)))
        info = c_void_p()
        fn = lib.natsrs_jetstream_update_consumer if update else lib.natsrs_jetstream_add_consumer
        try:
            check(fn(self.ptr, stream.encode(), cfg.value, byref(info)))
        finally:
            lib.natsrs_consumer_config_free(cfg.value)
        return self._consumer_info_json(info.value or 0)

    def consumer_info(self, stream: str, consumer: str) -> Dict[str, Any]:
        out = c_void_p()
        check(lib.natsrs_jetstream_consumer_info(self.ptr, stream.encode(), consumer.encode(), byref(out)))
        return self._consumer_info_json(out.value or 0)

    def delete_consumer(self, stream: str, consumer: str) -> None:
        check(lib.natsrs_jetstream_delete_consumer(self.ptr, stream.encode(), consumer.encode()))

    def consumer_names(self, stream: str) -> List[str]:
        out = c_void_p()
        check(lib.natsrs_jetstream_consumer_names_json(self.ptr, stream.encode(), byref(out)))
        return [str(x) for x in json.loads(take_string(out.value) or "[]")]

    # ---- stored messages
    def get_msg(
        self, stream: str, seq: Optional[int], subject: Optional[str], direct: bool, next: bool = False
    ) -> api.RawStreamMsg:
        """By sequence, the last on ``subject``, or (``next``) the first at ``seq`` or later
        whose subject matches ``subject`` (all subjects when None)."""
        out = c_void_p()
        if next:
            st = lib.natsrs_jetstream_get_next_msg(
                self.ptr, stream.encode(), int(seq or 0), (subject or ">").encode(), direct, byref(out)
            )
        elif subject:  # (nats-py: the subject rules over a sequence)
            st = lib.natsrs_jetstream_get_last_msg(self.ptr, stream.encode(), subject.encode(), direct, byref(out))
        else:
            st = lib.natsrs_jetstream_get_msg(self.ptr, stream.encode(), int(seq or 0), direct, byref(out))
        check_direct(st, direct)
        p = out.value or 0
        try:
            subj, _, data, headers, multi = _core.extract(p)
            stored_seq = c_uint64(0)
            stored_ns = c_int64(0)
            has_seq = lib.natsrs_msg_stored_seq(p, byref(stored_seq)) == OK
            has_time = lib.natsrs_msg_stored_time_ns(p, byref(stored_ns)) == OK
        finally:
            lib.natsrs_msg_free(p)
        h = dict(headers or {})
        # as nats-py's: no stream, and no data (None) for an empty payload
        raw = api.RawStreamMsg(subject=subj, data=data or None)
        if has_seq:
            raw.seq = int(stored_seq.value)
        if has_time:
            raw.time = time_of_ns(int(stored_ns.value))
        if direct:
            # nats-py hands out a direct get's headers as the server sent them, with these
            h.setdefault("Nats-Stream", stream)
            h.setdefault("Nats-Subject", subj)
            if has_seq:
                h.setdefault("Nats-Sequence", str(stored_seq.value))
            if has_time:
                h.setdefault("Nats-Time-Stamp", rfc3339_ns(int(stored_ns.value)))
        elif h:
            raw.hdrs = wire_headers_b64(multi or {k: [v] for k, v in h.items()})
        raw.headers = h or None
        return raw

    def delete_msg(self, stream: str, seq: int, erase: bool) -> None:
        check(lib.natsrs_jetstream_delete_msg(self.ptr, stream.encode(), seq, erase))

    # ---- publish (blocking form; used for messages with headers the options do not cover)
    def publish_msg(self, subject: str, payload: bytes, headers: Dict[str, Any], opts: int) -> api.PubAck:
        m = _core.make_c_msg(subject, None, payload, headers)
        ack = c_void_p()
        try:
            st = lib.natsrs_jetstream_publish_msg(self.ptr, m, opts or None, byref(ack))
            if st != OK:
                raise error(st, publish=True)
        finally:
            lib.natsrs_msg_free(m)
        try:
            return pub_ack_of(ack.value or 0)
        finally:
            lib.natsrs_pub_ack_free(ack.value)


def pub_ack_of(h: int) -> api.PubAck:
    """A PubAck from a borrowed ``natsrs_pub_ack`` (the fields the server sends on a publish)."""
    stream = lib.natsrs_pub_ack_stream(h)
    domain = lib.natsrs_pub_ack_domain(h)
    return api.PubAck(
        stream=stream.decode() if stream else "",
        seq=int(lib.natsrs_pub_ack_seq(h)),
        duplicate=True if lib.natsrs_pub_ack_duplicate(h) else None,  # the server sends it only when true
        domain=domain.decode() if domain else None,
    )


def _release(ptr: int, conn_core: Any) -> None:
    _core.free_later_or_now(_free_js, ptr)


class PublishOptions:
    """``natsrs_js_publish_options`` built from nats-py's publish arguments: the JetStream
    headers the options cover are taken out of ``headers``; what is left must travel as headers."""

    HEADER_SETTERS: Dict[str, Tuple[str, bool]] = {
        api.Header.MSG_ID.value: ("natsrs_js_publish_options_set_msg_id", False),
        api.Header.EXPECTED_STREAM.value: ("natsrs_js_publish_options_set_expected_stream", False),
        api.Header.EXPECTED_LAST_MSG_ID.value: ("natsrs_js_publish_options_set_expected_last_msg_id", False),
        api.Header.EXPECTED_LAST_SEQUENCE.value: ("natsrs_js_publish_options_set_expected_last_seq", True),
        api.Header.EXPECTED_LAST_SUBJECT_SEQUENCE.value: (
            "natsrs_js_publish_options_set_expected_last_subject_seq",
            True,
        ),
    }

    def __init__(self, headers: Optional[Dict[str, Any]], timeout_ms: Optional[int]) -> None:
        o = c_void_p()
        _core.check(lib.natsrs_js_publish_options_create(byref(o)))
        assert o.value is not None
        self.ptr: int = o.value
        self.rest: Dict[str, Any] = {}
        try:
            for k, v in (headers or {}).items():
                key = k.value if isinstance(k, api.Header) else str(k)
                setter = self.HEADER_SETTERS.get(key)
                if setter is None or isinstance(v, (list, tuple)):
                    self.rest[key] = v
                    continue
                name, numeric = setter
                fn = getattr(lib, name)
                _core.check(fn(self.ptr, int(v) if numeric else str(v).encode()))
            if timeout_ms is not None:
                _core.check(lib.natsrs_js_publish_options_set_timeout_ms(self.ptr, max(1, timeout_ms)))
        except BaseException:
            self.free()
            raise

    def free(self) -> None:
        if self.ptr:
            lib.natsrs_js_publish_options_free(self.ptr)
            self.ptr = 0
