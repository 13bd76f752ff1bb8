#!/usr/bin/env python3
"""Compiles every ```c and ```cpp code block of README.md, and runs the C quick start.

    scripts/readme_blocks.py --include DIR --lib DIR [--run-quickstart] [--out DIR]

Rules (README.md, section "Tests", says the same):
- A block is a whole program or translation unit: compiled as shown, C with
  `cc -std=c11 -Wall -Werror`, C++ with `c++ -std=c++17 -Wall -Wextra -Werror`; linked against
  libnatsrs when it has a main().
- A block right after a line `<!-- fragment -->` is a snippet: its top-level definitions (from a
  line starting with `static`, `struct` or `typedef` in the first column to the next `}` in the
  first column) stay at file scope, every other line becomes the body of a function, and the
  names the snippets share (`opts`, `nc`, callbacks, placeholders such as `vault_token`) are
  declared for it (PLACEHOLDERS below; only the ones it uses and does not define). Compiled, not
  linked.
- With --run-quickstart, the first C block with a main() (the quick start) runs with NATS_URL
  from the environment and must exit 0 and print a reply.
Prints one line per block and "readme: N passed, M failed".
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from typing import List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAGMENT_MARK = "<!-- fragment -->"
# Names README snippets use without declaring them: name -> declaration.
PLACEHOLDERS = {
    "opts": "extern natsrs_options *opts;",
    "nc": "extern natsrs_connection *nc;",
    "ctx": "extern void *ctx;",
    "js": "extern natsrs_jetstream *js;",
    "sub": "extern natsrs_subscription *sub;",
    "msg": "extern natsrs_msg *msg;",
    "on_disconnected": "void on_disconnected(void *ud, natsrs_connection *nc, natsrs_status s, const char *text);",
    "on_reconnected": "void on_reconnected(void *ud, natsrs_connection *nc);",
    "on_closed": "void on_closed(void *ud, natsrs_connection *nc);",
    "on_discovered": "void on_discovered(void *ud, natsrs_connection *nc);",
    "on_lame_duck": "void on_lame_duck(void *ud, natsrs_connection *nc);",
    "vault": "struct vault; extern struct vault *vault;",
    "vault_token": "struct vault; const char *vault_token(struct vault *v);",
    "identity": "struct identity { const char *jwt; void *hsm; };",
    "id": "struct identity; extern struct identity *id;",
    "hsm_sign_ed25519": "int hsm_sign_ed25519(void *hsm, const uint8_t *data, size_t len, uint8_t *sig);",
    "sign_nonce": "int32_t sign_nonce(void *ud, const uint8_t *nonce, size_t nonce_len, uint8_t *sig_out);",
    "ca_pem": "extern const char *ca_pem;",
    "cert_pem": "extern const uint8_t *cert_pem;",
    "cert_len": "extern size_t cert_len;",
    "key_pem": "extern const uint8_t *key_pem;",
    "key_len": "extern size_t key_len;",
}
PRELUDE = "#include <natsrs.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"


def blocks(readme: str) -> List[Tuple[int, str, bool, str]]:
    """(line number, language, is_fragment, text) of every ```c / ```cpp block."""
    out = []
    lines = open(readme, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(c|cpp)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, lang, start = m.group(1), m.group(2), i + 1
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        out.append((start, lang, prev == FRAGMENT_MARK, textwrap.dedent("\n".join(body)) + "\n"))
        i += 1
    return out


def wrap_fragment(text: str, n: int) -> str:
    top, body, in_def = [], [], False
    for line in text.splitlines():
        if in_def:
            top.append(line)
            in_def = line.rstrip() != "}"
        elif re.match(r"^(static|struct|typedef)\b", line):
            top.append(line)
            in_def = not line.rstrip().endswith(";")
        else:
            body.append(line)
    defined = set(re.findall(r"^(?:static|struct|typedef)\b[^(;{]*?\b(\w+)\s*[({;]", "\n".join(top), re.M))
    decls = [d for name, d in PLACEHOLDERS.items() if re.search(r"\b%s\b" % name, text) and name not in defined]
    src = PRELUDE + "\n".join(dict.fromkeys(decls)) + "\n\n" + "\n".join(top) + "\n"
    src += "void readme_fragment_%d(void);\nvoid readme_fragment_%d(void) {\n%s\n}\n" % (n, n, "\n".join("    " + b for b in body))
    return src


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("--include", default=os.path.join(ROOT, "include"))
    ap.add_argument("--lib", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--cxx", default=os.environ.get("CXX", "c++"))
    ap.add_argument("--run-quickstart", action="store_true")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="natsrs-readme.")
    os.makedirs(out, exist_ok=True)
    passed = failed = 0
    quickstart = None
    found = blocks(a.readme)
    for n, (line, lang, fragment, text) in enumerate(found, 1):
        is_c = lang == "c"
        name = "README.md:%d (%s%s)" % (line, lang, ", fragment" if fragment else "")
        src = wrap_fragment(text, n) if fragment else text
        path = os.path.join(out, "block%02d.%s" % (n, "c" if is_c else "cpp"))
        with open(path, "w", encoding="utf-8") as f:
            f.write(src)
        has_main = re.search(r"\bint\s+main\s*\(", text) is not None
        cmd = [a.cc, "-std=c11", "-Wall", "-Werror"] if is_c else [a.cxx, "-std=c++17", "-Wall", "-Wextra", "-Werror"]
        cmd += ["-I" + a.include, path]
        exe = path.rsplit(".", 1)[0]
        if has_main and not fragment:
            cmd += ["-o", exe, "-L" + a.lib, "-lnatsrs", "-Wl,-rpath," + os.path.abspath(a.lib)]
        else:
            cmd += ["-c", "-o", exe + ".o"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode == 0:
            passed += 1
            print("[       OK ] %s compiles" % name)
            if is_c and has_main and not fragment and quickstart is None:
                quickstart = (name, exe)
        else:
            failed += 1
            print("[  FAILED  ] %s does not compile: %s\n%s" % (name, " ".join(cmd), res.stderr.rstrip()))
    if a.run_quickstart:
        if quickstart is None:
            failed += 1
            print("[  FAILED  ] no C block with main() to run as the quick start")
        else:
            try:
                res = subprocess.run([quickstart[1]], capture_output=True, text=True, timeout=60)
                ok = res.returncode == 0 and "reply: answer" in res.stdout
                detail = (res.stdout + res.stderr).rstrip()
            except subprocess.TimeoutExpired:
                ok, detail = False, "timed out after 60 s"
            if ok:
                passed += 1
                print("[       OK ] %s runs against %s" % (quickstart[0], os.environ.get("NATS_URL", "(default URL)")))
            else:
                failed += 1
                print("[  FAILED  ] %s run (exit %s):" % (quickstart[0], getattr(res, "returncode", "?")))
            print("\n".join("    " + x for x in detail.splitlines()))
    print("readme: %d passed, %d failed (%d blocks)" % (passed, failed, len(found)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
