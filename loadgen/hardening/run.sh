#!/usr/bin/env bash
# Builds what the hardening run needs and runs it (Go host vs Qt 6 host, all scenarios).
# Extra arguments go to the program, e.g.: loadgen/hardening/run.sh -scenarios slowloris -v
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v prlimit >/dev/null || { echo "prlimit (util-linux) is needed for the fdexhaust scenario" >&2; exit 1; }
go build -o build/qtro ./cmd/qtro
if [ ! -x build/peers/qt6/qtro-peer ]; then
	ci/build-peers.sh 6
fi
exec go run ./loadgen/hardening -target go,qt6 -scenarios all "$@"
