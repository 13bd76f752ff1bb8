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
]


class Error(_e.JetStreamError):
    """A JetStream error (``description``: the detail text)."""

    def __init__(self, description: Optional[str] = None, *args: Any) -> None:
        super().__init__(description or "", _ffi.NATSRS_STATUS_JETSTREAM)
        self.description = description

    def __str__(self) -> str:
        return f"nats: JetStream.{type(self).__name__} {self.description or ''}".rstrip()


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


# Key-value names (nats-py has them in the same module); libnatsrs's C API has no KV yet.
class BucketNotFoundError(NotFoundError):
    pass


class BadBucketError(APIError):
    pass


class KeyValueError(APIError):
    pass


class KeyDeletedError(KeyValueError, NotFoundError):
    pass


class KeyNotFoundError(KeyValueError, NotFoundError):
    pass


class KeyWrongLastSequenceError(KeyValueError, BadRequestError):
    pass


class NoKeysError(KeyValueError):
    pass


class KeyHistoryTooLargeError(KeyValueError):
    pass


class InvalidKeyError(Error):
    pass


class InvalidBucketNameError(Error):
    pass


def api_error(code: Optional[int], description: Optional[str], err_code: Optional[int]) -> APIError:
    """The APIError subclass for an HTTP-like ``code`` (503, 500, 404, 400, other)."""
    klass = {503: ServiceUnavailableError, 500: ServerError, 404: NotFoundError, 400: BadRequestError}.get(
        code or 0, APIError
    )
    return klass(code=code, description=description, err_code=err_code)
