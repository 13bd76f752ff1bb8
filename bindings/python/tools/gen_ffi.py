#!/usr/bin/env python3
"""Generates natsrs/_ffi.py (the low-level ctypes layer) from include/natsrs.h.

    python bindings/python/tools/gen_ffi.py           # rewrite natsrs/_ffi.py
    python bindings/python/tools/gen_ffi.py --check   # exit 1 if the committed file is stale

The header is cbindgen output with a small, regular grammar: enums, opaque struct typedefs, plain
structs, function-pointer typedefs and function declarations. Anything this script does not
understand is an error, so a header change cannot silently produce a wrong layer.
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import re
import sys
from typing import Dict, List, Tuple

HERE = pathlib.Path(__file__).resolve().parent
PKG = HERE.parent
ROOT = PKG.parent.parent
DEFAULT_HEADER = ROOT / "include" / "natsrs.h"
DEFAULT_OUT = PKG / "natsrs" / "_ffi.py"

SCALARS = {
    "bool": "c_bool",
    "char": "c_char",
    "int8_t": "c_int8",
    "uint8_t": "c_uint8",
    "int32_t": "c_int32",
    "uint32_t": "c_uint32",
    "int64_t": "c_int64",
    "uint64_t": "c_uint64",
    "size_t": "c_size_t",
    "double": "c_double",
    "int": "c_int",
}


class Header:
    def __init__(self) -> None:
        self.enums: List[Tuple[str, List[Tuple[str, int]]]] = []
        self.opaque: List[str] = []
        self.structs: List[Tuple[str, List[Tuple[str, str]]]] = []
        self.callbacks: List[Tuple[str, str, List[str]]] = []  # name, ret, [arg types]
        self.functions: List[Tuple[str, str, List[str]]] = []


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return text


def split_args(args: str) -> List[str]:
    """Splits a parameter list on top-level commas (function-pointer params contain commas)."""
    out, depth, cur = [], 0, ""
    for ch in args:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    if out == ["void"]:
        return []
    return out


def param_type(param: str) -> str:
    """'const struct natsrs_msg *msg' -> 'const struct natsrs_msg *'; function pointers kept."""
    param = " ".join(param.split())
    if "(*" in param or param.endswith("*") or param in SCALARS or param == "void":
        return param
    m = re.match(r"^(.*?)([A-Za-z_][A-Za-z0-9_]*)$", param)
    if not m:
        raise SystemExit(f"gen_ffi: cannot parse parameter {param!r}")
    base = m.group(1).strip()
    if not base:  # a bare type name without parameter name
        return param
    return base


def parse(text: str) -> Header:
    h = Header()
    text = strip_comments(text)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
    text = text.replace('extern "C" {', " ")
    # statements end with ';' at top level (enum/struct bodies contain ';' inside braces)
    stmts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "}" and depth == 0:
            continue  # the closing brace of extern "C"
        cur += ch
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ";" and depth == 0:
            stmts.append(" ".join(cur.split()))
            cur = ""
    rest = " ".join(cur.split()).replace("}", "").strip()
    if rest:
        raise SystemExit(f"gen_ffi: trailing text in header: {rest[:80]!r}")
    for s in stmts:
        s = s.rstrip(";").strip()
        if s.startswith("}"):
            s = s.lstrip("} ").strip()
        if not s:
            continue
        m = re.match(r"^typedef enum (\w+) \{(.*)\} (\w+)$", s)
        if m:
            values = []
            nxt = 0
            for item in [i.strip() for i in m.group(2).split(",") if i.strip()]:
                if "=" in item:
                    k, v = [x.strip() for x in item.split("=")]
                    nxt = int(v, 0)
                else:
                    k = item
                values.append((k, nxt))
                nxt += 1
            h.enums.append((m.group(3), values))
            continue
        m = re.match(r"^typedef struct (\w+) (\w+)$", s)
        if m:
            h.opaque.append(m.group(2))
            continue
        m = re.match(r"^typedef struct (\w+) \{(.*)\} (\w+)$", s)
        if m:
            fields = []
            for f in [x.strip() for x in m.group(2).split(";") if x.strip()]:
                fm = re.match(r"^(.*?)(\w+)$", f)
                if not fm:
                    raise SystemExit(f"gen_ffi: cannot parse field {f!r}")
                fields.append((fm.group(2), fm.group(1).strip()))
            h.structs.append((m.group(3), fields))
            continue
        m = re.match(r"^typedef (.+?)\(\*(\w+)\)\((.*)\)$", s)
        if m:
            h.callbacks.append((m.group(2), m.group(1).strip(), [param_type(a) for a in split_args(m.group(3))]))
            continue
        m = re.match(r"^(.+?)\b(natsrs_\w+)\((.*)\)$", s)
        if m:
            h.functions.append((m.group(2), m.group(1).strip(), [param_type(a) for a in split_args(m.group(3))]))
            continue
        raise SystemExit(f"gen_ffi: unrecognised declaration: {s[:120]!r}")
    return h


class TypeMapper:
    def __init__(self, h: Header) -> None:
        self.enums = {name for name, _ in h.enums}
        self.opaque = set(h.opaque)
        self.structs = {name for name, _ in h.structs}
        self.callbacks = {name for name, _, _ in h.callbacks}
        self.anon_callbacks: Dict[str, str] = {}

    def map(self, ctype: str, where: str, is_return: bool = False, in_callback: bool = False) -> str:
        t = ctype.replace("const ", "").replace("struct ", "").replace("enum ", "")
        t = " ".join(t.split()).replace(" *", "*")
        if "(*" in t:
            # inline function pointer parameter, e.g. void (*userdata_free)(void*)
            m = re.match(r"^(.+?)\(\*\w*\)\((.*)\)$", t)
            if not m:
                raise SystemExit(f"gen_ffi: cannot parse function pointer {ctype!r} in {where}")
            ret = self.map(m.group(1).strip(), where, is_return=True, in_callback=True)
            args = [self.map(param_type(a), where, in_callback=True) for a in split_args(m.group(2))]
            if ret == "None" and args == ["c_void_p"]:
                return "natsrs_userdata_free"
            return f"CFUNCTYPE({', '.join([ret] + args)})"
        stars = t.count("*")
        base = t.rstrip("*").strip()
        if stars == 0:
            if base == "void":
                return "None"
            if base in self.enums:
                return "c_int"
            if base in self.structs:
                return base
            if base in self.callbacks:
                return base
            if base in SCALARS:
                return SCALARS[base]
            raise SystemExit(f"gen_ffi: unknown type {ctype!r} in {where}")
        const = ctype.strip().startswith("const ")
        if stars == 1:
            if base == "char":
                # returned strings / callback strings: char* as bytes, except callback returns
                if is_return and in_callback:
                    return "c_void_p"
                if not is_return and not in_callback and not const:
                    return "c_void_p"  # a caller's buffer, or an owned string given back (free)
                return "c_char_p"
            if base in ("void", "uint8_t") or base in self.opaque:
                if base == "uint8_t" and not is_return and not in_callback and "const" in ctype:
                    return "c_char_p"  # input payloads: bytes pass without a copy
                return "c_void_p"
            if base in self.enums:
                return "POINTER(c_int)"
            if base in self.structs:
                return f"POINTER({base})"
            if base in SCALARS:
                return f"POINTER({SCALARS[base]})"
        if stars == 2:
            if base in self.opaque or base == "void":
                return "POINTER(c_void_p)"
            if base == "char":
                # char **out: an owned string (its address is needed to free it);
                # const char **out: a borrowed one, read as bytes
                return "POINTER(c_char_p)" if const else "POINTER(c_void_p)"
        if stars == 3 and base == "char":
            return "POINTER(POINTER(c_char_p))"
        raise SystemExit(f"gen_ffi: unsupported type {ctype!r} in {where}")


def generate(header_text: str, header_name: str = "include/natsrs.h") -> str:
    h = parse(header_text)
    tm = TypeMapper(h)
    digest = hashlib.sha256(header_text.encode()).hexdigest()
    o: List[str] = []
    w = o.append
    w(f'"""Low-level ctypes declarations of libnatsrs, generated from {header_name}.')
    w("")
    w("Generated by bindings/python/tools/gen_ffi.py. Do not edit: run the script after the header")
    w("changes (tests/test_ffi_generated.py fails while this file is stale).")
    w('"""')
    w("")
    w("# fmt: off")
    w("# ruff: noqa: E501")
    w("from __future__ import annotations")
    w("")
    w("import ctypes")
    w("from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_int,  # noqa: F401")
    w("                    c_int8, c_int32, c_int64, c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)")
    w("from typing import Any, Dict, List, Tuple")
    w("")
    w(f'HEADER_SHA256 = "{digest}"')
    w("")
    for name, values in h.enums:
        w(f"# enum {name}")
        for k, v in values:
            w(f"{k} = {v}")
        w(f"{name.upper()}_NAMES: Dict[int, str] = {{")
        for k, v in values:
            w(f'    {v}: "{k}",')
        w("}")
        w("")
    for name, fields in h.structs:
        w("")
        w(f"class {name}(Structure):")
        w("    _fields_ = [")
        for fname, ftype in fields:
            w(f'        ("{fname}", {tm.map(ftype, name)}),')
        w("    ]")
        w("")
    w("")
    w("# callback types (a Python function wrapped in one of these must be kept alive while C may call it)")
    cb_names = [c[0] for c in h.callbacks]
    if "natsrs_userdata_free" not in cb_names:
        w("natsrs_userdata_free = CFUNCTYPE(None, c_void_p)")
    for name, ret, args in h.callbacks:
        r = tm.map(ret, name, is_return=True, in_callback=True)
        a = [tm.map(x, name, in_callback=True) for x in args]
        w(f"{name} = CFUNCTYPE({', '.join([r] + a)})")
    w("")
    w("# (name, restype, argtypes) of every function in the header")
    w("FUNCTIONS: List[Tuple[str, Any, Tuple[Any, ...]]] = [")
    for name, ret, args in h.functions:
        r = tm.map(ret, name, is_return=True)
        a = [tm.map(x, name) for x in args]
        tup = "(" + ", ".join(a) + ("," if len(a) == 1 else "") + ")"
        w(f'    ("{name}", {r}, {tup}),')
    w("]")
    w("")
    w("")
    w("class Lib:")
    w('    """The loaded library: every function of the header as an attribute with its argtypes and')
    w("    restype set. A function the loaded library lacks (an older build) raises NotImplementedError")
    w('    when called; `has(name)` tells in advance."""')
    w("")
    w("    def __init__(self, dll: ctypes.CDLL) -> None:")
    w("        self._dll = dll")
    w("        self._missing: List[str] = []")
    w("        for name, restype, argtypes in FUNCTIONS:")
    w("            try:")
    w("                fn = getattr(dll, name)")
    w("            except AttributeError:")
    w("                self._missing.append(name)")
    w("                setattr(self, name, _missing(name))")
    w("                continue")
    w("            fn.restype = restype")
    w("            fn.argtypes = argtypes")
    w("            setattr(self, name, fn)")
    w("")
    w("    def has(self, name: str) -> bool:")
    w("        return name not in self._missing")
    w("")
    w("    def __getattr__(self, name: str) -> Any:  # typed access for mypy; real attributes are set above")
    w("        raise AttributeError(name)")
    w("")
    w("")
    w("def _missing(name: str) -> Any:")
    w("    def call(*args: Any) -> Any:")
    w('        raise NotImplementedError(f"{name} is not in the loaded libnatsrs (rebuild it)")')
    w("")
    w("    return call")
    w("")
    return "\n".join(o)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--header", default=str(DEFAULT_HEADER))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from the generated text")
    ns = ap.parse_args()
    text = generate(pathlib.Path(ns.header).read_text())
    out = pathlib.Path(ns.out)
    if ns.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: run python {pathlib.Path(__file__).relative_to(ROOT)}", file=sys.stderr)
            return 1
        print(f"{out.name} is up to date with {ns.header}")
        return 0
    out.write_text(text)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
