package model

import (
	"testing"

	"go.uber.org/goleak"
)

// Every replica, host and node of the tests is closed: no goroutine of
// theirs (a call waited for, a replica's loop) may outlive them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
