"""Ordered push consumers of the asyncio API (nats-py's ``ordered_consumer=True``).

The subscription keeps receiving on one deliver subject. Each message's consumer sequence must
follow the previous one; a gap, a heartbeat reporting another last consumer sequence, or no
message and no heartbeat for two heartbeat intervals re-creates the consumer (delete the old one,
create a new one on the same deliver subject starting after the last stream sequence received).
Messages still queued from a replaced consumer are dropped.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Optional

from . import api

if TYPE_CHECKING:
    from ..msg import Msg
    from .client import JetStreamContext

MISSED_HEARTBEATS_BEFORE_RESET = 2
LAST_CONSUMER_HEADER = "Nats-Last-Consumer"


class Ordered:
    def __init__(self, js: "JetStreamContext", stream: str, config: api.ConsumerConfig, consumer: str) -> None:
        self.js = js
        self.stream = stream
        self.config = config
        self.consumer = consumer
        self.last_sseq = 0
        self.last_cseq = 0
        self.active = True
        self.resetting: Optional["asyncio.Task[None]"] = None
        self.reset_again = False
        self.closed = False
        hb = config.idle_heartbeat or 0
        self.monitor: Optional["asyncio.Task[None]"] = None
        if hb > 0:
            self.monitor = asyncio.get_running_loop().create_task(self._watch(hb * MISSED_HEARTBEATS_BEFORE_RESET))

    def accept(self, msg: "Msg") -> bool:
        """True if the message is the next one in order; otherwise starts a reset (and the
        message is dropped: the new consumer delivers it again)."""
        self.active = True
        try:
            md = msg.metadata
        except Exception:
            return False
        if md.consumer != self.consumer:
            return False  # queued from a replaced consumer
        if md.sequence.consumer != self.last_cseq + 1:
            self.reset()
            return False
        self.last_cseq = md.sequence.consumer
        self.last_sseq = md.sequence.stream
        return True

    def on_status(self, msg: "Msg") -> None:
        """A heartbeat carries the consumer's last delivered sequence: a mismatch is a gap."""
        self.active = True
        last = (msg.headers or {}).get(LAST_CONSUMER_HEADER)
        if last is not None and self.resetting is None:
            try:
                if int(last) != self.last_cseq:
                    self.reset()
            except ValueError:
                pass

    def reset(self) -> None:
        if self.closed:
            return
        if self.resetting is not None:
            self.reset_again = True
            return
        self.resetting = asyncio.get_running_loop().create_task(self._recreate())

    async def _recreate(self) -> None:
        try:
            while not self.closed:
                self.reset_again = False
                old = self.consumer
                # the new consumer's name is chosen here, so that its messages are recognised even
                # before the create call returns
                name = self.js._nc.new_inbox().rsplit(".", 1)[-1]
                cfg = self.config.evolve(
                    name=name,
                    durable_name=None,
                    deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                    opt_start_seq=self.last_sseq + 1,
                    opt_start_time=None,
                )
                self.consumer = name
                self.last_cseq = 0
                try:
                    await self.js.delete_consumer(self.stream, old)
                except Exception:
                    pass  # already gone (deleted, or the server lost it)
                try:
                    await self.js.add_consumer(self.stream, config=cfg)
                except Exception:
                    if self.js._nc.is_closed:
                        self.closed = True
                        return
                    await asyncio.sleep(self.config.idle_heartbeat or 1)
                    self.reset_again = True
                if not self.reset_again:
                    return
        finally:
            self.resetting = None

    async def _watch(self, interval: float) -> None:
        try:
            while not self.closed:
                self.active = False
                await asyncio.sleep(interval)
                if self.closed:
                    return
                if not self.active and self.resetting is None:
                    self.reset()
        except asyncio.CancelledError:
            pass

    def close(self) -> None:
        self.closed = True
        for t in (self.monitor, self.resetting):
            if t is not None and not t.done():
                t.cancel()
