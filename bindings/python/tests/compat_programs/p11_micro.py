"""A micro service: endpoints, groups, errors, metadata, stats/info/ping through $SRV requests."""

import asyncio
import json
import os

import nats
import nats.micro
from nats.micro import ServiceConfig

URL = os.environ["NATS_URL"]


async def main() -> None:
    nc = await nats.connect(URL)

    async def add(req):
        a, b = json.loads(req.data)
        await req.respond(json.dumps(a + b).encode(), headers={"Op": "add"})

    async def divide(req):
        a, b = json.loads(req.data)
        if b == 0:
            await req.respond_error("400", "division by zero")
            return
        await req.respond(json.dumps(a / b).encode())

    async def strict(req):
        if not req.data:
            raise nats.micro.service.ServiceError("422", "empty request")
        await req.respond(b"fine")

    async def echo(req):
        await req.respond(req.data)

    svc = await nats.micro.add_service(
        nc,
        config=ServiceConfig(name="calc", version="1.2.3", description="a calculator", metadata={"team": "math"}),
    )
    await svc.add_endpoint(name="echo", handler=echo, metadata={"kind": "debug"})
    await svc.add_endpoint(name="strict", handler=strict, metadata={"kind": "checks"})
    grp = svc.add_group(name="math")
    await grp.add_endpoint(name="add", handler=add)
    await grp.add_endpoint(name="divide", subject="div", handler=divide)
    sub = grp.add_group(name="v2", queue_group="v2q")
    await sub.add_endpoint(name="add2", handler=add)

    r = await nc.request("echo", b"hi", timeout=2)
    print("echo", r.data)
    r = await nc.request("math.add", b"[2, 3]", timeout=2)
    print("add", r.data, r.headers)
    r = await nc.request("math.div", b"[9, 3]", timeout=2)
    print("div", r.data)
    r = await nc.request("math.div", b"[1, 0]", timeout=2)
    print("div error", r.data, sorted(r.headers.items()))
    r = await nc.request("strict", b"", timeout=2)
    print("strict error", r.data, sorted(r.headers.items()))
    r = await nc.request("strict", b"x", timeout=2)
    print("strict ok", r.data, r.headers)
    r = await nc.request("math.v2.add2", b"[10, 20]", timeout=2)
    print("v2", r.data)

    def ident(d):
        return d["type"], d["name"], d["version"], d["metadata"], d["id"] == svc.id

    ping = json.loads((await nc.request("$SRV.PING.calc", b"", timeout=2)).data)
    print("ping", ident(ping))
    info = json.loads((await nc.request("$SRV.INFO.calc", b"", timeout=2)).data)
    print("info", ident(info), info["description"])
    for ep in sorted(info["endpoints"], key=lambda e: e["name"]):
        # (an endpoint without metadata has null metadata in both)
        print("  endpoint", ep["name"], ep["subject"], ep["queue_group"], ep.get("metadata") or {})
    stats = json.loads((await nc.request("$SRV.STATS.calc." + svc.id, b"", timeout=2)).data)
    print("stats", ident(stats))
    for ep in sorted(stats["endpoints"], key=lambda e: e["name"]):
        print("  stats", ep["name"], ep["num_requests"], ep["num_errors"], ep["last_error"])

    st = svc.stats()
    print("local stats", st.name, [(e.name, e.num_requests, e.num_errors) for e in st.endpoints])
    inf = svc.info()
    print("local info", inf.name, inf.version, sorted((e.name, e.metadata) for e in inf.endpoints))
    # (reset is left out: nats-py's reset() leaves the endpoints' counters as they are)

    # a second instance answers PING too
    svc2 = await nats.micro.add_service(nc, name="calc", version="1.2.3")
    inbox = nc.new_inbox()
    s = await nc.subscribe(inbox)
    await nc.publish("$SRV.PING", b"", reply=inbox)
    got = []
    for _ in range(2):
        got.append(json.loads((await s.next_msg(timeout=2)).data)["name"])
    print("ping all", sorted(got))

    try:
        await nats.micro.add_service(nc, name="bad name!", version="1.0.0")
    except Exception as e:
        print("bad name", type(e).__name__)
    try:
        await nats.micro.add_service(nc, name="ok", version="not-semver")
    except Exception as e:
        print("bad version", type(e).__name__)

    await svc.stop()
    await svc2.stop()
    print("stopped", svc.stopped.is_set())
    try:
        await nc.request("echo", b"x", timeout=0.5)
    except Exception as e:
        print("after stop", type(e).__name__)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
