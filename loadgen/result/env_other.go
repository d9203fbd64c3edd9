//go:build !linux

package result

import "time"

func fdLimit() int64 { return 0 }

// CPUTime is not measured outside Linux.
func CPUTime() (user, sys time.Duration) { return 0, 0 }
