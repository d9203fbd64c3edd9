#!/usr/bin/env bash
# comparison.sh: the run behind comparison-<date>.json/.md — the Go node, the
# real Qt 6 and Qt 5 peers, each as a host process and a node process behind
# the adapter contract, through the same workloads in one run, side by side as
# ratios, with loadgen's raw framed-socket reference (the physical limit).
#
# Usage (from the repository root): loadgen/results/comparison.sh
# Needs Go, and the Qt peers (ci/build-peers.sh builds them; ci/setup.sh
# installs Qt). Takes about 4 minutes. Every cell records the CPU other
# processes used meanwhile: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=out/loadgen/qtro
mkdir -p out/loadgen
go build -o "$bin" ./cmd/qtro
./ci/build-peers.sh >/dev/null
"$bin" loadgen compare --targets go,qt6,qt5 --duration 3s --out loadgen/results \
  --name "comparison-$(date -u +%Y-%m-%d)" --log out/loadgen/comparison-adapters.log
