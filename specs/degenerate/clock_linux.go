package main

import (
	"syscall"
	"time"
	"unsafe"
)

// monoNow returns CLOCK_MONOTONIC in nanoseconds, the clock every adapter
// on the machine shares (specs/ADAPTER.md §5).
func monoNow() int64 {
	var ts syscall.Timespec
	_, _, errno := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return time.Since(processStart).Nanoseconds()
	}
	return ts.Nano()
}

var processStart = time.Now()
