"""The blocking, thread-safe API: ``natsrs.connect(...)`` returns a :class:`Client`.

Message callbacks run on a library delivery thread (a subscription sticks to one), one message at a
time, in order; event callbacks (``error_cb``, ``disconnected_cb``, ...) run on the connection's
event thread. Callbacks are plain functions here (the asyncio API in ``natsrs.aio`` takes
coroutine functions). Times are seconds (float), as in nats-py.
"""

from __future__ import annotations

import collections
import threading
import weakref
from ctypes import byref, c_int64, c_size_t, c_uint64, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, Iterator, List, Optional, Sequence, Union

from . import _core, _ffi, _pub_batch
from ._blocking_msg import Msg
from ._conn import ConnCore
from ._core import OK, check, lib
from ._options import Events, build_options, connect_blocking
from ._pub_batch import PubBatch
from .errors import (
    BadSubscriptionError,
    ConnectionClosedError,
    Error,
    SlowConsumerError,
    UseAfterCloseError,
)

if TYPE_CHECKING:
    from .js import JetStreamContext, JetStreamManager

__all__ = [
    "Client",
    "Msg",
    "Subscription",
    "connect",
    "DEFAULT_SUB_PENDING_MSGS_LIMIT",
    "DEFAULT_SUB_PENDING_BYTES_LIMIT",
]

DEFAULT_SUB_PENDING_MSGS_LIMIT = 512 * 1024
DEFAULT_SUB_PENDING_BYTES_LIMIT = 128 * 1024 * 1024
_S = _ffi
_FOREVER_MS = 3_600_000  # "no timeout": waits are repeated in chunks of this

Callback = Callable[[], None]
ErrorCallback = Callable[[Exception], None]


class _BlockingEvents(Events):
    def __init__(self, cbs: Dict[str, Any]) -> None:
        self.cbs = cbs
        self.core: Optional[weakref.ref[ConnCore]] = None
        self.subs: "weakref.WeakValueDictionary[int, Subscription]" = weakref.WeakValueDictionary()

    def _call(self, name: str, *args: Any) -> None:
        cb = self.cbs.get(name)
        if cb is not None:
            cb(*args)

    def on_error(self, exc: Error, sub_ptr: int) -> None:
        core = self.core() if self.core else None
        if core is not None:
            core.errors_received += 1
        if isinstance(exc, SlowConsumerError) and sub_ptr:
            sub = self.subs.get(sub_ptr)
            exc.sub = sub
            if sub is not None:
                exc.subject = sub.subject
                exc.sid = sub.sid
        self._call("error_cb", exc)

    def _linked(self, up: bool) -> None:
        core = self.core() if self.core else None
        if core is not None and core.batch is not None:
            core.batch.linked(core.max_payload() if up else 0)

    def on_disconnected(self, status: int, text: str) -> None:
        self._linked(False)  # publishes go directly until reconnected
        self._call("disconnected_cb")

    def on_reconnected(self) -> None:
        self._linked(True)
        self._call("reconnected_cb")

    def on_closed(self) -> None:
        self._call("closed_cb")

    def on_discovered(self) -> None:
        self._call("discovered_server_cb")

    def on_lame_duck(self) -> None:
        self._call("lame_duck_mode_cb")

    def on_connected(self) -> None:
        self._linked(True)
        self._call("connected_cb")

    def report_exception(self, exc: BaseException) -> None:
        cb = self.cbs.get("error_cb")
        if cb is None:
            _core.log.error("natsrs: exception in a callback (no error_cb set)", exc_info=exc)
            return
        cb(exc)


class _SubTarget:
    """Registry entry of a callback subscription (not the user-facing object, so dropping the
    Subscription never leaks through the registry)."""

    __slots__ = ("cb", "events", "client_ref", "extractor", "__weakref__")

    def __init__(self, cb: Callable[[Msg], Any], events: Events, client: "Client") -> None:
        self.cb = cb
        self.events = events
        self.client_ref = weakref.ref(client)
        self.extractor = _core.BatchExtractor()  # a subscription's handler never runs twice at once

    def on_msg(self, p: int) -> None:
        client = self.client_ref()
        b = client._core.batch if client is not None else None
        if b is None:
            self.cb(self.extractor.one(p, lambda s, r, d, h, m: Msg(client, s, r, d, h, m)))
            return
        b.enter_handler()  # its publishes (a reply) go out at once, unbatched
        try:
            self.cb(self.extractor.one(p, lambda s, r, d, h, m: Msg(client, s, r, d, h, m)))
        finally:
            b.leave_handler()


def _free_sub(ptr: int) -> None:
    lib.natsrs_subscription_free(ptr)


class Subscription:
    """A subscription. With a callback, messages go to it; without one, receive them with
    :meth:`next_msg` or by iterating. ``close()`` (or leaving a ``with`` block) unsubscribes and
    releases the handle."""

    def __init__(
        self, client: "Client", ptr: int, subject: str, queue: str, cb: Optional[Callable[[Msg], Any]]
    ) -> None:
        self._client = client
        self._guard = _core.HandleGuard(ptr, _free_sub)
        self._finalizer = weakref.finalize(self, _core.HandleGuard.finalize, self._guard)
        self._subject = subject
        self._queue = queue
        self._cb = cb
        self._sid = int(lib.natsrs_subscription_sid(ptr))
        self._local: Deque[Msg] = collections.deque()  # received by next_msgs beyond its max_msgs
        self._reader: Optional[_core.PackedReader] = None  # made by the first next_msgs
        self._rlock = threading.Lock()  # one next_msgs batch read at a time uses the reader

    def _acq(self) -> int:
        b = self._client._core.batch
        if b is not None and b.buf:
            b.hand_over()  # publishes made before go out before this subscription's call
        return self._guard.acquire(UseAfterCloseError)

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def queue(self) -> str:
        return self._queue

    @property
    def sid(self) -> int:
        return self._sid

    def next_msg(self, timeout: Optional[float] = 1.0) -> Msg:
        """Waits up to ``timeout`` seconds (None: forever) for the next message.
        Raises TimeoutError, or ConnectionClosedError / BadSubscriptionError once it ended."""
        if self._cb is not None:
            raise Error("nats: next_msg cannot be used in async subscriptions")
        if self._local:
            try:
                return self._local.popleft()  # left over from a next_msgs batch
            except IndexError:
                pass
        p = self._acq()
        try:
            out = c_void_p()
            while True:
                st = lib.natsrs_subscription_next_msg(p, _core.ms(timeout, _FOREVER_MS), byref(out))
                if st != _S.NATSRS_STATUS_TIMEOUT or timeout is not None:
                    break
            if st != OK:
                raise _core.raise_status(st)
            assert out.value is not None
            try:
                subject, reply, data, headers, multi = _core.extract(out.value)
            finally:
                lib.natsrs_msg_free(out.value)
        finally:
            self._guard.release()
        return Msg(self._client, subject, reply, data, headers, multi, self._sid)

    def next_msgs(self, max_msgs: int = 256, timeout: Optional[float] = 1.0) -> List[Msg]:
        """Waits up to ``timeout`` for the first message, then returns it with up to
        ``max_msgs - 1`` more that are already queued. One library call for the batch
        (natsrs_subscription_next_packed into a reusable buffer); messages of that call beyond
        ``max_msgs`` are kept here and come first in the next ``next_msg``/``next_msgs``."""
        if max_msgs <= 0:
            return self._next_msgs_handles(max_msgs, timeout)  # the library's argument error
        local = self._local
        if local:
            out: List[Msg] = []
            try:
                while len(out) < max_msgs:
                    out.append(local.popleft())
            except IndexError:
                pass
            if out:
                return out
        if not self._rlock.acquire(blocking=False):
            return self._next_msgs_handles(max_msgs, timeout)  # another thread reads a batch
        try:
            p = self._acq()
            try:
                t = _core.ms(timeout, _FOREVER_MS)
                reader = self._reader
                if reader is None:
                    reader = self._reader = _core.PackedReader()
                while True:
                    st, raw, n = reader.read(p, t)
                    if st != _S.NATSRS_STATUS_TIMEOUT or timeout is not None:
                        break
                if st != OK:
                    raise _core.raise_status(st)
            finally:
                self._guard.release()
            msgs = _core.unpack_msgs(raw, Msg, self._client, self._sid)
            if len(msgs) > max_msgs:
                local.extend(msgs[max_msgs:])
                del msgs[max_msgs:]
            return msgs
        finally:
            self._rlock.release()

    def _next_msgs_handles(self, max_msgs: int, timeout: Optional[float]) -> List[Msg]:
        p = self._acq()
        try:
            arr = (c_void_p * max_msgs)()
            n = c_size_t(0)
            while True:
                st = lib.natsrs_subscription_next_msgs(p, max_msgs, _core.ms(timeout, _FOREVER_MS), arr, byref(n))
                if st != _S.NATSRS_STATUS_TIMEOUT or timeout is not None:
                    break
            if st != OK:
                raise _core.raise_status(st)
            sid, client = self._sid, self._client
            return _core.BatchExtractor().run(arr, n.value, lambda s, r, d, h, m: Msg(client, s, r, d, h, m, sid))
        finally:
            self._guard.release()

    def __iter__(self) -> Iterator[Msg]:
        """Yields messages until the subscription ends (unsubscribed, auto-unsubscribe limit,
        drained or connection closed)."""
        while True:
            try:
                yield self.next_msg(timeout=None)
            except (ConnectionClosedError, BadSubscriptionError, UseAfterCloseError):
                return
            except SlowConsumerError:
                continue

    def unsubscribe(self, limit: int = 0) -> None:
        """Unsubscribes now, or after ``limit`` messages in total when ``limit > 0``."""
        if self._guard.closed:
            raise BadSubscriptionError()
        p = self._acq()
        try:
            if limit > 0:
                check(lib.natsrs_subscription_auto_unsubscribe(p, limit))
                return
            check(lib.natsrs_subscription_unsubscribe(p))
        finally:
            self._guard.release()
        if limit <= 0:
            self._client._forget(self)

    def drain(self, timeout: Optional[float] = 30.0) -> None:
        """Removes interest, delivers what already arrived, then ends; waits up to ``timeout``."""
        p = self._acq()
        try:
            check(lib.natsrs_subscription_drain(p))
            if self._cb is not None:
                check(lib.natsrs_subscription_drain_wait(p, _core.ms(timeout, _FOREVER_MS)))
        finally:
            self._guard.release()

    def set_pending_limits(self, msgs: int, bytes_: int) -> None:
        p = self._acq()
        try:
            check(lib.natsrs_subscription_set_pending_limits(p, msgs, bytes_))
        finally:
            self._guard.release()

    def _pending(self) -> "tuple[int, int]":
        p = self._acq()
        try:
            m, b = c_int64(0), c_int64(0)
            check(lib.natsrs_subscription_pending(p, byref(m), byref(b)))
            local = list(self._local)
            return int(m.value) + len(local), int(b.value) + sum(len(x.data) for x in local)
        finally:
            self._guard.release()

    @property
    def pending_msgs(self) -> int:
        return self._pending()[0]

    @property
    def pending_bytes(self) -> int:
        return self._pending()[1]

    def _u64(self, fn: Callable[..., int]) -> int:
        p = self._acq()
        try:
            out = c_uint64(0)
            check(fn(p, byref(out)))
            return int(out.value)
        finally:
            self._guard.release()

    @property
    def delivered(self) -> int:
        return self._u64(lib.natsrs_subscription_delivered) - len(self._local)

    @property
    def dropped(self) -> int:
        return self._u64(lib.natsrs_subscription_dropped)

    @property
    def is_valid(self) -> bool:
        if self._guard.closed:
            return False
        p = self._acq()
        try:
            return bool(lib.natsrs_subscription_is_valid(p))
        finally:
            self._guard.release()

    def close(self) -> None:
        """Unsubscribes (if still active) and releases the handle. Idempotent. A ``next_msg``
        blocked in another thread returns (BadSubscriptionError) and the handle is released after it."""
        if not self._guard.closed:
            try:
                p = self._guard.acquire(UseAfterCloseError)
            except UseAfterCloseError:
                p = 0
            if p:
                try:
                    lib.natsrs_subscription_unsubscribe(p)
                finally:
                    self._guard.release()
        self._guard.close()
        self._client._forget(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<natsrs.Subscription subject='{self._subject}' queue='{self._queue}' sid={self._sid}>"


class Client:
    """A blocking connection. Create with :func:`connect`. Thread-safe."""

    def __init__(self, core: ConnCore, events: _BlockingEvents, opts: Dict[str, Any]) -> None:
        self._core = core
        self._events = events
        self._opts = opts
        self._subs: Dict[int, Subscription] = {}
        self._subs_lock = threading.Lock()
        # plain publishes are batched (natsrs/_pub_batch.py), when enabled
        if _pub_batch.ENABLED:
            batch = core.batch = PubBatch(core, events.report_exception)
            if core.status() == _S.NATSRS_CONNECTION_STATUS_CONNECTED:
                batch.linked(core.max_payload())
            # the same as the method below, one Python call fewer per publish
            self.publish = batch.publish  # type: ignore[method-assign]

    # ---- publish / subscribe / request
    def publish(
        self, subject: str, payload: bytes = b"", reply: str = "", headers: Optional[Dict[str, Any]] = None
    ) -> None:
        """Publishes ``payload`` (buffered; :meth:`flush` waits until the server has it).

        A plain publish (no reply, no headers, payload up to 256 bytes) while connected is appended
        to the connection's buffer, which a flusher thread hands to the library (a publisher
        that fills 64 KiB hands it over itself); anything else done with the connection hands
        the buffer over first, so the wire order is the call order. Errors of the call itself
        (closed connection, bad subject, payload over ``max_payload``) raise here; a failure
        found only at hand-over goes to ``error_cb`` and ``last_error``."""
        b = self._core.batch
        if b is not None:
            b.publish(subject, payload, reply, headers)
        else:
            self._core.publish(subject, payload, reply, headers)

    def subscribe(
        self,
        subject: str,
        queue: str = "",
        cb: Optional[Callable[[Msg], Any]] = None,
        max_msgs: int = 0,
        pending_msgs_limit: int = DEFAULT_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_SUB_PENDING_BYTES_LIMIT,
    ) -> Subscription:
        """Subscribes. With ``cb`` the callback runs on a library delivery thread, in order;
        without it use ``next_msg`` / iteration. ``max_msgs`` > 0 auto-unsubscribes after that many."""
        p = self._core.require_open()
        out = c_void_p()
        s, q = subject.encode(), queue.encode() if queue else None
        key = 0
        if cb is not None:
            target = _SubTarget(cb, self._events, self)
            key = _core.register(target)
            if q:
                st = lib.natsrs_connection_queue_subscribe(
                    p, s, q, _core.MSG_HANDLER, key, _core.USERDATA_FREE, byref(out)
                )
            else:
                st = lib.natsrs_connection_subscribe(p, s, _core.MSG_HANDLER, key, _core.USERDATA_FREE, byref(out))
        elif q:
            st = lib.natsrs_connection_queue_subscribe_sync(p, s, q, byref(out))
        else:
            st = lib.natsrs_connection_subscribe_sync(p, s, byref(out))
        if st != OK:
            err = _core.raise_status(st)
            if key:
                _core.unregister(key)  # the library did not take the userdata
            raise err
        assert out.value is not None
        sub = Subscription(self, out.value, subject, queue, cb)
        try:
            if pending_msgs_limit or pending_bytes_limit:
                sub.set_pending_limits(
                    pending_msgs_limit if pending_msgs_limit > 0 else -1,
                    pending_bytes_limit if pending_bytes_limit > 0 else -1,
                )
            if max_msgs > 0:
                sub.unsubscribe(limit=max_msgs)
        except BaseException:
            sub.close()
            raise
        with self._subs_lock:
            self._subs[sub.sid] = sub
        self._events.subs[out.value] = sub
        return sub

    def _forget(self, sub: Subscription) -> None:
        with self._subs_lock:
            self._subs.pop(sub.sid, None)

    def request(
        self, subject: str, payload: bytes = b"", timeout: float = 0.5, headers: Optional[Dict[str, Any]] = None
    ) -> Msg:
        """Sends a request and waits up to ``timeout`` seconds for the reply.
        Raises NoRespondersError when nobody listens, TimeoutError on timeout."""
        p = self._core.require_open()
        out = c_void_p()
        t = _core.ms(timeout)
        if headers:
            m = _core.make_c_msg(subject, None, payload, headers)
            try:
                st = lib.natsrs_connection_request_msg(p, m, t, byref(out))
                if st != OK:
                    raise _core.raise_status(st)
            finally:
                lib.natsrs_msg_free(m)
        else:
            st = lib.natsrs_connection_request(p, subject.encode(), payload, len(payload), t, byref(out))
            if st != OK:
                raise _core.raise_status(st)
        assert out.value is not None
        try:
            subj, reply, data, hdrs, multi = _core.extract(out.value)
        finally:
            lib.natsrs_msg_free(out.value)
        return Msg(self, subj, reply, data, hdrs, multi)

    def new_inbox(self) -> str:
        return self._core.new_inbox()

    def flush(self, timeout: float = 10) -> None:
        """Waits up to ``timeout`` seconds until the server has processed everything sent before."""
        self._core.flush(_core.ms(timeout))

    def rtt(self) -> float:
        """Round-trip time to the server, in seconds."""
        return self._core.rtt_ms() / 1000.0

    def drain(self, timeout: Optional[float] = None) -> None:
        """Lets subscriptions deliver what already arrived, flushes, then closes."""
        t = timeout if timeout is not None else float(self._opts.get("drain_timeout", 30))
        self._core.drain(_core.ms(t))

    def close(self) -> None:
        """Closes the connection (idempotent). Subscriptions end; the handles are released when
        their objects go away."""
        self._core.close()
        with self._subs_lock:
            self._subs.clear()

    def jetstream(self, **opts: Any) -> "JetStreamContext":
        """A JetStream context (``prefix``, ``domain``, ``timeout``, ``publish_async_max_pending``)."""
        from .js import JetStreamContext

        return JetStreamContext(self, **opts)

    def jsm(self, **opts: Any) -> "JetStreamManager":
        """A JetStream manager (``prefix``, ``domain``, ``timeout``)."""
        from .js import JetStreamManager

        return JetStreamManager(self, **opts)

    def force_reconnect(self) -> None:
        self._core.force_reconnect()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- properties
    @property
    def is_closed(self) -> bool:
        return self._core.status() == _S.NATSRS_CONNECTION_STATUS_CLOSED

    @property
    def is_connected(self) -> bool:
        return self._core.status() in (
            _S.NATSRS_CONNECTION_STATUS_CONNECTED,
            _S.NATSRS_CONNECTION_STATUS_DRAINING_SUBS,
            _S.NATSRS_CONNECTION_STATUS_DRAINING_PUBS,
        )

    @property
    def is_reconnecting(self) -> bool:
        return self._core.status() == _S.NATSRS_CONNECTION_STATUS_RECONNECTING

    @property
    def is_connecting(self) -> bool:
        return self._core.status() == _S.NATSRS_CONNECTION_STATUS_CONNECTING

    @property
    def is_draining(self) -> bool:
        return self._core.status() in (
            _S.NATSRS_CONNECTION_STATUS_DRAINING_SUBS,
            _S.NATSRS_CONNECTION_STATUS_DRAINING_PUBS,
        )

    @property
    def connected_url(self) -> Optional[str]:
        return self._core.connected_url()

    @property
    def servers(self) -> List[str]:
        return self._core.servers()

    @property
    def discovered_servers(self) -> List[str]:
        return self._core.discovered_servers()

    @property
    def max_payload(self) -> int:
        return self._core.max_payload()

    @property
    def client_id(self) -> Optional[int]:
        cid = self._core.server_info().get("client_id")
        return int(cid) if cid is not None else None

    @property
    def server_info(self) -> Dict[str, Any]:
        return self._core.server_info()

    @property
    def last_error(self) -> Optional[Exception]:
        b = self._core.batch
        if b is not None and isinstance(b.last_error, Exception) and self._core.errors_received <= b.last_error_at:
            return b.last_error  # a hand-over's failure, newer than the library's last error
        return self._core.last_error()

    @property
    def stats(self) -> Dict[str, int]:
        return self._core.stats()


def connect(
    servers: Union[str, Sequence[str]] = "nats://localhost:4222",
    *,
    error_cb: Optional[ErrorCallback] = None,
    disconnected_cb: Optional[Callback] = None,
    closed_cb: Optional[Callback] = None,
    discovered_server_cb: Optional[Callback] = None,
    reconnected_cb: Optional[Callback] = None,
    lame_duck_mode_cb: Optional[Callback] = None,
    connected_cb: Optional[Callback] = None,
    **options: Any,
) -> Client:
    """Connects (blocking) and returns a :class:`Client`. Keyword options are nats-py's
    (``name``, ``user``, ``password``, ``token``, ``user_credentials``, ``nkeys_seed``,
    ``allow_reconnect``, ``max_reconnect_attempts``, ``reconnect_time_wait``, ...) plus
    ``tls_ca_file``, ``tls_cert_file``, ``tls_key_file``, ``tls_hostname``, ``retry_on_failed_connect``."""
    cbs = {
        k: v
        for k, v in dict(
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            closed_cb=closed_cb,
            discovered_server_cb=discovered_server_cb,
            reconnected_cb=reconnected_cb,
            lame_duck_mode_cb=lame_duck_mode_cb,
            connected_cb=connected_cb,
        ).items()
        if v is not None
    }
    events = _BlockingEvents(cbs)
    built = build_options(servers, events, has=lambda n: n in cbs, **options)
    try:
        ptr = connect_blocking(built)
    except BaseException:
        built.cleanup_files()
        raise
    core = ConnCore(ptr, built.temp_files)
    events.core = weakref.ref(core)
    return Client(core, events, options)
