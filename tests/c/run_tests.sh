#!/bin/sh
# run_tests.sh - run the libnatsrs C test suite (called by `make run` /
# `make header-check`; see Makefile for the variables it passes).
#
#   run_tests.sh                 header checks + every build/test_* program
#   run_tests.sh --header-only   header checks only
#
# Each header check counts as one test; each test program prints its own
# "N passed, M failed" line and this script adds them up. The last line is the
# overall "N passed, M failed"; the exit status is non-zero if anything failed.
# NATS_URL (default nats://127.0.0.1:4222) must point at a running nats-server.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$here/build}
case $BUILD in /*) ;; *) BUILD=$here/$BUILD ;; esac
INCDIR=${INCDIR:-$root/include}
LIBDIR=${LIBDIR:-$root/target/release}
CC=${CC:-cc}
CXX=${CXX:-c++}
WARN="-Wall -Wextra -Werror -pedantic"
mkdir -p "$BUILD"

# Sanitizer settings. LeakSanitizer is on; lsan.supp documents what (if
# anything) is suppressed and why.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

passed=0
failed=0

check() { # check NAME COMMAND...
  name=$1
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "[       OK ] $name"
    [ -n "$out" ] && echo "$out" | sed 's/^/    /'
  else
    failed=$((failed + 1))
    echo "[  FAILED  ] $name"
    echo "$out" | sed 's/^/    /'
  fi
}

header_c() {
  $CC -std=c11 $WARN -I"$INCDIR" "$here/header_check.c" -o "$BUILD/header_check_c" \
    -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lnatsrs && "$BUILD/header_check_c"
}
header_cxx() {
  $CXX -std=c++17 $WARN -x c++ -I"$INCDIR" "$here/header_check.c" -x none \
    -o "$BUILD/header_check_cpp" -L"$LIBDIR" -Wl,-rpath,"$LIBDIR" -lnatsrs &&
    "$BUILD/header_check_cpp"
}

# Parameter names in the header are the C API's, not Rust's (no `timeout_ms_`-style names).
no_rust_names() {
  if grep -nE '[A-Za-z0-9]_[,)]' "$INCDIR/natsrs.h"; then
    echo "parameter names ending in '_' leak from Rust into the header (lines above)"
    return 1
  fi
}

echo "== header checks ($INCDIR/natsrs.h)"
check "header compiles as C11, included twice, links" header_c
check "header compiles as C++17, included twice, C linkage" header_cxx
check "no Rust parameter names in the header" no_rust_names
check "every header function is exported (check_exports.sh)" \
  "$here/check_exports.sh" "$INCDIR/natsrs.h" "$LIBDIR/libnatsrs.so"
check "every exported function is declared in the header (check_exports.sh --reverse)" \
  "$here/check_exports.sh" --reverse "$INCDIR/natsrs.h" "$LIBDIR/libnatsrs.so"

if [ "${1:-}" != "--header-only" ]; then
  echo "== C API tests against ${NATS_URL:-nats://127.0.0.1:4222}"
  if [ -z "${TESTS:-}" ]; then
    TESTS=$(cd "$here" && ls test_*.c | sed 's/\.c$//' | grep -v '^test_util$')
  fi
  for name in $TESTS; do
    t=$BUILD/$name
    echo "---- $name"
    if [ ! -x "$t" ]; then
      echo "[  FAILED  ] $name did not build (see the compiler errors above)"
      failed=$((failed + 1))
      continue
    fi
    "$t" >"$BUILD/$name.log" 2>&1
    rc=$?
    cat "$BUILD/$name.log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$BUILD/$name.log" | tail -n 1)
    if [ -n "$line" ]; then
      p=${line%% passed*}
      f=${line#*, }
      f=${f%% failed}
      passed=$((passed + p))
      failed=$((failed + f))
      if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "  $name exited with status $rc after reporting no failures"
        failed=$((failed + 1))
      fi
    else
      echo "  $name did not finish (exit status $rc)"
      failed=$((failed + 1))
    fi
  done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
