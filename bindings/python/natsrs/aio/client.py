"""nats-py's ``nats.aio.client``: the asyncio client.

Nothing here blocks the event loop while it waits: subscriptions are drained in batches when
their notify fd becomes readable; requests go out through the packed publish call and their
replies come back through one muxed inbox subscription drained the same way (``_request``);
flushes use the library's non-blocking flush (its completion callback resolves a future with
``loop.call_soon_threadsafe``). Only ``connect``, ``drain`` and ``close`` hand their (one-off)
blocking library call to the default executor.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import ssl
import threading
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union

from .. import _core, _ffi
from .._conn import ConnCore
from .._core import OK, lib
from .._options import Server, build_options, connect_blocking
from .._pub_batch import bad_subject as _bad_subject
from ..errors import (
    AuthorizationError,
    BadSubjectError,
    ConnectionClosedError,
    ConnectionDrainingError,
    DrainTimeoutError,
    Error,
    InvalidCallbackTypeError,
    IoError,
    NoServersError,
    error_for,
)
from ..errors import TimeoutError as _TimeoutError
from ._client_info import ServerVersion, _ClientInfo
from ._events import AuthNoServersError, _AioEvents, _Completion, conn_error
from ._inline import ENABLED as INLINE_READ
from ._inline import InlineReader
from ._request import RequestMux
from .msg import Msg
from .subscription import DEFAULT_SUB_PENDING_BYTES_LIMIT, DEFAULT_SUB_PENDING_MSGS_LIMIT, Backlog, Subscription
from .subscription import YIELD_EVERY as SUB_YIELD_EVERY

if TYPE_CHECKING:
    from .js.client import JetStreamContext
    from .js.manager import JetStreamManager

__all__ = ["Client", "Server", "ServerVersion", "Callback", "ErrorCallback", "DEFAULT_INBOX_PREFIX"]

log = logging.getLogger("nats.aio.client")
_publish_packed = lib.natsrs_connection_publish_packed
_entry = _core.PACKED_ENTRY.pack
_S = _ffi

DEFAULT_INBOX_PREFIX = b"_INBOX"
DEFAULT_PENDING_SIZE = 2 * 1024 * 1024
DEFAULT_BUFFER_SIZE = 32768
DEFAULT_RECONNECT_TIME_WAIT = 2
DEFAULT_MAX_RECONNECT_ATTEMPTS = 60
DEFAULT_PING_INTERVAL = 120
DEFAULT_MAX_OUTSTANDING_PINGS = 2
DEFAULT_MAX_PAYLOAD_SIZE = 1048576
DEFAULT_MAX_FLUSHER_QUEUE_SIZE = 1024
DEFAULT_FLUSH_TIMEOUT = 10
DEFAULT_CONNECT_TIMEOUT = 2
DEFAULT_DRAIN_TIMEOUT = 30
PUBLISH_BATCH_BYTES = 64 * 1024  # publishes batched in one loop turn are handed over at this size
PUBLISH_YIELD_EVERY = 512  # a publishing task yields to the loop once per this many publishes
PUBLISH_YIELD_BACKLOG = SUB_YIELD_EVERY // 2  # ... while a subscription has a backlog (it drains faster)
SUBJECT_CACHE_SIZE = 1024  # validated, encoded subjects kept for the publish path
_INBOX_PREFIX = "_INBOX."  # reply subjects: used once, so validated but not cached


Callback = Callable[[], Awaitable[None]]
ErrorCallback = Callable[[Exception], Awaitable[None]]
JWTCallback = Callable[[], Union[bytearray, bytes]]
SignatureCallback = Callable[[str], bytes]
TokenCallback = Callable[[], str]
CredentialCallback = Callable[[], str]
ReconnectToServerHandler = Callable[[List[Server], Dict[str, Any]], Tuple[Optional[Server], float]]


def _not_connected(*_: Any) -> None:
    raise ConnectionClosedError()


async def _default_error_callback(ex: Exception) -> None:
    log.error("nats: encountered error", exc_info=ex)


class Client(_ClientInfo):
    """Asyncio client for NATS, with nats-py's API."""

    msg_class = Msg  # nats-py's class attribute (messages are always this class here)

    DISCONNECTED = 0
    CONNECTED = 1
    CLOSED = 2
    RECONNECTING = 3
    CONNECTING = 4
    DRAINING_SUBS = 5
    DRAINING_PUBS = 6

    def __repr__(self) -> str:
        return f"<nats client v{__version__}>"

    def __init__(self) -> None:
        self._core: Optional[ConnCore] = None
        self._events: Optional[_AioEvents] = None
        self._err: Optional[Exception] = None
        self._subs: Dict[int, Subscription] = {}
        self._mux: Optional[RequestMux] = None  # the muxed inbox of requests, made by the first one
        self._inline: Optional[InlineReader] = None  # the loop's reads of the socket (_inline.py)
        # sid -> what runs when an inline read queued messages for that subscription (its notify
        # fd is then not signalled): the subscriptions and the request mux whose fds the loop polls
        self._fd_readers: Dict[int, Callable[[], None]] = {}
        self._closing = False
        # drain() waits for the callback subscriptions before the library drains (is_draining
        # is true, subscribe and request raise ConnectionDrainingError, publish still works)
        self._drain_subs = False
        self._pubs = PUBLISH_YIELD_EVERY  # publishes left before the next yield
        # Publishes of one event-loop turn, packed (natsrs_connection_publish_packed layout) and
        # handed to the library in one call: on the next loop iteration, when PUBLISH_BATCH_BYTES
        # is passed, or before any other operation on the connection.
        # The batch is kept as a list of parts joined once at hand-over: a bytearray grown by
        # appends is copied again at every reallocation (it grows by 1/8), about eight copies of
        # each payload.
        self._pbuf: List[bytes] = []
        self._pbytes = 0  # bytes in _pbuf
        self._pflush_scheduled = False
        self._subjects: Dict[str, bytes] = {}
        # subject -> (size, entry head + subject, bytes of the whole entry)
        self._pheads: Dict[str, Tuple[int, bytes, int]] = {}
        # max_payload, -1 until known and again once closing: the fast publish path runs only
        # for payloads up to it
        self._pub_max = -1
        self._pcount = c_size_t(0)
        self._loop_thread = 0  # the batch belongs to the event loop's thread
        self._call_soon: Callable[..., Any] = _not_connected  # the loop's call_soon once connected
        self._flush_timeout: Optional[float] = None
        self._drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
        self.options: Dict[str, Any] = {}
        self._error_cb: ErrorCallback = _default_error_callback

    async def connect(
        self,
        servers: Union[str, List[str]] = "nats://localhost:4222",
        error_cb: Optional[ErrorCallback] = None,
        disconnected_cb: Optional[Callback] = None,
        closed_cb: Optional[Callback] = None,
        discovered_server_cb: Optional[Callback] = None,
        reconnected_cb: Optional[Callback] = None,
        name: Optional[str] = None,
        pedantic: bool = False,
        verbose: bool = False,
        allow_reconnect: bool = True,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
        reconnect_time_wait: int = DEFAULT_RECONNECT_TIME_WAIT,
        max_reconnect_attempts: int = DEFAULT_MAX_RECONNECT_ATTEMPTS,
        ping_interval: int = DEFAULT_PING_INTERVAL,
        max_outstanding_pings: int = DEFAULT_MAX_OUTSTANDING_PINGS,
        dont_randomize: bool = False,
        flusher_queue_size: int = DEFAULT_MAX_FLUSHER_QUEUE_SIZE,
        no_echo: bool = False,
        tls: Optional[ssl.SSLContext] = None,
        tls_hostname: Optional[str] = None,
        tls_handshake_first: bool = False,
        user: Optional[Union[str, CredentialCallback]] = None,
        password: Optional[Union[str, CredentialCallback]] = None,
        token: Optional[Union[str, TokenCallback]] = None,
        drain_timeout: int = DEFAULT_DRAIN_TIMEOUT,
        signature_cb: Optional[SignatureCallback] = None,
        user_jwt_cb: Optional[JWTCallback] = None,
        user_credentials: Optional[Any] = None,
        nkeys_seed: Optional[str] = None,
        nkeys_seed_str: Optional[str] = None,
        inbox_prefix: Union[str, bytes] = DEFAULT_INBOX_PREFIX,
        pending_size: int = DEFAULT_PENDING_SIZE,
        flush_timeout: Optional[float] = None,
        ws_connection_headers: Optional[Dict[str, List[str]]] = None,
        reconnect_to_server_handler: Optional[ReconnectToServerHandler] = None,
        lame_duck_mode_cb: Optional[Callback] = None,
        skip_subject_validation: bool = False,
        **natsrs_options: Any,
    ) -> None:
        """Connects to a NATS server (nats-py's keyword options; TLS from an ``ssl.SSLContext``:
        its CA certificates and verify mode are used; for a client certificate also pass
        ``tls_cert_file``/``tls_key_file``)."""
        cbs: Dict[str, Any] = {}
        for key, cb in (
            ("error_cb", error_cb),
            ("disconnected_cb", disconnected_cb),
            ("closed_cb", closed_cb),
            ("discovered_server_cb", discovered_server_cb),
            ("reconnected_cb", reconnected_cb),
            ("lame_duck_mode_cb", lame_duck_mode_cb),
        ):
            if cb is None:
                continue
            if not inspect.iscoroutinefunction(cb):
                raise InvalidCallbackTypeError(f"nats: {key} must be a coroutine function")
            cbs[key] = cb
        if "error_cb" not in cbs:
            cbs["error_cb"] = _default_error_callback
        self._error_cb = cbs["error_cb"]
        loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._call_soon = loop.call_soon
        events = _AioEvents(loop, cbs)
        events.client = weakref.ref(self)
        self._flush_timeout = flush_timeout
        self._drain_timeout = drain_timeout
        opts: Dict[str, Any] = dict(
            name=name,
            pedantic=pedantic,
            verbose=verbose,
            allow_reconnect=allow_reconnect,
            connect_timeout=connect_timeout,
            reconnect_time_wait=reconnect_time_wait,
            max_reconnect_attempts=max_reconnect_attempts,
            ping_interval=ping_interval,
            max_outstanding_pings=max_outstanding_pings,
            dont_randomize=dont_randomize,
            no_echo=no_echo,
            tls=tls,
            tls_hostname=tls_hostname,
            tls_handshake_first=tls_handshake_first,
            user=user,
            password=password,
            token=token,
            drain_timeout=drain_timeout,
            signature_cb=signature_cb,
            user_jwt_cb=user_jwt_cb,
            user_credentials=user_credentials,
            nkeys_seed=nkeys_seed,
            nkeys_seed_str=nkeys_seed_str,
            inbox_prefix=inbox_prefix,
            pending_size=pending_size,
        )
        if reconnect_to_server_handler is not None:
            opts["reconnect_to_server_handler"] = reconnect_to_server_handler
        opts.update(natsrs_options)
        self.options = dict(opts, servers=servers)
        built = build_options(servers, events, has=lambda n: n in cbs, **opts)
        try:
            ptr = await loop.run_in_executor(None, connect_blocking, built)
        except BaseException as e:
            built.cleanup_files()
            if isinstance(e, (IoError, _TimeoutError, AuthorizationError)):
                # nats-py: error_cb gets the failed attempt's error, connect raises
                # NoServersError (with nats-py's text; the library's error is the cause)
                events.spawn("error_cb", conn_error(e.status, e.message))
                cause = e
                e = AuthNoServersError() if isinstance(e, AuthorizationError) else NoServersError()
                self._err = e
                await asyncio.sleep(0)
                raise e from cause
            if isinstance(e, Exception):
                self._err = e
                events.spawn("error_cb", e)
                await asyncio.sleep(0)
            raise e
        self._core = ConnCore(ptr, built.temp_files)
        self._events = events
        if INLINE_READ:
            self._inline = InlineReader(self._core, loop, weakref.WeakMethod(self._fd_reader))
            self._inline.attach()

    # ---- helpers
    def _c(self) -> ConnCore:
        """The connection, for an operation: the publishes batched so far go out first."""
        if self._core is None:
            raise ConnectionClosedError()
        if self._pbuf:
            self._flush_pubs()
        return self._core

    def _report_exception(self, exc: BaseException) -> None:
        if self._events is not None:
            self._events.spawn("error_cb", exc)

    def _fd_reader(self, sid: int) -> Optional[Callable[[], None]]:
        """What runs when an inline read queued messages for subscription ``sid`` (None: no
        notify fd of it is polled, nobody waits for the signal)."""
        return self._fd_readers.get(sid)

    def _remove_sub(self, sub: Subscription) -> None:
        self._subs.pop(sub._id, None)

    # ---- publish batching
    def _subject_bytes(self, subject: str, what: str = "publish") -> bytes:
        """The encoded subject, checked as the library checks a publish subject (so that a bad
        subject raises here, not when the batch is handed over)."""
        b = self._subjects.get(subject)
        if b is not None:
            return b
        if _bad_subject(subject):
            raise error_for(_S.NATSRS_STATUS_INVALID_SUBJECT, f"invalid {what} subject '{subject}'")
        b = subject.encode()
        if subject.startswith(_INBOX_PREFIX):
            return b
        if len(self._subjects) >= SUBJECT_CACHE_SIZE:
            self._subjects.clear()
            self._pheads.clear()
        self._subjects[subject] = b
        return b

    def _max_payload(self, core: ConnCore) -> int:
        """The server's max_payload (cached until a reconnect); the fast publish path takes
        payloads up to it."""
        mp = self._pub_max
        if mp < 0:
            mp = self._pub_max = core.max_payload() or DEFAULT_MAX_PAYLOAD_SIZE
        return mp

    def _flush_pubs(self) -> None:
        """Hands the batched publishes to the library (one natsrs_connection_publish_packed call).
        Runs on the next loop iteration after the first publish of a batch, and first thing in
        every other operation, so the wire order is the call order. A refused entry (the
        connection closed meanwhile, the reconnect buffer is full, ...) is reported to
        ``error_cb`` and ``last_error``; the entries after it are still published, as separate
        publishes would be."""
        if threading.get_ident() != self._loop_thread:
            return  # off the loop (a property read from another thread): the scheduled call flushes
        self._pflush_scheduled = False
        buf = self._pbuf
        if not buf:
            return
        self._pbuf = []
        self._pbytes = 0
        core = self._core
        if core is None:
            return
        data = b"".join(buf)
        off, end = 0, len(data)
        count = self._pcount
        while off < end:
            st = _publish_packed(core.ptr, data[off:] if off else data, end - off, byref(count))
            if st == OK:
                return
            err = _core.raise_status(st)
            self._err = err
            self._report_exception(err)
            if st in (_S.NATSRS_STATUS_CONNECTION_CLOSED, _S.NATSRS_STATUS_INVALID_ARGUMENT):
                return  # nothing after it can be published
            # skip the published entries and the refused one
            for _ in range(int(count.value) + 1):
                if off >= end:
                    break
                sl, rl, hl, dl = _core.PACKED_ENTRY.unpack_from(data, off)
                off += _core.PACKED_ENTRY_LEN + sl + rl + hl + dl

    # ---- API
    async def publish(
        self, subject: str, payload: bytes = b"", reply: str = "", headers: Optional[Dict[str, str]] = None
    ) -> None:
        """Publishes a message (buffered, as nats-py: ``flush()`` waits until the server has it).

        Publishes made in one event-loop turn are packed and handed to the library together on the
        next loop iteration (or once ``PUBLISH_BATCH_BYTES`` are waiting, or before the next
        subscribe, request, flush, drain or close on this client), so the order on the wire is the
        call order. A bad subject, a payload over ``max_payload`` and a closed connection raise
        here; a failure found when the batch is handed over (the connection closed in between,
        the reconnect buffer is full) goes to ``error_cb`` and ``last_error``, as nats-py reports
        errors of its buffered writes."""
        n = len(payload)
        head = self._pheads.get(subject)
        if head is None or head[0] != n or n > self._pub_max or reply or headers:  # _pub_max: -1 unless open
            sb = self._subjects.get(subject)
            if sb is None or n > self._pub_max or reply or headers:
                self._publish_checked(subject, payload, reply, headers)
                head = None
            else:  # the packed entry head + subject, kept for the next publish of this size
                hb = _entry(len(sb), 0, 0, n) + sb
                head = self._pheads[subject] = (n, hb, len(hb) + n)
        if head is not None:
            if type(payload) is not bytes:
                payload = bytes(payload)  # the caller may reuse its buffer before the hand-over
            buf = self._pbuf
            buf.append(head[1])
            buf.append(payload)
            nb = self._pbytes = self._pbytes + head[2]
            if nb >= PUBLISH_BATCH_BYTES:
                self._flush_pubs()
            elif not self._pflush_scheduled:
                self._pflush_scheduled = True
                self._call_soon(self._flush_pubs)
        self._pubs -= 1
        if not self._pubs:
            # The library takes the message without waiting, so a publishing loop would never let
            # other tasks (subscription consumers, the batch hand-over) run: yield once in a while.
            self._pubs = PUBLISH_YIELD_BACKLOG if Backlog.pressed else PUBLISH_YIELD_EVERY
            await asyncio.sleep(0)

    def _publish_checked(self, subject: str, payload: bytes, reply: str, headers: Optional[Dict[str, str]]) -> None:
        """The publish path with every check: a new subject, a reply subject, headers, a large
        payload, a closed connection."""
        core = self._core
        ev = self._events
        if core is None or core.closed or (ev is not None and ev.closed.is_set()):  # (closed by us or the library)
            raise ConnectionClosedError()
        if headers:
            self._flush_pubs()
            core.publish(subject, payload, reply, headers)
            return
        sb = self._subject_bytes(subject)
        n = len(payload)
        mp = self._max_payload(core)
        if n > mp:
            from ..errors import MaxPayloadError

            raise MaxPayloadError(f"payload of {n} bytes exceeds the server's max_payload of {mp}")
        buf = self._pbuf
        if type(payload) is not bytes:
            payload = bytes(payload)  # the caller may reuse its buffer before the hand-over
        if reply:
            rb = self._subject_bytes(reply, "reply")
            buf.append(_entry(len(sb), len(rb), 0, n) + sb + rb)
            self._pbytes += _core.PACKED_ENTRY_LEN + len(sb) + len(rb) + n
        else:
            buf.append(_entry(len(sb), 0, 0, n) + sb)
            self._pbytes += _core.PACKED_ENTRY_LEN + len(sb) + n
        buf.append(payload)
        if self._pbytes >= PUBLISH_BATCH_BYTES:
            self._flush_pubs()
        elif not self._pflush_scheduled:
            self._pflush_scheduled = True
            self._call_soon(self._flush_pubs)

    async def subscribe(
        self,
        subject: str,
        queue: str = "",
        cb: Optional[Callable[[Msg], Awaitable[None]]] = None,
        future: Optional["asyncio.Future[Msg]"] = None,
        max_msgs: int = 0,
        pending_msgs_limit: int = DEFAULT_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_SUB_PENDING_BYTES_LIMIT,
    ) -> Subscription:
        """Subscribes. With ``cb`` (a coroutine function) messages are processed in order by one
        task; without it use ``sub.next_msg()`` or ``async for msg in sub.messages``."""
        if not subject:
            raise BadSubjectError()
        if cb is not None and not inspect.iscoroutinefunction(cb):
            if not (hasattr(cb, "func") and inspect.iscoroutinefunction(cb.func)):
                raise Error("nats: must use coroutine for subscriptions")
        core = self._c()
        p = core.require_open()
        if self._drain_subs:
            raise ConnectionDrainingError()
        out = c_void_p()
        if queue:
            st = lib.natsrs_connection_queue_subscribe_sync(p, subject.encode(), queue.encode(), byref(out))
        else:
            st = lib.natsrs_connection_subscribe_sync(p, subject.encode(), byref(out))
        if st != OK:
            e = _core.raise_status(st)
            raise BadSubjectError(str(e), st) if isinstance(e, BadSubjectError) else e  # nats-py's class
        assert out.value is not None
        ptr = out.value
        if pending_msgs_limit or pending_bytes_limit:
            lib.natsrs_subscription_set_pending_limits(
                ptr,
                pending_msgs_limit if pending_msgs_limit > 0 else -1,
                pending_bytes_limit if pending_bytes_limit > 0 else -1,
            )
        if max_msgs > 0:
            lib.natsrs_subscription_auto_unsubscribe(ptr, max_msgs)
        try:
            sub = Subscription(self, ptr, subject, queue, cb, future, max_msgs, pending_msgs_limit, pending_bytes_limit)
        except BaseException:
            lib.natsrs_subscription_free(ptr)
            raise
        self._subs[sub._id] = sub
        if self._events is not None:
            self._events.subs[ptr] = sub
        return sub

    async def request(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: float = 0.5,
        old_style: bool = False,
        headers: Optional[Dict[str, Any]] = None,
    ) -> Msg:
        """Sends a request and awaits the first reply (``TimeoutError`` after ``timeout``
        seconds, ``NoRespondersError`` when nobody listens). Replies come through one muxed
        inbox subscription drained on the loop (see ``_request``); cancelling the awaiting task
        forgets the request."""
        if not subject:
            raise BadSubjectError()
        core = self._c()
        p = core.require_open()
        if self._drain_subs:
            raise ConnectionDrainingError()
        mux = self._mux
        if mux is None:
            mux = self._mux = RequestMux(self, asyncio.get_running_loop())
        return await mux.request(p, self._subject_bytes(subject, "request"), payload, timeout, headers)

    def new_inbox(self) -> str:
        """A unique inbox subject (with the connection's inbox prefix)."""
        return self._c().new_inbox()

    async def flush(self, timeout: int = DEFAULT_FLUSH_TIMEOUT) -> None:
        """Waits until the server has processed everything sent before (``FlushTimeoutError``
        after ``timeout`` seconds)."""
        if timeout is None or timeout <= 0:
            from ..errors import BadTimeoutError

            raise BadTimeoutError()
        core = self._c()
        p = core.require_open()
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[None]" = loop.create_future()
        key = _core.register(_Completion(loop, fut, None, flush=True))
        ms = max(1, _core.ms(timeout))  # (a timeout under 1 ms is 1 ms, not none)
        st = lib.natsrs_connection_flush_async(p, ms, _core.STATUS_HANDLER, key, _core.USERDATA_FREE)
        if st != OK:
            err = _core.raise_status(st)
            _core.unregister(key)
            raise err
        await fut

    async def rtt(self, timeout: int = DEFAULT_FLUSH_TIMEOUT) -> float:
        """Round-trip time to the server in seconds (a PING/PONG)."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await self.flush(timeout)
        return loop.time() - t0

    async def drain(self) -> None:
        """Drains every subscription (messages already received are processed), flushes, then
        closes. A drain that does not finish in ``drain_timeout`` is reported to ``error_cb``."""
        if self.is_closed:
            raise ConnectionClosedError()
        core = self._c()
        if self._closing:
            return
        self._closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._drain_timeout
        self._drain_subs = True
        try:
            await self._drain_callback_subs(self._drain_timeout)
        finally:
            self._drain_subs = False
        try:
            left = max(0.001, deadline - loop.time())
            await loop.run_in_executor(None, core.drain, _core.ms(left))
        except DrainTimeoutError as e:
            self._report_exception(e)
        except ConnectionClosedError:
            pass
        await self._finish_close()

    async def _drain_callback_subs(self, timeout: float) -> None:
        """Drains the callback subscriptions and waits (up to ``timeout``) until their callbacks
        have run for every message they had, as nats-py does before it drains the publishes: a
        callback still running can publish (a reply, an ack) before the connection closes."""
        subs = [s for s in list(self._subs.values()) if s._cb is not None and not s._closed]
        if not subs:
            return
        waits = [asyncio.ensure_future(s.drain()) for s in subs]
        done, _ = await asyncio.wait(waits, timeout=max(0.001, timeout))
        for w in done:
            if not w.cancelled():
                w.exception()  # (retrieved: a subscription that ended meanwhile is fine)

    async def close(self) -> None:
        """Closes the connection: subscriptions stop, pending requests fail, then
        ``disconnected_cb`` and ``closed_cb`` run."""
        core = self._core
        if core is None or core.closed and self._events is not None and self._events.closed.is_set():
            return
        self._flush_pubs()
        self._closing = True
        self._pub_max = -1  # publishes take the checked path (which sees the closed connection)
        if self._inline is not None:
            self._inline.close()
        if not core.closed:
            await asyncio.get_running_loop().run_in_executor(None, core.close)
        await self._finish_close()

    async def _finish_close(self) -> None:
        self._pub_max = -1  # (a publish during the close may have set it again)
        if self._inline is not None:
            self._inline.close()
        for sub in list(self._subs.values()):
            sub._stop_processing()
        self._subs.clear()
        if self._mux is not None:
            self._mux.end()
        ev = self._events
        if ev is not None:
            try:
                await asyncio.wait_for(ev.closed.wait(), 5)
            except asyncio.TimeoutError:
                pass
            # let the event callbacks (disconnected_cb, closed_cb) finish, as nats-py does
            for _ in range(3):
                tasks = [t for t in ev.tasks if not t.done()]
                if not tasks:
                    break
                await asyncio.wait(tasks, timeout=5)

    async def force_reconnect(self) -> None:
        self._c().force_reconnect()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def jetstream(self, **opts: Any) -> "JetStreamContext":
        """A JetStream context (``prefix``, ``domain``, ``timeout``, ``publish_async_max_pending``)."""
        from .js.client import JetStreamContext

        return JetStreamContext(self, **opts)

    def jsm(self, **opts: Any) -> "JetStreamManager":
        """A JetStream manager (``prefix``, ``domain``, ``timeout``)."""
        from .js.manager import JetStreamManager

        return JetStreamManager(self, **opts)


__version__ = "natsrs"
