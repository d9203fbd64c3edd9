//go:build !linux

package harness

import (
	"errors"
	"fmt"
)

// errNetns says network namespaces do not exist here.
var errNetns = errors.New("harness: joining another process's network namespace is unsupported on this operating system (Linux only)")

// inNetns runs fn here for pid 0; entering the network namespace of another
// process (abstract sockets of a peer in a container) needs Linux.
func inNetns(pid int, fn func() error) error {
	if pid == 0 {
		return fn()
	}
	return fmt.Errorf("pid %d: %w", pid, errNetns)
}
