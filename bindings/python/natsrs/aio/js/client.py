"""nats-py's ``nats.js.client``: the JetStream context of the asyncio API.

- ``publish`` / ``publish_async`` use the library's non-blocking ``natsrs_jetstream_publish_async``:
  its completion callback resolves an asyncio future with ``loop.call_soon_threadsafe``; no thread
  waits for the ack. Headers other than the ones the publish options cover (message id and the
  expectations) travel in a message through ``natsrs_jetstream_publish_msg_async``, also without a
  waiting thread.
- ``subscribe`` creates or finds the push consumer with the C API (as nats-py: consumer info, else
  add consumer) and receives on its deliver subject with a core subscription, so deliveries reach
  the loop in batches; heartbeats and flow-control requests are answered and never delivered.
- ``pull_subscribe`` binds a ``natsrs_pull_subscription`` to the consumer; ``fetch`` starts
  ``natsrs_pull_subscription_fetch_async`` (no thread waits): its completion callback resolves an
  asyncio future with ``loop.call_soon_threadsafe``; cancelling the awaiting task cancels the fetch
  in the library, which keeps what it had received for the next fetch. Fetches of one subscription
  run one after the other (the library allows one at a time).
- acks (``msg.ack()``, ``nak``, ``term``, ``in_progress``, ``ack_sync``) are sent to the
  message's reply subject by ``natsrs.aio.msg.Msg``.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import threading
import weakref
from ctypes import byref, c_uint64
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Deque, Dict, List, Optional, Set, Tuple

from ... import _core, _ffi
from ... import js as _sync
from ..._core import OK, lib
from ...errors import BadSubscriptionError, Error, TimeoutError
from ..msg import Msg
from ..subscription import Subscription
from . import _c, _kv, _obj, api
from . import kv as _kvm
from . import object_store as _os
from ._fetch import _FetchCompletion, _fetching
from ._ordered import Ordered
from .errors import TooManyStalledMsgsError
from .kv import KeyValue
from .manager import JetStreamManager
from .object_store import ObjectStore

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["JetStreamContext", "DEFAULT_JS_SUB_PENDING_MSGS_LIMIT", "DEFAULT_JS_SUB_PENDING_BYTES_LIMIT"]

Callback = Callable[[Msg], Awaitable[None]]

DEFAULT_JS_SUB_PENDING_MSGS_LIMIT = 512 * 1024
DEFAULT_JS_SUB_PENDING_BYTES_LIMIT = 256 * 1024 * 1024
DEFAULT_PUBLISH_ASYNC_MAX_PENDING = 4000
DEFAULT_HEARTBEAT_FOR_ORDERED = 5.0
ORDERED_ACK_WAIT = 22 * 3600.0
# fetch(timeout=None) waits this long (the library needs a finite, positive timeout)
FETCH_NO_TIMEOUT_MS = 24 * 3600 * 1000
CONTROL_STATUS = "100"
_S = _ffi


# ---- completion of natsrs_jetstream_publish_async ----------------------------------------------------
class _Completions:
    """Hands publish outcomes from library threads to one event loop in batches: one
    ``call_soon_threadsafe`` (one wake-up of the loop) per batch, not per ack."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: Deque[Tuple["asyncio.Future[Any]", Any, Optional[BaseException]]] = collections.deque()
        self.lock = threading.Lock()
        self.scheduled = False

    def post(self, fut: "asyncio.Future[Any]", result: Any, exc: Optional[BaseException]) -> None:
        self.queue.append((fut, result, exc))
        with self.lock:
            if self.scheduled:
                return
            self.scheduled = True
        try:
            self.loop.call_soon_threadsafe(self.drain)
        except RuntimeError:  # the loop is closed
            pass

    def drain(self) -> None:
        with self.lock:
            self.scheduled = False
        q = self.queue
        while q:
            fut, result, exc = q.popleft()
            _resolve(fut, result, exc)


_completions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Completions]" = weakref.WeakKeyDictionary()


def _completions_for(loop: asyncio.AbstractEventLoop) -> _Completions:
    c = _completions.get(loop)
    if c is None:
        c = _completions[loop] = _Completions(loop)
    return c


class _PubAckCompletion:
    __slots__ = ("sink", "fut")

    def __init__(self, sink: _Completions, fut: "asyncio.Future[api.PubAck]") -> None:
        self.sink = sink
        self.fut = fut

    def complete(self, status: int, ack: int) -> None:
        result: Optional[api.PubAck] = None
        exc: Optional[BaseException] = None
        if status == OK and ack:
            try:
                result = _c.pub_ack_of(ack)
            except Exception as e:  # a malformed ack
                exc = e
        else:
            exc = _c.error(status, publish=True)  # the callback's thread holds the error details
        self.sink.post(self.fut, result, exc)


def _resolve(fut: "asyncio.Future[Any]", result: Any, exc: Optional[BaseException]) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


def _is_status(msg: Msg) -> Optional[str]:
    return _sync.is_status(msg)


class JetStreamContext(JetStreamManager):
    """JetStream publish, subscribe and management (``nc.jetstream()``)."""

    def __init__(
        self,
        conn: "Client",
        prefix: str = api.DEFAULT_PREFIX,
        domain: Optional[str] = None,
        timeout: float = 5,
        publish_async_max_pending: int = DEFAULT_PUBLISH_ASYNC_MAX_PENDING,
    ) -> None:
        super().__init__(conn, prefix=prefix, timeout=timeout, domain=domain)
        self._publish_async_futures: Set["asyncio.Future[api.PubAck]"] = set()
        self._publish_async_completed_event = asyncio.Event()
        self._publish_async_completed_event.set()
        self._publish_async_pending_semaphore = asyncio.Semaphore(publish_async_max_pending)

    @property
    def _jsm(self) -> JetStreamManager:
        return self

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

    def _start_publish(
        self, subject: str, payload: bytes, hdr: Optional[Dict[str, Any]], timeout: Optional[float]
    ) -> "asyncio.Future[api.PubAck]":
        """Starts one publish; the returned future gets the PubAck or the error."""
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[api.PubAck]" = loop.create_future()
        self._nc._c().require_open()
        opts: Optional[_c.PublishOptions] = None
        if hdr or timeout is not None:
            opts = _c.PublishOptions(hdr, _core.ms(timeout) if timeout is not None else None)
        m = None
        try:
            if opts is not None and opts.rest:
                # headers the options do not cover travel in a message (not consumed by the call)
                m = _core.make_c_msg(subject, None, payload, opts.rest)
            key = _core.register(_PubAckCompletion(_completions_for(loop), fut))
            if m is not None:
                st = lib.natsrs_jetstream_publish_msg_async(
                    self._h.ptr,
                    m,
                    opts.ptr if opts is not None else None,
                    _sync.PUB_ACK_HANDLER,
                    key,
                    _core.USERDATA_FREE,
                )
            else:
                st = lib.natsrs_jetstream_publish_async(
                    self._h.ptr,
                    subject.encode(),
                    payload,
                    len(payload),
                    opts.ptr if opts is not None else None,
                    _sync.PUB_ACK_HANDLER,
                    key,
                    _core.USERDATA_FREE,
                )
            if st != OK:
                raise _c.error(st, publish=True)  # the handler will not run; userdata was freed
        finally:
            if m is not None:
                lib.natsrs_msg_free(m)
            if opts is not None:
                opts.free()
        return fut

    async def publish(
        self,
        subject: str,
        payload: bytes = b"",
        timeout: Optional[float] = None,
        stream: Optional[str] = None,
        headers: Optional[Dict[str, Any]] = None,
        msg_ttl: Optional[float] = None,
    ) -> api.PubAck:
        """Publishes to a stream and waits for its ack (``NoStreamResponseError`` when no stream
        captures the subject, ``APIError`` subclasses for a failed expectation)."""
        hdr = self._headers(headers, stream, msg_ttl)
        # timeout None: the context's timeout, which the library applies itself
        return await self._start_publish(subject, payload, hdr, timeout)

    async def publish_async(
        self,
        subject: str,
        payload: bytes = b"",
        wait_stall: Optional[float] = None,
        stream: Optional[str] = None,
        headers: Optional[Dict[str, Any]] = None,
        msg_ttl: Optional[float] = None,
    ) -> "asyncio.Future[api.PubAck]":
        """Publishes and returns a future for the ack. At most ``publish_async_max_pending``
        acks are outstanding; beyond that it waits up to ``wait_stall`` seconds for a free
        slot (``TooManyStalledMsgsError``)."""
        sem = self._publish_async_pending_semaphore
        if not sem.locked() or wait_stall is None:
            await sem.acquire()  # returns at once while a slot is free
        else:
            try:
                await asyncio.wait_for(sem.acquire(), timeout=wait_stall)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                raise TooManyStalledMsgsError() from None
        hdr = self._headers(headers, stream, msg_ttl)
        try:
            fut = self._start_publish(subject, payload, hdr, None)
        except BaseException:
            self._publish_async_pending_semaphore.release()
            raise
        self._publish_async_futures.add(fut)
        self._publish_async_completed_event.clear()
        fut.add_done_callback(self._publish_async_done)
        return fut

    def _publish_async_done(self, fut: "asyncio.Future[api.PubAck]") -> None:
        self._publish_async_futures.discard(fut)
        self._publish_async_pending_semaphore.release()
        if not self._publish_async_futures:
            self._publish_async_completed_event.set()

    def publish_async_pending(self) -> int:
        """Number of async publishes still waiting for their ack."""
        return len(self._publish_async_futures)

    async def publish_async_completed(self) -> None:
        """Waits until every async publish has its ack (or failed)."""
        await self._publish_async_completed_event.wait()

    # ---- key-value buckets (natsrs.aio.js.kv)
    async def key_value(self, bucket: str) -> KeyValue:
        """Binds to an existing bucket (``BucketNotFoundError`` when there is none)."""
        return await _kvm.bind(self, bucket)

    async def create_key_value(self, config: Optional[api.KeyValueConfig] = None, **params: Any) -> KeyValue:
        """Creates a bucket (finds it when one exists with the same config: nats-py's stream config)."""
        if config is None:
            config = api.KeyValueConfig(bucket=params["bucket"])
        return await _kvm.create(self, config.evolve(**params))

    async def delete_key_value(self, bucket: str) -> bool:
        """Deletes a bucket and all its values."""
        _kvm.check_bucket(bucket)
        return await self._run(_kv.delete_bucket, self._h, bucket)

    # ---- object stores (natsrs.aio.js.object_store)
    async def object_store(self, bucket: str) -> ObjectStore:
        """Binds to an existing object store (``BucketNotFoundError`` when there is none)."""
        _os.check_bucket(bucket)
        h = await self._run(_obj.bind, self._h, bucket)
        return ObjectStore(bucket, _os.OBJ_STREAM_TEMPLATE.format(bucket=bucket), self, _handle=h)

    async def create_object_store(
        self, bucket: Optional[str] = None, config: Optional[api.ObjectStoreConfig] = None, **params: Any
    ) -> ObjectStore:
        """Creates an object store (finds it when one exists with the same config)."""
        config = (
            api.ObjectStoreConfig(bucket=bucket) if config is None else config.evolve(bucket=bucket or config.bucket)
        )
        config = config.evolve(**params)
        name = _os.check_bucket(config.bucket)
        cfg = _obj.config_handle(
            name, config.description, config.ttl, config.max_bytes, config.storage, config.replicas
        )
        h = await self._run(_obj.create, self._h, cfg)
        return ObjectStore(name, _os.OBJ_STREAM_TEMPLATE.format(bucket=name), self, _handle=h)

    async def delete_object_store(self, bucket: str) -> bool:
        """Deletes an object store and all its objects."""
        _os.check_bucket(bucket)
        return await self._run(_obj.delete_store, self._h, bucket)

    # ---- push subscriptions
    async def subscribe(
        self,
        subject: str,
        queue: Optional[str] = None,
        cb: Optional[Callback] = None,
        durable: Optional[str] = None,
        stream: Optional[str] = None,
        config: Optional[api.ConsumerConfig] = None,
        manual_ack: bool = False,
        ordered_consumer: bool = False,
        idle_heartbeat: Optional[float] = None,
        flow_control: bool = False,
        pending_msgs_limit: int = DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
        deliver_policy: Optional[api.DeliverPolicy] = None,
        headers_only: Optional[bool] = None,
        inactive_threshold: Optional[float] = None,
    ) -> "JetStreamContext.PushSubscription":
        """Push-subscribes, creating the consumer unless ``durable`` names an existing one.
        With ``cb`` (a coroutine function) messages are acked after it returns unless
        ``manual_ack``; without it use ``next_msg()`` or ``messages``."""
        if cb is not None and not inspect.iscoroutinefunction(cb):
            raise Error("nats: must use coroutine for subscriptions")
        if stream is None:
            stream = await self.find_stream_name_by_subject(subject)
        consumer, cfg = await self._run(
            self._sync.push_consumer,
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
        return await self._push_bind(
            stream, cfg, consumer, cb, manual_ack, pending_msgs_limit, pending_bytes_limit, ordered_consumer
        )

    async def subscribe_bind(
        self,
        stream: str,
        config: api.ConsumerConfig,
        consumer: str,
        cb: Optional[Callback] = None,
        manual_ack: bool = False,
        ordered_consumer: bool = False,
        pending_msgs_limit: int = DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
    ) -> "JetStreamContext.PushSubscription":
        """Push-subscribes to an existing consumer (its config gives the deliver subject)."""
        if cb is not None and not inspect.iscoroutinefunction(cb):
            raise Error("nats: must use coroutine for subscriptions")
        return await self._push_bind(
            stream, config, consumer, cb, manual_ack, pending_msgs_limit, pending_bytes_limit, ordered_consumer
        )

    async def _push_bind(
        self,
        stream: str,
        config: api.ConsumerConfig,
        consumer: str,
        cb: Optional[Callback],
        manual_ack: bool,
        pending_msgs_limit: int,
        pending_bytes_limit: int,
        ordered_consumer: bool = False,
    ) -> "JetStreamContext.PushSubscription":
        if config.deliver_subject is None:
            raise TypeError("config.deliver_subject is required")
        nc = self._nc
        ordered = Ordered(self, stream, config, consumer) if ordered_consumer else None
        auto_ack = cb is not None and not manual_ack and config.ack_policy not in (api.AckPolicy.NONE, "none")
        wrapped: Optional[Callback] = None
        if cb is not None:
            user_cb = cb

            async def wrapped(msg: Msg) -> None:
                if _is_status(msg) is not None:
                    if ordered is not None:
                        ordered.on_status(msg)
                    await _control(nc, msg)
                    return
                if ordered is not None and not ordered.accept(msg):
                    return
                await user_cb(msg)
                if auto_ack and not msg._ackd:
                    try:
                        await msg.ack()
                    except Error:
                        pass

        try:
            sub = await nc.subscribe(
                config.deliver_subject,
                queue=config.deliver_group or "",
                cb=wrapped,
                pending_msgs_limit=pending_msgs_limit,
                pending_bytes_limit=pending_bytes_limit,
            )
        except BaseException:
            if ordered is not None:
                ordered.close()
            raise
        psub = JetStreamContext.PushSubscription(self, sub, stream, consumer)
        psub._ordered = ordered
        return psub

    class PushSubscription:
        """A push consumer's subscription (nats-py's ``JetStreamContext.PushSubscription``)."""

        def __init__(self, js: "JetStreamContext", sub: Subscription, stream: str, consumer: str) -> None:
            self._js = js
            self._sub = sub
            self._stream = stream
            self._consumer = consumer
            self._conn = sub._conn
            self._id = sub._id
            self._ordered: Optional[Ordered] = None

        @property
        def subject(self) -> str:
            return self._sub.subject

        @property
        def queue(self) -> str:
            return self._sub.queue

        @property
        def pending_msgs(self) -> int:
            return self._sub.pending_msgs

        @property
        def pending_bytes(self) -> int:
            return self._sub.pending_bytes

        @property
        def delivered(self) -> int:
            return self._sub.delivered

        @property
        def messages(self) -> AsyncIterator[Msg]:
            """The messages (heartbeats and flow control handled); ends with the subscription."""
            if self._sub._cb is not None:
                raise Error("cannot iterate over messages with a non iteration subscription type")
            return self._iterate()

        async def _iterate(self) -> AsyncIterator[Msg]:
            async for msg in self._sub.messages:
                if self._wanted(msg):
                    yield msg
                else:
                    await _control(self._conn, msg)

        async def next_msg(self, timeout: Optional[float] = 1.0) -> Msg:
            """The next message (``TimeoutError`` after ``timeout`` seconds)."""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout if timeout else None
            while True:
                left = None if deadline is None else deadline - loop.time()
                if left is not None and left <= 0:
                    raise TimeoutError()
                msg = await self._sub.next_msg(left)
                if self._wanted(msg):
                    return msg
                await _control(self._conn, msg)

        def _wanted(self, msg: Msg) -> bool:
            """False for a control message or (ordered consumers) one out of order."""
            if _is_status(msg) is not None:
                if self._ordered is not None:
                    self._ordered.on_status(msg)
                return False
            return self._ordered is None or self._ordered.accept(msg)

        async def consumer_info(self) -> api.ConsumerInfo:
            consumer = self._ordered.consumer if self._ordered is not None else self._consumer
            return await self._js.consumer_info(self._stream, consumer)

        async def unsubscribe(self, limit: int = 0) -> None:
            """Removes interest (the consumer stays, as in nats-py)."""
            if self._ordered is not None and limit <= 0:
                self._ordered.close()
            await self._sub.unsubscribe(limit)

        async def drain(self) -> None:
            if self._ordered is not None:
                self._ordered.close()
            await self._sub.drain()

        def __repr__(self) -> str:
            return f"<natsrs.aio.js PushSubscription stream='{self._stream}' consumer='{self._consumer}'>"

    # ---- pull subscriptions
    async def pull_subscribe(
        self,
        subject: str,
        durable: Optional[str] = None,
        stream: Optional[str] = None,
        config: Optional[api.ConsumerConfig] = None,
        pending_msgs_limit: int = DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
        inbox_prefix: Optional[bytes] = None,
    ) -> "JetStreamContext.PullSubscription":
        """Creates the pull consumer unless ``durable`` names an existing one, and binds to it."""
        if stream is None:
            stream = await self.find_stream_name_by_subject(subject)
        name = await self._run(self._sync.pull_consumer, subject, durable, stream, config)
        return await self.pull_subscribe_bind(stream=stream, name=name, _subject=subject)

    async def pull_subscribe_bind(
        self,
        consumer: Optional[str] = None,
        stream: Optional[str] = None,
        inbox_prefix: Optional[bytes] = None,
        pending_msgs_limit: int = DEFAULT_JS_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_JS_SUB_PENDING_BYTES_LIMIT,
        name: Optional[str] = None,
        durable: Optional[str] = None,
        _subject: Optional[str] = None,
    ) -> "JetStreamContext.PullSubscription":
        """Binds a pull subscription to an existing consumer of ``stream``."""
        if not stream:
            raise ValueError("nats: stream name is required")
        cname = durable or name or consumer
        if not cname:
            raise ValueError("nats: consumer name is required")
        ptr = await self._run(self._sync.bind_pull, _subject or ">", stream, cname)
        return JetStreamContext.PullSubscription(self, ptr, stream, cname)

    class PullSubscription:
        """A pull consumer's subscription: ``await sub.fetch(batch, timeout)``."""

        def __init__(self, js: "JetStreamContext", ptr: int, stream: str, consumer: str) -> None:
            self._js = js
            self._nc = js._nc
            self._stream = stream
            self._consumer = consumer
            self._guard = _core.HandleGuard(ptr, _sync.free_pull)
            # keep the JetStream context (and with it the connection) alive while this handle lives
            self._finalizer = weakref.finalize(self, _sync.finalize_pull, self._guard, js._h)
            self._delivered = 0
            self._leftover: List[Msg] = []
            self._fetching = 0
            self._fetching_lock = threading.Lock()
            self._fetch_loop: Optional[asyncio.AbstractEventLoop] = None
            self._fetch_lock: Optional[asyncio.Lock] = None

        @property
        def pending_msgs(self) -> int:
            return len(self._leftover)

        @property
        def pending_bytes(self) -> int:
            return sum(len(m.data) for m in self._leftover)

        @property
        def delivered(self) -> int:
            return self._delivered

        async def consumer_info(self) -> api.ConsumerInfo:
            return await self._js.consumer_info(self._stream, self._consumer)

        async def fetch(
            self, batch: int = 1, timeout: Optional[float] = 5, heartbeat: Optional[float] = None
        ) -> List[Msg]:
            """Up to ``batch`` messages, waiting up to ``timeout`` seconds for the first
            (``TimeoutError`` if none came). With ``heartbeat`` (seconds, less than half of
            ``timeout``) the server sends idle heartbeats while the request waits, the fetch
            ends early when two are missed, and an empty one raises ``FetchTimeoutError`` (a
            ``TimeoutError``), as nats-py's."""
            if batch < 1:
                raise ValueError("nats: invalid batch size")
            if timeout is not None and timeout <= 0:
                raise ValueError("nats: invalid fetch timeout")
            t = max(1, _core.ms(timeout)) if timeout is not None else FETCH_NO_TIMEOUT_MS
            hb = _sync.heartbeat_ms(heartbeat, t)
            if self._leftover:
                # messages a cancelled fetch received: hand them out first
                out, self._leftover = self._leftover[:batch], self._leftover[batch:]
                self._delivered += len(out)
                return out
            if not _core.HAS_ASYNC_FETCH:
                return await self._fetch_in_executor(batch, t, hb)
            if self._fetch_lock is None:
                self._fetch_lock = asyncio.Lock()
            async with self._fetch_lock:
                if self._leftover:
                    out, self._leftover = self._leftover[:batch], self._leftover[batch:]
                    self._delivered += len(out)
                    return out
                msgs = await self._fetch_async(batch, t, hb)
            self._delivered += len(msgs)
            return msgs

        async def _fetch_async(self, batch: int, timeout_ms: int, hb_ms: int) -> List[Msg]:
            loop = asyncio.get_running_loop()
            fut: "asyncio.Future[List[Msg]]" = loop.create_future()
            fid = c_uint64(0)
            ptr = self._guard.acquire(BadSubscriptionError)
            try:
                key = _core.register(_FetchCompletion(loop, fut, self, hb_ms))
                st = lib.natsrs_pull_subscription_fetch_async(
                    ptr, batch, 0, timeout_ms, hb_ms, False, _core.FETCH_HANDLER, key, _core.USERDATA_FREE, byref(fid)
                )
                if st != OK:
                    err = _c.error(st)
                    _core.unregister(key)
                    raise err
            finally:
                self._guard.release()
            try:
                return await fut
            except asyncio.CancelledError:
                # Cancelled in the library: what the fetch had received waits for the next one. If
                # it completed meanwhile, its messages reach _leftover (see _fetch_done).
                self._cancel_fetch(fid.value)
                raise

        def _cancel_fetch(self, fid: int) -> None:
            try:
                p = self._guard.acquire(BadSubscriptionError)
            except Error:
                return  # freed: the fetch ended with it
            try:
                lib.natsrs_pull_subscription_fetch_cancel(p, fid)
            finally:
                self._guard.release()

        async def _fetch_in_executor(self, batch: int, t: int, hb: int) -> List[Msg]:
            loop = asyncio.get_running_loop()
            self._fetch_loop = loop
            fut = loop.run_in_executor(_c.executor, self._fetch_blocking, batch, t, hb)
            try:
                msgs = await asyncio.shield(fut)
            except asyncio.CancelledError:
                # the library call cannot be interrupted: keep what it returns for the next fetch
                fut.add_done_callback(self._keep_leftover)
                raise
            self._delivered += len(msgs)
            return msgs

        def _keep_leftover(self, fut: "asyncio.Future[List[Msg]]") -> None:
            if not fut.cancelled() and fut.exception() is None:
                self._leftover.extend(fut.result())

        def _fetch_blocking(self, batch: int, timeout_ms: int, hb_ms: int = 0) -> List[Msg]:
            client = self._nc
            with self._fetching_lock:
                self._fetching += 1
                _fetching.add(self)
            try:
                return _sync.fetch_blocking(
                    self._guard, batch, timeout_ms, lambda s, r, d, h, m: Msg(client, s, r, d, h, m), hb_ms
                )
            finally:
                with self._fetching_lock:
                    self._fetching -= 1
                    if not self._fetching:
                        _fetching.discard(self)

        def _interrupt_abandoned_fetch(self) -> None:
            """At exit: a fetch whose event loop no longer runs is ended (by unsubscribing), so
            that the interpreter does not wait for its timeout."""
            loop = self._fetch_loop
            if loop is not None and loop.is_running():
                return
            try:
                ptr = self._guard.acquire(BadSubscriptionError)
            except Error:
                return
            try:
                lib.natsrs_pull_subscription_unsubscribe(ptr)
            finally:
                self._guard.release()

        async def unsubscribe(self) -> None:
            """Ends the subscription (the consumer stays, as in nats-py)."""
            _sync.unsubscribe_pull(self._guard)

        def __repr__(self) -> str:
            return f"<natsrs.aio.js PullSubscription stream='{self._stream}' consumer='{self._consumer}'>"


async def _control(nc: "Client", msg: Msg) -> None:
    """Answers a flow-control request or a stalled-consumer heartbeat; drops other statuses."""
    to = _sync.control_reply(msg)
    if to:
        await nc.publish(to, b"")
