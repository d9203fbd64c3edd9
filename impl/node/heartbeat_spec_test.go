package node_test

import (
	"encoding/binary"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

var _ = Describe("Heartbeat", Label("heartbeat"), func() {
	forEachEnv(func(e specEnv) {
		const iv = 200 * time.Millisecond

		// §7.6 [V] and E3: a Ping still unanswered when the timer fires
		// again drops the connection; the replica goes Suspect, the node
		// reconnects and the source is initialised again.
		It("detects a host that ignores Pings within two intervals, then reconnects and re-initialises", func() {
			f := newFakeHost(e.anyURL(), e.D, "HB", specClass(e.D, "HB"))
			n := newNode(withHeartbeat(iv), withRetry(50*time.Millisecond))
			r := acquireDynamic(n, "HB")
			rec := recordAll(r)
			Expect(n.ConnectToNode(f.url)).To(Succeed())
			waitValid(r)
			Expect(prop(r, "n").Int()).To(BeEquivalentTo(3))
			var validAt time.Time
			Eventually(func() bool {
				var ok bool
				validAt, ok = rec.firstState(node.Valid, time.Time{})
				return ok
			}).Should(BeTrue())

			Eventually(r.State, 10*iv).Should(Equal(node.Suspect))
			var suspectAt time.Time
			Eventually(func() bool {
				var ok bool
				suspectAt, ok = rec.firstState(node.Suspect, validAt)
				return ok
			}).Should(BeTrue())
			took := suspectAt.Sub(validAt)
			Expect(took).To(BeNumerically(">=", iv+iv/2), "gave up before a whole interval without Pong")
			Expect(took).To(BeNumerically("<=", 2*iv+150*time.Millisecond), "not detected within two intervals")
			Expect(f.pings.Load()).To(BeNumerically(">=", 1))

			Eventually(r.State).Should(Equal(node.Valid))
			Expect(r.Inits()).To(Equal(2))
			Expect(f.accs.Load()).To(BeNumerically(">=", 2))
			Expect(f.inits.Load()).To(BeNumerically(">=", 2))
			Eventually(func() []string {
				if t := rec.transitions(); len(t) >= 3 {
					return t[:3]
				}
				return rec.transitions()
			}).Should(Equal([]string{"Uninitialized->Valid", "Valid->Suspect", "Suspect->Valid"}))
		})

		It("keeps a healthy replica Valid under a steady stream of updates, with every Ping answered", func() {
			h := e.newHost(e.anyURL())
			src := specObject(e.D)
			remote(h, src, "Obj")
			t := e.newTap(h.URL())
			// 200 ms, not the 50 ms of the other specs: this one must not
			// flap, and under -race on a loaded 2-core machine a 50 ms stall
			// of the reader happens (it failed so, 255 of 300 changes).
			const hb = 200 * time.Millisecond
			n := connectedNode(t.url, withHeartbeat(hb))
			r := acquireDynamic(n, "Obj")
			waitValid(r)
			rec := record(r)

			const N = 300
			start := time.Now()
			for i := 1; i <= N; i++ {
				Expect(src.SetProperty("count", i)).To(Succeed())
				time.Sleep(5 * time.Millisecond) // a steady stream over ~1.5 s, not a burst
			}
			Eventually(func() int { return len(rec.intChanges("count")) }).Should(Equal(N))
			Expect(rec.count(node.StateChanged)).To(BeZero(), "the replica flapped: %v", rec.transitions())
			Expect(r.State()).To(Equal(node.Valid))

			elapsed := time.Since(start)
			pings := len(t.find(true, wire.Ping, "Obj"))
			Expect(pings).To(BeNumerically(">=", int(elapsed/hb)/2), "too few Pings in %v", elapsed)
			Eventually(func() int { return len(t.find(false, wire.Pong, "Obj")) }).Should(BeNumerically(">=", pings))
		})

		It("pings once per replica per interval, each under its own name", func() {
			h := e.newHost(e.anyURL())
			for _, name := range []string{"A", "B", "C"} {
				remote(h, specObject(e.D), name)
			}
			t := e.newTap(h.URL())
			n := connectedNode(t.url, withHeartbeat(50*time.Millisecond))
			for _, name := range []string{"A", "B", "C"} {
				waitValid(acquireDynamic(n, name))
			}
			for _, name := range []string{"A", "B", "C"} {
				Eventually(func() int { return len(t.find(true, wire.Ping, name)) }).Should(BeNumerically(">=", 3))
				Eventually(func() int { return len(t.find(false, wire.Pong, name)) }).Should(BeNumerically(">=", 3))
			}
		})

		// E3: a host answers every Ping with a Pong of the same name, even
		// for names it does not know.
		It("answers every Ping with a Pong of the same name, known or not", func() {
			h := e.newHost(e.anyURL())
			remote(h, specObject(e.D), "Obj")
			p := dialRaw(h.URL(), e.D)
			p.greet()
			p.send(&wire.PingPacket{Name: "Obj"}, &wire.PingPacket{Name: "NoSuchObject"}, &wire.PingPacket{Name: ""})
			for _, want := range []string{"Obj", "NoSuchObject", ""} {
				name, _ := p.expectNext(wire.Pong)
				Expect(name).To(Equal(want))
			}
		})
	})
})

var _ = Describe("Slow consumer", Label("remoting", "slowconsumer"), func() {
	forEachEnv(func(e specEnv) {
		It("cuts off a client that never reads, while another replica gets every update and its Pongs", func() {
			// Each update queues the value twice (PropertyChange, then the
			// notify Invoke with the value as argument): ~128 KiB.
			const (
				maxQueue = 1 << 20
				blobSize = 64 << 10
				N        = 300 // ~38 MiB per listener: far more than socket buffers hold
				window   = 2   // updates the healthy replica may lag behind (~256 KiB queued)
			)
			h := e.newHost(e.anyURL(), withMaxSendQueue(maxQueue))
			src := specObject(e.D)
			remote(h, src, "Obj")

			// Default socket buffers: with a tiny receive window, the data
			// the kernel already holds after the host's close would take
			// minutes to drain before the EOF shows.
			slow := dialRaw(h.URL(), e.D)
			slow.greet()
			slow.send(&wire.AddObjectPacket{Name: "Obj", Dynamic: true})
			// ... and never reads again.

			// A Pong waits behind what is queued on its own connection (up
			// to ~3 updates here); 300 ms leaves room for a loaded -race run.
			n := connectedNode(h.URL(), withHeartbeat(300*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			waitValid(r)
			rec := record(r)
			Eventually(h.Connections).Should(Equal(2))

			for i := 1; i <= N; i++ {
				blob := make([]byte, blobSize)
				binary.BigEndian.PutUint32(blob, uint32(i))
				Expect(src.SetProperty("blob", blob)).To(Succeed())
				if i > window {
					Eventually(func() int { return len(rec.changes("blob")) }).Should(BeNumerically(">=", i-window))
				}
			}
			Eventually(func() int { return len(rec.changes("blob")) }).Should(Equal(N),
				"the healthy replica missed updates; its transitions: %v", rec.transitions())
			Eventually(h.Connections).Should(Equal(1), "the slow consumer is still connected")
			Expect(isClosed(slow.c, 10*time.Second)).To(BeTrue(), "the host did not close the slow consumer")

			for i, v := range rec.changes("blob") {
				b := v.Bytes()
				Expect(b).To(HaveLen(blobSize))
				Expect(binary.BigEndian.Uint32(b)).To(BeEquivalentTo(i+1), "update %d out of order", i+1)
			}
			Expect(rec.count(node.StateChanged)).To(BeZero(), "the healthy replica lost its heartbeat: %v", rec.transitions())
			Expect(r.State()).To(Equal(node.Valid))
			v, err := r.Call(waitCtx(5*time.Second), "add", 2, 2)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Int()).To(BeEquivalentTo(4))
		})
	})
})
