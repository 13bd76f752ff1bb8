"""Focused checks of nats-py behaviours found by compat_programs/p16..p20: buckets nats-py and
natsrs.aio create are the same stream (either side's create_key_value finds the other's), and the
connect / reconnect errors nats-py reports."""

from __future__ import annotations

import asyncio
import pathlib
from typing import Any, Callable, Iterator, List

import nats as natspy  # the real nats-py
import pytest
from conftest import Server, free_port, run

import natsrs.aio as nats
from natsrs.aio.errors import AuthorizationError, NoServersError, UnexpectedEOF


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-compat-more"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


def test_kv_buckets_are_nats_py_buckets(jurl: str) -> None:
    async def main() -> None:
        rs, py = await nats.connect(jurl), await natspy.connect(jurl)
        await py.jetstream().create_key_value(bucket="made_by_py", history=3, ttl=60)
        kv = await rs.jetstream().create_key_value(bucket="made_by_py", history=3, ttl=60)
        await kv.put("k", b"v")
        await rs.jetstream().create_key_value(bucket="made_by_rs", description="d")
        pkv = await py.jetstream().create_key_value(bucket="made_by_rs", description="d")
        assert (await pkv.status()).bucket == "made_by_rs"
        cfg = (await py.jetstream().stream_info("KV_made_by_rs")).config
        assert cfg.allow_direct is False and cfg.allow_msg_ttl is True
        assert (await py.jetstream().key_value("made_by_py")) is not None
        await rs.close()
        await py.close()

    run(main())


def test_connect_errors_as_nats_py() -> None:
    seen: List[Any] = []

    async def error_cb(e: Exception) -> None:
        seen.append(e)

    async def main() -> None:
        port = free_port()
        with pytest.raises(NoServersError) as ei:
            await nats.connect(f"nats://127.0.0.1:{port}", max_reconnect_attempts=1, error_cb=error_cb)
        assert str(ei.value) == "nats: no servers available for connection"
        await asyncio.sleep(0.05)
        assert isinstance(seen[0], ConnectionRefusedError)
        assert str(seen[0]) == f"[Errno 111] Connect call failed ('127.0.0.1', {port})"

    run(main())


def test_auth_failure_is_no_servers_error(make_server: Callable[..., Server]) -> None:
    s = make_server("--user", "a", "--pass", "b")
    seen: List[Any] = []

    async def error_cb(e: Exception) -> None:
        seen.append(e)

    async def main() -> None:
        with pytest.raises(NoServersError) as ei:
            await nats.connect(s.url, user="a", password="x", max_reconnect_attempts=1, error_cb=error_cb)
        # nats-py's class name and text; natsrs's AuthorizationError too
        assert type(ei.value).__name__ == "NoServersError" and isinstance(ei.value, AuthorizationError)
        await asyncio.sleep(0.05)
        assert str(seen[0]) == "nats: 'Authorization Violation'"

    run(main())


def test_lost_connection_events(make_server: Callable[..., Server]) -> None:
    s = make_server()
    events: List[Any] = []

    async def error_cb(e: Exception) -> None:
        events.append(type(e).__name__)

    async def disconnected_cb() -> None:
        events.append("disconnected")

    async def closed_cb() -> None:
        events.append("closed")

    async def main() -> None:
        nc = await nats.connect(
            s.url,
            reconnect_time_wait=0.1,
            max_reconnect_attempts=1,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            closed_cb=closed_cb,
        )
        await nc.publish("x", b"1")  # (the fast path is primed)
        s.stop()
        for _ in range(500):
            if "closed" in events:
                break
            await asyncio.sleep(0.02)
        assert events[:2] == [UnexpectedEOF.__name__, "disconnected"] and events[-2:] == ["disconnected", "closed"]
        assert "ConnectionRefusedError" in events
        assert isinstance(nc.last_error, NoServersError)
        with pytest.raises(nats.errors.ConnectionClosedError):
            await nc.publish("x", b"1")

    run(main())
