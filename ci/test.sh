#!/usr/bin/env bash
# test.sh is the one command that runs every qtro test, exactly as CI does.
# It installs what the tests need first (ci/setup.sh), builds the real Qt peers,
# then runs vet, staticcheck, the race-enabled test suite and a short fuzz pass.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
./ci/setup.sh

echo "== go vet"
go vet ./...
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== go test -race"
go test -race -count=1 -timeout 20m ./...
echo "== short fuzz"
./ci/fuzz.sh "${FUZZTIME:-5s}"
