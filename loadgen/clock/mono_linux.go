package clock

import (
	"syscall"
	"time"
	"unsafe"
)

// calibrate returns the CLOCK_MONOTONIC reading (ns) at the instant of t,
// by bracketing one clock_gettime call between two monotonic reads.
func calibrate(t time.Time) int64 {
	var ts syscall.Timespec
	t1 := time.Now()
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	t2 := time.Now()
	if errno != 0 {
		return 0
	}
	mid := t1.Add(t2.Sub(t1) / 2)
	return ts.Nano() - int64(mid.Sub(t))
}
