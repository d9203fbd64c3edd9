#!/usr/bin/env bash
# test.sh is the one command that runs every qtro test, exactly as CI does.
# It installs what the tests need (ci/setup.sh: Debian's Qt 5.15 and Qt 6.4,
# repc, PyQt, tcpdump, the Go modules), builds the real Qt peers and the
# FROM-scratch container images, then runs vet, staticcheck, the race-enabled
# test suite (codec, node, conformance against the Go node, interop in
# containers), the conformance matrix against the Go node and every Qt
# version (5.15, 6.4, and the newer ones of ci/qt-versions.tsv, built in
# debootstrap roots), and a short fuzz pass. Reports land in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESTCONTAINERS_RYUK_DISABLED=true
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step setup
./ci/setup.sh
# The newer Qt versions (ci/qt-versions.tsv: Qt 6.8, the newest) come from debootstrap roots,
# 2-3 minutes each when cold: they build in the background while the machine's Qt peers,
# vet and staticcheck run, and are waited for before anything uses them.
mkdir -p out/ci
suites=$(grep -v '^\s*#' ci/qt-versions.tsv | awk 'NF {print $1}' | xargs)
step "build the newer Qt peers in the background: $suites (log: out/ci/newer-qt.log)"
( start_roots=$(date +%s); ./ci/build-peers.sh $suites && echo "newer Qt peers ready in $(( $(date +%s) - start_roots ))s" ) >out/ci/newer-qt.log 2>&1 &
roots_pid=$!

step "build the Qt peers and the Qt programs with classes of their own"
./ci/build-peers.sh
./ci/build-qtapps.sh
step "go mod tidy, gofmt, cross-builds (windows, darwin)"
go mod tidy -diff
unformatted=$(gofmt -l $(git ls-files '*.go'))
[ -z "$unformatted" ] || { echo "gofmt: $unformatted"; exit 1; }
for os in windows darwin; do GOOS=$os GOARCH=amd64 go vet ./... ; done

step "go vet"
go vet ./...
step staticcheck
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

step "wait for the newer Qt peers"
wait $roots_pid || { cat out/ci/newer-qt.log; echo "test: building the newer Qt peers failed"; exit 1; }
tail -n 3 out/ci/newer-qt.log
if docker info >/dev/null 2>&1; then
  step "build the container images"
  ./ci/build-images.sh peer-qt5 peer-qt6 $(printf 'peer-%s ' $suites) qtro
else
  echo "test: Docker is not available: interop runs the peers as native processes (and says so)"
fi

step "go test -race"
QTRO_TARGET=go6 QTRO_OUT="$PWD/out/conformance/go-qt6" go test -race -count=1 -timeout 30m ./...

step "conformance matrix: go5 qt5 qt6 $(printf 'qt@%s ' $suites)(go6 ran in go test)"
go run ./cmd/qtro conformance --target "go5,qt5,qt6$(printf ',qt@%s' $suites)" --with out/conformance/go-qt6/results.json --out out/conformance --expect-failures ci/expected-failures.txt

step "qtro fuzz, host and replica roles: the Go node must survive every input; Qt 5/6 must crash (known, reported: out/fuzz)"
go run ./cmd/qtro fuzz --target go --duration "${QTRO_FUZZ_TIME:-30s}" --out out/fuzz/go
# Both roles against Qt; no minimising there (its crashes' minimised reproducers are committed in
# fixtures/crashes, and minimising a replica crash costs minutes): CI checks they are still found.
go run ./cmd/qtro fuzz --target qt5,qt6 --duration "${QTRO_FUZZ_TIME:-30s}" --no-minimize --expect crashed --out out/fuzz/qt

step "short fuzz"
./ci/fuzz.sh "${FUZZTIME:-5s}"

[ -f out/interop/MODE ] && { step "interop mode"; cat out/interop/MODE; }
step "done"
