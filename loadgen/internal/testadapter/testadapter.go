// Package testadapter lets a test binary serve as `qtro adapter` (the Go
// reference node behind the adapter contract), so loadgen's tests drive
// real adapter processes without building cmd/qtro first.
package testadapter

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/qtro/qtro/impl/nodeadapter"
	"github.com/qtro/qtro/internal/proc"
	"github.com/qtro/qtro/loadgen/modelload"
)

// envVar marks a test binary started as an adapter; modelVar as a model
// load program (loadgen/modelload).
const (
	envVar   = "QTRO_LOADGEN_TEST_ADAPTER"
	modelVar = "QTRO_LOADGEN_TEST_MODELPEER"
)

// Main runs the adapter and exits when this test binary was started as
// one (by Command); otherwise it returns at once. Call it first in
// TestMain.
func Main() {
	if os.Getenv(modelVar) == "1" {
		_ = proc.DieWithParent(syscall.SIGTERM)
		os.Exit(modelload.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(envVar) != "1" {
		return
	}
	_ = proc.DieWithParent(syscall.SIGTERM) // elsewhere than Linux: stdin EOF only
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

// ModelCommand returns the model load program (this test binary) and the
// environment entries that make it one.
func ModelCommand() (command, env []string) {
	return []string{os.Args[0]}, []string{modelVar + "=1"}
}
