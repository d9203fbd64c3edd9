//go:build !unix

package adapter

import (
	"os/exec"
	"syscall"
)

// setProcessGroup is a no-op where process groups do not exist.
func setProcessGroup(*exec.Cmd) {}

// signalGroup signals the adapter process itself.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal, leaderAlive bool) {
	if cmd.Process != nil && leaderAlive {
		_ = cmd.Process.Signal(sig)
	}
}
