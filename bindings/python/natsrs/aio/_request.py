"""Requests of the asyncio client over one muxed inbox subscription, as nats-py makes them.

The first request of a client subscribes to ``<inbox>.*`` (a private synchronous subscription,
unlimited pending, its notify fd watched by the event loop); every request publishes with the
reply subject ``<inbox>.<n>`` through the packed publish call and waits on a future kept under
``<n>``. When the notify fd becomes readable the replies are drained in packed batches and
matched to their futures on the loop thread: no library thread runs Python code and nothing
crosses threads per request (the reply's only hop is the library's I/O thread signalling the
eventfd the loop already polls).

A request's future leaves the table when its reply is dispatched, when it times out, when the
awaiting task is cancelled and when the connection ends (pending requests then fail with
``ConnectionClosedError``). A reply without a waiting future (late, or its request cancelled) is
dropped; it never disturbs the replies of other requests. A no-responders status (503, no
payload) raises ``NoRespondersError``, a timeout ``TimeoutError``, as in nats-py.
"""

from __future__ import annotations

import asyncio
import heapq
import os
import weakref
from ctypes import byref, c_int32, c_void_p
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .. import _core, _ffi
from .._core import OK, check, lib
from ..errors import BadTimeoutError, ConnectionClosedError, Error, NoRespondersError, TimeoutError, error_for
from .msg import Msg

if TYPE_CHECKING:
    from .client import Client

__all__ = ["RequestMux"]

_publish_packed = lib.natsrs_connection_publish_packed
_entry = _core.PACKED_ENTRY.pack
_unpack_entry = _core.PACKED_ENTRY.unpack_from
_ENTRY_LEN = _core.PACKED_ENTRY_LEN
_parse_headers = _core.parse_header_block
_S = _ffi
UNLIMITED = -1  # the mux's pending limits: replies are never dropped by the library
NO_RESPONDERS_STATUS = "503"


def _free_sub(ptr: int) -> None:
    lib.natsrs_subscription_free(ptr)


# The deadline heap keeps entries of answered requests until their deadline passes; it is
# rebuilt without them once it holds this many more than the waiting requests.
EXPIRY_SLACK = 1024


class RequestMux:
    """The client's response subscription and its table of waiting requests (loop thread only)."""

    def __init__(self, client: "Client", loop: asyncio.AbstractEventLoop) -> None:
        core = client._c()
        self._client = client
        self._loop = loop
        self._prefix = (core.new_inbox() + ".").encode()
        self._plen = len(self._prefix)
        out = c_void_p()
        check(lib.natsrs_connection_subscribe_sync(core.require_open(), self._prefix + b"*", byref(out)))
        ptr = out.value
        assert ptr is not None
        self._guard = _core.HandleGuard(ptr, _free_sub)
        self._finalizer = weakref.finalize(self, _core.HandleGuard.finalize, self._guard)
        self._futs: Dict[bytes, "asyncio.Future[Msg]"] = {}
        # Timeouts share one loop timer, armed for the earliest deadline: (deadline, token)
        # entries in a heap instead of a timer handle per request.
        self._expiry: List[Tuple[float, bytes]] = []
        self._timer: Optional[asyncio.TimerHandle] = None
        self._timer_at = 0.0
        self._n = 0
        self._reader = _core.PackedReader()
        self._ended: Optional[Error] = None
        self._sid = int(lib.natsrs_subscription_sid(ptr))
        try:
            check(lib.natsrs_subscription_set_pending_limits(ptr, UNLIMITED, UNLIMITED))
            fd = c_int32(-1)
            check(lib.natsrs_subscription_notify_fd(ptr, byref(fd)))
        except BaseException:
            self._guard.close()
            raise
        self._fd = int(fd.value)
        loop.add_reader(self._fd, self._on_readable)
        self._reading = True
        client._fd_readers[self._sid] = self._drain  # an inline read's signal (aio/_inline.py)

    @property
    def ended(self) -> bool:
        return self._ended is not None

    @property
    def waiting(self) -> int:
        """Requests waiting for their reply."""
        return len(self._futs)

    async def request(
        self, p: int, subject: bytes, payload: bytes, timeout: Optional[float], headers: Optional[Dict[str, Any]]
    ) -> Msg:
        """Publishes one request (connection pointer ``p``, a checked subject) and awaits its reply."""
        if timeout is not None and timeout < 0:
            raise BadTimeoutError()
        self._n += 1
        token = b"%x" % self._n
        reply = self._prefix + token
        if headers:
            m = _core.make_c_msg(subject.decode(), reply.decode(), payload, headers)
            try:
                st = lib.natsrs_connection_publish_msg(p, m)
            finally:
                lib.natsrs_msg_free(m)
        else:
            buf = _entry(len(subject), len(reply), 0, len(payload)) + subject + reply + payload
            st = _publish_packed(p, buf, len(buf), None)
        if st != OK:
            raise _core.raise_status(st)
        loop = self._loop
        fut: "asyncio.Future[Msg]" = loop.create_future()
        futs = self._futs
        futs[token] = fut
        if timeout is not None:
            at = loop.time() + timeout
            expiry = self._expiry
            heapq.heappush(expiry, (at, token))
            if self._timer is None or at < self._timer_at:
                self._arm(at)
            elif len(expiry) > len(futs) + EXPIRY_SLACK:
                self._expiry = [e for e in expiry if e[1] in futs]
                heapq.heapify(self._expiry)
        try:
            return await fut
        finally:
            futs.pop(token, None)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = self._loop.call_at(at, self._expire)

    def _expire(self) -> None:
        """The shared timer: requests past their deadline fail with ``TimeoutError``."""
        self._timer = None
        now = self._loop.time()
        expiry, futs = self._expiry, self._futs
        while expiry:
            at, token = expiry[0]
            fut = futs.get(token)
            if fut is None or fut.done():
                heapq.heappop(expiry)  # answered (or cancelled): nothing to time out
                continue
            if at > now:
                self._arm(at)  # the earliest request still waiting
                return
            heapq.heappop(expiry)
            fut.set_exception(TimeoutError())

    # ---- delivery (loop thread, when the notify fd is readable)
    def _on_readable(self) -> None:
        try:
            os.read(self._fd, 8)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.end(ConnectionClosedError())
            return
        self._drain()

    def _drain(self) -> None:
        """Dispatches every reply queued (after the notify fd's signal, or an inline read's)."""
        p = self._guard.ptr
        if p is None:
            return
        read = self._reader.read
        while True:
            st, raw, n = read(p)
            if st != OK:
                if st == _S.NATSRS_STATUS_SLOW_CONSUMER:
                    continue
                self.end(error_for(st, _core.last_error_message()))
                return
            if not n:
                return
            self._dispatch(raw)

    def _dispatch(self, raw: bytes) -> None:
        """Resolves the futures of the replies in one packed batch."""
        futs, plen, client, sid = self._futs, self._plen, self._client, self._sid
        off, end = 0, len(raw)
        while off < end:
            sl, rl, hl, dl = _unpack_entry(raw, off)
            o = off + _ENTRY_LEN
            o2 = o + sl
            off = o2 + rl + hl + dl
            fut = futs.pop(raw[o + plen : o2], None)
            if fut is None or fut.done():
                continue  # late, cancelled or timed out: nobody waits for it
            headers = multi = None
            if hl:
                headers, multi = _parse_headers(raw[o2 + rl : o2 + rl + hl], dl > 0)
                if not dl and headers is not None and headers.get("Status") == NO_RESPONDERS_STATUS:
                    fut.set_exception(NoRespondersError())
                    continue
            reply = raw[o2 : o2 + rl].decode("utf-8", "replace") if rl else ""
            fut.set_result(
                Msg(client, raw[o:o2].decode("utf-8", "replace"), reply, raw[off - dl : off], headers, multi, sid)
            )

    # ---- ending
    def end(self, err: Optional[Error] = None) -> None:
        """Stops the mux (the connection closed or the client is closing): waiting requests fail
        with ``err`` (``ConnectionClosedError`` by default)."""
        if self._ended is None:
            self._ended = err or ConnectionClosedError()
        if self._reading:
            self._reading = False
            self._client._fd_readers.pop(self._sid, None)
            try:
                self._loop.remove_reader(self._fd)
            except (ValueError, OSError, RuntimeError):
                pass
        self._guard.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._expiry = []
        futs, self._futs = self._futs, {}
        for fut in futs.values():
            if not fut.done():
                fut.set_exception(ConnectionClosedError())
        if self._client._mux is self:
            self._client._mux = None
