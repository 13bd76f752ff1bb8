"""Completion of ``natsrs_pull_subscription_fetch_async`` for the asyncio API's pull
subscriptions (``natsrs.aio.js.client``): the library's completion thread copies the fetched
messages and resolves the fetch's future on the loop; fetches still running in the thread pool
(without the async fetch) are interrupted at interpreter exit."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import TYPE_CHECKING, Any, List, Optional

from ... import _core, _ffi
from ... import js as _sync
from ..._core import OK
from ...errors import error_for
from ..msg import Msg
from . import _c  # noqa: F401  (imported first: see the exit hook below)
from .errors import NotFoundError

if TYPE_CHECKING:
    from .client import JetStreamContext

_S = _ffi


class _FetchCompletion:
    """Registry entry of one ``natsrs_pull_subscription_fetch_async``: the completion (on the
    library's completion thread) copies the messages and resolves the future on the loop."""

    __slots__ = ("loop", "fut", "psub", "hb_ms")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fut: "asyncio.Future[List[Msg]]",
        psub: "JetStreamContext.PullSubscription",
        hb_ms: int = 0,
    ) -> None:
        self.loop = loop
        self.fut = fut
        self.psub = psub
        self.hb_ms = hb_ms

    def complete(self, status: int, msgs: Any, count: int) -> None:
        result: List[Msg] = []
        exc: Optional[BaseException] = None
        if status == OK:
            if count:
                client = self.psub._nc
                result = _fetch_extractor().run(msgs, count, lambda s, r, d, h, m: Msg(client, s, r, d, h, m))
        elif status == _S.NATSRS_STATUS_TIMEOUT:
            exc = _sync.timeout_error(self.hb_ms)
        elif status == _S.NATSRS_STATUS_NOT_FOUND:
            exc = NotFoundError(code=404, description="consumer not found (deleted?)")
        else:
            exc = error_for(status, "")
        try:
            self.loop.call_soon_threadsafe(_fetch_done, self.psub, self.fut, result, exc)
        except RuntimeError:
            pass


def _fetch_done(
    psub: "JetStreamContext.PullSubscription",
    fut: "asyncio.Future[List[Msg]]",
    result: List[Msg],
    exc: Optional[BaseException],
) -> None:
    """On the loop: resolves the fetch's future; messages of a fetch whose task was cancelled
    after it had completed are kept for the next fetch."""
    if fut.done():
        if result:
            psub._leftover.extend(result)
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


_fetch_tls = threading.local()


def _fetch_extractor() -> _core.BatchExtractor:
    """The completion thread's extractor (its scratch out-parameters are per thread)."""
    ex: Optional[_core.BatchExtractor] = getattr(_fetch_tls, "ex", None)
    if ex is None:
        ex = _fetch_tls.ex = _core.BatchExtractor()
    return ex


# pull subscriptions with a fetch running in the pool (see _interrupt_abandoned_fetch)
_fetching: "weakref.WeakSet[JetStreamContext.PullSubscription]" = weakref.WeakSet()


def _interrupt_fetches_at_exit() -> None:
    for sub in list(_fetching):
        try:
            sub._interrupt_abandoned_fetch()
        except Exception:  # pragma: no cover - exit path
            pass


# threading's exit hooks run in reverse order of registration, so this one runs before the thread
# pool (registered when _c imported concurrent.futures) waits for its threads.
_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:
    _register_atexit(_interrupt_fetches_at_exit)
