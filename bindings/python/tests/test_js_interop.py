"""JetStream interop: natsrs.aio and the real nats-py on one JetStream server, in both directions."""

from __future__ import annotations

import asyncio
import itertools
import pathlib
from typing import Iterator, List

import nats as natspy  # the real nats-py
import nats.js.api as pyapi
import nats.js.errors as pyerrors
import pytest
from conftest import Server, run

import natsrs.aio as nats
from natsrs.aio.js import api
from natsrs.aio.js.errors import NotFoundError

_names = itertools.count(1)


def uniq() -> str:
    return f"IOP{next(_names)}"


@pytest.fixture(scope="module")
def jurl(tmpdir_session: pathlib.Path) -> Iterator[str]:
    d = tmpdir_session / "js-interop"
    d.mkdir(exist_ok=True)
    s = Server(tmpdir_session, ["-js", "-sd", str(d)]).start()
    yield s.url
    s.stop()


def test_natsrs_publishes_nats_py_consumes(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        rjs = rs.jetstream()
        pjs = py.jetstream()
        name = uniq()
        await rjs.add_stream(name=name, subjects=[f"{name}.>"], max_age=60)
        acks = [await rjs.publish(f"{name}.a", b"%d" % i, headers={"N": str(i)}) for i in range(10)]
        futs = [await rjs.publish_async(f"{name}.b", b"async%d" % i) for i in range(10)]
        await rjs.publish_async_completed()
        assert [a.seq for a in acks] == list(range(1, 11))
        assert sorted(f.result().seq for f in futs) == list(range(11, 21))
        # nats-py sees the stream natsrs made
        si = await pjs.stream_info(name)
        assert si.state.messages == 20 and si.config.max_age == 60.0
        # pull with nats-py
        psub = await pjs.pull_subscribe(f"{name}.a", durable="pyworker")
        msgs = await psub.fetch(10, timeout=2)
        assert [m.data for m in msgs] == [b"%d" % i for i in range(10)]
        assert msgs[3].headers == {"N": "3"}
        for m in msgs:
            await m.ack()
        # push with nats-py
        got: List[bytes] = []
        ssub = await pjs.subscribe(f"{name}.b")
        for _ in range(10):
            m = await ssub.next_msg(2)
            got.append(m.data)
            await m.ack()
        assert sorted(got) == sorted(b"async%d" % i for i in range(10))
        # natsrs sees the consumer nats-py made, with nats-py's config
        ci = await rjs.consumer_info(name, "pyworker")
        assert ci.config.durable_name == "pyworker" and ci.delivered is not None
        assert ci.delivered.stream_seq == 10
        await py.close()
        await rjs.delete_stream(name)
        await rs.close()

    run(main())


def test_nats_py_publishes_natsrs_consumes(jurl: str) -> None:
    async def main() -> None:
        rs = await nats.connect(jurl)
        py = await natspy.connect(jurl)
        rjs = rs.jetstream()
        pjs = py.jetstream()
        name = uniq()
        await pjs.add_stream(
            pyapi.StreamConfig(name=name, subjects=[f"{name}.>"], duplicate_window=30, storage=pyapi.StorageType.MEMORY)
        )
        for i in range(10):
            await pjs.publish(f"{name}.x", b"%d" % i, headers={"Nats-Msg-Id": f"id{i}"})
        dup = await pjs.publish(f"{name}.x", b"0", headers={"Nats-Msg-Id": "id0"})
        assert dup.duplicate
        # natsrs reads the stream nats-py made
        si = await rjs.stream_info(name)
        assert si.config.duplicate_window == 30.0 and si.config.storage == api.StorageType.MEMORY
        assert si.state.messages == 10
        # pull with natsrs; ack with natsrs; nats-py sees the acks
        sub = await rjs.pull_subscribe(f"{name}.x", durable="rsworker")
        msgs = await sub.fetch(10, timeout=2)
        assert [m.data for m in msgs] == [b"%d" % i for i in range(10)]
        for m in msgs:
            await m.ack_sync()
        pci = await pjs.consumer_info(name, "rsworker")
        assert pci.num_ack_pending == 0 and pci.delivered.stream_seq == 10
        # a consumer made by nats-py, bound by natsrs
        await pjs.add_consumer(name, pyapi.ConsumerConfig(durable_name="pymade", ack_policy=pyapi.AckPolicy.EXPLICIT))
        bound = await rjs.pull_subscribe_bind("pymade", stream=name)
        first = await bound.fetch(1, timeout=2)
        assert first[0].data == b"0" and first[0].metadata.consumer == "pymade"
        await first[0].ack()
        # push with natsrs
        got: List[bytes] = []

        async def cb(msg: nats.Msg) -> None:
            got.append(msg.data)

        await rjs.subscribe(f"{name}.x", cb=cb, durable="rspush")
        for _ in range(200):
            if len(got) == 10:
                break
            await asyncio.sleep(0.02)
        assert got == [b"%d" % i for i in range(10)]
        # errors map the same way
        with pytest.raises(pyerrors.NotFoundError):
            await pjs.consumer_info(name, "nope")
        with pytest.raises(NotFoundError):
            await rjs.consumer_info(name, "nope")
        await pjs.delete_stream(name)
        await py.close()
        await rs.close()

    run(main())


# A JetStream program written for nats-py (the JetStream walk-through of nats-py's README: stream,
# publish, pull consumer, push consumers, deliver group, ordered consumer), run with nats-py and
# with natsrs.aio; only the import lines differ.
JS_PROGRAM = """
import asyncio
import nats
from nats.errors import TimeoutError

async def main():
    nc = await nats.connect("NATS_URL")
    js = nc.jetstream()
    await js.add_stream(name="sample-stream", subjects=["foo"])

    for i in range(0, 10):
        ack = await js.publish("foo", f"hello world: {i}".encode())
        print(ack)

    psub = await js.pull_subscribe("foo", "psub")
    for i in range(0, 10):
        msgs = await psub.fetch(1)
        for msg in msgs:
            await msg.ack()
            print("pulled", msg.data.decode(), msg.metadata.sequence.stream)

    sub = await js.subscribe("foo")
    msg = await sub.next_msg()
    await msg.ack()
    print("ephemeral", msg.data.decode())

    sub = await js.subscribe("foo", durable="myapp")
    msg = await sub.next_msg()
    await msg.ack()
    print("durable", msg.data.decode())

    seen = []

    async def qsub_a(msg):
        seen.append(msg.data)
        await msg.ack()

    async def qsub_b(msg):
        seen.append(msg.data)
        await msg.ack()

    await js.subscribe("foo", "workers", cb=qsub_a)
    await js.subscribe("foo", "workers", cb=qsub_b)

    for i in range(0, 10):
        ack = await js.publish("foo", f"hello world: {i}".encode())
        print("\\t", ack)

    osub = await js.subscribe("foo", ordered_consumer=True)
    data = bytearray()
    while True:
        try:
            msg = await osub.next_msg()
            data.extend(msg.data)
        except TimeoutError:
            break
    print("All data in stream:", len(data))
    for _ in range(100):
        if len(seen) == 20:
            break
        await asyncio.sleep(0.05)
    print("deliver group got", len(seen))
    await js.delete_stream("sample-stream")
    await nc.close()

if __name__ == '__main__':
    asyncio.run(main())
"""


def _run_program(tmp: pathlib.Path, text: str, name: str) -> str:
    import os
    import subprocess
    import sys

    f = tmp / name
    f.write_text(text)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_nats_py_jetstream_program_runs_unchanged(jurl: str, tmp_path: pathlib.Path) -> None:
    prog = JS_PROGRAM.replace("NATS_URL", jurl)
    ours = prog.replace("import nats\n", "import natsrs.aio as nats\n").replace(
        "from nats.errors import", "from natsrs.aio.errors import"
    )
    assert ours.count("natsrs") == 2
    want = _run_program(tmp_path, prog, "js_with_nats_py.py")
    got = _run_program(tmp_path, ours, "js_with_natsrs.py")
    assert got.splitlines() == want.splitlines()
    assert "All data in stream: 280" in got and "deliver group got 20" in got
