#!/usr/bin/env bash
# The packaging tests (scripts/test.sh stage `packaging`; also runnable alone after
# `cargo build --release`): install libnatsrs into a temporary prefix with `make install` (no
# rebuild: NATSRS_SKIP_BUILD=1) and use it the way a C or C++ project would, against a real
# nats-server started here (LD_LIBRARY_PATH is cleared: the programs must find the installed
# library by themselves):
#   - the installed layout: files, soname libnatsrs.so.<major>, links, pkg-config version
#   - exports: tests/c/check_exports.sh on the installed header and library (only natsrs_*,
#     every declared function exported, every exported one declared)
#   - consumers (tests/consumers): C with pkg-config, C with CMake find_package (shared, and
#     static through COMPONENTS static), C statically linked against libnatsrs.a; each runs a
#     publish/subscribe and request/reply round trip
#   - C++: examples-cpp/demo.cpp with natsrs.hpp (-Wall -Wextra -Werror -pedantic), run
#   - README.md: every c/cpp block compiles (scripts/readme_blocks.py), the quick start runs
#   - make install DESTDIR=... (staged) and make uninstall (removes every file)
# Prints one line per check and "packaging: N passed, M failed".
set -uo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$NATSRS_ROOT"
trap natsrs_cleanup EXIT

natsrs_tmpdir
T="$NATSRS_TMP/packaging"
PREFIX="$T/prefix"
mkdir -p "$T"
CC=${CC:-cc}
CXX=${CXX:-c++}
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
MAJOR=${VERSION%%.*}

passed=0
failed=0
check() { # check NAME COMMAND...
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "[       OK ] $name"
  else
    failed=$((failed + 1))
    echo "[  FAILED  ] $name"
  fi
  [ -n "$out" ] && echo "$out" | sed 's/^/    /'
}

if [ ! -f target/release/libnatsrs.so ] || [ ! -f target/release/libnatsrs.a ]; then
  echo "target/release/libnatsrs.{so,a} missing: run cargo build --release first"
  echo "packaging: 0 passed, 1 failed"
  exit 1
fi
unset LD_LIBRARY_PATH NATSRS_LIB_PATH
natsrs_start_server || { echo "packaging: 0 passed, 1 failed"; exit 1; }
echo "== packaging tests: prefix $PREFIX, server $NATS_URL"

install_prefix() {
  make --no-print-directory -s install PREFIX="$PREFIX" NATSRS_SKIP_BUILD=1 >/dev/null
}

layout() {
  local lib="$PREFIX/lib" f soname
  for f in "lib/libnatsrs.so.$VERSION" lib/libnatsrs.a include/natsrs.h include/natsrs.hpp \
           lib/pkgconfig/natsrs.pc lib/cmake/natsrs/natsrsConfig.cmake \
           lib/cmake/natsrs/natsrsConfigVersion.cmake share/doc/natsrs/LICENSE; do
    [ -f "$PREFIX/$f" ] || { echo "missing $f"; return 1; }
  done
  [ "$(readlink "$lib/libnatsrs.so.$MAJOR")" = "libnatsrs.so.$VERSION" ] || { echo "libnatsrs.so.$MAJOR is not a link to libnatsrs.so.$VERSION"; return 1; }
  [ "$(readlink "$lib/libnatsrs.so")" = "libnatsrs.so.$MAJOR" ] || { echo "libnatsrs.so is not a link to libnatsrs.so.$MAJOR"; return 1; }
  soname=$(readelf -d "$lib/libnatsrs.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
  [ "$soname" = "libnatsrs.so.$MAJOR" ] || { echo "soname is '$soname', expected libnatsrs.so.$MAJOR"; return 1; }
  [ "$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --modversion natsrs)" = "$VERSION" ] || { echo "pkg-config --modversion natsrs is not $VERSION"; return 1; }
  echo "libnatsrs $VERSION, soname $soname, $(make --no-print-directory -s print-files PREFIX="$PREFIX" | wc -l) files"
}

exports() {
  sh tests/c/check_exports.sh "$PREFIX/include/natsrs.h" "$PREFIX/lib/libnatsrs.so" | grep -v '^  \|note:' &&
    sh tests/c/check_exports.sh --reverse "$PREFIX/include/natsrs.h" "$PREFIX/lib/libnatsrs.so"
}

# Runs a consumer binary: it must print "<name>: OK"; `shared` says whether it must load the
# installed libnatsrs.so.<major> (true) or contain the library (false).
run_consumer() {
  local exe=$1 shared=$2
  if [ "$shared" = true ]; then
    ldd "$exe" | grep -F "$PREFIX/lib/libnatsrs.so.$MAJOR" >/dev/null || { echo "$exe does not load $PREFIX/lib/libnatsrs.so.$MAJOR:"; ldd "$exe"; return 1; }
  elif readelf -d "$exe" | grep 'NEEDED.*libnatsrs' >/dev/null; then
    echo "$exe needs libnatsrs.so although it was linked statically"
    return 1
  fi
  timeout 60 "$exe"
}

consumer_pkgconfig() {
  PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" make --no-print-directory -s -C tests/consumers/pkgconfig BUILD="$T/pkgconfig" CC="$CC" &&
    run_consumer "$T/pkgconfig/roundtrip" true
}

consumer_static() {
  PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" make --no-print-directory -s -C tests/consumers/static BUILD="$T/static" CC="$CC" &&
    run_consumer "$T/static/roundtrip" false
}

consumer_cmake() { # consumer_cmake BUILD_DIR SHARED(true|false) [CMAKE ARGS...]
  local dir=$1 shared=$2
  shift 2
  cmake -S tests/consumers/cmake -B "$dir" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_COMPILER="$CC" "$@" >"$dir.log" 2>&1 &&
    cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
  grep -- '-- natsrs ' "$dir.log"
  run_consumer "$dir/roundtrip" "$shared"
}

cxx_demo() {
  mkdir -p "$T/cpp"
  # shellcheck disable=SC2046
  "$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -O1 -o "$T/cpp/demo" examples-cpp/demo.cpp \
    $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags --libs natsrs) -Wl,-rpath,"$PREFIX/lib" &&
    run_consumer "$T/cpp/demo" true | tail -n 4
}

readme_blocks() {
  "$NATSRS_ROOT/.venv/bin/python" scripts/readme_blocks.py --include "$PREFIX/include" --lib "$PREFIX/lib" \
    --out "$T/readme" --run-quickstart
}

staged_install() {
  local stage="$T/stage" n
  make --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr/local NATSRS_SKIP_BUILD=1 >/dev/null || return 1
  [ -f "$stage/usr/local/lib/libnatsrs.so.$VERSION" ] || { echo "DESTDIR install did not stage lib/libnatsrs.so.$VERSION"; return 1; }
  grep -qx 'prefix=/usr/local' "$stage/usr/local/lib/pkgconfig/natsrs.pc" || { echo "staged natsrs.pc does not say prefix=/usr/local"; return 1; }
  make --no-print-directory -s uninstall DESTDIR="$stage" PREFIX=/usr/local >/dev/null || return 1
  n=$(find "$stage" -type f -o -type l | wc -l)
  [ "$n" = 0 ] || { echo "uninstall left $n files under $stage:"; find "$stage" -type f -o -type l; return 1; }
  echo "DESTDIR install staged every file under /usr/local; uninstall removed them all"
}

uninstall_prefix() {
  local n
  make --no-print-directory -s uninstall PREFIX="$PREFIX" >/dev/null || return 1
  n=$(find "$PREFIX" -type f -o -type l | wc -l)
  [ "$n" = 0 ] || { echo "make uninstall left $n files:"; find "$PREFIX" -type f -o -type l; return 1; }
  echo "make uninstall removed every installed file"
}

check "make install PREFIX=<temp>" install_prefix
check "installed layout: files, soname, links, pkg-config version" layout
check "installed library exports only natsrs_*, matching natsrs.h (check_exports.sh)" exports
check "consumer: C with pkg-config (shared), round trip" consumer_pkgconfig
check "consumer: C with CMake find_package (natsrs::natsrs, shared), round trip" consumer_cmake "$T/cmake" true
check "consumer: C with CMake find_package COMPONENTS static, round trip" consumer_cmake "$T/cmake-static" false -DCONSUMER_NATSRS_COMPONENT=static
check "consumer: C statically linked against libnatsrs.a (pkg-config --static), round trip" consumer_static
check "C++: examples-cpp/demo.cpp with natsrs.hpp (-Wall -Wextra -Werror -pedantic), run" cxx_demo
check "README.md: every c/cpp block compiles, the quick start runs" readme_blocks
check "make install DESTDIR=<stage> and make uninstall DESTDIR=<stage>" staged_install
check "make uninstall PREFIX=<temp>" uninstall_prefix

echo "packaging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
