#!/usr/bin/env bash
# The layout rules of DESIGN.md §1, checked on the source tree:
#  1. a folder's detail/ is private: no file includes another folder's detail/
#     (tests/X, bench/ and examples/ count as folder X, bench and examples);
#  2. floors: a folder includes project headers only of itself and of the
#     folders below it (sched/ is the bottom and includes nothing above it);
#  3. libev and Boost.Context are reached only from sched/detail/'s seams
#     (and from bench/, whose peers use them directly);
#  4. tasklet/tasklet.hpp closes over at most 8 project headers besides itself;
#  5. the library's headers name each other by their installed path,
#     "weft/FOLDER/NAME.hpp" (an install tree has no other), and .cpp files
#     and tests may also use the short form "FOLDER/NAME.hpp".
# Usage: layout_test.sh SOURCE_ROOT C++-COMPILER [ARGS...]
set -u
root=$1
shift
cd "$root" || exit 2
folders="sched tasklet sync mailbox io compat_twisted http remote"
failures=0
fail() {
  echo "layout: $*"
  failures=$((failures + 1))
}

# The folder a file belongs to, for rule 1.
owner() {
  case $1 in
    tests/*/*) echo "$1" | cut -d/ -f2 ;;
    *) echo "$1" | cut -d/ -f1 ;;
  esac
}

files=$(find $folders tests bench examples -name '*.[ch]pp' 2>/dev/null | sort)
[ -n "$files" ] || { echo "layout: no source files under $root"; exit 2; }

# 1. detail/ is private to its folder.
while IFS=: read -r file line text; do
  inc=$(echo "$text" | sed -E 's/.*#include *"(weft\/)?([a-z_]+)\/detail\/.*/\2/')
  [ "$inc" = "$(owner "$file")" ] || fail "$file:$line includes another folder's detail/: $text"
done < <(grep -nE '#include *"(weft/)?[a-z_]+/detail/' $files)

# 2. Floors: what each folder may include (DESIGN.md §1, bottom up).
declare -A below=(
  [sched]="sched"
  [tasklet]="sched tasklet"
  [sync]="sched sync"
  [mailbox]="sched tasklet sync mailbox"
  [io]="sched tasklet sync mailbox io"
  [compat_twisted]="sched tasklet sync mailbox io compat_twisted"
  [http]="sched tasklet sync mailbox io http"
  [remote]="sched tasklet sync mailbox io remote"
)
for dir in $folders; do
  [ -d "$dir" ] || continue
  allowed=$(echo "${below[$dir]}" | tr ' ' '|')
  while IFS=: read -r file line text; do
    fail "$file:$line: $dir/ includes a header of a floor above it: $text"
  done < <(grep -nE '#include *"[a-z_]+/' $(find "$dir" -name '*.[ch]pp') |
           grep -vE "#include *\"(weft/)?($allowed)/")
done

# 3. The seams: ev.h and Boost.Context only in sched/detail/ (and bench/).
while IFS=: read -r file line text; do
  case $file in
    sched/detail/*|bench/*) ;;
    *) fail "$file:$line reaches libev or Boost.Context outside sched/detail/: $text" ;;
  esac
done < <(grep -nE '#include *[<"](ev\.h|ev\+\+\.h|boost/context)' $files)

# 4. tasklet/tasklet.hpp's include closure.
# weft/ is what the build directory's weft-include/ gives (meson.build): here
# a link in a scratch directory.
shim=$(mktemp -d) || exit 2
trap 'rm -rf "$shim"' EXIT
ln -s "$PWD" "$shim/weft"
deps=$(echo '#include "tasklet/tasklet.hpp"' | "$@" -std=c++20 -I. -I"$shim" -x c++ -M - 2>&1) ||
  { echo "layout: could not list tasklet/tasklet.hpp's includes: $deps"; exit 2; }
closure=$(echo "$deps" | tr ' \\' '\n\n' | sed "s|^$shim/weft/||" |
          grep -E "^($(echo $folders | tr ' ' '|'))/" |
          grep -v '^tasklet/tasklet.hpp$' | sort -u)
count=$(echo "$closure" | grep -c .)
if [ "$count" -gt 8 ]; then
  fail "tasklet/tasklet.hpp closes over $count project headers (at most 8):" $closure
fi

# 5. Headers use the installed path for weft's headers.
while IFS=: read -r file line text; do
  fail "$file:$line: a header names a weft header by its short form (write \"weft/...\"): $text"
done < <(grep -nE "^ *#include *[\"<]($(echo $folders | tr ' ' '|'))/" \
           $(find $folders -name '*.hpp' 2>/dev/null))

if [ "$failures" -gt 0 ]; then
  echo "layout: $failures rule(s) broken"
  exit 1
fi
echo "layout: $(echo "$files" | wc -w) files checked; tasklet/tasklet.hpp closes over $count project headers"
