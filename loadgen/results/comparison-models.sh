#!/usr/bin/env bash
# comparison-models.sh: the run behind comparison-<date>-models-N.json/.md — the item-model rows of qtro
# loadgen compare (issue 18 item 7): the Go node (qtro loadgen model-peer) vs real Qt 6 and Qt 5
# (fixtures/qtapps' qtro-qtapp --model-load-*), each a model host process and a model replica process,
# in one run, side by side as ratios.
#
# Usage (from the repository root): loadgen/results/comparison-models.sh [N]
# Needs Go and Qt 5/6 (ci/setup.sh); builds qtro-qtapp with ci/build-qtapps.sh. Takes about 3 minutes.
# Every cell records the CPU other processes used meanwhile: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=out/loadgen/qtro
mkdir -p out/loadgen
go build -o "$bin" ./cmd/qtro
./ci/build-qtapps.sh 5 6 >/dev/null
nice -n 5 "$bin" loadgen compare --targets go,qt6,qt5 \
  --workloads model-first100,model-insert-10k,model-changes,model-hostile --duration 2s --no-reference --no-loadgen-rows \
  --out loadgen/results --name "comparison-$(date -u +%Y-%m-%d)-models${1:+-$1}" --log out/loadgen/comparison-models.log
