package conformance

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// The object-agnostic forms of the host requirements (see anyhost.go).

// typeAgnostic lists host cases whose test-object form needs no member of
// the test object: they run unchanged on a host of any type the target
// declares (Host then starts it with that type).
var typeAgnostic = map[string]bool{
	"HS-1": true, "HB-1": true,
	"URL-2": true, "URL-3": true, "URL-4": true, "URL-5": true, "URL-6": true, "URL-7": true, "URL-9": true,
	"OBJ-2": true, "OBJ-6": true, "OBJ-7": true,
}

// hostObject is the source name a started host remotes (ready.object),
// the test object's by default.
func hostObject(a *adapter.Adapter) string {
	if a != nil {
		if n := a.Ready().Str("object"); n != "" {
			return n
		}
	}
	return TestObjectName
}

var hexSig = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Handshake.
var _ = AnySource("HS-2", func(e *Env) {
	h := e.anyHost()
	c := e.Dial(h.URL)
	ol := e.greeting(c) // the ObjectList, unrequested, right after the Handshake
	e.Observe("the host lists %d source(s): %v", len(ol.Objects), objectNames(ol))
})

var _ = AnySource("HS-6", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	e.NoErr(c.Send(&wire.HandshakePacket{Version: e.D.ProtocolVersion()}), "sending a Handshake to the host")
	if len(h.Sources) > 0 {
		e.acquireRaw(c, h.Sources[0].Name, false)
	}
	e.NoErr(c.Send(&wire.PingPacket{Name: h.pingName()}), "sending Ping")
	_, err := c.Expect(e.within(5*time.Second), func(p wire.Packet) bool { return p.Type() == wire.Pong })
	e.NoErr(err, "the connection still answers after a client Handshake")
})

// Framing: a session with every packet type the suite can cause, decoded
// strictly by the raw client (a decode error fails the read).
func anySession(e *Env) (*anyHost, *wirepeer.Conn, bool) {
	h := e.anyHost()
	c, _ := h.dial()  // static replicas
	c2, _ := h.dial() // dynamic replicas
	for _, s := range h.Sources {
		h.staticInit(c, s)
		e.acquireRaw(c2, s.Name, true)
	}
	_, changed := h.changeOn(c, nil, false)
	for _, conn := range []*wirepeer.Conn{c, c2} {
		e.NoErr(conn.Send(&wire.PingPacket{Name: h.pingName()}), "Ping")
		_, err := conn.Expect(e.within(10*time.Second), func(p wire.Packet) bool { return p.Type() == wire.Pong })
		e.NoErr(err, "Pong (every frame before it decoded strictly)")
	}
	return h, c, changed
}

var _ = AnySource("FR-1", func(e *Env) { anySession(e) })
var _ = AnySource("FR-3", func(e *Env) { anySession(e) })
var _ = AnySource("FR-2", func(e *Env) {
	_, c, _ := anySession(e)
	e.Expect(c.Transcript()[0].Data[:6]).To(equal(handshakeHeader(e.D)), "the first frame's header in the dialect's byte order")
	for _, pp := range e.packetsOf(c) {
		for _, v := range valuesOf(pp.P) {
			if ch, ok := v.Value().(wire.ChildObject); ok && len(ch.Definition) > 0 {
				_, _, err := ch.ParseDefinition(e.D, c.Types(), qds.Limits{})
				e.NoErr(err, "the QRO_ child definition of "+ch.Name+" (big-endian in both dialects)")
			}
		}
	}
})

// valuesOf returns the QVariants a host packet carries.
func valuesOf(p wire.Packet) []qds.Variant {
	switch p := p.(type) {
	case *wire.Init:
		return p.Values
	case *wire.InitDynamic:
		return p.Values
	case *wire.PropertyChangePacket:
		return []qds.Variant{p.Value}
	case *wire.Invoke:
		return p.Args
	case *wire.InvokeReply:
		return []qds.Variant{p.Value}
	}
	return nil
}

var _ = AnySource("FR-4", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	n, missing := 0, 0
	for _, s := range h.Sources {
		vals := h.staticInit(c, s)
		for i, p := range s.Def.Properties {
			if !s.isEnum(p.Type) {
				continue
			}
			if i >= len(vals) {
				missing++
				continue
			}
			n++
			e.Expect(vals[i].Type()).To(gomega.BeElementOf(integerTypes), "%s.%s (enum %s) travels as an integer, got %s", s.Name, p.Name, p.Type, vals[i].TypeName())
		}
	}
	if n == 0 && missing > 0 {
		e.NotTested("the Init carried no value for the enum-typed properties (INIT-1 reports it)")
	}
	if n == 0 {
		e.NotApplicable("no source of the host has an enum-typed property")
	}
	e.Observe("%d enum properties sent as integers", n)
})

var _ = AnySource("FR-5", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	n := 0
	for _, s := range h.Sources {
		vals := h.staticInit(c, s)
		for i := range s.Def.Properties {
			if i >= len(vals) || vals[i].Type() != qds.User || vals[i].TypeName() == wire.ChildObjectType {
				continue
			}
			n++
			enc := qds.NewEncoder(nil, e.D.Stream(), nil)
			enc.U32(e.D.Stream().UserTypeID())
			enc.U8(0)
			enc.CString(vals[i].TypeName())
			e.Expect(bytes.Contains(allFromPeer(c), enc.Bytes())).To(gomega.BeTrue(), "%s.%s: the user type id %d and the NUL-terminated name %q precede the value",
				s.Name, s.Def.Properties[i].Name, e.D.Stream().UserTypeID(), vals[i].TypeName())
		}
	}
	if n == 0 {
		e.NotApplicable("no source of the host has a property of a user type (POD)")
	}
})

var _ = AnySource("FR-6", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	for _, s := range h.Sources {
		h.valuesOn(c, s)
	}
	before := len(c.Transcript())
	ch, ok := h.changeOn(c, nil, false)
	if !ok {
		e.NotTested(h.noChangeReason())
	}
	var first []byte
	for _, chunk := range c.Transcript()[before:] {
		if chunk.FromPeer {
			first = chunk.Data
			break
		}
	}
	pc, _ := wire.Marshal(e.D, c.Types(), ch.PC)
	e.Expect(len(first)).To(gomega.BeNumerically(">", len(pc)), "PropertyChange of %s.%s and its notify arrive in one read (one write)", ch.S.Name, ch.S.Def.Properties[ch.Index].Name)
})

// URLs: a host only reachable at an URL is checked on the transport it has.
var _ = AnySource("URL-1", func(e *Env) {
	if u := e.Target.URL; u != "" {
		if !strings.HasPrefix(u, "tcp://") {
			e.NotApplicable("the target listens on " + u + ", not on tcp://")
		}
		c := e.Dial(u)
		e.greeting(c)
		return
	}
	_, url := e.Host(Options{URL: "tcp://127.0.0.1:0"})
	e.Expect(url).To(gomega.HavePrefix("tcp://"))
	e.Expect(url).NotTo(gomega.HaveSuffix(":0"), "the reported URL carries the bound port")
	c := e.Dial(url)
	e.greeting(c)
})

// ObjectList.
var _ = AnySource("OBJ-1", func(e *Env) {
	h := e.anyHost()
	_, ol := h.dial()
	for _, o := range ol.Objects {
		e.Expect(o.Name).NotTo(gomega.BeEmpty(), "a source name")
		if len(o.Signature) > 0 { // null vs empty for the others: OBJ-12
			e.Expect(hexSig.MatchString(string(o.Signature))).To(gomega.BeTrue(), "%s: a signature is 40 lowercase hex characters, got %q", o.Name, o.Signature)
			e.Expect(o.TypeName.Valid).To(gomega.BeTrue(), "%s: a source with a class signature has a type name", o.Name)
		}
	}
})

var _ = AnySource("OBJ-12", func(e *Env) {
	h := e.anyHost()
	_, ol := h.dial()
	n := 0
	for _, o := range ol.Objects {
		if len(o.Signature) > 0 {
			continue
		}
		n++
		e.Expect(o.Signature).To(gomega.BeNil(), "%s: a source without a class signature sends a null QByteArray (ff ff ff ff), not an empty one", o.Name)
	}
	if n == 0 {
		e.NotApplicable("every source of the host has a repc class signature")
	}
})

var _ = AnySource("OBJ-3", func(e *Env) { acquireEach(e, false) })
var _ = AnySource("OBJ-4", func(e *Env) { acquireEach(e, true) })

// acquireEach acquires every source on a fresh connection; acquireRaw
// checks the reply is the Init (static) or InitDynamic of that source.
func acquireEach(e *Env, dynamic bool) {
	h := e.anyHost()
	c, _ := h.dial()
	h.first()
	for _, s := range h.Sources {
		p := e.acquireRaw(c, s.Name, dynamic)
		e.Expect(p.ObjectName()).To(equal(s.Name))
	}
}

var _ = AnySource("OBJ-5", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	const unknown = "NoSuchObject-qtro"
	e.NoErr(c.Send(&wire.AddObjectPacket{Name: unknown}), "AddObject("+unknown+")")
	e.NoErr(c.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.ObjectName() == unknown }), "a reply about an unknown source")
	if len(h.Sources) > 0 {
		e.acquireRaw(c, h.Sources[0].Name, false) // the connection still serves
		return
	}
	e.NoErr(c.Send(&wire.PingPacket{Name: h.pingName()}), "Ping")
	_, err := c.ExpectType(e.within(5*time.Second), wire.Pong)
	e.NoErr(err, "the connection still answers")
})

var _ = AnySource("OBJ-8", func(e *Env) {
	h := e.anyHost()
	a, _ := h.dial() // will send RemoveObject
	b, _ := h.dial() // keeps the source and drives the changes
	for _, s := range h.Sources {
		h.valuesOn(a, s)
	}
	// Positive control: a change reaches a; then it removes the source.
	ch, ok := h.changeOn(b, nil, false)
	if !ok {
		e.NotTested(h.noChangeReason() + "; silence after RemoveObject would prove nothing")
	}
	_, err := a.Expect(e.within(10*time.Second), isProp(ch.S.Name, int32(ch.Index)))
	if err != nil {
		e.Failf("the change of %s.%s (%s) reached one connection but not the other that had added the source: %v", ch.S.Name, ch.S.Def.Properties[ch.Index].Name, ch.How, err)
	}
	e.NoErr(a.Send(&wire.RemoveObjectPacket{Name: ch.S.Name}, &wire.PingPacket{Name: ch.S.Name}), "RemoveObject and Ping")
	_, err = a.ExpectType(e.within(10*time.Second), wire.Pong)
	e.NoErr(err, "Pong after RemoveObject")
	ch2, ok := h.changeOn(b, func(s *source, i int) bool { return s == ch.S }, false)
	if !ok {
		e.NotTested("the source changed once but not a second time, so silence after RemoveObject would prove nothing")
	}
	e.NoErr(a.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool {
		return p.ObjectName() == ch.S.Name && (p.Type() == wire.PropertyChange || p.Type() == wire.InvokePacket)
	}), fmt.Sprintf("a change of %s (%s, seen on the other connection) after RemoveObject", ch.S.Name, ch2.How))
})

// Initialisation.
var _ = AnySource("INIT-1", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	h.first()
	for _, s := range h.Sources {
		vals := h.staticInit(c, s)
		e.Expect(vals).To(gomega.HaveLen(len(s.Def.Properties)), "%s: the InitPacket holds one value per property of its class (%d in its definition)", s.Name, len(s.Def.Properties))
	}
})

// checkValueCount is INIT-11 on one source.
func checkValueCount(e *Env, s *source) {
	e.Expect(s.Values).To(gomega.HaveLen(len(s.Def.Properties)),
		"%s: the InitDynamicPacket defines %d properties and must carry as many values (a Qt replica given fewer crashes)", s.Name, len(s.Def.Properties))
}

var _ = AnySource("INIT-11", func(e *Env) {
	h := e.anyHost()
	h.first()
	for _, s := range h.Sources {
		checkValueCount(e, s)
	}
})

// checkValueTypes is INIT-12 on one source's Init and InitDynamic values;
// it returns how many values it could check.
func checkValueTypes(e *Env, s *source, static []qds.Variant) int {
	n := 0
	var unknown []string
	for _, set := range []struct {
		what string
		vals []qds.Variant
	}{{"InitDynamicPacket", s.Values}, {"InitPacket", static}} {
		for i, p := range s.Def.Properties {
			if i >= len(set.vals) {
				break // INIT-1 and INIT-11 report missing values
			}
			reason, known := typeMismatch(s, p.Type, set.vals[i])
			if !known {
				unknown = append(unknown, p.Name+" ("+p.Type+")")
				continue
			}
			n++
			if reason != "" {
				e.Failf("%s: %s value of %s: %s", s.Name, set.what, p.Name, reason)
			}
		}
	}
	if len(unknown) > 0 {
		e.Observe("%s: types the suite does not check: %s", s.Name, strings.Join(unknown, ", "))
	}
	return n
}

var _ = AnySource("INIT-12", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	n, vals := 0, 0
	for _, s := range h.Sources {
		static := h.staticInit(c, s)
		vals += len(static) + len(s.Values)
		n += checkValueTypes(e, s, static)
	}
	if vals == 0 && len(h.Sources) > 0 {
		e.NotTested("the Init packets carried no values (INIT-1 and INIT-11 report it)")
	}
	if n == 0 {
		e.NotApplicable("no property of the host's sources has a type the suite knows")
	}
})

var _ = AnySource("INIT-13", func(e *Env) {
	h := e.anyHost()
	h.first()
	for _, s := range h.Sources {
		e.Expect(definitionProblems(s.Def)).To(gomega.BeEmpty(), "%s: class definition", s.Name)
	}
})

var _ = AnySource("INIT-3", func(e *Env) {
	h := e.anyHost()
	n := 0
	for _, s := range h.Sources {
		cls := e.repOf(s)
		if cls == nil {
			continue
		}
		n++
		def := s.Def
		e.Expect(len(def.Properties)).To(equal(len(cls.Properties)), "%s: property count (.rep class %s)", s.Name, cls.TypeName)
		for i, p := range cls.Properties {
			if i < len(def.Properties) {
				e.Expect(def.Properties[i].Name).To(equal(p.Name), "%s: property %d", s.Name, i)
				e.Expect(def.Properties[i].Notify != "").To(equal(p.Notify >= 0), "%s: %s has a notify signal", s.Name, p.Name)
			}
		}
		e.Expect(len(def.Signals)).To(equal(len(cls.Signals)), "%s: signal count", s.Name)
		for i, sg := range cls.Signals {
			if i < len(def.Signals) {
				e.Expect(wire.SignatureName(def.Signals[i].Signature)).To(equal(sg.Name), "%s: signal %d", s.Name, i)
			}
		}
		e.Expect(len(def.Methods)).To(equal(len(cls.Methods)), "%s: method count", s.Name)
		for i, m := range cls.Methods {
			if i < len(def.Methods) {
				e.Expect(strings.EqualFold(wire.SignatureName(def.Methods[i].Signature), m.Name)).To(gomega.BeTrue(), "%s: method %d: %s vs %s", s.Name, i, def.Methods[i].Signature, m.Name)
			}
		}
	}
	if n == 0 {
		e.NotApplicable("no source's type name matches a class of a .rep given with --rep")
	}
})

var _ = AnySource("INIT-8", func(e *Env) {
	h := e.anyHost()
	n := 0
	for _, s := range h.Sources {
		cls := e.repOf(s)
		if cls == nil || s.Info.Signature == nil {
			continue
		}
		n++
		e.Expect(string(s.Info.Signature)).To(equal(cls.Signature), "%s: the repc %s signature of class %s", s.Name, e.D, cls.TypeName)
	}
	if n == 0 {
		e.NotApplicable("no source with a class signature has a type name that matches a class of a .rep given with --rep")
	}
})

var _ = AnySource("INIT-4", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	n := 0
	for _, s := range h.Sources {
		vals := h.staticInit(c, s)
		for i, p := range s.Def.Properties {
			if i >= len(vals) || vals[i].TypeName() != wire.ChildObjectType {
				continue
			}
			ch, _ := vals[i].Value().(wire.ChildObject)
			if ch.IsNull {
				continue
			}
			n++
			want := e.D.ChildName("Class", s.Name, p.Name)
			e.Expect(ch.Name).To(equal(want), "%s.%s: the child source name", s.Name, p.Name)
		}
	}
	if n == 0 {
		e.NotApplicable("no source of the host has a non-null QObject* (CLASS) property")
	}
})

// Property changes.
var _ = AnySource("PROP-1", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	ch, ok := h.changeOn(c, nil, true)
	if !ok {
		e.NotTested(h.noChangeReason())
	}
	expectNotifyAfter(e, c, ch)
})

// expectNotifyAfter checks the packet after a PropertyChange is its notify.
func expectNotifyAfter(e *Env, c *wirepeer.Conn, ch change) {
	name := ch.S.Def.Properties[ch.Index].Name
	next, err := c.Next(e.within(10 * time.Second))
	e.NoErr(err, "the packet after the PropertyChange of "+name)
	iv, ok := next.(*wire.Invoke)
	if !ok {
		e.Failf("the PropertyChange of %s.%s is followed by %s, want its notify Invoke", ch.S.Name, name, wire.Describe(next))
	}
	e.Expect(iv.Name).To(equal(ch.S.Name))
	e.Expect(iv.Call).To(equal(wire.CallInvokeMethod), "notify Invoke call")
	e.Expect(iv.Index).To(equal(ch.S.notifyIndex(ch.Index)), "notify signal index of %s (%s)", name, ch.S.Def.Properties[ch.Index].Notify)
	e.Expect(iv.Serial).To(equal(int32(-1)), "notify serial")
	e.Expect(iv.PropertyIndex).To(equal(int32(ch.Index)), "notify propertyIndex")
	e.Expect(iv.Args).NotTo(gomega.BeEmpty(), "the notify carries the value")
	e.Expect(iv.Args[0]).To(sameVariant(ch.PC.Value), "the notify's argument is the new value")
}

var _ = AnySource("PROP-3", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	isStr := func(s *source, i int) bool { return normType(s.Def.Properties[i].Type) == "QString" }
	ch, ok := h.changeOn(c, isStr, true)
	if !ok {
		ch, ok = h.changeOn(c, func(s *source, i int) bool {
			return normType(s.Def.Properties[i].Type) == "int" || normType(s.Def.Properties[i].Type) == "qlonglong"
		}, true)
	}
	if !ok || ch.How == "by itself" {
		e.NotTested("the suite could not make a QString or integer property change on demand: " + h.noChangeReason())
	}
	if !ch.PC.Value.SameValue(ch.Value) {
		e.NotTested(fmt.Sprintf("%s.%s came back as %s when %s was written: the program transforms values, so the order of exact values cannot be checked", ch.S.Name, ch.S.Def.Properties[ch.Index].Name, ch.PC.Value, ch.Value))
	}
	prop := ch.S.Def.Properties[ch.Index]
	const n = 200
	want := make([]qds.Variant, n)
	for i := range want {
		switch normType(prop.Type) {
		case "QString":
			want[i] = qds.StringOf(fmt.Sprintf("qtro-order-%d", i+1))
		case "int":
			want[i] = qds.IntOf(int32(700000 + i))
		default:
			want[i] = qds.LongLongOf(int64(700000 + i))
		}
		if h.A != nil {
			_, err := h.A.Send(adapter.Set(prop.Name, want[i].Any()))
			e.NoErr(err, "set")
		} else {
			e.NoErr(c.Send(&wire.Invoke{Name: ch.S.Name, Call: wire.CallWriteProperty, Index: int32(ch.Index), Args: []qds.Variant{want[i]}, Serial: -1, PropertyIndex: -1}), "write")
		}
	}
	next := 0
	for next < n {
		p, err := c.Expect(e.within(10*time.Second), isProp(ch.S.Name, int32(ch.Index)))
		e.NoErr(err, fmt.Sprintf("change %d of %d of %s", next+1, n, prop.Name))
		v := p.(*wire.PropertyChangePacket).Value
		switch {
		case v.SameValue(want[next]):
			next++
		case indexOf(want, v) >= 0:
			e.Failf("change %d of %s carried %s, want %s (lost, duplicated or reordered)", next+1, prop.Name, v, want[next])
		default:
			// A change the program made by itself, between ours.
		}
	}
})

func indexOf(l []qds.Variant, v qds.Variant) int {
	for i, x := range l {
		if x.SameValue(v) {
			return i
		}
	}
	return -1
}

var _ = AnySource("PROP-4", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	for _, s := range h.Sources {
		vals := h.valuesOn(c, s)
		for i, p := range s.Def.Properties {
			if s.notifyIndex(i) < 0 || i >= len(vals) {
				continue
			}
			v, _, can := nextValue(p.Type, vals[i])
			if !can {
				continue
			}
			e.NoErr(c.Send(&wire.Invoke{Name: s.Name, Call: wire.CallWriteProperty, Index: int32(i), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1}), "writing "+p.Name)
			pkt, err := c.Expect(e.within(2*time.Second), isProp(s.Name, int32(i)))
			if err != nil {
				if h.A != nil && knownWritable[p.Name] {
					e.Failf("a write (call=2) of %s.%s, writable in the contract's Plain object, brought no PropertyChange", s.Name, p.Name)
				}
				continue
			}
			restore := vals[i]
			name, idx := s.Name, int32(i)
			e.Defer(func() {
				_ = c.Send(&wire.Invoke{Name: name, Call: wire.CallWriteProperty, Index: idx, Args: []qds.Variant{restore}, Serial: -1, PropertyIndex: -1})
			})
			pc := pkt.(*wire.PropertyChangePacket)
			if !pc.Value.SameValue(v) {
				e.Observe("%s.%s: wrote %s, the source set %s", s.Name, p.Name, v, pc.Value)
			}
			expectNotifyAfter(e, c, change{S: s, Index: i, Value: v, PC: pc})
			return
		}
	}
	e.NotTested("no write (Invoke call=2) of a property with a notify signal came back as a change (writability is not on the wire: the host may have no writable property)")
})

// pushSlot finds a repc push slot push<Prop>(T) of a source and its property.
func pushSlot(s *source) (method, prop int, ok bool) {
	for mi, m := range s.Def.Methods {
		name := wire.SignatureName(m.Signature)
		if !strings.HasPrefix(name, "push") || len(name) < 5 || normVoid(m.ReturnType) != "void" {
			continue
		}
		ps, _ := sigParams(m.Signature)
		if len(ps) != 1 {
			continue
		}
		for pi, p := range s.Def.Properties {
			if strings.EqualFold(p.Name, name[4:]) && s.notifyIndex(pi) >= 0 {
				return mi, pi, true
			}
		}
	}
	return 0, 0, false
}

var _ = AnySource("PROP-5", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	for _, s := range h.Sources {
		mi, pi, ok := pushSlot(s)
		if !ok {
			continue
		}
		vals := h.valuesOn(c, s)
		if pi >= len(vals) {
			continue
		}
		v, _, can := nextValue(s.Def.Properties[pi].Type, vals[pi])
		if !can {
			continue
		}
		e.NoErr(c.Send(&wire.Invoke{Name: s.Name, Index: int32(mi), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1}), "calling "+s.Def.Methods[mi].Signature)
		pkt, err := c.Expect(e.within(10*time.Second), isProp(s.Name, int32(pi)))
		e.NoErr(err, "the PropertyChange after "+s.Def.Methods[mi].Signature)
		e.Expect(pkt.(*wire.PropertyChangePacket).Value).To(sameVariant(v), "the pushed value")
		return
	}
	e.NotApplicable("no source of the host has a push<Prop> slot of a property type the suite varies")
})

var _ = AnySource("PROP-9", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	type noNotify struct {
		s *source
		i int
	}
	var quiet []noNotify
	for _, s := range h.Sources {
		for i := range s.Def.Properties {
			if s.Def.Properties[i].Notify == "" && !strings.HasSuffix(s.Def.Properties[i].Type, "*") {
				quiet = append(quiet, noNotify{s, i})
			}
		}
	}
	if len(quiet) == 0 {
		e.NotApplicable("every property of the host's sources has a notify signal")
	}
	if _, ok := h.changeOn(c, nil, false); !ok {
		e.NotTested(h.noChangeReason() + "; without a change that does go out, silence proves nothing")
	}
	for _, q := range quiet {
		vals := h.valuesOn(c, q.s)
		if q.i >= len(vals) {
			continue
		}
		if v, x, can := nextValue(q.s.Def.Properties[q.i].Type, vals[q.i]); can {
			_ = c.Send(&wire.Invoke{Name: q.s.Name, Call: wire.CallWriteProperty, Index: int32(q.i), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1})
			if h.A != nil {
				_, _ = h.A.Do(e.Ctx, adapter.Set(q.s.Def.Properties[q.i].Name, x))
			}
		}
	}
	for _, q := range quiet {
		e.NoErr(c.ExpectNone(e.Ctx, 500*time.Millisecond, isProp(q.s.Name, int32(q.i))), fmt.Sprintf("a PropertyChange of %s.%s, which has no notify signal", q.s.Name, q.s.Def.Properties[q.i].Name))
	}
	for _, pp := range e.packetsOf(c) {
		if pc, ok := pp.P.(*wire.PropertyChangePacket); ok {
			if s := h.source(pc.Name); s != nil && int(pc.Index) < len(s.Def.Properties) && s.Def.Properties[pc.Index].Notify == "" {
				e.Failf("the host sent %s for a property without a notify signal", wire.Describe(pc))
			}
		}
	}
})

// callable finds a method the suite may call on a host without side
// effects beyond the contract's: a push slot (with the current value) on
// any host, add(int,int) on the contract's Plain object.
type callable struct {
	s      *source
	method int
	args   []qds.Variant
	void   bool
	what   string
}

func (h *anyHost) callables(c *wirepeer.Conn) []callable {
	var out []callable
	for _, s := range h.Sources {
		if mi, pi, ok := pushSlot(s); ok {
			vals := h.valuesOn(c, s)
			if pi < len(vals) {
				out = append(out, callable{s, mi, []qds.Variant{vals[pi]}, true, s.Def.Methods[mi].Signature + " with the current value"})
			}
		}
		if h.A != nil && !s.Info.TypeName.Valid && s.Name == hostObject(h.A) {
			// The contract's Plain object (ADAPTER.md §10): its slots are known.
			if mi := s.Def.MethodIndex("add(int,int)"); mi >= 0 {
				out = append(out, callable{s, mi, []qds.Variant{qds.IntOf(2), qds.IntOf(3)}, false, "add(2,3)"})
			}
			if mi := s.Def.MethodIndex("reset()"); mi >= 0 {
				out = append(out, callable{s, mi, nil, true, "reset()"})
			}
		}
	}
	return out
}

func noCallable(h *anyHost) string {
	return "the suite calls slots of a host it does not know only through push<Prop> slots (which only set their property); this host has none"
}

var _ = AnySource("SLOT-1", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	cs := h.callables(c)
	if len(cs) == 0 {
		e.NotApplicable(noCallable(h))
	}
	// A method with a return value where there is one (a void method's
	// reply is SLOT-2's).
	var nonVoid []callable
	for _, cl := range cs {
		if !cl.void {
			nonVoid = append(nonVoid, cl)
		}
	}
	if len(nonVoid) > 0 {
		cs = nonVoid
	}
	for k, cl := range cs {
		serial := int32(40 + k)
		e.NoErr(c.Send(&wire.Invoke{Name: cl.s.Name, Index: int32(cl.method), Args: cl.args, Serial: serial, PropertyIndex: -1}), "calling "+cl.what)
		_, err := c.Expect(e.within(10*time.Second), isReply(cl.s.Name, serial))
		e.NoErr(err, "the InvokeReply of "+cl.what)
	}
})

var _ = AnySource("SLOT-2", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	n := 0
	for k, cl := range h.callables(c) {
		if !cl.void {
			continue
		}
		n++
		serial := int32(60 + k)
		e.NoErr(c.Send(&wire.Invoke{Name: cl.s.Name, Index: int32(cl.method), Args: cl.args, Serial: serial, PropertyIndex: -1}), "calling "+cl.what)
		p, err := c.Expect(e.within(10*time.Second), isReply(cl.s.Name, serial))
		e.NoErr(err, "the InvokeReply of the void slot "+cl.what)
		e.Expect(p.(*wire.InvokeReply).Value.IsValid()).To(gomega.BeFalse(), "the reply of a void slot is an invalid QVariant")
	}
	if n == 0 {
		e.NotApplicable(noCallable(h))
	}
})

var _ = AnySource("SLOT-3", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	cs := h.callables(c)
	if len(cs) == 0 {
		e.NotApplicable(noCallable(h))
	}
	cl := cs[0]
	// Positive control: with a serial the same call is answered.
	e.NoErr(c.Send(&wire.Invoke{Name: cl.s.Name, Index: int32(cl.method), Args: cl.args, Serial: 80, PropertyIndex: -1}), "calling "+cl.what)
	if _, err := c.Expect(e.within(10*time.Second), isReply(cl.s.Name, 80)); err != nil {
		e.NotTested("the same call with a serial got no reply either (SLOT-1 reports that), so silence proves nothing")
	}
	e.NoErr(c.Send(&wire.Invoke{Name: cl.s.Name, Index: int32(cl.method), Args: cl.args, Serial: -1, PropertyIndex: -1}), "calling "+cl.what+" with serial -1")
	e.NoErr(c.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.Type() == wire.InvokeReplyPacket }), "a reply to serial -1")
})

var _ = AnySource("SLOT-4", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	s := h.first()
	h.valuesOn(c, s)
	bad := int32(len(s.Def.Methods) + 1000)
	e.NoErr(c.Send(&wire.Invoke{Name: s.Name, Index: bad, Serial: 9, PropertyIndex: -1}), fmt.Sprintf("Invoke index %d", bad))
	e.NoErr(c.ExpectNone(e.Ctx, time.Second, isReply(s.Name, 9)), "a reply to an out-of-range index")
	e.NoErr(c.Send(&wire.PingPacket{Name: s.Name}), "Ping")
	_, err := c.ExpectType(e.within(5*time.Second), wire.Pong)
	e.NoErr(err, "the connection still works")
})

var _ = AnySource("SLOT-5", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	for _, cl := range h.callables(c) {
		if cl.void {
			continue
		}
		e.NoErr(c.Send(&wire.Invoke{Name: cl.s.Name, Index: int32(cl.method), Args: cl.args, Serial: 90, PropertyIndex: -1}), "calling "+cl.what)
		p, err := c.Expect(e.within(10*time.Second), isReply(cl.s.Name, 90))
		e.NoErr(err, "the reply of "+cl.what)
		e.Expect(p.(*wire.InvokeReply).Value).To(sameVariant(qds.IntOf(5)), "add(2,3) returns an int 5")
		return
	}
	e.NotApplicable("the suite knows the argument and return types of no slot of this host it may call")
})

// Signals: emitted through the adapter when the suite drives the host,
// else any the host emits by itself.
var _ = AnySource("SIG-1", func(e *Env) { anySignal(e, false) })
var _ = AnySource("SIG-2", func(e *Env) { anySignal(e, true) })

func anySignal(e *Env, checkTypes bool) {
	h := e.anyHost()
	c := h.C
	if h.A != nil {
		if s, si, args, ok := emittable(h); ok {
			e.do(h.A, adapter.Emit(wire.SignatureName(s.Def.Signals[si].Signature), args...))
		}
	}
	p, err := c.Expect(e.within(3*time.Second), func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.PropertyIndex == -1 && h.source(iv.Name) != nil
	})
	if err != nil {
		e.NotTested("the host emitted no signal within 3 s (an url: target cannot be asked to)")
	}
	iv := p.(*wire.Invoke)
	s := h.source(iv.Name)
	e.Expect(iv.Call).To(equal(wire.CallInvokeMethod), "a signal's call")
	e.Expect(iv.Serial).To(equal(int32(-1)), "a signal's serial")
	e.Expect(int(iv.Index)).To(gomega.BeNumerically("<", len(s.Def.Signals)), "a signal index of %s", s.Name)
	sig := s.Def.Signals[iv.Index]
	params, _ := sigParams(sig.Signature)
	e.Expect(len(iv.Args)).To(gomega.BeNumerically(">=", len(params)), "arguments of %s", sig.Signature)
	if len(iv.Args) > len(params) {
		e.Observe("%s carried %d arguments (Qt's marshalArgs can leave stale ones)", sig.Signature, len(iv.Args))
	}
	if !checkTypes {
		return
	}
	for i, pt := range params {
		if i >= len(iv.Args) {
			break
		}
		reason, known := typeMismatch(s, pt, iv.Args[i])
		if reason != "" && !iv.Args[i].IsValid() && s.isEnum(pt) && e.D == wire.Qt5 {
			e.Observe("%s: enum argument %d sent as an invalid QVariant (the Qt 5.15 quirk)", sig.Signature, i)
			continue
		}
		if known {
			e.Expect(reason).To(gomega.BeEmpty(), "%s argument %d (%s)", sig.Signature, i, pt)
		}
	}
}

// emittable finds a non-notify signal whose parameters the suite can fill.
func emittable(h *anyHost) (*source, int, []any, bool) {
	for _, s := range h.Sources {
		notify := map[string]bool{}
		for _, p := range s.Def.Properties {
			notify[p.Notify] = true
		}
		for si, sg := range s.Def.Signals {
			if notify[sg.Signature] {
				continue
			}
			params, _ := sigParams(sg.Signature)
			var args []any
			ok := true
			for _, pt := range params {
				switch normType(pt) {
				case "int", "qlonglong", "uint":
					args = append(args, 7)
				case "double":
					args = append(args, 0.5)
				case "bool":
					args = append(args, true)
				case "QString":
					args = append(args, "qtro")
				default:
					ok = false
				}
			}
			if ok {
				return s, si, args, true
			}
		}
	}
	return nil, 0, nil, false
}

// Heartbeat: HB-1 is type-agnostic (see typeAgnostic).

// Hostile input.
func anyHostile(e *Env, build func(d wire.Dialect, name string, method int32) []byte) {
	h := e.anyHost()
	bad, _ := h.dial()
	name, method := "NoSuchObject", int32(0)
	if len(h.Sources) > 0 {
		name = h.Sources[0].Name
		method = int32(len(h.Sources[0].Def.Methods) + 1000) // parsed, then ignored as out of range
		e.acquireRaw(bad, name, false)
	}
	e.NoErr(bad.SendRaw(build(e.D, name, method)), "sending hostile bytes")
	time.Sleep(200 * time.Millisecond)
	if h.A != nil {
		select {
		case <-h.A.Exited():
			e.Failf("the host %s after hostile input", h.A.ExitDescription())
		default:
		}
	}
	c, _ := h.dial()
	if len(h.Sources) > 0 {
		e.acquireRaw(c, name, false)
	}
	e.NoErr(c.Send(&wire.PingPacket{Name: h.pingName()}), "Ping")
	_, err := c.ExpectType(e.within(10*time.Second), wire.Pong)
	e.NoErr(err, "a fresh connection is served after hostile input")
}

var _ = AnySource("HI-1", func(e *Env) {
	anyHostile(e, func(d wire.Dialect, _ string, _ int32) []byte { return hugeFrame(d) })
})

var _ = AnySource("HI-2", func(e *Env) {
	anyHostile(e, func(d wire.Dialect, name string, _ int32) []byte { return shortFrame(d, name) })
})

var _ = AnySource("HI-3", func(e *Env) {
	h := e.anyHost()
	c, _ := h.dial()
	frames := append(wirepeer.Frame(e.D, 77, []byte{1, 2, 3, 4}), mustFrame(e.D, &wire.PingPacket{Name: h.pingName()})...)
	e.NoErr(c.SendRaw(frames), "unknown packet type 77 then Ping")
	p, err := c.Expect(e.within(2*time.Second), func(p wire.Packet) bool { return p.Type() == wire.Pong })
	switch {
	case err == nil && p.ObjectName() == h.pingName():
		e.Observe("skipped the unknown packet by its length and answered the following Ping")
	case err == nil:
		e.Observe("answered %s after the unknown packet (stream out of step)", wire.Describe(p))
	default:
		e.Observe("no Pong after an unknown packet type (the stream desynchronised or the connection closed: %v)", err)
	}
})

var _ = AnySource("HI-4", func(e *Env) { anyHostile(e, nestedInvoke) })
var _ = AnySource("HI-5", func(e *Env) { anyHostile(e, unknownTypeInvoke) })
