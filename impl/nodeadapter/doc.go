// Package nodeadapter puts qtro's Go reference node (impl/node) behind the
// adapter contract of specs/ADAPTER.md, so that the harness drives it exactly
// like the Qt peers of fixtures/peer: `qtro adapter ROLE [flags]` reads JSON
// commands on stdin and writes JSON events on stdout.
//
// It owns the command-line flags of the contract, the canonical JSON of Qt
// values (§7, values.go), the test objects TestObject, Tick and Plain with the
// source behaviour of §10, the host, registry and node roles, and the load
// modes of §9. It does not own the QtRO protocol: everything on the wire is
// impl/node's.
//
// The Qt peer (fixtures/peer) is the reference for every behaviour the
// contract leaves to "what Qt does"; differences that come from the Go node
// itself (e.g. a Go node detects the dialect of the host it connects to) are
// documented where they arise.
package nodeadapter
