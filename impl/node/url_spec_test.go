package node_test

import (
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// errLog collects what a node reports through OnError.
type errLog struct {
	mu   sync.Mutex
	errs []error
}

func watchErrors(n *node.Node) *errLog {
	l := &errLog{}
	n.OnError(func(err error) {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	})
	return l
}

func (l *errLog) codes() []node.ErrorCode {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []node.ErrorCode
	for _, e := range l.errs {
		out = append(out, node.CodeOf(e))
	}
	return out
}

var _ = Describe("URL handling", Label("url"), func() {
	forEachDialect(func(e specEnv) {
		// Qt: setHostUrl with a scheme QtROServerFactory does not know sets
		// HostUrlInvalid (SchemeTest, invalidUrlsTest).
		DescribeTable("a host URL without a usable scheme is HostUrlInvalid",
			func(raw string) {
				h, err := node.NewHost(specCtx(), raw, e.cfg())
				Expect(h).To(BeNil())
				Expect(err).To(MatchError(&node.Error{Code: node.HostUrlInvalid}))
				Expect(node.CodeOf(err)).To(Equal(node.HostUrlInvalid))
				Expect(errors.Is(err, &node.Error{Code: node.ListenFailed})).To(BeFalse())

				// The same through Listen on a running host.
				h = e.newHost("")
				url, err := h.Listen(specCtx(), raw, e.D)
				Expect(url).To(BeEmpty())
				Expect(node.CodeOf(err)).To(Equal(node.HostUrlInvalid))
				Expect(h.URLs()).To(BeEmpty())
			},
			Entry("unknown scheme", "foo://127.0.0.1:1234"),
			Entry("invalid:invalid", "invalid:invalid"),
			Entry("QNX-only scheme", "qnx:replica"),
			Entry("no scheme", "127.0.0.1:1234"),
			Entry("garbage", "::::"),
			Entry("empty scheme", ":65213"),
		)

		// Qt: connectToNode of a URL it cannot open sets RegistryNotAcquired
		// and emits error() (errorSignalTest).
		DescribeTable("ConnectToNode of a URL without a usable scheme is RegistryNotAcquired",
			func(raw string) {
				n := newNode()
				errs := watchErrors(n)
				err := n.ConnectToNode(raw)
				Expect(err).To(MatchError(&node.Error{Code: node.RegistryNotAcquired}))
				Expect(node.CodeOf(err)).To(Equal(node.RegistryNotAcquired))
				Expect(n.LastError()).To(Equal(node.RegistryNotAcquired))
				Eventually(errs.codes).Should(Equal([]node.ErrorCode{node.RegistryNotAcquired})) // OnError runs on its own goroutine
			},
			Entry("invalid:invalid", "invalid:invalid"),
			Entry("unknown scheme", "foo://127.0.0.1:1234"),
			Entry("no scheme", "127.0.0.1:1234"),
			Entry("empty", ""),
		)

		It("SetRegistryURL with an unknown scheme is RegistryNotAcquired and WaitForRegistry fails", func() {
			n := newNode()
			_, err := n.SetRegistryURL("invalid:invalid")
			Expect(node.CodeOf(err)).To(Equal(node.RegistryNotAcquired))
			Expect(n.LastError()).To(Equal(node.RegistryNotAcquired))
			err = n.WaitForRegistry(waitCtx(200 * time.Millisecond))
			Expect(err).To(HaveOccurred())
			Expect(node.CodeOf(err)).To(Equal(node.RegistryNotAcquired))
		})

		It("WaitForRegistry on a node without a registry is RegistryNotAcquired (noRegistryTest)", func() {
			n := newNode()
			err := n.WaitForRegistry(waitCtx(200 * time.Millisecond))
			Expect(node.CodeOf(err)).To(Equal(node.RegistryNotAcquired))
		})

		// §10.2: ListenFailed covers "local: with an empty name" [V]: Qt's
		// scheme check passes (local is built in) and QLocalServer::listen("")
		// fails.
		It("a local: URL with an empty name is ListenFailed, as in Qt", func() {
			h, err := node.NewHost(specCtx(), "local:", e.cfg())
			Expect(h).To(BeNil())
			Expect(node.CodeOf(err)).To(Equal(node.ListenFailed))
		})

		Describe("hostUrl normalisation (§10.1)", func() {
			It("reports tcp://localhost:0 as tcp://127.0.0.1 and the bound port", func() {
				h := e.newHost("tcp://localhost:0")
				Expect(h.URL()).To(MatchRegexp(`^tcp://127\.0\.0\.1:[1-9][0-9]*$`))
				n := connectedNode(h.URL())
				remote(h, specObject(e.D), "Obj")
				waitValid(acquireDynamic(n, "Obj"))
			})

			It("reports tcp://:0 as tcp://0.0.0.0 and the bound port", func() {
				h := e.newHost("tcp://:0")
				Expect(h.URL()).To(MatchRegexp(`^tcp://0\.0\.0\.0:[1-9][0-9]*$`))
				port := strings.TrimPrefix(h.URL(), "tcp://0.0.0.0:")
				n := connectedNode("tcp://127.0.0.1:" + port)
				remote(h, specObject(e.D), "Obj")
				waitValid(acquireDynamic(n, "Obj"))
			})

			It("lowercases the scheme and keeps an explicit port", func() {
				free := e.fixedURL()
				h := e.newHost(strings.Replace(free, "tcp://", "TCP://", 1))
				Expect(h.URL()).To(Equal(free))
			})

			It("reports local: and localabstract: names as given", func() {
				h := e.newHost("")
				ln := "local:" + uniqueName("norm")
				got, err := h.Listen(specCtx(), ln, e.D)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(ln))
				abs := "localabstract:" + uniqueName("norm")
				got, err = h.Listen(specCtx(), abs, wire.Qt6)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(abs))
				Expect(h.URL()).To(Equal(ln), "URL() is the first listener's")
				Expect(h.URLs()).To(Equal(map[string]wire.Dialect{ln: e.D, abs: wire.Qt6}))
			})
		})

		// E1: the dialects cannot talk to each other; a node pinned to one
		// dialect treats the other's Handshake as a protocol mismatch.
		It("a node pinned to the other dialect reports ProtocolMismatch and never initialises", func() {
			h := e.newHost(e.anyURL())
			remote(h, specObject(e.D), "Obj")
			n := newNode(withDialect(otherDialect(e.D)))
			errs := watchErrors(n)
			Expect(n.ConnectToNode(h.URL())).To(Succeed())
			r := acquireDynamic(n, "Obj")
			Eventually(n.LastError).Should(Equal(node.ProtocolMismatch))
			Eventually(errs.codes).Should(ContainElement(node.ProtocolMismatch))
			Consistently(r.State).Should(Equal(node.Uninitialized))
		})
	})

	forEachEnv(func(e specEnv) {
		It("a URL already in use is ListenFailed and the first host keeps serving (tcpListenFailedTest)", func() {
			h := e.newHost(e.anyURL())
			remote(h, specObject(e.D), "Obj")
			h2, err := node.NewHost(specCtx(), h.URL(), e.cfg())
			Expect(h2).To(BeNil())
			Expect(err).To(MatchError(&node.Error{Code: node.ListenFailed}))
			Expect(node.CodeOf(err)).To(Equal(node.ListenFailed))
			n := connectedNode(h.URL())
			waitValid(acquireDynamic(n, "Obj"))
		})

		It("reports the URL it listens on in the env's scheme, and a node reaches it", func() {
			h := e.newHost(e.anyURL())
			u, err := transport.Parse(h.URL())
			Expect(err).NotTo(HaveOccurred())
			Expect(u.Scheme).To(Equal(e.Tr))
			Expect(h.URLs()).To(Equal(map[string]wire.Dialect{h.URL(): e.D}))
			remote(h, specObject(e.D), "Obj")
			waitValid(acquireDynamic(connectedNode(h.URL()), "Obj"))
		})

		// clientBeforeServerTest / localServerConnectionTest: the node keeps
		// retrying an unreachable URL and initialises once the host appears.
		It("a client started before its host becomes Valid once the host appears", func() {
			url := e.fixedURL()
			n := connectedNode(url, withRetry(20*time.Millisecond))
			dyn := acquireDynamic(n, "Obj")
			n2 := connectedNode(url, withRetry(20*time.Millisecond))
			st := acquireStatic(n2, "Obj", specClass(e.D, "SpecObject"))
			Consistently(dyn.State).Should(Equal(node.Uninitialized))
			Expect(st.State()).To(Equal(node.Default))

			h := e.newHost(url)
			src := specObject(e.D)
			Expect(src.SetProperty("count", 11)).To(Succeed())
			remote(h, src, "Obj")
			waitValid(dyn)
			waitValid(st)
			Expect(prop(dyn, "count").Int()).To(BeEquivalentTo(11))
			Expect(prop(st, "count").Int()).To(BeEquivalentTo(11))
		})

		if e.Tr == transport.Local {
			// localServerConnectionTest/2 and E14: a socket file left by a
			// dead host is taken over; a client retrying meanwhile gets in.
			It("takes over a stale socket file, with a client already retrying on it", func() {
				name := uniqueName("stale")
				u, err := transport.Parse("local:" + name)
				Expect(err).NotTo(HaveOccurred())
				dead, err := net.ListenUnix("unix", &net.UnixAddr{Name: u.SocketPath(), Net: "unix"})
				Expect(err).NotTo(HaveOccurred())
				dead.SetUnlinkOnClose(false) // a killed host leaves its file
				Expect(dead.Close()).To(Succeed())
				DeferCleanup(func() { _ = os.Remove(u.SocketPath()) }) // if the spec fails early
				_, err = os.Stat(u.SocketPath())
				Expect(err).NotTo(HaveOccurred())

				n := connectedNode("local:"+name, withRetry(20*time.Millisecond))
				r := acquireDynamic(n, "Obj")
				Consistently(r.State).Should(Equal(node.Uninitialized))
				h := e.newHost("local:" + name)
				Expect(h.URL()).To(Equal("local:" + name))
				remote(h, specObject(e.D), "Obj")
				waitValid(r)
			})
		}

		// startClientWithoutHost (6.4, QTBUG-94513): a heartbeat with no
		// host must be harmless, and work once the host is there.
		It("a node with a heartbeat and no host stays Uninitialized, then initialises and stays Valid", func() {
			url := e.fixedURL()
			n := connectedNode(url, withHeartbeat(40*time.Millisecond), withRetry(20*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			rec := record(r)
			Consistently(r.State).Should(Equal(node.Uninitialized))
			h := e.newHost(url)
			remote(h, specObject(e.D), "Obj")
			waitValid(r)
			Consistently(r.State, 400*time.Millisecond).Should(Equal(node.Valid))
			Expect(rec.transitions()).To(Equal([]string{"Uninitialized->Valid"}))
		})

		// E4/E5 and the reconnect/restart tests: a host replaced at the same
		// URL. The replica goes Suspect, the node reconnects (250 ms retry),
		// Init is sent again with the new host's values, and notifications
		// follow Qt's rule for re-initialisation: only changed values.
		DescribeTable("a host restarted on the same URL re-initialises its replicas",
			func(graceful bool) {
				url := e.fixedURL()
				h1, err := node.NewHost(specCtx(), url, e.cfg())
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(h1.Close)
				src1 := specObject(e.D)
				Expect(src1.SetProperty("count", 1)).To(Succeed())
				Expect(src1.SetProperty("ratio", 1.5)).To(Succeed())
				remote(h1, src1, "Obj")

				ns := connectedNode(url, withRetry(50*time.Millisecond))
				st := acquireStatic(ns, "Obj", specClass(e.D, "SpecObject"))
				nd := connectedNode(url, withRetry(50*time.Millisecond))
				dyn := acquireDynamic(nd, "Obj")
				waitValid(st)
				waitValid(dyn)
				recS, recD := record(st), record(dyn)

				if graceful {
					Expect(h1.Shutdown(waitCtx(5 * time.Second))).To(Succeed())
				} else {
					Expect(h1.Close()).To(Succeed())
				}
				Eventually(st.State).Should(Equal(node.Suspect))
				Eventually(dyn.State).Should(Equal(node.Suspect))
				Expect(st.IsInitialized()).To(BeTrue(), "Suspect counts as initialised")

				h2 := e.newHost(url)
				src2 := specObject(e.D)
				Expect(src2.SetProperty("count", 2)).To(Succeed())   // changed
				Expect(src2.SetProperty("ratio", 1.5)).To(Succeed()) // same as before
				remote(h2, src2, "Obj")

				Eventually(st.State).Should(Equal(node.Valid))
				Eventually(dyn.State).Should(Equal(node.Valid))
				for _, r := range []*node.Replica{st, dyn} {
					Expect(r.Inits()).To(Equal(2))
					Expect(prop(r, "count").Int()).To(BeEquivalentTo(2))
					Expect(prop(r, "ratio").Float()).To(Equal(1.5))
				}
				// Events follow the state change they describe.
				Eventually(recS.transitions).Should(Equal([]string{"Valid->Suspect", "Suspect->Valid"}))
				Eventually(recD.transitions).Should(Equal([]string{"Valid->Suspect", "Suspect->Valid"}))
				Eventually(func() int { return recS.count(node.Initialized) }).Should(Equal(1))
				Eventually(func() int { return recD.count(node.Initialized) }).Should(Equal(1))
				// A static replica notifies only what changed (§7.1 step 7).
				Eventually(recS.changedNames).Should(Equal([]string{"count"}))
				// So does a dynamic one on re-initialisation: once its
				// metaobject exists, Qt asks for a plain Init
				// (needsDynamicInitialization() is false) and
				// QConnectedReplicaImplementation::initialize notifies only
				// changed properties.
				Eventually(recD.changedNames).Should(Equal([]string{"count"}))
				Consistently(recD.changedNames, 50*time.Millisecond).Should(Equal([]string{"count"}))

				// The new host serves calls.
				v, err := st.Call(waitCtx(5*time.Second), "add", 20, 22)
				Expect(err).NotTo(HaveOccurred())
				Expect(v.Int()).To(BeEquivalentTo(42))
			},
			Entry("killed (Close)", false),
			Entry("shut down gracefully (Shutdown)", true),
		)
	})
})
