package node_test

import (
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// names returns the Name of each member.
func methodNames(ms []meta.Method) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func signatures(ms []meta.Method) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Signature
	}
	return out
}

func propNames(ps []meta.Property) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// allTypesValues is one value of every type AllTypes carries, as a Go
// program would set them.
func allTypesValues() map[string]any {
	when := time.Date(2024, 2, 29, 23, 59, 58, 123e6, time.UTC)
	return map[string]any{
		"i8":       int8(-5),
		"u8":       uint8(200),
		"i16":      int16(-30000),
		"u16":      uint16(60000),
		"i32":      int32(-2000000000),
		"u32":      uint32(4000000000),
		"i64":      int64(-9000000000000000000),
		"u64":      uint64(18000000000000000000),
		"flag":     true,
		"dbl":      3.25,
		"flt":      float32(1.5),
		"emptyStr": "",
		"text":     "héllo ✓ \x00 world",
		"bytes":    []byte{0, 1, 2, 0xff},
		"strings":  []string{"a", "", "c"},
		"variants": []any{1, "x", true, 2.5},
		"vmap":     map[string]any{"a": 1, "b": "two", "c": []any{3}},
		"when":     when,
		"url":      "https://example.org/x?y=1#z",
		"point":    qds.Point{X: 3, Y: -4},
		"size":     qds.Size{W: 640, H: 480},
		"rect":     qds.RectFromXYWH(1, 2, 30, 40),
		"color":    "Blue",
		"pod":      map[string]any{"x": 7, "s": "seven"},
		"ints":     []any{1, 2, 3},
		"counts":   map[string]any{"a": 1, "b": 2},
	}
}

var _ = Describe("Replica initialization", Label("init"), func() {
	forEachEnv(func(e specEnv) {
		var (
			h   *node.Host
			src *node.Source
		)
		BeforeEach(func() {
			h = e.newHost(e.anyURL())
			src = specObject(e.D)
			Expect(src.SetProperty("count", 3)).To(Succeed())
			Expect(src.SetProperty("label", "lbl")).To(Succeed())
			Expect(src.SetProperty("mode", "On")).To(Succeed())
			Expect(src.SetProperty("pod", map[string]any{"x": 4, "s": "four"})).To(Succeed())
			Expect(src.SetProperty("blob", []byte("b"))).To(Succeed())
			remote(h, src, "Obj")
		})

		It("takes a dynamic replica from Uninitialized to Valid and builds its class from the definition", func() {
			n := newNode()
			r := acquireDynamic(n, "Obj")
			rec := recordAll(r)
			Expect(r.State()).To(Equal(node.Uninitialized))
			Expect(r.IsInitialized()).To(BeFalse())
			Expect(r.Class()).To(BeNil())
			_, err := r.Property("count")
			Expect(err).To(MatchError(node.ErrNotValid))
			_, err = r.Invoke("add", 1, 2)
			Expect(err).To(MatchError(node.ErrNotValid))

			Expect(n.ConnectToNode(h.URL())).To(Succeed())
			waitValid(r)
			Expect(r.IsInitialized()).To(BeTrue())
			Expect(r.Inits()).To(Equal(1))

			want := src.Class()
			c := r.Class()
			Expect(c).NotTo(BeNil())
			Expect(c.TypeName).To(Equal("SpecObject"))
			Expect(propNames(c.Properties)).To(Equal([]string{"count", "label", "mode", "pod", "ratio", "blob", "fixed"}))
			for i, p := range c.Properties {
				Expect(p.Type).To(Equal(want.Properties[i].Type), "type of %s", p.Name)
			}
			Expect(c.Properties[c.PropertyIndex("count")].Notify).To(Equal(c.SignalIndex("countChanged")))
			Expect(c.Properties[c.PropertyIndex("fixed")].Notify).To(Equal(-1), "CONSTANT: no notify signal")
			Expect(signatures(c.Signals)).To(Equal(signatures(want.Signals)))
			Expect(methodNames(c.Signals)).To(ContainElements("countChanged", "fired", "modeSet", "podSent"))
			Expect(signatures(c.Methods)).To(Equal(signatures(want.Methods)))
			Expect(methodNames(c.Methods)).To(ContainElements("pushCount", "add", "ping", "echo"))
			add := c.Methods[c.MethodIndex("add")]
			Expect(add.ReturnType).To(Equal("int"))
			Expect(add.Params).To(Equal([]meta.Param{{Name: "a", Type: "int"}, {Name: "b", Type: "int"}}))
			Expect(c.Methods[c.MethodIndex("ping")].Void()).To(BeTrue())
			Expect(c.Enum("Mode")).NotTo(BeNil())
			Expect(c.Enum("Mode").Keys).To(Equal([]wire.EnumKey{{Name: "Off", Value: 0}, {Name: "On", Value: 1}, {Name: "Auto", Value: 5}}))
			Expect(c.Gadget("SpecPOD")).NotTo(BeNil())
			Expect(c.Gadget("SpecPOD").Properties).To(Equal([]wire.GadgetProperty{{Name: "x", Type: "int"}, {Name: "s", Type: "QString"}}))

			Expect(prop(r, "count")).To(Equal(qds.IntOf(3)))
			Expect(prop(r, "label")).To(Equal(qds.StringOf("lbl")))
			Expect(prop(r, "mode").Int()).To(BeEquivalentTo(1))
			pod := prop(r, "pod")
			Expect(pod.TypeName()).To(Equal("SpecPOD"))
			Expect(pod.Value()).To(BeAssignableToTypeOf(qds.Gadget{}))
			Expect(pod.Value().(qds.Gadget).Fields).To(Equal([]qds.Variant{qds.IntOf(4), qds.StringOf("four")}))
			Expect(prop(r, "ratio")).To(Equal(qds.DoubleOf(0.5)))
			Expect(prop(r, "blob").Bytes()).To(Equal([]byte("b")))
			Expect(prop(r, "fixed")).To(Equal(qds.IntOf(7)))

			Eventually(rec.kinds).Should(HaveLen(8))
			Expect(rec.transitions()).To(Equal([]string{"Uninitialized->Valid"}))
			kinds := rec.kinds()
			Expect(kinds[:2]).To(ConsistOf(node.StateChanged, node.Initialized))
			// A dynamic replica notifies every property that has a notify
			// signal (setDynamicProperties), in property order.
			Expect(rec.changedNames()).To(Equal([]string{"count", "label", "mode", "pod", "ratio", "blob"}))
		})

		It("takes a static replica from Default (.rep defaults) to Valid, notifying only what changed", func() {
			n := newNode()
			r := acquireStatic(n, "Obj", specClass(e.D, "SpecObject"))
			rec := recordAll(r)
			Expect(r.State()).To(Equal(node.Default))
			Expect(r.IsInitialized()).To(BeFalse())
			// defaultValueTest: the .rep defaults before any Init.
			Expect(prop(r, "count")).To(Equal(qds.IntOf(0)))
			Expect(prop(r, "label").IsNullValue()).To(BeTrue())
			Expect(prop(r, "mode").Int()).To(BeZero())
			Expect(prop(r, "ratio")).To(Equal(qds.DoubleOf(0.5)))
			Expect(prop(r, "fixed")).To(Equal(qds.IntOf(7)))
			Expect(prop(r, "pod").Value().(qds.Gadget).Fields).To(Equal([]qds.Variant{qds.IntOf(0), qds.NullStringOf()}))
			_, err := r.Call(waitCtx(time.Second), "add", 1, 2)
			Expect(err).To(MatchError(node.ErrNotValid))

			Expect(n.ConnectToNode(h.URL())).To(Succeed())
			waitValid(r)
			Expect(prop(r, "count")).To(Equal(qds.IntOf(3)))
			Expect(prop(r, "label")).To(Equal(qds.StringOf("lbl")))
			Expect(prop(r, "mode").Int()).To(BeEquivalentTo(1))
			Expect(prop(r, "pod").Value().(qds.Gadget).Fields).To(Equal([]qds.Variant{qds.IntOf(4), qds.StringOf("four")}))
			Expect(prop(r, "blob").Bytes()).To(Equal([]byte("b")))
			Expect(r.Values()).To(HaveLen(len(src.Values())))

			Eventually(rec.changedNames).Should(HaveLen(5))
			Expect(rec.transitions()).To(Equal([]string{"Default->Valid"}))
			Expect(rec.count(node.Initialized)).To(Equal(1))
			// ratio (0.5) and fixed (7) equal the defaults; fixed has no
			// notify signal anyway.
			Expect(rec.changedNames()).To(Equal([]string{"count", "label", "mode", "pod", "blob"}))
			Expect(rec.kinds()[:2]).To(ConsistOf(node.StateChanged, node.Initialized))
		})

		// Qt creates the child replicas of CLASS members
		// (handlePointerToQObjectProperties) before initialize() makes the
		// parent Valid, so a child is there as soon as its parent is. (A
		// race: repeated to make it show.)
		It("has the child replica of a CLASS member as soon as the parent is Valid", func() {
			rep, err := os.ReadFile("../../fixtures/rep/testobject.rep")
			Expect(err).NotTo(HaveOccurred())
			cls, err := meta.ParseRep("testobject.rep", rep, "TestObject", e.D)
			Expect(err).NotTo(HaveOccurred())
			remote(h, node.NewSource(cls), "TestObject")
			for i := range 20 {
				dynamic := i%2 == 1
				n := node.NewNode(node.Config{})
				DeferCleanup(n.Close)
				Expect(n.ConnectToNode(h.URL())).To(Succeed())
				var r *node.Replica
				if dynamic {
					r, err = n.AcquireDynamic("TestObject")
				} else {
					r, err = n.Acquire("TestObject", node.StaticClass{Class: cls})
				}
				Expect(err).NotTo(HaveOccurred())
				waitValid(r)
				child := r.Child("child")
				Expect(child).NotTo(BeNil(), "attempt %d (dynamic=%v): parent Valid, child replica missing", i+1, dynamic)
				Expect(child.Name()).To(Equal(e.D.ChildName("Class", "TestObject", "child")))
				Expect(prop(child, "value").Int()).To(BeEquivalentTo(7))
				Expect(n.Close()).To(Succeed())
			}
		})

		Describe("class signatures (§8, repc/signature)", func() {
			It("leaves a static replica of another class in SignatureMismatch and sends nothing for it", func() {
				t := e.newTap(h.URL())
				remote(h, specObject(e.D), "Ctl")
				n := newNode()
				r := acquireStatic(n, "Obj", specClass(e.D, "SpecOther"))
				rec := recordAll(r)
				Expect(n.ConnectToNode(t.url)).To(Succeed())
				Expect(r.WaitForState(waitCtx(10*time.Second), node.SignatureMismatch)).To(Succeed())
				Eventually(rec.transitions).Should(Equal([]string{"Default->SignatureMismatch"}))
				Expect(r.IsInitialized()).To(BeFalse())
				// A replica acquired afterwards on the same connection goes
				// through; the mismatched one never sent AddObject before it.
				waitValid(acquireDynamic(n, "Ctl"))
				Eventually(func() []tapped { return t.find(true, wire.AddObject, "Ctl") }).Should(HaveLen(1))
				Expect(t.find(true, wire.AddObject, "Obj")).To(BeEmpty())
				Consistently(r.State).Should(Equal(node.SignatureMismatch))
				Expect(src.SetProperty("count", 99)).To(Succeed())
				Consistently(rec.changedNames).Should(BeEmpty())
			})

			It("leaves a static replica built by the other Qt's repc in SignatureMismatch (E2)", func() {
				other := specClass(otherDialect(e.D), "SpecObject")
				Expect(other.Signature).NotTo(Equal(src.Class().Signature))
				r := acquireStatic(connectedNode(h.URL()), "Obj", other)
				Expect(r.WaitForState(waitCtx(10*time.Second), node.SignatureMismatch)).To(Succeed())
			})

			It("accepts any source when the replica's class has no signature", func() {
				c := *specClass(e.D, "SpecObject")
				c.Signature = ""
				r := acquireStatic(connectedNode(h.URL()), "Obj", &c)
				waitValid(r)
				Expect(prop(r, "count").Int()).To(BeEquivalentTo(3))
			})

			It("accepts a source without signature (a plain QObject source)", func() {
				plain := *specClass(e.D, "SpecObject")
				plain.Signature = ""
				psrc := node.NewSource(&plain)
				remote(h, psrc, "Plain")
				r := acquireStatic(connectedNode(h.URL()), "Plain", specClass(e.D, "SpecObject"))
				waitValid(r)
			})
		})

		Describe("Init values of every property type", func() {
			var all *node.Source
			BeforeEach(func() {
				all = node.NewSource(specClass(e.D, "AllTypes"))
				for k, v := range allTypesValues() {
					Expect(all.SetProperty(k, v)).To(Succeed(), "property %s", k)
				}
				remote(h, all, "All")
			})

			check := func(r *node.Replica) {
				GinkgoHelper()
				waitValid(r)
				got, want := r.Values(), all.Values()
				Expect(got).To(HaveLen(len(want)))
				for i, p := range all.Class().Properties {
					Expect(got[i].SameValue(want[i])).To(BeTrue(),
						"property %s (%s): replica has %v (%s), source has %v (%s)",
						p.Name, p.Type, got[i], got[i].TypeName(), want[i], want[i].TypeName())
				}
				v := func(name string) qds.Variant { return prop(r, name) }
				Expect(v("i8").Type()).To(Equal(qds.SChar))
				Expect(v("i8").Int()).To(BeEquivalentTo(-5))
				Expect(v("u8").Type()).To(Equal(qds.UChar))
				Expect(v("u8").Uint()).To(BeEquivalentTo(200))
				Expect(v("i16").Int()).To(BeEquivalentTo(-30000))
				Expect(v("u16").Uint()).To(BeEquivalentTo(60000))
				Expect(v("i32").Int()).To(BeEquivalentTo(-2000000000))
				Expect(v("u32").Type()).To(Equal(qds.UInt))
				Expect(v("u32").Uint()).To(BeEquivalentTo(4000000000))
				Expect(v("i64").Type()).To(Equal(qds.LongLong))
				Expect(v("i64").Int()).To(BeEquivalentTo(int64(-9000000000000000000)))
				Expect(v("u64").Type()).To(Equal(qds.ULongLong))
				Expect(v("u64").Uint()).To(BeEquivalentTo(uint64(18000000000000000000)))
				Expect(v("flag").Bool()).To(BeTrue())
				Expect(v("dbl")).To(Equal(qds.DoubleOf(3.25)))
				Expect(v("flt").Type()).To(Equal(qds.Float))
				Expect(v("flt").Float()).To(Equal(1.5))
				Expect(v("nullStr").Type()).To(Equal(qds.QString))
				Expect(v("nullStr").IsNullValue()).To(BeTrue(), "a QString never set is null")
				Expect(v("emptyStr").Type()).To(Equal(qds.QString))
				Expect(v("emptyStr").IsNullValue()).To(BeFalse(), `"" is empty, not null`)
				Expect(v("emptyStr").Str()).To(BeEmpty())
				Expect(v("text").Str()).To(Equal("héllo ✓ \x00 world"))
				Expect(v("bytes").Bytes()).To(Equal([]byte{0, 1, 2, 0xff}))
				Expect(v("strings").Strings()).To(Equal([]string{"a", "", "c"}))
				Expect(v("variants").List()).To(Equal([]qds.Variant{qds.IntOf(1), qds.StringOf("x"), qds.BoolOf(true), qds.DoubleOf(2.5)}))
				Expect(v("vmap").Map()).To(HaveLen(3))
				dt, ok := v("when").Value().(qds.DateTime)
				Expect(ok).To(BeTrue())
				Expect(dt.Time().Equal(time.Date(2024, 2, 29, 23, 59, 58, 123e6, time.UTC))).To(BeTrue(), "got %v", dt.Time())
				Expect(v("url").Str()).To(Equal("https://example.org/x?y=1#z"))
				Expect(v("point").Value()).To(Equal(qds.Point{X: 3, Y: -4}))
				Expect(v("size").Value()).To(Equal(qds.Size{W: 640, H: 480}))
				Expect(v("rect").Value()).To(Equal(qds.RectFromXYWH(1, 2, 30, 40)))
				Expect(v("color").Int()).To(BeEquivalentTo(4), "enums travel as int")
				Expect(v("pod").Value().(qds.Gadget).Fields).To(Equal([]qds.Variant{qds.IntOf(7), qds.StringOf("seven")}))
				Expect(v("ints").TypeName()).To(Equal("QList<int>"))
				Expect(v("ints").Value()).To(Equal([]qds.Variant{qds.IntOf(1), qds.IntOf(2), qds.IntOf(3)}))
				Expect(v("counts").TypeName()).To(Equal("QMap<QString,int>"))
				Expect(v("counts").Value()).To(ConsistOf(
					qds.Pair{First: qds.StringOf("a"), Second: qds.IntOf(1)},
					qds.Pair{First: qds.StringOf("b"), Second: qds.IntOf(2)}))
			}

			It("reaches a dynamic replica intact", func() {
				check(acquireDynamic(connectedNode(h.URL()), "All"))
			})

			It("reaches a static replica intact", func() {
				check(acquireStatic(connectedNode(h.URL()), "All", specClass(e.D, "AllTypes")))
			})

			It("survives every property changing after Init", func() {
				dyn := acquireDynamic(connectedNode(h.URL()), "All")
				waitValid(dyn)
				fresh := node.NewSource(specClass(e.D, "AllTypes"))
				remote(h, fresh, "All2")
				r2 := acquireDynamic(connectedNode(h.URL()), "All2")
				waitValid(r2)
				rec := record(r2)
				for k, v := range allTypesValues() {
					Expect(fresh.SetProperty(k, v)).To(Succeed())
				}
				Eventually(func() int { return len(rec.changedNames()) }).Should(Equal(len(allTypesValues())))
				got, want := r2.Values(), fresh.Values()
				for i, p := range fresh.Class().Properties {
					Expect(got[i].SameValue(want[i])).To(BeTrue(), "property %s: %v vs %v", p.Name, got[i], want[i])
				}
			})
		})
	})
})
