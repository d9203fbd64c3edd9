// Package sanity holds the interop sanity specs: real Qt peers talking to real
// Qt peers of the same major version (Qt 5 <-> Qt 5, Qt 6 <-> Qt 6) over tcp,
// local, localabstract (Qt 6) and through a registry, in containers or
// natively (interop/harness), plus a negative control (a Qt 5 node pointed at
// a Qt 6 host) that must be detected as a failure. They prove that the harness
// and the peers work before any Go <-> Qt case is trusted.
//
// The specs are in the test files; run them with go test ./interop/sanity.
package sanity
