"""``nats.aio`` of nats-py: ``natsrs.aio.aio.client``, ``.msg``, ``.subscription``, ``.errors``."""
