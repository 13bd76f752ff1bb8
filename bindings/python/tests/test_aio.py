"""natsrs.aio (nats-py's asyncio API) against a real server."""

from __future__ import annotations

import asyncio
import time
from typing import Any, List

import pytest
from conftest import run

import natsrs.aio as nats
from natsrs.aio.client import Client
from natsrs.aio.errors import BadSubscriptionError, ConnectionClosedError, NoRespondersError, TimeoutError
from natsrs.aio.msg import Msg


def test_layout_matches_nats_py() -> None:
    import natsrs.aio.aio.client as c2
    import natsrs.aio.aio.msg as m2
    import natsrs.aio.aio.subscription as s2

    assert c2.Client is Client and nats.NATS is Client and m2.Msg is Msg
    assert s2.Subscription is nats.Subscription
    assert s2.DEFAULT_SUB_PENDING_MSGS_LIMIT == 512 * 1024


def test_pubsub_callback_in_order(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        got: List[bytes] = []
        done = asyncio.Event()

        async def cb(msg: Msg) -> None:
            got.append(msg.data)
            if len(got) == 10000:
                done.set()

        await nc.subscribe("a.cb", cb=cb)
        for i in range(10000):
            await nc.publish("a.cb", b"%d" % i)
        await nc.flush()
        await asyncio.wait_for(done.wait(), 10)
        assert got == [b"%d" % i for i in range(10000)]
        await nc.close()

    run(main())


def test_next_msg_messages_iterator_and_timeout(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        sub = await nc.subscribe("a.sync")
        with pytest.raises(TimeoutError):
            await sub.next_msg(timeout=0.05)
        with pytest.raises(asyncio.TimeoutError):
            await sub.next_msg(timeout=0.05)
        await nc.publish("a.sync", b"1", headers={"H": "v"})
        m = await sub.next_msg(timeout=1)
        assert m.data == b"1" and m.headers == {"H": "v"} and m.subject == "a.sync"
        for i in range(5):
            await nc.publish("a.sync", b"%d" % i)
        seen = []
        async for msg in sub.messages:
            seen.append(msg.data)
            if len(seen) == 5:
                await sub.unsubscribe()
        assert seen == [b"0", b"1", b"2", b"3", b"4"]
        with pytest.raises(BadSubscriptionError):
            await sub.unsubscribe()
        await nc.close()

    run(main())


def test_next_msg_cancel_loses_nothing(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        sub = await nc.subscribe("a.cancel")
        t = asyncio.ensure_future(sub.next_msg(timeout=None))
        await asyncio.sleep(0.05)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        await nc.publish("a.cancel", b"kept")
        assert (await sub.next_msg(1)).data == b"kept"
        await nc.close()

    run(main())


def test_request_respond_no_responders_timeout_cancel(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def helper(msg: Msg) -> None:
            await msg.respond(b"ok:" + msg.data)

        await nc.subscribe("a.help", "workers", helper)
        r = await nc.request("a.help", b"q", timeout=1)
        assert r.data == b"ok:q"
        r = await nc.request("a.help", b"h", timeout=1, headers={"X": "y"})
        assert r.data == b"ok:h" and r.headers and r.headers.get("X") == "y"  # respond echoes headers, as nats-py
        with pytest.raises(NoRespondersError):
            await nc.request("a.nobody", b"")
        await nc.subscribe("a.silent")
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            await nc.request("a.silent", b"", timeout=0.1)
        assert time.monotonic() - t0 < 1
        # many concurrent requests, none blocks the loop
        rs = await asyncio.gather(*[nc.request("a.help", b"%d" % i, timeout=2) for i in range(200)])
        assert [x.data for x in rs] == [b"ok:%d" % i for i in range(200)]
        # cancelling the awaiting task cancels the request
        t = asyncio.ensure_future(nc.request("a.silent", b"", timeout=5))
        await asyncio.sleep(0.02)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(nc.request("a.silent", b"", timeout=5), 0.05)
        await nc.close()

    run(main())


def test_loop_not_blocked_while_waiting(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        await nc.subscribe("a.never")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tt = asyncio.ensure_future(ticker())
        with pytest.raises(TimeoutError):
            await nc.request("a.never", b"", timeout=0.5)
        tt.cancel()
        assert ticks >= 20
        await nc.close()

    run(main())


def test_unsubscribe_limit_and_max_msgs(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        got: List[bytes] = []

        async def cb(m: Msg) -> None:
            got.append(m.data)

        sub = await nc.subscribe("a.lim", cb=cb)
        await sub.unsubscribe(limit=2)
        sub2 = await nc.subscribe("a.lim", max_msgs=3)
        for i in range(5):
            await nc.publish("a.lim", b"%d" % i)
        await nc.flush()
        for _ in range(500):
            if len(got) >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert got == [b"0", b"1"]
        assert [m.data async for m in sub2.messages] == [b"0", b"1", b"2"]
        await nc.close()

    run(main())


def test_drain_subscription_and_connection(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        got: List[bytes] = []

        async def slow(m: Msg) -> None:
            await asyncio.sleep(0.001)
            got.append(m.data)

        sub = await nc.subscribe("a.drain", cb=slow)
        for i in range(100):
            await nc.publish("a.drain", b"%d" % i)
        await nc.flush()
        await sub.drain()
        assert len(got) == 100

        got2: List[bytes] = []

        async def cb2(m: Msg) -> None:
            got2.append(m.data)

        closed = asyncio.Event()

        async def closed_cb() -> None:
            closed.set()

        nc2 = await nats.connect(url, closed_cb=closed_cb)
        await nc2.subscribe("a.cdrain", cb=cb2)
        for _ in range(50):
            await nc2.publish("a.cdrain", b"x")
        await nc2.drain()
        assert len(got2) == 50 and nc2.is_closed and closed.is_set()
        await nc.close()

    run(main())


def test_drain_waits_for_running_callbacks(url: str) -> None:
    """As nats-py: a connection drain lets a running callback finish and what it publishes go
    out; meanwhile the connection is draining, publish works, subscribe and request raise."""
    from natsrs.aio.errors import ConnectionDrainingError

    async def main() -> None:
        obs = await nats.connect(url)
        seen = await obs.subscribe("a.dw.out")
        await obs.flush()
        nc = await nats.connect(url)
        started = asyncio.Event()

        async def cb(m: Msg) -> None:
            started.set()
            await asyncio.sleep(0.3)
            await nc.publish("a.dw.out", b"from the callback")

        await nc.subscribe("a.dw.in", cb=cb)
        await nc.publish("a.dw.in", b"")
        await nc.flush()
        await started.wait()
        drain = asyncio.ensure_future(nc.drain())
        await asyncio.sleep(0.05)
        assert nc.is_draining and not nc.is_closed
        await nc.publish("a.dw.out", b"during")
        with pytest.raises(ConnectionDrainingError):
            await nc.request("a.dw.x", b"", timeout=0.5)
        with pytest.raises(ConnectionDrainingError):
            await nc.subscribe("a.dw.y")
        await drain
        assert nc.is_closed
        got = sorted([(await seen.next_msg(timeout=2)).data for _ in range(2)])
        assert got == [b"during", b"from the callback"]
        await obs.close()

    run(main())


def test_properties_and_stats(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url, name="aio-props")
        assert nc.is_connected and not nc.is_closed and not nc.is_reconnecting
        assert nc.connected_url is not None and nc.connected_url.port == int(url.rsplit(":", 1)[1])
        assert [s.netloc for s in nc.servers] == [url.split("//")[1]]
        assert nc.discovered_servers == []
        assert nc.max_payload == 1048576
        assert isinstance(nc.client_id, int)
        assert nc.last_error is None
        assert nc.new_inbox().startswith("_INBOX.")
        assert 0 < await nc.rtt() < 1
        assert (nc.connected_server_version.major, nc.connected_server_version.minor) == (2, 15)
        await nc.publish("a.s", b"abc")
        await nc.flush(timeout=2)
        assert nc.stats["out_msgs"] >= 1 and nc.stats["out_bytes"] >= 3 and "reconnects" in nc.stats
        await nc.close()
        assert nc.is_closed and not nc.is_connected and nc.connected_url is None

    run(main())


def test_use_after_close(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        sub = await nc.subscribe("a.uac")
        await nc.close()
        await nc.close()  # idempotent
        with pytest.raises(ConnectionClosedError):
            await nc.publish("a.uac", b"")
        with pytest.raises(ConnectionClosedError):
            await nc.subscribe("a.uac")
        with pytest.raises(ConnectionClosedError):
            await nc.request("a.uac", b"")
        with pytest.raises(ConnectionClosedError):
            await nc.flush()
        with pytest.raises(ConnectionClosedError):
            await sub.next_msg(0.1)
        with pytest.raises(ConnectionClosedError):
            await sub.unsubscribe()

    run(main())


def test_callback_that_raises_goes_to_error_cb(url: str) -> None:
    async def main() -> None:
        errs: List[Exception] = []

        async def error_cb(e: Exception) -> None:
            errs.append(e)

        nc = await nats.connect(url, error_cb=error_cb)
        got: List[bytes] = []

        async def cb(m: Msg) -> None:
            got.append(m.data)
            raise RuntimeError("bad " + m.data.decode())

        await nc.subscribe("a.raise", cb=cb)
        await nc.publish("a.raise", b"1")
        await nc.publish("a.raise", b"2")
        await nc.flush()
        for _ in range(500):
            if len(errs) == 2:
                break
            await asyncio.sleep(0.01)
        assert got == [b"1", b"2"]
        assert [str(e) for e in errs] == ["bad 1", "bad 2"]
        await nc.close()

    run(main())


def test_callbacks_must_be_coroutines(url: str) -> None:
    async def main() -> None:
        with pytest.raises(nats.errors.InvalidCallbackTypeError):
            await nats.connect(url, error_cb=lambda e: None)
        nc = await nats.connect(url)
        with pytest.raises(nats.errors.Error):
            await nc.subscribe("x", cb=lambda m: None)  # type: ignore[arg-type,return-value]
        await nc.close()

    run(main())


def test_slow_consumer_reported(url: str) -> None:
    async def main() -> None:
        errs: List[Exception] = []

        async def error_cb(e: Exception) -> None:
            errs.append(e)

        nc = await nats.connect(url, error_cb=error_cb)
        sub = await nc.subscribe("a.slow", pending_msgs_limit=10)
        for _ in range(100):
            await nc.publish("a.slow", b"x")
        await nc.flush()
        for _ in range(500):
            if any(isinstance(e, nats.errors.SlowConsumerError) for e in errs):
                break
            await asyncio.sleep(0.01)
        assert any(isinstance(e, nats.errors.SlowConsumerError) for e in errs)
        assert sub.pending_msgs <= 10
        await nc.close()

    run(main())


def test_auth_and_event_callbacks(make_server: Any) -> None:
    s = make_server("--user", "bob", "--pass", "pw")
    t = make_server("--auth", "tkn")

    async def main() -> None:
        nc = await nats.connect(s.url, user="bob", password="pw")
        await nc.flush()
        await nc.close()
        with pytest.raises(nats.errors.AuthorizationError):
            await nats.connect(s.url, user="bob", password="bad", allow_reconnect=False)
        nc = await nats.connect(t.url, token="tkn")
        await nc.flush()
        await nc.close()
        nc = await nats.connect(servers=[t.url], token=lambda: "tkn")
        await nc.flush()
        await nc.close()

    run(main())


def test_reconnect_after_server_restart(make_server: Any) -> None:
    s = make_server()

    async def main() -> None:
        events: List[str] = []
        reconnected = asyncio.Event()

        async def disconnected_cb() -> None:
            events.append("disconnected")

        async def reconnected_cb() -> None:
            events.append("reconnected")
            reconnected.set()

        async def closed_cb() -> None:
            events.append("closed")

        nc = await nats.connect(
            s.url,
            reconnect_time_wait=0.1,
            max_reconnect_attempts=-1,
            disconnected_cb=disconnected_cb,
            reconnected_cb=reconnected_cb,
            closed_cb=closed_cb,
        )
        sub = await nc.subscribe("a.rc")
        await asyncio.get_running_loop().run_in_executor(None, s.restart)
        await asyncio.wait_for(reconnected.wait(), 10)
        assert nc.is_connected and nc.stats["reconnects"] >= 1
        await nc.publish("a.rc", b"after")
        assert (await sub.next_msg(2)).data == b"after"
        await nc.close()
        assert events[0] == "disconnected" and "reconnected" in events and events[-1] == "closed"

    run(main())


def test_cluster_failover(make_server: Any, tmpdir_session: Any) -> None:
    from conftest import free_port

    c1, c2 = free_port(), free_port()
    routes = f"nats-route://127.0.0.1:{c1},nats-route://127.0.0.1:{c2}"
    a = make_server("--cluster_name", "c", "--cluster", f"nats://127.0.0.1:{c1}", "--routes", routes)
    b = make_server("--cluster_name", "c", "--cluster", f"nats://127.0.0.1:{c2}", "--routes", routes)

    async def main() -> None:
        reconnected = asyncio.Event()
        discovered = asyncio.Event()

        async def reconnected_cb() -> None:
            reconnected.set()

        async def discovered_server_cb() -> None:
            discovered.set()

        nc = await nats.connect(
            a.url, reconnect_time_wait=0.1, reconnected_cb=reconnected_cb, discovered_server_cb=discovered_server_cb
        )
        for _ in range(200):  # the route forms; b's client URL is announced to us
            if nc.discovered_servers:
                break
            await asyncio.sleep(0.05)
        assert [u.port for u in nc.discovered_servers] == [b.port]
        sub = await nc.subscribe("a.fo")
        await nc.flush()
        await asyncio.get_running_loop().run_in_executor(None, a.stop)
        await asyncio.wait_for(reconnected.wait(), 10)
        assert nc.connected_url is not None and nc.connected_url.port == b.port
        await nc.publish("a.fo", b"moved")
        assert (await sub.next_msg(2)).data == b"moved"
        await nc.close()

    run(main())


def test_flood_does_not_starve_the_loop(url: str) -> None:
    import threading

    import natsrs

    async def main() -> None:
        nc = await nats.connect(url)
        n = 0

        async def cb(m: Msg) -> None:
            nonlocal n
            n += 1

        await nc.subscribe("a.flood", cb=cb)
        await nc.flush()
        stop = threading.Event()

        def flood() -> None:
            with natsrs.connect(url) as pc:
                while not stop.is_set():
                    for _ in range(1000):
                        pc.publish("a.flood", b"x")
                    pc.flush()

        th = threading.Thread(target=flood)
        th.start()
        ticks = 0
        try:
            for _ in range(20):
                await asyncio.sleep(0.01)
                ticks += 1
        finally:
            stop.set()
            await asyncio.get_running_loop().run_in_executor(None, th.join)
        assert ticks == 20 and n > 0
        await nc.close()

    run(main())


def test_event_callback_that_raises_goes_to_error_cb(url: str) -> None:
    async def main() -> None:
        errs: List[Exception] = []

        async def error_cb(e: Exception) -> None:
            errs.append(e)

        async def closed_cb() -> None:
            raise RuntimeError("in closed_cb")

        nc = await nats.connect(url, error_cb=error_cb, closed_cb=closed_cb)
        await nc.close()
        for _ in range(500):
            if errs:
                break
            await asyncio.sleep(0.01)
        assert [str(e) for e in errs] == ["in closed_cb"]

    run(main())


def test_next_msg_of_an_ended_subscription_times_out(url: str) -> None:
    """As nats-py: after unsubscribe, or past max_msgs, next_msg waits for its timeout and raises
    TimeoutError (the loop idiom ``except TimeoutError: break`` ends)."""

    async def main() -> None:
        nc = await nats.connect(url)
        s = await nc.subscribe("a.ended.max", max_msgs=2)
        for i in range(4):
            await nc.publish("a.ended.max", b"%d" % i)
        await nc.flush()
        assert [(await s.next_msg(timeout=1)).data for _ in range(2)] == [b"0", b"1"]
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            await s.next_msg(timeout=0.2)
        assert time.monotonic() - t0 >= 0.15
        s2 = await nc.subscribe("a.ended.unsub")
        await s2.unsubscribe()
        with pytest.raises(TimeoutError):
            await s2.next_msg(timeout=0.1)
        await nc.close()
        with pytest.raises(ConnectionClosedError):
            await s2.next_msg(timeout=0.1)

    run(main())


def test_slow_consumer_goes_to_error_cb_only(url: str) -> None:
    """As nats-py: a slow consumer is reported to error_cb; last_error stays None."""
    from natsrs.aio.errors import SlowConsumerError

    async def main() -> None:
        seen: List[Exception] = []

        async def ecb(e: Exception) -> None:
            seen.append(e)

        nc = await nats.connect(url, error_cb=ecb)
        blk = asyncio.Event()

        async def slow(m: Msg) -> None:
            await blk.wait()

        await nc.subscribe("a.slowc", cb=slow, pending_msgs_limit=3)
        for _ in range(20):
            await nc.publish("a.slowc", b"x")
        await nc.flush()
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        assert seen and all(isinstance(e, SlowConsumerError) for e in seen)
        assert nc.last_error is None
        blk.set()
        await nc.close()

    run(main())
