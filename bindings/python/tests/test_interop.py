"""natsrs (both APIs) and nats-py (the real one) on one server, in both directions."""

from __future__ import annotations

import asyncio
from typing import List

import nats as natspy  # the real nats-py
import pytest
from conftest import nats_py_flush, run

import natsrs
import natsrs.aio as nats


def test_nats_py_publishes_natsrs_aio_receives(url: str) -> None:
    async def main() -> None:
        py = await natspy.connect(url)
        rs = await nats.connect(url)
        sub = await rs.subscribe("i.py2rs")
        await rs.flush()
        await py.publish("i.py2rs", b"hello", headers={"A": "1"})
        await py.flush()
        m = await sub.next_msg(2)
        assert (m.data, m.headers) == (b"hello", {"A": "1"})
        await py.close()
        await rs.close()

    run(main())


def test_natsrs_aio_publishes_nats_py_receives(url: str) -> None:
    async def main() -> None:
        py = await natspy.connect(url)
        rs = await nats.connect(url)
        sub = await py.subscribe("i.rs2py")
        await nats_py_flush(py)
        # A probe first anyway: the 100 messages must all arrive, in order.
        for _ in range(100):
            await rs.publish("i.rs2py", b"probe")
            await rs.flush()
            try:
                if (await sub.next_msg(0.1)).data == b"probe":
                    break
            except natspy.errors.TimeoutError:
                pass
        for i in range(100):
            await rs.publish("i.rs2py", b"%d" % i, headers={"N": str(i)} if i % 2 else None)
        await rs.flush()
        got = [await sub.next_msg(2) for _ in range(100)]
        assert [m.data for m in got] == [b"%d" % i for i in range(100)]
        assert got[1].headers == {"N": "1"}
        await py.close()
        await rs.close()

    run(main())


def test_request_reply_both_directions(url: str) -> None:
    async def main() -> None:
        py = await natspy.connect(url)
        rs = await nats.connect(url)

        async def py_responder(msg: natspy.aio.msg.Msg) -> None:
            await msg.respond(b"py:" + msg.data)

        async def rs_responder(msg: nats.Msg) -> None:
            await msg.respond(b"rs:" + msg.data)

        await py.subscribe("i.py.svc", cb=py_responder)
        await rs.subscribe("i.rs.svc", cb=rs_responder)
        await nats_py_flush(py)
        await rs.flush()
        r1 = await rs.request("i.py.svc", b"a", timeout=2)
        r2 = await py.request("i.rs.svc", b"b", timeout=2)
        assert (r1.data, r2.data) == (b"py:a", b"rs:b")
        rs_many = await asyncio.gather(*[py.request("i.rs.svc", b"%d" % i, timeout=2) for i in range(50)])
        assert [m.data for m in rs_many] == [b"rs:%d" % i for i in range(50)]
        with pytest.raises(nats.errors.NoRespondersError):
            await rs.request("i.none", b"")
        await py.close()
        await rs.close()

    run(main())


def test_blocking_api_with_nats_py(url: str) -> None:
    nc = natsrs.connect(url)
    nc.subscribe("i.blk", cb=lambda m: m.respond(b"blk:" + m.data))
    nc.flush()

    async def main() -> List[bytes]:
        py = await natspy.connect(url)
        out = [(await py.request("i.blk", b"%d" % i, timeout=2)).data for i in range(10)]
        await py.close()
        return out

    assert run(main()) == [b"blk:%d" % i for i in range(10)]
    nc.close()
