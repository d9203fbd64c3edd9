package node_test

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
)

// Concurrency: several goroutines drive one host and one node at once.
// These specs assert convergence and per-writer order; the race detector
// and the leak check do the rest.
var _ = Describe("Concurrent use", Label("remoting", "stress"), func() {
	forEachEnv(func(e specEnv) {
		It("converges to the source's values when several goroutines set properties and emit at once", func() {
			h := e.newHost(e.anyURL())
			src := node.NewSource(specClass(e.D, "AllTypes"))
			remote(h, src, "All")
			st := acquireStatic(connectedNode(h.URL()), "All", specClass(e.D, "AllTypes"))
			dyn := acquireDynamic(connectedNode(h.URL()), "All")
			waitValid(st)
			waitValid(dyn)
			recS := record(st)

			props := []string{"i32", "i64", "dbl", "text"}
			var wg sync.WaitGroup
			for w, name := range props {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					for i := 1; i <= 250; i++ {
						var v any = i + w*1000
						switch name {
						case "dbl":
							v = float64(i) / 4
						case "text":
							v = fmt.Sprint("t", i)
						}
						Expect(src.SetProperty(name, v)).To(Succeed())
					}
				}()
			}
			wg.Wait()
			for _, r := range []*node.Replica{st, dyn} {
				Eventually(func() []qds.Variant {
					var out []qds.Variant
					for _, name := range props {
						v, _ := r.Property(name)
						out = append(out, v)
					}
					return out
				}).Should(Equal([]qds.Variant{qds.IntOf(250), qds.LongLongOf(1250), qds.DoubleOf(62.5), qds.StringOf("t250")}))
			}
			// Each writer's own changes arrive in its order.
			Eventually(func() int { return len(recS.intChanges("i32")) }).Should(Equal(250))
			for k, v := range recS.intChanges("i32") {
				Expect(v).To(BeEquivalentTo(k + 1))
			}
		})

		It("survives replicas acquired and released in a loop while the source changes", func() {
			h := e.newHost(e.anyURL())
			src := specObject(e.D)
			remote(h, src, "Obj")
			n := connectedNode(h.URL())
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					Expect(src.SetProperty("count", i)).To(Succeed())
					Expect(src.Emit("fired", i, "x")).To(Succeed())
					time.Sleep(time.Millisecond)
				}
			}()
			for range 30 {
				r, err := n.AcquireDynamic("Obj")
				Expect(err).NotTo(HaveOccurred())
				rec := recordAll(r)
				Expect(r.WaitForSource(waitCtx(5 * time.Second))).To(Succeed())
				Eventually(func() int { return len(rec.signals("fired")) }).Should(BeNumerically(">", 0))
				r.Release()
			}
			close(stop)
			wg.Wait()
			r := acquireDynamic(n, "Obj")
			waitValid(r)
			Eventually(func() int64 { return prop(r, "count").Int() }).Should(Equal(srcProp(src, "count").Int()))
		})

		It("ends up Valid with the last host's values after several quick host restarts", func() {
			url := e.fixedURL()
			n := connectedNode(url, withRetry(20*time.Millisecond))
			r := acquireDynamic(n, "Obj")
			for i := 1; i <= 5; i++ {
				h, err := node.NewHost(specCtx(), url, e.cfg())
				Expect(err).NotTo(HaveOccurred())
				src := specObject(e.D)
				Expect(src.SetProperty("count", i)).To(Succeed())
				remote(h, src, "Obj")
				Eventually(r.State).Should(Equal(node.Valid))
				Eventually(propInt(r, "count")).Should(BeEquivalentTo(i))
				if i < 5 {
					Expect(h.Close()).To(Succeed())
					Eventually(r.State).Should(Equal(node.Suspect))
				} else {
					DeferCleanup(h.Close)
				}
			}
			Expect(r.Inits()).To(Equal(5))
		})

		// E4/E15: acquisitions racing with connection losses must not leave
		// a replica bound to a dead connection.
		It("recovers every replica after acquisitions race with host restarts", func() {
			url := e.fixedURL()
			n := connectedNode(url, withRetry(5*time.Millisecond))
			long := acquireDynamic(n, "Obj")
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r, err := n.AcquireDynamic("Obj")
					Expect(err).NotTo(HaveOccurred())
					time.Sleep(time.Millisecond)
					r.Release()
				}
			}()
			for i := range 20 {
				h, err := node.NewHost(specCtx(), url, e.cfg())
				Expect(err).NotTo(HaveOccurred(), "restart %d", i)
				src := specObject(e.D)
				Expect(src.SetProperty("count", i)).To(Succeed())
				remote(h, src, "Obj")
				time.Sleep(time.Duration(5+i%4*10) * time.Millisecond)
				Expect(h.Close()).To(Succeed())
			}
			close(stop)
			wg.Wait()

			h := e.newHost(url)
			src := specObject(e.D)
			Expect(src.SetProperty("count", 99)).To(Succeed())
			remote(h, src, "Obj")
			Eventually(long.State).Should(Equal(node.Valid))
			Eventually(propInt(long, "count")).Should(BeEquivalentTo(99))
			fresh := acquireDynamic(n, "Obj")
			waitValid(fresh)
			Expect(prop(fresh, "count").Int()).To(BeEquivalentTo(99))
		})

		It("lets calls from many goroutines through one replica each get their own reply", func() {
			h := e.newHost(e.anyURL())
			remote(h, specObject(e.D), "Obj")
			r := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
			waitValid(r)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					for i := range 50 {
						v, err := r.Call(waitCtx(10*time.Second), "add", g*1000, i)
						Expect(err).NotTo(HaveOccurred())
						Expect(v.Int()).To(BeEquivalentTo(g*1000 + i))
					}
				}()
			}
			wg.Wait()
		})

		It("closes hosts and nodes cleanly while clients connect and traffic flows", func() {
			h, err := node.NewHost(specCtx(), e.anyURL(), e.cfg())
			Expect(err).NotTo(HaveOccurred())
			src := specObject(e.D)
			remote(h, src, "Obj")
			var nodes []*node.Node
			for range 5 {
				n := node.NewNode(node.Config{HeartbeatInterval: 20 * time.Millisecond, RetryInterval: 10 * time.Millisecond})
				Expect(n.ConnectToNode(h.URL())).To(Succeed())
				_, err := n.AcquireDynamic("Obj")
				Expect(err).NotTo(HaveOccurred())
				nodes = append(nodes, n)
			}
			for i := 1; i <= 50; i++ {
				Expect(src.SetProperty("count", i)).To(Succeed())
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.Close()
				for _, n := range nodes {
					n.Close()
				}
			}()
			Eventually(done).Should(BeClosed())
		})
	})
})
