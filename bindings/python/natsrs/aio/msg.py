"""nats-py's ``nats.aio.msg``: the message type of the asyncio API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..errors import Error, NotJSMessageError

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Msg"]


class Msg:
    """A received message: ``subject``, ``reply``, ``data``, ``headers`` (first value of each key;
    ``header_values(key)`` gives all of them)."""

    __slots__ = ("_client", "subject", "reply", "data", "headers", "_multi", "_sid", "_ackd")

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

    @property
    def metadata(self) -> Any:
        raise NotJSMessageError()

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
