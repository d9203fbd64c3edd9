package node_test

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// greeter is a host that sends fixed packets to every client and then
// reads (and drops) whatever comes; closed when the spec ends.
func (e specEnv) greeter(ps ...wire.Packet) string {
	GinkgoHelper()
	ln, u, err := transport.Default().Listen(specCtx(), e.anyURL())
	Expect(err).NotTo(HaveOccurred())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := wire.NewWriter(c, e.D, nil)
				for _, p := range ps {
					_ = w.WritePacket(p)
				}
				_ = w.Flush()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	DeferCleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return u.String()
}

var _ = Describe("Protocol edge cases", Label("protocol"), func() {
	forEachEnv(func(e specEnv) {
		Describe("handshake (E1)", Label("url"), func() {
			DescribeTable("a host that does not start with the right Handshake is a ProtocolMismatch",
				func(first func() []wire.Packet) {
					url := e.greeter(first()...)
					n := newNode(withRetry(time.Hour))
					errs := watchErrors(n)
					Expect(n.ConnectToNode(url)).To(Succeed())
					r := acquireDynamic(n, "Obj")
					Eventually(n.LastError).Should(Equal(node.ProtocolMismatch))
					Eventually(errs.codes).Should(ContainElement(node.ProtocolMismatch))
					Consistently(r.State).Should(Equal(node.Uninitialized))
				},
				Entry("ObjectList first", func() []wire.Packet {
					return []wire.Packet{&wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Obj"}}}}
				}),
				Entry("wrong version string", func() []wire.Packet {
					return []wire.Packet{&wire.HandshakePacket{Version: "QtRO 9.9"}, &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Obj"}}}}
				}),
				Entry("the other dialect's version string", func() []wire.Packet {
					return []wire.Packet{&wire.HandshakePacket{Version: otherDialect(e.D).ProtocolVersion()}, &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Obj"}}}}
				}),
			)

			It("accepts a host whose Handshake is right and whose ObjectList is empty, and waits", func() {
				url := e.greeter(&wire.HandshakePacket{Version: e.D.ProtocolVersion()}, &wire.ObjectListPacket{})
				n := newNode()
				Expect(n.ConnectToNode(url)).To(Succeed())
				r := acquireDynamic(n, "Obj")
				Consistently(r.State).Should(Equal(node.Uninitialized))
				Expect(n.LastError()).To(Equal(node.NoError))
			})
		})

		Describe("host robustness (E9, E10, E11)", Label("remoting"), func() {
			var (
				h *node.Host
				p *rawPeer
			)
			BeforeEach(func() {
				h = e.newHost(e.anyURL(), func(c *node.Config) { c.Limits.MaxFrameSize = 1 << 20 })
				remote(h, specObject(e.D), "Obj")
				p = dialRaw(h.URL(), e.D)
				p.greet()
			})

			// pong sends a Ping and expects the very next packet to be its Pong:
			// nothing was sent in between.
			pong := func(name string) {
				GinkgoHelper()
				p.send(&wire.PingPacket{Name: name})
				typ, got, _, err := p.next(5 * time.Second)
				Expect(err).NotTo(HaveOccurred())
				Expect(typ).To(Equal(wire.Pong), "expected nothing before the Pong")
				Expect(got).To(Equal(name))
			}

			It("ignores AddObject for an unknown source: no reply", func() {
				p.send(&wire.AddObjectPacket{Name: "Nope", Dynamic: true})
				pong("after-addobject")
			})

			It("ignores a Handshake from a client", func() {
				p.send(&wire.HandshakePacket{Version: e.D.ProtocolVersion()})
				pong("after-handshake")
			})

			It("does not answer an Invoke with an out-of-range index, even with a serial", func() {
				p.send(&wire.AddObjectPacket{Name: "Obj", Dynamic: true})
				p.expectNext(wire.InitDynamicPacket)
				p.send(&wire.Invoke{Name: "Obj", Call: wire.CallInvokeMethod, Index: 99, Serial: 5, PropertyIndex: -1})
				p.send(&wire.Invoke{Name: "Obj", Call: wire.CallWriteProperty, Index: 99, Args: []qds.Variant{qds.IntOf(1)}, Serial: -1, PropertyIndex: -1})
				p.send(&wire.Invoke{Name: "Nope", Call: wire.CallInvokeMethod, Index: 0, Serial: 6, PropertyIndex: -1})
				pong("after-invoke")
				// and the source still answers good calls
				add := h.Source("Obj").Class().MethodIndex("add")
				p.send(&wire.Invoke{Name: "Obj", Call: wire.CallInvokeMethod, Index: int32(add), Args: []qds.Variant{qds.IntOf(1), qds.IntOf(2)}, Serial: 7, PropertyIndex: -1})
				p.expectNext(wire.InvokeReplyPacket)
			})

			It("skips a packet of unknown type by its length and goes on", func() {
				p.send(&wire.UnknownPacket{PacketType: 77, Body: []byte{1, 2, 3, 4, 5}})
				pong("after-unknown")
			})

			It("closes a connection whose frame exceeds Limits.MaxFrameSize", func() {
				hdr := make([]byte, 6)
				if e.D == wire.Qt6 {
					binary.LittleEndian.PutUint32(hdr, 2<<20)
					binary.LittleEndian.PutUint16(hdr[4:], uint16(wire.Ping))
				} else {
					binary.BigEndian.PutUint32(hdr, 2<<20)
					binary.BigEndian.PutUint16(hdr[4:], uint16(wire.Ping))
				}
				_, err := p.c.Write(hdr)
				Expect(err).NotTo(HaveOccurred())
				Expect(isClosed(p.c, 5*time.Second)).To(BeTrue())
				Eventually(h.Connections).Should(BeZero())
				// other clients are not affected
				waitValid(acquireDynamic(connectedNode(h.URL()), "Obj"))
			})

			It("closes a connection that sends a frame too short to hold a type", func() {
				hdr := make([]byte, 4)
				if e.D == wire.Qt6 {
					binary.LittleEndian.PutUint32(hdr, 1)
				} else {
					binary.BigEndian.PutUint32(hdr, 1)
				}
				_, err := p.c.Write(append(hdr, 0))
				Expect(err).NotTo(HaveOccurred())
				Expect(isClosed(p.c, 5*time.Second)).To(BeTrue())
			})
		})
	})
})
