#!/usr/bin/env bash
# build-qtapps.sh builds qtro-qtapp (fixtures/qtapps: a real Qt host with its own objects, not the
# project's test objects) once against Qt 5 and once against Qt 6:
#
#   build/qtapps/qt5/qtro-qtapp   (Qt 5.15, QtRO 1.3)
#   build/qtapps/qt6/qtro-qtapp   (Qt 6.x,  QtRO 2.0)
#
# The structure is that of ci/build-peers.sh: a build is skipped when a content-hash stamp says
# nothing changed (sources, lamp.rep, this script, the Qt/compiler/cmake versions), and concurrent
# callers are serialised with flock. Usage: ci/build-qtapps.sh [5|6]...   (default: both). Prints
# one line per binary: "qt<N> <absolute path>". Needs the packages ci/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
out="$root/build/qtapps"
mkdir -p "$out"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(5 6)

for tool in cmake g++ pkg-config sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "build-qtapps: $tool not found (run ci/setup.sh)" >&2; exit 1; }
done

# One builder at a time; others wait (bounded) and then see a fresh stamp.
exec 9>"$out/.lock"
flock -w 900 9 || { echo "build-qtapps: timed out waiting for $out/.lock" >&2; exit 1; }

inputs_hash() {
  local major="$1"
  {
    echo "major=$major"
    (cd "$root" && find fixtures/qtapps -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.rep' -o -name CMakeLists.txt \) -print0 \
      | sort -z | xargs -0 sha256sum)
    sha256sum "$root/ci/build-qtapps.sh"
    pkg-config --modversion "Qt${major}RemoteObjects" 2>/dev/null || echo "no Qt${major}RemoteObjects"
    pkg-config --modversion "Qt${major}Core" 2>/dev/null || echo "no Qt${major}Core"
    g++ --version | head -n1
    cmake --version | head -n1
  } | sha256sum | cut -d' ' -f1
}

for major in "${majors[@]}"; do
  case "$major" in 5|6) ;; *) echo "build-qtapps: unknown Qt major '$major' (5 or 6)" >&2; exit 2 ;; esac
  bin="$out/qt$major/qtro-qtapp"
  stamp="$out/qt$major/.stamp"
  want="$(inputs_hash "$major")"
  if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "qt$major $bin"
    continue
  fi
  bdir="$out/qt$major-build"
  log="$out/qt$major-build.log"
  echo "build-qtapps: building Qt $major qtro-qtapp (log: $log)" >&2
  if ! { cmake -S "$root/fixtures/qtapps" -B "$bdir" -DQTRO_QT_MAJOR="$major" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         && cmake --build "$bdir" -j "$(nproc)"; } >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "build-qtapps: Qt $major build failed (full log: $log)" >&2
    exit 1
  fi
  mkdir -p "$out/qt$major"
  cp "$bdir/qtro-qtapp" "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
  echo "qt$major $bin"
done
