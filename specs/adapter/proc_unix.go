//go:build unix

package adapter

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the adapter in its own process group so that Close can stop everything it
// started (a container runner, a shell wrapper) and not only the direct child.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup signals the adapter's process group. Only while the leader is not yet reaped is the
// leader signalled directly too (in case it left its group); after reaping, its pid may be reused, but
// a group id stays reserved while the group has members.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal, leaderAlive bool) {
	if cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	_ = syscall.Kill(-pid, sig)
	if leaderAlive {
		_ = cmd.Process.Signal(sig)
	}
}
