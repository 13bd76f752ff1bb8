"""nats-py's ``nats.micro`` on the library's services: ``await natsrs.aio.micro.add_service(nc, ...)``."""

from __future__ import annotations

from .request import Handler, Request, ServiceError
from .service import Service, ServiceConfig, add_service

__all__ = ["add_service", "Service", "ServiceConfig", "Request", "Handler", "ServiceError"]
