"""nats-py's ``nats.js.api``: JetStream config and info dataclasses with nats-py's field names.

The JSON of the JetStream API crosses the C API unchanged (``natsrs_stream_config_from_json``,
``natsrs_stream_info_json``, ...); ``from_response`` reads it (durations in ns become seconds,
timestamps ``datetime``, nested objects dataclasses) and ``as_dict`` writes it back. Fields the
server adds that a class does not know are ignored.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from typing import Any, ClassVar, Dict, Iterator, List, Optional, Tuple, Type, TypeVar, Union

__all__ = [
    "Header",
    "StatusCode",
    "DEFAULT_PREFIX",
    "INBOX_PREFIX",
    "Base",
    "PubAck",
    "Placement",
    "ExternalStream",
    "StreamSource",
    "StreamSourceInfo",
    "LostStreamData",
    "StreamState",
    "RetentionPolicy",
    "StorageType",
    "DiscardPolicy",
    "StoreCompression",
    "RePublish",
    "SubjectTransform",
    "StreamConsumerLimits",
    "StreamConfig",
    "PeerInfo",
    "ClusterInfo",
    "StreamInfo",
    "StreamsListIterator",
    "StreamConsumerSource",
    "PersistMode",
    "ConsumerPause",
    "ConsumerReset",
    "SCHEDULE_YEARLY",
    "SCHEDULE_MONTHLY",
    "SCHEDULE_WEEKLY",
    "SCHEDULE_DAILY",
    "SCHEDULE_HOURLY",
    "AckPolicy",
    "DeliverPolicy",
    "ReplayPolicy",
    "ConsumerConfig",
    "SequenceInfo",
    "ConsumerInfo",
    "AccountLimits",
    "Tier",
    "APIStats",
    "AccountInfo",
    "RawStreamMsg",
    "KeyValueConfig",
    "StreamPurgeRequest",
    "ObjectStoreConfig",
    "ObjectLink",
    "ObjectMetaOptions",
    "ObjectMeta",
    "ObjectInfo",
]

NANOSECONDS_PER_SECOND = 1_000_000_000
DEFAULT_PREFIX = "$JS.API"
INBOX_PREFIX = b"_INBOX."


class Header(str, Enum):
    """Header names JetStream uses."""

    BATCH_COMMIT = "Nats-Batch-Commit"
    BATCH_ID = "Nats-Batch-Id"
    BATCH_SEQUENCE = "Nats-Batch-Sequence"
    CONSUMER_STALLED = "Nats-Consumer-Stalled"
    DESCRIPTION = "Description"
    EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
    EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"
    EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
    EXPECTED_STREAM = "Nats-Expected-Stream"
    INCR = "Nats-Incr"  # a counter stream's delta, e.g. "5" or "-2"
    LAST_CONSUMER = "Nats-Last-Consumer"
    LAST_STREAM = "Nats-Last-Stream"
    MSG_ID = "Nats-Msg-Id"
    MSG_TTL = "Nats-TTL"
    ROLLUP = "Nats-Rollup"
    SCHEDULE = "Nats-Schedule"
    SCHEDULE_NEXT = "Nats-Schedule-Next"
    SCHEDULE_ROLLUP = "Nats-Schedule-Rollup"
    SCHEDULE_SOURCE = "Nats-Schedule-Source"
    SCHEDULE_TARGET = "Nats-Schedule-Target"
    SCHEDULE_TIME_ZONE = "Nats-Schedule-Time-Zone"
    SCHEDULE_TTL = "Nats-Schedule-TTL"
    SCHEDULER = "Nats-Scheduler"
    STATUS = "Status"


# schedule expressions for the Header.SCHEDULE value
SCHEDULE_YEARLY = "@yearly"
SCHEDULE_MONTHLY = "@monthly"
SCHEDULE_WEEKLY = "@weekly"
SCHEDULE_DAILY = "@daily"
SCHEDULE_HOURLY = "@hourly"


class StatusCode(str, Enum):
    SERVICE_UNAVAILABLE = "503"
    NO_MESSAGES = "404"
    REQUEST_TIMEOUT = "408"
    CONFLICT = "409"
    CONTROL_MESSAGE = "100"


def _ns_to_s(v: Any) -> Any:
    return v / NANOSECONDS_PER_SECOND if isinstance(v, (int, float)) else v


def _s_to_ns(v: Any) -> Any:
    return int(v * NANOSECONDS_PER_SECOND) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def parse_time(value: str) -> datetime.datetime:
    """An RFC 3339 timestamp (nanoseconds allowed) as an aware UTC datetime."""
    s = value.strip().replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        frac, tz = rest[:i], rest[i:]
        s = f"{head}.{frac[:6].ljust(6, '0')}{tz}"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.astimezone(datetime.timezone.utc)


def format_time(d: Any) -> Any:
    if not isinstance(d, datetime.datetime):
        return d
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    s = d.astimezone(datetime.timezone.utc).isoformat()
    return s.replace("+00:00", "Z")


_B = TypeVar("_B", bound="Base")


@dataclass
class Base:
    """Common conversion to and from the server's JSON. Subclasses list their special fields:
    ``_nested`` (field -> dataclass, for an object or a list of them), ``_durations`` (ns in
    JSON, seconds here), ``_times`` (RFC 3339 in JSON, datetime here), ``_renames`` (JSON name
    -> field name), ``_unset_when_false`` (flags the server leaves out unless true: None here)."""

    _nested: ClassVar[Dict[str, Type["Base"]]] = {}
    _unset_when_false: ClassVar[Tuple[str, ...]] = ()
    _durations: ClassVar[Tuple[str, ...]] = ()
    _times: ClassVar[Tuple[str, ...]] = ()
    _renames: ClassVar[Dict[str, str]] = {}

    @classmethod
    def from_response(cls: Type[_B], resp: Dict[str, Any]) -> _B:
        """Builds the object from the server's JSON (a dict); unknown fields are ignored."""
        names = {f.name for f in fields(cls)}
        params: Dict[str, Any] = {}
        for key, val in resp.items():
            name = cls._renames.get(key, key)
            if name not in names or (val is False and name in cls._unset_when_false):
                continue
            if val is not None:
                sub = cls._nested.get(name)
                if sub is not None:
                    if isinstance(val, list):
                        val = [sub.from_response(v) if isinstance(v, dict) else v for v in val]
                    elif isinstance(val, dict):
                        val = sub.from_response(val)
                elif name in cls._durations:
                    val = [_ns_to_s(v) for v in val] if isinstance(val, list) else _ns_to_s(val)
                elif name in cls._times and isinstance(val, str):
                    val = parse_time(val)
            params[name] = val
        return cls(**params)

    def evolve(self: _B, **params: Any) -> _B:
        """A copy with the given fields replaced."""
        return replace(self, **params)

    def as_dict(self) -> Dict[str, object]:
        """The server's JSON form (a dict); fields that are None are left out."""
        back = {v: k for k, v in self._renames.items()}
        out: Dict[str, object] = {}
        for f in fields(self):
            val = getattr(self, f.name)
            if val is None:
                continue
            if isinstance(val, Base):
                val = val.as_dict()
            elif isinstance(val, list):
                val = [v.as_dict() if isinstance(v, Base) else v for v in val]
                if f.name in self._durations:
                    val = [_s_to_ns(v) for v in val]
            elif isinstance(val, dict):
                val = {k: v.as_dict() if isinstance(v, Base) else v for k, v in val.items()}
            elif isinstance(val, Enum):
                val = val.value
            elif f.name in self._durations:
                val = _s_to_ns(val)
            elif f.name in self._times:
                val = format_time(val)
            out[back.get(f.name, f.name)] = val
        return out


# ---- publish ----------------------------------------------------------------------------------------
@dataclass
class PubAck(Base):
    """The stream's answer to a JetStream publish."""

    stream: str
    seq: int
    domain: Optional[str] = None
    duplicate: Optional[bool] = None
    batch_id: Optional[str] = None
    batch_size: Optional[int] = None
    val: Optional[str] = None

    _renames: ClassVar[Dict[str, str]] = {"batch": "batch_id", "count": "batch_size"}


# ---- streams ----------------------------------------------------------------------------------------
class RetentionPolicy(str, Enum):
    LIMITS = "limits"
    INTEREST = "interest"
    WORK_QUEUE = "workqueue"


class StorageType(str, Enum):
    FILE = "file"
    MEMORY = "memory"


class DiscardPolicy(str, Enum):
    OLD = "old"
    NEW = "new"


class StoreCompression(str, Enum):
    NONE = "none"
    S2 = "s2"


@dataclass
class Placement(Base):
    cluster: Optional[str] = None
    tags: Optional[List[str]] = None


@dataclass
class ExternalStream(Base):
    api: str
    deliver: Optional[str] = None


@dataclass
class SubjectTransform(Base):
    src: str
    dest: str


@dataclass
class StreamConsumerSource(Base):
    """The pre-created push consumer a source or mirror of a work-queue or interest stream uses."""

    name: str
    deliver_subject: str


@dataclass
class StreamSource(Base):
    name: str
    opt_start_seq: Optional[int] = None
    opt_start_time: Optional[datetime.datetime] = None
    filter_subject: Optional[str] = None
    external: Optional[ExternalStream] = None
    subject_transforms: Optional[List[SubjectTransform]] = None
    consumer: Optional[StreamConsumerSource] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {
        "external": ExternalStream,
        "subject_transforms": SubjectTransform,
        "consumer": StreamConsumerSource,
    }
    _times: ClassVar[Tuple[str, ...]] = ("opt_start_time",)


@dataclass
class StreamSourceInfo(Base):
    name: str
    lag: Optional[int] = None
    active: Optional[int] = None
    error: Optional[Dict[str, Any]] = None


@dataclass
class LostStreamData(Base):
    msgs: Optional[List[int]] = None
    bytes: Optional[int] = None


@dataclass
class StreamState(Base):
    messages: int
    bytes: int
    first_seq: int
    last_seq: int
    consumer_count: int
    deleted: Optional[List[int]] = None
    num_deleted: Optional[int] = None
    lost: Optional[LostStreamData] = None
    subjects: Optional[Dict[str, int]] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"lost": LostStreamData}


@dataclass
class RePublish(Base):
    src: Optional[str] = None
    dest: Optional[str] = None
    headers_only: Optional[bool] = None


@dataclass
class StreamConsumerLimits(Base):
    inactive_threshold: Optional[float] = None
    max_ack_pending: Optional[int] = None

    _durations: ClassVar[Tuple[str, ...]] = ("inactive_threshold",)


class PersistMode(str, Enum):
    """How an R1 stream persists (server 2.12+): DEFAULT syncs, ASYNC acks before the disk write."""

    DEFAULT = "default"
    ASYNC = "async"


@dataclass
class StreamConfig(Base):
    """A stream's config (durations in seconds)."""

    name: Optional[str] = None
    description: Optional[str] = None
    subjects: Optional[List[str]] = None
    retention: Optional[RetentionPolicy] = None
    max_consumers: Optional[int] = None
    max_msgs: Optional[int] = None
    max_bytes: Optional[int] = None
    discard: Optional[DiscardPolicy] = DiscardPolicy.OLD
    discard_new_per_subject: bool = False
    max_age: Optional[float] = None
    max_msgs_per_subject: int = -1
    max_msg_size: Optional[int] = -1
    storage: Optional[StorageType] = None
    num_replicas: Optional[int] = None
    no_ack: bool = False
    template_owner: Optional[str] = None
    duplicate_window: float = 0
    placement: Optional[Placement] = None
    mirror: Optional[StreamSource] = None
    sources: Optional[List[StreamSource]] = None
    sealed: bool = False
    deny_delete: bool = False
    deny_purge: bool = False
    allow_rollup_hdrs: bool = False
    first_seq: Optional[int] = None
    republish: Optional[RePublish] = None
    subject_transform: Optional[SubjectTransform] = None
    allow_direct: Optional[bool] = None
    mirror_direct: Optional[bool] = None
    compression: Optional[StoreCompression] = None
    allow_msg_ttl: Optional[bool] = None
    metadata: Optional[Dict[str, str]] = None
    consumer_limits: Optional[StreamConsumerLimits] = None
    subject_delete_marker_ttl: Optional[float] = None
    allow_msg_schedules: Optional[bool] = None
    allow_atomic: Optional[bool] = None
    allow_batched: Optional[bool] = None
    allow_msg_counter: Optional[bool] = None
    persist_mode: Optional[PersistMode] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {
        "placement": Placement,
        "mirror": StreamSource,
        "sources": StreamSource,
        "republish": RePublish,
        "subject_transform": SubjectTransform,
        "consumer_limits": StreamConsumerLimits,
    }
    _durations: ClassVar[Tuple[str, ...]] = ("max_age", "duplicate_window", "subject_delete_marker_ttl")

    def as_dict(self) -> Dict[str, object]:
        out = super().as_dict()
        if self.compression is not None and StoreCompression(self.compression) not in tuple(StoreCompression):
            raise ValueError(f"nats: invalid store compression type: {self.compression}")
        if self.metadata is not None and not isinstance(self.metadata, dict):
            raise ValueError("nats: invalid metadata format")
        ttl = self.subject_delete_marker_ttl
        if ttl is None or ttl <= 0:
            out.pop("subject_delete_marker_ttl", None)
        return out


@dataclass
class PeerInfo(Base):
    name: Optional[str] = None
    current: Optional[bool] = None
    offline: Optional[bool] = None
    active: Optional[int] = None
    lag: Optional[int] = None


@dataclass
class ClusterInfo(Base):
    leader: Optional[str] = None
    name: Optional[str] = None
    replicas: Optional[List[PeerInfo]] = None
    raft_group: Optional[str] = None
    leader_since: Optional[datetime.datetime] = None
    traffic_acc: Optional[str] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"replicas": PeerInfo}
    _times: ClassVar[Tuple[str, ...]] = ("leader_since",)


@dataclass
class StreamInfo(Base):
    """A stream's config and state."""

    config: StreamConfig
    state: StreamState
    mirror: Optional[StreamSourceInfo] = None
    sources: Optional[List[StreamSourceInfo]] = None
    cluster: Optional[ClusterInfo] = None
    did_create: Optional[bool] = None
    created: Optional[datetime.datetime] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {
        "config": StreamConfig,
        "state": StreamState,
        "mirror": StreamSourceInfo,
        "sources": StreamSourceInfo,
        "cluster": ClusterInfo,
    }
    _times: ClassVar[Tuple[str, ...]] = ("created",)


class StreamsListIterator:
    """Iterates the StreamInfo of one page of ``streams_info_iterator``."""

    def __init__(self, offset: int, total: int, streams: List[Dict[str, Any]]) -> None:
        self.offset = offset
        self.total = total
        self._infos = [StreamInfo.from_response(s) for s in streams]

    def __iter__(self) -> Iterator[StreamInfo]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)


# ---- consumers --------------------------------------------------------------------------------------
class AckPolicy(str, Enum):
    NONE = "none"
    ALL = "all"
    EXPLICIT = "explicit"
    FLOW_CONTROL = "flow_control"  # the consumer a sourcing stream drives


class DeliverPolicy(str, Enum):
    ALL = "all"
    LAST = "last"
    NEW = "new"
    BY_START_SEQUENCE = "by_start_sequence"
    BY_START_TIME = "by_start_time"
    LAST_PER_SUBJECT = "last_per_subject"


class ReplayPolicy(str, Enum):
    INSTANT = "instant"
    ORIGINAL = "original"


@dataclass
class ConsumerConfig(Base):
    """A consumer's config (durations in seconds)."""

    name: Optional[str] = None
    durable_name: Optional[str] = None
    description: Optional[str] = None
    deliver_policy: Optional[DeliverPolicy] = DeliverPolicy.ALL
    opt_start_seq: Optional[int] = None
    opt_start_time: Optional[datetime.datetime] = None
    ack_policy: Optional[AckPolicy] = AckPolicy.EXPLICIT
    ack_wait: Optional[float] = None
    max_deliver: Optional[int] = None
    backoff: Optional[List[float]] = None
    filter_subject: Optional[str] = None
    filter_subjects: Optional[List[str]] = None
    replay_policy: Optional[ReplayPolicy] = ReplayPolicy.INSTANT
    rate_limit_bps: Optional[int] = None
    sample_freq: Optional[str] = None
    max_waiting: Optional[int] = None
    max_ack_pending: Optional[int] = None
    flow_control: Optional[bool] = None
    idle_heartbeat: Optional[float] = None
    headers_only: Optional[bool] = None
    deliver_subject: Optional[str] = None
    deliver_group: Optional[str] = None
    inactive_threshold: Optional[float] = None
    num_replicas: Optional[int] = None
    mem_storage: Optional[bool] = None
    metadata: Optional[Dict[str, str]] = None
    pause_until: Optional[str] = None

    _durations: ClassVar[Tuple[str, ...]] = ("ack_wait", "idle_heartbeat", "inactive_threshold", "backoff")
    _times: ClassVar[Tuple[str, ...]] = ("opt_start_time",)


@dataclass
class SequenceInfo(Base):
    consumer_seq: int
    stream_seq: int
    last_active: Optional[datetime.datetime] = None

    _times: ClassVar[Tuple[str, ...]] = ("last_active",)


@dataclass
class ConsumerInfo(Base):
    """A consumer's config and state."""

    name: str
    stream_name: str
    config: ConsumerConfig
    created: Optional[datetime.datetime] = None
    delivered: Optional[SequenceInfo] = None
    ack_floor: Optional[SequenceInfo] = None
    num_ack_pending: Optional[int] = None
    num_redelivered: Optional[int] = None
    num_waiting: Optional[int] = None
    num_pending: Optional[int] = None
    cluster: Optional[ClusterInfo] = None
    push_bound: Optional[bool] = None
    paused: Optional[bool] = None
    pause_remaining: Optional[str] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {
        "config": ConsumerConfig,
        "delivered": SequenceInfo,
        "ack_floor": SequenceInfo,
        "cluster": ClusterInfo,
    }
    _times: ClassVar[Tuple[str, ...]] = ("created",)
    _unset_when_false: ClassVar[Tuple[str, ...]] = ("push_bound", "paused")


@dataclass
class ConsumerPause(Base):
    """A consumer's pause state after ``pause_consumer`` / ``resume_consumer`` (server 2.11+)."""

    paused: bool
    pause_until: Optional[str] = None
    pause_remaining: Optional[str] = None


@dataclass
class ConsumerReset(Base):
    """The result of ``reset_consumer`` (server 2.14+): the consumer's info and the stream
    sequence its next delivery is at or above."""

    info: ConsumerInfo
    reset_seq: int

    @classmethod
    def from_response(cls, resp: Dict[str, Any]) -> "ConsumerReset":
        rest = dict(resp)
        reset_seq = int(rest.pop("reset_seq"))
        return cls(info=ConsumerInfo.from_response(rest), reset_seq=reset_seq)


# ---- account ----------------------------------------------------------------------------------------
@dataclass
class AccountLimits(Base):
    max_memory: int
    max_storage: int
    max_streams: int
    max_consumers: int
    max_ack_pending: int
    memory_max_stream_bytes: int
    storage_max_stream_bytes: int
    max_bytes_required: bool


@dataclass
class Tier(Base):
    memory: int
    storage: int
    streams: int
    consumers: int
    limits: AccountLimits

    _nested: ClassVar[Dict[str, Type[Base]]] = {"limits": AccountLimits}


@dataclass
class APIStats(Base):
    total: int
    errors: int
    level: Optional[int] = None


@dataclass
class AccountInfo(Base):
    """JetStream usage and limits of the account."""

    memory: int
    storage: int
    streams: int
    consumers: int
    limits: AccountLimits
    api: APIStats
    domain: Optional[str] = None
    tiers: Optional[Dict[str, Tier]] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"limits": AccountLimits, "api": APIStats}

    @classmethod
    def from_response(cls, resp: Dict[str, Any]) -> "AccountInfo":
        info = super().from_response(resp)
        tiers = resp.get("tiers")
        info.tiers = {k: Tier.from_response(v) for k, v in tiers.items()} if tiers else None
        return info


# ---- stored messages --------------------------------------------------------------------------------
@dataclass
class RawStreamMsg(Base):
    """A message read from a stream with ``get_msg`` / ``get_last_msg``."""

    subject: Optional[str] = None
    seq: Optional[int] = None
    data: Optional[bytes] = None
    hdrs: Optional[Union[str, bytes]] = None  # (a get that is not direct: the base64 header block, as nats-py)
    headers: Optional[Dict[str, Any]] = None
    stream: Optional[str] = None
    time: Optional[datetime.datetime] = field(default=None)

    _times: ClassVar[Tuple[str, ...]] = ("time",)

    @property
    def sequence(self) -> Optional[int]:
        return self.seq

    @property
    def header(self) -> Optional[Dict[str, Any]]:
        return self.headers


# The key-value and object-store dataclasses live in their own module (they need Base above).
from ._store_api import (  # noqa: E402
    KeyValueConfig,
    ObjectInfo,
    ObjectLink,
    ObjectMeta,
    ObjectMetaOptions,
    ObjectStoreConfig,
    StreamPurgeRequest,
)
