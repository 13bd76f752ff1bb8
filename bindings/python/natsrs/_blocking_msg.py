"""The blocking API's message (``natsrs.Msg``): what ``Subscription.next_msg``, iteration and
callbacks give, with ``respond`` and the JetStream acknowledgements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .errors import Error

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Msg"]


class Msg:
    """A received message (a copy: it stays valid after the callback returns)."""

    __slots__ = ("subject", "reply", "data", "headers", "_multi", "_client", "_sid", "_ackd", "_metadata")

    def __init__(
        self,
        client: Optional["Client"],
        subject: str = "",
        reply: str = "",
        data: bytes = b"",
        headers: Optional[Dict[str, str]] = None,
        multi: Optional[Dict[str, List[str]]] = None,
        sid: int = 0,
    ) -> None:
        self._client = client
        self.subject = subject
        self.reply = reply
        self.data = data
        self.headers = headers
        self._multi = multi
        self._sid = sid
        self._ackd = False
        self._metadata: Any = None

    @property
    def header(self) -> Optional[Dict[str, str]]:
        return self.headers

    @property
    def sid(self) -> int:
        return self._sid

    def header_values(self, key: str) -> List[str]:
        """Every value of a multi-value header (``headers`` has the first one)."""
        return list((self._multi or {}).get(key, []))

    def respond(self, data: bytes = b"", headers: Optional[Dict[str, Any]] = None) -> None:
        if not self.reply:
            raise Error("no reply subject available")
        if self._client is None:
            raise Error("client not set")
        self._client.publish(self.reply, data, headers=headers)

    # ---- JetStream: acks go to the message's $JS.ACK reply subject
    @property
    def is_acked(self) -> bool:
        return self._ackd

    def _js_client(self) -> "Client":
        from .errors import MsgAlreadyAckdError, NotJSMessageError

        if not self.reply:
            raise NotJSMessageError()
        if self._ackd:
            raise MsgAlreadyAckdError()
        if self._client is None:
            raise Error("client not set")
        return self._client

    def ack(self) -> None:
        """Acknowledges a JetStream message."""
        self._js_client().publish(self.reply, b"+ACK")
        self._ackd = True

    def ack_sync(self, timeout: float = 1.0) -> "Msg":
        """Acknowledges and waits for the server to confirm it."""
        resp = self._js_client().request(self.reply, b"+ACK", timeout=timeout)
        self._ackd = True
        return resp

    def nak(self, delay: Optional[float] = None) -> None:
        """Negative ack: redelivery (after ``delay`` seconds if given)."""
        payload = b"-NAK"
        if delay:
            payload += b' {"delay": %d}' % int(delay * 1_000_000_000)
        self._js_client().publish(self.reply, payload)
        self._ackd = True

    def in_progress(self) -> None:
        """Still working on it: resets the ack wait (may be sent repeatedly)."""
        from .errors import NotJSMessageError

        if not self.reply or self._client is None:
            raise NotJSMessageError()
        self._client.publish(self.reply, b"+WPI")

    def term(self) -> None:
        """Stops redelivery of the message."""
        self._js_client().publish(self.reply, b"+TERM")
        self._ackd = True

    @property
    def metadata(self) -> Any:
        """nats-py's ``Msg.Metadata`` parsed from the reply subject (``NotJSMessageError``
        for a core message)."""
        if self._metadata is None:
            from .aio.msg import Msg as AioMsg

            self._metadata = AioMsg.Metadata._from_reply(self.reply)
        return self._metadata

    def __repr__(self) -> str:
        return f"<natsrs.Msg: subject='{self.subject}' reply='{self.reply}' data={self.data[:20]!r}...>"
