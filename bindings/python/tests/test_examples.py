"""Every script in bindings/python/examples runs to success against a real server."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from conftest import PKG

EXAMPLES = sorted((PKG / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example(script: pathlib.Path, url: str) -> None:
    env = dict(os.environ, NATS_URL=url, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert r.stdout.strip()
