"""nats-py names beyond the main API that programs import: the 1.x ``Err*`` exceptions of
``nats.aio.errors``, the constants and re-exports of ``nats.aio.client``, ``nats.nuid``,
``nats.micro.service``'s control subjects and ``to_dict``, ``APIError.from_msg``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run

import natsrs.aio as nats
from natsrs.aio.aio import client as aio_client
from natsrs.aio.aio import errors as aio_errors
from natsrs.aio.js import errors as js_errors
from natsrs.aio.micro import service as micro_service
from natsrs.aio.nuid import NUID, TOTAL_LENGTH


def test_old_error_names_are_subclasses_of_the_current_ones() -> None:
    assert issubclass(aio_errors.ErrTimeout, nats.errors.TimeoutError)
    assert issubclass(aio_errors.ErrConnectionClosed, nats.errors.ConnectionClosedError)
    assert issubclass(aio_errors.ErrNoServers, nats.errors.NoServersError)
    assert issubclass(aio_errors.NatsError, nats.errors.Error)
    assert aio_errors.TimeoutError is nats.errors.TimeoutError  # the current names are there too
    with pytest.raises(nats.errors.TimeoutError):
        raise aio_errors.ErrTimeout()


def test_client_module_names() -> None:
    assert aio_client.Client is nats.NATS
    assert aio_client.Msg is nats.aio.msg.Msg
    assert aio_client.Subscription is nats.aio.subscription.Subscription
    assert aio_client.DEFAULT_SUB_PENDING_MSGS_LIMIT == 512 * 1024
    assert aio_client.DEFAULT_MAX_RECONNECT_ATTEMPTS == 60
    assert aio_client.NO_RESPONDERS_STATUS == "503"


def test_subpackages_are_attributes_after_import() -> None:
    # as after nats-py's `import nats`: no import of the subpackage needed
    import natsrs.aio as plain

    assert plain.js.api.StreamConfig is not None and plain.js.errors.NotFoundError is not None
    assert plain.aio.client.Client is plain.NATS and plain.aio.errors.ErrTimeout is not None
    assert plain.js.kv.KeyValue is not None and plain.js.object_store.ObjectStore is not None
    assert plain.nuid.NUID is NUID


def test_nuid() -> None:
    n = NUID()
    ids = {bytes(n.next()) for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(len(i) == TOTAL_LENGTH and i.isalnum() for i in ids)
    assert bytes(NUID().next())[:12] != bytes(n.next())[:12]  # another generator, another prefix


def test_control_subjects() -> None:
    cs, verb = micro_service.control_subject, micro_service.ServiceVerb
    assert cs(verb.PING) == "$SRV.PING"
    assert cs(verb.STATS, "svc") == "$SRV.STATS.svc"
    assert cs(verb.INFO, "svc", "id1") == "$SRV.INFO.svc.id1"
    assert cs(verb.PING, prefix="X") == "X.PING"


def test_service_info_and_stats_to_dict(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def echo(req: Any) -> None:
            await req.respond(req.data)

        svc = await nats.micro.add_service(nc, name="compat", version="1.0.0", description="d")
        await svc.add_endpoint(name="echo", handler=echo)
        reply = await nc.request("echo", b"hi", timeout=5)
        assert reply.data == b"hi"
        info = svc.info().to_dict()
        assert info["name"] == "compat" and info["type"] == "io.nats.micro.v1.info_response"
        assert [e["name"] for e in info["endpoints"]] == ["echo"]
        stats = svc.stats().to_dict()
        assert stats["endpoints"][0]["num_requests"] == 1 and stats["started"].endswith("Z")
        # the dicts are what the control subjects answer
        got = json.loads(
            (
                await nc.request(
                    micro_service.control_subject(micro_service.ServiceVerb.INFO, "compat"), b"", timeout=5
                )
            ).data
        )
        assert got["id"] == info["id"] and got["name"] == info["name"]
        assert micro_service.ServiceStats.from_dict(stats).to_dict()["started"] == stats["started"]
        await svc.stop()
        await nc.close()

    run(main())


def test_api_error_from_msg() -> None:
    class M:
        def __init__(self, header: Any) -> None:
            self.header = header

    with pytest.raises(js_errors.ServiceUnavailableError):
        js_errors.APIError.from_msg(M({"Status": "503"}))
    with pytest.raises(js_errors.APIError) as e:
        js_errors.APIError.from_msg(M({"Status": "408", "Description": "Request Timeout"}))
    assert e.value.code == 408 and e.value.description == "Request Timeout"
    with pytest.raises(js_errors.APIError):
        js_errors.APIError.from_msg(M(None))
