"""natsrs.aio.micro (nats-py's nats.micro) on the library's services."""

from __future__ import annotations

import asyncio
import json

import nats as natspy
import pytest
from conftest import run

import natsrs.aio as nats
from natsrs.aio.micro import Request, ServiceError, add_service
from natsrs.aio.micro.service import EndpointConfig, ServiceConfig


def test_service_endpoints_groups_errors_stats_and_discovery(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def echo(req: Request) -> None:
            await req.respond(req.data)

        async def divide(req: Request) -> None:
            a, b = json.loads(req.data)
            if b == 0:
                raise ServiceError("400", "division by zero")
            await asyncio.sleep(0.001)  # a handler may await
            await req.respond(json.dumps(a / b).encode())

        async def broken(req: Request) -> None:
            raise ValueError("oops")

        svc = await add_service(nc, name="calc", version="1.2.3", description="a calculator", metadata={"team": "py"})
        await svc.add_endpoint(name="echo", handler=echo, metadata={"unit": "bytes"})
        await svc.add_endpoint(EndpointConfig(name="broken", handler=broken, subject="calc.broken"))
        math = svc.add_group(name="math")
        await math.add_endpoint(name="divide", handler=divide)
        await nc.flush()

        py = await natspy.connect(url)
        assert (await py.request("echo", b"hi", timeout=2)).data == b"hi"
        assert json.loads((await py.request("math.divide", b"[6, 3]", timeout=2)).data) == 2.0
        err = await py.request("math.divide", b"[1, 0]", timeout=2)
        assert err.headers is not None
        assert err.headers["Nats-Service-Error-Code"] == "400"
        assert err.headers["Nats-Service-Error"] == "division by zero"
        err = await py.request("calc.broken", b"", timeout=2)
        assert err.headers is not None and err.headers["Nats-Service-Error-Code"] == "500"
        assert "oops" in err.headers["Nats-Service-Error"]

        info = svc.info()
        assert (info.name, info.version, info.description, info.id) == ("calc", "1.2.3", "a calculator", svc.id)
        assert sorted(e.subject for e in info.endpoints) == ["calc.broken", "echo", "math.divide"]
        stats = svc.stats()
        by_name = {e.name: e for e in stats.endpoints}
        assert by_name["divide"].num_requests == 2 and by_name["divide"].num_errors == 1
        assert by_name["echo"].num_requests == 1 and by_name["echo"].num_errors == 0
        assert svc.ping().name == "calc"

        # discovery from nats-py
        ping = json.loads((await py.request("$SRV.PING.calc", b"", timeout=2)).data)
        assert ping["name"] == "calc" and ping["id"] == svc.id
        sinfo = json.loads((await py.request(f"$SRV.INFO.calc.{svc.id}", b"", timeout=2)).data)
        assert sinfo["metadata"] == {"team": "py"}

        await svc.reset()
        assert all(e.num_requests == 0 for e in svc.stats().endpoints)
        await svc.stop()
        assert svc.stopped.is_set()
        with pytest.raises(natspy.errors.NoRespondersError):
            await py.request("echo", b"", timeout=1)
        await py.close()
        await nc.close()

    run(main())


def test_many_concurrent_requests_and_close_with_running_service(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def slow_echo(req: Request) -> None:
            await asyncio.sleep(0.001)
            await req.respond(req.data)

        svc = await add_service(nc, ServiceConfig(name="svc2", version="0.0.1"))
        await svc.add_endpoint(name="slow", handler=slow_echo)
        client = await nats.connect(url)
        rs = await asyncio.gather(*[client.request("slow", b"%d" % i, timeout=5) for i in range(50)])
        assert sorted(r.data for r in rs) == sorted(b"%d" % i for i in range(50))
        await client.close()
        await nc.close()  # the service goes with its connection

    run(main())


def test_stats_handler(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        seen = []

        def custom(stats: object) -> object:
            seen.append(stats)
            return {"requests": stats.num_requests, "endpoint": stats.name}

        async def echo(req: Request) -> None:
            await req.respond(req.data)

        async def fail(req: Request) -> None:
            raise ServiceError("418", "teapot")

        async def boom(req: Request) -> None:
            raise ValueError("boom")

        svc = await add_service(nc, name="statsvc", version="0.0.1", stats_handler=custom)
        await svc.add_endpoint(name="echo", handler=echo)
        grp = svc.add_group(name="g", queue_group="gq")
        await grp.add_endpoint(name="fail", handler=fail)
        await svc.add_endpoint(name="boom", handler=boom)
        await nc.flush()
        py = await natspy.connect(url)
        for _ in range(3):
            await py.request("echo", b"x", timeout=2)
        await py.request("g.fail", b"", timeout=2)
        r = await py.request("boom", b"", timeout=2)
        assert r.headers == {"Nats-Service-Error": "ValueError('boom')", "Nats-Service-Error-Code": "500"}
        # remote STATS (through the library's stats handler) and the local stats(). The counters
        # are updated when a handler returns, which may be just after its reply reached the
        # requester (as in nats.go), so ask again until they settle (bounded).
        for _ in range(50):
            remote = json.loads((await py.request("$SRV.STATS.statsvc", b"", timeout=2)).data)
            by_name = {e["name"]: e for e in remote["endpoints"]}
            if (
                by_name["echo"]["data"]["requests"] == 3
                and by_name["fail"]["data"]["requests"] == 1
                and by_name["boom"]["num_errors"] == 1
            ):
                break
            await asyncio.sleep(0.05)
        assert by_name["echo"]["data"] == {"requests": 3, "endpoint": "echo"}
        assert by_name["fail"]["data"] == {"requests": 1, "endpoint": "fail"}
        local = {e.name: e for e in svc.stats().endpoints}
        assert local["echo"].data == {"requests": 3, "endpoint": "echo"}
        fail_stats = [s for s in seen if s.name == "fail"][-1]
        assert fail_stats.subject == "g.fail" and fail_stats.queue_group == "gq"
        assert fail_stats.num_errors == 1 and fail_stats.last_error == "418:teapot"
        # last_error is repr() of what the handler raised, as nats-py's, here and in $SRV.STATS
        assert by_name["fail"]["last_error"] == "418:teapot" and by_name["fail"]["num_errors"] == 1
        assert by_name["boom"]["last_error"] == "ValueError('boom')"
        assert local["boom"].last_error == "ValueError('boom')" and local["boom"].num_errors == 1
        assert by_name["echo"]["num_errors"] == 0 and by_name["echo"]["last_error"] == ""

        # a raising stats handler gives null data, the stats still answer
        def broken(stats: object) -> object:
            raise RuntimeError("no stats")

        svc2 = await add_service(nc, name="statsbroken", version="0.0.1", stats_handler=broken)
        await svc2.add_endpoint(name="e2", handler=echo)
        await nc.flush()
        r = json.loads((await py.request("$SRV.STATS.statsbroken", b"", timeout=2)).data)
        assert r["endpoints"][0]["data"] is None
        await svc.stop()
        await svc2.stop()
        await py.close()
        await nc.close()

    run(main())
