package conformance

import (
	"bytes"
	"context"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Cases where the target is a replica node and the suite a raw host.

var _ = ginkgo.Describe("Handshake (replica)", func() {
	Case("HS-3", func(e *Env) {
		h := e.serveNode(Options{Object: TestObjectName, Static: true})
		e.NoErr(h.C.Send(&wire.HandshakePacket{Version: "QtRO 0.9"}, &wire.ObjectListPacket{Objects: []wire.ObjectInfo{e.testObjectInfo()}}),
			"sending a Handshake with another version")
		e.waitEvent(h.A, 0, adapter.Named("nodeError", adapter.Field("error", "ProtocolMismatch")), 10*time.Second, "a ProtocolMismatch node error")
		e.Expect(h.C.WaitClosed(e.within(5*time.Second))).To(gomega.BeTrue(), "the node closes the connection")
		e.expectNoAddObject(h.C)
		e.Expect(h.A.EventsSince(0, adapter.StateChanged("", "Valid"))).To(gomega.BeEmpty(), "no replica becomes Valid")
		e.observeReconnect(h)
	})
	Case("HS-4", func(e *Env) {
		h := e.serveNode(Options{Object: TestObjectName, Static: true})
		e.NoErr(h.C.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{e.testObjectInfo()}}), "sending an ObjectList before any Handshake")
		e.waitEvent(h.A, 0, adapter.Named("nodeError", adapter.Field("error", "ProtocolMismatch")), 10*time.Second, "a ProtocolMismatch node error")
		e.Expect(h.C.WaitClosed(e.within(5*time.Second))).To(gomega.BeTrue(), "the node closes the connection")
		e.expectNoAddObject(h.C)
		e.Expect(h.A.EventsSince(0, adapter.StateChanged("", "Valid"))).To(gomega.BeEmpty(), "no replica becomes Valid")
		e.observeReconnect(h)
	})
	Case("HS-5", func(e *Env) {
		h := e.serveNode(Options{Object: TestObjectName, Static: true})
		other := wire.Qt5
		if e.D == wire.Qt5 {
			other = wire.Qt6
		}
		// A complete, well-formed greeting of the other dialect, then its Init.
		otherCls := TestClass(other, "TestObject")
		greet, err := wire.Marshal(other, nil, &wire.HandshakePacket{Version: other.ProtocolVersion()})
		e.NoErr(err, "encoding the other dialect's Handshake")
		ol, err := wire.Marshal(other, nil, &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: TestObjectName, TypeName: qds.Str("TestObject"), Signature: []byte(otherCls.Signature)}}})
		e.NoErr(err, "encoding the other dialect's ObjectList")
		e.NoErr(h.C.SendRaw(append(greet, ol...)), "sending the other dialect's greeting")
		closed := h.C.WaitClosed(e.within(1500 * time.Millisecond))
		e.expectNoAddObject(h.C)
		e.Expect(h.A.EventsSince(0, adapter.StateChanged("", "Valid"))).To(gomega.BeEmpty(), "no replica becomes Valid")
		if closed {
			e.Observe("the node closed the connection to a %s host", other)
		} else {
			e.Observe("the node kept the connection to a %s host open without acquiring (a Qt node waits for a frame of the size it misreads)", other)
		}
	})
	Case("HS-7", func(e *Env) {
		h := e.validReplica(false, nil)
		e.do(h.A, adapter.Write("intProp", 5))
		call, err := h.A.Send(adapter.Call("add", 1, 2))
		e.NoErr(err, "calling add")
		inv := e.expectInvoke(h.C, e.methodIndex("add"))
		e.NoErr(h.C.Send(&wire.InvokeReply{Name: TestObjectName, Serial: inv.Serial, Value: qds.IntOf(3)}), "InvokeReply")
		e.waitEvent(h.A, 0, adapter.Named("result", adapter.Field("id", call)), 10*time.Second, "the result of add")
		e.do(h.A, adapter.Release(TestObjectName))
		_, err = h.C.ExpectType(e.within(10*time.Second), wire.RemoveObject)
		e.NoErr(err, "RemoveObject after release")
		ps := e.packetsOf(h.C)
		e.Expect(ps).NotTo(gomega.BeEmpty())
		e.Expect(ps[0].P.Type()).To(equal(wire.AddObject), "the client's first packet")
		for _, p := range ps {
			e.Expect(p.P.Type()).NotTo(equal(wire.Handshake), "a client sent %s", wire.Describe(p.P))
		}
	})
})

// observeReconnect checks the node does not connect again after it
// closed a connection over a protocol mismatch (Qt does not: the closing
// device is deleted and never scheduled for reconnection).
func (e *Env) observeReconnect(h *rawHost) {
	ctx, cancel := context.WithTimeout(e.Ctx, time.Second)
	defer cancel()
	c, err := h.Srv.Accept(ctx)
	if err != nil {
		e.Observe("the node did not reconnect within 1 s after the mismatch")
		return
	}
	c.Close()
	e.Failf("the node reconnected after the mismatch (Qt deletes the connection and does not retry)")
}

// expectNoAddObject checks that the node never sent AddObject on c.
func (e *Env) expectNoAddObject(c *wirepeer.Conn) {
	ps, err := peerPackets(c)
	if err != nil {
		e.Failf("the node sent bytes that are no %s frames (it answered in another dialect, or garbage): %v", c.Dialect(), err)
	}
	for _, p := range ps {
		e.Expect(p.P.Type()).NotTo(equal(wire.AddObject), "the node sent %s", wire.Describe(p.P))
	}
}

// expectInvoke waits for the replica's Invoke of method index.
func (e *Env) expectInvoke(c *wirepeer.Conn, index int32) *wire.Invoke {
	p, err := c.Expect(e.within(10*time.Second), func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Call == wire.CallInvokeMethod && iv.Index == index
	})
	e.NoErr(err, "waiting for the replica's Invoke of method "+e.class().Methods[index].Signature)
	return p.(*wire.Invoke)
}

var _ = ginkgo.Describe("URLs (replica)", func() {
	Case("URL-8", func(e *Env) {
		url := reserveURL(e)
		o := Options{URL: url, Object: TestObjectName, Static: true}
		e.adaptMode(&o)
		a := e.Node(o)
		// Let the node fail to connect a few times (Qt retries every 250 ms).
		time.Sleep(800 * time.Millisecond)
		e.Expect(a.EventsSince(0, adapter.StateChanged("", "Valid"))).To(gomega.BeEmpty())
		srv := e.Listen(url)
		h := &rawHost{e: e, A: a, Srv: srv, URL: url, C: e.acceptWithin(srv, 10*time.Second), Dynamic: !o.Static}
		h.greet()
		h.expectAdd(TestObjectName)
		h.sendInit(false, map[string]any{"intProp": 808})
		e.waitEvent(a, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
		e.Expect(e.do(a, adapter.Get("intProp")).Fields["value"]).To(adapterValue(808))
	})
})

// adapterValue matches a JSON value from an adapter event semantically.
func adapterValue(want any) gomega.OmegaMatcher {
	return gomega.WithTransform(func(got any) string {
		if adapter.Equal(got, want) {
			return adapter.Canonical(want)
		}
		return adapter.Canonical(got)
	}, gomega.Equal(adapter.Canonical(want)))
}

var _ = ginkgo.Describe("ObjectList, AddObject, RemoveObject (replica)", func() {
	Case("OBJ-9", func(e *Env) {
		for _, dynamic := range e.replicaModes() {
			h := e.serveNode(Options{Object: TestObjectName, Static: !dynamic})
			h.greet(wire.ObjectInfo{Name: "Unrelated", TypeName: qds.Str("Unrelated")})
			e.NoErr(h.C.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.Type() == wire.AddObject }),
				"AddObject before the source is listed")
			e.NoErr(h.C.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{e.testObjectInfo()}}), "listing the source")
			add := h.expectAdd(TestObjectName)
			e.Expect(add.Dynamic).To(equal(dynamic), "isDynamic of a %s replica's AddObject", modeName(dynamic))
			e.expectNoAddObjectFor(h.C, "Unrelated")
		}
	})
	Case("OBJ-10", func(e *Env) {
		h := e.validReplica(false, map[string]any{"intProp": 1})
		mark := h.A.Mark()
		e.NoErr(h.C.Send(&wire.RemoveObjectPacket{Name: TestObjectName}), "sending RemoveObject")
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Suspect"), 10*time.Second, "the replica to become Suspect")
		mark = h.A.Mark()
		e.NoErr(h.C.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{e.testObjectInfo()}}), "enabling the source again")
		add := h.expectAdd(TestObjectName)
		e.expectReacquire(h, add)
		h.sendInit(false, map[string]any{"intProp": 2})
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid again")
		e.Expect(e.do(h.A, adapter.Get("intProp")).Fields["value"]).To(adapterValue(2), "intProp after re-acquisition")
	})
	Case("OBJ-11", func(e *Env) {
		h := e.validReplica(false, nil)
		e.do(h.A, adapter.Release(TestObjectName))
		p, err := h.C.ExpectType(e.within(10*time.Second), wire.RemoveObject)
		e.NoErr(err, "RemoveObject after releasing the replica")
		e.Expect(p.ObjectName()).To(equal(TestObjectName))
	})
})

func (e *Env) expectNoAddObjectFor(c *wirepeer.Conn, name string) {
	for _, p := range e.packetsOf(c) {
		if p.P.Type() == wire.AddObject {
			e.Expect(p.P.ObjectName()).NotTo(equal(name), "AddObject for a source no replica wants")
		}
	}
}

// testValueCase is one property value the suite sends and what the adapter
// must report for it (specs/ADAPTER.md value mapping).
type testValueCase struct {
	prop string
	x    any
	want any
}

func testValueCases() []testValueCase {
	return []testValueCase{
		{"constantProp", "κόσμε const", "κόσμε const"},
		{"boolProp", true, true},
		{"intProp", -123456, -123456},
		{"uintProp", uint32(4000000000), uint64(4000000000)},
		{"longProp", int64(-9007199254740993), int64(-9007199254740993)},
		{"doubleProp", 3.25, 3.25},
		{"floatProp", 2.5, 2.5},
		{"stringProp", "héllo wörld ✓", "héllo wörld ✓"},
		{"bytesProp", []byte{0, 1, 2, 0xff}, "AAEC/w=="},
		{"stringListProp", qds.StringListOf([]string{"a", "", "c"}), []any{"a", "", "c"}},
		{"variantListProp", qds.ListOf([]qds.Variant{qds.IntOf(1), qds.StringOf("two"), qds.DoubleOf(3.5)}),
			[]any{map[string]any{"type": "int", "value": 1}, map[string]any{"type": "QString", "value": "two"}, map[string]any{"type": "double", "value": 3.5}}},
		{"variantMapProp", qds.MapOf([]qds.MapEntry{{Key: "k", Value: qds.IntOf(1)}, {Key: "s", Value: qds.StringOf("v")}}),
			map[string]any{"k": map[string]any{"type": "int", "value": 1}, "s": map[string]any{"type": "QString", "value": "v"}}},
		{"dateTimeProp", qds.DateTimeOf(qds.DateTime{JulianDay: 2458851, Msecs: 3723004, Spec: qds.UTC}),
			map[string]any{"jd": 2458851, "ms": 3723004, "spec": "UTC"}},
		{"urlProp", qds.URLOf("tcp://127.0.0.1:1234/path?q=1"), "tcp://127.0.0.1:1234/path?q=1"},
		{"pointProp", qds.PointOf(qds.Point{X: -3, Y: 4}), map[string]any{"x": -3, "y": 4}},
		{"sizeProp", qds.SizeOf(qds.Size{W: 640, H: 480}), map[string]any{"width": 640, "height": 480}},
		{"rectProp", qds.RectOf(qds.RectFromXYWH(1, 2, 3, 4)), map[string]any{"x": 1, "y": 2, "width": 3, "height": 4}},
		{"pointFProp", qds.PointFOf(qds.PointF{X: 1.5, Y: -2.25}), map[string]any{"x": 1.5, "y": -2.25}},
		{"colorProp", 7, 7},
		{"podProp", map[string]any{"id": 9, "label": "pod", "weight": 0.75}, map[string]any{"id": 9, "label": "pod", "weight": 0.75}},
		{"sourceOnlyProp", 99, 99},
		{"child", 11, map[string]any{"value": 11}},
	}
}

func testValueOverrides() map[string]any {
	m := map[string]any{}
	for _, c := range testValueCases() {
		m[c.prop] = c.x
	}
	return m
}

var _ = ginkgo.Describe("Initialisation (replica)", func() {
	Case("INIT-5", func(e *Env) {
		e.needMode(false)
		h := e.serveNode(Options{Object: TestObjectName, Static: true, ExactMode: true})
		acq := e.waitEvent(h.A, 0, adapter.Named("acquired"), 10*time.Second, "the acquired event")
		e.Expect(acq.Str("state")).To(equal("Default"), "a static replica's state before Init")
		before := e.do(h.A, adapter.Get(""))
		e.Expect(before.Str("state")).To(equal("Default"))
		defaults := map[string]any{"constantProp": "const", "boolProp": false, "intProp": 42, "uintProp": 7,
			"doubleProp": 0.5, "floatProp": 1.5, "colorProp": 1, "sourceOnlyProp": 3}
		for prop, want := range defaults {
			v, _ := before.Path("values", prop)
			e.Expect(v).To(adapterValue(want), ".rep default of %s before Init", prop)
		}
		h.greet()
		h.expectAdd(TestObjectName)
		sent := map[string]any{"constantProp": "from host", "intProp": 4321, "uintProp": uint32(70), "colorProp": 7, "stringProp": "hello"}
		h.sendInit(false, sent)
		e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
		after := e.do(h.A, adapter.Get(""))
		e.Expect(after.Str("state")).To(equal("Valid"))
		for prop, want := range map[string]any{"constantProp": "from host", "intProp": 4321, "uintProp": 70, "colorProp": 7,
			"stringProp": "hello", "doubleProp": 0.5, "sourceOnlyProp": 3} {
			v, _ := after.Path("values", prop)
			e.Expect(v).To(adapterValue(want), "%s after Init", prop)
		}
	})
	Case("INIT-6", func(e *Env) {
		e.needMode(true)
		h := e.serveNode(Options{Object: TestObjectName, ExactMode: true})
		acq := e.waitEvent(h.A, 0, adapter.Named("acquired"), 10*time.Second, "the acquired event")
		e.Expect(acq.Str("state")).To(equal("Uninitialized"), "a dynamic replica's state before Init")
		h.greet()
		add := h.expectAdd(TestObjectName)
		e.Expect(add.Dynamic).To(gomega.BeTrue(), "a dynamic replica asks for the class definition")
		h.sendInit(true, map[string]any{"intProp": 4321, "stringProp": "dyn", "colorProp": 7})
		e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
		mo := e.do(h.A, adapter.Describe()).Object("metaObject")
		if mo == nil {
			e.Failf("describe returned no metaObject")
		}
		cls := e.class()
		props, _ := mo["properties"].([]any)
		var names []string
		for _, p := range props {
			pm, _ := p.(map[string]any)
			n, _ := pm["name"].(string)
			names = append(names, n)
		}
		var want []string
		for _, p := range cls.Properties {
			want = append(want, p.Name)
		}
		e.Expect(names).To(equal(want), "the replica's properties, in wire order, come from the InitDynamicPacket")
		var sigs, methods []string
		for _, m := range cls.Signals {
			sigs = append(sigs, m.Name)
		}
		for _, m := range cls.Methods {
			methods = append(methods, m.Name)
		}
		e.Expect(methodNames(mo["signals"])).To(equal(sigs), "signals, in wire order, from the definition")
		e.Expect(methodNames(mo["methods"])).To(equal(methods), "methods, in wire order, from the definition")
		vals := e.do(h.A, adapter.Get(""))
		for prop, want := range map[string]any{"intProp": 4321, "stringProp": "dyn", "colorProp": 7, "constantProp": "const", "doubleProp": 0.5} {
			v, _ := vals.Path("values", prop)
			e.Expect(v).To(adapterValue(want), "%s after InitDynamic", prop)
		}
	})
	Case("INIT-7", func(e *Env) {
		e.needMode(false)
		h := e.serveNode(Options{Object: TestObjectName, Static: true, ExactMode: true})
		info := e.testObjectInfo()
		info.Signature = []byte("0123456789abcdef0123456789abcdef01234567")
		h.greet(info)
		e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "SignatureMismatch"), 10*time.Second, "SignatureMismatch")
		e.NoErr(h.C.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.Type() == wire.AddObject }), "AddObject after a signature mismatch")
		e.expectNoAddObject(h.C)
	})
	Case("INIT-9", func(e *Env) {
		for _, dynamic := range e.replicaModes() {
			h := e.validReplica(dynamic, testValueOverrides())
			got := e.do(h.A, adapter.Get(""))
			for _, c := range testValueCases() {
				v, ok := got.Path("values", c.prop)
				e.Expect(ok).To(gomega.BeTrue(), "%s replica reports %s", modeName(dynamic), c.prop)
				e.Expect(v).To(adapterValue(c.want), "%s replica: %s", modeName(dynamic), c.prop)
			}
		}
	})
	Case("INIT-10", func(e *Env) {
		e.needMode(false)
		vals := testValueOverrides()
		h := e.validReplica(false, vals)
		mark := h.A.Mark()
		// Re-initialise with the same values except two.
		e.NoErr(h.C.Send(&wire.RemoveObjectPacket{Name: TestObjectName}), "RemoveObject")
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Suspect"), 10*time.Second, "Suspect")
		e.NoErr(h.C.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{e.testObjectInfo()}}), "ObjectList")
		h.expectAdd(TestObjectName)
		vals["intProp"] = 777
		vals["stringProp"] = "changed"
		h.sendInit(false, vals)
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "Valid again")
		e.do(h.A, adapter.Sync())
		var changed []string
		for _, ev := range h.A.EventsSince(mark, adapter.Named("propertyChanged")) {
			changed = append(changed, ev.Str("property"))
		}
		e.Expect(changed).To(gomega.ContainElements("intProp", "stringProp"), "notifications of the changed properties")
		// Qt compares the value it holds (decoded to the declared type) with
		// the raw wire value (qremoteobjectreplica.cpp, initialize), so it
		// re-notifies unchanged enums (Qt 6: enum != int), PODs (Qt 5: no
		// comparator) and CLASS members (a new child replica): tolerated and
		// recorded. Properties of built-in value types must stay quiet.
		var spurious, tolerated []string
		cls := e.class()
		for _, p := range changed {
			if p == "intProp" || p == "stringProp" {
				continue
			}
			i := cls.PropertyIndex(p)
			if i >= 0 && (cls.Properties[i].Enum != "" || cls.Properties[i].Child != nil || cls.Gadget(cls.Properties[i].Type) != nil) {
				tolerated = append(tolerated, p)
				continue
			}
			spurious = append(spurious, p)
		}
		if len(tolerated) > 0 {
			e.Observe("unchanged enum/POD/CLASS properties notified on re-initialisation: %v", tolerated)
		}
		e.Expect(spurious).To(gomega.BeEmpty(), "notifications of properties whose value did not change")
	})
})

func methodNames(l any) []string {
	var out []string
	ms, _ := l.([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		sig, _ := mm["signature"].(string)
		out = append(out, wire.SignatureName(sig))
	}
	return out
}

var _ = ginkgo.Describe("Property changes (replica)", func() {
	Case("PROP-7", func(e *Env) {
		for _, dynamic := range e.replicaModes() {
			h := e.validReplica(dynamic, nil)
			mark := h.A.Mark()
			type change struct {
				prop string
				val  any
			}
			var want []change
			for i := 1; i <= 10; i++ {
				want = append(want, change{"intProp", i * 11}, change{"stringProp", "s" + string(rune('a'+i))})
			}
			for _, c := range want {
				e.notifyChange(h.C, c.prop, c.val)
			}
			last := want[len(want)-1]
			e.waitEvent(h.A, mark, adapter.PropertyChanged(last.prop, last.val), 10*time.Second, "the last change")
			var got []change
			for _, ev := range h.A.EventsSince(mark, adapter.Named("propertyChanged")) {
				got = append(got, change{ev.Str("property"), ev.Fields["value"]})
			}
			e.Expect(len(got)).To(equal(len(want)), "%s replica: one notification per change: %v", modeName(dynamic), got)
			for i := range want {
				e.Expect(got[i].prop).To(equal(want[i].prop), "%s replica: change %d", modeName(dynamic), i)
				e.Expect(got[i].val).To(adapterValue(want[i].val), "%s replica: change %d (%s)", modeName(dynamic), i, want[i].prop)
			}
			v := e.do(h.A, adapter.Get("intProp")).Fields["value"]
			e.Expect(v).To(adapterValue(110), "%s replica: intProp after the changes", modeName(dynamic))
		}
	})
	Case("PROP-8", func(e *Env) {
		for _, dynamic := range e.replicaModes() {
			h := e.validReplica(dynamic, nil)
			for _, w := range []struct {
				prop string
				x    any
			}{{"intProp", 31337}, {"stringProp", "written"}} {
				e.do(h.A, adapter.Write(w.prop, w.x))
				p, err := h.C.Expect(e.within(10*time.Second), func(p wire.Packet) bool {
					iv, ok := p.(*wire.Invoke)
					return ok && iv.Call != wire.CallInvokeMethod
				})
				e.NoErr(err, "waiting for the property write of "+w.prop)
				iv := p.(*wire.Invoke)
				what := modeName(dynamic) + " replica writing " + w.prop
				e.Expect(iv.Name).To(equal(TestObjectName), what)
				e.Expect(iv.Call).To(equal(wire.CallWriteProperty), what+": call")
				e.Expect(iv.Index).To(equal(e.propIndex(w.prop)), what+": property index")
				e.Expect(iv.Args).To(gomega.HaveLen(1), what+": one argument")
				e.Expect(iv.Args[0]).To(sameVariant(e.value(e.class().Properties[e.propIndex(w.prop)].Type, w.x)), what+": value")
				e.Expect(iv.Serial).To(equal(int32(-1)), what+": serial")
				e.Expect(iv.PropertyIndex).To(equal(int32(-1)), what+": propertyIndex")
			}
		}
	})
})

var _ = ginkgo.Describe("Slots (replica)", func() {
	Case("SLOT-6", func(e *Env) {
		h := e.validReplica(false, nil)
		type sent struct {
			method string
			args   []any
		}
		calls := []sent{{"add", []any{2, 3}}, {"echo", []any{"x"}}, {"reset", nil}, {"add", []any{4, 5}}, {"fire", []any{1}}}
		var serials []int32
		for _, c := range calls {
			_, err := h.A.Send(adapter.Call(c.method, c.args...))
			e.NoErr(err, "calling "+c.method)
			iv := e.expectInvoke(h.C, e.methodIndex(c.method))
			e.Expect(iv.Args).To(gomega.HaveLen(len(c.args)), "arguments of %s", c.method)
			e.Expect(iv.PropertyIndex).To(equal(int32(-1)), "propertyIndex of a call")
			if e.class().Methods[e.methodIndex(c.method)].Void() {
				e.Expect(iv.Serial).To(equal(int32(-1)), "serial of the void slot %s", c.method)
				continue
			}
			e.Expect(iv.Serial).To(gomega.BeNumerically(">=", 1), "serial of %s", c.method)
			if len(serials) > 0 {
				e.Expect(iv.Serial).To(gomega.BeNumerically(">", serials[len(serials)-1]), "serial of %s after %v", c.method, serials)
			}
			serials = append(serials, iv.Serial)
			e.NoErr(h.C.Send(&wire.InvokeReply{Name: TestObjectName, Serial: iv.Serial, Value: qds.IntOf(0)}), "InvokeReply")
		}
	})
	Case("SLOT-7", func(e *Env) {
		h := e.validReplica(false, nil)
		addID, err := h.A.Send(adapter.Call("add", 20, 22))
		e.NoErr(err, "calling add")
		add := e.expectInvoke(h.C, e.methodIndex("add"))
		echoID, err := h.A.Send(adapter.Call("echo", "q"))
		e.NoErr(err, "calling echo")
		echo := e.expectInvoke(h.C, e.methodIndex("echo"))
		// An unknown serial first, then the replies in reverse order, with
		// values the source could not have computed (so they come from the wire).
		e.NoErr(h.C.Send(
			&wire.InvokeReply{Name: TestObjectName, Serial: add.Serial + echo.Serial + 100, Value: qds.IntOf(-1)},
			&wire.InvokeReply{Name: TestObjectName, Serial: echo.Serial, Value: qds.StringOf("reply for echo")},
			&wire.InvokeReply{Name: TestObjectName, Serial: add.Serial, Value: qds.IntOf(4242)},
		), "sending InvokeReplies")
		r := e.waitEvent(h.A, 0, adapter.Named("result", adapter.Field("id", echoID)), 10*time.Second, "the result of echo")
		ok, _ := r.Bool("ok")
		e.Expect(ok).To(gomega.BeTrue(), "echo result %s", r)
		e.Expect(r.Fields["value"]).To(adapterValue("reply for echo"), "echo's pending call value")
		r = e.waitEvent(h.A, 0, adapter.Named("result", adapter.Field("id", addID)), 10*time.Second, "the result of add")
		ok, _ = r.Bool("ok")
		e.Expect(ok).To(gomega.BeTrue(), "add result %s", r)
		e.Expect(r.Fields["value"]).To(adapterValue(4242), "add's pending call value")
		e.Expect(r.Str("valueType")).To(equal("int"))
	})
})

var _ = ginkgo.Describe("Signals (replica)", func() {
	Case("SIG-3", func(e *Env) {
		for _, dynamic := range e.replicaModes() {
			h := e.validReplica(dynamic, nil)
			mark := h.A.Mark()
			sig := func(name string, args ...qds.Variant) *wire.Invoke {
				if args == nil {
					args = []qds.Variant{}
				}
				return &wire.Invoke{Name: TestObjectName, Call: wire.CallInvokeMethod, Index: e.signalIndex(name), Args: args, Serial: -1, PropertyIndex: -1}
			}
			pod := e.value("TestPod", map[string]any{"id": 1, "label": "p", "weight": 0.5})
			e.NoErr(h.C.Send(
				sig("pulse"),
				sig("multi", qds.IntOf(7), qds.StringOf("sig"), qds.DoubleOf(2.5), qds.BoolOf(true), qds.ByteArrayOf([]byte("xyz"))),
				sig("colorPod", qds.IntOf(7), pod),
				sig("containers", qds.StringListOf([]string{"a", "b"}), qds.ListOf([]qds.Variant{qds.IntOf(1), qds.StringOf("x")}),
					qds.MapOf([]qds.MapEntry{{Key: "k", Value: qds.IntOf(2)}})),
			), "sending signals")
			want := []struct {
				name string
				args []any
			}{
				{"pulse", []any{}},
				{"multi", []any{7, "sig", 2.5, true, "eHl6"}},
				{"colorPod", []any{7, map[string]any{"id": 1, "label": "p", "weight": 0.5}}},
				{"containers", []any{[]any{"a", "b"},
					[]any{map[string]any{"type": "int", "value": 1}, map[string]any{"type": "QString", "value": "x"}},
					map[string]any{"k": map[string]any{"type": "int", "value": 2}}}},
			}
			e.waitEvent(h.A, mark, adapter.Signal("containers"), 10*time.Second, "the last signal")
			got := h.A.EventsSince(mark, adapter.Named("signal"))
			e.Expect(len(got)).To(equal(len(want)), "%s replica: one event per signal", modeName(dynamic))
			for i, w := range want {
				e.Expect(got[i].Str("signal")).To(equal(w.name), "%s replica: signal %d", modeName(dynamic), i)
				e.Expect(got[i].Fields["args"]).To(adapterValue(w.args), "%s replica: arguments of %s", modeName(dynamic), w.name)
			}
		}
	})
})

var _ = ginkgo.Describe("Hostile input (replica)", func() {
	Case("HI-6", func(e *Env) {
		// An unknown packet type after initialisation.
		h := e.validReplica(false, nil)
		body := qds.NewEncoder(nil, e.D.Stream(), nil)
		body.QString(TestObjectName)
		body.I32(1)
		e.NoErr(h.C.SendRaw(wirepeer.Frame(e.D, 77, body.Bytes())), "sending packet type 77")
		time.Sleep(300 * time.Millisecond)
		e.alive(h.A, "after an unknown packet type")
		// Garbage that is no frame at all, then the host goes away.
		e.NoErr(h.C.SendRaw(bytes.Repeat([]byte{0xa5, 0x5a, 0x00, 0xff}, 64)), "sending garbage")
		time.Sleep(300 * time.Millisecond)
		e.alive(h.A, "after garbage from the host")
		h.C.Close()
		time.Sleep(300 * time.Millisecond)
		e.alive(h.A, "after the host closed the connection")
		// Garbage instead of a greeting, on a fresh node.
		h2 := e.serveNode(Options{Object: TestObjectName, Static: true})
		e.NoErr(h2.C.SendRaw(bytes.Repeat([]byte{0x00, 0x00, 0x00, 0x03, 0x00, 0x4d, 0xee}, 16)), "sending garbage as greeting")
		time.Sleep(300 * time.Millisecond)
		e.alive(h2.A, "after garbage instead of a greeting")
		e.Expect(h2.A.EventsSince(0, adapter.StateChanged("", "Valid"))).To(gomega.BeEmpty())
	})
})
