//go:build !linux

package proc

import "syscall"

// DieWithParent returns ErrUnsupported outside Linux (no PR_SET_PDEATHSIG):
// a child then relies on its driver closing its stdin.
func DieWithParent(syscall.Signal) error { return ErrUnsupported }
