"""nats-py's ``nats.js``: JetStream on libnatsrs's JetStream C API (``natsrs.aio.js.api``,
``natsrs.aio.js.errors``, ``natsrs.aio.js.client``, ``natsrs.aio.js.manager``)."""

from __future__ import annotations

from . import api, client, errors, kv, manager, object_store
from .client import JetStreamContext
from .manager import JetStreamManager

__all__ = ["api", "client", "errors", "kv", "manager", "object_store", "JetStreamContext", "JetStreamManager"]
