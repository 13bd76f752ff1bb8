"""The asyncio client's status and server properties (nats-py's ``Client`` properties), and
``ServerVersion``; mixed into ``natsrs.aio.client.Client``."""

from __future__ import annotations

import re
import ssl
from ctypes import byref, c_size_t
from typing import Any, Dict, List, Optional
from urllib.parse import ParseResult, urlparse

from .. import _ffi
from .._conn import ConnCore
from .._core import OK, lib
from .._options import Server
from ..errors import ConnectionClosedError, SlowConsumerError

__all__ = ["ServerVersion"]

_S = _ffi


class ServerVersion:
    """The server's version as nats-py gives it (``major``, ``minor``, ``patch``, ...)."""

    def __init__(self, server_version: str) -> None:
        self._server_version = server_version

        m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([^+]*))?(?:\+(.*))?$", server_version.strip())
        self._major, self._minor, self._patch = (int(m.group(i)) for i in (1, 2, 3)) if m else (0, 0, 0)
        self._prerelease = (m.group(4) or "") if m else ""
        self._build = (m.group(5) or "") if m else ""

    @property
    def major(self) -> int:
        return self._major

    @property
    def minor(self) -> int:
        return self._minor

    @property
    def patch(self) -> int:
        return self._patch

    @property
    def prerelease(self) -> str:
        return self._prerelease

    @property
    def build(self) -> str:
        return self._build

    @property
    def dev(self) -> str:
        return self._prerelease

    def __repr__(self) -> str:
        return f"<nats server v{self._server_version}>"


class _ClientInfo:
    """Properties of ``Client`` that only read the connection's state."""

    _core: Optional[ConnCore]
    _err: Optional[Exception]
    _pbuf: List[bytes]
    _pbytes: int
    options: Dict[str, Any]

    def _flush_pubs(self) -> None:
        raise NotImplementedError

    # ---- properties
    def _status(self) -> int:
        if self._core is None:
            return _S.NATSRS_CONNECTION_STATUS_DISCONNECTED
        return self._core.status()

    @property
    def is_closed(self) -> bool:
        return self._core is not None and self._status() == _S.NATSRS_CONNECTION_STATUS_CLOSED

    @property
    def is_connected(self) -> bool:
        return self._status() in (
            _S.NATSRS_CONNECTION_STATUS_CONNECTED,
            _S.NATSRS_CONNECTION_STATUS_DRAINING_SUBS,
            _S.NATSRS_CONNECTION_STATUS_DRAINING_PUBS,
        )

    @property
    def is_reconnecting(self) -> bool:
        return self._status() == _S.NATSRS_CONNECTION_STATUS_RECONNECTING

    @property
    def is_connecting(self) -> bool:
        return self._status() == _S.NATSRS_CONNECTION_STATUS_CONNECTING

    @property
    def is_draining(self) -> bool:
        if getattr(self, "_drain_subs", False):
            return True  # drain() waits for the callback subscriptions (the library drains after)
        return self._status() in (_S.NATSRS_CONNECTION_STATUS_DRAINING_SUBS, _S.NATSRS_CONNECTION_STATUS_DRAINING_PUBS)

    @property
    def is_draining_pubs(self) -> bool:
        return self._status() == _S.NATSRS_CONNECTION_STATUS_DRAINING_PUBS

    @property
    def connected_url(self) -> Optional[ParseResult]:
        if self._core is None or not self.is_connected:
            return None
        u = self._core.connected_url()
        return urlparse(u) if u else None

    @property
    def servers(self) -> List[ParseResult]:
        urls = [urlparse(s) for s in self._core.servers()] if self._core is not None else []
        cu = self.connected_url
        return sorted(urls, key=lambda u: cu is not None and u.netloc == cu.netloc)  # nats-py: in use is last

    @property
    def server_pool(self) -> List[Server]:
        if self._core is None:
            return []
        out = []
        for e in self._core.server_pool():
            out.append(Server(uri=urlparse(str(e.get("url", ""))), reconnects=int(e.get("reconnects", 0))))
        return out

    def set_server_pool(self, servers: List[str]) -> None:
        """Replaces the server pool with ``servers`` (URLs, in that order), as nats-py: used from
        the next reconnect on (no reconnect now); a server already in the pool keeps its
        reconnect count; discovered servers are added again from later INFO. Raises
        ``ConnectionClosedError`` when closed."""
        if self._core is None or self.is_closed:
            raise ConnectionClosedError()
        self._core.set_server_pool([s if "://" in s else "nats://" + s for s in servers])

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context given as ``tls`` to connect, else a default one (as nats-py)."""
        ctx = self.options.get("tls")
        return ctx if isinstance(ctx, ssl.SSLContext) else ssl.create_default_context()

    @property
    def discovered_servers(self) -> List[ParseResult]:
        return [urlparse(s) for s in self._core.discovered_servers()] if self._core is not None else []

    @property
    def max_payload(self) -> int:
        return self._core.max_payload() if self._core is not None else 0

    @property
    def client_id(self) -> Optional[int]:
        if self._core is None:
            return None
        cid = self._core.server_info().get("client_id")
        return int(cid) if cid is not None else None

    @property
    def client_ip(self) -> Optional[str]:
        if self._core is None:
            return None
        ip = self._core.server_info().get("client_ip")
        return str(ip) if ip is not None else None

    @property
    def connected_server_version(self) -> "ServerVersion":
        return ServerVersion(str(self._core.server_info().get("version", "")) if self._core is not None else "")

    @property
    def last_error(self) -> Optional[Exception]:
        if self._err is not None:
            return self._err
        err = self._core.last_error() if self._core is not None else None
        if isinstance(err, SlowConsumerError):
            return None  # as nats-py: a slow consumer goes to error_cb only
        return err

    @property
    def pending_data_size(self) -> int:
        """Bytes published but not yet written to the socket (nats-py's pending buffer): the
        publishes batched in this loop turn plus what the library still buffers
        (natsrs_connection_buffered, including the reconnect buffer)."""
        n = self._pbytes
        if self._core is not None:
            out = c_size_t(0)
            if lib.natsrs_connection_buffered(self._core.ptr, byref(out)) == OK:
                n += int(out.value)
        return n

    @property
    def stats(self) -> Dict[str, int]:
        self._flush_pubs()
        keys = ("in_msgs", "out_msgs", "in_bytes", "out_bytes", "reconnects", "errors_received")
        s = self._core.stats() if self._core is not None else {}
        return {k: s.get(k, 0) for k in keys}  # nats-py's keys only
