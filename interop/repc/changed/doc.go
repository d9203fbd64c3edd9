// Package changed is the Go code `qtro repc` generates from testobject.rep
// with one property type changed (intProp: qlonglong instead of int): a
// TestObject whose class signature no real Qt peer has, for interop/repc's
// SignatureMismatch checks.
package changed

//go:generate go run github.com/qtro/qtro/cmd/qtro repc -o testobject_rep.go testobject.rep
