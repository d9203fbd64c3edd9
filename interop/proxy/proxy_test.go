// Package proxy_test checks the Go proxy (impl/proxy, Qt's proxy and
// reverseProxy) between real Qt programs: a Qt host's source on a local:
// network reaches a Qt replica over tcp:// through the Go proxy, and a Qt
// host's source on the tcp:// network reaches a Qt replica on the local:
// network through the reverse proxy. And the reverse check: Go hosts,
// registries and replicas through Qt's own proxy (qtro-qtapp --proxy), in
// both directions. The Qt registries, hosts and nodes
// are the adapter contract's qtro-peer, run as native processes (the Go
// proxy runs in the test process, which containers would not reach on
// local:).
package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/proxy"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/adapter"
)

func TestProxy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "proxy: the Go proxy between real Qt hosts and replicas")
}

var _ = AfterSuite(func() {
	Expect(goleak.Find(goleak.IgnoreCurrent())).To(Succeed())
})

const step = 20 * time.Second

// startQt runs a Qt peer of the given major version in role with args.
func startQt(ctx context.Context, major int, role adapter.Role, name, tmp string, args ...string) *adapter.Adapter {
	bin, err := adapter.QtPeer(ctx, major)
	Expect(err).NotTo(HaveOccurred())
	a, err := adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: role, Args: args, TempDir: tmp,
		Log: GinkgoWriter, Name: fmt.Sprintf("qt%d %s", major, name)})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.Close)
	return a
}

// checkReplica checks a Qt node's replica of the Qt host's TestObject
// through the proxy (a static replica too: the proxied source keeps the
// original's class signature): its Init carries the host's value, a change on the
// host reaches it, and a slot call gets the host's reply.
func checkReplica(ctx context.Context, host, n *adapter.Adapter) {
	cursor := 0
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	init, err := n.Next(sctx, &cursor, adapter.Named("initialized"))
	Expect(err).NotTo(HaveOccurred(), "no Init through the proxy; node stderr: %s", n.Stderr())
	Expect(adapter.Equal(init.Object("values")["intProp"], 7)).To(BeTrue(), "Init: %s", init)
	_, err = host.Do(sctx, adapter.Set("stringProp", "über den Proxy"))
	Expect(err).NotTo(HaveOccurred())
	_, err = n.Next(sctx, &cursor, adapter.PropertyChanged("stringProp", "über den Proxy"))
	Expect(err).NotTo(HaveOccurred())
	res, err := n.Do(sctx, adapter.Call("add", 2, 40))
	Expect(err).NotTo(HaveOccurred())
	v, _ := res.Get("value")
	Expect(adapter.Equal(v, 42)).To(BeTrue(), "add(2, 40) through the proxy: %s", res)
}

var _ = Describe("the Go proxy between Qt programs", func() {
	for _, c := range []struct {
		major int
		mode  string
	}{{5, "--static"}, {5, "--dynamic"}, {6, "--static"}, {6, "--dynamic"}} {
		major, mode := c.major, c.mode
		d := wire.Qt6
		if major == 5 {
			d = wire.Qt5
		}
		It(fmt.Sprintf("Qt %d: forwards a Qt host's local: source to tcp:// for a Qt replica (%s)", major, mode[2:]), func(ctx SpecContext) {
			tmp := GinkgoT().TempDir()
			regURL := "local:" + filepath.Join(tmp, "inner-registry")
			startQt(ctx, major, adapter.Registry, "inner registry", tmp, "--url", regURL)
			host := startQt(ctx, major, adapter.Host, "host", tmp, "--url", "local:"+filepath.Join(tmp, "host"), "--registry", regURL)
			_, err := host.Do(ctx, adapter.Set("intProp", 7))
			Expect(err).NotTo(HaveOccurred())

			outer, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(outer.Close)
			p, err := proxy.Forward(ctx, outer, regURL, nil, proxy.Options{Config: node.Config{Dialect: d}})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(p.Close)
			Eventually(func() *node.Source { return outer.Source("TestObject") }).WithContext(ctx).WithTimeout(step).ShouldNot(BeNil())

			n := startQt(ctx, major, adapter.Node, "node", tmp, "--url", outer.URL(), mode)
			checkReplica(ctx, host, n)
		})

		It(fmt.Sprintf("Qt %d: reverse-proxies a Qt host's tcp:// source to a Qt replica on the local: network (%s)", major, mode[2:]), func(ctx SpecContext) {
			tmp := GinkgoT().TempDir()
			innerReg := "local:" + filepath.Join(tmp, "inner-registry")
			startQt(ctx, major, adapter.Registry, "inner registry", tmp, "--url", innerReg)

			outerReg, err := node.NewRegistryHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(outerReg.Close)
			p, err := proxy.Forward(ctx, outerReg.Host, innerReg, nil, proxy.Options{
				HostURL: "local:" + filepath.Join(tmp, "proxy"), Config: node.Config{Dialect: d}})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(p.Close)
			Expect(p.Reverse(outerReg, nil)).To(Succeed())

			host := startQt(ctx, major, adapter.Host, "outer host", tmp, "--url", "tcp://127.0.0.1:0", "--registry", outerReg.URL())
			_, err = host.Do(ctx, adapter.Set("intProp", 7))
			Expect(err).NotTo(HaveOccurred())
			Eventually(func() []string { _, rev := p.Proxied(); return rev }).WithContext(ctx).WithTimeout(step).Should(ContainElement("TestObject"))

			n := startQt(ctx, major, adapter.Node, "inner node", tmp, "--registry", innerReg, mode)
			checkReplica(ctx, host, n)
		})
	}
})

// startQtProxy runs Qt's own proxy (qtro-qtapp --proxy) and waits for its
// "listening" line.
func startQtProxy(ctx context.Context, major int, args ...string) {
	bin, err := checkout.QtApp(ctx, major)
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.CommandContext(ctx, bin, append([]string{"--proxy"}, args...)...)
	cmd.Stderr = GinkgoWriter
	stdin, err := cmd.StdinPipe()
	Expect(err).NotTo(HaveOccurred())
	stdout, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() {
		_ = stdin.Close() // EOF ends it
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	Expect(err).NotTo(HaveOccurred(), "qtro-qtapp --proxy %v printed no listening line", args)
	Expect(line).To(HavePrefix("listening "))
}

// goReplica acquires TestObject dynamically through n and checks it as
// checkReplica does, with src the Go host's source.
func goReplica(ctx context.Context, n *node.Node, src *node.Source) {
	changed := make(chan string, 16)
	r, err := n.AcquireDynamic("Simple", node.WithSubscriber(func(ev node.Event) {
		if ev.Kind == node.PropertyChanged && ev.Name == "label" {
			changed <- ev.Value.Str()
		}
	}))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(r.Release)
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	Expect(r.WaitForSource(sctx)).To(Succeed(), "no Init through Qt's proxy")
	v, err := r.Property("count")
	Expect(err).NotTo(HaveOccurred())
	Expect(v.Int()).To(BeEquivalentTo(7))
	Expect(src.SetProperty("label", "durch Qts Proxy")).To(Succeed())
	Eventually(changed).WithContext(sctx).Should(Receive(Equal("durch Qts Proxy")))
	res, err := r.Call(sctx, "add", 2, 40)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.Int()).To(BeEquivalentTo(42))
}

const simpleRep = `
class Simple
{
    PROP(int count = 7)
    PROP(QString label = "")
    SLOT(int add(int a, int b))
};
`

func simpleSource(d wire.Dialect) *node.Source {
	c, err := meta.ParseRep("simple.rep", []byte(simpleRep), "Simple", d)
	Expect(err).NotTo(HaveOccurred())
	src := node.NewSource(c)
	Expect(src.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
		return node.ValueOf(int32(a[0].Int() + a[1].Int()))
	})).To(Succeed())
	return src
}

var _ = Describe("Go programs through Qt's proxy (the reference)", func() {
	for _, major := range []int{5, 6} {
		d := wire.Qt6
		if major == 5 {
			d = wire.Qt5
		}
		It(fmt.Sprintf("Qt %d proxy: a Go host's local: source, registered with a Go registry, reaches a Go replica over tcp://", major), func(ctx SpecContext) {
			tmp := GinkgoT().TempDir()
			reg, err := node.NewRegistryHost(ctx, "local:"+filepath.Join(tmp, "inner-registry"), node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(reg.Close)
			h, err := node.NewHost(ctx, "local:"+filepath.Join(tmp, "host"), node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(h.Close)
			Expect(h.SetRegistryURL(reg.URL())).To(Succeed())
			src := simpleSource(d)
			Expect(h.EnableRemoting(src, "Simple")).To(Succeed())

			outer := fmt.Sprintf("tcp://127.0.0.1:%d", freePort())
			startQtProxy(ctx, major, outer, reg.URL())
			n := node.NewNode(node.Config{Dialect: d})
			DeferCleanup(n.Close)
			Expect(n.ConnectToNode(outer)).To(Succeed())
			goReplica(ctx, n, src)
		})

		It(fmt.Sprintf("Qt %d reverse proxy: a Go host's tcp:// source, registered with Qt's registry proxy, reaches a Go replica on the local: network", major), func(ctx SpecContext) {
			tmp := GinkgoT().TempDir()
			inner, err := node.NewRegistryHost(ctx, "local:"+filepath.Join(tmp, "inner-registry"), node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(inner.Close)
			outer := fmt.Sprintf("tcp://127.0.0.1:%d", freePort())
			startQtProxy(ctx, major, outer, inner.URL(), "local:"+filepath.Join(tmp, "proxy"))

			h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(h.Close)
			Expect(h.SetRegistryURL(outer)).To(Succeed())
			src := simpleSource(d)
			Expect(h.EnableRemoting(src, "Simple")).To(Succeed())

			n := node.NewNode(node.Config{Dialect: d})
			DeferCleanup(n.Close)
			_, err = n.SetRegistryURL(inner.URL())
			Expect(err).NotTo(HaveOccurred())
			goReplica(ctx, n, src)
		})
	}
})

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
