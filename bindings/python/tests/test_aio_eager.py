"""Callbacks run at once (natsrs/aio/subscription.py, ``_run_now``): when messages arrive while
a callback subscription's task is parked, its callbacks run right away, in that task's context
and with that task as the current one; a callback that suspends is taken over by the task. These
tests check that a callback cannot tell the difference from running in the task: its task,
``asyncio.timeout``, context variables, order, errors, cancellation, unsubscribing from inside,
and that what it publishes before suspending goes out at once."""

from __future__ import annotations

import asyncio
import contextvars
import sys
from typing import Any, List, Optional

import pytest
from conftest import run, wait_attached

import natsrs.aio as nats
import natsrs.aio.subscription as aio_sub

EAGER = aio_sub._enter_task is not None
needs_eager = pytest.mark.skipif(not EAGER, reason="callbacks run at once only on Python >= 3.11")


@needs_eager
def test_a_callback_runs_in_its_subscriptions_task(server: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(server.url)
        pc = await nats.connect(server.url)
        await wait_attached(nc)
        tasks: List[Optional[asyncio.Task[Any]]] = []
        done = asyncio.Event()

        async def cb(msg: Any) -> None:
            tasks.append(asyncio.current_task())
            if len(tasks) == 20:
                done.set()

        sub = await nc.subscribe("eager.task", cb=cb)
        await nc.flush()
        for i in range(20):
            await pc.publish("eager.task", b"%d" % i)
            await pc.flush()
            await asyncio.sleep(0.005)  # one message per batch: each runs at once
        await asyncio.wait_for(done.wait(), 10)
        assert all(t is sub._wait_for_msgs_task for t in tasks)
        await nc.close()
        await pc.close()

    run(main())


@needs_eager
@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11")
def test_timeout_and_context_variables_across_a_suspension(server: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(server.url)
        pc = await nats.connect(server.url)
        await wait_attached(nc)
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
        seen: List[Any] = []
        done = asyncio.Event()

        async def cb(msg: Any) -> None:
            var.set(msg.data.decode())
            try:
                async with asyncio.timeout(0.05):  # type: ignore[attr-defined]
                    await asyncio.sleep(10 if msg.data == b"slow" else 0.001)
                seen.append(("ok", var.get()))
            except TimeoutError:
                seen.append(("timeout", var.get()))
            if len(seen) == 3:
                done.set()

        await nc.subscribe("eager.ctx", cb=cb)
        await nc.flush()
        for data in (b"a", b"slow", b"b"):
            await pc.publish("eager.ctx", data)
            await pc.flush()
            await asyncio.sleep(0.01)
        await asyncio.wait_for(done.wait(), 10)
        assert seen == [("ok", "a"), ("timeout", "slow"), ("ok", "b")]
        assert var.get() == "unset"  # the callbacks' context is the subscription's own
        await nc.close()
        await pc.close()

    run(main())


def test_order_errors_and_suspending_callbacks(server: Any) -> None:
    async def main() -> None:
        errors: List[Exception] = []

        async def error_cb(e: Exception) -> None:
            errors.append(e)

        nc = await nats.connect(server.url, error_cb=error_cb)
        pc = await nats.connect(server.url)
        await wait_attached(nc)
        got: List[int] = []
        n = 300
        done = asyncio.Event()

        async def cb(msg: Any) -> None:
            i = int(msg.data)
            if i % 7 == 0:
                await asyncio.sleep(0)  # suspends: the task takes over, order is kept
            if i % 11 == 0:
                raise ValueError(f"bad {i}")
            got.append(i)
            if i == n - 1:
                done.set()

        await nc.subscribe("eager.order", cb=cb)
        await nc.flush()
        for i in range(n):
            await pc.publish("eager.order", b"%d" % i)
            if i % 10 == 0:
                await pc.flush()
        await pc.flush()
        await asyncio.wait_for(done.wait(), 10)
        assert got == [i for i in range(n) if i % 11]
        await asyncio.sleep(0.05)
        bad = [str(e) for e in errors if isinstance(e, ValueError)]
        assert bad == [f"bad {i}" for i in range(n) if i % 11 == 0]
        await nc.close()
        await pc.close()

    run(main())


def test_what_a_callback_publishes_goes_out_before_it_suspends(server: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(server.url)
        await wait_attached(nc)
        release = asyncio.Event()
        heard = asyncio.Event()

        async def cb(msg: Any) -> None:
            await nc.publish("eager.out", b"early")
            await release.wait()  # suspends until the published message came back

        async def listener(msg: Any) -> None:
            heard.set()
            release.set()

        await nc.subscribe("eager.out", cb=listener)
        await nc.subscribe("eager.in", cb=cb)
        await nc.flush()
        await nc.publish("eager.in", b"go")
        await asyncio.wait_for(heard.wait(), 5)
        await nc.close()

    run(main())


def test_unsubscribe_and_cancellation_inside_a_callback(server: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(server.url)
        pc = await nats.connect(server.url)
        await wait_attached(nc)
        got: List[bytes] = []
        holder: List[Any] = []

        async def stop_after_two(msg: Any) -> None:
            got.append(msg.data)
            if len(got) == 2:
                await holder[0].unsubscribe()

        holder.append(await nc.subscribe("eager.unsub", cb=stop_after_two))
        cancelled: List[bytes] = []

        async def cancels(msg: Any) -> None:
            cancelled.append(msg.data)
            raise asyncio.CancelledError()

        csub = await nc.subscribe("eager.cancel", cb=cancels)
        await nc.flush()
        for i in range(5):
            await pc.publish("eager.unsub", b"%d" % i)
            await pc.publish("eager.cancel", b"%d" % i)
            await pc.flush()
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert got == [b"0", b"1"]
        # a callback raising CancelledError ends its subscription's processing, as in nats-py
        assert cancelled == [b"0"]
        t = csub._wait_for_msgs_task
        assert t is not None and t.done()
        await nc.close()
        await pc.close()

    run(main())


def test_the_switch_turns_it_off() -> None:
    import subprocess

    code = "import natsrs.aio.subscription as s; print(s._enter_task is None)"
    env = dict(__import__("os").environ, NATSRS_AIO_EAGER_CALLBACKS="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
