"""Inline reads (natsrs/aio/_inline.py): the event loop reads the connection's socket itself, picks
the next socket up after a reconnect, can be turned off, and input still arrives when the loop
stops polling the socket (the library's I/O thread reads it every 20 ms then)."""

from __future__ import annotations

import asyncio
from typing import Any

from conftest import run, wait_attached

import natsrs.aio as nats
import natsrs.aio.client as aio_client


async def _responder(nc: Any, subject: str) -> Any:
    async def cb(m: Any) -> None:
        await nc.publish(m.reply, m.data)

    sub = await nc.subscribe(subject, cb=cb)
    await nc.flush()
    return sub


def test_the_loop_reads_the_socket(server: Any) -> None:
    async def main() -> None:
        rc = await nats.connect(server.url)
        qc = await nats.connect(server.url)
        await wait_attached(rc)
        await wait_attached(qc)
        await _responder(rc, "inl.echo")
        for i in range(200):
            r = await qc.request("inl.echo", b"%d" % i, timeout=5)
            assert r.data == b"%d" % i
        # the replies and the requests were read by the loop, not handed over by the I/O thread
        assert qc._inline.reads >= 100 and rc._inline.reads >= 100
        # a flush's PONG is read inline too
        await qc.flush(timeout=5)
        await rc.close()
        await qc.close()
        assert not qc._inline.attached

    run(main())


def test_inline_reads_resume_after_a_reconnect(make_server: Any) -> None:
    s = make_server()

    async def main() -> None:
        reconnected = asyncio.Event()

        async def reconnected_cb() -> None:
            reconnected.set()

        nc = await nats.connect(
            s.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1, reconnected_cb=reconnected_cb
        )
        await wait_attached(nc)
        await _responder(nc, "inl.rc")
        await asyncio.get_running_loop().run_in_executor(None, s.restart)
        await asyncio.wait_for(reconnected.wait(), 10)
        await wait_attached(nc)
        before = nc._inline.reads
        for _ in range(50):
            assert (await nc.request("inl.rc", b"x", timeout=5)).data == b"x"
        assert nc._inline.reads > before
        await nc.close()

    run(main())


def test_inline_reads_can_be_turned_off(server: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(aio_client, "INLINE_READ", False)

    async def main() -> None:
        nc = await nats.connect(server.url)
        assert nc._inline is None
        await _responder(nc, "inl.off")
        assert (await nc.request("inl.off", b"y", timeout=5)).data == b"y"
        await nc.close()

    run(main())


def test_input_arrives_when_the_loop_stops_polling_the_socket(server: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(server.url)
        pc = await nats.connect(server.url)
        await wait_attached(nc)
        sub = await nc.subscribe("inl.stop")
        await nc.flush()
        # the loop no longer polls the socket (as if it were busy elsewhere): the I/O thread's
        # periodic check still reads and routes
        asyncio.get_running_loop().remove_reader(nc._inline._fd)
        for i in range(20):
            await pc.publish("inl.stop", b"%d" % i)
        await pc.flush()
        for i in range(20):
            assert (await sub.next_msg(5)).data == b"%d" % i
        await nc.flush(timeout=5)
        await pc.close()
        await nc.close()

    run(main())
