#!/usr/bin/env bash
# build-qtroot.sh SUITE... makes build/qtroots/SUITE: a minimal Debian root (debootstrap
# --variant=minbase, from Debian's package registry, no container registry) with the Qt 6
# development packages, the compiler and cmake, in which ci/build-qt.sh builds our Qt programs
# against that suite's Qt. The suites are the rows of ci/qt-versions.tsv (default: all of them).
#
# Roots are cached by content outside the checkout, so every clone on the machine shares them:
# $QTRO_CACHE (default ~/.cache/qtro)/qtroots/SUITE-KEY, KEY a hash of the suite, the mirror, the
# package list and the recipe version below; build/qtroots/SUITE links to it. A cached root costs a
# second; a cold one 1-3 minutes (debootstrap about 30 s, the Qt packages about a minute). Each
# root records its Qt version in .qtro-qt-version. Prints one line per root: "SUITE QTVERSION
# ROOTDIR". Needs root privileges (sudo otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
mirror="${QTRO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
pkgs=(qt6-base-dev qt6-remoteobjects-dev libqt6remoteobjects6-bin qt6-websockets-dev cmake g++ make pkg-config)
recipe=2 # bump when the way a root is made changes
cache="${QTRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qtro}/qtroots"

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  mapfile -t suites < <(grep -v '^\s*#' ci/qt-versions.tsv | awk 'NF {print $1}')
fi

want_hash() {
  { echo "suite=$1"; echo "mirror=$mirror"; echo "${pkgs[*]}"; echo "recipe=$recipe"; } | sha256sum | cut -c1-12
}

mkdir -p build/qtroots "$cache"
# link points build/qtroots/SUITE at the cached root (replacing a root an older script made there).
link() {
  local at="$repo/build/qtroots/$2"
  [ -L "$at" ] || $SUDO rm -rf "$at"
  ln -sfn "$1" "$at"
}
# A go.mod makes the roots a module of their own, which `go ... ./...` in the checkout skips:
# without it the go command walks every root (1.3 GB, and /proc entries it may not read).
[ -f build/qtroots/go.mod ] || printf 'module qtroots\n\n// Debian roots made by ci/build-qtroot.sh: not Go code.\n' >build/qtroots/go.mod
for suite in "${suites[@]}"; do
  grep -qE "^${suite}[[:space:]]" ci/qt-versions.tsv || { echo "build-qtroot: $suite is not a row of ci/qt-versions.tsv" >&2; exit 2; }
  want="$(want_hash "$suite")"
  r="$cache/$suite-$want"
  stamp="$r.done"
  exec 8>"$r.lock"
  flock -w 1200 8 || { echo "build-qtroot: timed out waiting for $r.lock" >&2; exit 1; }
  if [ -f "$stamp" ] && [ -s "$r/.qtro-qt-version" ]; then
    link "$r" "$suite"
    echo "$suite $(cat "$r/.qtro-qt-version") $r"
    continue
  fi
  command -v debootstrap >/dev/null || {
    echo "build-qtroot: installing debootstrap" >&2
    $SUDO apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 \
      || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  }
  log="$r.log"
  echo "build-qtroot: building the $suite root (log: $log)" >&2
  $SUDO rm -rf "$r" "$stamp"
  # The registry may serve a snapshot whose Release files have passed their Valid-Until (sid's
  # do after a week): apt refuses them unless told, and the root would silently have no Qt.
  if ! {
    $SUDO debootstrap --variant=minbase "$suite" "$r" "$mirror" \
    && $SUDO cp /etc/resolv.conf "$r/etc/resolv.conf" \
    && $SUDO chroot "$r" apt-get -o Acquire::Check-Valid-Until=false update -qq \
    && $SUDO chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
    && $SUDO chroot "$r" apt-get clean
  } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "build-qtroot: the $suite root failed (full log: $log)" >&2
    exit 1
  fi
  ver="$($SUDO chroot "$r" dpkg-query -W -f='${Version}' libqt6remoteobjects6 | sed -E 's/^[0-9]+://; s/[-+~].*//')"
  [ -n "$ver" ] || { echo "build-qtroot: no libqt6remoteobjects6 in the $suite root" >&2; exit 1; }
  echo "$ver" | $SUDO tee "$r/.qtro-qt-version" >/dev/null
  date -u +%FT%TZ >"$stamp"
  link "$r" "$suite"
  echo "$suite $ver $r"
done
