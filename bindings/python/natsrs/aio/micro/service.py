"""nats-py's ``nats.micro.service`` on the library's services: configs, the info/stats/ping
types, :class:`Service` and :class:`Group`.

Endpoint handlers are coroutine functions run on the event loop; the library's endpoint thread
waits for each one (the request is the library's while the handler runs), so requests of one
endpoint are handled one at a time, in order. Stopping the service or closing the connection
from the loop never waits for the loop itself (those calls go to the default executor).
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import threading
import time
import weakref
from ctypes import byref, c_void_p, string_at
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Protocol

from ... import _core, _ffi
from ..._core import OK, check, lib
from ...errors import InvalidArgumentError
from . import _validate
from .request import Handler, Request, ServiceError

if TYPE_CHECKING:
    from ..client import Client

__all__ = [
    "ServiceConfig",
    "EndpointConfig",
    "GroupConfig",
    "Service",
    "Group",
    "ServiceInfo",
    "ServiceStats",
    "ServicePing",
    "ServiceVerb",
    "ServiceIdentity",
    "control_subject",
    "DEFAULT_PREFIX",
    "EndpointInfo",
    "EndpointStats",
    "add_service",
]

INFO_RESPONSE_TYPE = "io.nats.micro.v1.info_response"
PING_RESPONSE_TYPE = "io.nats.micro.v1.ping_response"
STATS_RESPONSE_TYPE = "io.nats.micro.v1.stats_response"


@dataclass
class EndpointConfig:
    name: str
    handler: Handler
    queue_group: Optional[str] = None
    subject: Optional[str] = None
    metadata: Optional[Dict[str, str]] = None

    def __post_init__(self) -> None:
        _validate.check_endpoint(self.name, self.subject, self.queue_group)


@dataclass
class GroupConfig:
    name: str
    queue_group: Optional[str] = None


@dataclass
class ServiceConfig:
    name: str
    version: str
    description: Optional[str] = None
    metadata: Optional[Dict[str, str]] = None
    queue_group: Optional[str] = None
    stats_handler: Optional[Callable[..., Any]] = None

    def __post_init__(self) -> None:
        _validate.check_service(self.name, self.version, self.queue_group)


@dataclass
class EndpointStats:
    name: str
    subject: str
    queue_group: str
    num_requests: int
    num_errors: int
    processing_time: int
    average_processing_time: int
    last_error: Optional[str] = None
    data: Optional[Any] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "EndpointStats":
        return cls(
            name=d.get("name", ""),
            subject=d.get("subject", ""),
            queue_group=d.get("queue_group", ""),
            num_requests=int(d.get("num_requests", 0)),
            num_errors=int(d.get("num_errors", 0)),
            processing_time=int(d.get("processing_time", 0)),
            average_processing_time=int(d.get("average_processing_time", 0)),
            last_error=d.get("last_error") or None,
            data=d.get("data"),
        )

    def to_dict(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "queue_group": self.queue_group,
            "num_requests": self.num_requests,
            "num_errors": self.num_errors,
            "processing_time": self.processing_time,
            "average_processing_time": self.average_processing_time,
            "last_error": self.last_error or "",
            "data": self.data,
        }


@dataclass
class EndpointInfo:
    name: str
    subject: str
    queue_group: str
    metadata: Optional[Dict[str, Any]] = None  # nats-py: None for an endpoint without metadata

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "EndpointInfo":
        return cls(
            name=d.get("name", ""),
            subject=d.get("subject", ""),
            queue_group=d.get("queue_group", ""),
            metadata=d.get("metadata") or None,
        )

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "queue_group": self.queue_group, "metadata": self.metadata}


@dataclass
class ServicePing:
    id: str
    name: str
    version: str
    metadata: Dict[str, str] = field(default_factory=dict)
    type: str = PING_RESPONSE_TYPE

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ServicePing":
        return cls(
            id=d.get("id", ""),
            name=d.get("name", ""),
            version=d.get("version", ""),
            metadata=d.get("metadata") or {},
            type=d.get("type", PING_RESPONSE_TYPE),
        )

    def to_dict(self) -> Dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "metadata": self.metadata, "type": self.type}


def _parse_time(s: str) -> datetime:
    s = s.strip().replace("Z", "+00:00")
    if "." in s:  # fromisoformat of 3.9/3.10 takes at most 6 fraction digits
        head, rest = s.split(".", 1)
        frac = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(frac) :]
        s = f"{head}.{frac[:6].ljust(6, '0')}{tz}"
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return datetime.now(timezone.utc)


@dataclass
class ServiceStats:
    id: str
    name: str
    version: str
    started: datetime
    endpoints: List[EndpointStats] = field(default_factory=list)
    metadata: Dict[str, str] = field(default_factory=dict)
    type: str = STATS_RESPONSE_TYPE

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ServiceStats":
        return cls(
            id=d.get("id", ""),
            name=d.get("name", ""),
            version=d.get("version", ""),
            started=_parse_time(str(d.get("started", ""))),
            endpoints=[EndpointStats.from_dict(e) for e in d.get("endpoints") or []],
            metadata=d.get("metadata") or {},
            type=d.get("type", STATS_RESPONSE_TYPE),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The stats as the ``$SRV.STATS`` answer carries them (``started`` in UTC, RFC 3339
        with milliseconds)."""
        started = self.started
        if started.tzinfo is not None:
            started = started.astimezone(timezone.utc)
        return {
            "type": self.type,
            "name": self.name,
            "id": self.id,
            "version": self.version,
            "started": started.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "endpoints": [e.to_dict() for e in self.endpoints],
            "metadata": self.metadata,
        }


@dataclass
class ServiceInfo:
    name: str
    id: str
    version: str
    description: Optional[str] = None
    endpoints: List[EndpointInfo] = field(default_factory=list)
    metadata: Dict[str, str] = field(default_factory=dict)
    type: str = INFO_RESPONSE_TYPE

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ServiceInfo":
        return cls(
            name=d.get("name", ""),
            id=d.get("id", ""),
            version=d.get("version", ""),
            description=d.get("description") or None,
            endpoints=[EndpointInfo.from_dict(e) for e in d.get("endpoints") or []],
            metadata=d.get("metadata") or {},
            type=d.get("type", INFO_RESPONSE_TYPE),
        )

    def to_dict(self) -> Dict[str, Any]:
        """The info as the ``$SRV.INFO`` answer carries it."""
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "endpoints": [e.to_dict() for e in self.endpoints],
            "metadata": self.metadata,
        }


DEFAULT_PREFIX = "$SRV"
"""The first token of every service control subject."""


class ServiceVerb(str, Enum):
    """The control requests every service answers."""

    PING = "PING"
    STATS = "STATS"
    INFO = "INFO"


class ServiceIdentity(Protocol):
    """What identifies a service instance (the fields the ping, info and stats answers share)."""

    id: str
    name: str
    version: str
    metadata: Dict[str, str]


def control_subject(
    verb: ServiceVerb, name: Optional[str] = None, id: Optional[str] = None, prefix: str = DEFAULT_PREFIX
) -> str:
    """The subject of a control request: to every service, to every instance of ``name``, or to
    one instance (``name`` and ``id``)."""
    if id is not None and name is None:
        raise ValueError("a service id needs the service name")
    parts = [prefix, verb.value] + [p for p in (name, id) if p is not None]
    return ".".join(parts)


log = logging.getLogger("natsrs")
DEFAULT_QUEUE_GROUP = "q"


class _Counters:
    """An endpoint's counters as seen from Python, for the service's ``stats_handler`` (the
    library calls it with the endpoint's name only, while holding its own counters)."""

    __slots__ = ("name", "subject", "queue_group", "requests", "errors", "processing_ns", "last_error")

    def __init__(self, name: str, subject: str, queue_group: str) -> None:
        self.name, self.subject, self.queue_group = name, subject, queue_group
        self.requests = self.errors = self.processing_ns = 0
        self.last_error: Optional[str] = None

    def stats(self) -> "EndpointStats":
        avg = self.processing_ns // self.requests if self.requests else 0
        return EndpointStats(
            self.name,
            self.subject,
            self.queue_group,
            self.requests,
            self.errors,
            self.processing_ns,
            avg,
            self.last_error,
        )


class _StatsTarget:
    """Registry entry of a service's ``stats_handler``: the ``data`` of each endpoint's stats."""

    __slots__ = ("fn", "endpoints", "bufs")

    def __init__(self, fn: Callable[[EndpointStats], Any]) -> None:
        self.fn = fn
        self.endpoints: Dict[str, _Counters] = {}
        # the last answer per calling thread (not a threading.local: the library's threads get a
        # fresh Python thread state for each callback, which would free it on return)
        self.bufs: Dict[int, Any] = {}

    def data_ptr(self, name: str) -> Optional[int]:
        c = self.endpoints.get(name) or _Counters(name, name, "")
        v = self.fn(c.stats())
        if v is None:
            return None
        buf = ctypes.create_string_buffer(json.dumps(v, default=str).encode())
        self.bufs[threading.get_ident()] = buf  # alive until this thread's next call; copied at once
        return ctypes.addressof(buf)


def _py_stats_handler(ud: Optional[int], endpoint: Optional[bytes]) -> Optional[int]:
    _core._enter()
    try:
        target = _core._registry.get(ud or 0)
        return target.data_ptr((endpoint or b"").decode()) if target is not None else None
    except BaseException as e:
        log.error("natsrs: exception in a service stats handler", exc_info=e)
        return None
    finally:
        _core._leave()


STATS_HANDLER = _ffi.natsrs_service_stats_handler(_py_stats_handler)


class _EndpointTarget:
    """Registry entry of one endpoint: runs the coroutine handler on the loop and waits for it."""

    __slots__ = ("handler", "loop", "client_ref", "extractor", "counters")

    def __init__(
        self, handler: Handler, loop: asyncio.AbstractEventLoop, client: "Client", counters: Optional[_Counters] = None
    ) -> None:
        self.handler = handler
        self.loop = loop
        self.client_ref = weakref.ref(client)
        self.extractor = _core.BatchExtractor()
        self.counters = counters

    def on_request(self, req: int) -> None:
        client = self.client_ref()
        if client is None:
            return
        mp = lib.natsrs_service_request_msg(req)
        if not mp:
            return
        request = self.extractor.one(mp, lambda s, r, d, h, m: Request(client, req, s, r, d, h))
        start = time.perf_counter_ns()
        try:
            fut = asyncio.run_coroutine_threadsafe(self._run(request), self.loop)
        except RuntimeError:  # the loop is closed
            return
        try:
            fut.result()
        finally:
            request._req = 0
            c = self.counters
            if c is not None:
                c.requests += 1
                c.processing_ns += time.perf_counter_ns() - start
                if request._error is not None:
                    c.errors += 1
                    c.last_error = request._error

    async def _run(self, request: Request) -> None:
        try:
            await self.handler(request)
        except ServiceError as e:
            request._raised(e)
            await request.respond_error(e.code, e.description)
        except Exception as e:
            request._raised(e)
            await request.respond_error("500", repr(e))


def _add_endpoint(
    add: Callable[..., int],
    handle: int,
    client: "Client",
    config: EndpointConfig,
    stats: Optional[_StatsTarget] = None,
    prefix: str = "",
    queue_group: Optional[str] = None,
) -> None:
    loop = asyncio.get_running_loop()
    counters = None
    if stats is not None:
        subject = prefix + (config.subject or config.name)
        counters = _Counters(config.name, subject, config.queue_group or queue_group or DEFAULT_QUEUE_GROUP)
        stats.endpoints[config.name] = counters
    key = _core.register(_EndpointTarget(config.handler, loop, client, counters))
    st = add(
        handle,
        config.name.encode(),
        _core.enc(config.subject),
        _core.enc(config.queue_group),
        json.dumps(config.metadata).encode() if config.metadata else None,
        _core.SERVICE_HANDLER,
        key,
        _core.USERDATA_FREE,
    )
    if st != OK:
        err = _core.raise_status(st)
        _core.unregister(key)
        raise err


def _endpoint_config(config: Optional[EndpointConfig], kwargs: Dict[str, Any]) -> EndpointConfig:
    if config is None:
        return EndpointConfig(**kwargs)
    if kwargs:
        from dataclasses import replace

        return replace(config, **kwargs)
    return config


def _free_group(ptr: int) -> None:
    lib.natsrs_service_group_free(ptr)


class Group:
    """Endpoints with a common subject prefix (``name.``)."""

    def __init__(
        self, service: "Service", ptr: int, config: GroupConfig, prefix: str = "", queue: Optional[str] = None
    ) -> None:
        self._service = service
        self._ptr = ptr
        self._config = config
        self._prefix = f"{prefix}{config.name}."
        self._queue = config.queue_group or queue
        self._finalizer = weakref.finalize(self, _free_group, ptr)

    async def add_endpoint(self, config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        _add_endpoint(
            lib.natsrs_service_group_add_endpoint,
            self._ptr,
            self._service._client,
            _endpoint_config(config, kwargs),
            self._service._stats,
            self._prefix,
            self._queue,
        )

    def add_group(self, config: Optional[GroupConfig] = None, **kwargs: Any) -> "Group":
        cfg = config or GroupConfig(**kwargs)
        out = c_void_p()
        check(lib.natsrs_service_group_add_group(self._ptr, cfg.name.encode(), _core.enc(cfg.queue_group), byref(out)))
        assert out.value is not None
        return Group(self._service, out.value, cfg, self._prefix, self._queue)


def _free_service(ptr: int) -> None:
    lib.natsrs_service_free(ptr)


def _finalize_service(box: List[int]) -> None:
    if box[0]:
        p, box[0] = box[0], 0
        _core._reaper.put(_free_service, p)  # never on the loop: a handler may wait for it


class Service:
    """A running service (create with :func:`add_service`)."""

    def __init__(self, client: "Client", ptr: int, config: ServiceConfig, stats: Optional[_StatsTarget] = None) -> None:
        self._client = client
        self._stats = stats
        self._box = [ptr]
        self._config = config
        self._stopped = asyncio.Event()
        self._finalizer = weakref.finalize(self, _finalize_service, self._box)
        raw = lib.natsrs_service_id(ptr)
        self._id = raw.decode() if raw else ""

    @property
    def id(self) -> str:
        return self._id

    async def start(self) -> None:
        """Started by :func:`add_service` already (kept for nats-py's API)."""

    async def add_endpoint(self, config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        _add_endpoint(
            lib.natsrs_service_add_endpoint,
            self._ptr(),
            self._client,
            _endpoint_config(config, kwargs),
            self._stats,
            "",
            self._config.queue_group,
        )

    def add_group(self, config: Optional[GroupConfig] = None, **kwargs: Any) -> Group:
        cfg = config or GroupConfig(**kwargs)
        out = c_void_p()
        check(lib.natsrs_service_add_group(self._ptr(), cfg.name.encode(), _core.enc(cfg.queue_group), byref(out)))
        assert out.value is not None
        return Group(self, out.value, cfg, "", self._config.queue_group)

    def _ptr(self) -> int:
        if not self._box[0]:
            from ...errors import IllegalStateError

            raise IllegalStateError("natsrs: the service was stopped")
        return self._box[0]

    def _json(self, fn: Callable[..., int]) -> Dict[str, Any]:
        out = c_void_p()
        check(fn(self._ptr(), byref(out)))
        assert out.value is not None
        try:
            return dict(json.loads(string_at(out.value).decode()))
        finally:
            lib.natsrs_string_free(out.value)

    def info(self) -> ServiceInfo:
        return ServiceInfo.from_dict(self._json(lib.natsrs_service_info_json))

    def stats(self) -> ServiceStats:
        return ServiceStats.from_dict(self._json(lib.natsrs_service_stats_json))

    def ping(self) -> ServicePing:
        return ServicePing.from_dict(self._json(lib.natsrs_service_ping_json))

    async def reset(self) -> None:
        check(lib.natsrs_service_reset(self._ptr()))

    async def stop(self) -> None:
        """Stops the service: requests already received are answered first."""
        p = self._box[0]
        if p and not self._stopped.is_set():
            await asyncio.get_running_loop().run_in_executor(None, lib.natsrs_service_stop, p)
        self._stopped.set()

    @property
    def stopped(self) -> asyncio.Event:
        return self._stopped

    async def __aenter__(self) -> "Service":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


async def add_service(nc: "Client", config: Optional[ServiceConfig] = None, **kwargs: Any) -> Service:
    """Starts a service on ``nc`` (nats-py's ``nats.micro.add_service``)."""
    if config is not None and kwargs:
        from dataclasses import replace

        config = replace(config, **kwargs)
    cfg = config or ServiceConfig(**kwargs)
    ident: Dict[str, Any] = {"name": cfg.name, "version": cfg.version}
    if cfg.description:
        ident["description"] = cfg.description
    if cfg.metadata:
        ident["metadata"] = cfg.metadata
    if cfg.queue_group:
        ident["queue_group"] = cfg.queue_group
    core = nc._c()
    core.reap_on_free[0] = True
    try:
        return _add_service(nc, core, cfg, ident)
    except InvalidArgumentError as e:
        raise ValueError(str(e)) from None  # nats-py's class for a bad name or version


def _add_service(nc: "Client", core: Any, cfg: ServiceConfig, ident: Dict[str, Any]) -> Service:
    out = c_void_p()
    if cfg.stats_handler is None:
        no_stats, no_free = _ffi.natsrs_service_stats_handler(), _ffi.natsrs_userdata_free()  # NULL pointers
        check(
            lib.natsrs_service_add(core.require_open(), json.dumps(ident).encode(), no_stats, None, no_free, byref(out))
        )
        assert out.value is not None
        return Service(nc, out.value, cfg)
    # the library calls the stats handler with an endpoint's name; the target supplies the rest
    stats = _StatsTarget(cfg.stats_handler)
    key = _core.register(stats)
    st = lib.natsrs_service_add(
        core.require_open(), json.dumps(ident).encode(), STATS_HANDLER, key, _core.USERDATA_FREE, byref(out)
    )
    if st != OK:
        err = _core.raise_status(st)
        _core.unregister(key)
        raise err
    assert out.value is not None
    return Service(nc, out.value, cfg, stats)
