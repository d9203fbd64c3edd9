package conformance

import "testing"

type failT struct{ failed bool }

func (f *failT) Fail() { f.failed = true }

// Run without a target fails the test and says so; it used to panic.
func TestRunWithoutTarget(t *testing.T) {
	ft := &failT{}
	if Run(ft, Config{}) || !ft.failed {
		t.Errorf("Run with a nil Target: passed=%v failed=%v, want a failure", !ft.failed, ft.failed)
	}
}
