"""natsrs.aio requests over the muxed inbox subscription (natsrs/aio/_request.py) against a real
server: many in flight, cancellation under load, no responders, timeouts, reconnects."""

from __future__ import annotations

import asyncio
import random
from typing import Any, List

import pytest
from conftest import run

import natsrs.aio as nats
from natsrs.aio.client import Client
from natsrs.aio.errors import ConnectionClosedError, NoRespondersError, TimeoutError
from natsrs.aio.msg import Msg


def waiting(nc: Client) -> int:
    """Requests the client's mux still has a future for (0 without a mux)."""
    return nc._mux.waiting if nc._mux is not None else 0


async def echo(nc: Client, subject: str, queue: str = "") -> Any:
    async def cb(msg: Msg) -> None:
        await msg.respond(b"re:" + msg.data)

    sub = await nc.subscribe(subject, queue, cb)
    await nc.flush()
    return sub


def test_request_1000_in_flight(url: str) -> None:
    async def main() -> None:
        rc = await nats.connect(url)
        nc = await nats.connect(url)
        await echo(rc, "rq.echo")
        rs = await asyncio.gather(*[nc.request("rq.echo", b"%d" % i, timeout=20) for i in range(1000)])
        assert [m.data for m in rs] == [b"re:%d" % i for i in range(1000)]
        assert all(m.subject.startswith("_INBOX.") for m in rs)
        assert len({m.subject for m in rs}) == 1000  # one reply subject per request
        assert waiting(nc) == 0
        # the same on one connection (requester and responder share the loop and the client)
        await echo(nc, "rq.echo2")
        rs = await asyncio.gather(*[nc.request("rq.echo2", b"%d" % i, timeout=20) for i in range(1000)])
        assert [m.data for m in rs] == [b"re:%d" % i for i in range(1000)]
        assert waiting(nc) == 0
        await nc.close()
        await rc.close()

    run(main())


def test_request_cancel_under_load_loses_nothing(url: str) -> None:
    """Cancelled and timed-out requests leave no future behind; every other request gets its
    own reply, and a subscription on the same connection misses nothing meanwhile."""

    async def main() -> None:
        rc = await nats.connect(url)
        nc = await nats.connect(url)
        rnd = random.Random(7)

        async def slow(msg: Msg) -> None:
            # "late" requests are answered after their waits end (a reply can beat 100 us)
            if msg.data == b"late" or rnd.random() < 0.3:
                await asyncio.sleep(0.002)
            await msg.respond(b"re:" + msg.data)

        await rc.subscribe("rq.slow", cb=slow)
        await rc.flush()
        stream = await nc.subscribe("rq.stream")
        n = 600
        tasks = [asyncio.ensure_future(nc.request("rq.slow", b"%d" % i, timeout=20)) for i in range(n)]
        sent = 0
        for i in range(n):
            if i % 3 == 0:
                tasks[i].cancel()
            if i % 50 == 0:
                await rc.publish("rq.stream", b"%d" % sent)
                sent += 1
                await asyncio.sleep(0)
        await rc.flush()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        for i, r in enumerate(done):
            if i % 3 == 0:
                assert isinstance(r, asyncio.CancelledError) or (isinstance(r, Msg) and r.data == b"re:%d" % i)
            else:
                assert isinstance(r, Msg) and r.data == b"re:%d" % i, (i, r)
        assert waiting(nc) == 0
        got = [(await stream.next_msg(5)).data for _ in range(sent)]
        assert got == [b"%d" % i for i in range(sent)]
        # requests cut short by wait_for, with their replies still arriving later
        for i in range(50):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(nc.request("rq.slow", b"late", timeout=20), 0.0001 if i % 2 else 0)
        assert waiting(nc) == 0
        r = await nc.request("rq.slow", b"after", timeout=5)
        assert r.data == b"re:after"
        await nc.close()
        await rc.close()

    run(main())


def test_no_responders(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        with pytest.raises(NoRespondersError):
            await nc.request("rq.nobody", b"x", timeout=5)
        with pytest.raises(NoRespondersError):
            await nc.request("rq.nobody", b"x", timeout=5, headers={"H": "v"})
        rs = await asyncio.gather(
            *[nc.request("rq.nobody", b"", timeout=5) for _ in range(100)], return_exceptions=True
        )
        assert all(isinstance(r, NoRespondersError) for r in rs)
        assert waiting(nc) == 0
        await echo(nc, "rq.somebody")
        assert (await nc.request("rq.somebody", b"x", timeout=5)).data == b"re:x"
        await nc.close()

    run(main())


def test_request_timeout_and_late_reply(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        held: List[Msg] = []

        async def hold(msg: Msg) -> None:
            held.append(msg)

        await nc.subscribe("rq.hold", cb=hold)
        with pytest.raises(TimeoutError) as ei:
            await nc.request("rq.hold", b"1", timeout=0.05)
        assert isinstance(ei.value, asyncio.TimeoutError)
        assert waiting(nc) == 0
        for _ in range(200):
            if held:
                break
            await asyncio.sleep(0.01)
        assert len(held) == 1
        await held[0].respond(b"too late")  # dropped: nobody waits for it
        await echo(nc, "rq.echo")
        assert (await nc.request("rq.echo", b"next", timeout=5)).data == b"re:next"
        with pytest.raises(TimeoutError):
            await nc.request("rq.hold", b"0", timeout=0)
        with pytest.raises(nats.errors.BadTimeoutError):
            await nc.request("rq.hold", b"", timeout=-1)
        assert waiting(nc) == 0
        # a pending request fails when the connection closes
        t = asyncio.ensure_future(nc.request("rq.hold", b"", timeout=30))
        for _ in range(200):
            if len(held) >= 3:
                break
            await asyncio.sleep(0.01)
        await nc.close()
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(t, 10)
        with pytest.raises(ConnectionClosedError):
            await nc.request("rq.echo", b"", timeout=1)

    run(main())


def test_request_after_reconnect(make_server: Any) -> None:
    s = make_server()

    async def main() -> None:
        reconnected = asyncio.Event()

        async def reconnected_cb() -> None:
            reconnected.set()

        nc = await nats.connect(
            s.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1, reconnected_cb=reconnected_cb
        )
        await echo(nc, "rq.rc")
        assert (await nc.request("rq.rc", b"before", timeout=5)).data == b"re:before"
        mux = nc._mux
        await asyncio.get_running_loop().run_in_executor(None, s.restart)
        await asyncio.wait_for(reconnected.wait(), 15)
        await nc.flush(timeout=5)
        # the same muxed inbox subscription was replayed to the new server
        assert (await nc.request("rq.rc", b"after", timeout=5)).data == b"re:after"
        assert nc._mux is mux
        rs = await asyncio.gather(*[nc.request("rq.rc", b"%d" % i, timeout=10) for i in range(200)])
        assert [m.data for m in rs] == [b"re:%d" % i for i in range(200)]
        assert waiting(nc) == 0
        await nc.close()

    run(main())


def test_pending_counts_while_a_batch_is_unpacked_in_chunks(url: str) -> None:
    """A packed batch is turned into messages a chunk at a time: the messages not yet made still
    count as pending, and arrive in order. ``delivered`` counts every message that arrived, as
    nats-py's does."""

    async def main() -> None:
        nc = await nats.connect(url)
        sub = await nc.subscribe("rq.pending")
        n = 500
        for i in range(n):
            await nc.publish("rq.pending", b"%03d" % i)
        await nc.flush()
        for _ in range(500):
            if sub.pending_msgs == n:
                break
            await asyncio.sleep(0.01)
        first = await sub.next_msg(5)
        assert first.data == b"000"
        assert sub.pending_msgs == n - 1 and sub.pending_bytes == 3 * (n - 1)
        assert sub.delivered == n
        rest = [(await sub.next_msg(5)).data for _ in range(n - 1)]
        assert rest == [b"%03d" % i for i in range(1, n)]
        assert sub.pending_msgs == 0 and sub.delivered == n
        await sub.unsubscribe()
        assert sub.delivered == n  # kept after the end, as nats-py
        await nc.close()

    run(main())


def test_publish_after_close_or_drain_raises(url: str) -> None:
    """The fast publish path (a known subject) is closed with the connection."""

    async def main() -> None:
        for how in ("close", "drain"):
            nc = await nats.connect(url)
            await nc.publish("rq.known", b"1")  # the subject is known and max_payload cached now
            await nc.publish("rq.known", b"2")
            await getattr(nc, how)()
            with pytest.raises(ConnectionClosedError):
                await nc.publish("rq.known", b"3")

    run(main())
