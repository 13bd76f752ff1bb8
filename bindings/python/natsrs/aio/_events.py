"""The asyncio client's plumbing: connection events posted to the loop, completions of the
library's non-blocking calls resolving futures, the shared batch extractor."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import weakref
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional, Set

from .. import _core, _ffi
from .._core import OK, lib
from .._options import Events
from ..errors import (
    AuthorizationError,
    Error,
    FlushTimeoutError,
    NoServersError,
    SlowConsumerError,
    UnexpectedEOF,
    error_for,
)
from .msg import Msg
from .subscription import Subscription

if TYPE_CHECKING:
    from .client import Client

log = logging.getLogger("nats.aio.client")
_S = _ffi
_CONNECT_TO = re.compile(r"connect to \w+://(?:[^@/\s]*@)?\[?([^\]\s/]+?)\]?:(\d+)")


class AuthNoServersError(NoServersError, AuthorizationError):
    """What connect raises when the server refuses the credentials: nats-py's NoServersError,
    also natsrs's AuthorizationError."""


AuthNoServersError.__name__ = AuthNoServersError.__qualname__ = "NoServersError"


def conn_error(status: int, text: str) -> Exception:
    """nats-py's error_cb argument for a lost connection or a failed connect attempt: an
    ``UnexpectedEOF`` when the server closed it, the socket's ``ConnectionRefusedError`` /
    ``ConnectionResetError``, ``nats.errors.Error`` for refused credentials."""
    if status == _S.NATSRS_STATUS_AUTHORIZATION:
        return Error("nats: 'Authorization Violation'")
    if "Connection refused" in text:
        m = _CONNECT_TO.search(text)
        return ConnectionRefusedError(111, "Connect call failed" + (f" ('{m[1]}', {m[2]})" if m else ""))
    if "reset by peer" in text:
        return ConnectionResetError(104, "Connection reset by peer")
    if status == _S.NATSRS_STATUS_IO and ("closed by the server" in text or "EOF" in text):
        return UnexpectedEOF()
    return error_for(status, text)


class _AioEvents(Events):
    """Hands the connection's events (library threads) to the event loop as tasks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cbs: Dict[str, Any]) -> None:
        self.loop = loop
        self.cbs = cbs
        self.tasks: Set["asyncio.Task[None]"] = set()
        self.closed = asyncio.Event()
        self.client: Optional["weakref.ref[Client]"] = None
        self.subs: "weakref.WeakValueDictionary[int, Subscription]" = weakref.WeakValueDictionary()
        self.lost = False  # the connection was lost and is not back (yet)

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed
            pass

    def spawn(self, name: str, *args: Any) -> None:
        """On the loop thread: runs callback ``name`` as a task."""
        cb = self.cbs.get(name)
        if cb is None:
            return
        task = self.loop.create_task(self._run(name, cb, args))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, name: str, cb: Callable[..., Awaitable[None]], args: Any) -> None:
        try:
            await cb(*args)
        except asyncio.CancelledError:
            pass
        except Exception as e:
            if name == "error_cb":
                log.error("nats: error_cb raised", exc_info=e)
            else:
                self.spawn("error_cb", e)

    def _error_in_loop(self, exc: Error, sub_ptr: int) -> None:
        c = self.client() if self.client else None
        if c is not None and not isinstance(exc, SlowConsumerError):  # (nats-py: error_cb only)
            c._err = exc
            if c._core is not None:
                c._core.errors_received += 1
        if isinstance(exc, SlowConsumerError) and sub_ptr:
            sub = self.subs.get(sub_ptr)
            if sub is not None:
                exc.sub, exc.subject, exc.sid = sub, sub.subject, sub._id
        self.spawn("error_cb", exc)

    def on_error(self, exc: Error, sub_ptr: int) -> None:
        self._post(self._error_in_loop, exc, sub_ptr)

    def on_disconnected(self, status: int, text: str) -> None:
        def run() -> None:
            c = self.client() if self.client else None
            if status not in (OK, _S.NATSRS_STATUS_CONNECTION_CLOSED):
                # nats-py: error_cb gets the cause (an UnexpectedEOF, ...) before disconnected_cb
                err = conn_error(status, text)
                self.lost = True
                if c is not None:
                    c._err = err
                self.spawn("error_cb", err)
            self.spawn("disconnected_cb")

        self._post(run)

    def on_reconnect_error(self, status: int, text: str) -> None:
        # nats-py: each failed reconnect attempt goes to error_cb
        self._post(self.spawn, "error_cb", conn_error(status, text))

    def on_reconnected(self) -> None:
        def run() -> None:
            self.lost = False
            c = self.client() if self.client else None
            if c is not None:
                c._pub_max = -1  # the new server's INFO may differ
                if c._inline is not None:
                    c._inline.attach()  # the loop reads the new socket
            self.spawn("reconnected_cb")

        self._post(run)

    def on_closed(self) -> None:
        def run() -> None:
            self.closed.set()
            c = self.client() if self.client else None
            if c is not None:
                c._pub_max = -1  # publishes take the checked path, which sees the closed connection
            if self.lost and c is not None and c.options.get("allow_reconnect", True):
                c._err = NoServersError()  # nats-py's last_error when the reconnects ran out
            # nats-py runs disconnected_cb, then closed_cb, whenever the connection closes
            task = self.loop.create_task(self._closing_cbs())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

        self._post(run)

    async def _closing_cbs(self) -> None:
        for name in ("disconnected_cb", "closed_cb"):
            cb = self.cbs.get(name)
            if cb is not None:
                await self._run(name, cb, ())

    def on_discovered(self) -> None:
        self._post(self.spawn, "discovered_server_cb")

    def on_lame_duck(self) -> None:
        self._post(self.spawn, "lame_duck_mode_cb")

    def report_exception(self, exc: BaseException) -> None:
        self._post(self.spawn, "error_cb", exc)


class _Completion:
    """Registry entry of one non-blocking request or flush: the completion callback (on the
    library's completion thread) resolves the future on the loop."""

    __slots__ = ("loop", "fut", "client", "flush")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fut: "asyncio.Future[Any]",
        client: Optional["Client"],
        flush: bool = False,
    ) -> None:
        self.loop = loop
        self.fut = fut
        self.client = client
        self.flush = flush

    def complete(self, status: int, msg: int) -> None:
        result: Any = None
        exc: Optional[BaseException] = None
        if status == OK:
            if msg:
                client = self.client
                try:
                    result = _extractor().one(msg, lambda s, r, d, h, m: Msg(client, s, r, d, h, m))
                finally:
                    lib.natsrs_msg_free(msg)
        else:
            exc = error_for(
                status, "", FlushTimeoutError if self.flush and status == _S.NATSRS_STATUS_TIMEOUT else None
            )
        try:
            self.loop.call_soon_threadsafe(_resolve, self.fut, result, exc)
        except RuntimeError:
            pass


_tls = threading.local()


def _extractor() -> _core.BatchExtractor:
    """The completion thread's extractor (its scratch out-parameters are per thread)."""
    ex: Optional[_core.BatchExtractor] = getattr(_tls, "ex", None)
    if ex is None:
        ex = _tls.ex = _core.BatchExtractor()
    return ex


def _resolve(fut: "asyncio.Future[Any]", result: Any, exc: Optional[BaseException]) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
