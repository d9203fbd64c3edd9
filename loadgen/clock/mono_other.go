//go:build !linux

package clock

import "time"

// calibrate has no CLOCK_MONOTONIC to read outside Linux: times are then
// comparable within one process only.
func calibrate(time.Time) int64 { return 0 }
