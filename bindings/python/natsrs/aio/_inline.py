"""Inline reads: the event loop reads the connection's socket itself.

The client attaches its loop to the plain TCP socket the library serves
(``natsrs_connection_read_attach``): the loop polls a duplicate of the socket's descriptor and,
when it is readable, the library reads, parses and routes the input on the loop's thread
(``natsrs_connection_read_inline``). The subscriptions that got messages are reported back
instead of signalled through their notify fds, and their readers run at once: no library
thread wakes up, hands the input over and signals an eventfd on a reply's way to the loop. While attached, the I/O thread only reads
every 20 ms what the loop left, so a loop that stops polling delays input but never stalls it.

TLS connections are never attached (the library answers NOT_CONNECTED); after a disconnect the
duplicate is dropped and the loop attaches to the next socket once reconnected. Set
``NATSRS_AIO_INLINE_READ=0`` to keep every read on the library's I/O thread.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from ctypes import byref, c_int32, c_size_t, c_uint64
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import _ffi
from .._core import OK, lib

if TYPE_CHECKING:
    from .._conn import ConnCore

__all__ = ["InlineReader", "ENABLED"]

ENABLED = os.environ.get("NATSRS_AIO_INLINE_READ", "1") != "0"
SIGNALLED_ROOM = 64  # subscriptions one read reports (beyond it their notify fds are signalled)
RETRY_S = 0.1  # while reconnecting, how often the loop tries to attach to the next socket
# Just connected, the library may not serve the socket yet: quick retries, then none (TLS)
SOON_S = 0.002
SOON_TRIES = 25
_S = _ffi
_read_inline = lib.natsrs_connection_read_inline
_WAITING = (
    _S.NATSRS_CONNECTION_STATUS_RECONNECTING,
    _S.NATSRS_CONNECTION_STATUS_CONNECTING,
    _S.NATSRS_CONNECTION_STATUS_DISCONNECTED,
)


class InlineReader:
    """The loop's attachment to the connection's socket (loop thread only)."""

    def __init__(
        self,
        core: "ConnCore",
        loop: asyncio.AbstractEventLoop,
        readers: "weakref.WeakMethod[Callable[[int], Optional[Callable[[], Any]]]]",
    ) -> None:
        # weak: a client dropped without close() still frees its connection
        self._core = weakref.ref(core)
        self._readers = readers  # (weak) sid -> what runs for that subscription's signal
        self._sids = (c_uint64 * SIGNALLED_ROOM)()
        self._count = c_size_t(0)
        self._n = c_uint64(0)
        self._args = (byref(self._n), self._sids, SIGNALLED_ROOM, byref(self._count), None)
        self._loop = loop
        self._fd = -1
        self._gen = 0
        self._timer: Optional[asyncio.TimerHandle] = None
        self._closed = False
        self._soon = SOON_TRIES
        self.reads = 0  # inline reads that found input (tests check the loop really reads)

    def attach(self) -> None:
        """Attaches to the socket served now; while reconnecting, tries again every RETRY_S."""
        self._timer = None
        core = self._core()
        if self._closed or self._fd >= 0 or core is None or core.closed:
            return
        fd, gen = c_int32(-1), c_uint64(0)
        st = lib.natsrs_connection_read_attach(core.ptr, byref(fd), byref(gen))
        if st == OK:
            self._fd, self._gen = int(fd.value), int(gen.value)
            try:
                self._loop.add_reader(self._fd, self._on_readable)
            except BaseException:
                self._drop(core)
                raise
            self._soon = SOON_TRIES
        elif st == _S.NATSRS_STATUS_NOT_CONNECTED:
            if core.status() in _WAITING:
                self._timer = self._loop.call_later(RETRY_S, self.attach)
            elif self._soon > 0:
                self._soon -= 1
                self._timer = self._loop.call_later(SOON_S, self.attach)
        # otherwise a TLS socket (never attached) or a closed connection: the notify fds suffice

    def _on_readable(self) -> None:
        core = self._core()
        if core is None or core.closed:
            self._drop(core)
            return
        n, count = self._n, self._count
        if _read_inline(core.ptr, self._gen, *self._args) != OK:
            # the socket ended: attach to the next one once reconnected
            self._drop(core)
            if not self._closed:
                self._timer = self._loop.call_later(RETRY_S, self.attach)
            return
        if n.value:
            self.reads += 1
        # the subscriptions that got messages (their fds were not signalled): their readers run now
        k = count.value
        if k:
            readers = self._readers()
            if readers is None:
                return
            for i in range(k):
                reader = readers(self._sids[i])
                if reader is not None:
                    reader()

    def _drop(self, core: "Optional[ConnCore]") -> None:
        fd, self._fd = self._fd, -1
        if fd < 0:
            return
        try:
            self._loop.remove_reader(fd)
        except (ValueError, OSError, RuntimeError):
            pass
        if core is not None and not core.closed:
            lib.natsrs_connection_read_detach(core.ptr, self._gen)
        os.close(fd)

    def close(self) -> None:
        """Detaches for good (before the connection closes)."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._drop(self._core())

    @property
    def attached(self) -> bool:
        return self._fd >= 0
