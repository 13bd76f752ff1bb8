"""nats-py's ``nats.js.manager``: JetStream stream and consumer management.

Every call goes through libnatsrs's JetStream C API (``natsrs_jetstream_add_stream``, ...), which
waits for the server's answer: the asyncio API runs it in a thread pool of its own
(``natsrs.aio.js._c.executor``), so the loop never blocks. Configs and infos cross as the server's JSON.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Callable, List, Optional, TypeVar

from . import api
from ._c import JsHandle, executor
from .errors import NotFoundError

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["JetStreamManager"]

_T = TypeVar("_T")


def _validate_name(kind: str, name: Optional[str]) -> str:
    if not name:
        raise ValueError(f"nats: {kind} name is required")
    if any(c in name for c in ". *>\t\r\n"):
        raise ValueError(f"nats: invalid {kind} name '{name}'")
    return name


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

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(fn, *args))

    # ---- account
    async def account_info(self) -> api.AccountInfo:
        return api.AccountInfo.from_response(await self._run(self._h.account_info))

    # ---- streams
    async def find_stream_name_by_subject(self, subject: str) -> str:
        """The stream whose subjects capture ``subject`` (``NotFoundError`` if none)."""
        names = await self._run(self._h.stream_names, subject)
        if not names:
            raise NotFoundError(code=404, description=f"no stream matches subject '{subject}'")
        return names[0]

    async def stream_info(self, name: str, subjects_filter: Optional[str] = None) -> api.StreamInfo:
        """A stream's config and state. (``subjects_filter`` is not in the C API: ignored.)"""
        _validate_name("stream", name)
        return api.StreamInfo.from_response(await self._run(self._h.stream_info, name))

    async def add_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        """Creates a stream from ``config`` and/or StreamConfig fields as keywords."""
        config = (config or api.StreamConfig()).evolve(**params)
        _validate_name("stream", config.name)
        return api.StreamInfo.from_response(await self._run(self._h.add_stream, config.as_dict()))

    async def update_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo:
        """Updates a stream's config."""
        config = (config or api.StreamConfig()).evolve(**params)
        _validate_name("stream", config.name)
        return api.StreamInfo.from_response(await self._run(self._h.update_stream, config.as_dict()))

    async def delete_stream(self, name: str) -> bool:
        _validate_name("stream", name)
        await self._run(self._h.delete_stream, name)
        return True

    async def purge_stream(
        self,
        name: str,
        seq: Optional[int] = None,
        subject: Optional[str] = None,
        keep: Optional[int] = None,
    ) -> bool:
        """Purges everything, or only ``subject``, below ``seq``, or all but the last ``keep``."""
        _validate_name("stream", name)
        await self._run(self._h.purge_stream, name, subject, int(seq or 0), int(keep or 0))
        return True

    async def streams_info(self, offset: int = 0) -> List[api.StreamInfo]:
        """The info of every stream (from ``offset`` in name order)."""
        names = (await self._run(self._h.stream_names, None))[offset:]
        out: List[api.StreamInfo] = []
        for n in names:
            try:
                out.append(await self.stream_info(n))
            except NotFoundError:  # deleted meanwhile
                continue
        return out

    async def streams_info_iterator(self, offset: int = 0) -> api.StreamsListIterator:
        infos = await self.streams_info(offset)
        it = api.StreamsListIterator(offset, offset + len(infos), [])
        it._infos = infos
        return it

    # ---- consumers
    async def add_consumer(
        self,
        stream: str,
        config: Optional[api.ConsumerConfig] = None,
        timeout: Optional[float] = None,
        **params: Any,
    ) -> api.ConsumerInfo:
        """Creates (or, same config, finds) a consumer on ``stream``."""
        _validate_name("stream", stream)
        config = (config or api.ConsumerConfig()).evolve(**params)
        if config.name:
            _validate_name("consumer", config.name)
        if config.durable_name:
            _validate_name("consumer", config.durable_name)
        return api.ConsumerInfo.from_response(await self._run(self._h.add_consumer, stream, config.as_dict()))

    async def update_consumer(
        self, stream: str, config: Optional[api.ConsumerConfig] = None, **params: Any
    ) -> api.ConsumerInfo:
        _validate_name("stream", stream)
        config = (config or api.ConsumerConfig()).evolve(**params)
        return api.ConsumerInfo.from_response(await self._run(self._h.add_consumer, stream, config.as_dict(), True))

    async def consumer_info(self, stream: str, consumer: str, timeout: Optional[float] = None) -> api.ConsumerInfo:
        _validate_name("stream", stream)
        _validate_name("consumer", consumer)
        return api.ConsumerInfo.from_response(await self._run(self._h.consumer_info, stream, consumer))

    async def delete_consumer(self, stream: str, consumer: str) -> bool:
        _validate_name("stream", stream)
        _validate_name("consumer", consumer)
        await self._run(self._h.delete_consumer, stream, consumer)
        return True

    async def consumers_info(self, stream: str, offset: Optional[int] = None) -> List[api.ConsumerInfo]:
        """The info of every consumer of ``stream``."""
        _validate_name("stream", stream)
        names = (await self._run(self._h.consumer_names, stream))[offset or 0 :]
        out: List[api.ConsumerInfo] = []
        for n in names:
            try:
                out.append(await self.consumer_info(stream, n))
            except NotFoundError:
                continue
        return out

    # ---- stored messages
    async def get_msg(
        self,
        stream_name: str,
        seq: Optional[int] = None,
        subject: Optional[str] = None,
        direct: Optional[bool] = False,
        next: Optional[bool] = False,
    ) -> api.RawStreamMsg:
        """A stored message by sequence, or the last one on ``subject``. (``next`` is not in the
        C API: NotImplementedError.)"""
        _validate_name("stream", stream_name)
        if next:
            raise NotImplementedError("natsrs: get_msg(next=True) is not in the libnatsrs C API")
        if not seq and not subject:
            raise ValueError("nats: seq or subject is required")
        return await self._run(self._h.get_msg, stream_name, seq, subject, bool(direct))

    async def get_last_msg(self, stream_name: str, subject: str, direct: Optional[bool] = False) -> api.RawStreamMsg:
        return await self.get_msg(stream_name, subject=subject, direct=direct)

    async def delete_msg(self, stream_name: str, seq: int) -> bool:
        _validate_name("stream", stream_name)
        await self._run(
            self._h.delete_msg, stream_name, int(seq), True
        )  # nats-py sends no "no_erase": the server erases
        return True
