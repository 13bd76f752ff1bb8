"""micro details: the full JSON of PING/INFO/STATS replies (keys and values), stats after errors
and handler exceptions, request fields, respond_error with data and headers, reset, context
manager, config validation errors (raised by the config dataclasses), dataclass to_dict/from_dict, control subjects."""

import asyncio
import json
import os

import nats
import nats.micro
from nats.micro.service import (
    EndpointConfig,
    GroupConfig,
    ServiceConfig,
    ServiceError,
    ServiceVerb,
    control_subject,
)

URL = os.environ["NATS_URL"]


def scrub(d):
    """The reply without values that change from run to run."""
    out = {}
    for k, v in d.items():
        if k in ("id", "started"):
            out[k] = f"<{type(v).__name__}>"
        elif k in ("processing_time", "average_processing_time"):
            out[k] = ("<int>" if isinstance(v, int) else type(v).__name__, v > 0 if isinstance(v, int) else v)
        elif k == "endpoints":
            out[k] = sorted((scrub(e) for e in v), key=lambda e: e["name"]) if v is not None else None
        elif isinstance(v, dict):
            out[k] = scrub(v)
        else:
            out[k] = v
    return out


async def main() -> None:
    nc = await nats.connect(URL)
    seen = []

    async def inspect(req):
        seen.append((req.subject, req.data, req.headers))
        await req.respond(b"ok", headers={"A": "b"})

    async def boom(req):
        raise RuntimeError("kaput")

    async def service_error(req):
        raise ServiceError("503", "unavailable")

    async def custom_error(req):
        await req.respond_error("418", "teapot", data=b"body", headers={"Extra": "1"})

    async def no_reply(req):
        pass

    svc = await nats.micro.add_service(
        nc, name="detail", version="0.1.0", description="details", metadata={"m": "1"}, queue_group="qq"
    )
    print("id", len(svc.id), svc.id.isalnum())
    await svc.add_endpoint(EndpointConfig(name="inspect", handler=inspect, metadata={"e": "1"}))
    await svc.add_endpoint(name="boom", handler=boom)
    await svc.add_endpoint(name="svcerr", handler=service_error)
    await svc.add_endpoint(name="custom", subject="custom.*", handler=custom_error, queue_group="own")
    g = svc.add_group(GroupConfig(name="g.sub", queue_group="gq"))
    await g.add_endpoint(name="nr", handler=no_reply)
    g2 = g.add_group(name="inner")
    await g2.add_endpoint(name="deep", handler=inspect)

    r = await nc.request("inspect", b"data", headers={"H": "v"}, timeout=2)
    print("inspect", r.data, r.headers, seen[-1])
    r = await nc.request("g.sub.inner.deep", b"", timeout=2)
    print("deep", r.data, seen[-1])
    r = await nc.request("boom", b"", timeout=2)
    print("boom", r.data, sorted((r.headers or {}).items()))
    r = await nc.request("svcerr", b"", timeout=2)
    print("svcerr", r.data, sorted((r.headers or {}).items()))
    r = await nc.request("custom.x", b"", timeout=2)
    print("custom", r.data, sorted((r.headers or {}).items()))
    try:
        await nc.request("g.sub.nr", b"", timeout=0.3)
    except Exception as e:
        print("no reply", type(e).__name__)
    await asyncio.sleep(0.1)

    for verb in ("PING", "INFO", "STATS"):
        for subj in (f"$SRV.{verb}", f"$SRV.{verb}.detail", f"$SRV.{verb}.detail.{svc.id}"):
            r = await nc.request(subj, b"", timeout=2)
            d = json.loads(r.data)
            print(subj.replace(svc.id, "<id>"), json.dumps(scrub(d), sort_keys=True))
    print("headers on ping", (await nc.request("$SRV.PING.detail", b"", timeout=2)).headers)

    st = svc.stats()
    print("stats obj", type(st).__name__, st.name, st.version, st.type if hasattr(st, "type") else "")
    print("stats to_dict", json.dumps(scrub(st.to_dict()), sort_keys=True))
    inf = svc.info()
    print("info to_dict", json.dumps(scrub(inf.to_dict()), sort_keys=True))
    for e in sorted(st.endpoints, key=lambda e: e.name):
        print(
            "endpoint stats",
            e.name,
            e.subject,
            e.queue_group,
            e.num_requests,
            e.num_errors,
            e.last_error,
            type(e.processing_time).__name__,
            type(e.average_processing_time).__name__,
        )

    # (reset is left out: nats-py's reset() leaves the endpoints' counters as they are)

    print(
        "control subjects",
        control_subject(ServiceVerb.PING),
        control_subject(ServiceVerb.INFO, "x"),
        control_subject(ServiceVerb.STATS, "x", "y"),
    )
    for bad in (
        dict(name="", version="1.0.0"),
        dict(name="ok", version=""),
        dict(name="ok", version="1.0"),
        dict(name="a.b", version="1.0.0"),
    ):
        try:
            ServiceConfig(**bad)
            print("config ok", bad)
        except Exception as e:
            print("config", bad, type(e).__name__, str(e))
    for bad in (
        dict(name="", handler=inspect),
        dict(name="x y", handler=inspect),
        dict(name="x", subject="a b", handler=inspect),
    ):
        try:
            EndpointConfig(**bad)
            print("endpoint config ok", bad["name"])
        except Exception as e:
            print("endpoint config", repr(bad["name"]), type(e).__name__, str(e))
    e = ServiceError("500", "x")
    print("service error", type(e).__mro__[1].__name__, e.code, e.description, str(e), repr(e))

    async with await nats.micro.add_service(nc, name="ctx", version="1.0.0") as s2:
        r = json.loads((await nc.request("$SRV.PING.ctx", b"", timeout=2)).data)
        print("ctx ping", r["name"])
    print("ctx stopped", s2.stopped.is_set())
    try:
        await nc.request("$SRV.PING.ctx", b"", timeout=0.3)
    except Exception as e:
        print("ctx gone", type(e).__name__)
    await svc.stop()
    await svc.stop()
    print("stopped twice ok")
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
