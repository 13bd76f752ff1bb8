"""nats-py's ``nats.js.object_store``: object stores on libnatsrs's object-store C API.

Every call is one blocking library call (``natsrs_object_store_put_stream``, ``_get_bytes``,
``_info``, ...) run in the JetStream thread pool, so the loop never blocks; the data format is
the one of nats.go and nats-py (the library writes and reads it), so stores are shared with them.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, List, Optional, TypeVar, Union

from ... import errors as _errors
from . import _obj, api
from ._c import executor
from .errors import BadObjectMetaError, InvalidBucketNameError, NotFoundError
from .kv import StopIterSentinel

if TYPE_CHECKING:
    from .client import JetStreamContext

__all__ = ["ObjectStore", "VALID_BUCKET_RE", "VALID_KEY_RE", "OBJ_STREAM_TEMPLATE", "OBJ_DEFAULT_CHUNK_SIZE"]

VALID_BUCKET_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
VALID_KEY_RE = re.compile(r"^[-/_=\.a-zA-Z0-9]+$")
OBJ_STREAM_TEMPLATE = "OBJ_{bucket}"
OBJ_DEFAULT_CHUNK_SIZE = 128 * 1024
OBJ_DIGEST_TYPE = "SHA-256="
WATCH_UPDATES_DEFAULT_TIMEOUT = 5.0

_T = TypeVar("_T")


async def _run(fn: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args))


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def iso_mtime(text: str) -> str:
    """An RFC 3339 time as nats-py writes ``mtime``: ``datetime.isoformat()`` (microseconds,
    ``+00:00``), which ``datetime.fromisoformat`` reads on every Python version. The library
    stores nats.go's form (nanoseconds, ``Z``); text that is not RFC 3339 is returned as is."""
    m = _RFC3339.match(text)
    if m is None:
        return text
    base, frac, tz = m.groups()
    try:
        t = datetime.datetime.fromisoformat(base + ("+00:00" if tz == "Z" else tz))
    except ValueError:
        return text
    if frac:
        t = t.replace(microsecond=int(frac[:6].ljust(6, "0")))
    return t.isoformat()


def _info(d: Any) -> api.ObjectInfo:
    d = dict(d)
    if isinstance(d.get("mtime"), str):
        d["mtime"] = iso_mtime(d["mtime"])
    h = d.get("headers")
    if isinstance(h, dict):  # nats-py's headers are str -> str: a single value is not a list
        d["headers"] = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in h.items()}
    try:
        return api.ObjectInfo.from_response(d)
    except Exception as e:
        raise BadObjectMetaError(str(e)) from e


def check_bucket(bucket: Optional[str]) -> str:
    if not bucket or VALID_BUCKET_RE.match(bucket) is None:
        raise InvalidBucketNameError
    return bucket


class ObjectStore:
    """An object store (``await js.object_store(bucket)`` / ``create_object_store``)."""

    @dataclass
    class ObjectResult:
        """An object's info and data (``data`` empty when it was written into ``writeinto``)."""

        info: api.ObjectInfo
        data: Optional[bytes] = b""

    @dataclass(frozen=True)
    class ObjectStoreStatus:
        """A store's status: the backing stream's info."""

        stream_info: api.StreamInfo
        bucket: str

        @property
        def description(self) -> Optional[str]:
            return self.stream_info.config.description

        @property
        def ttl(self) -> Optional[float]:
            return self.stream_info.config.max_age

        @property
        def storage_type(self) -> Optional[api.StorageType]:
            return self.stream_info.config.storage

        @property
        def replicas(self) -> Optional[int]:
            return self.stream_info.config.num_replicas

        @property
        def sealed(self) -> bool:
            return bool(self.stream_info.config.sealed)

        @property
        def size(self) -> int:
            return int(self.stream_info.state.bytes or 0)

    def __init__(
        self, name: str, stream: str, js: "JetStreamContext", _handle: Optional[_obj.ObjHandle] = None
    ) -> None:
        self._name = name
        self._stream = stream
        self._js = js
        self._h = _handle if _handle is not None else _obj.bind(js._h, name)

    async def get_info(self, name: str, show_deleted: Optional[bool] = False) -> api.ObjectInfo:
        """The object's info (``ObjectNotFoundError`` when there is none, or it was deleted and
        ``show_deleted`` is false)."""
        return _info(await _run(self._h.info, name, bool(show_deleted)))

    async def get(
        self,
        name: str,
        writeinto: Optional[Any] = None,
        show_deleted: Optional[bool] = False,
    ) -> "ObjectStore.ObjectResult":
        """The object's data (links followed; the digest is checked: ``DigestMismatchError``),
        or written chunk by chunk into ``writeinto`` (a binary file-like, or one with ``buffer``)."""
        if show_deleted:
            info = await self.get_info(name, show_deleted=True)
            if info.deleted:
                return self.ObjectResult(info=info)
        d, data = await _run(self._h.get, name, writeinto)
        return self.ObjectResult(info=_info(d), data=data)

    async def put(
        self,
        name: str,
        data: Union[str, bytes, io.BufferedIOBase, Any],
        meta: Optional[api.ObjectMeta] = None,
    ) -> api.ObjectInfo:
        """Stores ``data`` (str, bytes or a readable file-like, streamed) as object ``name``,
        replacing one of the same name."""
        if meta is None:
            meta = api.ObjectMeta(name=name)
        elif name:
            meta.name = name
        if not meta.name:
            raise ValueError("nats: object name is required")
        return _info(await _run(self._h.put, meta.as_dict(), data))

    async def status(self) -> "ObjectStore.ObjectStoreStatus":
        """The store's status (its stream's info)."""
        info = await self._js.stream_info(self._stream)
        return self.ObjectStoreStatus(stream_info=info, bucket=self._name)

    async def seal(self) -> None:
        """Makes the store read-only."""
        await _run(self._h.seal)

    async def update_meta(self, name: str, meta: api.ObjectMeta) -> None:
        """Changes an object's name, description and headers (``ObjectDeletedError`` when it is
        gone, ``ObjectAlreadyExists`` when renaming onto another object)."""
        m = meta.as_dict()
        if not m.get("name"):
            m["name"] = name
        await _run(self._h.update_meta, name, m)

    async def delete(self, name: str) -> None:
        """Deletes the object (its chunks are purged; its info stays, marked deleted)."""
        await _run(self._h.delete, name)

    async def list(self, ignore_deletes: bool = False) -> List[api.ObjectInfo]:
        """Every object's info (``NotFoundError`` when there is none, as nats-py)."""
        entries = [_info(d) for d in await _run(self._h.list, not ignore_deletes)]
        if not entries:
            raise NotFoundError
        return entries

    class ObjectWatcher:
        """Infos of changed objects: first the current ones, then ``None``, then each change."""

        STOP_ITER = StopIterSentinel()  # nats-py's class attribute (iteration ends after stop())

        def __init__(self, js: "ObjectStore", handle: _obj.WatchHandle, updates_only: bool = False) -> None:
            self._js = js
            self._h = handle
            self._skip_marker = updates_only  # nats-py gives no None marker with updates_only
            self._stopped = False
            self._lock = asyncio.Lock()
            self._inflight: "Optional[asyncio.Future[Any]]" = None

        async def _next(self, timeout: Optional[float]) -> Any:
            loop = asyncio.get_running_loop()
            deadline = None if timeout is None else loop.time() + timeout
            async with self._lock:
                while not self._stopped:
                    left = _obj.WATCH_POLL_MS if deadline is None else int(max(0.0, deadline - loop.time()) * 1000)
                    if self._inflight is None:  # a call a cancelled waiter left is awaited again
                        self._inflight = loop.run_in_executor(executor, self._h.next, min(left, _obj.WATCH_POLL_MS))
                    r = await asyncio.shield(self._inflight)
                    self._inflight = None
                    if r is None and self._skip_marker:
                        self._skip_marker = False
                        continue
                    if r is not _obj.NOTHING:
                        return None if r is None else _info(r)
                    if deadline is not None and loop.time() >= deadline:
                        raise _errors.TimeoutError
            return _obj.NOTHING

        async def updates(self, timeout: float = WATCH_UPDATES_DEFAULT_TIMEOUT) -> Optional[api.ObjectInfo]:
            """The next info, or None once all initial infos were given (``TimeoutError``)."""
            r = await self._next(timeout)
            if r is _obj.NOTHING:
                raise _errors.TimeoutError
            return r  # type: ignore[no-any-return]

        async def stop(self) -> None:
            """Stops the watch (an iteration then ends)."""
            self._stopped = True  # a waiting next() returns within one poll interval
            async with self._lock:
                await self._settle()
                self._h.stop()
                self._h.free()

        async def _settle(self) -> None:
            """Waits for a library call a cancelled waiter left running (before the free)."""
            if self._inflight is not None:
                try:
                    await self._inflight
                except Exception:
                    pass
                self._inflight = None

        def __aiter__(self) -> AsyncIterator[Optional[api.ObjectInfo]]:
            return self

        async def __anext__(self) -> Optional[api.ObjectInfo]:
            r = await self._next(None)
            if r is _obj.NOTHING:
                raise StopAsyncIteration
            return r  # type: ignore[no-any-return]

    async def watch(
        self,
        ignore_deletes: bool = False,
        include_history: bool = False,
        meta_only: bool = False,
        updates_only: bool = False,
    ) -> "ObjectStore.ObjectWatcher":
        """Watches the store's objects (``meta_only`` changes nothing: only infos are given)."""
        h = await _run(self._h.watch, bool(include_history), bool(ignore_deletes), bool(updates_only))
        return self.ObjectWatcher(self, h, bool(updates_only))
