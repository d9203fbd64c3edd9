#!/usr/bin/env bash
# run.sh: the floor of a 10,000-replica storm on this machine, next to the Go
# node in the same run. Four rows, the same byte pattern and two processes
# each: storm.c (one epoll loop per process: the kernel's cost), gofloor (the
# plainest Go: a goroutine per connection), the Go node (qtro adapter
# host + node processes, `qtro loadgen compare` workload replicas-10k), and
# the Go host alone (a fresh qtro adapter host process and loadgen's epoll
# replicas, workload replicas-10k-epoll).
#
# Then the same for one-way latency at 5,000/s: plain Go (golatency) next to
# the comparison's signal-latency row for the Go node, Qt 6 and Qt 5.
#
# Usage (from the repository root): loadgen/cmd/floor/run.sh [ROUNDS]
# loadgen/results/floor/README.md holds its results.
# Needs gcc, Go and the Qt peers (ci/build-peers.sh). Takes about three minutes.
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-3}
out=out/floor
mkdir -p "$out"
gcc -O2 -Wall -Wextra -o "$out/storm" loadgen/cmd/floor/storm.c
go build -o "$out/gofloor" ./loadgen/cmd/floor/gofloor
go build -o "$out/qtro" ./cmd/qtro
echo "# $(date -u +%FT%TZ) $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), git $(git rev-parse --short HEAD)"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
waitready() { # the host prints "ready" once it listens
  for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return; sleep 0.05; done
  echo "host did not start" >&2; exit 1
}
port=$((7400 + RANDOM % 500))
"$out/storm" host tcp 127.0.0.1 "$port" >"$out/c-tcp.log" & pids+=($!)
"$out/storm" host unix /tmp/qtro-floor-c.sock >"$out/c-unix.log" & pids+=($!)
"$out/gofloor" host tcp "127.0.0.1:$((port + 1))" >"$out/go-tcp.log" & pids+=($!)
"$out/gofloor" host unix /tmp/qtro-floor-go.sock >"$out/go-unix.log" & pids+=($!)
for f in c-tcp c-unix go-tcp go-unix; do waitready "$out/$f.log"; done

for r in $(seq "$rounds"); do
  for p in 512 0; do
    echo -n "C     "; "$out/storm" clients tcp 127.0.0.1 "$port" 10000 "$p"; sleep 1
    echo -n "C     "; "$out/storm" clients unix /tmp/qtro-floor-c.sock 10000 "$p"; sleep 1
    echo -n "Go    "; "$out/gofloor" clients tcp "127.0.0.1:$((port + 1))" 10000 "$p"; sleep 1
    echo -n "Go    "; "$out/gofloor" clients unix /tmp/qtro-floor-go.sock 10000 "$p"; sleep 1
  done
  echo -n "node  tcp N=10000 (qtro adapter host + node): "
  "$out/qtro" loadgen compare --targets go --workloads replicas-10k --no-reference --out "$out" --name "node-$r" 2>/dev/null |
    grep '^| replicas-10k | go' | cut -d'|' -f4 | sed 's/^ *//'
  echo -n "host  tcp N=10000 P=512 (qtro adapter host, loadgen's epoll replicas): "
  "$out/qtro" loadgen compare --targets go --workloads replicas-10k-epoll --no-reference --out "$out" --name "host-$r" 2>/dev/null |
    grep '^| replicas-10k-epoll | go' | cut -d'|' -f4 | sed 's/^ *//'
done

# Latency: plain Go's one-way wake-up path at 5,000/s next to the comparison's
# signal-latency row (Go node, Qt 6 and Qt 5 peers) in the same minute.
go build -o "$out/golatency" ./loadgen/cmd/floor/golatency
for r in $(seq "$rounds"); do
  "$out/golatency"
  "$out/qtro" loadgen compare --targets go,qt6,qt5 --workloads signals-latency --no-reference --out "$out" --name "latency-$r" 2>/dev/null |
    grep '^| signals-latency |' | cut -d'|' -f3,4 | sed 's/^ */signals-latency /'
done
