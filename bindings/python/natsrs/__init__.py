"""natsrs: Python binding of libnatsrs, a NATS client core written in Rust.

``natsrs`` is the blocking, thread-safe API (``natsrs.connect(...)``); ``natsrs.aio`` is nats-py's
asyncio API (``import natsrs.aio as nats``).
"""

from __future__ import annotations

from . import errors
from ._core import lib_path
from .client import Client, Msg, Subscription, connect
from .errors import Error

__all__ = ["connect", "Client", "Msg", "Subscription", "Error", "errors", "lib_path", "version"]


def version() -> str:
    """The libnatsrs version."""
    from ._core import lib

    v = lib.natsrs_version()
    return v.decode() if v else ""
