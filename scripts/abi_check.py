#!/usr/bin/env python3
"""ABI guard for libnatsrs: compares the public ABI with the committed snapshot abi/natsrs.abi.

    scripts/abi_check.sh             check (run by scripts/test.sh)
    scripts/abi_check.sh --update    rewrite the snapshot from the current header and library

The ABI is: the symbols libnatsrs.so exports (nm -D), and the declarations of include/natsrs.h,
normalized (comments, blanks and parameter names dropped; enum values computed): functions,
callback typedefs, struct layouts, opaque types, enum values and #define'd macros (except the
NATSRS_VERSION_* numbers, which change with every release).

A removed item or a changed declaration or value is an ABI break: the check fails and says what
changed, unless the major version (NATSRS_VERSION_MAJOR) is higher than the snapshot's; then it
passes and asks for --update. Additions are allowed: the check passes and lists them with a
notice (run --update to record them).

Options: --header PATH (include/natsrs.h), --lib PATH (target/release/libnatsrs.so),
--snapshot PATH (abi/natsrs.abi), --cc CC (cc; used as a preprocessor only).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from typing import Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Macros that are not ABI: the include guard and the version numbers.
SKIP_MACROS = re.compile(r"^(NATSRS_H|NATSRS_HPP|NATSRS_VERSION_(MAJOR|MINOR|PATCH|STRING|NUMBER))$")
# Symbols GNU ld adds to every shared object.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+|\d+|\.\.\.|\S")
KEYWORDS = {"const", "volatile", "struct", "enum", "union", "unsigned", "signed", "void", "char", "short", "int", "long",
            "float", "double", "bool", "_Bool", "restrict"}


def read_version(text: str) -> Tuple[int, int, int]:
    nums = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(r"^#define\s+NATSRS_VERSION_%s\s+(\d+)" % part, text, re.M)
        if not m:
            sys.exit("abi_check: NATSRS_VERSION_%s not found in the header" % part)
        nums.append(int(m.group(1)))
    return nums[0], nums[1], nums[2]


def macros(text: str) -> Dict[str, str]:
    out = {}
    for m in re.finditer(r"^#define\s+([A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?)[ \t]*(.*)$", text, re.M):
        name = m.group(1)
        if not SKIP_MACROS.match(name.split("(")[0]):
            out["define " + name] = " ".join(m.group(2).split())
    return out


def preprocess(text: str, cc: str) -> str:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#include"))
    res = subprocess.run([cc, "-E", "-P", "-x", "c", "-"], input=body, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("abi_check: the preprocessor failed:\n" + res.stderr)
    return res.stdout


def split_top(text: str, sep: str) -> List[str]:
    """Splits at `sep` outside (), {} and []."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def norm(s: str) -> str:
    return " ".join(TOKEN.findall(s))


def param_type(p: str) -> str:
    """A parameter without its name: 'const char *subject' -> 'const char *'."""
    toks = TOKEN.findall(p)
    if "(" not in toks and len(toks) >= 2 and re.match(r"[A-Za-z_]", toks[-1]) and toks[-1] not in KEYWORDS:
        toks = toks[:-1]
    return " ".join(toks)


def params(inner: str) -> str:
    return "(" + ", ".join(param_type(p) for p in split_top(inner, ",")) + ")"


def enum_items(kind_name: str, body: str) -> Dict[str, str]:
    out, value = {}, -1
    for e in split_top(body, ","):
        if "=" in e:
            name, expr = (x.strip() for x in e.split("=", 1))
            try:
                value = int(eval(expr, {"__builtins__": {}}, {}))  # literals and simple arithmetic only
            except Exception:  # noqa: BLE001 - a symbolic value is compared as text
                out["enum %s.%s" % (kind_name, name)] = norm(expr)
                continue
        else:
            name, value = e.strip(), value + 1
        out["enum %s.%s" % (kind_name, name)] = str(value)
    return out


def declarations(pre: str) -> Dict[str, str]:
    items: Dict[str, str] = {}
    text = " ".join(pre.split())
    text = re.sub(r'extern\s+"C"\s*\{', " ", text)
    for d in split_top(text, ";"):
        d = d.strip()
        if d == "}":
            continue
        d = d.lstrip("} ").strip()
        m = re.match(r"^(?:typedef\s+)?enum\s+(\w+)\s*\{(.*)\}\s*(\w*)$", d)
        if m:
            items.update(enum_items(m.group(1), m.group(2)))
            continue
        m = re.match(r"^(?:typedef\s+)?(struct|union)\s+(\w+)\s*\{(.*)\}\s*(\w*)$", d)
        if m:
            fields = "; ".join(norm(f) for f in split_top(m.group(3), ";"))
            items["%s %s" % (m.group(1), m.group(2))] = "{ " + fields + " }"
            continue
        m = re.match(r"^typedef\s+(struct|union)\s+(\w+)\s+(\w+)$", d)
        if m:
            items["opaque %s" % m.group(3)] = "%s %s" % (m.group(1), m.group(2))
            continue
        m = re.match(r"^typedef\s+(.*?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", d)
        if m:
            items["callback %s" % m.group(2)] = norm(m.group(1)) + " (*)" + params(m.group(3))
            continue
        m = re.match(r"^typedef\s+(.*\W)(\w+)$", d)
        if m:
            items["typedef %s" % m.group(2)] = norm(m.group(1))
            continue
        m = re.match(r"^(.*?\W)(\w+)\s*\((.*)\)$", d)
        if m:
            items["function %s" % m.group(2)] = norm(m.group(1)) + " " + params(m.group(3))
            continue
        items["other %s" % norm(d)] = ""
    return items


def exported(lib: str) -> Dict[str, str]:
    res = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("abi_check: nm failed on %s:\n%s" % (lib, res.stderr))
    out = {}
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] != "A":
            name = f[2].split("@")[0]
            if name not in LINKER_SYMBOLS:
                out["symbol " + name] = ""
    return out


def current(header: str, lib: str, cc: str) -> Tuple[int, Dict[str, str]]:
    with open(header, encoding="utf-8") as f:
        text = f.read()
    major = read_version(text)[0]
    items = {}
    items.update(macros(text))
    items.update(declarations(preprocess(text, cc)))
    items.update(exported(lib))
    return major, items


def render(major: int, items: Dict[str, str]) -> str:
    lines = [
        "# libnatsrs ABI snapshot: exported symbols and the normalized declarations of natsrs.h.",
        "# Checked by scripts/abi_check.sh (run by scripts/test.sh); rewritten by",
        "# `scripts/abi_check.sh --update` after an intended change (see CHANGELOG.md).",
        "major %d" % major,
    ]
    for key in sorted(items):
        lines.append(key + (": " + items[key] if items[key] else ""))
    return "\n".join(lines) + "\n"


def load(path: str) -> Tuple[int, Dict[str, str]]:
    major, items = -1, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line.startswith("major "):
                major = int(line.split()[1])
                continue
            key, _, value = line.partition(": ")
            items[key] = value
    return major, items


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="rewrite the snapshot")
    ap.add_argument("--header", default=os.path.join(ROOT, "include", "natsrs.h"))
    ap.add_argument("--lib", default=os.path.join(ROOT, "target", "release", "libnatsrs.so"))
    ap.add_argument("--snapshot", default=os.path.join(ROOT, "abi", "natsrs.abi"))
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    a = ap.parse_args()
    for path in (a.header, a.lib):
        if not os.path.exists(path):
            print("abi_check: %s does not exist (cargo build --release first)" % path)
            return 1
    major, now = current(a.header, a.lib, a.cc)
    if a.update:
        with open(a.snapshot, "w", encoding="utf-8") as f:
            f.write(render(major, now))
        print("abi_check: wrote %s (%d items, major %d)" % (os.path.relpath(a.snapshot), len(now), major))
        return 0
    if not os.path.exists(a.snapshot):
        print("abi_check: no snapshot at %s: run scripts/abi_check.sh --update and commit it" % a.snapshot)
        return 1
    old_major, old = load(a.snapshot)
    removed = sorted(k for k in old if k not in now)
    changed = sorted(k for k in old if k in now and old[k] != now[k])
    added = sorted(k for k in now if k not in old)
    for k in added:
        print("abi_check: notice: added %s%s" % (k, ": " + now[k] if now[k] else ""))
    breaks = ["removed %s%s" % (k, " (was: %s)" % old[k] if old[k] else "") for k in removed]
    breaks += ["changed %s\n    was: %s\n    now: %s" % (k, old[k], now[k]) for k in changed]
    if breaks and major <= old_major:
        for b in breaks:
            print("abi_check: ABI BREAK: " + b)
        print("abi_check: FAILED: %d incompatible change(s) to the ABI of major version %d (above)." % (len(breaks), old_major))
        print("  Undo them, or make a new major version: bump the major in Cargo.toml, note it in")
        print("  CHANGELOG.md, then run scripts/abi_check.sh --update and commit abi/natsrs.abi.")
        return 1
    if breaks:
        for b in breaks:
            print("abi_check: notice: (new major %d) %s" % (major, b))
        print("abi_check: ok: major version %d -> %d allows these changes; run scripts/abi_check.sh --update" % (old_major, major))
        return 0
    if added:
        print("abi_check: ok: %d addition(s), nothing removed or changed; record them with scripts/abi_check.sh --update" % len(added))
    else:
        print("abi_check: ok: the ABI matches %s (%d items)" % (os.path.relpath(a.snapshot, ROOT), len(old)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
