package sanity

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/qtro/qtro/interop/harness"
)

// runner is the suite's harness: containers, or native processes (announced).
var runner *harness.Runner

func TestSanity(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "interop sanity: Qt <-> Qt")
	// Ginkgo's interrupt handler and the Docker client's idle keep-alive
	// connections are not ours.
	goleak.VerifyNone(t, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	runner, err = harness.NewRunner(ctx, harness.Options{Log: io.MultiWriter(os.Stderr, GinkgoWriter)})
	Expect(err).NotTo(HaveOccurred())
	AddReportEntry("mode", runner.Banner())
	start := time.Now()
	// Containers: ci/build-images.sh (peers first, then images; cached by
	// content hash). Natively: ci/build-peers.sh.
	Expect(runner.Prepare(ctx, GinkgoWriter, harness.Qt5, harness.Qt6)).To(Succeed())
	AddReportEntry("prepare", fmt.Sprintf("%s in %s", runner.Mode(), time.Since(start).Round(time.Millisecond)))
}, NodeTimeout(15*time.Minute))

var _ = AfterSuite(func() {
	if runner != nil {
		fmt.Fprintln(os.Stderr, runner.Banner()+"; artifacts in "+runner.OutDir())
		Expect(runner.Close()).To(Succeed())
	}
})

// newCase creates a harness case that is closed (peers stopped, artifacts
// written) when the spec ends.
func newCase(ctx context.Context, name string) *harness.Case {
	c, err := runner.NewCase(ctx, name)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) {
		Expect(c.Close(ctx)).To(Succeed())
		AddReportEntry("artifacts", c.Dir())
	}, NodeTimeout(time.Minute))
	return c
}

// launch starts a peer with the adapter arguments.
func launch(ctx context.Context, c *harness.Case, name string, f harness.Flavor, args []string, opts ...harness.StartOption) *peer {
	p, err := c.Start(ctx, name, f, append(opts, harness.WithArgs(args...))...)
	Expect(err).NotTo(HaveOccurred())
	return newPeer(p)
}
