"""Connect options, event callbacks, status properties, stats and closing."""

import asyncio
import os

import nats
from nats.errors import ConnectionClosedError, NoServersError

URL = os.environ["NATS_URL"]


async def main() -> None:
    events = []

    async def error_cb(e):
        events.append("error")

    async def disconnected_cb():
        events.append("disconnected")

    async def reconnected_cb():
        events.append("reconnected")

    async def closed_cb():
        events.append("closed")

    async def discovered_server_cb():
        events.append("discovered")

    nc = await nats.connect(
        URL,
        name="compat-connect",
        error_cb=error_cb,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
        closed_cb=closed_cb,
        discovered_server_cb=discovered_server_cb,
        connect_timeout=2,
        max_reconnect_attempts=3,
        reconnect_time_wait=0.5,
        ping_interval=30,
    )
    print("is_connected", nc.is_connected)
    print("is_closed", nc.is_closed)
    print("is_reconnecting", nc.is_reconnecting)
    print("is_connecting", nc.is_connecting)
    print("is_draining", nc.is_draining)
    print("is_draining_pubs", nc.is_draining_pubs)
    cu = nc.connected_url
    print("connected_url", cu.scheme, cu.hostname, cu.port == int(URL.rsplit(":", 1)[1]))
    print("servers", [(s.hostname, s.port == cu.port) for s in nc.servers])
    print("server_pool", [(s.uri.hostname, s.reconnects) for s in nc.server_pool])
    print("discovered_servers", nc.discovered_servers)
    print("max_payload", nc.max_payload)
    print("client_id is int", isinstance(nc.client_id, int))
    print("last_error", nc.last_error)
    print("pending_data_size", nc.pending_data_size)
    print("server version", nc.connected_server_version.major >= 2)
    rtt = await nc.rtt()
    print("rtt is float", isinstance(rtt, float), rtt >= 0)

    got = []

    async def cb(msg):
        got.append(msg.data)

    await nc.subscribe("stats.>", cb=cb)
    for i in range(5):
        await nc.publish(f"stats.{i}", b"x" * i)
    await nc.flush()
    for _ in range(500):
        if len(got) == 5:
            break
        await asyncio.sleep(0.02)
    s = nc.stats
    print("stats keys", sorted(s.keys()))
    print("stats", s["in_msgs"], s["out_msgs"], s["in_bytes"], s["out_bytes"], s["reconnects"], s["errors_received"])

    await nc.close()
    print("after close", nc.is_connected, nc.is_closed)
    print("events", events)
    try:
        await nc.publish("foo", b"bar")
    except Exception as e:
        print("publish after close", type(e).__name__, isinstance(e, ConnectionClosedError))
    try:
        await nc.subscribe("foo")
    except Exception as e:
        print("subscribe after close", type(e).__name__, isinstance(e, ConnectionClosedError))
    try:
        await nc.flush()
    except Exception as e:
        print("flush after close", type(e).__name__, isinstance(e, ConnectionClosedError))
    # closing twice is fine
    await nc.close()
    print("closed twice ok")

    # a server that is not there
    port = int(URL.rsplit(":", 1)[1])
    try:
        await nats.connect(
            f"nats://127.0.0.1:{port + 1}",
            allow_reconnect=False,
            connect_timeout=1,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
        )
    except Exception as e:
        print("no server", type(e).__name__, isinstance(e, NoServersError), isinstance(e, nats.errors.Error))

    # the server list form, connect with a list and servers= keyword
    nc = await nats.connect(servers=[URL, f"nats://127.0.0.1:{port + 1}"], dont_randomize=True, no_echo=True)
    print("pool order", [u.port == port for u in nc.servers], nc.connected_url.port == port)
    sub = await nc.subscribe("echo")
    await nc.publish("echo", b"not to myself")
    try:
        await sub.next_msg(timeout=0.3)
        print("no_echo: got message")
    except nats.errors.TimeoutError as e:
        print("no_echo: nothing", type(e).__name__, isinstance(e, asyncio.TimeoutError))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main())
