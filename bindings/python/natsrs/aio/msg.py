"""nats-py's ``nats.aio.msg``: the message type of the asyncio API."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Union

from ..errors import Error, MsgAlreadyAckdError, NotJSMessageError

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Msg"]


class Msg:
    """A received message: ``subject``, ``reply``, ``data``, ``headers`` (first value of each key;
    ``header_values(key)`` gives all of them)."""

    __slots__ = ("_client", "subject", "reply", "data", "headers", "_multi", "_sid", "_ackd", "_metadata")

    def __init__(
        self,
        _client: Optional["Client"] = None,
        subject: str = "",
        reply: str = "",
        data: bytes = b"",
        headers: Optional[Dict[str, str]] = None,
        _multi: Optional[Dict[str, List[str]]] = None,
        _sid: Optional[int] = None,
    ) -> None:
        self._client = _client
        self.subject = subject
        self.reply = reply
        self.data = data
        self.headers = headers
        self._multi = _multi
        self._sid = _sid
        self._ackd = False
        self._metadata: Optional[Msg.Metadata] = None

    @property
    def header(self) -> Optional[Dict[str, str]]:
        return self.headers

    @property
    def sid(self) -> int:
        if self._sid is None:
            raise Error("sid not set")
        return self._sid

    @property
    def is_acked(self) -> bool:
        return self._ackd

    def header_values(self, key: str) -> List[str]:
        return list((self._multi or {}).get(key, []))

    async def respond(self, data: bytes) -> None:
        """Publishes ``data`` to the message's reply subject (with the message's headers, as
        nats-py does)."""
        if not self.reply:
            raise Error("no reply subject available")
        if not self._client:
            raise Error("client not set")
        await self._client.publish(self.reply, data, headers=self.headers)

    # ---- JetStream: acks go to the message's $JS.ACK reply subject, as nats-py sends them
    class Ack:
        Ack = b"+ACK"
        Nak = b"-NAK"
        Progress = b"+WPI"
        Term = b"+TERM"

    def _check_reply(self) -> "Client":
        if not self.reply:
            raise NotJSMessageError()
        if self._ackd:
            raise MsgAlreadyAckdError()
        if self._client is None:
            raise Error("client not set")
        return self._client

    async def ack(self) -> None:
        """Acknowledges a JetStream message."""
        await self._check_reply().publish(self.reply, Msg.Ack.Ack)
        self._ackd = True

    async def ack_sync(self, timeout: float = 1.0) -> "Msg":
        """Acknowledges and waits for the server to confirm it."""
        resp = await self._check_reply().request(self.reply, Msg.Ack.Ack, timeout=timeout)
        self._ackd = True
        return resp

    async def nak(self, delay: Union[int, float, None] = None) -> None:
        """Negative ack: the server redelivers the message (after ``delay`` seconds if given)."""
        payload = Msg.Ack.Nak
        if delay:
            payload += b" " + json.dumps({"delay": int(delay * 1_000_000_000)}).encode()
        await self._check_reply().publish(self.reply, payload)
        self._ackd = True

    async def in_progress(self) -> None:
        """Tells the server the message is still being worked on (may be sent repeatedly)."""
        if not self.reply or self._client is None:
            raise NotJSMessageError()
        await self._client.publish(self.reply, Msg.Ack.Progress)

    async def term(self) -> None:
        """Stops redelivery of the message."""
        await self._check_reply().publish(self.reply, Msg.Ack.Term)
        self._ackd = True

    @property
    def metadata(self) -> "Msg.Metadata":
        """The JetStream metadata from the reply subject (``NotJSMessageError`` otherwise)."""
        if self._metadata is None:
            self._metadata = Msg.Metadata._from_reply(self.reply)
        return self._metadata

    @dataclass(frozen=True)
    class Metadata:
        """Stream and consumer sequences, pending count, delivery count, time stamp, names."""

        sequence: "Msg.Metadata.SequencePair"
        num_pending: int
        num_delivered: int
        timestamp: datetime.datetime
        stream: str
        consumer: str
        domain: Optional[str] = None

        @dataclass(frozen=True)
        class SequencePair:
            consumer: int
            stream: int

        @classmethod
        def _from_reply(cls, reply: str) -> "Msg.Metadata":
            # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (9 tokens), or
            # $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]
            t = (reply or "").split(".")
            if len(t) < 9 or t[0] != "$JS" or t[1] != "ACK" or len(t) == 10:
                raise NotJSMessageError()
            domain: Optional[str] = None
            if len(t) > 9:
                domain = "" if t[2] == "_" else t[2]
                t = t[:2] + t[4:]
            try:
                return cls(
                    sequence=Msg.Metadata.SequencePair(stream=int(t[5]), consumer=int(t[6])),
                    num_delivered=int(t[4]),
                    num_pending=int(t[8]),
                    timestamp=datetime.datetime.fromtimestamp(int(t[7]) / 1e9, datetime.timezone.utc),
                    stream=t[2],
                    consumer=t[3],
                    domain=domain,
                )
            except ValueError:
                raise NotJSMessageError() from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Msg):
            return NotImplemented
        return (self.subject, self.reply, self.data, self.headers) == (
            other.subject,
            other.reply,
            other.data,
            other.headers,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Msg: subject='{self.subject}' reply='{self.reply}' data='{self.data[:10]!r}...'>"
