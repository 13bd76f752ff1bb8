"""Reconnects with real servers the program starts (a 3-server cluster, single servers it stops
and restarts): discovered servers, fail-over and connected_url, the event callbacks' order,
publishes buffered while reconnecting, max_reconnect_attempts running out, allow_reconnect=False,
connect errors and auth errors (user/password, token), name and no_echo seen by the server."""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import nats
from nats.errors import NoServersError

SERVER = os.environ.get("NATS_SERVER_BIN") or shutil.which("nats-server") or "nats-server"
PORTS = iter(range(4800, 4831))
TMP = tempfile.mkdtemp(prefix="p20-")


def free_port():
    for p in PORTS:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (as the server's listener)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
            return p
    raise RuntimeError("no free port in 4800-4830")


class Server:
    def __init__(self, *args, port=None):
        self.port = port or free_port()
        self.args = args
        self.proc = None

    def start(self):
        log = os.path.join(TMP, f"{self.port}.log")
        with open(log, "wb") as f:
            self.proc = subprocess.Popen(
                [SERVER, "-a", "127.0.0.1", "-p", str(self.port), *self.args], stdout=f, stderr=f
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(log, "rb") as f:
                if b"Server is ready" in f.read():
                    return self
            time.sleep(0.02)
        raise RuntimeError("server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"


async def wait_for(pred, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not pred():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


errs = []


def recorder():
    events = []
    errs.clear()

    async def error_cb(e):
        events.append("error:" + type(e).__name__)
        errs.append((type(e).__name__, e))

    async def disconnected_cb():
        events.append("disconnected")

    async def reconnected_cb():
        events.append("reconnected")

    async def closed_cb():
        events.append("closed")

    async def discovered_server_cb():
        events.append("discovered")

    cbs = dict(
        error_cb=error_cb,
        disconnected_cb=disconnected_cb,
        reconnected_cb=reconnected_cb,
        closed_cb=closed_cb,
        discovered_server_cb=discovered_server_cb,
    )
    return events, cbs


def squash(events, refused=False):
    """The events with runs of the same one counted once; without the refused reconnect
    attempts unless ``refused`` (how many there are depends on timing and on the order the
    servers are tried in)."""
    out = []
    for e in events:
        if e == "error:ConnectionRefusedError" and not refused:
            continue
        if not out or out[-1] != e:
            out.append(e)
    return out


async def cluster_part(servers):
    a, b, c = servers
    ports = {a.port: "A", b.port: "B", c.port: "C"}
    events, cbs = recorder()
    nc = await nats.connect(a.url, dont_randomize=True, reconnect_time_wait=0.2, **cbs)
    ok = await wait_for(lambda: len(nc.discovered_servers) == 2)
    print("discovered", ok, sorted(ports[u.port] for u in nc.discovered_servers))
    print("servers", sorted(ports[u.port] for u in nc.servers), "connected", ports[nc.connected_url.port])
    print("discovered events", events.count("discovered") >= 1)
    other = await nats.connect(c.url)
    sub = await nc.subscribe("fail.over")
    await nc.flush()
    await wait_for(lambda: True, 0.3)
    await asyncio.sleep(0.5)  # the interest reaches the other servers
    a.stop()
    ok = await wait_for(lambda: "reconnected" in events)
    print("failed over", ok, ports[nc.connected_url.port] in ("B", "C"), nc.is_connected)
    print("cluster events", [e for e in squash(events) if e != "discovered"])
    print("reconnects", nc.stats["reconnects"])
    await asyncio.sleep(0.5)
    await other.publish("fail.over", b"after")
    m = await sub.next_msg(timeout=5)
    print("sub survived", m.data)
    await nc.close()
    await other.close()
    print("closed events", [e for e in squash(events) if e != "discovered"][-1])


async def buffered_part():
    srv = Server().start()
    events, cbs = recorder()
    nc = await nats.connect(srv.url, reconnect_time_wait=0.2, max_reconnect_attempts=-1, **cbs)
    sub = await nc.subscribe("buf")
    await nc.flush()
    srv.stop()
    ok = await wait_for(lambda: "disconnected" in events)
    print("disconnected", ok, nc.is_connected, nc.is_reconnecting or nc.is_connecting)
    for i in range(5):
        await nc.publish("buf", b"pending-%d" % i)
    print("pending_data_size", nc.pending_data_size > 0)
    srv.start()
    ok = await wait_for(lambda: "reconnected" in events)
    print("reconnected", ok, nc.is_connected)
    got = []
    for _ in range(5):
        got.append((await sub.next_msg(timeout=5)).data)
    print("buffered delivered", got)
    print("pending after", nc.pending_data_size)
    print("buffered events", squash(events))
    await nc.close()

    # max_reconnect_attempts runs out
    events, cbs = recorder()
    nc = await nats.connect(srv.url, reconnect_time_wait=0.1, max_reconnect_attempts=2, **cbs)
    srv.stop()
    ok = await wait_for(lambda: "closed" in events)
    print("gave up", ok, nc.is_closed, nc.is_connected, squash(events, refused=True))
    print("last_error", type(nc.last_error).__name__ if nc.last_error else None)
    try:
        await nc.publish("x", b"")
    except Exception as e:
        print("publish after giving up", type(e).__name__)

    # allow_reconnect=False
    srv.start()
    events, cbs = recorder()
    nc = await nats.connect(srv.url, allow_reconnect=False, **cbs)
    srv.stop()
    ok = await wait_for(lambda: "closed" in events)
    print("no reconnect", ok, nc.is_closed, squash(events))
    srv.stop()


async def connect_errors():
    port = free_port()
    events, cbs = recorder()
    # (nats-py's allow_reconnect=False still makes max_reconnect_attempts connect attempts)
    try:
        await nats.connect(
            f"nats://127.0.0.1:{port}", connect_timeout=1, max_reconnect_attempts=1, reconnect_time_wait=0.1, **cbs
        )
    except Exception as e:
        print("no server", type(e).__name__, str(e), isinstance(e, NoServersError))
    print("connect error events", squash(events))
    events.clear()
    try:
        await nats.connect(
            servers=[f"nats://127.0.0.1:{port}", f"nats://127.0.0.1:{port + 1}"],
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
            connect_timeout=1,
            **cbs,
        )
    except Exception as e:
        print("no servers in list", type(e).__name__, str(e))
    print("list error events", squash(events))

    srv = Server("--user", "alice", "--pass", "secret").start()
    for user, pw in (("alice", "wrong"), ("bob", "secret")):
        events.clear()
        errs.clear()
        try:
            await nats.connect(
                srv.url, user=user, password=pw, max_reconnect_attempts=1, reconnect_time_wait=0.1, **cbs
            )
        except Exception as e:
            print("auth", user, pw, type(e).__name__, str(e))
        # (nats-py also reports the reset socket of its second attempt)
        print("auth events", [(e, str(x)) for e, x in errs][:1])
    nc = await nats.connect(f"nats://alice:secret@127.0.0.1:{srv.port}")
    print("url credentials ok", nc.is_connected)
    await nc.close()
    try:
        await nats.connect(f"nats://alice:nope@127.0.0.1:{srv.port}", max_reconnect_attempts=1, reconnect_time_wait=0.1)
    except Exception as e:
        print("url credentials wrong", type(e).__name__, str(e))
    srv.stop()

    srv = Server("--auth", "s3cr3t", "-m", str(free_port())).start()
    mport = int(srv.args[-1])
    try:
        await nats.connect(srv.url, token="bad", max_reconnect_attempts=1, reconnect_time_wait=0.1)
    except Exception as e:
        print("token wrong", type(e).__name__, str(e))
    try:
        await nats.connect(srv.url, max_reconnect_attempts=1, reconnect_time_wait=0.1)
    except Exception as e:
        print("token missing", type(e).__name__, str(e))
    nc = await nats.connect(srv.url, token="s3cr3t", name="p20-client", no_echo=True)
    sub = await nc.subscribe("echo")
    await nc.publish("echo", b"x")
    try:
        await sub.next_msg(timeout=0.3)
        print("no_echo got it")
    except nats.errors.TimeoutError:
        print("no_echo nothing")
    with urllib.request.urlopen(f"http://127.0.0.1:{mport}/connz?subs=1") as r:
        conns = json.loads(r.read())["connections"]
    c = conns[0]
    print("connz", len(conns), c.get("name"), c.get("subscriptions_list"))  # (lang: the client's own)
    await nc.close()
    srv.stop()


async def main() -> None:
    a, b, c = Server(), Server(), Server()
    cports = [free_port() for _ in range(3)]
    routes = ",".join(f"nats://127.0.0.1:{p}" for p in cports)
    for s, cp in zip((a, b, c), cports):
        s.args = ("--cluster_name", "p20", "--cluster", f"nats://127.0.0.1:{cp}", "--routes", routes)
    servers = [a, b, c]
    try:
        for s in servers:
            s.start()
        await asyncio.sleep(1.0)  # routes up
        await cluster_part(servers)
    finally:
        for s in servers:
            s.stop()
    await buffered_part()
    await connect_errors()
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
