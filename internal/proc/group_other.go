//go:build !unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// SetGroup does nothing where process groups do not exist: SignalGroup then
// reaches the child only, not what it started.
func SetGroup(*exec.Cmd) {}

// SignalGroup signals cmd's process itself while it is not yet reaped
// (there are no process groups here). Where only killing is supported
// (Windows), any signal kills.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal, leaderAlive bool) {
	if cmd.Process == nil || !leaderAlive {
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		_ = cmd.Process.Kill()
	}
}

// Alive reports whether a process with this pid exists.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
