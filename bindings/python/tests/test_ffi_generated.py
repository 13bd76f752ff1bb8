"""The committed low-level layer natsrs/_ffi.py must be what tools/gen_ffi.py makes from the
current include/natsrs.h, and the loaded library must have every function of it."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from conftest import PKG, ROOT


def test_ffi_module_is_up_to_date_with_header() -> None:
    r = subprocess.run([sys.executable, str(PKG / "tools/gen_ffi.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_generator_covers_every_function_of_the_header() -> None:
    import re

    header = (ROOT / "include/natsrs.h").read_text()
    declared = set(re.findall(r"\b(natsrs_\w+)\(", header))
    from natsrs import _ffi

    generated = {name for name, _, _ in _ffi.FUNCTIONS}
    assert declared == generated


def test_stale_module_is_detected(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "_ffi.py"
    out.write_text((PKG / "natsrs/_ffi.py").read_text().replace("natsrs_connection_flush", "natsrs_connection_flsh", 1))
    r = subprocess.run(
        [sys.executable, str(PKG / "tools/gen_ffi.py"), "--check", "--out", str(out)], capture_output=True, text=True
    )
    assert r.returncode == 1 and "stale" in r.stderr


def test_loaded_library_has_every_function() -> None:
    from natsrs._core import lib

    assert lib._missing == []
