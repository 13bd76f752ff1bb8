"""Static checks of the package: mypy --strict and ruff (lint and format), as configured in
bindings/python/pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import PKG


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=PKG, capture_output=True, text=True, timeout=600)


def test_mypy_strict() -> None:
    r = _run(sys.executable, "-m", "mypy", "--strict", "--cache-dir", "/tmp/natsrs-mypy-cache")
    assert r.returncode == 0, r.stdout + r.stderr


def _ruff() -> str:
    exe = shutil.which("ruff", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "ruff is not installed next to this Python (scripts/setup.sh installs it)"
    return exe


def test_ruff_check() -> None:
    r = _run(_ruff(), "check", "--no-cache", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format() -> None:
    r = _run(_ruff(), "format", "--no-cache", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_subpackage_is_packaged() -> None:
    """pyproject.toml lists the packages explicitly: a new subpackage must be added there."""
    import re

    text = (PKG / "pyproject.toml").read_text()
    m = re.search(r"^packages = \[(.*)\]$", text, re.M)
    assert m, "no packages list in pyproject.toml"
    listed = {p.strip().strip('"') for p in m.group(1).split(",")}
    found = {
        ".".join(p.parent.relative_to(PKG).parts)
        for p in (PKG / "natsrs").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found == listed
