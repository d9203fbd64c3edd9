#!/usr/bin/env bash
# go-baseline.sh: the runs behind go-baseline.json — Go host → Go replicas on
# loopback, on whatever machine this runs on. Every summary (with its
# lossless histograms and per-second series) lands in out/loadgen/baseline/;
# go-baseline.json condenses them (each row keeps the exact command).
#
# Usage (from the repository root): loadgen/results/go-baseline.sh
# Needs only Go. Takes about 6 minutes. Run it on a quiet machine: every
# summary records the CPU other processes used meanwhile and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=out/loadgen/qtro
dir=out/loadgen/baseline
mkdir -p "$dir"
rm -f "$dir"/*.json "$dir"/*.html
go build -o "$bin" ./cmd/qtro
# A failed threshold (exit 99) is a result, not an error of the script.
run() { "$bin" loadgen run --quiet --out "$dir" "$@" | sed -n '1,/^summary:/p'; }

# 1:1 property changes, capacity (closed model), B=1 and B=100, each with the
# raw framed-socket reference of the same frames.
run --name props-1to1-b1-closed --topology one --workload props --model closed --inflight 256 --duration 10s --reference
run --name props-1to1-b100-closed --topology one --workload props --batch 100 --model closed --inflight 64 --duration 10s --reference
# 1:1 property changes at rising open-model rates: where does p99 break?
run --name props-1to1-b1-steps --topology one --workload props --rate 'steps:5k,10k,20k,40k,80k/3s' --duration 15s
run --name props-1to1-b100-steps --topology one --workload props --batch 100 --rate 'steps:50k,100k,200k,400k,800k/3s' --duration 15s
# Signals 1:1 (one-way latency from the intended send time), and echo slot
# round trips (one call in flight; then 16 for throughput).
run --name signals-1to1-open --topology one --workload signals --rate 10k --duration 10s
run --name signals-1to1-b1-closed --topology one --workload signals --model closed --inflight 256 --duration 10s --reference
run --name signals-1to1-b100-closed --topology one --workload signals --batch 100 --model closed --inflight 64 --duration 10s --reference
run --name echo-1to1-closed-1 --topology one --workload echo --model closed --inflight 1 --duration 10s --reference
run --name echo-1to1-closed-16 --topology one --workload echo --model closed --inflight 16 --duration 10s --reference
# Replica init time: 1,000 at once in one process; 10,000 at once split in
# two processes (host | replicas: 20,000 descriptors do not fit one process).
run --name storm-1k --topology storm --replicas 1000 --duration 2s
run --name storm-10k --topology storm --replicas 10000 --duration 2s --connect-timeout 120s --procs 2
# Fan-out: the demo's mesh at a sustainable rate, and 10,000 replicas.
run --name fanout-1k-props --topology fanout --replicas 1000 --workload props --rate 100 --duration 10s --capacity
run --name fanout-10k-props --topology fanout --replicas 10000 --workload props --rate 10 --duration 10s --connect-timeout 120s --procs 2

# Heartbeats: 2,000 replicas pinging every 250 ms, then every 1 s, light signal load.
run --name heartbeat-2k-250ms --topology heartbeat --replicas 2000 --heartbeat 250ms --workload signals --rate 10 --duration 10s || true
run --name heartbeat-2k-1s --topology heartbeat --replicas 2000 --heartbeat 1s --workload signals --rate 10 --duration 10s || true

"$bin" loadgen table -o loadgen/results/go-baseline.json "$dir"/*.json
echo "wrote loadgen/results/go-baseline.json"
