package proc

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// DieWithParent asks the kernel to send sig to this process when the thread
// that started it ends, so a child dies with its driver even when the driver
// could not close its stdin (PR_SET_PDEATHSIG).
func DieWithParent(sig syscall.Signal) error {
	return unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(sig), 0, 0, 0)
}
