"""natsrs.aio's batched paths against a real server: packed receive (one try_next_packed call per
wake-up) and batched publish (one publish_packed call per loop turn), with nats-py on the other end."""

from __future__ import annotations

import asyncio
from typing import Any, List

import nats as nats_py
import pytest
from conftest import nats_py_flush, run

import natsrs.aio as nats
from natsrs import _core
from natsrs.aio.errors import BadSubjectError, ConnectionClosedError, MaxPayloadError
from natsrs.aio.msg import Msg


def test_packed_receive_sizes_headers_reply_and_growth(url: str) -> None:
    """Messages of every size (also larger than the reader's first buffer, and larger than its
    largest batch size), with reply subjects and multi-value headers, arrive whole and in order."""

    async def main() -> None:
        nc = await nats.connect(url)
        py = await nats_py.connect(url)
        sub = await nc.subscribe("pk.recv")
        await nc.flush()
        sizes = [0, 1, 16, 500, 513, 4096, 70000, 300 * 1024, 3, 0, 100]
        for i, n in enumerate(sizes):
            if i % 3 == 0:
                await py.publish("pk.recv", bytes([i % 256]) * n, reply=f"rep.{i}")
            elif i % 3 == 1:
                await py.publish("pk.recv", bytes([i % 256]) * n, headers={"K": f"v{i}", "Other": "x y"})
            else:
                await py.publish("pk.recv", bytes([i % 256]) * n)
        await py.flush()
        for i, n in enumerate(sizes):
            m = await sub.next_msg(timeout=5)
            assert m.subject == "pk.recv" and m.data == bytes([i % 256]) * n
            if i % 3 == 0:
                assert m.reply == f"rep.{i}" and m.headers is None
            elif i % 3 == 1:
                assert m.reply == "" and m.headers == {"K": f"v{i}", "Other": "x y"}
            else:
                assert m.headers is None
        await py.close()
        await nc.close()

    run(main())


def test_packed_receive_multi_value_headers_and_callback_batches(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        got: List[Msg] = []
        done = asyncio.Event()

        async def cb(m: Msg) -> None:
            got.append(m)
            if len(got) == 5000:
                done.set()

        await nc.subscribe("pk.cb", cb=cb)
        await nc.flush()
        await nc.publish("pk.cb", b"h", headers={"A": ["1", "2"], "B": "3"})
        for i in range(1, 5000):
            await nc.publish("pk.cb", b"%d" % i)
        await nc.flush()
        await asyncio.wait_for(done.wait(), 10)
        assert got[0].headers == {"A": "1", "B": "3"} and got[0].header_values("A") == ["1", "2"]
        assert [m.data for m in got[1:]] == [b"%d" % i for i in range(1, 5000)]
        await nc.close()

    run(main())


def test_packed_header_block_parsing() -> None:
    block = b"NATS/1.0\r\nA: 1\r\nA:  2 \r\nB:x\r\n\r\n"
    assert _core.parse_header_block(block, True) == ({"A": "1", "B": "x"}, {"A": ["1", "2"], "B": ["x"]})
    assert _core.parse_header_block(b"NATS/1.0 503\r\n\r\n", False) == ({"Status": "503"}, {"Status": ["503"]})
    assert _core.parse_header_block(b"NATS/1.0 404 No Messages\r\n\r\n", False)[0] == {"Status": "404"}
    assert _core.parse_header_block(b"NATS/1.0\r\n\r\n", True) == (None, None)


def test_batched_publish_keeps_order_with_subscribe_request_and_headers(url: str) -> None:
    """Publishes of one loop turn go out before a later subscribe / request / header publish, as
    in nats-py: a message published before the subscribe is not received by it, and a nats-py
    subscriber sees every message in call order."""

    async def main() -> None:
        nc = await nats.connect(url)
        py = await nats_py.connect(url)
        seen: List[Any] = []
        done = asyncio.Event()

        async def pcb(m: Any) -> None:
            seen.append((m.data, m.reply, dict(m.headers or {})))
            if m.data == b"end":
                done.set()

        await py.subscribe("pk.order", cb=pcb)

        async def responder(m: Any) -> None:
            await py.publish(m.reply, b"pong")

        await py.subscribe("pk.rr", cb=responder)
        await nats_py_flush(py)

        await nc.publish("pk.self", b"before")  # batched, then the subscribe goes out after it
        sub = await nc.subscribe("pk.self")
        await nc.publish("pk.self", b"after")
        m = await sub.next_msg(timeout=5)
        assert m.data == b"after"

        await nc.publish("pk.order", b"1")
        await nc.publish("pk.order", b"2", reply="r.2")
        await nc.publish("pk.order", b"3", headers={"H": "3"})
        await nc.publish("pk.order", b"4")
        r = await nc.request("pk.rr", b"ping", timeout=5)
        assert r.data == b"pong"
        await nc.publish("pk.order", b"5")
        await nc.publish("pk.order", b"end")
        await nc.flush()
        await asyncio.wait_for(done.wait(), 5)
        assert seen == [
            (b"1", "", {}),
            (b"2", "r.2", {}),
            (b"3", "", {"H": "3"}),
            (b"4", "", {}),
            (b"5", "", {}),
            (b"end", "", {}),
        ]
        await py.close()
        await nc.close()

    run(main())


def test_batched_publish_large_batches_all_arrive(url: str) -> None:
    """More than PUBLISH_BATCH_BYTES in one loop turn: handed over when the threshold passes."""

    async def main() -> None:
        nc = await nats.connect(url)
        sub = await nc.subscribe("pk.big", pending_msgs_limit=0, pending_bytes_limit=0)
        await nc.flush()
        payload = b"z" * 1000
        n = 300  # about 300 KB, so the batch passes PUBLISH_BATCH_BYTES between two yields
        for i in range(n):
            await nc.publish("pk.big", payload + b"%d" % i)
        await nc.flush()
        for i in range(n):
            m = await sub.next_msg(timeout=5)
            assert m.data == payload + b"%d" % i
        await nc.close()

    run(main())


def test_batched_publish_errors(url: str) -> None:
    """A bad subject or an oversized payload raises at the call; the rest of the batch is
    published. A failure found when the batch is handed over (here the library connection closes
    between the publish and the next loop iteration) goes to error_cb and last_error."""

    async def main() -> None:
        errors: List[Exception] = []

        async def error_cb(e: Exception) -> None:
            errors.append(e)

        nc = await nats.connect(url, error_cb=error_cb)
        sub = await nc.subscribe("pk.err")
        await nc.flush()
        await nc.publish("pk.err", b"1")
        for bad in ("", "a..b", "a b", ".a", "a."):
            with pytest.raises(BadSubjectError):
                await nc.publish(bad, b"x")
        with pytest.raises(BadSubjectError):
            await nc.publish("pk.err", b"x", reply="bad reply")
        with pytest.raises(MaxPayloadError):
            await nc.publish("pk.err", b"x" * (nc.max_payload + 1))
        await nc.publish("pk.err", b"2")
        await nc.flush()
        assert (await sub.next_msg(timeout=5)).data == b"1"
        assert (await sub.next_msg(timeout=5)).data == b"2"

        await nc.publish("pk.err", b"lost")
        assert nc.pending_data_size > 0  # still in the batch
        assert nc._core is not None
        _core.lib.natsrs_connection_close(nc._core.ptr)  # closes under the batch
        for _ in range(100):
            if errors:
                break
            await asyncio.sleep(0.01)
        assert errors and isinstance(errors[0], ConnectionClosedError)
        assert isinstance(nc.last_error, ConnectionClosedError)
        await nc.close()
        with pytest.raises(ConnectionClosedError):
            await nc.publish("pk.err", b"after close")

    run(main())


def test_batched_publish_after_an_early_hand_over_is_still_sent(url: str) -> None:
    """A batch handed over early (here by subscribe) leaves the scheduled hand-over with nothing
    to do; publishes after it still go out on the next loop iteration without any other call."""

    async def main() -> None:
        nc = await nats.connect(url)
        py = await nats_py.connect(url)
        sub = await py.subscribe("pk.late")
        await nats_py_flush(py)
        await nc.publish("pk.late", b"1")
        await nc.subscribe("pk.other")  # hands the batch over before the scheduled call runs
        await asyncio.sleep(0)  # the scheduled hand-over runs, finds nothing
        await nc.publish("pk.late", b"2")  # only the loop iteration can send this one
        m1 = await sub.next_msg(timeout=5)
        m2 = await sub.next_msg(timeout=5)
        assert (m1.data, m2.data) == (b"1", b"2")
        await py.close()
        await nc.close()

    run(main())


def test_publisher_and_callback_subscriber_on_one_loop_share_it(url: str) -> None:
    """A publishing loop and a callback subscription on the same event loop: while the subscription
    has a backlog the publisher yields more often, so a flood four times a modest pending limit
    loses no message (the publisher used to run two messages per one the subscription handled, filling the
    pending limit until the library dropped messages as a slow consumer)."""

    async def main() -> None:
        errors: List[Exception] = []

        async def on_error(e: Exception) -> None:
            errors.append(e)

        sc = await nats.connect(url, error_cb=on_error)
        pc = await nats.connect(url, error_cb=on_error)
        total = 400_000
        count = 0
        done = asyncio.Event()

        async def cb(m: Msg) -> None:
            nonlocal count
            count += 1
            if count == total:
                done.set()

        sub = await sc.subscribe("fair.ps", cb=cb, pending_msgs_limit=100_000, pending_bytes_limit=-1)
        await sc.flush()
        payload = b"x" * 64
        for _ in range(total):
            await pc.publish("fair.ps", payload)
        await pc.flush()
        for _ in range(600):  # until all arrived or the library reported a slow consumer
            if done.is_set() or errors:
                break
            await asyncio.sleep(0.05)
        assert not errors, errors[:3]
        assert count == total and sub.pending_msgs == 0
        await pc.close()
        await sc.close()

    run(main())
