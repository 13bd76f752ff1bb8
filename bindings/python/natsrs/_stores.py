"""Key-value buckets and object stores for the blocking API (``natsrs.js``): the same names as
``natsrs.aio.js.kv`` / ``natsrs.aio.js.object_store`` (nats-py's), as plain blocking calls on the
library's C API, usable from any thread."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Sequence, Union

from .aio.js import _kv, _obj, api
from .aio.js import kv as _akv
from .aio.js import object_store as _aos
from .aio.js.errors import KeyNotFoundError, NoKeysError, NotFoundError
from .errors import TimeoutError

if TYPE_CHECKING:
    from .aio.js._c import JsHandle

__all__ = ["KeyValue", "ObjectStore", "StoresMixin"]

WATCH_UPDATES_DEFAULT_TIMEOUT = 5.0
_Entry = _akv.KeyValue.Entry


class KeyValue:
    """A key-value bucket (``js.key_value(bucket)`` / ``js.create_key_value(...)``)."""

    Entry = _akv.KeyValue.Entry
    BucketStatus = _akv.KeyValue.BucketStatus

    def __init__(self, name: str, handle: _kv.KvHandle) -> None:
        self._name = name
        self._h = handle

    def _valid(self, key: str, validate_keys: bool) -> None:
        if validate_keys and not _akv._is_key_valid(key):
            from .aio.js.errors import InvalidKeyError

            raise InvalidKeyError(key)

    def get(self, key: str, revision: Optional[int] = None, validate_keys: bool = True) -> Any:
        self._valid(key, validate_keys)
        try:
            return _Entry(*self._h.get(key, revision))
        except KeyNotFoundError as e:
            if isinstance(e.entry, tuple):
                op, rev = e.entry
                e.entry = _Entry(self._name, key, b"", rev, None, None, None)  # (as nats-py)
            raise

    def put(self, key: str, value: bytes, validate_keys: bool = True) -> int:
        self._valid(key, validate_keys)
        return self._h.put(key, bytes(value))

    def create(self, key: str, value: bytes, validate_keys: bool = True, msg_ttl: Optional[float] = None) -> int:
        self._valid(key, validate_keys)
        return self._h.create(key, bytes(value), msg_ttl)

    def update(self, key: str, value: bytes, last: Optional[int] = None, validate_keys: bool = True) -> int:
        self._valid(key, validate_keys)
        return self._h.update(key, bytes(value), int(last or 0))

    def delete(self, key: str, last: Optional[int] = None, validate_keys: bool = True) -> bool:
        self._valid(key, validate_keys)
        self._h.delete(key, int(last or 0))
        return True

    def purge(self, key: str, msg_ttl: Optional[float] = None) -> bool:
        """As the asyncio ``KeyValue.purge``: ``msg_ttl`` makes the purge marker expire."""
        self._h.purge(key, 0, msg_ttl)
        return True

    def purge_deletes(self, olderthan: int = _akv.DEFAULT_PURGE_DELETES_OLDER_THAN) -> bool:
        self._h.purge_deletes(int(olderthan * 1000) if olderthan > 0 else -1)
        return True

    def status(self) -> Any:
        st = self._h.status_json()
        return self.BucketStatus(
            stream_info=api.StreamInfo.from_response(st.get("stream_info") or {}), bucket=self._name
        )

    def keys(self, filters: Optional[List[str]] = None) -> List[str]:
        keys = self._h.keys([])
        if filters:
            keys = [k for k in keys if any(f in k or _akv._subject_match(f, k) for f in filters)]
        if not keys:
            raise NoKeysError
        return keys

    def history(self, key: str) -> List[Any]:
        entries = [_Entry(*t) for t in self._h.history(key)]
        if not entries:
            raise NoKeysError
        return entries

    class KeyWatcher:
        """Entries of changed keys: the current ones, then ``None``, then each change."""

        def __init__(self, handle: _kv.KvWatchHandle) -> None:
            self._h = handle
            self._stopped = False

        def updates(self, timeout: float = WATCH_UPDATES_DEFAULT_TIMEOUT) -> Any:
            """The next entry (None: the initial-values marker); ``TimeoutError``."""
            deadline = time.monotonic() + timeout
            while not self._stopped:
                left = int(max(0.0, deadline - time.monotonic()) * 1000)
                r = self._h.next(max(1, min(left, _kv.WATCH_POLL_MS)))
                if r is _kv.STOPPED:
                    break
                if r is not _kv.NOTHING:
                    return None if r is None else _Entry(*r)
                if time.monotonic() >= deadline:
                    raise TimeoutError
            return None

        def stop(self) -> None:
            """Stops the watch (may be called from another thread)."""
            self._stopped = True
            self._h.stop()

        def __iter__(self) -> Iterator[Any]:
            while not self._stopped:
                r = self._h.next(_kv.WATCH_POLL_MS)
                if r is _kv.STOPPED:
                    return
                if r is not _kv.NOTHING:
                    yield None if r is None else _Entry(*r)

    def watch(
        self,
        keys: Union[str, Sequence[str]],
        headers_only: bool = False,
        include_history: bool = False,
        ignore_deletes: bool = False,
        meta_only: bool = False,
        updates_only: bool = False,
    ) -> "KeyValue.KeyWatcher":
        filters = [keys] if isinstance(keys, str) else list(keys)
        h = self._h.watch(filters, include_history, ignore_deletes, meta_only or headers_only, updates_only)
        return KeyValue.KeyWatcher(h)

    def watchall(self, **kwargs: Any) -> "KeyValue.KeyWatcher":
        return self.watch(">", **kwargs)


class ObjectStore:
    """An object store (``js.object_store(bucket)`` / ``js.create_object_store(...)``)."""

    ObjectResult = _aos.ObjectStore.ObjectResult

    def __init__(self, name: str, handle: _obj.ObjHandle, jsm: Any) -> None:
        self._name = name
        self._h = handle
        self._jsm = jsm

    def get_info(self, name: str, show_deleted: bool = False) -> api.ObjectInfo:
        return _aos._info(self._h.info(name, bool(show_deleted)))

    def get(self, name: str, writeinto: Optional[Any] = None, show_deleted: bool = False) -> Any:
        if show_deleted:
            info = self.get_info(name, show_deleted=True)
            if info.deleted:
                return self.ObjectResult(info=info)
        d, data = self._h.get(name, writeinto)
        return self.ObjectResult(info=_aos._info(d), data=data)

    def put(self, name: str, data: Any, meta: Optional[api.ObjectMeta] = None) -> api.ObjectInfo:
        if meta is None:
            meta = api.ObjectMeta(name=name)
        elif name:
            meta.name = name
        return _aos._info(self._h.put(meta.as_dict(), data))

    def update_meta(self, name: str, meta: api.ObjectMeta) -> None:
        m = meta.as_dict()
        m.setdefault("name", name)
        self._h.update_meta(name, m)

    def delete(self, name: str) -> None:
        self._h.delete(name)

    def list(self, ignore_deletes: bool = False) -> List[api.ObjectInfo]:
        entries = [_aos._info(d) for d in self._h.list(not ignore_deletes)]
        if not entries:
            raise NotFoundError
        return entries

    def seal(self) -> None:
        self._h.seal()

    def status(self) -> Any:
        info = self._jsm.stream_info(_aos.OBJ_STREAM_TEMPLATE.format(bucket=self._name))
        return _aos.ObjectStore.ObjectStoreStatus(stream_info=info, bucket=self._name)


class StoresMixin:
    """The bucket and store calls of the blocking ``JetStreamContext``."""

    _h: "JsHandle"

    if TYPE_CHECKING:

        def account_info(self) -> api.AccountInfo: ...

        def add_stream(self, config: Optional[api.StreamConfig] = None, **params: Any) -> api.StreamInfo: ...

    def key_value(self, bucket: str) -> KeyValue:
        return KeyValue(bucket, _kv.bind(self._h, _akv.check_bucket(bucket)))

    def create_key_value(self, config: Optional[api.KeyValueConfig] = None, **params: Any) -> KeyValue:
        if config is None:
            config = api.KeyValueConfig(bucket=params["bucket"])
        config = config.evolve(**params)
        level = self.account_info().api.level if _akv.needs_api_level(config) else None
        self.add_stream(_akv.stream_config(config, level))  # nats-py's stream (see there)
        return self.key_value(config.bucket)

    def delete_key_value(self, bucket: str) -> bool:
        return _kv.delete_bucket(self._h, _akv.check_bucket(bucket))

    def object_store(self, bucket: str) -> ObjectStore:
        return ObjectStore(bucket, _obj.bind(self._h, _aos.check_bucket(bucket)), self)

    def create_object_store(
        self, bucket: Optional[str] = None, config: Optional[api.ObjectStoreConfig] = None, **params: Any
    ) -> ObjectStore:
        config = (
            api.ObjectStoreConfig(bucket=bucket) if config is None else config.evolve(bucket=bucket or config.bucket)
        )
        config = config.evolve(**params)
        name = _aos.check_bucket(config.bucket)
        cfg = _obj.config_handle(
            name, config.description, config.ttl, config.max_bytes, config.storage, config.replicas
        )
        return ObjectStore(name, _obj.create(self._h, cfg), self)

    def delete_object_store(self, bucket: str) -> bool:
        return _obj.delete_store(self._h, _aos.check_bucket(bucket))
