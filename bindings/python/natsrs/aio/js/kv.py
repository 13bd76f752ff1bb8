"""nats-py's ``nats.js.kv``: key-value buckets on libnatsrs's key-value C API.

Every call is one blocking library call (``natsrs_kv_get``, ``natsrs_kv_put``, ...) run in the
JetStream thread pool, so the loop never blocks; a watcher's ``natsrs_kv_watcher_next`` runs there
too, a short wait at a time. Buckets are the ones of nats.go and nats-py (stream ``KV_<bucket>``).
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, List, Optional, Sequence, TypeVar, Union

from ... import errors as _errors
from . import _kv, api
from ._c import executor
from .errors import (
    BadRequestError,
    InvalidBucketNameError,
    InvalidKeyError,
    KeyHistoryTooLargeError,
    KeyNotFoundError,
    KeyValueLimitMarkerTTLNotSupportedError,
    KeyWrongLastSequenceError,
    NoKeysError,
    NoStreamResponseError,
)

if TYPE_CHECKING:
    from .client import JetStreamContext

__all__ = ["KeyValue", "KV_OP", "KV_DEL", "KV_PURGE", "MSG_ROLLUP_SUBJECT", "VALID_BUCKET_RE", "VALID_KEY_RE"]

KV_OP = "KV-Operation"
KV_DEL = "DEL"
KV_PURGE = "PURGE"
MSG_ROLLUP_SUBJECT = "sub"
KV_STREAM_TEMPLATE = "KV_{bucket}"
KV_PRE_TEMPLATE = "$KV.{bucket}."
VALID_BUCKET_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
VALID_KEY_RE = re.compile(r"^[-/_=\.a-zA-Z0-9]+$")
# nats-py's purge_deletes default: markers older than 30 minutes go entirely
DEFAULT_PURGE_DELETES_OLDER_THAN = 30 * 60
WATCH_UPDATES_DEFAULT_TIMEOUT = 5.0
MAX_HISTORY = 64

_T = TypeVar("_T")


def _is_key_valid(key: str) -> bool:
    return bool(key) and key[0] != "." and key[-1] != "." and VALID_KEY_RE.match(key) is not None


def check_bucket(bucket: Optional[str]) -> str:
    if not bucket or VALID_BUCKET_RE.match(bucket) is None:
        raise InvalidBucketNameError
    return bucket


async def _run(fn: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args))


def _subject_match(pattern: str, key: str) -> bool:
    p, k = pattern.split("."), key.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(k) > i
        if i >= len(k) or (tok != "*" and tok != k[i]):
            return False
    return len(p) == len(k)


class StopIterSentinel:
    """Marks the end of a watcher's iteration."""


class KeyValue:
    """A key-value bucket (``await js.key_value(bucket)`` / ``create_key_value``)."""

    @dataclass
    class Entry:
        """One revision of a key (``operation`` None for a value, "DEL" or "PURGE" for a marker;
        ``created`` the server's time as a datetime)."""

        bucket: str
        key: str
        value: Optional[bytes]
        revision: Optional[int]
        delta: Optional[int]
        created: Optional[Any]
        operation: Optional[str]

    @dataclass(frozen=True)
    class BucketStatus:
        """A bucket's status: the backing stream's info."""

        stream_info: api.StreamInfo
        bucket: str

        @property
        def values(self) -> int:
            return int(self.stream_info.state.messages or 0)

        @property
        def history(self) -> int:
            return int(self.stream_info.config.max_msgs_per_subject)

        @property
        def ttl(self) -> Optional[float]:
            return self.stream_info.config.max_age

        @property
        def marker_ttl(self) -> Optional[float]:
            return self.stream_info.config.subject_delete_marker_ttl

    def __init__(
        self, name: str, stream: str, pre: str, js: "JetStreamContext", direct: bool, _handle: _kv.KvHandle
    ) -> None:
        self._name = name
        self._stream = stream
        self._pre = pre
        self._js = js
        self._direct = direct
        self._h = _handle

    def _entry(self, t: _kv.EntryTuple) -> "KeyValue.Entry":
        return KeyValue.Entry(*t)

    def _valid(self, key: str, validate_keys: bool) -> None:
        if validate_keys and not _is_key_valid(key):
            raise InvalidKeyError(key)

    async def get(self, key: str, revision: Optional[int] = None, validate_keys: bool = True) -> "KeyValue.Entry":
        """The latest value of ``key`` (or revision ``revision``); ``KeyNotFoundError`` when there
        is none or it was deleted or purged."""
        if validate_keys and not _is_key_valid(key):
            raise InvalidKeyError  # (nats-py: without the key, unlike put's)
        try:
            b, k, v, rev, _delta, created, op = await _run(self._h.get, key, revision)
            return KeyValue.Entry(b, k, v, rev, None, created, op)  # nats-py: no delta on a get
        except KeyNotFoundError as e:
            if isinstance(e.entry, tuple):  # a marker: (operation, revision)
                op, rev = e.entry
                # nats-py's entry of the marker has no operation (``op`` tells it)
                e.entry = KeyValue.Entry(self._name, key, b"", rev, None, None, None)
            elif revision and e.entry is None and not e.key_message:
                raise await self._other_key(key, revision) from None
            raise
        except _errors.BadSubjectError:  # nats-py sends it: the server has no such subject
            raise KeyNotFoundError from None

    async def _other_key(self, key: str, revision: int) -> KeyNotFoundError:
        """nats-py's error for a revision that is another key's."""
        try:
            msg = await self._js.get_msg(self._stream, seq=revision)
        except Exception:
            return KeyNotFoundError()
        subject = f"{self._pre}{key}"
        if msg.subject and msg.subject != subject:
            return KeyNotFoundError(message=f"expected '{subject}', but got '{msg.subject}'")
        return KeyNotFoundError()

    async def put(self, key: str, value: bytes, validate_keys: bool = True) -> int:
        """Stores ``value`` under ``key``; returns the revision."""
        self._valid(key, validate_keys)
        try:
            return await _run(self._h.put, key, bytes(value))
        except _errors.BadSubjectError:  # nats-py publishes it: nothing stores it
            raise NoStreamResponseError from None

    async def create(self, key: str, value: bytes, validate_keys: bool = True, msg_ttl: Optional[float] = None) -> int:
        """Stores ``value`` only when ``key`` has none (``KeyWrongLastSequenceError`` otherwise);
        ``msg_ttl`` (seconds) needs a bucket with ``limit_marker_ttl``."""
        self._valid(key, validate_keys)
        return await _run(self._h.create, key, bytes(value), msg_ttl)

    async def update(self, key: str, value: bytes, last: Optional[int] = None, validate_keys: bool = True) -> int:
        """Stores ``value`` only when the key's latest revision is ``last``."""
        self._valid(key, validate_keys)
        return await _run(self._h.update, key, bytes(value), int(last or 0))

    async def delete(
        self, key: str, last: Optional[int] = None, validate_keys: bool = True, msg_ttl: Optional[float] = None
    ) -> bool:
        """Writes a delete marker (only when the latest revision is ``last``, if given)."""
        self._valid(key, validate_keys)
        try:
            await _run(self._h.delete, key, int(last or 0))
        except KeyWrongLastSequenceError as e:  # nats-py: the server's error as it is
            raise BadRequestError(code=400, description=e.description, err_code=10071) from None
        return True

    async def purge(self, key: str, msg_ttl: Optional[float] = None) -> bool:
        """Writes a purge marker and removes the key's older revisions; with ``msg_ttl``
        (seconds, whole seconds on the wire) the marker itself expires after that long (the
        bucket needs ``limit_marker_ttl``, server 2.11+)."""
        await _run(self._h.purge, key, 0, msg_ttl)
        return True

    async def purge_deletes(self, olderthan: int = DEFAULT_PURGE_DELETES_OLDER_THAN) -> bool:
        """Removes delete and purge markers: entirely when older than ``olderthan`` seconds (all
        of them when ``olderthan`` <= 0), else only the revisions before them."""
        await _run(self._h.purge_deletes, int(olderthan * 1000) if olderthan > 0 else -1)
        return True

    async def status(self) -> "KeyValue.BucketStatus":
        """The bucket's status (its stream's info)."""
        st = await _run(self._h.status_json)
        return KeyValue.BucketStatus(
            stream_info=api.StreamInfo.from_response(st.get("stream_info") or {}), bucket=self._name
        )

    async def keys(self, filters: Optional[List[str]] = None, **kwargs: Any) -> List[str]:
        """The keys that have a value (``NoKeysError`` when none). With ``filters``, the keys
        matching one of them as a subject filter or, as nats-py, containing one of them (a
        deliberate superset: nats-py matches ``a.*`` literally only)."""
        keys = await _run(self._h.keys, [])
        if filters:
            keys = [k for k in keys if any(f in k or _subject_match(f, k) for f in filters)]
        if not keys:
            raise NoKeysError
        return keys

    async def history(self, key: str) -> List["KeyValue.Entry"]:
        """Every stored revision of ``key``, oldest first, markers included (``NoKeysError``)."""
        entries = [self._entry(t) for t in await _run(self._h.history, key)]
        if not entries:
            raise NoKeysError
        return entries

    class KeyWatcher:
        """Entries of changed keys: first the current ones, then ``None``, then each change."""

        STOP_ITER = StopIterSentinel()

        def __init__(self, kv: "KeyValue", handle: _kv.KvWatchHandle) -> None:
            self._kv = kv
            self._h = handle
            self._stopped = False
            self._lock = asyncio.Lock()
            self._inflight: "Optional[asyncio.Future[Any]]" = None

        async def _next(self, timeout: Optional[float]) -> Any:
            loop = asyncio.get_running_loop()
            deadline = None if timeout is None else loop.time() + timeout
            async with self._lock:
                while not self._stopped:
                    left = _kv.WATCH_POLL_MS if deadline is None else int(max(0.0, deadline - loop.time()) * 1000)
                    if self._inflight is None:  # a call a cancelled waiter left is awaited again
                        self._inflight = loop.run_in_executor(executor, self._h.next, min(left, _kv.WATCH_POLL_MS))
                    r = await asyncio.shield(self._inflight)
                    self._inflight = None
                    if r is _kv.STOPPED:
                        break
                    if r is not _kv.NOTHING:
                        return None if r is None else self._kv._entry(r)
                    if deadline is not None and loop.time() >= deadline:
                        raise _errors.TimeoutError
            return self.STOP_ITER

        async def updates(self, timeout: float = WATCH_UPDATES_DEFAULT_TIMEOUT) -> Any:
            """The next entry, or None once all initial values were given (``TimeoutError``)."""
            r = await self._next(timeout)
            return r

        async def stop(self) -> None:
            """Stops the watch (an iteration then ends)."""
            self._stopped = True
            self._h.stop()  # thread-safe: a waiting next() returns at once
            async with self._lock:
                if self._inflight is not None:  # a call a cancelled waiter left running
                    try:
                        await self._inflight
                    except Exception:
                        pass
                    self._inflight = None
                self._h.free()

        def __aiter__(self) -> AsyncIterator[Optional["KeyValue.Entry"]]:
            return self

        async def __anext__(self) -> Optional["KeyValue.Entry"]:
            r = await self._next(None)
            if isinstance(r, StopIterSentinel):
                raise StopAsyncIteration
            return r  # type: ignore[no-any-return]

    async def watchall(self, **kwargs: Any) -> "KeyValue.KeyWatcher":
        """Watches every key."""
        return await self.watch(">", **kwargs)

    async def watch(
        self,
        keys: Union[str, Sequence[str]],
        headers_only: bool = False,
        include_history: bool = False,
        ignore_deletes: bool = False,
        meta_only: bool = False,
        inactive_threshold: Optional[float] = None,
        updates_only: bool = False,
    ) -> "KeyValue.KeyWatcher":
        """Watches a key or a filter (``*``, ``>``), or a list of them. ``headers_only`` and
        ``meta_only`` give entries without values; ``inactive_threshold`` is the library's."""
        filters = [keys] if isinstance(keys, str) else list(keys)
        h = await _run(
            self._h.watch,
            filters,
            bool(include_history),
            bool(ignore_deletes),
            bool(meta_only or headers_only),
            bool(updates_only),
        )
        return KeyValue.KeyWatcher(self, h)


async def bind(js: "JetStreamContext", bucket: str) -> KeyValue:
    check_bucket(bucket)
    h = await _run(_kv.bind, js._h, bucket)
    return KeyValue(
        bucket, KV_STREAM_TEMPLATE.format(bucket=bucket), KV_PRE_TEMPLATE.format(bucket=bucket), js, True, _handle=h
    )


def stream_config(config: api.KeyValueConfig, api_level: Optional[int]) -> api.StreamConfig:
    """nats-py's backing stream config of a bucket exactly (``allow_direct`` only when
    ``config.direct``, ``allow_msg_ttl`` always), so that a bucket nats-py made is found again
    (the server answers "already in use with a different configuration" to any other config)
    and one made here is nats-py's. ``api_level``: the server's JetStream API level (only
    needed with ``limit_marker_ttl``)."""
    check_bucket(config.bucket)
    if config.history > MAX_HISTORY:
        raise KeyHistoryTooLargeError
    duplicate_window: float = 2 * 60
    if config.ttl and config.ttl < duplicate_window:
        duplicate_window = config.ttl
    marker_ttl = None
    if config.limit_marker_ttl is not None and config.limit_marker_ttl > 0:
        if not api_level or api_level < 1:
            raise KeyValueLimitMarkerTTLNotSupportedError()
        marker_ttl = config.limit_marker_ttl
    return api.StreamConfig(
        name=KV_STREAM_TEMPLATE.format(bucket=config.bucket),
        description=config.description,
        subjects=[f"$KV.{config.bucket}.>"],
        allow_direct=config.direct,
        allow_rollup_hdrs=True,
        allow_msg_ttl=True,
        deny_delete=True,
        discard=api.DiscardPolicy.NEW,
        duplicate_window=duplicate_window,
        max_age=config.ttl,
        max_bytes=config.max_bytes,
        max_consumers=-1,
        max_msg_size=config.max_value_size,
        max_msgs=-1,
        max_msgs_per_subject=config.history,
        num_replicas=config.replicas,
        storage=config.storage,
        republish=config.republish,
        subject_delete_marker_ttl=marker_ttl,
    )


def needs_api_level(config: api.KeyValueConfig) -> bool:
    return config.limit_marker_ttl is not None and config.limit_marker_ttl > 0


async def create(js: "JetStreamContext", config: api.KeyValueConfig) -> KeyValue:
    """nats-py's ``create_key_value``: its stream (``stream_config``), then the bucket bound."""
    level = (await js.account_info()).api.level if needs_api_level(config) else None
    await js.add_stream(stream_config(config, level))
    return await bind(js, config.bucket)
