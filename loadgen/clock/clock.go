// Package clock gives loadgen one time base: CLOCK_MONOTONIC in
// nanoseconds, the clock tick.rep's sentNs is defined in, so that
// timestamps taken by different processes on one machine (a Go host shard,
// a Qt peer, a replica shard) can be subtracted from each other.
//
// It does not synchronise clocks between machines; runs spread over
// several machines compare wall-clock start times only (see Wall).
package clock

import "time"

// ref is the time.Time whose monotonic reading corresponds to base.
var (
	ref  = time.Now()
	base = calibrate(ref)
)

// Now returns CLOCK_MONOTONIC in nanoseconds.
func Now() int64 { return base + int64(time.Since(ref)) }

// Of converts a time.Time carrying a monotonic reading (such as a node
// Event's Received) to CLOCK_MONOTONIC nanoseconds. Go's monotonic clock is
// CLOCK_MONOTONIC on Linux, so only the offset needs calibrating.
func Of(t time.Time) int64 { return base + int64(t.Sub(ref)) }

// FromWall converts a wall-clock time (Unix nanoseconds, e.g. an agreed
// start time shared between shards) to this process's monotonic clock.
func FromWall(unixNs int64) int64 {
	now := time.Now()
	return Of(now) + (unixNs - now.UnixNano())
}

// ToWall converts a monotonic time to wall-clock Unix nanoseconds.
func ToWall(mono int64) int64 {
	now := time.Now()
	return now.UnixNano() + (mono - Of(now))
}

// SleepUntil sleeps until the monotonic time t (no-op if already past).
func SleepUntil(t int64) {
	if d := t - Now(); d > 0 {
		time.Sleep(time.Duration(d))
	}
}
