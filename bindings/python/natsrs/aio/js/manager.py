"""nats-py's ``nats.js.manager``: JetStream stream and consumer management.

Every call goes through libnatsrs's JetStream C API (``natsrs_jetstream_add_stream``, ...), which
waits for the server's answer: the asyncio API runs the blocking API's call (``natsrs.js``) in a
thread pool of its own (``natsrs.aio.js._c.executor``), so the loop never blocks.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Callable, List, Optional, TypeVar

from ... import js as _sync
from . import api
from ._c import JsHandle, executor

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["JetStreamManager"]

_T = TypeVar("_T")


class JetStreamManager:
    """Manages streams and consumers (``nc.jsm()``; a ``JetStreamContext`` is one too)."""

    def __init__(
        self,
        conn: "Client",
        prefix: str = api.DEFAULT_PREFIX,
        timeout: float = 5,
        domain: Optional[str] = None,
    ) -> None:
        self._nc = conn
        self._prefix = f"$JS.{domain}.API" if domain else prefix
        self._timeout = timeout
        self._h = JsHandle(conn._c(), prefix, domain, timeout)
        self._sync = _sync.JetStreamManager(conn, prefix, timeout, domain, _handle=self._h)

    async def _run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))

    # ---- account and streams
    async def account_info(self) -> api.AccountInfo:
        return await self._run(self._sync.account_info)

    async def find_stream_name_by_subject(self, subject: str) -> str:
        """The stream whose subjects capture ``subject`` (``NotFoundError`` if none)."""
        return await self._run(self._sync.find_stream_name_by_subject, subject)

    async def stream_info(self, name: str, subjects_filter: Optional[str] = None) -> api.StreamInfo:
        """A stream's config and state; with ``subjects_filter`` also ``state.subjects``."""
        return await self._run(self._sync.stream_info, name, subjects_filter)

    async def add_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        """Creates a stream from ``config`` and/or StreamConfig fields as keywords."""
        config = (config or api.StreamConfig()).evolve(**params)
        _sync.validate_name("stream", config.name)
        return await self._run(self._sync.add_stream, config)

    async def update_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        """Updates a stream's config."""
        config = (config or api.StreamConfig()).evolve(**params)
        _sync.validate_name("stream", config.name)
        return await self._run(self._sync.update_stream, config)

    async def delete_stream(self, name: str) -> bool:
        _sync.validate_name("stream", name)
        return await self._run(self._sync.delete_stream, name)

    async def purge_stream(
        self,
        name: str,
        seq: Optional[int] = None,
        subject: Optional[str] = None,
        keep: Optional[int] = None,
    ) -> bool:
        """Purges everything, or only ``subject``, below ``seq``, or all but the last ``keep``."""
        _sync.validate_name("stream", name)
        return await self._run(self._sync.purge_stream, name, seq, subject, keep)

    async def streams_info(self, offset: int = 0) -> List[api.StreamInfo]:
        """The info of the streams in one page of the server's list, from ``offset``."""
        return await self._run(self._sync.streams_info, offset)

    async def streams_info_iterator(self, offset: int = 0) -> api.StreamsListIterator:
        return await self._run(self._sync.streams_info_iterator, offset)

    # ---- consumers
    async def add_consumer(
        self,
        stream: str,
        config: Optional[api.ConsumerConfig] = None,
        timeout: Optional[float] = None,
        **params: Any,
    ) -> api.ConsumerInfo:
        """Creates (or, same config, finds) a consumer on ``stream``."""
        _sync.validate_name("stream", stream)
        return await self._run(self._sync.add_consumer, stream, config, timeout, **params)

    async def update_consumer(
        self, stream: str, config: Optional[api.ConsumerConfig] = None, **params: Any
    ) -> api.ConsumerInfo:
        return await self._run(self._sync.update_consumer, stream, config, **params)

    async def consumer_info(self, stream: str, consumer: str, timeout: Optional[float] = None) -> api.ConsumerInfo:
        _sync.validate_name("stream", stream)
        _sync.validate_name("consumer", consumer)
        return await self._run(self._sync.consumer_info, stream, consumer)

    async def delete_consumer(self, stream: str, consumer: str) -> bool:
        _sync.validate_name("stream", stream)
        _sync.validate_name("consumer", consumer)
        return await self._run(self._sync.delete_consumer, stream, consumer)

    async def consumers_info(self, stream: str, offset: Optional[int] = None) -> List[api.ConsumerInfo]:
        """The info of the consumers of ``stream`` in one page of the server's list."""
        return await self._run(self._sync.consumers_info, stream, offset)

    async def pause_consumer(
        self, stream: str, consumer: str, pause_until: str, timeout: Optional[float] = None
    ) -> api.ConsumerPause:
        """Pauses a consumer until ``pause_until`` (RFC 3339, e.g. "2030-01-01T00:00:00Z");
        server 2.11+."""
        return await self._run(self._sync.pause_consumer, stream, consumer, pause_until, timeout)

    async def resume_consumer(self, stream: str, consumer: str, timeout: Optional[float] = None) -> api.ConsumerPause:
        """Resumes a paused consumer now."""
        return await self._run(self._sync.resume_consumer, stream, consumer, timeout)

    async def reset_consumer(
        self, stream: str, consumer: str, seq: Optional[int] = None, timeout: Optional[float] = None
    ) -> api.ConsumerReset:
        """Resets a consumer's delivery state (server 2.14+): its next message is at or above
        ``seq``, or (None or 0) one above its ack floor (``ConsumerInvalidResetError`` when its
        deliver policy does not allow ``seq``)."""
        return await self._run(self._sync.reset_consumer, stream, consumer, seq, timeout)

    @classmethod
    def is_status_msg(cls, msg: Optional[Any]) -> Optional[str]:
        """The ``Status`` header of a message (a JetStream control or error message), else None."""
        if msg is None or msg.headers is None:
            return None
        status = msg.headers.get(api.Header.STATUS.value)
        return None if status is None else str(status)

    # ---- stored messages
    async def get_msg(
        self,
        stream_name: str,
        seq: Optional[int] = None,
        subject: Optional[str] = None,
        direct: Optional[bool] = False,
        next: Optional[bool] = False,
    ) -> api.RawStreamMsg:
        """A stored message by sequence, the last one on ``subject``, or with ``next`` the first at
        ``seq`` or later whose subject matches ``subject`` (wildcards allowed; any when None)."""
        return await self._run(self._sync.get_msg, stream_name, seq, subject, direct, next)

    async def get_last_msg(self, stream_name: str, subject: str, direct: Optional[bool] = False) -> api.RawStreamMsg:
        return await self.get_msg(stream_name, subject=subject, direct=direct)

    async def delete_msg(self, stream_name: str, seq: int) -> bool:
        _sync.validate_name("stream", stream_name)
        return await self._run(self._sync.delete_msg, stream_name, seq)
