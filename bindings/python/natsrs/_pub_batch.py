"""Publish batching for the blocking client (``natsrs.Client.publish``).

A plain publish (no reply, no headers, a small payload, while connected) is checked at the call
(closed connection, subject, size: the same errors as before) and appended as one entry in the
layout of ``natsrs_connection_publish_packed`` to a per-connection buffer. A flusher thread,
woken when the buffer goes from empty to not empty, hands the whole buffer to the library in one
foreign call, as nats.c's and nats.go's flushers write their buffers; a publisher that brings
the buffer to ``BATCH_BYTES`` hands it over itself. Every other use of the connection hands the
pending buffer over first (``ConnCore.require_open``, the JetStream handle, a subscription's
calls, ``close``), so the order on the wire is the call order. An entry the library refuses only
at hand-over (the connection closed meanwhile, the reconnect buffer is full) goes to
``error_cb`` and ``last_error``; the entries after it are still published. While disconnected,
and while one of the connection's message handlers runs, publishes are not batched.

The hot path takes no lock: each entry is one ``list.append`` of a (head, payload) tuple, and
the hand-over takes a prefix of the list (``buf[:n]``, then ``del buf[:n]``, one at a time under
``_send``) while publishers only append behind it; each of these list operations is atomic (the
GIL, or the list's own lock in a free-threaded build), so no entry is torn, lost or sent twice.
The flusher is woken by the first publisher that finds it not awake after its append (it clears
``_awake`` before it takes the prefix, so an entry appended after the take always finds it
cleared). A publisher that finds the batch stopped after its append takes its entry back out:
when it is still there, the final hand-over did not take it, and the publish raises
ConnectionClosedError as one made after ``close``.
"""

from __future__ import annotations

import itertools
import os
import re
import struct
import threading
import time
import weakref
from ctypes import byref, c_size_t
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import _core, _ffi
from ._core import OK, lib

if TYPE_CHECKING:
    from ._conn import ConnCore

__all__ = ["PubBatch", "bad_subject", "ENABLED", "BATCH_BYTES", "BATCH_MAX_PAYLOAD"]

# On unless NATSRS_PY_PUBLISH_BATCH=0 in the environment.
ENABLED = os.environ.get("NATSRS_PY_PUBLISH_BATCH", "1") != "0"
BATCH_BYTES = 64 * 1024  # a publisher hands the buffer over itself at about this size (counted in entries of its size)
BATCH_MAX_PAYLOAD = 8 * 1024  # larger payloads are published directly (after the pending batch)
STREAM_GAP = 0.005  # a publisher that filled the buffer this recently (seconds) streams
STREAM_DELAY = 0.0005  # how long the flusher then lets the publisher fill the buffer first
SUBJECT_CACHE_SIZE = 1024  # encoded entry heads kept per (subject, size)
_BAD_SUBJECT = re.compile(r"[ \t\r\n\x00]|\.\.|^\.|\.$")  # what the library refuses in a publish subject
_ENTRY = struct.Struct("<IIII")
_publish_packed = lib.natsrs_connection_publish_packed
_S = _ffi


def _closed() -> BaseException:
    from .errors import ConnectionClosedError

    return ConnectionClosedError()


def bad_subject(subject: str) -> bool:
    """What the library refuses as a publish subject, with str methods first: a printable subject
    (no tab, CR, LF or NUL) only needs the space, dot and empty-token checks."""
    if not subject or subject[0] == "." or subject[-1] == "." or ".." in subject or " " in subject:
        return True
    return not subject.isprintable() and _BAD_SUBJECT.search(subject) is not None


def _flusher(ref: "weakref.ref[PubBatch]", kick: threading.Event) -> None:
    """The flusher thread: hands the buffer over each time it is kicked; ends with the batch.
    While a publisher streams (it filled the buffer and handed it over itself within
    ``STREAM_GAP``), a kick first sleeps ``STREAM_DELAY``: the publisher, which keeps the GIL
    meanwhile, fills the buffer again and hands it over itself, instead of trading the GIL with
    this thread every few messages. A paced publisher never fills the buffer: no delay."""
    while True:
        kick.wait()
        batch = ref()
        if batch is None:
            return
        if time.monotonic() - batch.full_at < STREAM_GAP:
            del batch
            time.sleep(STREAM_DELAY)
            batch = ref()
            if batch is None:
                return
        kick.clear()
        batch._awake = False  # before the take: a later entry's publisher wakes it again
        batch.hand_over()
        if batch.stopped:
            return
        del batch


class PubBatch:
    """One connection's publish buffer (thread-safe)."""

    def __init__(self, core: "ConnCore", report: Callable[[BaseException], None]) -> None:
        self._core = weakref.ref(core)
        self._report = report
        self._lock = threading.Lock()  # guards the limits
        self._send = threading.Lock()  # one hand-over at a time, so batches keep their order
        # the pending entries, (entry head + subject, payload) each, joined at hand-over; the list
        # is never replaced: publishers append, a hand-over takes a prefix (see the module doc)
        self.buf: List[Tuple[bytes, bytes]] = []
        # subject -> (payload size, entry head, entries of this size that make a batch)
        self._heads: Dict[str, Tuple[int, bytes, int]] = {}
        self._awake = False  # the flusher was kicked and has not taken the buffer yet
        # Payloads up to this size are batched; -1 while not connected (publishes then go
        # directly, so that a full reconnect buffer raises at the call).
        self.limit = -1
        self._link_limit = -1  # the limit while connected and no handler runs
        self._dispatching = 0  # message handlers running now
        self._kick = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.stopped = False
        self.last_error: Optional[BaseException] = None
        self.last_error_at = 0  # the connection's async error count when it was recorded
        self.full_at = -1.0  # when a publisher last handed over a full buffer (time.monotonic)
        weakref.finalize(self, self._kick.set)  # a flusher left waiting ends with the batch

    def linked(self, max_payload: int) -> None:
        """The connection is up (``max_payload`` from the server) or down (0)."""
        with self._lock:
            self._link_limit = min(BATCH_MAX_PAYLOAD, max_payload) if max_payload > 0 else -1
            self._refresh()

    def _refresh(self) -> None:  # with _lock held
        self.limit = -1 if self.stopped or self._dispatching else self._link_limit

    def enter_handler(self) -> None:
        """A message handler starts on a library thread: until it returns, publishes on the
        connection go to the library directly, so that a reply leaves with no flusher wake-up
        (and a handler that publishes, then blocks, does not hold its message back)."""
        with self._lock:
            self._dispatching += 1
            self.limit = -1

    def leave_handler(self) -> None:
        with self._lock:
            self._dispatching -= 1
            self._refresh()

    def publish(
        self, subject: str, payload: bytes = b"", reply: str = "", headers: Optional[Dict[str, Any]] = None
    ) -> None:
        """``Client.publish`` (the client's instances use this bound method directly: one Python
        call per publish). A plain publish (no reply, no headers, a payload up to ``limit``, a
        subject the library takes) is queued; anything else goes to the library at once, after
        the pending batch, with the errors of a direct publish."""
        n = len(payload)
        if n <= self.limit and not (reply or headers):
            if type(payload) is not bytes:
                payload = bytes(payload)  # kept until the hand-over: the caller may reuse its buffer
                n = len(payload)
            head = self._heads.get(subject)
            if head is None or head[0] != n:
                head = None if bad_subject(subject) or n > self.limit else self._head(subject, n)
            if head is not None:
                buf = self.buf
                entry = (head[1], payload)
                buf.append(entry)
                if self.stopped and self._take_back(entry):
                    raise _closed()  # the final hand-over did not take it: as a publish after close
                if len(buf) >= head[2]:
                    self.full_at = time.monotonic()
                    self.hand_over()
                elif not self._awake:
                    self._awake = True
                    if self._thread is None:
                        self._start()
                    self._kick.set()
                return
        core = self._core()
        if core is None:
            from .errors import ConnectionClosedError

            raise ConnectionClosedError()
        core.publish(subject, payload, reply, headers)

    def _head(self, subject: str, n: int) -> Tuple[int, bytes, int]:
        """The cached (payload size, entry head + subject, entries of that size in a batch of
        about ``BATCH_BYTES``) of a subject and size."""
        sb = subject.encode()
        if len(self._heads) >= SUBJECT_CACHE_SIZE:
            self._heads.clear()
        hb = _ENTRY.pack(len(sb), 0, 0, n) + sb
        head = self._heads[subject] = (n, hb, max(1, BATCH_BYTES // (len(hb) + n)))
        return head

    def _take_back(self, entry: Tuple[bytes, bytes]) -> bool:
        """After ``stop``: removes an entry appended too late for the final hand-over. True when
        it was still there (not published); False when the final hand-over took it."""
        try:
            self.buf.remove(entry)  # (an equal entry of another late publisher is the same bytes)
        except ValueError:
            return False
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self.stopped:
                return
            t = threading.Thread(
                target=_flusher, args=(weakref.ref(self), self._kick), name="natsrs-flusher", daemon=True
            )
            self._thread = t
        t.start()

    def hand_over(self) -> None:
        """Gives the pending buffer to the library (after any hand-over in progress)."""
        errors: List[BaseException] = []
        with self._send:
            core = self._core()
            if core is None or self.stopped:
                return  # (stop took what was pending, later entries go back to their publishers)
            parts = self._take()
            if not parts:
                return
            self._send_packed(core.ptr, b"".join(itertools.chain.from_iterable(parts)), errors)
        for e in errors:  # after the locks: an error_cb may publish again
            self.last_error = e
            self.last_error_at = core.errors_received
            self._report(e)

    def _take(self) -> List[Tuple[bytes, bytes]]:  # with _send held
        """Takes the entries appended so far (publishers append behind them meanwhile)."""
        buf = self.buf
        n = len(buf)
        parts = buf[:n]
        del buf[:n]
        return parts

    def _send_packed(self, p: int, data: bytes, errors: List[BaseException]) -> None:
        off, end = 0, len(data)
        count = c_size_t(0)
        while off < end:
            st = _publish_packed(p, data[off:] if off else data, end - off, byref(count))
            if st == OK:
                return
            errors.append(_core.raise_status(st))
            if st in (_S.NATSRS_STATUS_CONNECTION_CLOSED, _S.NATSRS_STATUS_INVALID_ARGUMENT):
                return  # nothing after it can be published
            for _ in range(int(count.value) + 1):  # skip the published entries and the refused one
                if off >= end:
                    break
                sl, rl, hl, dl = _ENTRY.unpack_from(data, off)
                off += _ENTRY.size + sl + rl + hl + dl

    def stop(self) -> None:
        """Hands the buffer over for the last time and ends the flusher (the connection
        closes). After it returns no hand-over calls the library, so the handle can be freed
        even while other threads still publish (they get ConnectionClosedError)."""
        errors: List[BaseException] = []
        with self._send:  # waits for a hand-over in progress
            with self._lock:
                self.stopped = True
                self._refresh()
            parts = self._take()  # (after stopped is set: a later entry goes back, see publish)
            core = self._core()
            if parts and core is not None and not core.closed:
                self._send_packed(core.ptr, b"".join(itertools.chain.from_iterable(parts)), errors)
        for e in errors:
            self.last_error = e
            self._report(e)
        self._kick.set()
