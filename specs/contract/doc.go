// Package contract is the adapter contract of specs/ADAPTER.md in Go — its command line, commands,
// events, error names, exit codes, test objects and the one canonical JSON form of Qt values (§7) —
// shared by the Go adapter (impl/nodeadapter), the driver (specs/adapter), loadgen's adapter targets
// and `qtro dump --json`; it runs no process and speaks no QtRO.
package contract
