// Package testadapter lets a test binary serve as `qtro adapter` (the Go
// reference node behind the adapter contract), so loadgen's tests drive
// real adapter processes without building cmd/qtro first.
package testadapter

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/qtro/qtro/impl/nodeadapter"
)

// envVar marks a test binary started as an adapter.
const envVar = "QTRO_LOADGEN_TEST_ADAPTER"

// Main runs the adapter and exits when this test binary was started as
// one (by Command); otherwise it returns at once. Call it first in
// TestMain.
func Main() {
	if os.Getenv(envVar) != "1" {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	signal.Ignore(syscall.SIGPIPE)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(nodeadapter.Main(os.Args[1:], nodeadapter.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Signals: sigs}))
}

// Command returns the adapter command (this test binary) and the
// environment entries that make it one.
func Command() (command, env []string) {
	return []string{os.Args[0]}, []string{envVar + "=1"}
}
