"""Create and drop many handles: memory (RSS), file descriptors and the callback registry must
come back to a plateau."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any, List

from conftest import run, wait_until

import natsrs
import natsrs.aio as nats
from natsrs import _core


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle() -> None:
    for _ in range(3):
        gc.collect()


def test_10000_subscriptions_created_and_dropped(url: str) -> None:
    with natsrs.connect(url) as nc:

        def round_(n: int) -> None:
            subs: List[Any] = []
            for i in range(n):
                if i % 2:
                    subs.append(nc.subscribe(f"leak.{i}", cb=lambda m: None))
                else:
                    subs.append(nc.subscribe(f"leak.{i}"))
            nc.flush()
            for s in subs[: n // 2]:
                s.unsubscribe()
            for s in subs:
                s.close()
            del subs
            settle()

        round_(2000)  # warm-up: allocator pools, interned strings
        rss0, fd0, reg0 = rss_kib(), fds(), _core.registry_size()
        round_(10000)
        nc.flush()
        rss1, fd1, reg1 = rss_kib(), fds(), _core.registry_size()
        assert reg1 == reg0, "callback registry grew"
        assert fd1 <= fd0 + 2
        assert rss1 - rss0 < 30 * 1024, f"RSS grew by {rss1 - rss0} KiB"


def test_10000_aio_subscriptions_created_and_dropped(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def cb(m: Any) -> None:
            pass

        async def round_(n: int) -> None:
            subs = []
            for i in range(n):
                subs.append(await nc.subscribe(f"aleak.{i}", cb=cb if i % 2 else None))
            await nc.flush()
            for s in subs:
                await s.unsubscribe()
            del subs
            await asyncio.sleep(0)
            settle()

        await round_(2000)
        rss0, fd0 = rss_kib(), fds()
        await round_(10000)
        rss1, fd1 = rss_kib(), fds()
        assert fd1 <= fd0 + 2, f"fds {fd0} -> {fd1}"  # each subscription has an eventfd
        assert rss1 - rss0 < 40 * 1024, f"RSS grew by {rss1 - rss0} KiB"
        assert len(nc._subs) == 0
        await nc.close()

    run(main(), timeout=120)


def test_1000_connections_created_and_dropped(url: str) -> None:
    def round_(n: int) -> None:
        for i in range(n):
            nc = natsrs.connect(url, error_cb=lambda e: None, closed_cb=lambda: None)
            nc.subscribe("c.leak", cb=lambda m: None)
            if i % 2:
                nc.close()
            del nc
            if i % 50 == 0:
                settle()
        settle()

    round_(200)
    rss0, fd0, reg0 = rss_kib(), fds(), _core.registry_size()
    round_(1000)
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (fds() > fd0 + 2 or _core.registry_size() > reg0):
        settle()
        time.sleep(0.05)
    rss1, fd1, reg1 = rss_kib(), fds(), _core.registry_size()
    assert fd1 <= fd0 + 2, f"fds {fd0} -> {fd1}"
    assert reg1 <= reg0, f"registry {reg0} -> {reg1}"
    assert rss1 - rss0 < 40 * 1024, f"RSS grew by {rss1 - rss0} KiB"


def test_1000_aio_connections(url: str) -> None:
    async def main() -> None:
        async def round_(n: int) -> None:
            for _ in range(n):
                nc = await nats.connect(url)
                await nc.subscribe("c.aleak")
                await nc.close()
            settle()

        await round_(100)
        fd0 = fds()
        await round_(1000)
        await asyncio.sleep(0.2)
        settle()
        assert fds() <= fd0 + 2

    run(main(), timeout=180)


def test_delivery_threads_keep_one_thread_state_and_give_it_back(url: str, monkeypatch: Any) -> None:
    """A library thread that runs a message handler keeps one Python thread state for all its
    messages (ctypes would make and delete one per message) and gives it back as its
    subscription ends: as many taken as given back, one per dispatcher thread, and memory
    comes back to a plateau over rounds of callback subscriptions."""
    counts = {"held": 0, "dropped": 0}
    ensure, release = _core._gil_ensure, _core._gil_release

    def counting_ensure() -> int:
        counts["held"] += 1
        return int(ensure())

    def counting_release(st: int) -> None:
        counts["dropped"] += 1
        release(st)

    monkeypatch.setattr(_core, "_gil_ensure", counting_ensure)
    monkeypatch.setattr(_core, "_gil_release", counting_release)
    with natsrs.connect(url) as nc:
        got: List[int] = []

        def round_(n: int, per_sub: int) -> None:
            subs = [nc.subscribe(f"tstate.{i}", cb=lambda m: got.append(1)) for i in range(n)]
            nc.flush()
            for i in range(n):
                for _ in range(per_sub):
                    nc.publish(f"tstate.{i}", b"x")
            nc.flush()
            assert wait_until(lambda: len(got) >= n * per_sub, 20)
            for s in subs:
                s.unsubscribe()  # waits for the dispatcher thread to end
            got.clear()

        round_(1, 500)
        assert counts == {"held": 1, "dropped": 1}
        round_(200, 3)
        assert counts == {"held": 201, "dropped": 201}
        settle()
        base = rss_kib()
        for _ in range(5):
            round_(200, 1)
        settle()
        # a thread state and its frame stack are ~20 KiB: 1,000 kept ones would show
        assert rss_kib() - base < 8 * 1024
        assert counts["held"] == counts["dropped"] == 1201
