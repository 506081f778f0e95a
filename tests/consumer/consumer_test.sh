#!/usr/bin/env bash
# weft as another project's dependency, from a staged install of this build
# (`meson install --destdir`): the consumer program app.cpp built and run
#  1. with pkg-config and the compiler (weft.pc's flags checked too),
#  2. with CMake: find_package(weft) and pkg_check_modules(IMPORTED_TARGET),
#  3. with meson, weft as a subproject (which must add no target but the library),
#  4. with -fsanitize=address against this (unsanitized) library: the context
#     switches must be annotated at run time, or ASan reports false errors,
# and the installed headers checked: together they compile with nothing but
# -I<prefix>/include, and each stops a compile without C++20 with weft's #error.
# Usage: consumer_test.sh SOURCE_ROOT BUILD_DIR B_SANITIZE MESON C++-COMPILER [ARGS...]
set -euo pipefail
src=$1 build=$2 sanitize=$3 meson=$4
shift 4
cxx=("$@")
here=$src/tests/consumer
renice -n 10 $$ >/dev/null 2>&1 || true  # the compiles below yield to the suites beside them
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expected="consumer ok 3110"

step() { echo "consumer: [${SECONDS} s] $*"; }
die() { echo "consumer: FAILED: $*"; exit 1; }
# Runs a built consumer and checks what it prints.
check_run() {
  local what=$1 out
  shift
  out=$("$@" 2>&1) || die "$what: the program failed: $out"
  [ "$out" = "$expected" ] || die "$what: printed '$out', expected '$expected'"
}

# A sanitized build of weft needs sanitized consumers (its objects call the
# runtime); an unsanitized one is what step 4 is about.
san=()
[ "$sanitize" = none ] || san=("-fsanitize=$sanitize")

stage=$work/stage
"$meson" install -C "$build" --no-rebuild --destdir "$stage" --quiet >/dev/null ||
  die "meson install --destdir $stage"
pc=$(find "$stage" -name weft.pc | head -1)
[ -n "$pc" ] || die "no weft.pc in the staged install"
inc=$(find "$stage" -type d -path '*/include/weft' | head -1)
[ -n "$inc" ] || die "no include/weft in the staged install"
prefix=$(dirname "$(dirname "$inc")")

# 1. pkg-config. The flags as installed: plain -l flags, only weft's include
# directory, no Boost defines. The staged tree through PKG_CONFIG_SYSROOT_DIR.
step "pkg-config + ${cxx[0]}"
libs=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --libs weft | xargs)
cflags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags weft | xargs)
# (-lnats when remote/ was built: libweft then needs cnats.)
[ "$(echo "$libs" | sed -E 's/^-L[^ ]+ //; s/ -lnats$//')" = "-lweft -lboost_context -lev -pthread" ] ||
  die "weft.pc Libs: '$libs' (expected -L\${libdir} -lweft -lboost_context -lev -pthread [-lnats])"
[ "$(echo "$cflags" | wc -w)" -le 1 ] && ! echo "$cflags" | grep -qE -- '-D|/include/weft|-I/usr/include$' ||
  die "weft.pc Cflags: '$cflags' (expected only -I\${includedir})"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$stage
read -r -a pkg_cflags <<<"$(pkg-config --cflags weft)"
read -r -a pkg_libs <<<"$(pkg-config --libs weft)"
"${cxx[@]}" -std=c++20 "${san[@]}" "${pkg_cflags[@]}" "$here/app.cpp" -o "$work/app_pkg" "${pkg_libs[@]}" ||
  die "pkg-config build"
check_run "pkg-config build" "$work/app_pkg"

# The installed headers: all public ones (not detail/, not *_impl.hpp)
# together with only -I<prefix>/include; and each alone, without C++20, stops
# at weft's #error (the first and only error before the compile ends).
step "installed headers"
headers=$(cd "$prefix/include" && find weft -name '*.hpp' ! -path '*/detail/*' ! -name '*_impl.hpp' | sort)
for h in $headers; do echo "#include <$h>"; done >"$work/all.cpp"
"${cxx[@]}" -std=c++20 -fsyntax-only -I"$prefix/include" "$work/all.cpp" ||
  die "the installed public headers do not compile together with only -I<prefix>/include"
for h in $headers; do
  if out=$(echo "#include <$h>" | "${cxx[@]}" -std=c++17 -E -I"$prefix/include" -x c++ - 2>&1 >/dev/null); then
    die "<$h> compiles without C++20"
  fi
  first=$(echo "$out" | grep -m1 -E 'error:' || true)
  echo "$first" | grep -q 'weft needs C++20' || die "<$h> without C++20: first error is '$first'"
done
if out=$("${cxx[@]}" -std=c++17 -c "$here/app.cpp" -o /dev/null -I"$prefix/include" 2>&1); then
  die "app.cpp compiles without C++20"
fi
errors=$(echo "$out" | grep -cE '(^|: )(fatal )?error' || true)
[ "$errors" -le 2 ] || die "a compile without C++20 gives $errors errors, not weft's one #error: $out"

# 2. CMake.
if command -v cmake >/dev/null 2>&1; then
  gen=()
  command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
  for way in find_package pkg_check_modules; do
    step "CMake ($way)"
    via=OFF
    [ $way = find_package ] || via=ON
    cmake -S "$here" -B "$work/cmake_$way" "${gen[@]}" -DWEFT_VIA_PKG_CONFIG=$via \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="${cxx[0]}" \
      -DCMAKE_CXX_FLAGS="${san[*]}" -DCMAKE_EXE_LINKER_FLAGS="${san[*]}" \
      >"$work/cmake_$way.log" 2>&1 || { cat "$work/cmake_$way.log"; die "CMake configure ($way)"; }
    cmake --build "$work/cmake_$way" >>"$work/cmake_$way.log" 2>&1 ||
      { cat "$work/cmake_$way.log"; die "CMake build ($way)"; }
    check_run "CMake build ($way)" "$work/cmake_$way/app"
  done
else
  step "SKIP the CMake consumers: cmake is not installed (make deps installs it)"
fi

# 3. meson, weft as a subproject: the library and nothing else of weft's.
step "meson subproject"
proj=$work/meson
mkdir -p "$proj/subprojects"
ln -s "$src" "$proj/subprojects/weft"
cp "$here/app.cpp" "$proj/"
cp "$here/meson.build.in" "$proj/meson.build"
# (It builds weft from source itself: no sanitizer needed whatever this build's.)
env -u PKG_CONFIG_SYSROOT_DIR -u PKG_CONFIG_PATH CXX="${cxx[*]}" \
  "$meson" setup "$proj/build" "$proj" --buildtype=plain --wrap-mode=nodownload \
  >"$work/meson.log" 2>&1 || { cat "$work/meson.log"; die "meson setup of the consumer"; }
targets=$("$meson" introspect --targets "$proj/build" |
  /usr/bin/python3 -c 'import json, sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin) if t["subproject"] == "weft")))')
[ "$targets" = weft ] || die "weft as a subproject defines the targets '$targets' (expected the library only)"
"$meson" compile -C "$proj/build" >>"$work/meson.log" 2>&1 ||
  { cat "$work/meson.log"; die "meson build of the consumer"; }
check_run "meson subproject build" "$proj/build/app"

# 4. AddressSanitizer in the consumer only, the library as built here. GCC
# links libweft.a's LTO objects by recompiling them with the program's
# flags (instrumented, then); with -fno-lto, or with clang, the library's own
# uninstrumented machine code is linked.
if [ "$sanitize" = none ]; then
  compilers=("${cxx[*]}")
  command -v clang++ >/dev/null 2>&1 && compilers+=(clang++)
  for c in "${compilers[@]}"; do
    read -r -a cc <<<"$c"
    "${cc[@]}" -std=c++20 -g -O1 -fsanitize=address -fno-omit-frame-pointer \
      "${pkg_cflags[@]}" -c "$here/app.cpp" -o "$work/app_asan.o" || die "ASan consumer compile ($c)"
    links=("")
    "${cc[@]}" --version | grep -q 'Free Software Foundation' && links+=(-fno-lto)
    for link in "${links[@]}"; do
      step "-fsanitize=address consumer ($c${link:+ $link}) against the unsanitized library"
      "${cc[@]}" -fsanitize=address $link "$work/app_asan.o" -o "$work/app_asan" "${pkg_libs[@]}" ||
        die "ASan consumer link ($c $link)"
      for opts in detect_leaks=1 detect_leaks=1:detect_stack_use_after_return=1; do
        ASAN_OPTIONS=$opts check_run "ASan consumer ($c${link:+ $link}, $opts)" "$work/app_asan"
      done
    done
  done
else
  step "the library is built with -fsanitize=$sanitize: the consumers above were sanitized too"
fi
echo "consumer: [${SECONDS} s] all ways built and ran"
