"""nats-py's ``nats.aio.subscription``: subscriptions of the asyncio API.

A subscription is a synchronous library subscription whose notify fd the event loop watches
(``loop.add_reader``). When it becomes readable the binding drains the queued messages in
batches: one ``natsrs_subscription_try_next_packed`` call per wake-up copies every waiting message
(as many as fit a reusable buffer) in the packed layout, unpacked here with ``struct`` and slices:
no thread hop, no callback and no foreign call per message.
Messages wait in the library's queue (where the pending limits apply) until the consumer (the
callback task, ``next_msg`` or the ``messages`` iterator) asks for them.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import os
import sys
import weakref
from ctypes import byref, c_int32, c_int64, c_uint64, c_void_p
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Deque, Generator, Optional, Tuple

from .. import _core, _ffi
from .._core import OK, check, lib
from ..errors import (
    BadSubscriptionError,
    ConnectionClosedError,
    ConnectionDrainingError,
    Error,
    MaxMessagesError,
    TimeoutError,
    error_for,
)
from .msg import Msg

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Subscription", "DEFAULT_SUB_PENDING_MSGS_LIMIT", "DEFAULT_SUB_PENDING_BYTES_LIMIT"]

DEFAULT_SUB_PENDING_MSGS_LIMIT = 512 * 1024
DEFAULT_SUB_PENDING_BYTES_LIMIT = 128 * 1024 * 1024
_S = _ffi
_unpack_some = _core.unpack_some
YIELD_EVERY = 256  # a callback subscription yields to the loop at least once per this many messages
# Callbacks run at once (Subscription._run_now) for batches up to this size; a larger burst is
# left to the subscription's task, where a plain await per message costs less than starting
# each callback by hand.
EAGER_MAX_BATCH = 8
UNPACK_CHUNK = 64  # messages made from a packed batch at a time (few live objects: cheap GC passes)


class Backlog:
    """Whether a subscription in this process had more messages than it handles in one loop turn
    when it last yielded (cleared when one runs out of messages). Publishers read it to yield
    more often, so that a publishing task and the subscriptions on its loop share the loop
    fairly, instead of the publisher filling the pending limits until the library drops
    messages as a slow consumer."""

    pressed = False


def _packed_data_bytes(raw: bytes, off: int) -> int:
    """The payload bytes of the packed entries from offset ``off`` on."""
    n, end, unpack = 0, len(raw), _core.PACKED_ENTRY.unpack_from
    while off < end:
        sl, rl, hl, dl = unpack(raw, off)
        n += dl
        off += _core.PACKED_ENTRY_LEN + sl + rl + hl + dl
    return n


def _free_sub(ptr: int) -> None:
    lib.natsrs_subscription_free(ptr)


# Callbacks run at once when messages arrive (see Subscription._run_now): the subscription's task,
# parked while its queue is empty, is entered as the current task and its context is used, so a
# callback sees what it would see running in that task. Needs create_task(context=) (3.11) and
# asyncio's task bookkeeping; without them callbacks always run in the task, a loop turn later.
_enter_task: Optional[Callable[[asyncio.AbstractEventLoop, "asyncio.Task[Any]"], None]] = None
_leave_task: Optional[Callable[[asyncio.AbstractEventLoop, "asyncio.Task[Any]"], None]] = None
if sys.version_info >= (3, 11) and os.environ.get("NATSRS_AIO_EAGER_CALLBACKS", "1") != "0":
    _enter_task = getattr(asyncio.tasks, "_enter_task", None)
    _leave_task = getattr(asyncio.tasks, "_leave_task", None)
    if _enter_task is None or _leave_task is None:
        _enter_task = _leave_task = None

_Step = Tuple[Any, Any]  # a callback coroutine that suspended, and what it yielded


class _Resume:
    """Awaits a callback coroutine whose first steps already ran (it suspended on ``first``):
    what the task sends or throws in goes on to the coroutine, as ``await`` would."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Any, first: Any) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, y = self._coro, self._first
        self._coro = self._first = None
        while True:
            try:
                v = yield y
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as e:  # thrown in by the task (a cancellation): the callback's
                try:
                    y = coro.throw(e)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    y = coro.send(v)
                except StopIteration as stop:
                    return stop.value


class Subscription:
    """Interest in a subject. Create with ``await nc.subscribe(...)``."""

    def __init__(
        self,
        conn: "Client",
        ptr: int,
        subject: str = "",
        queue: str = "",
        cb: Optional[Callable[[Msg], Awaitable[None]]] = None,
        future: Optional["asyncio.Future[Msg]"] = None,
        max_msgs: int = 0,
        pending_msgs_limit: int = DEFAULT_SUB_PENDING_MSGS_LIMIT,
        pending_bytes_limit: int = DEFAULT_SUB_PENDING_BYTES_LIMIT,
    ) -> None:
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._guard = _core.HandleGuard(ptr, _free_sub)
        self._finalizer = weakref.finalize(self, _core.HandleGuard.finalize, self._guard)
        self._id = int(lib.natsrs_subscription_sid(ptr))
        self._subject = subject
        self._queue = queue
        self._cb = cb
        self._future = future
        self._max_msgs = max_msgs
        self._pending_msgs_limit = pending_msgs_limit
        self._pending_bytes_limit = pending_bytes_limit
        self._buf: Deque[Msg] = collections.deque()
        self._reader = _core.PackedReader()
        self._raw = b""  # the packed batch taken from the library, unpacked UNPACK_CHUNK at a time
        self._roff = 0  # where its next message starts
        self._rleft = 0  # how many messages it still holds
        self._run = 0  # messages next_msg returned since it last yielded to the loop
        self._event = asyncio.Event()  # next_msg's wake-up
        self._waiter: Optional["asyncio.Future[None]"] = None  # the callback task's, while parked
        self._resume: Optional[_Step] = None  # a callback that suspended in _run_now, for the task
        self._ctx: Optional[contextvars.Context] = None  # the callback task's context
        self._ended: Optional[Error] = None
        self._received_final = 0  # delivered, kept when the subscription ends
        self._closed = False
        self._draining = False
        self._wait_for_msgs_task: Optional["asyncio.Task[None]"] = None
        fd = c_int32(-1)
        check(lib.natsrs_subscription_notify_fd(ptr, byref(fd)))
        self._fd = int(fd.value)
        self._loop.add_reader(self._fd, self._on_readable)
        self._reading = True
        # an inline read's signal (aio/_inline.py)
        conn._fd_readers[self._id] = self._signal if cb is not None else self._event.set
        if sys.version_info >= (3, 11):
            if cb is not None and _enter_task is not None:
                self._ctx = contextvars.copy_context()
        if cb is not None or future is not None:
            self._wait_for_msgs_task = self._start_task()

    # ---- properties
    @property
    def subject(self) -> str:
        return self._subject

    @property
    def queue(self) -> str:
        return self._queue

    @property
    def messages(self) -> AsyncIterator[Msg]:
        """An async iterator over the messages; it ends when the subscription ends."""
        if self._cb is not None:
            raise Error("cannot iterate over messages with a non iteration subscription type")
        return _SubscriptionMessageIterator(self)

    def _pending(self) -> "tuple[int, int]":
        msgs = len(self._buf) + self._rleft
        nbytes = sum(len(m.data) for m in self._buf) + (_packed_data_bytes(self._raw, self._roff) if self._rleft else 0)
        if self._guard.closed or self._guard.ptr is None:
            return msgs, nbytes
        m, b = c_int64(0), c_int64(0)
        lib.natsrs_subscription_pending(self._guard.ptr, byref(m), byref(b))
        return int(m.value) + msgs, int(b.value) + nbytes

    @property
    def pending_msgs(self) -> int:
        return self._pending()[0]

    @property
    def pending_bytes(self) -> int:
        return self._pending()[1]

    @property
    def delivered(self) -> int:
        """Messages received for this subscription so far, counted as nats-py counts them: each
        as it arrives (one still pending, or dropped as a slow consumer, included)."""
        p = self._guard.ptr
        if p is None or self._guard.closed:
            return self._received_final
        out, m, b, d = c_uint64(0), c_int64(0), c_int64(0), c_uint64(0)
        lib.natsrs_subscription_delivered(p, byref(out))
        lib.natsrs_subscription_pending(p, byref(m), byref(b))
        lib.natsrs_subscription_dropped(p, byref(d))
        return int(out.value) + int(m.value) + int(d.value)

    @property
    def dropped(self) -> int:
        if self._guard.ptr is None:
            return 0
        out = c_uint64(0)
        lib.natsrs_subscription_dropped(self._guard.ptr, byref(out))
        return int(out.value)

    # ---- delivery
    def _on_readable(self) -> None:
        try:
            os.read(self._fd, 8)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._stop_reading()
        if self._cb is not None:
            self._signal()
        else:
            self._event.set()

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._conn._fd_readers.pop(self._id, None)
            try:
                self._loop.remove_reader(self._fd)
            except (ValueError, OSError, RuntimeError):
                pass

    def _fill(self) -> int:
        """Moves the next messages into the buffer: the next chunk of the packed batch taken
        before, else a new batch (every queued message that fits the reader's buffer) from the
        library. Returns how many; sets ``_ended`` when the subscription has ended."""
        if self._rleft:
            msgs, self._roff = _unpack_some(self._raw, self._roff, UNPACK_CHUNK, Msg, self._conn, self._id)
            self._rleft -= len(msgs)
            if not self._rleft:
                self._raw = b""
            self._buf.extend(msgs)
            return len(msgs)
        p = self._guard.ptr
        if p is None or self._closed:
            if self._ended is None:
                self._ended = ConnectionClosedError() if self._conn.is_closed else BadSubscriptionError()
            return 0
        read = self._reader.read
        while True:
            st, raw, n = read(p)
            if st == OK:
                break
            if st == _S.NATSRS_STATUS_SLOW_CONSUMER:
                continue  # reported through error_cb by the connection's error handler
            self._end(error_for(st, _core.last_error_message()))
            return 0
        if not n:
            return 0
        self._raw, self._roff, self._rleft = raw, 0, n
        return self._fill()

    def _end(self, err: Error) -> None:
        if self._guard.ptr is not None and not self._guard.closed:
            self._received_final = self.delivered
        if self._ended is None:
            self._ended = err
        self._stop_reading()
        self._event.set()
        self._wake()
        self._guard.close()
        self._conn._remove_sub(self)

    # ---- callback delivery
    def _start_task(self) -> "asyncio.Task[None]":
        if sys.version_info >= (3, 11):
            if self._ctx is not None:
                return self._loop.create_task(self._wait_for_msgs(), context=self._ctx)
        return self._loop.create_task(self._wait_for_msgs())

    def _wake(self) -> None:
        """Wakes the callback task if it is parked (it then drains the queue itself)."""
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _signal(self) -> None:
        """Messages arrived (a loop callback: the notify fd, or an inline read). The callbacks run
        now when the callback task is parked, else the task finds them."""
        w = self._waiter
        if w is None or w.done():
            return  # the task is running or about to: it drains the queue before parking
        ctx = self._ctx
        if ctx is None:
            w.set_result(None)
            return
        try:
            ctx.run(self._run_now)
        except RuntimeError:  # the context is in use (not a plain loop callback): the task runs them
            self._wake()

    def _run_now(self) -> None:
        """Runs the callbacks of the queued messages in the parked task's context, with the task
        entered as the current one, until the queue is empty or a callback suspends (awaits
        something not ready): the task then takes that callback over and goes on. A loop turn
        and a task wake-up are spared per batch; a callback sees its own task as in nats-py."""
        task = self._wait_for_msgs_task
        loop = self._loop
        assert task is not None and _enter_task is not None and _leave_task is not None
        _enter_task(loop, task)
        try:
            buf, conn, cb = self._buf, self._conn, self._cb
            assert cb is not None
            popleft = buf.popleft
            run = 0
            while not self._closed:
                if not buf:
                    if conn._pbuf:
                        conn._flush_pubs()
                    if not self._fill():
                        Backlog.pressed = False
                        if self._ended is not None:
                            self._wake()  # the task ends the subscription's processing
                        return
                    if len(buf) + self._rleft > EAGER_MAX_BATCH:
                        self._wake()  # a burst: the task runs it
                        return
                    continue
                if run >= YIELD_EVERY:
                    Backlog.pressed = True
                    self._wake()  # a steady stream: the task goes on after a loop turn
                    return
                run += 1
                step = self._first_step(cb, popleft())
                if step is not None:
                    self._resume = step
                    self._wake()
                    return
            self._wake()
        except asyncio.CancelledError:
            # raised by a callback: the callback task ends, as it would have running it
            task.cancel()
        finally:
            _leave_task(loop, task)

    def _first_step(self, cb: Callable[[Msg], Awaitable[None]], msg: Msg) -> Optional[_Step]:
        """Starts ``cb(msg)`` and runs it up to its first suspension. None when it finished (an
        exception it raised is reported through ``error_cb``); else the coroutine and what it
        yielded, after handing over what it published (as a loop turn would have)."""
        conn = self._conn
        # what the callback publishes is handed over when it ends or suspends, not a turn later
        scheduled = conn._pflush_scheduled
        conn._pflush_scheduled = True
        try:
            coro: Any = cb(msg)
            try:
                y = coro.send(None)
            except StopIteration:
                return None
        except Exception as e:
            conn._report_exception(e)
            return None
        finally:
            if not scheduled:
                conn._pflush_scheduled = False
        if conn._pbuf:
            conn._flush_pubs()
        return coro, y

    async def _wait_for_msgs(self) -> None:
        buf, event, conn, loop = self._buf, self._event, self._conn, self._loop
        popleft, future, cb = buf.popleft, self._future, self._cb
        run = 0  # messages handled since the last yield to the loop
        try:
            while not self._closed:
                step = self._resume
                if step is not None:
                    # a callback _run_now started and that suspended: it goes on here
                    self._resume = None
                    try:
                        await _Resume(*step)
                    except asyncio.CancelledError:
                        raise
                    except Exception as e:
                        self._conn._report_exception(e)
                    continue
                if not buf:
                    # A batch was handled: replies the callback published go out now (not a loop
                    # turn later); then the next batch, or a wait for the notify fd.
                    if conn._pbuf:
                        conn._flush_pubs()
                    if self._fill():
                        continue
                    if self._ended is not None:
                        return
                    run = 0
                    Backlog.pressed = False
                    if cb is None:
                        event.clear()
                        await event.wait()
                        continue
                    w = self._waiter = loop.create_future()
                    try:
                        await w
                    finally:
                        self._waiter = None
                    continue
                if run >= YIELD_EVERY:
                    # one yield per YIELD_EVERY messages, so that a steady flood cannot starve the loop
                    run = 0
                    Backlog.pressed = True
                    if conn._pbuf:
                        conn._flush_pubs()
                    await asyncio.sleep(0)
                    continue
                run += 1
                msg = popleft()
                if future is not None:
                    if not future.done():
                        future.set_result(msg)
                    self._stop_processing()
                    return
                assert cb is not None
                try:
                    await cb(msg)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    self._conn._report_exception(e)
        except asyncio.CancelledError:
            pass

    async def next_msg(self, timeout: Optional[float] = 1.0) -> Msg:
        """The next message, waiting up to ``timeout`` seconds (None or 0: no limit).
        Raises ``TimeoutError`` (also once the subscription ended: unsubscribed or past
        ``max_msgs``, as nats-py); ``ConnectionClosedError`` once the connection closed."""
        return await self._next(timeout, True)

    async def _next(self, timeout: Optional[float], ended_waits: bool) -> Msg:
        """next_msg; with ``ended_waits`` False an ended subscription raises its end at once
        (``BadSubscriptionError``, ``MaxMessagesError``: the ``messages`` iterator stops)."""
        if self._cb is not None:
            raise Error("nats: next_msg cannot be used in async subscriptions")
        buf, event = self._buf, self._event
        loop = self._loop
        deadline = loop.time() + timeout if timeout else None
        while True:
            if buf:
                self._run += 1
                if self._run >= YIELD_EVERY:
                    self._run = 0
                    Backlog.pressed = True
                    await asyncio.sleep(0)  # so that a flood cannot starve the loop
                    if not buf:
                        continue
                return buf.popleft()
            if self._fill():
                continue
            if self._ended is not None or self._closed:
                if self._conn.is_closed:
                    raise ConnectionClosedError()
                if not ended_waits or (
                    self._ended is not None and not isinstance(self._ended, (BadSubscriptionError, MaxMessagesError))
                ):
                    raise self._ended if self._ended is not None else BadSubscriptionError()
                # Unsubscribed, or past max_msgs: as in nats-py, nothing more comes and the wait
                # ends as a wait for a message that does not come.
                if deadline is None:
                    await loop.create_future()  # (until cancelled, as nats-py's wait)
                await asyncio.sleep(max(0.0, deadline - loop.time()) if deadline is not None else 0)
                raise TimeoutError()
            Backlog.pressed = False
            event.clear()
            if deadline is None:
                await event.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except asyncio.TimeoutError:
                if not buf and not self._fill():
                    raise TimeoutError() from None

    # ---- ending
    async def unsubscribe(self, limit: int = 0) -> None:
        """Removes interest now, or after ``limit`` messages in total when ``limit > 0``."""
        self._conn._flush_pubs()
        if self._conn.is_closed:
            raise ConnectionClosedError()
        if self._conn.is_draining:
            raise ConnectionDrainingError()
        if self._closed or self._guard.ptr is None:
            raise BadSubscriptionError()
        self._max_msgs = limit
        if limit > 0:
            check(lib.natsrs_subscription_auto_unsubscribe(self._guard.ptr, limit))
            return
        if self._cb is None and self._future is None:
            # as nats-py: messages already received stay readable by next_msg / the iterator
            while self._fill():
                pass
            if self._guard.ptr is not None:
                check(lib.natsrs_subscription_unsubscribe(self._guard.ptr))
            self._stop_processing(keep_buffered=True)
            return
        check(lib.natsrs_subscription_unsubscribe(self._guard.ptr))
        self._stop_processing()

    def _stop_processing(self, keep_buffered: bool = False) -> None:
        """Stops delivery at once (messages not yet delivered are dropped, as in nats-py)."""
        self._closed = True
        if not keep_buffered:
            self._buf.clear()
            self._raw, self._roff, self._rleft = b"", 0, 0
        self._end(BadSubscriptionError())
        t = self._wait_for_msgs_task
        if t is not None and not t.done() and t is not asyncio.current_task():
            t.cancel()

    async def drain(self) -> None:
        """Removes interest, lets the messages already received be processed, then ends."""
        self._conn._flush_pubs()
        if self._conn.is_closed:
            raise ConnectionClosedError()
        if self._closed or self._guard.ptr is None:
            raise BadSubscriptionError()
        self._draining = True
        check(lib.natsrs_subscription_drain(self._guard.ptr))
        self._event.set()
        self._wake()
        t = self._wait_for_msgs_task
        if t is not None:
            await asyncio.shield(t)

    def __repr__(self) -> str:
        return f"<natsrs.aio.Subscription subject='{self._subject}' queue='{self._queue}' sid={self._id}>"


class _SubscriptionMessageIterator:
    def __init__(self, sub: Subscription) -> None:
        self._sub = sub

    def __aiter__(self) -> "_SubscriptionMessageIterator":
        return self

    async def __anext__(self) -> Msg:
        try:
            return await self._sub._next(None, False)
        except (ConnectionClosedError, BadSubscriptionError):
            raise StopAsyncIteration from None
        except Error as e:
            if self._sub._ended is not None:
                raise StopAsyncIteration from e
            raise


_unused: Any = (c_void_p,)
