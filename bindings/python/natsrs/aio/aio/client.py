"""nats-py's ``nats.aio.client``: the asyncio :class:`Client` and the module's public constants."""

from __future__ import annotations

from ..client import *  # noqa: F401,F403
from ..client import DEFAULT_BUFFER_SIZE as DEFAULT_BUFFER_SIZE
from ..client import DEFAULT_CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT
from ..client import DEFAULT_DRAIN_TIMEOUT as DEFAULT_DRAIN_TIMEOUT
from ..client import DEFAULT_FLUSH_TIMEOUT as DEFAULT_FLUSH_TIMEOUT
from ..client import DEFAULT_INBOX_PREFIX as DEFAULT_INBOX_PREFIX
from ..client import DEFAULT_MAX_FLUSHER_QUEUE_SIZE as DEFAULT_MAX_FLUSHER_QUEUE_SIZE
from ..client import DEFAULT_MAX_OUTSTANDING_PINGS as DEFAULT_MAX_OUTSTANDING_PINGS
from ..client import DEFAULT_MAX_PAYLOAD_SIZE as DEFAULT_MAX_PAYLOAD_SIZE
from ..client import DEFAULT_MAX_RECONNECT_ATTEMPTS as DEFAULT_MAX_RECONNECT_ATTEMPTS
from ..client import DEFAULT_PENDING_SIZE as DEFAULT_PENDING_SIZE
from ..client import DEFAULT_PING_INTERVAL as DEFAULT_PING_INTERVAL
from ..client import DEFAULT_RECONNECT_TIME_WAIT as DEFAULT_RECONNECT_TIME_WAIT
from ..client import Client as Client
from ..client import __all__ as __all__  # noqa: F401
from ..msg import Msg as Msg
from ..subscription import DEFAULT_SUB_PENDING_BYTES_LIMIT as DEFAULT_SUB_PENDING_BYTES_LIMIT
from ..subscription import DEFAULT_SUB_PENDING_MSGS_LIMIT as DEFAULT_SUB_PENDING_MSGS_LIMIT
from ..subscription import Subscription as Subscription

# Protocol texts nats-py's client module names.
PROTOCOL = 1
EMPTY = ""
MAX_CONTROL_LINE_SIZE = 1024
NATS_HDR_LINE = bytearray(b"NATS/1.0")
NATS_HDR_LINE_SIZE = len(NATS_HDR_LINE)
NO_RESPONDERS_STATUS = "503"
CTRL_STATUS = "100"
STATUS_MSG_LEN = 3
STALE_CONNECTION = "stale connection"
AUTHORIZATION_VIOLATION = "authorization violation"
PERMISSIONS_ERR = "permissions violation"
