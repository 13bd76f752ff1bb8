"""nats-py's asyncio API on libnatsrs: ``import natsrs.aio as nats`` and keep the rest of the code.

Same layout as the ``nats`` package: ``natsrs.aio.errors`` (``nats.errors``),
``natsrs.aio.aio.client`` / ``.msg`` / ``.subscription`` (``nats.aio.*``), and for convenience
``natsrs.aio.client`` / ``.msg`` / ``.subscription``.
"""

from __future__ import annotations

from typing import Any, List, Union

from . import errors
from .client import Client
from .client import Client as NATS
from .msg import Msg
from .subscription import Subscription

__all__ = ["connect", "NATS", "Client", "Msg", "Subscription", "errors"]


# As ``import nats`` does in nats-py, loading the package makes its subpackages reachable as
# attributes (``nats.js.api.StreamConfig``, ``nats.aio.client.Client``, ``nats.nuid.NUID``).
from . import aio, js, nuid  # noqa: E402

__all__ += ["aio", "js", "nuid"]


async def connect(servers: Union[str, List[str]] = "nats://localhost:4222", **options: Any) -> Client:
    """Connects and returns a connected client (nats-py's ``nats.connect``)."""
    nc = Client()
    await nc.connect(servers, **options)
    return nc
