package nodeadapter

import (
	"time"

	"golang.org/x/sys/unix"
)

// monoNs is CLOCK_MONOTONIC in nanoseconds: the clock of the contract's "mono"
// field and of load-mode send times. Go's own monotonic reading has another
// origin, so it would not compare with the Qt peer's steady_clock.
func monoNs() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// wallNow is the contract's "wall" field: UTC, RFC 3339, microseconds.
func wallNow() string {
	return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
}
