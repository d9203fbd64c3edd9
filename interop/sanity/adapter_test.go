package sanity

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/interop/harness"
	"github.com/qtro/qtro/specs/adapter"
)

// startAdapter runs a peer through specs/adapter's driver from the argv the
// case hands out (docker run -i in containers, the binary natively).
func startAdapter(ctx context.Context, c *harness.Case, name string, f harness.Flavor, role adapter.Role, args ...string) *adapter.Adapter {
	argv, err := c.Command(ctx, name, f)
	Expect(err).NotTo(HaveOccurred())
	a, err := adapter.Start(ctx, adapter.Config{
		Command: argv, Role: role, Args: args, Name: name,
		TempDir: c.SocketDir(), Log: c.LogWriter(name),
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.Close)
	return a
}

var _ = Describe("specs/adapter driving peers the harness launches", func() {
	It("a qt6 replica mirrors a qt6 host, both started with Case.Command and driven by specs/adapter", func(ctx SpecContext) {
		c := newCase(ctx, "adapter-qt6-tcp")
		url := c.URL("host", harness.TCP)
		host := startAdapter(ctx, c, "host", harness.Qt6, adapter.Host, "--url", url)
		_, err := host.Do(ctx, adapter.Set("intProp", 7))
		Expect(err).NotTo(HaveOccurred())
		_, _ = c.Tap(ctx, url) // natively: tcpdump on lo; in containers the bridge is captured anyway
		node := startAdapter(ctx, c, "node", harness.Qt6, adapter.Node, "--url", url)

		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		defer cancel()
		cursor := 0
		init, err := node.Next(sctx, &cursor, adapter.Named("initialized"))
		Expect(err).NotTo(HaveOccurred())
		Expect(adapter.Equal(init.Object("values")["intProp"], 7)).To(BeTrue(), "Init: %s", init)

		_, err = host.Do(sctx, adapter.Set("stringProp", stringProp))
		Expect(err).NotTo(HaveOccurred())
		_, err = node.Next(sctx, &cursor, adapter.PropertyChanged("stringProp", stringProp))
		Expect(err).NotTo(HaveOccurred())

		res, err := node.Do(sctx, adapter.Call("add", 2, 40))
		Expect(err).NotTo(HaveOccurred())
		v, _ := res.Get("value")
		Expect(adapter.Equal(v, 42)).To(BeTrue(), "add(2, 40): %s", res)

		Expect(node.Close()).To(Succeed())
		Expect(host.Close()).To(Succeed())
		for _, a := range []*adapter.Adapter{node, host} {
			code, exited := a.ExitCode()
			Expect(exited).To(BeTrue())
			Expect(code).To(Equal(0), "%s exit code; stderr: %s", a.Name(), a.Stderr())
			Expect(a.Violations()).To(BeEmpty())
		}
		Expect(c.Close(ctx)).To(Succeed())
		expectHandshakeCaptured(c, qt6)
	}, SpecTimeout(2*time.Minute))
})
