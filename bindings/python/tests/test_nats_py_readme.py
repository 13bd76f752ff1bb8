"""The "Getting started" program of nats-py's README (nats-py 2.16.0), unchanged except for the
import lines and the server URL (no internet here), run on natsrs.aio; it must print what the real
nats-py prints for the same program (the same lines, in the same order per subject)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

PROGRAM = """
import asyncio
import nats
from nats.errors import ConnectionClosedError, TimeoutError, NoServersError

async def main():
    # It is very likely that the demo server will see traffic from clients other than yours.
    # To avoid this, start your own locally and modify the example to use it.
    nc = await nats.connect("nats://demo.nats.io:4222")

    # You can also use the following for TLS against the demo server.
    #
    # nc = await nats.connect("tls://demo.nats.io:4443")

    async def message_handler(msg):
        subject = msg.subject
        reply = msg.reply
        data = msg.data.decode()
        print("Received a message on '{subject} {reply}': {data}".format(
            subject=subject, reply=reply, data=data))

    # Simple publisher and async subscriber via coroutine.
    sub = await nc.subscribe("foo", cb=message_handler)

    # Stop receiving after 2 messages.
    await sub.unsubscribe(limit=2)
    await nc.publish("foo", b'Hello')
    await nc.publish("foo", b'World')
    await nc.publish("foo", b'!!!!!')

    # Synchronous style with iterator also supported.
    sub = await nc.subscribe("bar")
    await nc.publish("bar", b'First')
    await nc.publish("bar", b'Second')

    try:
        async for msg in sub.messages:
            print(f"Received a message on '{msg.subject} {msg.reply}': {msg.data.decode()}")
            await sub.unsubscribe()
    except Exception as e:
        pass

    async def help_request(msg):
        print(f"Received a message on '{msg.subject} {msg.reply}': {msg.data.decode()}")
        await nc.publish(msg.reply, b'I can help')

    # Use queue named 'workers' for distributing requests
    # among subscribers.
    sub = await nc.subscribe("help", "workers", help_request)

    # Send a request and expect a single response
    # and trigger timeout if not faster than 500 ms.
    try:
        response = await nc.request("help", b'help me', timeout=0.5)
        print("Received response: {message}".format(
            message=response.data.decode()))
    except TimeoutError:
        print("Request timed out")

    # Remove interest in subscription.
    await sub.unsubscribe()

    # Terminate connection to NATS.
    await nc.drain()

if __name__ == '__main__':
    asyncio.run(main())
"""


def _run(tmp: pathlib.Path, text: str, name: str) -> str:
    f = tmp / name
    f.write_text(text)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _normalise(out: str) -> str:
    # the inbox of the request differs from run to run
    import re

    return re.sub(r"_INBOX\.[A-Za-z0-9.]+", "_INBOX.X", out)


def test_nats_py_readme_program_runs_unchanged(url: str, tmp_path: pathlib.Path) -> None:
    prog = PROGRAM.replace("nats://demo.nats.io:4222", url)
    ours = prog.replace("import nats\n", "import natsrs.aio as nats\n").replace(
        "from nats.errors import", "from natsrs.aio.errors import"
    )
    assert ours.count("natsrs") == 2
    want = _run(tmp_path, prog, "with_nats_py.py")
    got = _run(tmp_path, ours, "with_natsrs.py")
    assert "Received response: I can help" in got
    # The same lines; the order is the same within each subject (NATS orders per subscription;
    # how the two subscriptions' outputs interleave depends on timing, in nats-py too).
    g, w = _normalise(got).splitlines(), _normalise(want).splitlines()
    assert sorted(g) == sorted(w)
    for subject in ("'foo ", "'bar ", "'help "):
        assert [ln for ln in g if subject in ln] == [ln for ln in w if subject in ln]
    assert g[-1] == w[-1] == "Received response: I can help"
