package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Helpers for the cases where the suite plays the host (or the registry)
// and the target is a replica node.

// rawHost is the suite's side of one replica-role case: a raw server, the
// node under test, and the connection the node opened to the server.
type rawHost struct {
	e   *Env
	A   *adapter.Adapter
	Srv *wirepeer.Server
	C   *wirepeer.Conn
	URL string
	// Dynamic is the replica kind the node was started with (the case's
	// choice, or the other kind on a target that declares only that one).
	Dynamic bool
	// added is the isDynamic flag of the node's last AddObject: the raw
	// host answers it as a Qt host does (InitDynamic or Init). A Qt dynamic
	// replica that has its metaobject re-acquires with isDynamic false.
	added *bool
}

// reserveURL returns a tcp:// URL on a loopback port that was free a moment
// ago (for a host that appears later than its replica).
func reserveURL(e *Env) string {
	if u := e.freshURL(); !strings.HasPrefix(u, "tcp:") {
		return u // a socket path or abstract name nobody listens on yet
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ginkgo.Fail("reserving a port: " + err.Error())
	}
	url := "tcp://" + ln.Addr().String()
	ln.Close()
	return url
}

// serveNode starts the target as a node connecting to a raw server the
// suite runs, and accepts the node's connection. Nothing is sent yet. When
// the dialect is not known before the node starts, the node is started
// first against a reserved port (a Qt node retries every 250 ms).
func (e *Env) serveNode(o Options) *rawHost {
	e.adaptMode(&o)
	h := &rawHost{e: e, Dynamic: !o.Static}
	if e.D == 0 {
		h.URL = reserveURL(e)
		o.URL = h.URL
		h.A = e.Node(o)
		h.Srv = e.Listen(h.URL)
	} else {
		h.Srv = e.Listen("")
		h.URL = h.Srv.URL()
		o.URL = h.URL
		h.A = e.Node(o)
	}
	h.C = e.acceptWithin(h.Srv, 15*time.Second)
	return h
}

// acceptWithin waits for the node under test to connect to srv.
func (e *Env) acceptWithin(srv *wirepeer.Server, d time.Duration) *wirepeer.Conn {
	ctx, cancel := context.WithTimeout(e.Ctx, d)
	defer cancel()
	c, err := srv.Accept(ctx)
	if err != nil {
		e.Failf("the node did not connect to %s within %s: %v", srv.URL(), d, err)
	}
	registerTestTypes(c.Types(), e.D)
	e.track(c)
	return c
}

// testObjectInfo is the ObjectList entry of the test object as a Qt host
// built from testobject.rep announces it.
func (e *Env) testObjectInfo() wire.ObjectInfo {
	cls := e.class()
	return wire.ObjectInfo{Name: TestObjectName, TypeName: qds.Str(cls.TypeName), Signature: []byte(cls.Signature)}
}

// greet sends Handshake and an ObjectList (the test object unless objs
// are given).
func (h *rawHost) greet(objs ...wire.ObjectInfo) {
	if len(objs) == 0 {
		objs = []wire.ObjectInfo{h.e.testObjectInfo()}
	}
	h.e.NoErr(h.C.Greet(objs...), "sending Handshake and ObjectList")
}

// expectAdd waits for the node's AddObject of name.
func (h *rawHost) expectAdd(name string) *wire.AddObjectPacket {
	p, err := h.C.Expect(h.e.within(10*time.Second), func(p wire.Packet) bool {
		return p.Type() == wire.AddObject && p.ObjectName() == name
	})
	h.e.NoErr(err, fmt.Sprintf("waiting for AddObject(%q) from the node", name))
	add := p.(*wire.AddObjectPacket)
	h.added = &add.Dynamic
	return add
}

// sendInit answers AddObject with an Init (static) or InitDynamic packet
// holding the test object's defaults, with overrides by property name
// ("child" sets the child's value).
func (h *rawHost) sendInit(dynamic bool, overrides map[string]any) []qds.Variant {
	if h.added != nil {
		dynamic = *h.added // answer what the node asked for
	}
	vals := h.e.testValues(h.C.Types(), dynamic, overrides)
	if dynamic {
		h.e.NoErr(h.C.Send(&wire.InitDynamic{Name: TestObjectName, Class: h.e.class().Definition(), Values: vals}), "sending InitDynamicPacket")
	} else {
		h.e.NoErr(h.C.Send(&wire.Init{Name: TestObjectName, Values: vals}), "sending InitPacket")
	}
	return vals
}

// initPacket is the Init (static node) or InitDynamic (dynamic node) of
// the test object with overrides, unsent.
func (h *rawHost) initPacket(overrides map[string]any) wire.Packet {
	dynamic := h.Dynamic
	if h.added != nil {
		dynamic = *h.added
	}
	vals := h.e.testValues(h.C.Types(), dynamic, overrides)
	if dynamic {
		return &wire.InitDynamic{Name: TestObjectName, Class: h.e.class().Definition(), Values: vals}
	}
	return &wire.Init{Name: TestObjectName, Values: vals}
}

// expectReacquire checks the AddObject of a replica that was Valid
// before: a static replica asks for Init again; a dynamic one may ask for
// either (a Qt dynamic replica that has its metaobject asks for Init:
// QConnectedReplicaImplementation::needsDynamicInitialization).
func (e *Env) expectReacquire(h *rawHost, add *wire.AddObjectPacket) {
	if !h.Dynamic {
		e.Expect(add.Dynamic).To(gomega.BeFalse(), "isDynamic of a static replica's re-acquisition")
		return
	}
	e.Observe("a dynamic replica re-acquired with isDynamic=%v (Qt: false, it keeps its metaobject)", add.Dynamic)
}

// needMode ends a case about one replica kind as unsupported on a target
// that declares it has only the other.
func (e *Env) needMode(dynamic bool) {
	if !e.caps().Can(adapter.CapReplicaMode, modeName(dynamic)) {
		e.Unsupported(fmt.Sprintf("this requirement is about %s replicas; the target declares %s", modeName(dynamic), e.caps().Describe()))
	}
}

// testValues builds the test object's property values as a host sends
// them: .rep defaults, overridden by name, the child as a QRO_ descriptor
// (with its class definition for dynamic replicas).
func (e *Env) testValues(types *qds.Types, dynamic bool, overrides map[string]any) []qds.Variant {
	cls := e.class()
	vals := make([]qds.Variant, len(cls.Properties))
	for i, p := range cls.Properties {
		if p.Child != nil {
			child := p.Child
			cv := child.Properties[0].Default
			if x, ok := overrides[p.Name]; ok {
				cv = e.value("int", x)
			}
			ch := wire.ChildObject{Name: e.D.ChildName("Class", TestObjectName, p.Name), TypeName: qds.Str(child.TypeName),
				Kind: wire.ChildClass, Parameters: []qds.Variant{cv}}
			if dynamic {
				def := child.Definition()
				b, err := wire.EncodeDefinition(e.D, types, &def)
				if err != nil {
					panic(fmt.Sprintf("conformance: encoding the TestChild definition: %v", err))
				}
				ch.Definition = b
			}
			vals[i] = qds.UserOf(wire.ChildObjectType, ch)
			continue
		}
		vals[i] = p.Default
		if x, ok := overrides[p.Name]; ok {
			vals[i] = e.value(p.Type, x)
		}
	}
	return vals
}

// waitEvent waits up to d for an adapter event from mark on.
func (e *Env) waitEvent(a *adapter.Adapter, mark int, p adapter.Predicate, d time.Duration, what string) adapter.Event {
	ev, err := a.WaitFor(e.within(d), mark, p)
	e.NoErr(err, "waiting for "+what)
	return ev
}

// validReplica starts the target as a node of the test object (static
// unless dynamic), plays its host up to Init and waits until the replica
// is Valid.
func (e *Env) validReplica(dynamic bool, overrides map[string]any, extra ...string) *rawHost {
	h := e.serveNode(Options{Object: TestObjectName, Static: !dynamic, Extra: extra})
	dynamic = h.Dynamic
	h.greet()
	add := h.expectAdd(TestObjectName)
	e.Expect(add.Dynamic).To(equal(dynamic), "AddObject isDynamic of a node started as %s (a node must acquire the kind it was asked for)", modeName(dynamic))
	h.sendInit(dynamic, overrides)
	e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
	// The notifications of Init come with Valid; a round trip puts them
	// before any mark the case takes next.
	e.do(h.A, adapter.Sync())
	return h
}

func modeName(dynamic bool) string {
	if dynamic {
		return "dynamic"
	}
	return "static"
}

// notifyChange is what a Qt host sends for a property change: the
// PropertyChange and the notify signal's Invoke, in one write.
func (e *Env) notifyChange(c *wirepeer.Conn, prop string, x any) {
	cls := e.class()
	i := cls.PropertyIndex(prop)
	p := cls.Properties[i]
	v := e.value(p.Type, x)
	e.NoErr(c.Send(
		&wire.PropertyChangePacket{Name: TestObjectName, Index: int32(i), Value: v},
		&wire.Invoke{Name: TestObjectName, Call: wire.CallInvokeMethod, Index: int32(p.Notify), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: int32(i)},
	), "sending PropertyChange + notify of "+prop)
}

// peerPacket is one packet the target sent, with the time its first byte
// arrived.
type peerPacket struct {
	P    wire.Packet
	Time time.Time
}

// peerPackets decodes everything the target sent on c so far, from the
// transcript (so packets Expect skipped are included).
func peerPackets(c *wirepeer.Conn) ([]peerPacket, error) {
	var buf []byte
	var starts []int
	var times []time.Time
	for _, ch := range c.Transcript() {
		if !ch.FromPeer {
			continue
		}
		starts = append(starts, len(buf))
		times = append(times, ch.Time)
		buf = append(buf, ch.Data...)
	}
	// The connection's own registry: the test types, and the gadgets of
	// every class definition it received or was given.
	types := qds.NewTypes(c.Types())
	r := wire.NewReader(bytes.NewReader(buf), c.Dialect(), types, wire.Limits{MaxFrameSize: 64 << 20})
	var out []peerPacket
	for {
		f, err := r.ReadFrame()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		p, err := wire.Decode(c.Dialect(), types, qds.Limits{}, f)
		if err != nil {
			return out, err
		}
		// The chunk holding the frame's first byte dates it.
		at := time.Time{}
		for i := len(starts) - 1; i >= 0; i-- {
			if int64(starts[i]) <= f.Offset {
				at = times[i]
				break
			}
		}
		out = append(out, peerPacket{P: p, Time: at})
	}
}

// packetsOf returns the decoded packets the target sent on c.
func (e *Env) packetsOf(c *wirepeer.Conn) []peerPacket {
	ps, err := peerPackets(c)
	e.NoErr(err, "decoding what the node sent")
	return ps
}

// alive checks that an adapter process still runs and answers commands.
func (e *Env) alive(a *adapter.Adapter, what string) {
	select {
	case <-a.Exited():
		e.Failf("the node %s %s", a.ExitDescription(), what)
	default:
	}
	_, err := a.Do(e.within(5*time.Second), adapter.Sync())
	e.NoErr(err, "the node answering a command "+what)
}

// registryInfo is the ObjectList entry of a Qt registry.
func registryInfo() wire.ObjectInfo {
	return wire.ObjectInfo{Name: "Registry", TypeName: qds.Str("Registry")}
}

// location builds a registry entry as the dialect sends it in a QVariant.
func (e *Env) location(name, typeName, url string) qds.Variant {
	return qds.UserOf(e.D.SourceLocationType(), wire.SourceLocation{Name: name, TypeName: typeName, HostURL: url})
}

// locations builds the registry's location table QVariant.
func (e *Env) locations(ls ...wire.SourceLocation) qds.Variant {
	if ls == nil {
		ls = []wire.SourceLocation{}
	}
	return qds.UserOf(e.D.SourceLocationsType(), ls)
}
