#!/usr/bin/env bash
# ABI guard: compares the exported symbols and the normalized declarations of include/natsrs.h
# with the committed snapshot abi/natsrs.abi (see scripts/abi_check.py for the rules).
#   scripts/abi_check.sh            check; fails on a removal or change without a major bump
#   scripts/abi_check.sh --update   rewrite abi/natsrs.abi (after additions or a major bump)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=python3
[ -x "$root/.venv/bin/python" ] && py="$root/.venv/bin/python"
exec "$py" "$root/scripts/abi_check.py" "$@"
