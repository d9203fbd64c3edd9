#!/usr/bin/env bash
# build-qt.sh builds one of the project's real Qt programs against the machine's Qt 5 and Qt 6
# (Debian bookworm's 5.15 and 6.4), and, when asked, against the Qt 6 of another Debian suite
# (a row of ci/qt-versions.tsv: trixie for Qt 6.8, sid for the newest):
#
#   peers    fixtures/peer   -> build/peers/<which>/qtro-peer    the qtro adapter of specs/ADAPTER.md
#   qtapps   fixtures/qtapps -> build/qtapps/<which>/qtro-qtapp  a Qt host with classes of its own
#
# <which> is qt5, qt6 or the suite's name. A suite's program is compiled inside its debootstrap
# root (ci/build-qtroot.sh) and installed as <binary>.bin beside a <binary> wrapper that runs it
# with that root's dynamic loader and libraries, so it runs natively, as any other process, with
# the suite's Qt; the file QT_VERSION beside it holds that Qt's version.
#
# A build is skipped when a content-hash stamp says nothing changed (sources, .rep files, this
# script, the Qt/compiler/cmake versions or the root's stamp). Concurrent callers (parallel go
# test packages) are serialised with flock. Usage: ci/build-qt.sh peers|qtapps [5|6|SUITE]...
# (default: 5 and 6). Prints one line per binary: "<which> <absolute path>". Needs the packages
# ci/setup.sh installs (and, for a suite, root privileges to chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
kind="${1:-}"
shift || true
case "$kind" in
  peers)  src=fixtures/peer;   inputs=(fixtures/peer fixtures/rep); binname=qtro-peer ;;
  qtapps) src=fixtures/qtapps; inputs=(fixtures/qtapps);            binname=qtro-qtapp ;;
  *) echo "build-qt: usage: ci/build-qt.sh peers|qtapps [5|6|SUITE]..." >&2; exit 2 ;;
esac
out="$root/build/$kind"
mkdir -p "$out"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(5 6)

for tool in cmake g++ pkg-config sha256sum flock; do
  command -v "$tool" >/dev/null || { echo "build-qt $kind: $tool not found (run ci/setup.sh)" >&2; exit 1; }
done

# One builder of each binary at a time; others wait (bounded) and then see a fresh stamp. The
# lock is per binary, so a suite's slow first build does not hold up the Qt 5 and Qt 6 ones.
lock() {
  exec 9>"$out/.lock-$1"
  flock -w 1200 9 || { echo "build-qt $kind: timed out waiting for $out/.lock-$1" >&2; exit 1; }
}

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

# build_in_root SUITE builds $binname against the Qt of a ci/qt-versions.tsv suite, inside its root.
build_in_root() {
  local suite="$1" line r ver want dir bin stamp log libdirs SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  line="$(bash "$root/ci/build-qtroot.sh" "$suite")" || exit 1
  r="${line##* }"; ver="$(cat "$r/.qtro-qt-version")"
  dir="$out/$suite"; bin="$dir/$binname"; stamp="$dir/.stamp"
  want="$( { inputs_hash 6 | sed 's/^/host /'; echo "$ver $r"; } | sha256sum | cut -d' ' -f1)"
  if [ -x "$bin.bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$suite $bin"
    return
  fi
  log="$out/$suite-build.log"
  echo "build-qt $kind: building $binname against Qt $ver in the $suite root (log: $log)" >&2
  # Checkouts share the cached root: one build in it at a time.
  exec 7>"$r.build.lock"
  flock -w 1200 7 || { echo "build-qt $kind: timed out waiting for $r.build.lock" >&2; exit 1; }
  # The sources are copied in (the root sees only itself), keeping their relative layout.
  $SUDO rm -rf "$r/qtro-src/$kind" "$r/qtro-build/$kind"
  $SUDO mkdir -p "$r/qtro-src/$kind"
  (cd "$root" && $SUDO cp -a --parents "${inputs[@]}" "$r/qtro-src/$kind/")
  if ! { $SUDO chroot "$r" cmake -S "/qtro-src/$kind/$src" -B "/qtro-build/$kind" -DQTRO_QT_MAJOR=6 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         && $SUDO chroot "$r" cmake --build "/qtro-build/$kind" -j "$(nproc)"; } >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "build-qt $kind: the $suite build failed (full log: $log)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  cp "$r/qtro-build/$kind/$binname" "$bin.bin.tmp" && mv -f "$bin.bin.tmp" "$bin.bin"
  # The directories the root's own ldd resolves the binary's libraries from, then the default ones.
  libdirs="$($SUDO chroot "$r" ldd "/qtro-build/$kind/$binname" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
    | xargs -n1 dirname | sort -u | sed "s|^|$r|" | paste -sd: -)"
  libdirs="$libdirs:$r/usr/lib/x86_64-linux-gnu:$r/lib/x86_64-linux-gnu"
  cat >"$bin.tmp" <<WRAP
#!/bin/sh
# $binname built against Qt $ver (Debian $suite) in $r by ci/build-qt.sh:
# run with that root's dynamic loader and libraries, and its Qt plugins (the TLS backend of
# QSslSocket is one: the machine's own Qt plugins are of another Qt version).
QT_PLUGIN_PATH="\${QT_PLUGIN_PATH:-$r/usr/lib/x86_64-linux-gnu/qt6/plugins}" \\
  exec "$r/lib64/ld-linux-x86-64.so.2" --library-path "$libdirs" "$bin.bin" "\$@"
WRAP
  chmod +x "$bin.tmp" && mv -f "$bin.tmp" "$bin"
  echo "$ver" >"$dir/QT_VERSION"
  echo "$suite" >"$dir/SUITE"
  echo "$r" >"$dir/ROOT"
  echo "$libdirs" >"$dir/LIBPATH"
  echo "$want" >"$stamp"
  echo "$suite $bin"
}

for major in "${majors[@]}"; do
  lock "$major"
  case "$major" in
    5|6) ;;
    *)
      if grep -qE "^${major}[[:space:]]" "$root/ci/qt-versions.tsv"; then
        build_in_root "$major"
        continue
      fi
      echo "build-qt $kind: unknown Qt '$major' (5, 6 or a suite of ci/qt-versions.tsv)" >&2; exit 2 ;;
  esac
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
