package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// TestObjectName is the source name hosts use for the test object.
const TestObjectName = "TestObject"

// greeting reads the host's first two packets and checks they are the
// Handshake and the ObjectList.
func (e *Env) greeting(c *wirepeer.Conn) *wire.ObjectListPacket {
	p, err := c.Next(e.Ctx)
	e.NoErr(err, "reading the host's first packet")
	hs, ok := p.(*wire.HandshakePacket)
	if !ok {
		e.brokenGreeting("the host's first packet is %s, not a Handshake", wire.Describe(p))
	}
	e.Expect(hs.Version).To(equal(e.D.ProtocolVersion()), "protocol version")
	p, err = c.Next(e.Ctx)
	e.NoErr(err, "reading the packet after the Handshake")
	ol, ok := p.(*wire.ObjectListPacket)
	if !ok {
		e.brokenGreeting("the packet after the Handshake is %s, not an ObjectList", wire.Describe(p))
	}
	return ol
}

// brokenGreeting fails HS-1 and HS-2, whose subject the greeting is; every
// other case cannot trust what follows a broken greeting and reports not
// tested, pointing at them, instead of a wall of failures with one cause.
func (e *Env) brokenGreeting(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if e.Req.ID == "HS-1" || e.Req.ID == "HS-2" {
		e.Failf("%s", msg)
	}
	e.NotTested(msg + " (HS-1/HS-2 report it): no later check on this connection can be trusted")
}

// connectHost starts the target as a test-object host and opens a raw
// connection that has read the greeting.
func (e *Env) connectHost(o Options) (*adapter.Adapter, *wirepeer.Conn, *wire.ObjectListPacket) {
	a, url := e.Host(o)
	c := e.Dial(url)
	ol := e.greeting(c)
	return a, c, ol
}

// acquireRaw sends AddObject and returns the Init or InitDynamic reply.
func (e *Env) acquireRaw(c *wirepeer.Conn, name string, dynamic bool) wire.Packet {
	e.NoErr(c.Send(&wire.AddObjectPacket{Name: name, Dynamic: dynamic}), "sending AddObject")
	want := wire.InitPacket
	if dynamic {
		want = wire.InitDynamicPacket
	}
	p, err := c.Expect(e.within(10*time.Second), func(p wire.Packet) bool {
		return p.ObjectName() == name && (p.Type() == wire.InitPacket || p.Type() == wire.InitDynamicPacket)
	})
	e.NoErr(err, fmt.Sprintf("waiting for the %s of %q", want, name))
	e.Expect(p.Type()).To(equal(want), "reply to AddObject(dynamic=%v)", dynamic)
	return p
}

// sourceOf acquires name dynamically on c and returns it as a source.
func (e *Env) sourceOf(c *wirepeer.Conn, name string) *source {
	p := e.acquireRaw(c, name, true)
	init := p.(*wire.InitDynamic)
	def := init.Class
	return &source{Name: name, Def: &def, Values: init.Values, Class: meta.FromDefinition(&def)}
}

// within returns a context bounded by d and by the case.
func (e *Env) within(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(e.Ctx, d)
	e.Defer(cancel)
	return ctx
}

// do runs an adapter command and fails the case if it fails.
func (e *Env) do(a *adapter.Adapter, c adapter.Command) adapter.Event {
	ev, err := e.drive(a).Do(e.Ctx, c)
	var ce *adapter.CommandError
	if errors.As(err, &ce) && ce.Code == "unsupported" {
		// The contract's answer for a command the implementation cannot
		// carry out (ADAPTER.md §3): unsupported, never failed.
		e.Unsupported(fmt.Sprintf("the adapter answered %s with error \"unsupported\": %s", c.Name(), ce.Message))
	}
	e.NoErr(err, fmt.Sprintf("adapter command %s", c.Name()))
	return ev
}

// drive returns the adapter of a started target; a case that must drive the
// target (set, emit, ...) is unsupported for an url: target, which has none.
func (e *Env) drive(a *adapter.Adapter) *adapter.Adapter {
	if a == nil {
		e.NotApplicable("this case drives the host through the adapter contract (set, emit, enable/disableRemoting); an url: target has none")
	}
	return a
}

// class returns the test object's class in the target's dialect.
func (e *Env) class() *meta.Class { return TestClass(e.D, "TestObject") }

// value builds the QVariant the test object's property (or parameter)
// type carries for x.
func (e *Env) value(typ string, x any) qds.Variant {
	v, err := e.class().Coerce(typ, x)
	if err != nil {
		panic(fmt.Sprintf("conformance: bad expectation %v for %s: %v", x, typ, err))
	}
	return v
}

// propIndex returns a test object property's index.
func (e *Env) propIndex(name string) int32 {
	i := e.class().PropertyIndex(name)
	if i < 0 {
		panic("conformance: no property " + name)
	}
	return int32(i)
}

func (e *Env) methodIndex(name string) int32 {
	i := e.class().MethodIndex(name)
	if i < 0 {
		panic("conformance: no method " + name)
	}
	return int32(i)
}

func (e *Env) signalIndex(name string) int32 {
	i := e.class().SignalIndex(name)
	if i < 0 {
		panic("conformance: no signal " + name)
	}
	return int32(i)
}

// isProp matches PropertyChange packets of one property.
func isProp(name string, index int32) func(wire.Packet) bool {
	return func(p wire.Packet) bool {
		pc, ok := p.(*wire.PropertyChangePacket)
		return ok && pc.Name == name && pc.Index == index
	}
}

// isReply matches the InvokeReply of a serial.
func isReply(name string, serial int32) func(wire.Packet) bool {
	return func(p wire.Packet) bool {
		r, ok := p.(*wire.InvokeReply)
		return ok && r.Name == name && r.Serial == serial
	}
}
