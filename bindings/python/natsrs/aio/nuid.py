"""nats-py's ``nats.nuid``: :class:`NUID`, unique identifiers as NATS uses them for inboxes (a
random 12-character prefix, then a 10-character sequence that grows by a random step; base 62)."""

from __future__ import annotations

import secrets
from random import Random

__all__ = ["NUID", "DIGITS", "BASE", "PREFIX_LENGTH", "SEQ_LENGTH", "TOTAL_LENGTH", "MAX_SEQ", "MIN_INC", "MAX_INC"]

DIGITS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE = 62
PREFIX_LENGTH = 12
SEQ_LENGTH = 10
TOTAL_LENGTH = PREFIX_LENGTH + SEQ_LENGTH
MAX_SEQ = BASE**SEQ_LENGTH
MIN_INC = 33
MAX_INC = 333


class NUID:
    """A generator of unique identifiers (not thread-safe: one per thread or task group)."""

    def __init__(self) -> None:
        self._rand = Random(secrets.randbits(64))
        self._prefix = bytearray()
        self._seq = 0
        self._inc = MIN_INC
        self.randomize_prefix()
        self.reset_sequential()

    def next(self) -> bytearray:
        """The next identifier (``TOTAL_LENGTH`` bytes)."""
        self._seq += self._inc
        if self._seq >= MAX_SEQ:
            self.randomize_prefix()
            self.reset_sequential()
        n = self._seq
        tail = bytearray(SEQ_LENGTH)
        for i in range(SEQ_LENGTH - 1, -1, -1):
            n, d = divmod(n, BASE)
            tail[i] = DIGITS[d]
        return self._prefix + tail

    def randomize_prefix(self) -> None:
        """A new random prefix (from the system's secure source)."""
        self._prefix = bytearray(DIGITS[b % BASE] for b in secrets.token_bytes(PREFIX_LENGTH))

    def reset_sequential(self) -> None:
        """A new random start and step for the sequence."""
        self._seq = self._rand.randrange(MAX_SEQ)
        self._inc = self._rand.randint(MIN_INC, MAX_INC)
