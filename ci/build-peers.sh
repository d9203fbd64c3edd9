#!/usr/bin/env bash
# build-peers.sh builds the real Qt peers (fixtures/peer, the qtro adapter of specs/ADAPTER.md) once
# against Qt 5 and once against Qt 6:
#
#   build/peers/qt5/qtro-peer   (Qt 5.15, QtRO 1.3)
#   build/peers/qt6/qtro-peer   (Qt 6.x,  QtRO 2.0)
#
# A build is skipped when a content-hash stamp says nothing changed (sources, .rep files, this
# script, the Qt/compiler/cmake versions). Concurrent callers (parallel go test packages) are
# serialised with flock. Usage: ci/build-peers.sh [5|6]...   (default: both). Prints one line per
# binary: "qt<N> <absolute path>". Needs the packages ci/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
out="$root/build/peers"
mkdir -p "$out"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(5 6)

for tool in cmake g++ pkg-config sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "build-peers: $tool not found (run ci/setup.sh)" >&2; exit 1; }
done

# One builder at a time; others wait (bounded) and then see a fresh stamp.
exec 9>"$out/.lock"
flock -w 900 9 || { echo "build-peers: timed out waiting for $out/.lock" >&2; exit 1; }

inputs_hash() {
  local major="$1"
  {
    echo "major=$major"
    # Sources and test objects, by content.
    (cd "$root" && find fixtures/peer fixtures/rep -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.rep' -o -name CMakeLists.txt \) -print0 \
      | sort -z | xargs -0 sha256sum)
    sha256sum "$root/ci/build-peers.sh"
    # Toolchain and Qt versions: a package upgrade must rebuild.
    pkg-config --modversion "Qt${major}RemoteObjects" 2>/dev/null || echo "no Qt${major}RemoteObjects"
    pkg-config --modversion "Qt${major}Core" 2>/dev/null || echo "no Qt${major}Core"
    g++ --version | head -n1
    cmake --version | head -n1
  } | sha256sum | cut -d' ' -f1
}

for major in "${majors[@]}"; do
  case "$major" in 5|6) ;; *) echo "build-peers: unknown Qt major '$major' (5 or 6)" >&2; exit 2 ;; esac
  bin="$out/qt$major/qtro-peer"
  stamp="$out/qt$major/.stamp"
  want="$(inputs_hash "$major")"
  if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "qt$major $bin"
    continue
  fi
  bdir="$out/qt$major-build"
  log="$out/qt$major-build.log"
  echo "build-peers: building Qt $major peer (log: $log)" >&2
  if ! { cmake -S "$root/fixtures/peer" -B "$bdir" -DQTRO_QT_MAJOR="$major" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         && cmake --build "$bdir" -j "$(nproc)"; } >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "build-peers: Qt $major build failed (full log: $log)" >&2
    exit 1
  fi
  mkdir -p "$out/qt$major"
  cp "$bdir/qtro-peer" "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
  echo "qt$major $bin"
done
