// Package liveness_test checks the Go reference node against real Qt hosts
// that die and come back, and against a host that stops answering: the
// replica goes Suspect, reconnects, re-initialises, and loses no update
// after the re-init; a silent host is detected within two heartbeat
// intervals. The Qt hosts run as native processes (the adapter contract's
// qtro-peer), so they can be killed like real programs.
package liveness_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

func TestLiveness(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "liveness: Go replicas of dying and silent hosts")
}

var _ = AfterSuite(func() {
	Expect(goleak.Find(goleak.IgnoreCurrent())).To(Succeed())
})

func tickClass(d wire.Dialect) *meta.Class {
	root, err := checkout.Root()
	Expect(err).NotTo(HaveOccurred())
	src, err := os.ReadFile(filepath.Join(root, "fixtures", "rep", "tick.rep"))
	Expect(err).NotTo(HaveOccurred())
	c, err := meta.ParseRep("tick.rep", src, "Tick", d)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// counterLog records what a replica sees: every counter value in order,
// and the index in that list where each Init started.
type counterLog struct {
	mu     sync.Mutex
	values []int64
	inits  []int // positions of Init values in values
	states []node.State
}

func (l *counterLog) observe(r *node.Replica) {
	r.Subscribe(func(ev node.Event) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev.Kind {
		case node.Initialized:
			v, _ := r.Property("counter")
			l.inits = append(l.inits, len(l.values))
			l.values = append(l.values, v.Int())
		case node.PropertyChanged:
			if len(l.inits) > 0 && l.values[len(l.values)-1] == ev.Value.Int() && len(l.values)-1 == l.inits[len(l.inits)-1] {
				return // the Init's own notification of the same value
			}
			l.values = append(l.values, ev.Value.Int())
		case node.StateChanged:
			l.states = append(l.states, ev.New)
		}
	})
}

func (l *counterLog) snapshot() ([]int64, []int, []node.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.values...), append([]int(nil), l.inits...), append([]node.State(nil), l.states...)
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startQtHost(ctx context.Context, major int, url, tmp string) *adapter.Adapter {
	bin, err := adapter.QtPeer(ctx, major)
	Expect(err).NotTo(HaveOccurred())
	a, err := adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: adapter.Host,
		Args: []string{"--url", url, "--type", "tick"}, TempDir: tmp, Log: GinkgoWriter,
		Name: fmt.Sprintf("qt%d host", major)})
	Expect(err).NotTo(HaveOccurred())
	return a
}

var _ = Describe("a Qt host killed mid-stream and restarted on the same URL", func() {
	for _, major := range []int{5, 6} {
		for _, transport := range []string{"tcp", "local"} {
			It(fmt.Sprintf("Qt %d over %s: the Go replica goes Suspect, re-initialises and loses no update after the re-init", major, transport), func(ctx SpecContext) {
				d := wire.Qt5
				if major == 6 {
					d = wire.Qt6
				}
				tmp := GinkgoT().TempDir()
				url := fmt.Sprintf("tcp://127.0.0.1:%d", freePort())
				if transport == "local" {
					url = "local:" + filepath.Join(tmp, "tick.sock")
				}
				host := startQtHost(ctx, major, url, tmp)
				n := node.NewNode(node.Config{RetryInterval: 100 * time.Millisecond})
				DeferCleanup(n.Close)
				// Acquire and subscribe before connecting: an Init that arrived
				// before Subscribe would be missed (the first Init was, now
				// and then, on a fast local socket).
				r, err := n.Acquire("Tick", node.StaticClass{Class: tickClass(d)})
				Expect(err).NotTo(HaveOccurred())
				var log counterLog
				log.observe(r)
				Expect(n.ConnectToNode(url)).To(Succeed())
				Expect(r.WaitForSource(ctx)).To(Succeed())

				// Stream changes, then kill the host without warning.
				_, err = host.Do(ctx, adapter.Load("props", map[string]any{"count": 1000000, "rate": 5000, "batch": 1}))
				Expect(err).NotTo(HaveOccurred())
				Eventually(func() int { v, _, _ := log.snapshot(); return len(v) }).WithContext(ctx).Should(BeNumerically(">", 200))
				Expect(host.Signal(syscall.SIGKILL)).To(Succeed())
				Expect(r.WaitForState(ctx, node.Suspect)).To(Succeed())
				_ = host.Close()
				before, _, _ := log.snapshot()

				// A new host process on the same URL: re-init, then more changes.
				host2 := startQtHost(ctx, major, url, tmp)
				DeferCleanup(host2.Close)
				Expect(r.WaitForState(ctx, node.Valid)).To(Succeed())
				_, err = host2.Do(ctx, adapter.Load("props", map[string]any{"count": 3000, "rate": 0, "batch": 1}))
				Expect(err).NotTo(HaveOccurred())
				Eventually(func() int64 { v, _, _ := log.snapshot(); return v[len(v)-1] }).WithContext(ctx).Should(BeEquivalentTo(3000))

				values, inits, states := log.snapshot()
				Expect(len(inits)).To(Equal(2), "two Inits: the first host's and the restarted one's")
				Expect(states).To(ContainElements(node.Suspect, node.Valid))
				// Before the kill: consecutive values (no loss while Valid).
				for i := inits[0] + 1; i < len(before); i++ {
					Expect(before[i]).To(Equal(before[i-1]+1), "update %d before the kill", i)
				}
				// After the re-init: the Init value, then every change in order.
				after := values[inits[1]:]
				Expect(after[0]).To(BeEquivalentTo(0), "a restarted host's Init carries its fresh counter")
				for i := 1; i < len(after); i++ {
					Expect(after[i]).To(Equal(after[i-1]+1), "update %d after the re-init (lost or reordered)", i)
				}
				Expect(after[len(after)-1]).To(BeEquivalentTo(3000))
			}, SpecTimeout(90*time.Second))
		}
	}
})

var _ = Describe("a host that stops answering Pings", func() {
	for _, d := range wire.Dialects {
		It(fmt.Sprintf("%v: is detected within two heartbeat intervals, then the replica reconnects and re-initialises", d), func(ctx SpecContext) {
			const interval = 300 * time.Millisecond
			cls := tickClass(d)
			srv, err := wirepeer.Listen(ctx, "tcp://127.0.0.1:0", d)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(srv.Close)
			n := node.NewNode(node.Config{HeartbeatInterval: interval, RetryInterval: 100 * time.Millisecond})
			DeferCleanup(n.Close)
			Expect(n.ConnectToNode(srv.URL())).To(Succeed())
			r, err := n.Acquire("Tick", node.StaticClass{Class: cls})
			Expect(err).NotTo(HaveOccurred())
			var suspectAt time.Time
			var mu sync.Mutex
			r.Subscribe(func(ev node.Event) {
				if ev.Kind == node.StateChanged && ev.New == node.Suspect {
					mu.Lock()
					suspectAt = time.Now()
					mu.Unlock()
				}
			})
			serve := func() *wirepeer.Conn {
				c, err := srv.Accept(ctx)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(func() { _ = c.Close() })
				Expect(c.Greet(wire.ObjectInfo{Name: "Tick", TypeName: qds.Str("Tick"), Signature: []byte(cls.Signature)})).To(Succeed())
				_, err = c.ExpectType(ctx, wire.AddObject)
				Expect(err).NotTo(HaveOccurred())
				Expect(c.Send(&wire.Init{Name: "Tick", Values: []qds.Variant{qds.IntOf(5)}})).To(Succeed())
				return c
			}
			c := serve()
			silentSince := time.Now() // the host's last packet: nothing more comes from it
			Expect(r.WaitForSource(ctx)).To(Succeed())
			p, err := c.ExpectType(ctx, wire.Ping)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.ObjectName()).To(Equal("Tick"))
			Expect(r.WaitForState(ctx, node.Suspect)).To(Succeed())
			mu.Lock()
			detected := suspectAt.Sub(silentSince)
			mu.Unlock()
			GinkgoWriter.Printf("silent host detected after %v (interval %v)\n", detected, interval)
			Expect(detected).To(BeNumerically("<=", 2*interval+150*time.Millisecond), "detection time")
			Expect(c.WaitClosed(ctx)).To(BeTrue(), "the replica drops the silent connection")

			// The node reconnects; a host that answers makes the replica Valid again.
			c2 := serve()
			Expect(r.WaitForState(ctx, node.Valid)).To(Succeed())
			// Answer every Ping from now on.
			pongs := make(chan int, 1)
			go func() {
				n := 0
				defer func() { pongs <- n }()
				for {
					p, err := c2.ExpectType(ctx, wire.Ping)
					if err != nil {
						return
					}
					if c2.Send(&wire.PongPacket{Name: p.ObjectName()}) != nil {
						return
					}
					n++
				}
			}()
			Consistently(r.State, 4*interval).Should(Equal(node.Valid), "an answered heartbeat keeps the replica Valid")
			c2.Close()
			Expect(<-pongs).To(BeNumerically(">=", 3), "Pings answered while Valid")
		}, SpecTimeout(60*time.Second))
	}
})
