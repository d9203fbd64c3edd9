#!/usr/bin/env bash
# build-images.sh builds every qtro Docker image FROM scratch, with no base image
# pulled (there is no registry): each image is a directory tree staged from files on
# this machine (docker/stage-rootfs.sh), written as a deterministic tar and loaded
# with `docker import`.
#
#   qtro/peer-qt5, qtro/peer-qt6  the real Qt peer (build/peers/qt{5,6}/qtro-peer,
#                                 built first by ci/build-peers.sh), every shared
#                                 library ldd reports, the dynamic loader, a /tmp
#   qtro/peer-SUITE               the peer built in the Debian root of a ci/qt-versions.tsv suite
#                                 (ci/build-peers.sh SUITE first): its libraries and loader from
#                                 that root, at their paths inside it
#   qtro/qtro                     the static Go binary cmd/qtro (CGO_ENABLED=0), a /tmp
#
# Every image is tagged :latest and :c-<inputs hash>. The hash covers the binary's
# content, the size and mtime of every system file staged, the staging script and
# the image config; when an image with that hash exists nothing is staged or
# imported, so a rebuild with nothing changed costs a hash of the binary and a few
# docker calls (well under a second on a quiet machine). Labels record the inputs
# hash and the content hash of the imported tar.
#
# Usage: ci/build-images.sh [image ...]      (default: peer-qt5 peer-qt6 qtro)
# Environment:
#   QTRO_QT5_PEER, QTRO_QT6_PEER  use this peer binary instead of build/peers/qt{5,6}/qtro-peer
#                                 (and do not run ci/build-peers.sh for it)
#   QTRO_IMAGE_PREFIX             repository prefix, default "qtro/"
#   QTRO_IMAGES_QUIET=1           print only the summary lines
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
prefix="${QTRO_IMAGE_PREFIX:-qtro/}"
stage_base="$root/build/images"
mkdir -p "$stage_base"

log() { [ "${QTRO_IMAGES_QUIET:-}" = 1 ] || echo "build-images: $*" >&2; }
die() { echo "build-images: error: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
# One build at a time: go test runs packages in parallel and several may call us.
exec 9>"$stage_base/.lock"
flock 9
docker info >/dev/null 2>&1 || die "Docker Engine not reachable (docker info failed)"

images=("$@")
[ ${#images[@]} -gt 0 ] || images=(peer-qt5 peer-qt6 qtro)

# Build the peers once, first, unless every requested peer image has an override.
need_peers=0
for img in "${images[@]}"; do
  case "$img" in
    peer-qt5) [ -n "${QTRO_QT5_PEER:-}" ] || need_peers=1 ;;
    peer-qt6) [ -n "${QTRO_QT6_PEER:-}" ] || need_peers=1 ;;
  esac
done
if [ $need_peers = 1 ]; then
  if [ -f ci/build-peers.sh ]; then
    log "running ci/build-peers.sh"
    bash ci/build-peers.sh >&2 || die "ci/build-peers.sh failed"
  else
    log "ci/build-peers.sh not found; using existing build/peers/*/qtro-peer"
  fi
fi

# peer_binary prints the peer binary for Qt major version $1.
peer_binary() {
  local v=$1 var="QTRO_QT$1_PEER"
  if [ -n "${!var:-}" ]; then
    [ -x "${!var}" ] || die "$var=${!var} is not an executable file"
    echo "${!var}"
    return
  fi
  local bin="$root/build/peers/qt$v/qtro-peer"
  [ -x "$bin" ] || die "no Qt$v peer at $bin (run ci/build-peers.sh or set $var)"
  echo "$bin"
}

# build_image NAME BINARY DEST CONFIG... makes image $prefix$NAME holding BINARY at
# DEST, with the Dockerfile-style CONFIG lines. The cache key hashes the inputs:
# the binary's content, the size and mtime of every system file staged (a package
# upgrade changes them), the staging script and the config. When an image tagged
# with that key exists, nothing is staged or imported.
build_image() {
  local name=$1 bin=$2 dest=$3; shift 3
  local changes=("$@") repo="$prefix$name"
  local key
  key=$( {
    sha256sum <"$bin"
    docker/stage-rootfs.sh --inputs "$bin" | tail -n +2 | xargs -r -d '\n' stat -L -c '%n %s %Y'
    sha256sum <docker/stage-rootfs.sh
    echo "$dest"
    printf '%s\n' "${changes[@]}"
  } | sha256sum | cut -c1-16)
  local tag="$repo:c-$key" status=cached
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    status=built
    local rootfs="$stage_base/$name/rootfs" tarfile="$stage_base/$name.tar"
    docker/stage-rootfs.sh "$rootfs" "$bin" "$dest"
    # Deterministic tar: sorted names, fixed mtime and owners.
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
      -C "$rootfs" -cf "$tarfile" .
    local content
    content=$(sha256sum <"$tarfile" | cut -c1-16)
    local args=()
    for c in "${changes[@]}"; do args+=(--change "$c"); done
    args+=(--change "LABEL org.qtro.inputs-hash=$key" --change "LABEL org.qtro.content-hash=$content")
    docker import "${args[@]}" -m "qtro $name $key" "$tarfile" "$tag" >/dev/null
    rm -rf "$tarfile" "$rootfs"
  fi
  docker tag "$tag" "$repo:latest"
  # Drop the tags of earlier builds (an image still used by a container stays;
  # rmi refuses it).
  docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep ":c-" | grep -v ":c-$key\$" |
    xargs -r docker rmi >/dev/null 2>&1 || true
  local size
  size=$(docker image inspect -f '{{.Size}}' "$tag")
  printf 'build-images: %-16s %-7s %s  %d MB\n' "$repo" "$status" "$tag" $((size / 1000000))
}

for img in "${images[@]}"; do
  case "$img" in
    peer-qt5|peer-qt6)
      v=${img#peer-qt}
      build_image "$img" "$(peer_binary "$v")" /usr/local/bin/qtro-peer \
        'ENV TMPDIR=/tmp' 'ENV LANG=C.UTF-8' \
        'ENTRYPOINT ["/usr/local/bin/qtro-peer"]' \
        "LABEL org.qtro.peer=qt$v"
      ;;
    qtro)
      log "building cmd/qtro (static, CGO_ENABLED=0)"
      mkdir -p "$stage_base/bin"
      CGO_ENABLED=0 go build -trimpath -ldflags=-buildid= -o "$stage_base/bin/qtro" ./cmd/qtro
      build_image qtro "$stage_base/bin/qtro" /usr/local/bin/qtro \
        'ENV TMPDIR=/tmp' \
        'ENTRYPOINT ["/usr/local/bin/qtro"]' \
        'LABEL org.qtro.peer=go'
      ;;
    peer-*)
      suite=${img#peer-}
      grep -qE "^${suite}[[:space:]]" ci/qt-versions.tsv || die "unknown image $img (known: peer-qt5 peer-qt6 peer-SUITE qtro)"
      dir="$root/build/peers/$suite"
      if [ ! -x "$dir/qtro-peer.bin" ]; then
        bash ci/build-peers.sh "$suite" >&2 || die "ci/build-peers.sh $suite failed"
      fi
      QTRO_SYSROOT="$(cat "$dir/ROOT")" QTRO_SYSROOT_LIBPATH="$(cat "$dir/LIBPATH")" \
      build_image "$img" "$dir/qtro-peer.bin" /usr/local/bin/qtro-peer \
        'ENV TMPDIR=/tmp' 'ENV LANG=C.UTF-8' \
        'ENTRYPOINT ["/usr/local/bin/qtro-peer"]' \
        "LABEL org.qtro.peer=qt@$(cat "$dir/QT_VERSION")" "LABEL org.qtro.debian-suite=$suite"
      ;;
    *) die "unknown image $img (known: peer-qt5 peer-qt6 peer-SUITE qtro)" ;;
  esac
done
