"""JetStream for the blocking API: ``nc.jetstream()`` / ``nc.jsm()`` on a ``natsrs.Client`` give
nats-py's JetStream names as blocking, thread-safe calls on libnatsrs's JetStream C API
(configs, infos and errors are ``natsrs.aio.js.api`` / ``natsrs.aio.js.errors``). The asyncio
manager (``natsrs.aio.js.manager``) runs these same calls in a thread pool.
"""

from __future__ import annotations

import concurrent.futures
import threading
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set

from . import _core, _ffi
from ._core import OK, lib
from ._jsm_api import ApiCallsMixin
from ._jsm_api import validate_name as validate_name
from ._stores import StoresMixin
from .aio.js import _c, api
from .aio.js.errors import APIError, BadRequestError, FetchTimeoutError, NotFoundError, TooManyStalledMsgsError
from .aio.js.errors import Error as JsError
from .errors import BadSubscriptionError, ConnectionClosedError, Error, TimeoutError, UseAfterCloseError

if TYPE_CHECKING:
    from .client import Client, Msg, Subscription

__all__ = ["JetStreamManager", "JetStreamContext", "PushSubscription", "PullSubscription"]

DEFAULT_TIMEOUT = 5.0
DEFAULT_PUBLISH_ASYNC_MAX_PENDING = 4000
DEFAULT_HEARTBEAT_FOR_ORDERED = 5.0
ORDERED_ACK_WAIT = 22 * 3600.0
FETCH_NO_TIMEOUT_MS = 24 * 3600 * 1000
CONTROL_STATUS = "100"
CONSUMER_EXISTS_ERR_CODE = 10148  # the server's "consumer already exists" (a create with another config)
_S = _ffi


class JetStreamManager(ApiCallsMixin):
    """Stream and consumer management (blocking). The asyncio manager runs these methods in its
    thread pool. (The calls made with ``natsrs_jetstream_api_request`` are in ``_jsm_api``.)"""

    def __init__(
        self,
        conn: Any,
        prefix: str = api.DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
        domain: Optional[str] = None,
        _handle: Optional[_c.JsHandle] = None,
    ) -> None:
        self._nc = conn
        self._prefix = f"$JS.{domain}.API" if domain else prefix
        self._timeout = timeout
        self._h = _handle if _handle is not None else _c.JsHandle(conn._core, prefix, domain, timeout)

    # ---- account and streams
    def account_info(self) -> api.AccountInfo:
        return api.AccountInfo.from_response(self._h.account_info())

    def find_stream_name_by_subject(self, subject: str) -> str:
        """The stream whose subjects capture ``subject`` (``NotFoundError`` if none)."""
        names = self._h.stream_names(subject)
        if not names:
            raise NotFoundError  # (nats-py's: without code or description)
        return names[0]

    def add_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        """Creates a stream from ``config`` and/or StreamConfig fields as keywords."""
        config = (config or api.StreamConfig()).evolve(**params)
        validate_name("stream", config.name)
        return api.StreamInfo.from_response(self._h.add_stream(config.as_dict()))

    def update_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        config = (config or api.StreamConfig()).evolve(**params)
        validate_name("stream", config.name)
        return api.StreamInfo.from_response(self._h.update_stream(config.as_dict()))

    def delete_stream(self, name: str) -> bool:
        self._h.delete_stream(validate_name("stream", name))
        return True

    def purge_stream(
        self, name: str, seq: Optional[int] = None, subject: Optional[str] = None, keep: Optional[int] = None
    ) -> bool:
        """Purges everything, or only ``subject``, below ``seq``, or all but the last ``keep``."""
        if seq and keep:  # nats-py sends both: the server's answer
            raise BadRequestError(code=400, description="bad request", err_code=10003)
        self._h.purge_stream(validate_name("stream", name), subject, int(seq or 0), int(keep or 0))
        return True

    # ---- consumers
    def add_consumer(
        self, stream: str, config: Optional[api.ConsumerConfig] = None, timeout: Optional[float] = None, **params: Any
    ) -> api.ConsumerInfo:
        """Creates a consumer on ``stream``, or updates the one of that name (as nats-py)."""
        validate_name("stream", stream)
        config = (config or api.ConsumerConfig()).evolve(**params)
        if config.name:
            validate_name("consumer", config.name)
        if config.durable_name:
            validate_name("consumer", config.durable_name)
        try:
            return api.ConsumerInfo.from_response(self._h.add_consumer(stream, config.as_dict()))
        except JsError as e:
            if getattr(e, "err_code", None) != CONSUMER_EXISTS_ERR_CODE:
                raise
        # nats-py's add_consumer creates or updates: an existing consumer takes the new config
        return api.ConsumerInfo.from_response(self._h.add_consumer(stream, config.as_dict(), True))

    def update_consumer(
        self, stream: str, config: Optional[api.ConsumerConfig] = None, **params: Any
    ) -> api.ConsumerInfo:
        validate_name("stream", stream)
        config = (config or api.ConsumerConfig()).evolve(**params)
        return api.ConsumerInfo.from_response(self._h.add_consumer(stream, config.as_dict(), True))

    def consumer_info(self, stream: str, consumer: str, timeout: Optional[float] = None) -> api.ConsumerInfo:
        validate_name("stream", stream)
        validate_name("consumer", consumer)
        return api.ConsumerInfo.from_response(self._h.consumer_info(stream, consumer))

    def delete_consumer(self, stream: str, consumer: str) -> bool:
        self._h.delete_consumer(validate_name("stream", stream), validate_name("consumer", consumer))
        return True

    # ---- stored messages
    def get_msg(
        self,
        stream_name: str,
        seq: Optional[int] = None,
        subject: Optional[str] = None,
        direct: Optional[bool] = False,
        next: Optional[bool] = False,
    ) -> api.RawStreamMsg:
        """A stored message by sequence, the last one on ``subject``, or with ``next`` the first at
        ``seq`` or later whose subject matches ``subject`` (wildcards allowed; any when None)."""
        validate_name("stream", stream_name)
        if not seq and not subject:  # nats-py asks the server: its answers
            if direct:
                raise APIError(code=408, description="Empty Request")
            raise BadRequestError(code=400, description="bad request", err_code=10003)
        return self._h.get_msg(stream_name, seq, subject, bool(direct), bool(next))

    def get_last_msg(self, stream_name: str, subject: str, direct: Optional[bool] = False) -> api.RawStreamMsg:
        return self.get_msg(stream_name, subject=subject, direct=direct)

    def delete_msg(self, stream_name: str, seq: int) -> bool:
        # nats-py sends no "no_erase": the server erases the message
        self._h.delete_msg(validate_name("stream", stream_name), int(seq), True)
        return True

    # ---- consumer lookup shared by both APIs' subscribe (nats-py's rules)
    def push_consumer(
        self,
        subject: str,
        queue: Optional[str],
        durable: Optional[str],
        stream: str,
        config: Optional[api.ConsumerConfig],
        ordered_consumer: bool,
        idle_heartbeat: Optional[float],
        flow_control: bool,
        deliver_policy: Optional[api.DeliverPolicy],
        headers_only: Optional[bool],
        inactive_threshold: Optional[float],
    ) -> "tuple[str, api.ConsumerConfig]":
        """Finds the durable push consumer or creates one; returns its name and config."""
        if queue:
            if durable and durable != queue:
                raise JsError(f"cannot create queue subscription '{queue}' to consumer '{durable}'")
            durable = queue
        info: Optional[api.ConsumerInfo] = None
        if durable:
            try:
                info = self.consumer_info(stream, durable)
            except NotFoundError:
                info = None
        if info is not None:
            group = info.config.deliver_group
            if not group:
                if queue:
                    raise JsError("cannot create a queue subscription for a consumer without a deliver group")
                if info.push_bound:
                    raise JsError("consumer is already bound to a subscription")
            elif not queue:
                raise JsError(f"cannot create a subscription for a consumer with a deliver group {group}")
            elif queue != group:
                raise JsError(f"cannot create a queue subscription {queue} for a consumer with a deliver group {group}")
            cfg = info.config
            name = info.name
        else:
            cfg = (config or api.ConsumerConfig()).evolve()
            if not cfg.durable_name:
                cfg.durable_name = durable
            if not cfg.deliver_group:
                cfg.deliver_group = queue
            if not cfg.headers_only:
                cfg.headers_only = headers_only
            if deliver_policy:
                cfg.deliver_policy = deliver_policy
            if inactive_threshold:
                cfg.inactive_threshold = inactive_threshold
            if cfg.deliver_subject is None:
                cfg.deliver_subject = self._nc.new_inbox()
            if not cfg.filter_subjects:
                cfg.filter_subject = subject
            cfg.flow_control = flow_control or None
            if idle_heartbeat:
                cfg.idle_heartbeat = idle_heartbeat
            if ordered_consumer:
                cfg.flow_control = True
                cfg.ack_policy = api.AckPolicy.NONE
                cfg.max_deliver = 1
                cfg.ack_wait = ORDERED_ACK_WAIT
                cfg.idle_heartbeat = idle_heartbeat or cfg.idle_heartbeat or DEFAULT_HEARTBEAT_FOR_ORDERED
                cfg.num_replicas = 1
                cfg.mem_storage = True
            name = self.add_consumer(stream, config=cfg).name
        if not cfg.deliver_subject:
            raise TypeError("config.deliver_subject is required (the consumer is a pull consumer)")
        return name, cfg

    def pull_consumer(
        self, subject: str, durable: Optional[str], stream: str, config: Optional[api.ConsumerConfig]
    ) -> str:
        """Finds the durable pull consumer or creates one; returns its name."""
        if durable:
            try:
                self.consumer_info(stream, durable)
                return durable
            except NotFoundError:
                pass
        cfg = (config or api.ConsumerConfig()).evolve()
        if not cfg.filter_subjects:
            cfg.filter_subject = subject
        if durable:
            cfg.name = durable
            cfg.durable_name = durable
        else:
            cfg.name = self._nc.new_inbox().rsplit(".", 1)[-1]
        return self.add_consumer(stream, config=cfg).name

    def bind_pull(self, subject: str, stream: str, consumer: str) -> int:
        """A ``natsrs_pull_subscription`` bound to an existing consumer (owned pointer)."""
        o = c_void_p()
        _core.check(lib.natsrs_js_subscribe_options_create(byref(o)))
        try:
            _core.check(lib.natsrs_js_subscribe_options_set_stream(o.value, stream.encode()))
            _core.check(lib.natsrs_js_subscribe_options_set_bind(o.value, consumer.encode()))
            _core.check(lib.natsrs_js_subscribe_options_set_delete_consumer(o.value, False))
            out = c_void_p()
            _c.check(lib.natsrs_jetstream_pull_subscribe(self._h.ptr, subject.encode(), None, o.value, byref(out)))
        finally:
            lib.natsrs_js_subscribe_options_free(o.value)
        assert out.value is not None
        return out.value


def is_status(msg: Any) -> Optional[str]:
    """The status of a JetStream control message (heartbeat, flow control), else None."""
    if msg.data or not msg.headers:
        return None
    status = msg.headers.get(api.Header.STATUS.value)
    return str(status) if status is not None else None


def control_reply(msg: Any) -> Optional[str]:
    """Where to answer a control message: a flow-control request's reply subject, or a stalled
    heartbeat's ``Nats-Consumer-Stalled`` subject."""
    if is_status(msg) != CONTROL_STATUS:
        return None
    if msg.reply:
        return str(msg.reply)
    stalled = (msg.headers or {}).get(api.Header.CONSUMER_STALLED.value)
    return str(stalled) if stalled else None


def free_pull(ptr: int) -> None:
    lib.natsrs_pull_subscription_free(ptr)


def finalize_pull(guard: _core.HandleGuard, js_handle: Any) -> None:
    # js_handle is an argument only to keep the context (and the connection) alive until here
    _core.HandleGuard.finalize(guard)


def heartbeat_ms(heartbeat: Optional[float], timeout_ms: int) -> int:
    """A fetch's idle heartbeat in ms (0: none); it must be less than half the timeout."""
    if not heartbeat:
        return 0
    hb = max(1, _core.ms(heartbeat))
    if hb * 2 >= timeout_ms:
        raise ValueError("nats: fetch heartbeat must be less than half the fetch timeout")
    return hb


def timeout_error(hb_ms: int) -> Error:
    """An empty fetch's error, as nats-py's: ``FetchTimeoutError`` when the pull had heartbeats
    (nats-py raises it once one came; the library's heartbeat interval is under half the
    timeout, so one does), the plain ``TimeoutError`` otherwise."""
    return FetchTimeoutError() if hb_ms else TimeoutError()


def fetch_blocking(
    guard: _core.HandleGuard, batch: int, timeout_ms: int, make: Callable[..., Any], hb_ms: int = 0
) -> List[Any]:
    """One ``natsrs_pull_subscription_fetch`` (``natsrs_pull_subscription_fetch_heartbeat`` with
    ``hb_ms``: ends early when two heartbeats are missed); ``make(subject, reply, data,
    headers, multi)`` builds each message."""
    ptr = guard.acquire(BadSubscriptionError)
    try:
        arr = (c_void_p * batch)()
        count = c_size_t(0)
        if hb_ms:
            st = lib.natsrs_pull_subscription_fetch_heartbeat(ptr, batch, 0, timeout_ms, hb_ms, arr, byref(count))
        else:
            st = lib.natsrs_pull_subscription_fetch(ptr, batch, timeout_ms, arr, byref(count))
        if st == _S.NATSRS_STATUS_TIMEOUT:
            raise timeout_error(hb_ms)
        if st != OK:
            raise _c.error(st)
        return list(_core.BatchExtractor().run(arr, count.value, make))
    finally:
        guard.release()


def unsubscribe_pull(guard: _core.HandleGuard) -> None:
    if guard.closed:
        raise BadSubscriptionError()
    ptr = guard.acquire(BadSubscriptionError)
    try:
        st = lib.natsrs_pull_subscription_unsubscribe(ptr)
    finally:
        guard.release()
    guard.close()
    if st not in (OK, _S.NATSRS_STATUS_INVALID_SUBSCRIPTION, _S.NATSRS_STATUS_CONNECTION_CLOSED):
        raise _c.error(st)


# ---- the blocking context ----------------------------------------------------------------------------
class _FutureCompletion:
    """Registry entry of one blocking-API async publish: completes a concurrent future on the
    library's thread."""

    __slots__ = ("fut",)

    def __init__(self, fut: "concurrent.futures.Future[api.PubAck]") -> None:
        self.fut = fut

    def complete(self, status: int, ack: int) -> None:
        if status == OK and ack:
            self.fut.set_result(_c.pub_ack_of(ack))
        else:
            self.fut.set_exception(_c.error(status, publish=True))


class JetStreamContext(JetStreamManager, StoresMixin):
    """JetStream publish, subscribe and management for the blocking API (``nc.jetstream()``)."""

    def __init__(
        self,
        conn: "Client",
        prefix: str = api.DEFAULT_PREFIX,
        domain: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        publish_async_max_pending: int = DEFAULT_PUBLISH_ASYNC_MAX_PENDING,
    ) -> None:
        super().__init__(conn, prefix=prefix, timeout=timeout, domain=domain)
        self._slots = threading.BoundedSemaphore(publish_async_max_pending)
        self._pending: Set["concurrent.futures.Future[api.PubAck]"] = set()
        self._pending_lock = threading.Lock()
        self._none_pending = threading.Event()
        self._none_pending.set()

    # ---- publish
    @staticmethod
    def _headers(
        headers: Optional[Dict[str, Any]], stream: Optional[str], msg_ttl: Optional[float]
    ) -> Optional[Dict[str, Any]]:
        if stream is None and msg_ttl is None:
            return headers
        hdr = dict(headers or {})
        if stream is not None:
            hdr[api.Header.EXPECTED_STREAM.value] = stream
        if msg_ttl is not None:
            hdr[api.Header.MSG_TTL.value] = str(int(msg_ttl))
        return hdr

    def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: Optional[float] = None,
        stream: Optional[str] = None,
        headers: Optional[Dict[str, Any]] = None,
        msg_ttl: Optional[float] = None,
    ) -> api.PubAck:
        """Publishes to a stream and waits for its ack."""
        hdr = self._headers(headers, stream, msg_ttl)
        opts = _c.PublishOptions(hdr, _core.ms(timeout) if timeout is not None else None)
        try:
            if opts.rest:
                return self._h.publish_msg(subject, payload, opts.rest, opts.ptr)
            ack = c_void_p()
            st = lib.natsrs_jetstream_publish(
                self._h.ptr, subject.encode(), payload, len(payload), opts.ptr, byref(ack)
            )
            if st != OK:
                raise _c.error(st, publish=True)
            try:
                return _c.pub_ack_of(ack.value or 0)
            finally:
                lib.natsrs_pub_ack_free(ack.value)
        finally:
            opts.free()

    def publish_async(
        self,
        subject: str,
        payload: bytes = b"",
        wait_stall: Optional[float] = None,
        stream: Optional[str] = None,
        headers: Optional[Dict[str, Any]] = None,
        msg_ttl: Optional[float] = None,
    ) -> "concurrent.futures.Future[api.PubAck]":
        """Publishes without waiting; the returned ``concurrent.futures.Future`` gets the ack."""
        if not self._slots.acquire(timeout=wait_stall):
            raise TooManyStalledMsgsError()
        fut: "concurrent.futures.Future[api.PubAck]" = concurrent.futures.Future()
        with self._pending_lock:
            self._pending.add(fut)
            self._none_pending.clear()
        fut.add_done_callback(self._done)
        hdr = self._headers(headers, stream, msg_ttl)
        try:
            opts = _c.PublishOptions(hdr, None)
        except BaseException as e:
            fut.set_exception(e)
            raise
        try:
            if opts.rest:
                try:
                    fut.set_result(self._h.publish_msg(subject, payload, opts.rest, opts.ptr))
                except BaseException as e:
                    fut.set_exception(e)
                return fut
            key = _core.register(_FutureCompletion(fut))
            st = lib.natsrs_jetstream_publish_async(
                self._h.ptr,
                subject.encode(),
                payload,
                len(payload),
                opts.ptr,
                PUB_ACK_HANDLER,
                key,
                _core.USERDATA_FREE,
            )
            if st != OK:
                err = _c.error(st, publish=True)
                fut.set_exception(err)
                raise err
            return fut
        finally:
            opts.free()

    def _done(self, fut: "concurrent.futures.Future[api.PubAck]") -> None:
        with self._pending_lock:
            self._pending.discard(fut)
            if not self._pending:
                self._none_pending.set()
        self._slots.release()

    def publish_async_pending(self) -> int:
        return len(self._pending)

    def publish_async_completed(self, timeout: Optional[float] = None) -> None:
        """Waits until every async publish has its ack or failed (``TimeoutError`` after
        ``timeout`` seconds)."""
        if not self._none_pending.wait(timeout):
            raise TimeoutError()

    # ---- subscriptions
    def subscribe(
        self,
        subject: str,
        queue: Optional[str] = None,
        cb: Optional[Callable[["Msg"], Any]] = None,
        durable: Optional[str] = None,
        stream: Optional[str] = None,
        config: Optional[api.ConsumerConfig] = None,
        manual_ack: bool = False,
        ordered_consumer: bool = False,
        idle_heartbeat: Optional[float] = None,
        flow_control: bool = False,
        deliver_policy: Optional[api.DeliverPolicy] = None,
        headers_only: Optional[bool] = None,
        inactive_threshold: Optional[float] = None,
    ) -> "PushSubscription":
        """Push-subscribes (creating the consumer unless ``durable`` names one). ``cb`` runs on
        a library delivery thread and the message is acked after it unless ``manual_ack``."""
        stream = stream or self.find_stream_name_by_subject(subject)
        name, cfg = self.push_consumer(
            subject,
            queue,
            durable,
            stream,
            config,
            ordered_consumer,
            idle_heartbeat,
            flow_control,
            deliver_policy,
            headers_only,
            inactive_threshold,
        )
        nc = self._nc
        wrapped: Optional[Callable[["Msg"], Any]] = None
        if cb is not None:
            user_cb = cb
            auto_ack = not manual_ack and cfg.ack_policy not in (api.AckPolicy.NONE, "none")

            def wrapped(msg: "Msg") -> None:
                if is_status(msg) is not None:
                    to = control_reply(msg)
                    if to:
                        nc.publish(to, b"")
                    return
                user_cb(msg)
                if auto_ack and not msg.is_acked:
                    try:
                        msg.ack()
                    except Error:
                        pass

        assert cfg.deliver_subject is not None
        sub = nc.subscribe(cfg.deliver_subject, queue=cfg.deliver_group or "", cb=wrapped)
        return PushSubscription(self, sub, stream, name)

    def pull_subscribe(
        self,
        subject: str,
        durable: Optional[str] = None,
        stream: Optional[str] = None,
        config: Optional[api.ConsumerConfig] = None,
    ) -> "PullSubscription":
        """Creates the pull consumer unless ``durable`` names one, and binds to it."""
        stream = stream or self.find_stream_name_by_subject(subject)
        name = self.pull_consumer(subject, durable, stream, config)
        return PullSubscription(self, self.bind_pull(subject, stream, name), stream, name)

    def pull_subscribe_bind(
        self,
        consumer: Optional[str] = None,
        stream: Optional[str] = None,
        name: Optional[str] = None,
        durable: Optional[str] = None,
    ) -> "PullSubscription":
        if not stream:
            raise ValueError("nats: stream name is required")
        cname = durable or name or consumer
        if not cname:
            raise ValueError("nats: consumer name is required")
        return PullSubscription(self, self.bind_pull(">", stream, cname), stream, cname)


class PushSubscription:
    """A push consumer's subscription (blocking API)."""

    def __init__(self, js: JetStreamContext, sub: "Subscription", stream: str, consumer: str) -> None:
        self._js = js
        self._sub = sub
        self._stream = stream
        self._consumer = consumer

    @property
    def subject(self) -> str:
        return self._sub.subject

    @property
    def queue(self) -> str:
        return self._sub.queue

    def next_msg(self, timeout: Optional[float] = 1.0) -> "Msg":
        """The next message (heartbeats and flow control are handled, never returned)."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError()
            msg = self._sub.next_msg(left)
            if is_status(msg) is None:
                return msg
            to = control_reply(msg)
            if to:
                self._js._nc.publish(to, b"")

    def __iter__(self) -> Iterator["Msg"]:
        while True:
            try:
                yield self.next_msg(timeout=None)
            except (ConnectionClosedError, BadSubscriptionError, UseAfterCloseError):
                return

    def consumer_info(self) -> api.ConsumerInfo:
        return self._js.consumer_info(self._stream, self._consumer)

    def unsubscribe(self, limit: int = 0) -> None:
        """Removes interest (the consumer stays, as in nats-py)."""
        self._sub.unsubscribe(limit)

    def drain(self, timeout: Optional[float] = 30.0) -> None:
        self._sub.drain(timeout)

    def close(self) -> None:
        self._sub.close()

    def __enter__(self) -> "PushSubscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class PullSubscription:
    """A pull consumer's subscription (blocking API): ``sub.fetch(batch, timeout)``."""

    def __init__(self, js: JetStreamContext, ptr: int, stream: str, consumer: str) -> None:
        self._js = js
        self._stream = stream
        self._consumer = consumer
        self._guard = _core.HandleGuard(ptr, free_pull)
        self._finalizer = weakref.finalize(self, finalize_pull, self._guard, js._h)

    def fetch(self, batch: int = 1, timeout: Optional[float] = 5, heartbeat: Optional[float] = None) -> List["Msg"]:
        """Up to ``batch`` messages, waiting up to ``timeout`` seconds for the first; with
        ``heartbeat`` (seconds, less than half of ``timeout``) the server sends idle heartbeats
        and the fetch ends early (``FetchTimeoutError``) when two are missed."""
        from .client import Msg

        if batch < 1:
            raise ValueError("nats: invalid batch size")
        if timeout is not None and timeout <= 0:
            raise ValueError("nats: invalid fetch timeout")
        t = max(1, _core.ms(timeout)) if timeout is not None else FETCH_NO_TIMEOUT_MS
        hb = heartbeat_ms(heartbeat, t)
        client = self._js._nc
        return fetch_blocking(self._guard, batch, t, lambda s, r, d, h, m: Msg(client, s, r, d, h, m), hb)

    def consumer_info(self) -> api.ConsumerInfo:
        return self._js.consumer_info(self._stream, self._consumer)

    def unsubscribe(self) -> None:
        unsubscribe_pull(self._guard)

    def close(self) -> None:
        if not self._guard.closed:
            unsubscribe_pull(self._guard)

    def __enter__(self) -> "PullSubscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _py_pub_ack_handler(ud: Optional[int], status: int, ack: Optional[int]) -> None:
    _core._enter()  # a handle the garbage collector frees on this library thread goes to the reaper
    target = _core._registry.get(ud or 0)
    try:
        if target is not None:
            target.complete(status, ack or 0)
    except BaseException as e:
        _core.log.error("natsrs: exception in a JetStream publish completion", exc_info=e)
    finally:
        _core._leave()


# one permanent trampoline for both APIs' JetStream publish completions
PUB_ACK_HANDLER = _ffi.natsrs_pub_ack_handler(_py_pub_ack_handler)
