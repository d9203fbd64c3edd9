#!/usr/bin/env bash
# test.sh is the one command that runs every qtro test, exactly as CI does.
# It installs what the tests need (ci/setup.sh: Debian's Qt 5.15 and Qt 6.4,
# repc, PyQt, tcpdump, the Go modules), builds the real Qt peers and the
# FROM-scratch container images, then runs vet, staticcheck, the race-enabled
# test suite (codec, node, conformance against the Go node, interop in
# containers), the conformance matrix against the Go node and both Qt
# versions, and a short fuzz pass. Reports land in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step setup
./ci/setup.sh
step "build the Qt peers and the Qt programs with classes of their own"
./ci/build-peers.sh
./ci/build-qtapps.sh
if docker info >/dev/null 2>&1; then
  step "build the container images"
  ./ci/build-images.sh
else
  echo "test: Docker is not available: interop runs the peers as native processes (and says so)"
fi

step "go vet"
go vet ./...
step staticcheck
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

step "go test -race"
QTRO_TARGET=go6 QTRO_OUT="$PWD/out/conformance/go-qt6" go test -race -count=1 -timeout 30m ./...

step "conformance matrix: go5 qt5 qt6 (go6 ran in go test)"
go run ./cmd/qtro conformance --target go5,qt5,qt6 --with out/conformance/go-qt6/results.json --out out/conformance

step "short fuzz"
./ci/fuzz.sh "${FUZZTIME:-5s}"

[ -f out/interop/MODE ] && { step "interop mode"; cat out/interop/MODE; }
step "done"
