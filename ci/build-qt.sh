#!/usr/bin/env bash
# build-qt.sh builds one of the project's real Qt programs once against Qt 5 and once against Qt 6:
#
#   peers    fixtures/peer   -> build/peers/qt<N>/qtro-peer    the qtro adapter of specs/ADAPTER.md
#   qtapps   fixtures/qtapps -> build/qtapps/qt<N>/qtro-qtapp  a Qt host with classes of its own
#
# A build is skipped when a content-hash stamp says nothing changed (sources, .rep files, this
# script, the Qt/compiler/cmake versions). Concurrent callers (parallel go test packages) are
# serialised with flock. Usage: ci/build-qt.sh peers|qtapps [5|6]...   (default: both). Prints one
# line per binary: "qt<N> <absolute path>". Needs the packages ci/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
kind="${1:-}"
shift || true
case "$kind" in
  peers)  src=fixtures/peer;   inputs=(fixtures/peer fixtures/rep); binname=qtro-peer ;;
  qtapps) src=fixtures/qtapps; inputs=(fixtures/qtapps);            binname=qtro-qtapp ;;
  *) echo "build-qt: usage: ci/build-qt.sh peers|qtapps [5|6]..." >&2; exit 2 ;;
esac
out="$root/build/$kind"
mkdir -p "$out"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(5 6)

for tool in cmake g++ pkg-config sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "build-qt $kind: $tool not found (run ci/setup.sh)" >&2; exit 1; }
done

# One builder at a time; others wait (bounded) and then see a fresh stamp.
exec 9>"$out/.lock"
flock -w 900 9 || { echo "build-qt $kind: timed out waiting for $out/.lock" >&2; exit 1; }

inputs_hash() {
  local major="$1"
  {
    echo "major=$major"
    # Sources and test objects, by content.
    (cd "$root" && find "${inputs[@]}" -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.rep' -o -name CMakeLists.txt \) -print0 \
      | sort -z | xargs -0 sha256sum)
    sha256sum "$root/ci/build-qt.sh"
    # Toolchain and Qt versions: a package upgrade must rebuild.
    pkg-config --modversion "Qt${major}RemoteObjects" 2>/dev/null || echo "no Qt${major}RemoteObjects"
    pkg-config --modversion "Qt${major}Core" 2>/dev/null || echo "no Qt${major}Core"
    g++ --version | head -n1
    cmake --version | head -n1
  } | sha256sum | cut -d' ' -f1
}

for major in "${majors[@]}"; do
  case "$major" in 5|6) ;; *) echo "build-qt $kind: unknown Qt major '$major' (5 or 6)" >&2; exit 2 ;; esac
  bin="$out/qt$major/$binname"
  stamp="$out/qt$major/.stamp"
  want="$(inputs_hash "$major")"
  if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "qt$major $bin"
    continue
  fi
  bdir="$out/qt$major-build"
  log="$out/qt$major-build.log"
  echo "build-qt $kind: building Qt $major $binname (log: $log)" >&2
  if ! { cmake -S "$root/$src" -B "$bdir" -DQTRO_QT_MAJOR="$major" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         && cmake --build "$bdir" -j "$(nproc)"; } >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "build-qt $kind: Qt $major build failed (full log: $log)" >&2
    exit 1
  fi
  mkdir -p "$out/qt$major"
  cp "$bdir/$binname" "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$stamp"
  echo "qt$major $bin"
done
