#!/usr/bin/env bash
# loadgen-compose.sh runs a sharded qtro loadgen run in containers
# (docker/compose/loadgen.yaml): a Go host container (loadgen's host mode,
# shard 0) and 3 replica shard containers on a project network, all starting
# the load at one wall-clock time, then a merge container that merges the
# shard summaries exactly and applies the thresholds. Uses `docker compose`
# or `docker-compose`, whichever is installed; builds the qtro/qtro image
# first (ci/build-images.sh qtro: cached, about a second when nothing changed).
#
# Usage: ci/loadgen-compose.sh [RESULTS_DIR]   (default out/loadgen/compose)
# Environment: LG_REPLICAS (per run, default 300), LG_RATE (changes/s, 200),
#   LG_DURATION (10s), LG_P99 (threshold, 500ms), LG_MAX_DROPPED (threshold, 0: the
#   host shard kept the schedule), QTRO_LG_SKIP_BUILD=1 (use the
#   existing image), QTRO_LG_LEAD (seconds until the shared start, 12).
# Exit status: the merge's (0 pass, 99 a threshold failed), 1 on errors.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results=${1:-$root/out/loadgen/compose}
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results"/shard-*.json "$results"/merged.*

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  echo "loadgen-compose: neither 'docker compose' nor 'docker-compose' is installed" >&2
  exit 1
fi
docker info >/dev/null 2>&1 || { echo "loadgen-compose: Docker Engine not reachable" >&2; exit 1; }

start=$(date +%s)
if [ "${QTRO_LG_SKIP_BUILD:-}" != 1 ]; then
  QTRO_IMAGES_QUIET=1 ci/build-images.sh qtro >&2
fi

project="qtro-loadgen-$$"
export COMPOSE_PROJECT_NAME=$project
export QTRO_LG_RESULTS=$results
export LG_SHARDS=4
# The shared start: far enough ahead for every container to start and connect.
export START_AT=$(date -u -d "+${QTRO_LG_LEAD:-12} seconds" +%Y-%m-%dT%H:%M:%SZ)
file=docker/compose/loadgen.yaml
dc() { "${compose[@]}" -f "$file" -p "$project" "$@"; }
cleanup() { dc down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "loadgen-compose: ${compose[*]}, project $project, start at $START_AT, results in $results" >&2
# Host and shards; up returns when they have all exited.
dc up --no-color target shard-1 shard-2 shard-3 >&2
failed=0
for svc in target shard-1 shard-2 shard-3; do
  id=$(dc ps -q "$svc")
  code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
  if [ "$code" != 0 ] && [ "$code" != 99 ]; then
    echo "loadgen-compose: $svc exited with $code" >&2
    failed=1
  fi
done
[ $failed = 0 ] || exit 1
# The merge decides: its thresholds on the merged result.
set +e
dc run --rm --no-deps merge
code=$?
set -e
echo "loadgen-compose: merged $results/merged.json, report $results/merged.html ($(( $(date +%s) - start ))s)" >&2
exit $code
