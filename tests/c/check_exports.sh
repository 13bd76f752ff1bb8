#!/bin/sh
# check_exports.sh - every function declared in include/natsrs.h must be
# exported (nm -D --defined-only, text symbol) by target/release/libnatsrs.so,
# and the library must export nothing but natsrs_* symbols (the version script
# natsrs.map; any symbol type counts, data too). Also run by scripts/test.sh on
# the installed library (the packaging stage).
#
# Usage: tests/c/check_exports.sh [--reverse] [HEADER] [LIBRARY]
# Defaults are relative to the repository root (two levels above this script).
# Also lists, without failing, exported natsrs_* symbols missing from the header
# and header functions that no C test under tests/c/ calls.
# --reverse: instead assert that every exported natsrs_* function is declared in
# the header (catches exports that header generation silently dropped, e.g.
# functions defined through macro_rules!, which cbindgen does not expand).
set -eu
reverse=0
if [ "${1:-}" = "--reverse" ]; then
  reverse=1
  shift
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
header=${1:-$root/include/natsrs.h}
lib=${2:-$root/target/release/libnatsrs.so}
CC=${CC:-cc}

[ -f "$header" ] || { echo "check_exports: no header at $header"; exit 1; }
[ -f "$lib" ] || { echo "check_exports: no library at $lib"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Function declarations after preprocessing: an identifier directly followed by
# '(' that does not open a "(*name)" declarator (function-pointer typedefs such
# as "enum natsrs_status (*natsrs_x_handler)(...)" are not functions).
$CC -E -P -x c "$header" \
  | tr '\n' ' ' \
  | grep -oE '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\([[:space:]]*[^*[:space:]]' \
  | sed -E 's/[[:space:]]*\(.*$//' \
  | grep -E '^natsrs_' | sort -u >"$tmp/declared"

nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" { print $3 }' \
  | sed 's/@.*//' | sort -u >"$tmp/exported"

# Every defined dynamic symbol, of any type. Version definitions ("A" symbols) are not code or
# data; _init/_fini/_edata/_end/__bss_start are what GNU ld adds to every shared object.
nm -D --defined-only "$lib" | awk 'NF >= 3 && $2 != "A" { print $3 }' | sed 's/@.*//' | sort -u \
  | grep -vxE '_init|_fini|_edata|_end|__bss_start' >"$tmp/all_exported" || true
foreign=$(grep -vE '^natsrs_' "$tmp/all_exported" || true)
if [ -n "$foreign" ]; then
  echo "check_exports: FAILED: $(basename "$lib") exports $(echo "$foreign" | wc -l) symbols outside the C API (only natsrs_* may be exported; see natsrs.map):"
  echo "$foreign" | head -n 50 | sed 's/^/  /'
  exit 1
fi
echo "check_exports: $(wc -l <"$tmp/all_exported") exported symbols, all natsrs_*"

declared=$(wc -l <"$tmp/declared")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(grep -E '^natsrs_' "$tmp/exported" | comm -13 "$tmp/declared" - || true)

if [ "$declared" -eq 0 ]; then
  echo "check_exports: FAILED: found no natsrs_* functions in $header"
  exit 1
fi
if [ "$reverse" = 1 ]; then
  if [ -n "$extra" ]; then
    echo "check_exports: FAILED: exported by $(basename "$lib") but not declared in $(basename "$header"):"
    echo "$extra" | sed 's/^/  /'
    exit 1
  fi
  echo "check_exports: every exported natsrs_* function is declared in $(basename "$header")"
  exit 0
fi
if [ -n "$extra" ]; then
  echo "check_exports: note: exported but not in the header:"
  echo "$extra" | sed 's/^/  /'
fi
untested=""
for f in $(cat "$tmp/declared"); do
  grep -qw "$f" "$here"/*.c || untested="$untested $f"
done
if [ -n "$untested" ]; then
  echo "check_exports: note: header functions no C test calls:$untested"
fi
if [ -n "$missing" ]; then
  echo "check_exports: FAILED: declared in $(basename "$header") but not exported by $(basename "$lib"):"
  echo "$missing" | sed 's/^/  /'
  exit 1
fi
echo "check_exports: all $declared functions declared in $(basename "$header") are exported"
