#!/usr/bin/env bash
# The packaging check (issue 13): packs this checkout and installs the tarball as a user would, into
# fresh projects outside the repo, with an empty npm user config:
#   1. with a PATH of node, npm, npx and sh only (no cc, c++, gcc, g++, make, cmake): the prebuilt
#      addon must be used, since nothing could be compiled;
#   2. on the normal PATH with --build-from-source: the addon is built from the shipped source.
# Both run scripts/pack-check/app.mjs (type-checked against the installed declarations first).
# Prints the tarball size, the install times and the *.node files under node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/couchbase-rx-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

echo "== npm pack (prepack: prebuild the addon, copy the libcouchbase source, rebuild dist)"
t=$(now)
npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { tail -40 "$work/pack.log"; fail "npm pack"; }
tgz=$(ls "$work"/couchbase-rx-*.tgz)
echo "packed in $(since "$t")"
size=$(stat -c %s "$tgz")
tar tzf "$tgz" >"$work/contents"
unpacked=$(tar xzf "$tgz" -O | wc -c)
echo "tarball: $(basename "$tgz") $((size / 1024)) KiB ($size bytes), $(wc -l <"$work/contents") files, $((unpacked / 1024)) KiB unpacked"
[ "$size" -lt $((25 * 1024 * 1024)) ] || fail "tarball over 25 MB"
for f in dist/src/index.js dist/src/index.d.ts dist/emulator/index.js dist/emulator/index.d.ts dist/emulator/cli.js \
  prebuilds/linux-x64/couchbase_rx.node prebuilds/linux-x64/couchbase_rx.json deps/libcouchbase/CMakeLists.txt \
  native/patches CMakeLists.txt scripts/install.mjs data/beer-sample/beer-sample.zip README.md LICENSE package.json; do
  grep -q "^package/$f" "$work/contents" || fail "the tarball lacks $f"
done
if grep -E '^package/(test|bench|\.ci|marbles|examples|src|emulator|node_modules|build)/' "$work/contents"; then
  fail "the tarball carries the files above"
fi

nocc="$work/bin-nocc"
mkdir "$nocc"
for tool in node npm npx sh; do ln -s "$(command -v "$tool")" "$nocc/$tool"; done
for tool in cc c++ gcc g++ make cmake; do
  PATH="$nocc" command -v "$tool" >/dev/null && fail "$tool is reachable on the restricted PATH"
done
: >"$work/npmrc"

# install_app <dir> <PATH> [npm args...]: a fresh project that approves couchbase-rx's install script.
install_app() {
  local dir=$1 path=$2
  shift 2
  mkdir "$dir"
  printf '{ "name": "app", "private": true, "type": "module", "allowScripts": { "couchbase-rx": true } }\n' >"$dir/package.json"
  cp "$repo/scripts/pack-check/app.mjs" "$dir/"
  local t
  t=$(now)
  (cd "$dir" && PATH="$path" NPM_CONFIG_USERCONFIG="$work/npmrc" npm install --no-audit --no-fund --foreground-scripts "$@" "$tgz") \
    >"$dir/install.log" 2>&1 || { tail -40 "$dir/install.log"; fail "npm install in $dir"; }
  echo "installed in $(since "$t") ($(grep -o 'added [0-9]* packages' "$dir/install.log")): $(grep '^couchbase-rx: ' "$dir/install.log" | head -1)"
  echo "*.node files under node_modules:"
  (cd "$dir" && find node_modules -name '*.node' | sort | sed 's/^/  /')
  [ -z "$(cd "$dir" && find node_modules -name '*.node' -not -path 'node_modules/couchbase-rx/*')" ] || fail "an addon other than couchbase-rx's was installed"
  [ ! -e "$dir/node_modules/libcouchbase-src" ] && [ ! -e "$dir/node_modules/couchbase" ] || fail "couchbase@3.2.7 was installed"
  # No dependency has an install step of its own: only couchbase-rx's runs.
  (cd "$dir" && node -e '
    const { readdirSync, readFileSync, existsSync } = require("fs");
    const bad = [];
    const walk = (d) => { for (const e of readdirSync(d)) { if (e.startsWith(".")) continue; const p = d + "/" + e;
      if (e.startsWith("@")) { walk(p); continue; }
      const pj = p + "/package.json";
      if (existsSync(pj)) { const s = JSON.parse(readFileSync(pj, "utf8")).scripts ?? {};
        if (e !== "couchbase-rx" && (s.preinstall || s.install || s.postinstall)) bad.push(e); }
      if (existsSync(p + "/node_modules")) walk(p + "/node_modules"); } };
    walk("node_modules");
    if (bad.length) { console.error("dependencies with install scripts: " + bad.join(", ")); process.exit(1); }') \
    || fail "a dependency has an install script"
}

# run_app <dir> <PATH>: type-check app.mjs against the installed package, then run it.
run_app() {
  local dir=$1 path=$2
  (cd "$dir" && PATH="$path" node "$repo/node_modules/typescript/bin/tsc" --noEmit --allowJs --checkJs --strict \
    --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck --typeRoots "$repo/node_modules/@types" --types node app.mjs) \
    || fail "app.mjs does not type-check against the installed package"
  local t
  t=$(now)
  (cd "$dir" && PATH="$path" node app.mjs) || fail "app.mjs failed in $dir"
  echo "app ran in $(since "$t")"
}

echo "== 1. install with no compiler on the PATH ($nocc)"
install_app "$work/app-prebuilt" "$nocc"
[ ! -e "$work/app-prebuilt/node_modules/couchbase-rx/build" ] || fail "something was built"
run_app "$work/app-prebuilt" "$nocc"

echo "== 2. install with --build-from-source on the normal PATH"
install_app "$work/app-source" "$PATH" --build-from-source
addon="$work/app-source/node_modules/couchbase-rx/build/Release/couchbase_rx.node"
[ -f "$addon" ] || fail "no addon was built"
# The program must run on the addon just built: the shipped prebuilt one goes.
rm -r "$work/app-source/node_modules/couchbase-rx/prebuilds"
run_app "$work/app-source" "$PATH"

echo "pack-check: OK"
