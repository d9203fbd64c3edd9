// Package conformance is the QtRO conformance suite: the numbered
// requirements of specs/REQUIREMENTS.md (Catalogue) checked against a
// target — the Go reference node, a real Qt peer, any program speaking
// the adapter contract of specs/ADAPTER.md, a container image, or only a
// host URL — with one outcome per requirement (pass, fail, non-strict,
// informational, unsupported, not applicable, not tested) and reports in
// text, JSON, JUnit and HTML.
//
// Run it from `qtro conformance`, or from a Go test with Run(t, Config{...})
// (ConfigFromEnv reads the QTRO_* variables specs/conformance_test.go uses).
// A target that cannot host the suite's TestObject is checked on the
// sources it lists (the object-agnostic forms); a requirement the target
// cannot be asked about is never reported as passed.
package conformance
