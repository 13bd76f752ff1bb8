"""natsrs.aio's reconnect_to_server_handler (nats-py semantics) and pending_data_size, against real
servers (two independent nats-server processes)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlparse

from conftest import run

import natsrs.aio as nats
from natsrs.aio.client import Server
from natsrs.aio.errors import ServerNotInPoolError
from natsrs.aio.msg import Msg


def test_reconnect_to_server_handler_picks_the_server_and_delay(make_server: Any) -> None:
    a = make_server()
    b = make_server()

    async def main() -> None:
        calls: List[Tuple[List[Tuple[int, int]], Dict[str, Any]]] = []
        lock = threading.Lock()
        reconnected = asyncio.Event()

        def handler(servers: List[Server], info: Dict[str, Any]) -> Tuple[Optional[Server], float]:
            with lock:
                calls.append(([(s.uri.port or 0, s.reconnects) for s in servers], info))
                n = len(calls)
            port = a.port if n <= 2 else b.port  # twice the server that is down, then b
            return [s for s in servers if s.uri.port == port][0], 0.01

        async def reconnected_cb() -> None:
            reconnected.set()

        nc = await nats.connect(
            [a.url, b.url],
            dont_randomize=True,
            reconnect_time_wait=0.05,
            max_reconnect_attempts=-1,
            reconnected_cb=reconnected_cb,
            reconnect_to_server_handler=handler,
        )
        assert nc.connected_url is not None and nc.connected_url.port == a.port
        sub = await nc.subscribe("rh.x")
        await nc.flush()
        await asyncio.get_running_loop().run_in_executor(None, a.stop)
        await asyncio.wait_for(reconnected.wait(), 20)
        assert nc.connected_url is not None and nc.connected_url.port == b.port
        with lock:
            assert len(calls) == 3
            assert sorted(p for p, _ in calls[0][0]) == sorted([a.port, b.port])
            assert calls[0][1].get("port") == a.port  # the last INFO seen, as nats-py passes it
            # a's failed attempts are counted
            assert dict(calls[2][0])[a.port] >= 1
        await nc.publish("rh.x", b"on b")
        assert (await sub.next_msg(5)).data == b"on b"
        await nc.close()

    run(main())


def test_reconnect_to_server_handler_errors_go_to_error_cb(make_server: Any) -> None:
    a = make_server()
    b = make_server()

    async def main() -> None:
        lock = threading.Lock()
        calls = [0]
        errors: List[Exception] = []
        reconnected = asyncio.Event()

        def handler(servers: List[Server], info: Dict[str, Any]) -> Tuple[Optional[Server], float]:
            with lock:
                calls[0] += 1
                n = calls[0]
            if n == 1:
                raise RuntimeError("handler failed")
            if n == 2:
                return Server(uri=urlparse("nats://127.0.0.1:1")), 0.0  # not in the pool
            if n == 3:
                threading.Thread(target=b.start).start()  # both are down until now
                return None, 0.0
            return [s for s in servers if s.uri.port == b.port][0], 0.05

        async def error_cb(e: Exception) -> None:
            errors.append(e)

        async def reconnected_cb() -> None:
            reconnected.set()

        nc = await nats.connect(
            [a.url, b.url],
            dont_randomize=True,
            reconnect_time_wait=0.05,
            max_reconnect_attempts=-1,
            error_cb=error_cb,
            reconnected_cb=reconnected_cb,
            reconnect_to_server_handler=handler,
        )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, b.stop)
        await loop.run_in_executor(None, a.stop)
        await asyncio.wait_for(reconnected.wait(), 30)
        assert nc.connected_url is not None and nc.connected_url.port == b.port
        kinds = [type(e) for e in errors]
        assert RuntimeError in kinds and ServerNotInPoolError in kinds
        await nc.close()

    run(main())


def test_pending_data_size_counts_buffered_publishes(make_server: Any) -> None:
    s = make_server()

    async def main() -> None:
        disconnected = asyncio.Event()

        async def disconnected_cb() -> None:
            disconnected.set()

        nc = await nats.connect(
            s.url, reconnect_time_wait=0.05, max_reconnect_attempts=-1, disconnected_cb=disconnected_cb
        )
        await nc.flush()
        assert nc.pending_data_size == 0
        await asyncio.get_running_loop().run_in_executor(None, s.stop)
        await asyncio.wait_for(disconnected.wait(), 10)
        for _ in range(10):
            await nc.publish("pd.x", b"y" * 1000)
        await asyncio.sleep(0)  # the batch goes to the library's reconnect buffer
        assert nc.pending_data_size >= 10 * 1000
        await nc.close()

    run(main())


def test_set_server_pool_moves_the_next_reconnect(make_server: Any) -> None:
    """nats-py's set_server_pool: the new pool is used from the next reconnect on; server_pool
    reports it in order with reconnect counts; ssl_context and msg_class are there."""
    a = make_server()
    b = make_server()

    async def main() -> None:
        reconnected = asyncio.Event()

        async def reconnected_cb() -> None:
            reconnected.set()

        nc = await nats.connect(
            a.url, reconnect_time_wait=0.05, max_reconnect_attempts=-1, reconnected_cb=reconnected_cb
        )
        assert [s.uri.port for s in nc.server_pool] == [a.port]
        nc.set_server_pool([b.url, f"127.0.0.1:{a.port}"])
        assert [s.uri.port for s in nc.server_pool] == [b.port, a.port]
        assert nc.connected_url is not None and nc.connected_url.port == a.port  # no reconnect yet
        sub = await nc.subscribe("ssp.x")
        await nc.flush()
        await asyncio.get_running_loop().run_in_executor(None, a.stop)
        await asyncio.wait_for(reconnected.wait(), 20)
        assert nc.connected_url is not None and nc.connected_url.port == b.port
        await nc.publish("ssp.x", b"on b")
        assert (await sub.next_msg(5)).data == b"on b"
        try:
            nc.set_server_pool(["nats://127.0.0.1:notaport"])
            raise AssertionError("a bad URL must be refused")
        except nats.errors.Error:
            pass
        assert [s.uri.port for s in nc.server_pool][0] == b.port  # nothing changed
        assert nc.ssl_context is not None
        assert nc.msg_class is Msg
        await nc.close()
        try:
            nc.set_server_pool([b.url])
            raise AssertionError("closed: ConnectionClosedError")
        except nats.errors.ConnectionClosedError:
            pass

    run(main())
