// Package matrix is the Go <-> Qt interop matrix: every pairing of qtro's Go
// reference node (`qtro adapter`) with the real Qt 5 and Qt 6 peers
// (fixtures/peer), as host, replica and registry, over tcp, local and
// localabstract, run in containers (interop/harness, testcontainers-go) or
// natively when Docker is absent (announced, never silent).
//
// A [Cell] is one (scenario, direction, dialect, transport); [Cell.Run] plays
// the same observable script in every cell (initial value, a non-ASCII
// property change, a signal with arguments, slot replies, a write through the
// replica, disableRemoting -> Suspect, enableRemoting -> Valid) through the
// adapter contract (specs/ADAPTER.md, driven by specs/adapter), and returns a
// [Result] per check: pass, fail, or unsupported when an adapter exits 127.
// The item-model row (scenario "model") plays [ModelCheckNames] instead: a
// QAbstractItemModel remoted by the host and read through the node's model
// replica (contract 3 model commands) while the host moves, inserts,
// changes, removes and resets rows.
// Each cell leaves its adapters' logs, pcaps and a decoded wire transcript
// in its own directory; [WriteReport] renders all results as matrix.md and a
// self-contained matrix.html.
//
// The Ginkgo specs (one per cell, labelled by scenario, direction, dialect and
// transport) are in the test files; run them with go test ./interop/matrix.
// The package does not speak QtRO itself: the adapters do.
package matrix
