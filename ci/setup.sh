#!/usr/bin/env bash
# setup.sh installs everything qtro's tests need on a fresh Debian bookworm machine:
# Debian's Qt 5.15 / Qt 6.4 packages (with repc, moc, PyQt), tcpdump, and the Go modules.
# It is idempotent and fast when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(qt6-base-dev qt6-remoteobjects-dev libqt6remoteobjects6-bin
      qtbase5-dev libqt5remoteobjects5-dev libqt5remoteobjects5-bin
      qt6-websockets-dev libqt5websockets5-dev
      cmake g++ pkg-config python3-pyqt5.qtremoteobjects python3-pyqt6.qtremoteobjects
      tcpdump)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
go mod download
