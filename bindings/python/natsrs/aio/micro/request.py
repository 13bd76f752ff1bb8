"""nats-py's ``nats.micro.request``: the request an endpoint handler gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional

from ... import _core
from ..._core import OK, lib

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["Request", "Handler", "ServiceError", "ERROR_HEADER", "ERROR_CODE_HEADER"]

ERROR_HEADER = "Nats-Service-Error"
ERROR_CODE_HEADER = "Nats-Service-Error-Code"


class Request:
    """A service request. Answer it (once) with :meth:`respond` or :meth:`respond_error` while
    the handler runs."""

    def __init__(
        self, client: "Client", req: int, subject: str, reply: str, data: bytes, headers: Optional[Dict[str, str]]
    ) -> None:
        self._client = client
        self._req = req  # borrowed from the library while the handler runs
        self._subject = subject
        self._reply = reply
        self._data = data
        self._headers = headers
        self._responded = False
        self._error: Optional[str] = None  # repr() of what the handler raised

    @property
    def subject(self) -> str:
        return self._subject

    @property
    def headers(self) -> Optional[Dict[str, str]]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data

    async def respond(self, data: bytes = b"", headers: Optional[Dict[str, str]] = None) -> None:
        """Sends the response (with ``headers``, if given)."""
        if not self._reply:
            raise ValueError("no reply subject set")
        self._responded = True
        if headers or not self._req:
            await self._client.publish(self._reply, data, headers=headers)
            return
        st = lib.natsrs_service_request_respond(self._req, data, len(data))
        if st != OK:
            raise _core.raise_status(st)

    async def respond_error(
        self, code: str, description: str, data: bytes = b"", headers: Optional[Dict[str, str]] = None
    ) -> None:
        """Sends an error response (``Nats-Service-Error`` / ``-Code`` headers). As in nats-py,
        the endpoint's stats count an error only when the handler raised (see ``_raised``)."""
        if not self._reply:
            raise ValueError("no reply subject set")
        self._responded = True
        h = dict(headers or {})
        h.update({ERROR_HEADER: description, ERROR_CODE_HEADER: code})
        await self._client.publish(self._reply, data, headers=h)

    def _raised(self, error: BaseException) -> None:
        """The handler raised ``error``: one error in the endpoint's stats, with nats-py's
        ``last_error`` text (``repr(error)``)."""
        self._error = repr(error)
        if self._req:
            lib.natsrs_service_request_record_error(self._req, self._error.encode())


Handler = Callable[[Request], Awaitable[None]]


@dataclass
class ServiceError(Exception):
    """Raise it in a handler to answer with this error code and description."""

    code: str
    description: str

    def __repr__(self) -> str:
        return f"{self.code}:{self.description}"

    def to_dict(self) -> Dict[str, Any]:
        return {"code": self.code, "description": self.description}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ServiceError":
        return cls(code=data.get("code", ""), description=data.get("description", ""))
