"""nats-py programs written independently of natsrs (tests/compat_programs/p*.py) run twice, with
nats-py and with natsrs.aio (only the imports changed), each against a fresh nats-server; the two
transcripts must be equal and both runs must exit 0. The runner is compat_programs/run.py (also
usable by hand: ``.venv/bin/python bindings/python/tests/compat_programs/run.py [NAME ...]``)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Any

import pytest
from conftest import SERVER_BIN

HERE = pathlib.Path(__file__).resolve().parent / "compat_programs"


def _runner() -> Any:
    spec = importlib.util.spec_from_file_location("compat_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["compat_run"] = mod
    spec.loader.exec_module(mod)
    return mod


RUN = _runner()
PROGRAMS = sorted(p.name for p in HERE.glob("p[0-9]*.py"))


def test_there_are_programs() -> None:
    assert len(PROGRAMS) >= 10


def test_import_swap_changes_only_imports() -> None:
    text = "import asyncio\nimport nats\nimport nats.micro\nfrom nats.errors import TimeoutError\n"
    text += "from nats import errors\nx = nats.connect\n"
    want = "import asyncio\nimport natsrs.aio as nats\nimport natsrs.aio.micro\n"
    swapped = RUN.to_natsrs(text)
    assert swapped.startswith(want.split("import natsrs.aio.micro")[0])
    assert "from natsrs.aio.errors import TimeoutError" in swapped
    assert "from natsrs.aio import errors" in swapped
    assert swapped.endswith("x = nats.connect\n")


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_prints_the_same_with_natsrs(name: str) -> None:
    if not SERVER_BIN.exists():
        pytest.fail(f"{SERVER_BIN} not found: run scripts/setup.sh")
    report = RUN.compare(HERE / name)
    assert report is None, report
