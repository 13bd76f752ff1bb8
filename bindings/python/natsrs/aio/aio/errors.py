"""nats-py's ``nats.aio.errors``: the library's exceptions (``natsrs.errors``, also
``natsrs.aio.errors``), plus the ``Err*`` names nats-py keeps from its 1.x API. As in nats-py
those are subclasses of the current exceptions, never raised by the client itself: code that
catches them only catches what it raises."""

from __future__ import annotations

from ... import errors as _e
from ...errors import *  # noqa: F401,F403
from ...errors import __all__ as _current

__all__ = list(_current) + [
    "NatsError",
    "ErrConnectionClosed",
    "ErrDrainTimeout",
    "ErrInvalidUserCredentials",
    "ErrInvalidCallbackType",
    "ErrConnectionReconnecting",
    "ErrConnectionDraining",
    "ErrMaxPayload",
    "ErrStaleConnection",
    "ErrJsonParse",
    "ErrSecureConnRequired",
    "ErrSecureConnWanted",
    "ErrSecureConnFailed",
    "ErrBadSubscription",
    "ErrBadSubject",
    "ErrSlowConsumer",
    "ErrTimeout",
    "ErrBadTimeout",
    "ErrAuthorization",
    "ErrNoServers",
]


class NatsError(_e.Error):
    """Deprecated name (nats-py 1.x): use ``errors.Error``."""


class ErrConnectionClosed(_e.ConnectionClosedError):
    """Deprecated name: use ``errors.ConnectionClosedError``."""


class ErrDrainTimeout(_e.DrainTimeoutError):
    """Deprecated name: use ``errors.DrainTimeoutError``."""


class ErrInvalidUserCredentials(_e.InvalidUserCredentialsError):
    """Deprecated name: use ``errors.InvalidUserCredentialsError``."""


class ErrInvalidCallbackType(_e.InvalidCallbackTypeError):
    """Deprecated name: use ``errors.InvalidCallbackTypeError``."""


class ErrConnectionReconnecting(_e.ConnectionReconnectingError):
    """Deprecated name: use ``errors.ConnectionReconnectingError``."""


class ErrConnectionDraining(_e.ConnectionDrainingError):
    """Deprecated name: use ``errors.ConnectionDrainingError``."""


class ErrMaxPayload(_e.MaxPayloadError):
    """Deprecated name: use ``errors.MaxPayloadError``."""


class ErrStaleConnection(_e.StaleConnectionError):
    """Deprecated name: use ``errors.StaleConnectionError``."""


class ErrJsonParse(_e.JsonParseError):
    """Deprecated name: use ``errors.JsonParseError``."""


class ErrSecureConnRequired(_e.SecureConnRequiredError):
    """Deprecated name: use ``errors.SecureConnRequiredError``."""


class ErrSecureConnWanted(_e.SecureConnWantedError):
    """Deprecated name: use ``errors.SecureConnWantedError``."""


class ErrSecureConnFailed(_e.SecureConnFailedError):
    """Deprecated name: use ``errors.SecureConnFailedError``."""


class ErrBadSubscription(_e.BadSubscriptionError):
    """Deprecated name: use ``errors.BadSubscriptionError``."""


class ErrBadSubject(_e.BadSubjectError):
    """Deprecated name: use ``errors.BadSubjectError``."""


class ErrSlowConsumer(_e.SlowConsumerError):
    """Deprecated name: use ``errors.SlowConsumerError``."""


class ErrTimeout(_e.TimeoutError):
    """Deprecated name: use ``errors.TimeoutError``."""


class ErrBadTimeout(_e.BadTimeoutError):
    """Deprecated name: use ``errors.BadTimeoutError``."""


class ErrAuthorization(_e.AuthorizationError):
    """Deprecated name: use ``errors.AuthorizationError``."""


class ErrNoServers(_e.NoServersError):
    """Deprecated name: use ``errors.NoServersError``."""
