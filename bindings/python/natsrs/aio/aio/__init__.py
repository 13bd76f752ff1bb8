"""``nats.aio`` of nats-py: ``natsrs.aio.aio.client``, ``.msg``, ``.subscription``, ``.errors``
(loaded with the package, as in nats-py)."""

from __future__ import annotations

from . import client, errors, msg, subscription

__all__ = ["client", "errors", "msg", "subscription"]
