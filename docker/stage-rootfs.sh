#!/usr/bin/env bash
# stage-rootfs.sh ROOTFS BINARY DEST stages a minimal root file system for a FROM
# scratch image: BINARY copied to ROOTFS/DEST, every shared library `ldd` reports for
# it (at the path ldd reports, symlinks resolved), the dynamic loader, an empty
# world-writable /tmp (QLocalServer puts local: sockets in QDir::tempPath()), the
# C.UTF-8 locale (so a Qt 5 peer sees a UTF-8 codec, as it does natively) and
# /usr/share/zoneinfo. A static binary gets just itself, /tmp and /etc stubs.
#
# stage-rootfs.sh --inputs BINARY prints the files staging would read, one per
# line (BINARY first), so a caller can tell whether anything changed without
# staging.
#
# What a console QtCore/QtNetwork/QtRemoteObjects peer does NOT need, checked
# with strace of the peer natively and by running it in the image: no Qt plugins
# (no QGuiApplication, no bearer/TLS use), no qt.conf or qtlogging.ini (optional),
# no ld.so.cache (the loader searches the ldd paths), no gconv modules (Qt uses
# ICU), no NSS modules (glibc >= 2.34 has files/dns built in; Docker supplies
# /etc/hosts and /etc/resolv.conf at run time).
set -euo pipefail

# A peer built in a Debian root of another suite (ci/build-qt.sh SUITE) runs with that root's
# loader and libraries: QTRO_SYSROOT names the root and QTRO_SYSROOT_LIBPATH the library path its
# wrapper uses. Its libraries are then listed by the root's own loader and staged at the paths
# they have inside the root (the root's prefix dropped), with the root's locale and zone data.
sysroot="${QTRO_SYSROOT:-}"

# libs prints the absolute paths ldd reports for $1 (nothing for a static binary).
# Lines are "soname => /path (addr)", "/path (addr)" or "linux-vdso.so.1 (addr)".
libs() {
  local out
  if [ -n "$sysroot" ]; then
    out=$("$sysroot/lib64/ld-linux-x86-64.so.2" --library-path "${QTRO_SYSROOT_LIBPATH:?QTRO_SYSROOT_LIBPATH unset}" --list "$1" 2>&1) || {
      echo "stage-rootfs: the $sysroot loader cannot list $1:" >&2; echo "$out" >&2; exit 1; }
  else
    out=$(ldd "$1" 2>/dev/null) || return 0
  fi
  if grep -q 'not found' <<<"$out"; then
    echo "stage-rootfs: unresolved libraries for $1:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
  fi
  printf '%s\n' "$out" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u
}

# inroot maps a path listed by libs to its path in the image.
inroot() { if [ -n "$sysroot" ]; then echo "${1#"$sysroot"}"; else echo "$1"; fi; }

# dynamic says whether $1 is dynamically linked.
dynamic() { [ -n "$sysroot" ] || ldd "$1" >/dev/null 2>&1; }

data_dirs=("$sysroot/usr/lib/locale/C.utf8" "$sysroot/usr/share/zoneinfo")
[ -z "$sysroot" ] || [ -d "$sysroot/usr/share/zoneinfo" ] || data_dirs[1]=/usr/share/zoneinfo

if [ "${1:-}" = "--inputs" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --inputs BINARY" >&2; exit 2; }
  echo "$2"
  if dynamic "$2"; then
    libs "$2"
    for d in "${data_dirs[@]}"; do
      [ -d "$d" ] && find "$d" -path "$d/right" -prune -o -type f -print | sort
    done
  fi
  exit 0
fi

[ $# -eq 3 ] || { echo "usage: $0 ROOTFS BINARY DEST | --inputs BINARY" >&2; exit 2; }
rootfs=$1 bin=$2 dest=$3

rm -rf "$rootfs"
mkdir -p "$rootfs$(dirname "$dest")" "$rootfs/tmp" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"
chmod 0755 "$rootfs" "$rootfs/etc"
install -m 0755 "$bin" "$rootfs$dest"

# The files Docker bind-mounts over at run time; present so the image has them.
: >"$rootfs/etc/hosts"
: >"$rootfs/etc/resolv.conf"
: >"$rootfs/etc/hostname"

if dynamic "$bin"; then
  # Debug info (RelWithDebInfo peers carry ~7 MB of it) is of no use in a
  # scratch image; the symbol table stays, so backtraces keep function names.
  # (Static Go binaries are left alone.)
  if command -v strip >/dev/null; then
    strip --strip-debug "$rootfs$dest"
  fi
  while read -r path; do
    [ -e "$path" ] || { echo "stage-rootfs: $bin needs $path, which is missing" >&2; exit 1; }
    to="$(inroot "$path")"
    mkdir -p "$rootfs$(dirname "$to")"
    cp -L "$path" "$rootfs$to"
  done < <(libs "$bin")
  if [ -d "${data_dirs[0]}" ]; then
    mkdir -p "$rootfs/usr/lib/locale"
    cp -r "${data_dirs[0]}" "$rootfs/usr/lib/locale/"
  fi
  # The time zone database (2 MB without the leap-second "right/" copy): TZ=UTC
  # reads zoneinfo/UTC natively, and a QDateTime with a Qt::TimeZone spec is
  # deserialized by IANA id, which QTimeZone looks up here.
  if [ -d "${data_dirs[1]}" ]; then
    mkdir -p "$rootfs/usr/share/zoneinfo"
    tar -C "${data_dirs[1]}" --exclude=./right -cf - . | tar -C "$rootfs/usr/share/zoneinfo" -xf -
  fi
fi
