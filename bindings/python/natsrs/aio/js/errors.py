"""nats-py's ``nats.js.errors``: the JetStream exceptions.

They derive from natsrs's one hierarchy (``natsrs.errors.Error``), so ``except nats.errors.Error``
catches them too. An API error carries the server's ``code`` (HTTP-like, e.g. 404), ``err_code``
(the JetStream error code, e.g. 10059) and ``description``: the library reports them through
``natsrs_last_error_api`` and ``natsrs_last_error_message``.
"""

from __future__ import annotations

from typing import Any, Dict, NoReturn, Optional

from ... import _ffi
from ... import errors as _e

__all__ = [
    "Error",
    "APIError",
    "ServiceUnavailableError",
    "ServerError",
    "NotFoundError",
    "BadRequestError",
    "ConsumerInvalidResetError",
    "NoStreamResponseError",
    "TooManyStalledMsgsError",
    "FetchTimeoutError",
    "ConsumerSequenceMismatchError",
    "BucketNotFoundError",
    "BadBucketError",
    "KeyValueError",
    "KeyDeletedError",
    "KeyNotFoundError",
    "KeyWrongLastSequenceError",
    "NoKeysError",
    "KeyHistoryTooLargeError",
    "InvalidKeyError",
    "InvalidBucketNameError",
    "InvalidObjectNameError",
    "BadObjectMetaError",
    "LinkIsABucketError",
    "DigestMismatchError",
    "ObjectNotFoundError",
    "ObjectDeletedError",
    "ObjectAlreadyExists",
    "KeyValueLimitMarkerTTLNotSupportedError",
]

# the server's err_code of a consumer reset its deliver policy does not allow
CONSUMER_INVALID_RESET = 10204


class Error(_e.JetStreamError):
    """A JetStream error (``description``: the detail text)."""

    def __init__(self, description: Optional[str] = None, *args: Any) -> None:
        super().__init__(description or "", _ffi.NATSRS_STATUS_JETSTREAM)
        self.description = description

    def __str__(self) -> str:
        return f"nats: JetStream.{type(self).__name__} {self.description or ''}"  # (nats-py: a space at the end)


class APIError(Error):
    """An error answer of the JetStream API."""

    def __init__(
        self,
        code: Optional[int] = None,
        description: Optional[str] = None,
        err_code: Optional[int] = None,
        stream: Optional[str] = None,
        seq: Optional[int] = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.err_code = err_code
        self.stream = stream
        self.seq = seq

    @classmethod
    def from_msg(cls, msg: Any) -> NoReturn:
        """Raises the exception for a status message of the API (as nats-py's ``from_msg``):
        ``ServiceUnavailableError`` for a 503, else ``APIError`` with the status code and the
        ``Description`` header."""
        hdr = getattr(msg, "header", None)
        if not hdr:
            raise APIError()
        code = str(hdr.get("Status", ""))
        if code == "503":
            raise ServiceUnavailableError()
        raise APIError(code=int(code) if code.isdigit() else None, description=hdr.get("Description"))

    @classmethod
    def from_error(cls, err: Dict[str, Any]) -> NoReturn:
        """Raises the exception for a server ``error`` object (as nats-py's ``from_error``)."""
        raise api_error(err.get("code"), err.get("description"), err.get("err_code"))

    def __str__(self) -> str:
        return (
            f"nats: {type(self).__name__}: code={self.code} err_code={self.err_code} description='{self.description}'"
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, err_code={self.err_code!r}, description={self.description!r})"
        )


class ServiceUnavailableError(APIError):
    """A 503 answer (or no JetStream responder)."""


class ServerError(APIError):
    """A 500 answer."""


class NotFoundError(APIError, _e.NotFoundError):
    """A 404 answer (no such stream, consumer or message)."""


class BadRequestError(APIError):
    """A 400 answer."""


class ConsumerInvalidResetError(BadRequestError):
    """``reset_consumer`` to a sequence the consumer's deliver policy does not allow (err_code 10204)."""


class NoStreamResponseError(Error):
    """No stream captures the subject of a JetStream publish (no responders)."""

    def __str__(self) -> str:
        return "nats: no response from stream"


class TooManyStalledMsgsError(Error):
    """``publish_async`` waited ``wait_stall`` for a free slot in vain."""

    def __str__(self) -> str:
        return "nats: stalled with too many outstanding async published messages"


class FetchTimeoutError(_e.TimeoutError):
    """A fetch got no message before its timeout."""

    def __str__(self) -> str:
        return "nats: fetch timeout"


class ConsumerSequenceMismatchError(Error):
    """A gap in an ordered consumer's sequence."""

    def __init__(
        self,
        stream_resume_sequence: Optional[int] = None,
        consumer_sequence: Optional[int] = None,
        last_consumer_sequence: Optional[int] = None,
    ) -> None:
        super().__init__()
        self.stream_resume_sequence = stream_resume_sequence
        self.consumer_sequence = consumer_sequence
        self.last_consumer_sequence = last_consumer_sequence

    def __str__(self) -> str:
        return (
            f"nats: sequence mismatch for consumer at sequence {self.consumer_sequence}, "
            f"should restart consumer from stream sequence {self.stream_resume_sequence}"
        )


# Key-value and object-store errors (nats-py has them in the same module).
class BucketNotFoundError(NotFoundError):
    """No key-value or object store of that name."""


class BadBucketError(APIError):
    """A stream that is not a valid key-value or object store."""


class KeyValueError(APIError):
    """An error of a key-value store operation."""


class KeyDeletedError(KeyValueError, NotFoundError):
    """The key's last entry is a delete or purge marker (``entry`` and ``op`` tell which)."""

    def __init__(self, entry: Any = None, op: Any = None) -> None:
        super().__init__(code=404, description="key was deleted")
        self.entry = entry
        self.op = op

    def __str__(self) -> str:
        return "nats: key was deleted"


class KeyNotFoundError(KeyValueError, NotFoundError):
    """No such key (or no entry at that revision)."""

    def __init__(self, entry: Any = None, op: Any = None, message: Optional[str] = None) -> None:
        super().__init__(code=404, description=message or "key not found")
        self.entry = entry
        self.op = op
        self.key_message = message
        if message:
            self.message = message

    def __str__(self) -> str:
        return "nats: key not found" + (f": {self.key_message}" if self.key_message else "")


class KeyWrongLastSequenceError(KeyValueError, BadRequestError):
    """``create`` of an existing key, or ``update`` / ``delete(last=...)`` with a stale revision."""

    def __init__(self, description: Optional[str] = None) -> None:
        super().__init__(code=400, description=description, err_code=10071)

    def __str__(self) -> str:
        return f"nats: {self.description}"


class NoKeysError(KeyValueError):
    """``keys()`` of an empty bucket."""

    def __str__(self) -> str:
        return "nats: no keys found"


class KeyHistoryTooLargeError(KeyValueError):
    """A history over 64 entries per key."""

    def __str__(self) -> str:
        return "nats: history limited to a max of 64"


class InvalidKeyError(Error):
    """A key that is not valid in a key-value store."""


class InvalidBucketNameError(Error):
    """A bucket name outside ``[a-zA-Z0-9_-]+``."""


class InvalidObjectNameError(Error):
    """An object name that is not valid."""


class BadObjectMetaError(Error):
    """An object's meta that cannot be read."""


class LinkIsABucketError(Error):
    """A get of a link to a whole store."""


class DigestMismatchError(Error):
    """The object's data does not match its SHA-256 digest."""


class ObjectNotFoundError(NotFoundError):
    """No such object (or it was deleted)."""


class ObjectDeletedError(NotFoundError):
    """An operation on a deleted object."""


class ObjectAlreadyExists(Error):
    """A rename onto an existing object."""


class KeyValueLimitMarkerTTLNotSupportedError(Error):
    """``limit_marker_ttl`` on a server without it."""

    def __str__(self) -> str:
        return "nats: limit marker TTLs not supported by server"


def api_error(code: Optional[int], description: Optional[str], err_code: Optional[int]) -> APIError:
    """The APIError subclass for an HTTP-like ``code`` (503, 500, 404, 400, other)."""
    if code == 400 and err_code == CONSUMER_INVALID_RESET:
        return ConsumerInvalidResetError(code=code, description=description, err_code=err_code)
    klass = {503: ServiceUnavailableError, 500: ServerError, 404: NotFoundError, 400: BadRequestError}.get(
        code or 0, APIError
    )
    return klass(code=code, description=description, err_code=err_code)
