// Package external_test checks the Go node against real Qt 5 and Qt 6 over
// the external transports (tls+tcp, ws, wss: Qt's ssl and websockets
// examples' addHostSideConnection / addClientSideConnection), both ways:
// a Go replica of a Qt host, and a Qt replica of a Go host. The Qt side is
// the adapter contract's qtro-peer, run as native processes with the
// certificates of impl/transport/pki (QTRO_TLS_*); the containers of the
// interop matrix do not cover these transports yet.
package external_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/transport/pki"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
)

func TestExternal(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "external transports: Go <-> real Qt over TLS and WebSocket")
}

var _ = AfterSuite(func() {
	Expect(goleak.Find(goleak.IgnoreCurrent())).To(Succeed())
})

const step = 20 * time.Second

// certs are the run's CA and certificates, as files for the Qt peers.
func certs() (*pki.PKI, pki.Files) {
	p, err := pki.New()
	Expect(err).NotTo(HaveOccurred())
	f, err := p.WriteFiles(GinkgoT().TempDir())
	Expect(err).NotTo(HaveOccurred())
	return p, f
}

func startQt(ctx context.Context, major int, role adapter.Role, env []string, args ...string) *adapter.Adapter {
	bin, err := adapter.QtPeer(ctx, major)
	Expect(err).NotTo(HaveOccurred())
	a, err := adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: role, Args: args, Env: env,
		TempDir: GinkgoT().TempDir(), Log: GinkgoWriter, Name: fmt.Sprintf("qt%d %s", major, role)})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.Close)
	return a
}

const simpleRep = `
class Simple
{
    PROP(int count = 7)
    PROP(QString label = "")
    SLOT(int add(int a, int b))
};
`

var _ = Describe("Go and Qt over external transports", func() {
	for _, major := range []int{5, 6} {
		d := wire.Qt6
		if major == 5 {
			d = wire.Qt5
		}
		for _, scheme := range []string{transport.TLSTCP, transport.WS, transport.WSS} {
			It(fmt.Sprintf("Qt %d host -> Go replica over %s", major, scheme), func(ctx SpecContext) {
				p, f := certs()
				host := startQt(ctx, major, adapter.Host, []string{"QTRO_TLS_CERT=" + f.ServerCert, "QTRO_TLS_KEY=" + f.ServerKey},
					"--url", scheme+"://127.0.0.1:0")
				_, err := host.Do(ctx, adapter.Set("intProp", 7))
				Expect(err).NotTo(HaveOccurred())
				n := node.NewNode(node.Config{Dialect: d, Schemes: transport.WithSecure(p.ClientConfig())})
				DeferCleanup(n.Close)
				Expect(n.ConnectToNode(host.Ready().Str("url"))).To(Succeed())
				changed := make(chan string, 16)
				r, err := n.AcquireDynamic("TestObject", node.WithSubscriber(func(ev node.Event) {
					if ev.Kind == node.PropertyChanged && ev.Name == "stringProp" {
						changed <- ev.Value.Str()
					}
				}))
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(r.Release)
				sctx, cancel := context.WithTimeout(ctx, step)
				defer cancel()
				Expect(r.WaitForSource(sctx)).To(Succeed())
				v, err := r.Property("intProp")
				Expect(err).NotTo(HaveOccurred())
				Expect(v.Int()).To(BeEquivalentTo(7))
				_, err = host.Do(sctx, adapter.Set("stringProp", "über "+scheme))
				Expect(err).NotTo(HaveOccurred())
				Eventually(changed).WithContext(sctx).Should(Receive(Equal("über " + scheme)))
				res, err := r.Call(sctx, "add", 2, 40)
				Expect(err).NotTo(HaveOccurred())
				Expect(res.Int()).To(BeEquivalentTo(42))
			})

			It(fmt.Sprintf("Go host -> Qt %d replica over %s", major, scheme), func(ctx SpecContext) {
				p, f := certs()
				h, err := node.NewHost(ctx, scheme+"://127.0.0.1:0", node.Config{Dialect: d, Schemes: transport.WithSecure(p.ServerConfig(false))})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(h.Close)
				c, err := meta.ParseRep("simple.rep", []byte(simpleRep), "Simple", d)
				Expect(err).NotTo(HaveOccurred())
				src := node.NewSource(c)
				Expect(src.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
					return node.ValueOf(int32(a[0].Int() + a[1].Int()))
				})).To(Succeed())
				Expect(h.EnableRemoting(src, "Simple")).To(Succeed())

				qn := startQt(ctx, major, adapter.Node, []string{"QTRO_TLS_CA=" + f.CA},
					"--url", h.URL(), "--object", "Simple", "--type", "plain", "--dynamic")
				sctx, cancel := context.WithTimeout(ctx, step)
				defer cancel()
				cursor := 0
				init, err := qn.Next(sctx, &cursor, adapter.Named("initialized"))
				Expect(err).NotTo(HaveOccurred(), "no Init over %s; node stderr: %s", scheme, qn.Stderr())
				Expect(adapter.Equal(init.Object("values")["count"], 7)).To(BeTrue(), "Init: %s", init)
				Expect(src.SetProperty("label", "über "+scheme)).To(Succeed())
				_, err = qn.Next(sctx, &cursor, adapter.PropertyChanged("label", "über "+scheme))
				Expect(err).NotTo(HaveOccurred())
				res, err := qn.Do(sctx, adapter.Call("add", 2, 40))
				Expect(err).NotTo(HaveOccurred())
				v, _ := res.Get("value")
				Expect(adapter.Equal(v, 42)).To(BeTrue(), "add(2, 40) over %s: %s", scheme, res)
				Expect(h.Stats().HandshakeFailures).To(BeZero())
			})
		}
	}
})
