"""Loader (bundled library first, then NATSRS_LIB_PATH, clear error otherwise) and errors."""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import natsrs
import natsrs.aio as nats
from natsrs import errors
from natsrs._ffi import NATSRS_STATUS_NAMES


def test_bundled_library_is_used_when_installed() -> None:
    if os.environ.get("NATSRS_TEST_INSTALLED") != "1":
        pytest.skip("package not installed by pip in this run")
    assert natsrs.lib_path == pathlib.Path(natsrs.__file__).parent / "libnatsrs.so"


def test_missing_library_error_lists_what_was_tried(tmp_path: pathlib.Path) -> None:
    pkg = tmp_path / "natsrs"
    shutil.copytree(
        pathlib.Path(natsrs.__file__).parent, pkg, ignore=shutil.ignore_patterns("libnatsrs.so", "__pycache__")
    )
    env = dict(os.environ, NATSRS_LIB_PATH=str(tmp_path / "nope.so"), PYTHONPATH=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", "import natsrs"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "LibraryNotFoundError" in r.stderr
    assert str(pkg / "libnatsrs.so") in r.stderr and "nope.so" in r.stderr
    env.pop("NATSRS_LIB_PATH")
    r = subprocess.run([sys.executable, "-c", "import natsrs"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert "NATSRS_LIB_PATH (not set)" in r.stderr


def test_every_status_maps_to_an_error_class() -> None:
    for status, name in NATSRS_STATUS_NAMES.items():
        if status == 0:
            continue
        e = errors.error_for(status, "detail text")
        assert isinstance(e, errors.Error)
        assert e.status == status
        assert "detail text" in str(e) and name in str(e)


def test_timeout_error_is_asyncio_timeout_error() -> None:
    assert issubclass(errors.TimeoutError, asyncio.TimeoutError)
    assert issubclass(nats.errors.TimeoutError, asyncio.TimeoutError)
    assert nats.errors.NoRespondersError is errors.NoRespondersError
    import natsrs.aio.aio.errors as e2

    assert e2.ConnectionClosedError is errors.ConnectionClosedError


def test_library_message_is_carried(url: str) -> None:
    with natsrs.connect(url) as nc:
        with pytest.raises(errors.BadSubjectError) as ei:
            nc.publish("bad subject", b"")
        assert ei.value.status == 3
        assert ei.value.message and "INVALID_SUBJECT" in ei.value.message


def test_nats_py_names_exist() -> None:
    import nats.errors as pyerr

    missing = [n for n in dir(pyerr) if n.endswith("Error") and not hasattr(nats.errors, n)]
    assert missing == []
