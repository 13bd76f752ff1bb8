"""Process exit with live connections and running callbacks, finalizers of dropped handles,
subscribe with a future, lame duck mode."""

from __future__ import annotations

import asyncio
import gc
import os
import pathlib
import subprocess
import sys
from typing import Any, List

from conftest import run, wait_until

import natsrs
import natsrs.aio as nats

EXIT_PROGRAM = """
import asyncio, os, sys, threading
import natsrs, natsrs.aio as nats
url = os.environ["NATS_URL"]
# blocking connections left open, with callbacks firing while the interpreter exits
ncs = [natsrs.connect(url, error_cb=lambda e: None, closed_cb=lambda: None, disconnected_cb=lambda: None)
       for _ in range(3)]
for i, nc in enumerate(ncs):
    nc.subscribe("exit.>", cb=lambda m: None)
def spam():
    while True:
        try:
            ncs[0].publish("exit.x", b"x")
        except Exception:
            return
threading.Thread(target=spam, daemon=True).start()
async def main():
    async def cb(m):
        pass
    nc = await nats.connect(url, closed_cb=cb, disconnected_cb=cb)
    await nc.subscribe("exit.>", cb=cb)
    await nc.publish("exit.y", b"y")
    # not closed on purpose
asyncio.run(main())
print("bye")
"""


def test_exit_with_open_connections_and_running_callbacks(url: str, tmp_path: pathlib.Path) -> None:
    f = tmp_path / "exit_prog.py"
    f.write_text(EXIT_PROGRAM)
    env = dict(os.environ, NATS_URL=url, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for _ in range(8):
        r = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "bye", (r.returncode, r.stderr[-2000:])


EXIT_ORDER_PROGRAM = """
import atexit, os
events = []
atexit.register(lambda: print(",".join(events), flush=True))  # registered first: runs last
import natsrs, natsrs._conn as c
fin = c._finalize_conn
def record_free(box, *rest):
    events.append("free" if box[0] else "free-again")
    fin(box, *rest)
c._finalize_conn = record_free
close = c.ConnCore.close
def record_close(self):
    events.append("close" if self._box[0] else "close-after-free")
    close(self)
c.ConnCore.close = record_close
nc = natsrs.connect(os.environ["NATS_URL"])
nc.publish("exit.order", b"x")
# left open: the exit hook closes it, then frees it (a close after the free used freed memory)
"""


def test_exit_closes_open_connections_before_freeing_them(url: str, tmp_path: pathlib.Path) -> None:
    f = tmp_path / "exit_order.py"
    f.write_text(EXIT_ORDER_PROGRAM)
    env = dict(os.environ, NATS_URL=url, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == "close,free", r.stdout


def test_dropped_client_is_freed_by_its_finalizer(url: str) -> None:
    closed: List[bool] = []
    nc = natsrs.connect(url, closed_cb=lambda: closed.append(True))
    nc.subscribe("fin.x", cb=lambda m: None)
    del nc
    gc.collect()
    assert wait_until(lambda: closed == [True])


def test_subscribe_with_future(url: str) -> None:
    async def main() -> None:
        nc = await nats.connect(url)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await nc.subscribe("fut.x", future=fut)
        await nc.publish("fut.x", b"first")
        await nc.publish("fut.x", b"second")
        msg = await asyncio.wait_for(fut, 2)
        assert msg.data == b"first"
        await nc.close()

    run(main())


def test_lame_duck_mode_callback(make_server: Any) -> None:
    s = make_server(conf='lame_duck_duration: "30s"\nlame_duck_grace_period: "1s"\n')

    async def main() -> None:
        ldm = asyncio.Event()

        async def lame_duck_mode_cb() -> None:
            ldm.set()

        nc = await nats.connect(s.url, lame_duck_mode_cb=lame_duck_mode_cb)
        assert s.proc is not None
        subprocess.run(
            [str(pathlib.Path(s.proc.args[0])), "--signal", f"ldm={s.proc.pid}"], check=True, capture_output=True
        )
        await asyncio.wait_for(ldm.wait(), 10)
        await nc.close()

    run(main())
