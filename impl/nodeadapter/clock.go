package nodeadapter

import (
	"time"

	"golang.org/x/sys/unix"
)

// monoBase ties Go's monotonic clock to CLOCK_MONOTONIC: the contract's
// "mono" field and load-mode send times must compare with the Qt peer's
// steady_clock across processes, but Go's monotonic readings count from
// process start, and unix.ClockGettime is a real system call (microseconds
// in a VM), too slow for the load hot path. Go reads the same clock through
// the vDSO, so after one calibration the two only differ by a constant.
var monoBase = calibrate()

type clockBase struct {
	at   time.Time // a Go time with a monotonic reading
	mono int64     // CLOCK_MONOTONIC (ns) at the same instant
}

// calibrate pairs a Go time with a CLOCK_MONOTONIC reading taken between two
// others, keeping the tightest of a few tries: the error is below half the
// system call's duration.
func calibrate() clockBase {
	best := clockBase{at: time.Now(), mono: clockMonotonic()}
	bestSpan := int64(-1)
	for range 16 {
		t0 := time.Now()
		m := clockMonotonic()
		t1 := time.Now()
		span := int64(t1.Sub(t0))
		if bestSpan < 0 || span < bestSpan {
			bestSpan = span
			best = clockBase{at: t0.Add(time.Duration(span / 2)), mono: m}
		}
	}
	return best
}

func clockMonotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// monoNs is CLOCK_MONOTONIC in nanoseconds.
func monoNs() int64 { return monoBase.mono + int64(time.Since(monoBase.at)) }

// wallNow is the contract's "wall" field: UTC, RFC 3339, microseconds.
func wallNow() string {
	return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
}

// cpuNs is the CPU time (user + system) the process has used: load
// summaries report the difference over a run (cpuNs, §9).
func cpuNs() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
