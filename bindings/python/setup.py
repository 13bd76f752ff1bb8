"""Build step of the natsrs package: builds libnatsrs with cargo and bundles it.

The Rust sources are found at $NATSRS_SOURCE_ROOT, else two levels above this file (the
repository root, where this package lives as bindings/python). The library is taken from
$CARGO_TARGET_DIR/release (default <root>/target/release) after `cargo build --release`.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = pathlib.Path(__file__).resolve().parent
LIB = "libnatsrs.so"


def _root() -> pathlib.Path:
    env = os.environ.get("NATSRS_SOURCE_ROOT")
    root = pathlib.Path(env) if env else HERE.parent.parent
    if not (root / "Cargo.toml").exists():
        raise SystemExit(
            f"natsrs: no Cargo.toml in {root}: build from the libnatsrs repository "
            "(pip install ./bindings/python) or set NATSRS_SOURCE_ROOT"
        )
    return root


def _cargo() -> str:
    cargo = shutil.which("cargo")
    if cargo:
        return cargo
    home = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo")) / "bin" / "cargo"
    if home.exists():
        return str(home)
    raise SystemExit("natsrs: cargo not found (install Rust) - it builds libnatsrs")


class BuildPyWithRust(build_py):
    def run(self) -> None:
        super().run()
        root = _root()
        print(f"natsrs: cargo build --release in {root}", flush=True)
        subprocess.run([_cargo(), "build", "--release", "--lib"], cwd=root, check=True)
        target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
        if not target.is_absolute():
            target = root / target
        built = target / "release" / LIB
        if not built.exists():
            raise SystemExit(f"natsrs: {built} was not produced by cargo")
        dest = pathlib.Path(self.build_lib) / "natsrs" / LIB
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, dest)
        print(f"natsrs: bundled {built} as {dest}", flush=True)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: a platform wheel, not a pure one."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildPyWithRust}, distclass=BinaryDistribution)
