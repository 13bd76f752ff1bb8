"""nats-py's ``nats.aio.msg``: :class:`Msg`."""

from __future__ import annotations

from ..msg import Msg as Msg
from ..msg import __all__ as __all__  # noqa: F401
