#!/usr/bin/env bash
# fuzz.sh runs every go test -fuzz target in the module for a short time each.
# Crashers found are written by the go tool to testdata/fuzz/ and, once committed,
# run as regression tests by plain go test. ci/fuzz-campaign.sh is the long run
# (outside CI); both share ci/lib/fuzz.sh, which also holds the workaround for
# Go 1.26's -fuzztime deadline race (go.dev/issue/75804): a run that only hit
# that race is repeated once.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/lib/fuzz.sh
t="${1:-5s}"

targets=$(fuzz_targets)
[[ -n "$targets" ]] || { echo "fuzz: no Fuzz targets found" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r pkg dir f; do
  echo "fuzz $pkg $f ($t)"
  if ! fuzz_run "$f" "$dir" "$log" go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" "$pkg" </dev/null; then
    echo "fuzz: $f FAILED" >&2
    exit 1
  fi
done <<<"$targets"
