#!/usr/bin/env bash
# Builds cbc-pillowfight, libcouchbase's own C load generator, from the very libcouchbase source
# the addon is built from (node_modules/libcouchbase-src/deps/lcb) with our patches applied
# (native/patches: without 0001 it hangs on memcached:// against Debian's memcached), so that
# bench/run.ts can put the C ceiling for this protocol next to the Node clients.
#
# Output: build-bench/pillowfight/build/bin/cbc-pillowfight (its path is printed on stdout).
# Cached: rebuilt only when a patch, the source or this script changes (a signature stamp).
# IO: libcouchbase's built-in select plugin (-DLCB_NO_PLUGINS=ON) unless libevent's headers
# are installed (then its libevent plugin, pillowfight's usual default on Linux).
# Needs: a C/C++ toolchain, cmake >= 3.15, OpenSSL headers. Downloads nothing.
#
#   bash scripts/build-pillowfight.sh          # build if needed, print the binary's path
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/node_modules/libcouchbase-src/deps/lcb"
out="$root/build-bench/pillowfight"
bin="$out/build/bin/cbc-pillowfight"

[[ -f "$src/CMakeLists.txt" ]] || { echo "libcouchbase source missing: $src (npm install)" >&2; exit 1; }

plugins=ON
[[ -f /usr/include/event2/event.h ]] && plugins=OFF
signature="$( { cat "$root"/native/patches/*.patch "$src/CMakeLists.txt" "${BASH_SOURCE[0]}"; echo "plugins-off=$plugins"; } | sha1sum | cut -d' ' -f1)"

if [[ -x "$bin" && "$(cat "$out/stamp" 2>/dev/null)" == "$signature" ]]; then
  echo "$bin"
  exit 0
fi

echo "[build-pillowfight] building into $out (no-plugins=$plugins)" >&2
rm -rf "$out"
mkdir -p "$out/src" "$out/build"
# The tree without what the build does not need (tests, docs, examples).
tar -C "$src" --exclude=./tests --exclude=./doc --exclude=./example --exclude=./.git -cf - . | tar -C "$out/src" -xf -
for p in "$root"/native/patches/*.patch; do
  if command -v patch >/dev/null; then
    patch -d "$out/src" -p1 --forward --batch -s -i "$p" >&2
  else
    (cd "$out/src" && GIT_CEILING_DIRECTORIES="$out" git apply -p1 "$p")
  fi
done

jobs="$(nproc 2>/dev/null || echo 2)"
(
  cd "$out/build"
  cmake ../src -DCMAKE_BUILD_TYPE=Release -DLCB_NO_TESTS=ON -DLCB_NO_PLUGINS="$plugins" -DLCB_BUILD_EXAMPLES=OFF \
    -DLCB_SKIP_GIT_VERSION=ON -DLCB_BUILD_DTRACE=OFF -DCMAKE_C_FLAGS=-w -DCMAKE_CXX_FLAGS=-w >"$out/cmake.log" 2>&1 ||
    { tail -30 "$out/cmake.log" >&2; exit 1; }
  nice -n 10 make -j"$jobs" cbc-pillowfight >"$out/make.log" 2>&1 || { grep -iE 'error' "$out/make.log" | tail -30 >&2; exit 1; }
)
[[ -x "$bin" ]] || { echo "[build-pillowfight] no $bin after the build" >&2; exit 1; }
echo "$signature" >"$out/stamp"
echo "$bin"
