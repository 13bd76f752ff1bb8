"""The connection handle shared by the blocking client and the asyncio client."""

from __future__ import annotations

import atexit
import json
import threading
import weakref
from ctypes import byref, c_char_p, c_double, c_int, c_int64, c_void_p, create_string_buffer, string_at
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from . import _core, _ffi
from ._core import OK, check, lib
from .errors import ConnectionClosedError, Error, error_for

if TYPE_CHECKING:
    from ._pub_batch import PubBatch

_S = _ffi
EXIT_FREE_WAIT_S = 5.0  # at interpreter exit, how long to wait for handles being freed


def _free_conn(ptr: int) -> None:
    lib.natsrs_connection_free(ptr)


def _finalize_conn(ptr_box: List[int], files: List[str], reap: List[bool]) -> None:
    p = ptr_box[0] if ptr_box else 0
    if p:
        ptr_box[0] = 0
        if reap and reap[0]:
            _core._reaper.put(_free_conn, p)  # a service handler may be waiting for this thread
        else:
            _core.free_later_or_now(_free_conn, p)
    import os

    for f in files:
        try:
            os.unlink(f)
        except OSError:
            pass


_live: "weakref.WeakSet[ConnCore]" = weakref.WeakSet()


def _at_exit() -> None:
    """Before the interpreter finalizes: close and free every connection, then stop the library's
    runtime and wait for its threads, so that no library thread calls into Python while the
    interpreter shuts down (a thread entering a finalizing interpreter is force-unwound, which
    aborts the process)."""
    for core in list(_live):
        try:
            core.close()
            core.free_now()
        except Exception:  # pragma: no cover
            pass
    # a connection a service ran on is freed by the reaper thread: wait for it (see _Reaper.finish)
    _core._reaper.finish(EXIT_FREE_WAIT_S)
    try:
        lib.natsrs_shutdown(2000)
    except Exception:  # pragma: no cover
        pass


class _ExitOrder:
    pass


# atexit runs its functions last registered first, and weakref.finalize registers its own exit
# function (which calls every live finalizer, freeing open connections' handles) only when the
# first finalizer is made, usually after this module registered _at_exit. Make it register now, so
# that _at_exit runs first: it closes each connection before the handle is freed (a close after
# the exit function had freed the handle was a use after free, a crash at exit).
_EXIT_ORDER_ANCHOR = _ExitOrder()
weakref.finalize(_EXIT_ORDER_ANCHOR, int)
atexit.register(_at_exit)


class ConnCore:
    """Owns one ``natsrs_connection``. ``close()`` closes it (idempotent, safe from any thread);
    the handle itself is freed by the finalizer when the owning client is garbage, so a call racing
    with close never touches freed memory (it gets CONNECTION_CLOSED from the library)."""

    def __init__(self, ptr: int, temp_files: Optional[List[str]] = None) -> None:
        self.ptr = ptr
        self.closed = False
        self.lock = threading.Lock()
        self._box = [ptr]
        self.reap_on_free = [False]  # set once a service runs on this connection
        self._finalizer = weakref.finalize(self, _finalize_conn, self._box, list(temp_files or []), self.reap_on_free)
        self.errors_received = 0
        # the blocking client's publish buffer (natsrs/_pub_batch.py); None for the asyncio one
        self.batch: Optional["PubBatch"] = None
        _live.add(self)

    # ---- state
    def require_open(self) -> int:
        b = self.batch
        if b is not None and b.buf:
            b.hand_over()  # what was published before goes first
        if self.closed:
            raise ConnectionClosedError()
        return self.ptr

    def status(self) -> int:
        return int(lib.natsrs_connection_status_get(self.ptr))

    def close(self) -> None:
        b = self.batch
        if b is not None:
            b.stop()
        with self.lock:
            if self.closed:
                return
            self.closed = True
            if not self._box[0]:
                return  # the finalizer freed the handle already (at interpreter exit)
        lib.natsrs_connection_close(self.ptr)

    def free_now(self) -> None:
        """Frees the handle at once (only when no other thread can use it)."""
        self.closed = True
        self._finalizer()

    # ---- operations
    def publish(self, subject: str, payload: bytes, reply: str = "", headers: Optional[Dict[str, Any]] = None) -> None:
        p = self.require_open()
        if headers:
            m = _core.make_c_msg(subject, reply or None, payload, headers)
            try:
                st = lib.natsrs_connection_publish_msg(p, m)
                if st != OK:
                    raise _core.raise_status(st)
            finally:
                lib.natsrs_msg_free(m)
            return
        if reply:
            st = lib.natsrs_connection_publish_request(p, subject.encode(), reply.encode(), payload, len(payload))
        else:
            st = lib.natsrs_connection_publish(p, subject.encode(), payload, len(payload))
        if st != OK:
            raise _core.raise_status(st)

    def new_inbox(self) -> str:
        buf = create_string_buffer(256)
        check(lib.natsrs_connection_new_inbox(self.ptr, buf, 256))
        return buf.value.decode()

    def rtt_ms(self) -> float:
        out = c_double()
        check(lib.natsrs_connection_rtt(self.require_open(), byref(out)))
        return out.value

    def flush(self, timeout_ms: int) -> None:
        st = lib.natsrs_connection_flush(self.require_open(), timeout_ms)
        if st != OK:
            from .errors import FlushTimeoutError

            raise _core.raise_status(st, FlushTimeoutError if st == _S.NATSRS_STATUS_TIMEOUT else None)

    def drain(self, timeout_ms: int) -> None:
        st = lib.natsrs_connection_drain(self.require_open(), timeout_ms)
        self.closed = True
        if st != OK:
            from .errors import DrainTimeoutError

            raise _core.raise_status(st, DrainTimeoutError if st == _S.NATSRS_STATUS_TIMEOUT else None)

    # ---- properties
    def connected_url(self) -> Optional[str]:
        buf = create_string_buffer(1024)
        if lib.natsrs_connection_connected_url(self.ptr, buf, 1024) != OK:
            return None
        return buf.value.decode()

    def servers(self) -> List[str]:
        return _core.strings(lib.natsrs_connection_servers, self.ptr)

    def set_server_pool(self, urls: List[str]) -> None:
        """Replaces the server pool (used from the next reconnect on)."""
        arr = (c_char_p * len(urls))(*[u.encode() for u in urls])
        check(lib.natsrs_connection_set_server_pool(self.ptr, arr, len(urls)))

    def server_pool(self) -> List[Dict[str, Any]]:
        """[{"url", "reconnects", "implicit"}] for every server in the pool, in order."""
        out = c_void_p()
        check(lib.natsrs_connection_server_pool_json(self.ptr, byref(out)))
        try:
            return list(json.loads(string_at(out.value).decode())) if out.value else []
        finally:
            lib.natsrs_string_free(out.value)

    def discovered_servers(self) -> List[str]:
        return _core.strings(lib.natsrs_connection_discovered_servers, self.ptr)

    def max_payload(self) -> int:
        out = c_int64()
        if lib.natsrs_connection_max_payload(self.ptr, byref(out)) != OK:
            return 0
        return int(out.value)

    def server_info(self) -> Dict[str, Any]:
        out = c_void_p()
        if lib.natsrs_connection_server_info(self.ptr, byref(out)) != OK or not out.value:
            return {}
        try:
            raw = lib.natsrs_server_info_json(out.value)
            return dict(json.loads(raw.decode())) if raw else {}
        except ValueError:
            return {}
        finally:
            lib.natsrs_server_info_free(out.value)

    def last_error(self) -> Optional[Error]:
        st = c_int(0)
        buf = create_string_buffer(1024)
        if lib.natsrs_connection_last_error(self.ptr, byref(st), buf, 1024) != OK or st.value == OK:
            return None
        return error_for(st.value, buf.value.decode("utf-8", "replace"))

    def stats(self) -> Dict[str, int]:
        s = _ffi.natsrs_statistics()
        check(lib.natsrs_connection_stats(self.ptr, byref(s)))
        return {
            "in_msgs": int(s.in_msgs),
            "out_msgs": int(s.out_msgs),
            "in_bytes": int(s.in_bytes),
            "out_bytes": int(s.out_bytes),
            "reconnects": int(s.reconnects),
            "errors_received": self.errors_received,
            "dropped_msgs": int(s.dropped_msgs),
        }

    def force_reconnect(self) -> None:
        check(lib.natsrs_connection_force_reconnect(self.require_open()))
