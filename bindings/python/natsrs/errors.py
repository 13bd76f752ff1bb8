"""One exception hierarchy for libnatsrs, mapped from ``natsrs_status``.

The class names follow nats-py (``nats.errors``) so that ``except nats.errors.TimeoutError`` keeps
working with ``import natsrs.aio as nats``. Every exception raised for a failed library call
carries the library's status (``.status``, an int) and its detail message (``.message``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Type

from . import _ffi

__all__ = [
    "Error",
    "TimeoutError",
    "NoRespondersError",
    "StaleConnectionError",
    "OutboundBufferLimitError",
    "UnexpectedEOF",
    "FlushTimeoutError",
    "ConnectionClosedError",
    "SecureConnRequiredError",
    "SecureConnWantedError",
    "SecureConnFailedError",
    "BadSubscriptionError",
    "BadSubjectError",
    "BadQueueError",
    "BadHeaderError",
    "SlowConsumerError",
    "BadTimeoutError",
    "AuthorizationError",
    "AuthExpiredError",
    "NoServersError",
    "JsonParseError",
    "MaxPayloadError",
    "DrainTimeoutError",
    "ConnectionDrainingError",
    "ConnectionReconnectingError",
    "InvalidUserCredentialsError",
    "InvalidCallbackTypeError",
    "ProtocolError",
    "ServerNotInPoolError",
    "NotJSMessageError",
    "MsgAlreadyAckdError",
    "InvalidArgumentError",
    "NotConnectedError",
    "IoError",
    "NotFoundError",
    "IllegalStateError",
    "PermissionViolationError",
    "MaxMessagesError",
    "HeadersNotSupportedError",
    "JetStreamError",
    "InternalError",
    "UseAfterCloseError",
    "LibraryNotFoundError",
    "error_for",
]


class Error(Exception):
    """Base of every natsrs error. ``status`` is the ``natsrs_status`` value (0 when the error
    comes from the binding itself), ``message`` the library's detail text."""

    default_message = "nats: error"

    def __init__(self, message: Optional[str] = None, status: int = 0, *args: Any) -> None:
        self.status = status
        self.message = message if message else self.default_message
        super().__init__(self.message, *args)

    def __str__(self) -> str:
        return self.message


class TimeoutError(Error, asyncio.TimeoutError):  # noqa: A001  (nats-py's name)
    default_message = "nats: timeout"


class NoRespondersError(Error):
    default_message = "nats: no responders available for request"


class StaleConnectionError(Error):
    default_message = "nats: stale connection"


class OutboundBufferLimitError(Error):
    default_message = "nats: outbound buffer limit exceeded"


class UnexpectedEOF(StaleConnectionError):
    default_message = "nats: unexpected EOF"


class FlushTimeoutError(TimeoutError):
    default_message = "nats: flush timeout"


class ConnectionClosedError(Error):
    default_message = "nats: connection closed"


class SecureConnRequiredError(Error):
    default_message = "nats: secure connection required"


class SecureConnWantedError(Error):
    default_message = "nats: secure connection not available"


class SecureConnFailedError(Error):
    default_message = "nats: secure connection failed"


class BadSubscriptionError(Error):
    default_message = "nats: invalid subscription"


class BadSubjectError(Error):
    default_message = "nats: invalid subject"


class BadQueueError(BadSubjectError):
    default_message = "nats: invalid queue name"


class BadHeaderError(Error):
    default_message = "nats: invalid header"


class SlowConsumerError(Error):
    default_message = "nats: slow consumer, messages dropped"

    def __init__(
        self,
        message: Optional[str] = None,
        status: int = _ffi.NATSRS_STATUS_SLOW_CONSUMER,
        *,
        subject: str = "",
        reply: str = "",
        sid: int = 0,
        sub: Any = None,
    ) -> None:
        super().__init__(message, status)
        self.subject = subject
        self.reply = reply
        self.sid = sid
        self.sub = sub


class BadTimeoutError(Error):
    default_message = "nats: timeout invalid"


class AuthorizationError(Error):
    default_message = "nats: authorization failed"


class AuthExpiredError(AuthorizationError):
    default_message = "nats: authentication expired"


class NoServersError(Error):
    default_message = "nats: no servers available for connection"


class JsonParseError(Error):
    default_message = "nats: connect message, json parse err"


class MaxPayloadError(Error):
    default_message = "nats: maximum payload exceeded"


class DrainTimeoutError(TimeoutError):
    default_message = "nats: draining connection timed out"


class ConnectionDrainingError(Error):
    default_message = "nats: connection draining"


class ConnectionReconnectingError(Error):
    default_message = "nats: connection reconnecting"


class InvalidUserCredentialsError(Error):
    default_message = "nats: invalid user credentials"


class InvalidCallbackTypeError(Error):
    default_message = "nats: callbacks must be coroutine functions"


class ProtocolError(Error):
    default_message = "nats: protocol error"


class ServerNotInPoolError(Error):
    default_message = "nats: selected server is not in the pool"


class NotJSMessageError(Error):
    default_message = "nats: not a JetStream message"


class MsgAlreadyAckdError(Error):
    default_message = "nats: message was already acknowledged"


class InvalidArgumentError(Error, ValueError):
    default_message = "nats: invalid argument"


class NotConnectedError(ConnectionReconnectingError):
    default_message = "nats: not connected"


class IoError(Error, OSError):
    default_message = "nats: I/O error"


class NotFoundError(Error):
    default_message = "nats: not found"


class IllegalStateError(Error):
    default_message = "nats: illegal state"


class PermissionViolationError(Error):
    default_message = "nats: permissions violation"


class MaxMessagesError(BadSubscriptionError):
    default_message = "nats: maximum messages delivered"


class HeadersNotSupportedError(Error):
    default_message = "nats: headers not supported by this server"


class JetStreamError(Error):
    default_message = "nats: JetStream error"


class InternalError(Error):
    default_message = "nats: internal error in libnatsrs"


class UseAfterCloseError(Error):
    """A method was called on a handle after ``close()``."""

    default_message = "natsrs: handle used after close"


class LibraryNotFoundError(ImportError):
    """libnatsrs.so was found neither inside the package nor at ``NATSRS_LIB_PATH``."""


_BY_STATUS: Dict[int, Type[Error]] = {
    _ffi.NATSRS_STATUS_NULL_PARAMETER: InvalidArgumentError,
    _ffi.NATSRS_STATUS_INVALID_ARGUMENT: InvalidArgumentError,
    _ffi.NATSRS_STATUS_INVALID_SUBJECT: BadSubjectError,
    _ffi.NATSRS_STATUS_TIMEOUT: TimeoutError,
    _ffi.NATSRS_STATUS_NO_RESPONDERS: NoRespondersError,
    _ffi.NATSRS_STATUS_CONNECTION_CLOSED: ConnectionClosedError,
    _ffi.NATSRS_STATUS_NOT_CONNECTED: NotConnectedError,
    _ffi.NATSRS_STATUS_MAX_PAYLOAD: MaxPayloadError,
    _ffi.NATSRS_STATUS_SLOW_CONSUMER: SlowConsumerError,
    _ffi.NATSRS_STATUS_IO: IoError,
    _ffi.NATSRS_STATUS_PROTOCOL: ProtocolError,
    _ffi.NATSRS_STATUS_AUTHORIZATION: AuthorizationError,
    _ffi.NATSRS_STATUS_TLS: SecureConnFailedError,
    _ffi.NATSRS_STATUS_NO_SERVERS: NoServersError,
    _ffi.NATSRS_STATUS_JETSTREAM: JetStreamError,
    _ffi.NATSRS_STATUS_NOT_FOUND: NotFoundError,
    _ffi.NATSRS_STATUS_ILLEGAL_STATE: IllegalStateError,
    _ffi.NATSRS_STATUS_PANIC: InternalError,
    _ffi.NATSRS_STATUS_INVALID_QUEUE: BadQueueError,
    _ffi.NATSRS_STATUS_HEADERS_NOT_SUPPORTED: HeadersNotSupportedError,
    _ffi.NATSRS_STATUS_DRAINING: ConnectionDrainingError,
    _ffi.NATSRS_STATUS_BUFFER_FULL: OutboundBufferLimitError,
    _ffi.NATSRS_STATUS_STALE_CONNECTION: StaleConnectionError,
    _ffi.NATSRS_STATUS_PERMISSION: PermissionViolationError,
    _ffi.NATSRS_STATUS_INVALID_SUBSCRIPTION: BadSubscriptionError,
    _ffi.NATSRS_STATUS_BUFFER_TOO_SMALL: InternalError,
    _ffi.NATSRS_STATUS_MAX_MESSAGES: MaxMessagesError,
    _ffi.NATSRS_STATUS_AUTH_EXPIRED: AuthExpiredError,
    _ffi.NATSRS_STATUS_BAD_CREDENTIALS: InvalidUserCredentialsError,
}


def error_for(status: int, message: str = "", cls: Optional[Type[Error]] = None) -> Error:
    """The exception for a ``natsrs_status`` value (``cls`` overrides the class)."""
    klass = cls or _BY_STATUS.get(status, Error)
    name = _ffi.NATSRS_STATUS_NAMES.get(status, f"status {status}")
    text = message or klass.default_message
    if name not in text:
        text = f"{text} ({name})"
    return klass(text, status)
