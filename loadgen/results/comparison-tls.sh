#!/usr/bin/env bash
# comparison-tls.sh: the run behind comparison-<date>-tls[-N].json/.md — the transport rows of qtro loadgen
# compare (issue 14 item 5): the Go node vs the real Qt 6 peer, each a host process and a node process behind
# the adapter contract, over tcp://, tls+tcp://, ws:// and wss:// in one run, each transport row set against its
# tcp:// row (the cost of encryption per change and per replica), plus loadgen's own Go replicas over tls+tcp.
# The certificates are a throwaway CA made for the run (impl/transport/pki), in a temporary directory.
#
# Usage (from the repository root): loadgen/results/comparison-tls.sh [N]
# Needs Go and Qt 6 (ci/setup.sh); builds the Qt 6 peer with ci/build-peers.sh 6. Takes about 3 minutes.
# Every cell records the CPU other processes used meanwhile: run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=out/loadgen/qtro
mkdir -p out/loadgen
go build -o "$bin" ./cmd/qtro
./ci/build-peers.sh 6 >/dev/null
nice -n 5 "$bin" loadgen compare --targets go,qt6 \
  --workloads props-b1,props-b1-tls,signals-b1,signals-b1-tls,signals-latency,signals-latency-tls,props-b1-ws,props-b1-wss,replicas-1k,replicas-1k-tls,replicas-1k-wss,props-b1-loadgen,props-b1-loadgen-tls,replicas-1k-loadgen,replicas-1k-loadgen-tls \
  --duration 3s --no-reference \
  --out loadgen/results --name "comparison-$(date -u +%Y-%m-%d)-tls${1:+-$1}" --log out/loadgen/comparison-tls.log
