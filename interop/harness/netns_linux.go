package harness

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on an OS thread that has joined the network namespace of
// process pid, so sockets fn creates (abstract Unix sockets in particular,
// which are per network namespace) live there. pid 0 means this namespace.
// The thread is never returned to the Go scheduler: it ends with fn's
// goroutine, so no other goroutine ever runs in the foreign namespace.
//
// Ending a thread matters to children that asked for PR_SET_PDEATHSIG (the Qt
// peer does): the signal follows the death of the *thread* that forked them.
// That is why this is only used with pid != 0, in container mode, where peers
// are not our children; natively (pid 0) fn runs on the calling goroutine.
func inNetns(pid int, fn func() error) error {
	if pid == 0 {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // deliberately never unlocked
		errc <- func() error {
			f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
			if err != nil {
				return err
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("setns into the network namespace of pid %d: %w", pid, err)
			}
			return fn()
		}()
	}()
	return <-errc
}
