package node_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"
)

// TestMain checks, after every test and spec of the package, that no
// goroutine is left running: every Host, Node and connection must end.
// Ginkgo's own interrupt handler stays registered after RunSpecs.
func TestMain(m *testing.M) {
	if os.Getenv(fdHostEnv) != "" {
		os.Exit(runFDHost()) // the child process of TestAcceptSurvivesFDExhaustion
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"))
}

// TestNodeSpecs runs the Ginkgo specs of the *_spec_test.go files (Go host
// <-> Go node, both dialects, every built-in transport).
func TestNodeSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(5 * time.Second)
	SetDefaultEventuallyPollingInterval(5 * time.Millisecond)
	SetDefaultConsistentlyDuration(300 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(10 * time.Millisecond)
	RunSpecs(t, "impl/node: Go host <-> Go node")
}
