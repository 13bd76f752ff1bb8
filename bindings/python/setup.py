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


cmdclass = {"build_py": BuildPyWithRust}
try:  # setuptools >= 70.1 has bdist_wheel; older ones take it from the wheel package
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:  # pragma: no cover
    try:
        from wheel.bdist_wheel import bdist_wheel as _bdist_wheel
    except ImportError:
        _bdist_wheel = None

if _bdist_wheel is not None:

    class BdistWheelAnyPython(_bdist_wheel):
        """The package is pure Python plus a C library loaded with ctypes: one wheel for every
        Python 3 of the platform (py3-none-<platform>)."""

        def get_tag(self):  # type: ignore[no-untyped-def]
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = BdistWheelAnyPython

setup(cmdclass=cmdclass, distclass=BinaryDistribution)
