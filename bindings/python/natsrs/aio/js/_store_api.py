"""The key-value and object-store dataclasses of nats-py's ``nats.js.api`` (re-exported there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Dict, Optional, Tuple, Type

from .api import Base, Placement, RePublish, StorageType

__all__ = [
    "KeyValueConfig",
    "StreamPurgeRequest",
    "ObjectStoreConfig",
    "ObjectLink",
    "ObjectMetaOptions",
    "ObjectMeta",
    "ObjectInfo",
]


@dataclass
class KeyValueConfig(Base):
    """A key-value store's config (``ttl`` in seconds)."""

    bucket: str
    description: Optional[str] = None
    max_value_size: Optional[int] = None
    history: int = 1
    ttl: Optional[float] = None
    max_bytes: Optional[int] = None
    storage: Optional[StorageType] = None
    replicas: int = 1
    placement: Optional[Placement] = None
    republish: Optional[RePublish] = None
    direct: Optional[bool] = None
    limit_marker_ttl: Optional[float] = None  # seconds; not sent to the server

    _durations: ClassVar[Tuple[str, ...]] = ("ttl", "limit_marker_ttl")
    _nested: ClassVar[Dict[str, Type[Base]]] = {"placement": Placement, "republish": RePublish}

    def as_dict(self) -> Dict[str, object]:
        out = super().as_dict()
        out.pop("limit_marker_ttl", None)
        return out


@dataclass
class StreamPurgeRequest(Base):
    """The optional body of a purge request."""

    seq: Optional[int] = None
    filter: Optional[str] = None
    keep: Optional[int] = None


@dataclass
class ObjectStoreConfig(Base):
    """An object store's config (``ttl`` in seconds)."""

    bucket: Optional[str] = None
    description: Optional[str] = None
    ttl: Optional[float] = None
    max_bytes: Optional[int] = None
    storage: Optional[StorageType] = None
    replicas: int = 1
    placement: Optional[Placement] = None

    _durations: ClassVar[Tuple[str, ...]] = ("ttl",)
    _nested: ClassVar[Dict[str, Type[Base]]] = {"placement": Placement}


@dataclass
class ObjectLink(Base):
    """A link to another store (``name`` None) or to one object in it."""

    bucket: str
    name: Optional[str] = None


@dataclass
class ObjectMetaOptions(Base):
    link: Optional[ObjectLink] = None
    max_chunk_size: Optional[int] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"link": ObjectLink}


@dataclass
class ObjectMeta(Base):
    """What a caller says about an object."""

    name: Optional[str] = None
    description: Optional[str] = None
    headers: Optional[Dict[str, Any]] = None
    options: Optional[ObjectMetaOptions] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"options": ObjectMetaOptions}


@dataclass
class ObjectInfo(Base):
    """An object's meta plus its instance information (``mtime`` as the RFC 3339 string)."""

    name: str
    bucket: str
    nuid: str
    size: Optional[int] = None
    mtime: Optional[str] = None
    chunks: Optional[int] = None
    digest: Optional[str] = None
    deleted: Optional[bool] = False
    description: Optional[str] = None
    headers: Optional[Dict[str, Any]] = None
    options: Optional[ObjectMetaOptions] = None

    _nested: ClassVar[Dict[str, Type[Base]]] = {"options": ObjectMetaOptions}

    @property
    def meta(self) -> ObjectMeta:
        return ObjectMeta(name=self.name, description=self.description, headers=self.headers, options=self.options)

    def is_link(self) -> bool:
        return self.options is not None and self.options.link is not None
