//go:build linux || darwin

package node_test

import "syscall"

// limitFDs caps the process's open file descriptors at n (n < 0: only
// report whether that is possible).
func limitFDs(n int) error {
	if n < 0 {
		return nil
	}
	lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
