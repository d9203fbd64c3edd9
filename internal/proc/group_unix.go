//go:build unix

package proc

import (
	"errors"
	"os/exec"
	"syscall"
)

// SetGroup makes cmd start in a process group of its own, so that
// SignalGroup reaches everything it starts (a container runner, a shell
// wrapper) and a Ctrl-C of the parent does not hit it twice. Call it before
// cmd.Start; it replaces cmd.SysProcAttr.
func SetGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// SignalGroup signals the process group cmd leads (see SetGroup). Only while
// the leader is not yet reaped (leaderAlive) is the leader signalled
// directly too, in case it left its group: after reaping its pid may be
// reused, but a group id stays reserved while the group has members.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal, leaderAlive bool) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	if leaderAlive {
		_ = cmd.Process.Signal(sig)
	}
}

// Alive reports whether a process with this pid exists (one owned by
// another user counts).
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
