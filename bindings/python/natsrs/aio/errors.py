"""nats-py's ``nats.errors`` names; the classes are natsrs's own (one hierarchy for both APIs)."""

from __future__ import annotations

from ..errors import *  # noqa: F401,F403
from ..errors import __all__  # noqa: F401
