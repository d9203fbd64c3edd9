package node_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

var _ = Describe("Remoting", Label("remoting"), func() {
	forEachEnv(func(e specEnv) {
		var (
			h   *node.Host
			src *node.Source
		)
		BeforeEach(func() {
			h = e.newHost(e.anyURL())
			src = specObject(e.D)
			remote(h, src, "Obj")
		})

		Describe("EnableRemoting and DisableRemoting", func() {
			It("offers a source enabled later to nodes already connected (ObjectList broadcast)", func() {
				n := connectedNode(h.URL())
				waitValid(acquireDynamic(n, "Obj")) // the node is connected now
				late := acquireDynamic(n, "Late")
				Consistently(late.State).Should(Equal(node.Uninitialized))
				lateSrc := specObject(e.D)
				Expect(lateSrc.SetProperty("count", 5)).To(Succeed())
				remote(h, lateSrc, "Late")
				waitValid(late)
				Expect(prop(late, "count").Int()).To(BeEquivalentTo(5))
				Expect(lateSrc.Name()).To(Equal("Late"))
				Expect(h.Source("Late")).To(BeIdenticalTo(lateSrc))
			})

			It("makes acquired replicas Suspect on DisableRemoting and Valid again on re-enable, with fresh values", func() {
				n := connectedNode(h.URL())
				st := acquireStatic(n, "Obj", specClass(e.D, "SpecObject"))
				waitValid(st)
				rec := record(st)

				Expect(h.DisableRemoting("Obj")).To(Succeed())
				Eventually(st.State).Should(Equal(node.Suspect))
				Expect(h.Source("Obj")).To(BeNil())

				Expect(src.SetProperty("count", 9)).To(Succeed()) // while not remoted
				remote(h, src, "Obj")
				Eventually(st.State).Should(Equal(node.Valid))
				Expect(st.Inits()).To(Equal(2))
				Expect(prop(st, "count").Int()).To(BeEquivalentTo(9))
				Eventually(rec.transitions).Should(Equal([]string{"Valid->Suspect", "Suspect->Valid"}))
				Eventually(rec.changedNames).Should(Equal([]string{"count"}))
			})

			It("reports no name for a source no longer remoted", func() {
				Expect(src.Name()).To(Equal("Obj"))
				Expect(h.DisableRemoting("Obj")).To(Succeed())
				Expect(src.Name()).To(BeEmpty(), `Source.Name: "" if not remoted`)
			})

			// §7.2/§7.4: RemoveObject goes to listeners only; every connection
			// gets the ObjectList of a newly enabled source.
			It("sends RemoveObject only to connections that added the source", func() {
				a := dialRaw(h.URL(), e.D)
				Expect(a.greet()).To(ConsistOf(HaveField("Name", "Obj")))
				b := dialRaw(h.URL(), e.D)
				Expect(b.greet()).To(ConsistOf(HaveField("Name", "Obj")))
				a.send(&wire.AddObjectPacket{Name: "Obj", Dynamic: true})
				a.expectNext(wire.InitDynamicPacket)

				Expect(h.DisableRemoting("Obj")).To(Succeed())
				remote(h, specObject(e.D), "Ctl") // a marker both must see next

				name, _ := a.expectNext(wire.RemoveObject)
				Expect(name).To(Equal("Obj"))
				_, objs := a.expectNext(wire.ObjectList)
				Expect(objs).To(ConsistOf(HaveField("Name", "Ctl")))
				_, objs = b.expectNext(wire.ObjectList) // and no RemoveObject before it
				Expect(objs).To(ConsistOf(HaveField("Name", "Ctl")))
			})

			It("refuses a source with no name and no class name (MissingObjectName)", func() {
				anon := node.NewSource(&meta.Class{Properties: []meta.Property{{Name: "x", Type: "int", Notify: -1, Push: -1, Default: qds.IntOf(0)}}})
				err := h.EnableRemoting(anon, "")
				Expect(err).To(MatchError(&node.Error{Code: node.MissingObjectName}))
				Expect(node.CodeOf(err)).To(Equal(node.MissingObjectName))
				Expect(anon.Name()).To(BeEmpty())
			})

			It("names a source after its class when no name is given", func() {
				named := specObject(e.D)
				Expect(h.DisableRemoting("Obj")).To(Succeed())
				Expect(h.EnableRemoting(named, "")).To(Succeed())
				Expect(named.Name()).To(Equal("SpecObject"))
				waitValid(acquireDynamic(connectedNode(h.URL()), "SpecObject"))
			})

			It("refuses to disable an unknown source (SourceNotRegistered)", func() {
				err := h.DisableRemoting("Nope")
				Expect(err).To(MatchError(&node.Error{Code: node.SourceNotRegistered}))
				Expect(h.DisableRemoting("Obj")).To(Succeed())
				Expect(node.CodeOf(h.DisableRemoting("Obj"))).To(Equal(node.SourceNotRegistered))
			})

			It("refuses a second source under a name in use, and the same source twice", func() {
				Expect(src.SetProperty("count", 1)).To(Succeed())
				other := specObject(e.D)
				Expect(other.SetProperty("count", 2)).To(Succeed())
				Expect(h.EnableRemoting(other, "Obj")).NotTo(Succeed())
				Expect(other.Name()).To(BeEmpty())
				Expect(h.EnableRemoting(src, "Obj2")).NotTo(Succeed())
				Expect(h.Source("Obj")).To(BeIdenticalTo(src))
				Expect(h.Source("Obj2")).To(BeNil())

				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				Expect(prop(r, "count").Int()).To(BeEquivalentTo(1))
			})
		})

		Describe("property changes", func() {
			// E12 and notifyTest/dynamicNotifyTest: exactly one notification
			// per change, with the right value, in order, none lost.
			It("delivers 1000 changes to static and dynamic replicas in order, each exactly once", func() {
				const N = 1000
				st := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
				dyn := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(st)
				waitValid(dyn)
				recS, recD := record(st), record(dyn)
				want := make([]int64, N)
				for i := range N {
					want[i] = int64(i + 1)
					Expect(src.SetProperty("count", i+1)).To(Succeed())
				}
				for _, rec := range []*recorder{recS, recD} {
					Eventually(func() int { return len(rec.intChanges("count")) }).Should(BeNumerically(">=", N))
					Consistently(func() int { return len(rec.intChanges("count")) }, 100*time.Millisecond).Should(Equal(N))
					Expect(rec.intChanges("count")).To(Equal(want))
					// The notify Invoke becomes the PropertyChanged event,
					// not an extra countChanged signal.
					Expect(rec.signals("countChanged")).To(BeEmpty())
					Expect(rec.count(node.StateChanged)).To(BeZero())
				}
				Expect(prop(st, "count").Int()).To(BeEquivalentTo(N))
				Expect(prop(dyn, "count").Int()).To(BeEquivalentTo(N))
			})

			// E12: one ordered stream per source and connection, whatever
			// the mix of property changes and signals.
			It("keeps property changes and signals in the order the source made them", func() {
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				rec := record(r)
				var want []string
				for i := 1; i <= 200; i++ {
					Expect(src.SetProperty("count", i)).To(Succeed())
					Expect(src.Emit("fired", i, "x")).To(Succeed())
					want = append(want, fmt.Sprintf("count=%d", i), fmt.Sprintf("fired(%d)", i))
				}
				seq := func() []string {
					var out []string
					for _, ev := range rec.events() {
						switch ev.Kind {
						case node.PropertyChanged:
							out = append(out, fmt.Sprintf("%s=%d", ev.Name, ev.Value.Int()))
						case node.SignalEmitted:
							out = append(out, fmt.Sprintf("%s(%d)", ev.Name, ev.Args[0].Int()))
						}
					}
					return out
				}
				Eventually(func() int { return len(seq()) }).Should(Equal(len(want)))
				Expect(seq()).To(Equal(want))
			})

			It("refuses a value of the wrong type and sends nothing", func() {
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				rec := record(r)
				Expect(src.SetProperty("count", "three")).To(MatchError(qds.ErrBadValue))
				Expect(src.SetProperty("count", int64(1)<<40)).To(MatchError(qds.ErrBadValue))
				Expect(src.SetProperty("nope", 1)).To(MatchError(node.ErrNoSuchMember))
				Expect(srcProp(src, "count").Int()).To(BeZero())
				Expect(src.SetProperty("count", 1)).To(Succeed()) // the marker
				Eventually(rec.changedNames).Should(Equal([]string{"count"}))
			})

			It("does not notify a change to the same value, nor a property without notify signal", func() {
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				rec := record(r)
				Expect(src.SetProperty("count", 0)).To(Succeed())  // unchanged
				Expect(src.SetProperty("fixed", 99)).To(Succeed()) // CONSTANT
				Expect(src.SetProperty("count", 1)).To(Succeed())  // the marker
				Eventually(rec.changedNames).Should(Equal([]string{"count"}))
				Consistently(rec.changedNames, 100*time.Millisecond).Should(Equal([]string{"count"}))
				Expect(prop(r, "fixed").Int()).To(BeEquivalentTo(7), "CONSTANT values only travel in Init")
				r2 := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r2)
				Expect(prop(r2, "fixed").Int()).To(BeEquivalentTo(99))
			})

			// setterTest / dynamicSetterTest: call=2 writes, the change comes
			// back as a PropertyChange.
			It("round-trips a READWRITE write from a static and a dynamic replica", func() {
				log := observe(src)
				st := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
				dyn := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(st)
				waitValid(dyn)
				recS, recD := record(st), record(dyn)

				Expect(st.SetProperty("ratio", 2.5)).To(Succeed())
				Eventually(func() float64 { return srcProp(src, "ratio").Float() }).Should(Equal(2.5))
				Eventually(func() []qds.Variant { return recS.changes("ratio") }).Should(ConsistOf(qds.DoubleOf(2.5)))
				Eventually(func() []qds.Variant { return recD.changes("ratio") }).Should(ConsistOf(qds.DoubleOf(2.5)))

				Expect(dyn.SetProperty("ratio", 0.25)).To(Succeed())
				Eventually(func() float64 { return prop(st, "ratio").Float() }).Should(Equal(0.25))
				Eventually(func() float64 { return prop(dyn, "ratio").Float() }).Should(Equal(0.25))
				ratio := src.Class().PropertyIndex("ratio")
				Eventually(log.writes).Should(Equal([]int{ratio, ratio})) // Observe runs on its own goroutine
			})

			It("lets a static replica write only READWRITE properties, and sends nothing otherwise", func() {
				log := observe(src)
				st := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
				waitValid(st)
				Expect(st.SetProperty("label", "x")).To(MatchError(node.ErrNotWritable)) // READONLY
				Expect(st.SetProperty("count", 3)).To(MatchError(node.ErrNotWritable))   // READPUSH: use pushCount
				Expect(st.SetProperty("fixed", 3)).To(MatchError(node.ErrNotWritable))   // CONSTANT
				Expect(st.SetProperty("nope", 3)).To(MatchError(node.ErrNoSuchMember))
				Expect(st.SetProperty("ratio", 4.0)).To(Succeed()) // the marker
				Eventually(func() float64 { return srcProp(src, "ratio").Float() }).Should(Equal(4.0))
				Eventually(log.writes).Should(Equal([]int{src.Class().PropertyIndex("ratio")})) // Observe runs on its own goroutine
				Expect(srcProp(src, "label").IsNullValue()).To(BeTrue())
				Expect(srcProp(src, "count").Int()).To(BeZero())
			})

			It("sets a READPUSH property through its push slot (pushTest)", func() {
				st := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
				waitValid(st)
				rec := record(st)
				pc, err := st.Invoke("pushCount", 7)
				Expect(err).NotTo(HaveOccurred())
				Expect(pc.Serial()).To(BeEquivalentTo(-1), "push slots are void: no reply asked")
				Eventually(func() int64 { return srcProp(src, "count").Int() }).Should(BeEquivalentTo(7))
				Eventually(func() []int64 { return rec.intChanges("count") }).Should(Equal([]int64{7}))
				_, err = st.Invoke("pushMode", "Auto")
				Expect(err).NotTo(HaveOccurred())
				Eventually(func() []int64 { return rec.intChanges("mode") }).Should(Equal([]int64{5}))
			})
		})

		Describe("slots", func() {
			for _, dynamic := range []bool{false, true} {
				kind := map[bool]string{false: "static", true: "dynamic"}[dynamic]
				acquire := func(n *node.Node) *node.Replica {
					if dynamic {
						return acquireDynamic(n, "Obj")
					}
					return acquireStatic(n, "Obj", specClass(e.D, "SpecObject"))
				}

				It("returns a slot's value to a "+kind+" replica (slotTest)", func() {
					r := acquire(connectedNode(h.URL()))
					waitValid(r)
					v, err := r.Call(waitCtx(5*time.Second), "add", 2, 3)
					Expect(err).NotTo(HaveOccurred())
					Expect(v.Type()).To(Equal(qds.Int))
					Expect(v.Int()).To(BeEquivalentTo(5))
					v, err = r.Call(waitCtx(5*time.Second), "echo(QString)", "héllo ✓")
					Expect(err).NotTo(HaveOccurred())
					Expect(v).To(Equal(qds.StringOf("héllo ✓")))
					// Calls in flight at once get their own replies.
					var pcs []*node.PendingCall
					for i := range 20 {
						pc, err := r.Invoke("add", i, 1000)
						Expect(err).NotTo(HaveOccurred())
						pcs = append(pcs, pc)
					}
					for i, pc := range pcs {
						v, err := pc.Wait(waitCtx(5 * time.Second))
						Expect(err).NotTo(HaveOccurred())
						Expect(v.Int()).To(BeEquivalentTo(i + 1000))
					}
				})

				It("calls a void slot from a "+kind+" replica without asking for a reply", func() {
					log := observe(src)
					r := acquire(connectedNode(h.URL()))
					waitValid(r)
					pc, err := r.Invoke("ping")
					Expect(err).NotTo(HaveOccurred())
					Expect(pc.Serial()).To(BeEquivalentTo(-1), "no reply asked")
					v, err := pc.Wait(waitCtx(time.Second)) // already complete
					Expect(err).NotTo(HaveOccurred())
					Expect(v.IsValid()).To(BeFalse())
					v, err = r.Call(waitCtx(5*time.Second), "ping")
					Expect(err).NotTo(HaveOccurred())
					Expect(v.IsValid()).To(BeFalse())
					ping := src.Class().MethodIndex("ping")
					Eventually(log.calls).Should(Equal([]int{ping, ping}))
					// Asked anyway, a void slot's reply is an invalid QVariant (§7.3).
					pc, err = r.InvokeIndex(ping, nil, true)
					Expect(err).NotTo(HaveOccurred())
					v, err = pc.Wait(waitCtx(5 * time.Second))
					Expect(err).NotTo(HaveOccurred())
					Expect(v.IsValid()).To(BeFalse())
				})
			}

			It("checks the arguments of a call before sending it", func() {
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				_, err := r.Invoke("add", 1)
				Expect(err).To(MatchError(qds.ErrBadValue))
				_, err = r.Invoke("nope")
				Expect(err).To(MatchError(node.ErrNoSuchMember))
				_, err = r.Invoke("add", "one", 2)
				Expect(err).To(HaveOccurred())
			})

			It("numbers calls from 1 and sends void calls with serial -1 (§7.3)", func() {
				t := e.newTap(h.URL())
				r := acquireStatic(connectedNode(t.url), "Obj", specClass(e.D, "SpecObject"))
				waitValid(r)
				_, err := r.Call(waitCtx(5*time.Second), "add", 1, 2)
				Expect(err).NotTo(HaveOccurred())
				_, err = r.Invoke("ping")
				Expect(err).NotTo(HaveOccurred())
				_, err = r.Call(waitCtx(5*time.Second), "add", 3, 4)
				Expect(err).NotTo(HaveOccurred())
				var serials []int32
				Eventually(func() []int32 {
					serials = nil
					for _, p := range t.find(true, wire.InvokePacket, "Obj") {
						serials = append(serials, p.Packet.(*wire.Invoke).Serial)
					}
					return serials
				}).Should(Equal([]int32{1, -1, 2}))
				// The tap may record a reply just after forwarding it.
				Eventually(func() int { return len(t.find(false, wire.InvokeReplyPacket, "Obj")) }).Should(Equal(2))
			})

			It("fails a pending call with ErrDisconnected when the host dies", func() {
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				// An out-of-range method index: Qt's host only warns and never
				// replies (E9), so the call stays pending.
				pc, err := r.InvokeIndex(99, nil, true)
				Expect(err).NotTo(HaveOccurred())
				Expect(pc.Serial()).To(BeNumerically(">=", 1))
				done := make(chan error, 1)
				go func() { _, err := pc.Wait(context.Background()); done <- err }()
				Consistently(done).ShouldNot(Receive())
				Expect(h.Close()).To(Succeed())
				Eventually(done).Should(Receive(MatchError(node.ErrDisconnected)))
			})

			// E9: no reply ever comes for some calls; the client-side timeout
			// is the context. Qt's waitForFinished(timeout) may time out and
			// be called again: the call itself stays pending until answered.
			It("times out a Wait with its context, and a later Wait still gets the reply", func() {
				release := make(chan struct{})
				Expect(src.HandleMethod("echo", func(_ context.Context, a []qds.Variant) (qds.Variant, error) {
					<-release
					return a[0], nil
				})).To(Succeed())
				DeferCleanup(func() {
					select {
					case <-release:
					default:
						close(release)
					}
				})
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				pc, err := r.Invoke("echo", "late")
				Expect(err).NotTo(HaveOccurred())
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				_, err = pc.Wait(ctx)
				Expect(err).To(MatchError(context.DeadlineExceeded))
				close(release)
				v, err := pc.Wait(waitCtx(2 * time.Second))
				Expect(err).NotTo(HaveOccurred(), "the reply came, but the timed-out Wait had dropped the call")
				Expect(v).To(Equal(qds.StringOf("late")))
			})

			It("keeps working after a call timed out and its reply came late", func() {
				release := make(chan struct{})
				Expect(src.HandleMethod("echo", func(_ context.Context, a []qds.Variant) (qds.Variant, error) {
					<-release
					return a[0], nil
				})).To(Succeed())
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				pc, err := r.Invoke("echo", "late")
				Expect(err).NotTo(HaveOccurred())
				_, err = pc.Wait(waitCtx(50 * time.Millisecond))
				Expect(err).To(MatchError(context.DeadlineExceeded))
				close(release)
				Consistently(r.State, 100*time.Millisecond).Should(Equal(node.Valid))
				v, err := r.Call(waitCtx(5*time.Second), "add", 40, 2)
				Expect(err).NotTo(HaveOccurred())
				Expect(v.Int()).To(BeEquivalentTo(42))
			})

			// STYLE: context.Context on anything that waits. A slot handler
			// runs on the connection's goroutine; Close must be able to tell
			// it to stop, or it waits for it forever.
			It("cancels a running slot handler's context when the host closes", func() {
				started := make(chan struct{})
				cancelled := make(chan bool, 1)
				Expect(src.HandleMethod("echo", func(ctx context.Context, a []qds.Variant) (qds.Variant, error) {
					close(started)
					select {
					case <-ctx.Done():
						cancelled <- true
					case <-time.After(2 * time.Second): // keep the suite alive if it never comes
						cancelled <- false
					}
					return a[0], nil
				})).To(Succeed())
				r := acquireDynamic(connectedNode(h.URL()), "Obj")
				waitValid(r)
				_, err := r.Invoke("echo", "x")
				Expect(err).NotTo(HaveOccurred())
				Eventually(started).Should(BeClosed())
				closed := make(chan struct{})
				go func() { h.Close(); close(closed) }()
				var got bool
				Eventually(cancelled, 3*time.Second).Should(Receive(&got))
				Expect(got).To(BeTrue(), "the handler's context was not cancelled by Close; Close waited for the handler")
				Eventually(closed).Should(BeClosed())
			})
		})

		Describe("signals", func() {
			for _, dynamic := range []bool{false, true} {
				kind := map[bool]string{false: "static", true: "dynamic"}[dynamic]
				It("delivers signals with int, QString, enum and POD arguments to a "+kind+" replica", func() {
					n := connectedNode(h.URL())
					var r *node.Replica
					if dynamic {
						r = acquireDynamic(n, "Obj")
					} else {
						r = acquireStatic(n, "Obj", specClass(e.D, "SpecObject"))
					}
					waitValid(r)
					rec := record(r)
					Expect(src.Emit("fired", 7, "why")).To(Succeed())
					Expect(src.Emit("modeSet", "Auto")).To(Succeed())
					Expect(src.Emit("podSent", map[string]any{"x": 3, "s": "three"})).To(Succeed())
					Expect(src.Emit("fired", -1, "")).To(Succeed())
					Eventually(func() int { return rec.count(node.SignalEmitted) }).Should(Equal(4))

					evs := rec.events()
					Expect(evs[0].Name).To(Equal("fired"))
					Expect(evs[0].Index).To(Equal(src.Class().SignalIndex("fired")))
					Expect(evs[0].Args).To(Equal([]qds.Variant{qds.IntOf(7), qds.StringOf("why")}))
					Expect(evs[1].Name).To(Equal("modeSet"))
					Expect(evs[1].Args).To(HaveLen(1))
					Expect(evs[1].Args[0].Int()).To(BeEquivalentTo(5), "enums travel as their integer value")
					Expect(evs[2].Name).To(Equal("podSent"))
					Expect(evs[2].Args).To(HaveLen(1))
					Expect(evs[2].Args[0].TypeName()).To(Equal("SpecPOD"))
					g, ok := evs[2].Args[0].Value().(qds.Gadget)
					Expect(ok).To(BeTrue(), "a POD decodes as a gadget")
					Expect(g.Fields).To(Equal([]qds.Variant{qds.IntOf(3), qds.StringOf("three")}))
					Expect(evs[3].Args).To(Equal([]qds.Variant{qds.IntOf(-1), qds.StringOf("")}))
				})
			}

			It("refuses to emit with the wrong arguments", func() {
				Expect(src.Emit("fired", 1)).To(MatchError(qds.ErrBadValue))
				Expect(src.Emit("nope")).To(MatchError(node.ErrNoSuchMember))
				Expect(src.Emit("modeSet", "Sideways")).To(HaveOccurred())
			})
		})

		Describe("several replicas", func() {
			It("shares one state between replicas of one source on one node (doubleReplicaTest)", func() {
				n := connectedNode(h.URL())
				r1 := acquireDynamic(n, "Obj")
				r2 := acquireDynamic(n, "Obj")
				waitValid(r1)
				waitValid(r2)
				rec1, rec2 := record(r1), record(r2)
				Expect(src.SetProperty("count", 5)).To(Succeed())
				Eventually(func() []int64 { return rec1.intChanges("count") }).Should(Equal([]int64{5}))
				Eventually(func() []int64 { return rec2.intChanges("count") }).Should(Equal([]int64{5}))
				Expect(r1.Values()).To(Equal(r2.Values()))
				Expect(r1.Inits()).To(Equal(1), "one AddObject and one Init for both")

				r1.Release()
				Expect(src.SetProperty("count", 6)).To(Succeed())
				Eventually(func() []int64 { return rec2.intChanges("count") }).Should(Equal([]int64{5, 6}))
				Expect(r2.State()).To(Equal(node.Valid))
			})

			It("re-acquires a released source (sequentialReplicaTest)", func() {
				n := connectedNode(h.URL())
				r1 := acquireDynamic(n, "Obj")
				waitValid(r1)
				r1.Release()
				Expect(src.SetProperty("count", 8)).To(Succeed())
				r2 := acquireDynamic(n, "Obj")
				waitValid(r2)
				Expect(prop(r2, "count").Int()).To(BeEquivalentTo(8))
				Expect(r2.Inits()).To(Equal(1))
			})

			It("keeps replicas on two nodes in step (twoReplicaTest)", func() {
				r1 := acquireDynamic(connectedNode(h.URL()), "Obj")
				r2 := acquireStatic(connectedNode(h.URL()), "Obj", specClass(e.D, "SpecObject"))
				waitValid(r1)
				waitValid(r2)
				rec1, rec2 := record(r1), record(r2)
				for i := 1; i <= 5; i++ {
					Expect(src.SetProperty("count", i)).To(Succeed())
				}
				Expect(src.Emit("fired", 1, "both")).To(Succeed())
				Eventually(func() []int64 { return rec1.intChanges("count") }).Should(Equal([]int64{1, 2, 3, 4, 5}))
				Eventually(func() []int64 { return rec2.intChanges("count") }).Should(Equal([]int64{1, 2, 3, 4, 5}))
				Eventually(func() int { return len(rec1.signals("fired")) }).Should(Equal(1))
				Eventually(func() int { return len(rec2.signals("fired")) }).Should(Equal(1))
				Expect(h.Connections()).To(Equal(2))
			})

			It("sends RemoveObject when the last handle is released, and the host stops sending", func() {
				t := e.newTap(h.URL())
				remote(h, specObject(e.D), "Ctl")
				n := connectedNode(t.url)
				r1 := acquireDynamic(n, "Obj")
				r2 := acquireDynamic(n, "Obj")
				ctl := acquireDynamic(n, "Ctl")
				waitValid(r1)
				waitValid(r2)
				waitValid(ctl)
				recCtl := record(ctl)

				r1.Release()
				Expect(src.SetProperty("count", 1)).To(Succeed())
				Eventually(func() []tapped { return t.find(false, wire.PropertyChange, "Obj") }).Should(HaveLen(1))
				Expect(t.find(true, wire.RemoveObject, "Obj")).To(BeEmpty(), "another handle is still alive")

				r2.Release()
				Eventually(func() []tapped { return t.find(true, wire.RemoveObject, "Obj") }).Should(HaveLen(1))
				// The host handles a connection's packets in order: once it has
				// answered a call sent after the RemoveObject, it has handled it.
				v, err := ctl.Call(waitCtx(5*time.Second), "add", 1, 1)
				Expect(err).NotTo(HaveOccurred())
				Expect(v.Int()).To(BeEquivalentTo(2))
				before := len(t.find(false, wire.PropertyChange, "Obj"))
				Expect(before).To(Equal(1))
				Expect(src.SetProperty("count", 2)).To(Succeed())
				Expect(h.Source("Ctl").SetProperty("count", -1)).To(Succeed()) // queued after it
				Eventually(func() []int64 { return recCtl.intChanges("count") }).Should(Equal([]int64{-1}))
				Expect(t.find(false, wire.PropertyChange, "Obj")).To(HaveLen(before))
			})
		})

		It("refuses work after Close (ErrClosed)", func() {
			n := newNode()
			Expect(n.Close()).To(Succeed())
			_, err := n.AcquireDynamic("Obj")
			Expect(err).To(MatchError(node.ErrClosed))
			Expect(h.Close()).To(Succeed())
			Expect(h.EnableRemoting(specObject(e.D), "Late")).To(MatchError(node.ErrClosed))
			_, err = h.Listen(specCtx(), e.anyURL(), e.D)
			Expect(err).To(MatchError(node.ErrClosed))
		})

		It("Shutdown writes what is queued before closing", func() {
			r := acquireDynamic(connectedNode(h.URL()), "Obj")
			waitValid(r)
			rec := record(r)
			blob := make([]byte, 256<<10)
			for i := 1; i <= 20; i++ {
				blob[0] = byte(i)
				Expect(src.SetProperty("blob", append([]byte(nil), blob...))).To(Succeed())
			}
			Expect(src.SetProperty("count", 77)).To(Succeed())
			Expect(h.Shutdown(waitCtx(10 * time.Second))).To(Succeed())
			Eventually(r.State).Should(Equal(node.Suspect))
			Eventually(func() node.EventKind {
				if k := rec.kinds(); len(k) > 0 {
					return k[len(k)-1]
				}
				return -1
			}).Should(Equal(node.StateChanged))
			Expect(rec.changes("blob")).To(HaveLen(20), "everything queued arrived before the close")
			Expect(rec.intChanges("count")).To(Equal([]int64{77}))
		})
	})

	// doc.go: a host may listen on several URLs to serve both dialects.
	for _, tr := range specTransports {
		It("serves one source to a Qt5 and a Qt6 node from one host ("+tr+")", Label(tr), func() {
			e5, e6 := specEnv{D: wire.Qt5, Tr: tr}, specEnv{D: wire.Qt6, Tr: tr}
			h := e5.newHost("")
			u5, err := h.Listen(specCtx(), e5.anyURL(), wire.Qt5)
			Expect(err).NotTo(HaveOccurred())
			u6, err := h.Listen(specCtx(), e6.anyURL(), wire.Qt6)
			Expect(err).NotTo(HaveOccurred())
			src := node.NewSource(specClass(wire.Qt6, "SpecObject"))
			remote(h, src, "Obj")
			r5 := acquireDynamic(connectedNode(u5, withDialect(wire.Qt5)), "Obj")
			r6 := acquireDynamic(connectedNode(u6, withDialect(wire.Qt6)), "Obj")
			waitValid(r5)
			waitValid(r6)
			rec5, rec6 := record(r5), record(r6)
			Expect(src.SetProperty("count", 3)).To(Succeed())
			Expect(src.SetProperty("pod", map[string]any{"x": 1, "s": "one"})).To(Succeed())
			Eventually(func() []int64 { return rec5.intChanges("count") }).Should(Equal([]int64{3}))
			Eventually(func() []int64 { return rec6.intChanges("count") }).Should(Equal([]int64{3}))
			Eventually(func() int { return len(rec5.changes("pod")) }).Should(Equal(1))
			Eventually(func() int { return len(rec6.changes("pod")) }).Should(Equal(1))
			Expect(rec5.changes("pod")[0].Value().(qds.Gadget).Fields).To(Equal(rec6.changes("pod")[0].Value().(qds.Gadget).Fields))
		})
	}
})
