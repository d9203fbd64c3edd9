// Package contract is the adapter contract of specs/ADAPTER.md in Go — its command line, commands,
// events, error names, exit codes, capabilities, test objects, the adapter's side of its streams
// (command lines in, event lines out) and the one canonical JSON form of Qt values (§7) — shared by
// the Go adapter (impl/nodeadapter), the driver (specs/adapter), loadgen's adapter targets and
// `qtro dump --json`; it runs no process and speaks no QtRO.
package contract
