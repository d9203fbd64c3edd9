// Package nodeadapter puts qtro's Go reference node (impl/node) behind the
// adapter contract of specs/ADAPTER.md, so that the harness drives it exactly
// like the Qt peers of fixtures/peer: `qtro adapter ROLE [flags]` reads JSON
// commands on stdin and writes JSON events on stdout.
//
// It maps the contract's commands to node calls and the node's events to
// the contract's events, for the host, registry and node roles. The contract
// itself — command line, capabilities, commands, events, error names, the
// test objects and their slots (§10), the command and event streams and the
// canonical JSON of Qt values (§7) — is specs/contract's; the load modes of
// §9 are loadgen/adapterload's; the QtRO protocol is impl/node's.
//
// The Qt peer (fixtures/peer) is the reference for every behaviour the
// contract leaves to "what Qt does"; differences that come from the Go node
// itself (e.g. a Go node detects the dialect of the host it connects to) are
// documented where they arise.
package nodeadapter
