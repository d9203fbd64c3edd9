package conformance

import (
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Registry cases: the target as a registry with the suite as raw hosts and
// clients, the target as a host or node with the suite as its registry.

const registrySourceName = "Registry"

// Registry wire indices (QTRO-PROTOCOL.md §9.1).
const (
	regSigAdded      int32 = 0
	regSigRemoved    int32 = 1
	regAddSource     int32 = 0
	regRemoveSource  int32 = 1
	regLocationsProp       = 0
)

// registryClient opens a raw connection to a registry under test and
// acquires "Registry" statically; it returns the connection and the table
// of the Init.
func (e *Env) registryClient(url string) (*wirepeer.Conn, []wire.SourceLocation) {
	c := e.Dial(url)
	e.greeting(c)
	init := e.acquireRaw(c, registrySourceName, false).(*wire.Init)
	e.Expect(init.Values).To(gomega.HaveLen(1), "the registry's Init carries one property value")
	return c, e.tableOf(init.Values[regLocationsProp])
}

// tableOf reads the registry's location table from a QVariant.
func (e *Env) tableOf(v qds.Variant) []wire.SourceLocation {
	e.Expect(v.TypeName()).To(equal(e.D.SourceLocationsType()), "type of the location table")
	ls, ok := v.Value().([]wire.SourceLocation)
	if !ok {
		e.Failf("the location table %s does not decode", v)
	}
	return ls
}

// callRegistry invokes a registry method with one source location.
func (e *Env) callRegistry(c *wirepeer.Conn, method int32, l wire.SourceLocation) {
	e.NoErr(c.Send(&wire.Invoke{Name: registrySourceName, Call: wire.CallInvokeMethod, Index: method,
		Args: []qds.Variant{e.location(l.Name, l.TypeName, l.HostURL)}, Serial: -1, PropertyIndex: -1}), "invoking the registry")
}

// isRegistrySignal matches the registry's signal Invoke carrying l.
func isRegistrySignal(index int32, l wire.SourceLocation) func(wire.Packet) bool {
	return func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		if !ok || iv.Name != registrySourceName || iv.Index != index || len(iv.Args) != 1 {
			return false
		}
		got, ok := iv.Args[0].Value().(wire.SourceLocation)
		return ok && got == l
	}
}

// expectRegistrySignal waits for the registry's signal about l on c and
// checks its layout.
func (e *Env) expectRegistrySignal(c *wirepeer.Conn, index int32, l wire.SourceLocation, what string) {
	p, err := c.Expect(e.within(10*time.Second), func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Name == registrySourceName && iv.Index == index
	})
	e.NoErr(err, "waiting for "+what)
	iv := p.(*wire.Invoke)
	e.Expect(iv.Call).To(equal(wire.CallInvokeMethod), what+": call")
	e.Expect(iv.Serial).To(equal(int32(-1)), what+": serial")
	e.Expect(iv.PropertyIndex).To(equal(int32(-1)), what+": propertyIndex")
	e.Expect(iv.Args).To(gomega.HaveLen(1), what+": arguments")
	e.Expect(iv.Args[0].TypeName()).To(equal(e.D.SourceLocationType()), what+": argument type")
	e.Expect(iv.Args[0].Value()).To(equal(l), what+": location")
}

func locationNames(ls []wire.SourceLocation) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

func findLocation(ls []wire.SourceLocation, name string) (wire.SourceLocation, bool) {
	for _, l := range ls {
		if l.Name == name {
			return l, true
		}
	}
	return wire.SourceLocation{}, false
}

var _ = ginkgo.Describe("Registry", func() {
	Case("REG-1", func(e *Env) {
		_, url := e.Registry(Options{})
		c := e.Dial(url)
		ol := e.greeting(c)
		o, ok := findObject(ol, registrySourceName)
		if !ok {
			e.Failf("the registry's ObjectList %v has no Registry", objectNames(ol))
		}
		e.Expect(o.TypeName).To(equal(qds.Str(registrySourceName)), "type name")
		e.Expect(o.Signature).To(gomega.BeNil(), "signature (null)")
	})
	Case("REG-2", func(e *Env) {
		// A registry that hosts a source itself lists it without any wire traffic.
		_, url := e.Registry(Options{Object: TestObjectName})
		_, table := e.registryClient(url)
		l, ok := findLocation(table, TestObjectName)
		if !ok {
			e.Failf("the registry's table %v has no entry for its own source %s", locationNames(table), TestObjectName)
		}
		e.Expect(l).To(equal(wire.SourceLocation{Name: TestObjectName, TypeName: "TestObject", HostURL: url}), "entry of the registry's own source")
		// An entry added over the wire is in the next Init too.
		h, _ := e.registryClient(url)
		added := wire.SourceLocation{Name: "RegTwo", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45002"}
		e.callRegistry(h, regAddSource, added)
		e.expectRegistrySignal(h, regSigAdded, added, "remoteObjectAdded")
		_, table = e.registryClient(url)
		l, ok = findLocation(table, added.Name)
		e.Expect(ok).To(gomega.BeTrue(), "table %v lists %s", locationNames(table), added.Name)
		e.Expect(l).To(equal(added))
	})
	Case("REG-3", func(e *Env) {
		_, url := e.Registry(Options{})
		c1, _ := e.registryClient(url)
		c2, _ := e.registryClient(url)
		loc := wire.SourceLocation{Name: "RegThree", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45003"}
		e.callRegistry(c1, regAddSource, loc)
		e.expectRegistrySignal(c1, regSigAdded, loc, "remoteObjectAdded to the registering connection")
		e.expectRegistrySignal(c2, regSigAdded, loc, "remoteObjectAdded to another listener")
		_, table := e.registryClient(url)
		got, ok := findLocation(table, loc.Name)
		e.Expect(ok).To(gomega.BeTrue(), "the entry is stored: table %v", locationNames(table))
		e.Expect(got).To(equal(loc))
	})
	Case("REG-4", func(e *Env) {
		_, url := e.Registry(Options{})
		listener, _ := e.registryClient(url)
		c1, _ := e.registryClient(url)
		c2, _ := e.registryClient(url)
		first := wire.SourceLocation{Name: "RegFour", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45041"}
		second := wire.SourceLocation{Name: "RegFour", TypeName: "Other", HostURL: "tcp://127.0.0.1:45042"}
		e.callRegistry(c1, regAddSource, first)
		e.expectRegistrySignal(listener, regSigAdded, first, "remoteObjectAdded of the first registration")
		e.callRegistry(c2, regAddSource, second)
		e.NoErr(listener.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.Type() == wire.InvokePacket }),
			"a signal for the second registration of the name")
		_, table := e.registryClient(url)
		got, _ := findLocation(table, first.Name)
		e.Expect(got).To(equal(first), "the first registration wins")
	})
	Case("REG-5", func(e *Env) {
		_, url := e.Registry(Options{})
		listener, _ := e.registryClient(url)
		c1, _ := e.registryClient(url)
		loc := wire.SourceLocation{Name: "RegFive", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45005"}
		e.callRegistry(c1, regAddSource, loc)
		e.expectRegistrySignal(listener, regSigAdded, loc, "remoteObjectAdded")
		wrong := loc
		wrong.HostURL = "tcp://127.0.0.1:45055"
		e.callRegistry(c1, regRemoveSource, wrong)
		e.NoErr(listener.ExpectNone(e.Ctx, time.Second, func(p wire.Packet) bool { return p.Type() == wire.InvokePacket }),
			"a signal after removeSource with another host URL")
		_, table := e.registryClient(url)
		e.Expect(locationNames(table)).To(gomega.ContainElement(loc.Name), "the entry survives a removeSource with another host URL")
		e.callRegistry(c1, regRemoveSource, loc)
		e.expectRegistrySignal(listener, regSigRemoved, loc, "remoteObjectRemoved")
		_, table = e.registryClient(url)
		e.Expect(locationNames(table)).NotTo(gomega.ContainElement(loc.Name), "the entry is removed")
	})
	Case("REG-6", func(e *Env) {
		_, url := e.Registry(Options{})
		host, _ := e.registryClient(url)
		loc := wire.SourceLocation{Name: "RegSix", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45006"}
		e.callRegistry(host, regAddSource, loc)
		e.expectRegistrySignal(host, regSigAdded, loc, "remoteObjectAdded")
		_, table := e.registryClient(url)
		e.Expect(locationNames(table)).To(gomega.ContainElement(loc.Name))
		host.Close()
		e.Eventually(func() []string {
			c, table := e.registryClient(url)
			c.Close()
			return locationNames(table)
		}, 5*time.Second, 200*time.Millisecond).ShouldNot(gomega.ContainElement(loc.Name), "entries of a host whose connection closed")
	})
	Case("REG-7", func(e *Env) {
		_, url := e.Registry(Options{})
		listener, _ := e.registryClient(url)
		host, _ := e.registryClient(url)
		loc := wire.SourceLocation{Name: "RegSeven", TypeName: "TestObject", HostURL: "tcp://127.0.0.1:45007"}
		e.callRegistry(host, regAddSource, loc)
		e.expectRegistrySignal(listener, regSigAdded, loc, "remoteObjectAdded")
		host.Close()
		_, err := listener.Expect(e.within(1500*time.Millisecond), isRegistrySignal(regSigRemoved, loc))
		if err == nil {
			e.Observe("remoteObjectRemoved was emitted when the host's registry connection closed")
		} else {
			e.Observe("no remoteObjectRemoved when the host's registry connection closed (as Qt)")
		}
	})

	Case("REG-8", func(e *Env) {
		r := e.registryForHost()
		loc := wire.SourceLocation{Name: TestObjectName, TypeName: "TestObject", HostURL: r.HostURL}
		e.expectRegistryCall(r.C, regAddSource, loc, "addSource")
	})
	Case("REG-9", func(e *Env) {
		r := e.registryForHost()
		loc := wire.SourceLocation{Name: TestObjectName, TypeName: "TestObject", HostURL: r.HostURL}
		e.expectRegistryCall(r.C, regAddSource, loc, "addSource")
		e.do(r.A, adapter.DisableRemoting())
		e.expectRegistryCall(r.C, regRemoveSource, loc, "removeSource after disableRemoting")
	})
	Case("REG-10", func(e *Env) {
		var reg, obj *wirepeer.Server
		var a *adapter.Adapter
		o := Options{Object: TestObjectName, Static: true}
		e.adaptMode(&o)
		if e.D == 0 {
			regURL := reserveURL(e)
			o.Registry = regURL
			a = e.Node(o)
			reg = e.Listen(regURL)
			obj = e.Listen("")
		} else {
			reg, obj = e.Listen(""), e.Listen("")
			o.Registry = reg.URL()
			a = e.Node(o)
		}
		rc := e.acceptWithin(reg, 10*time.Second)
		r := &rawHost{e: e, A: a, Srv: reg, C: rc}
		r.greet(registryInfo())
		add := r.expectAdd(registrySourceName)
		e.Expect(add.Dynamic).To(gomega.BeFalse(), "the registry is acquired as a static replica")
		e.NoErr(rc.Send(&wire.Init{Name: registrySourceName, Values: []qds.Variant{e.locations(
			wire.SourceLocation{Name: TestObjectName, TypeName: "TestObject", HostURL: obj.URL()})}}), "sending the registry's Init")
		h := &rawHost{e: e, A: a, Srv: obj, URL: obj.URL(), C: e.acceptWithin(obj, 10*time.Second), Dynamic: !o.Static}
		h.greet()
		h.expectAdd(TestObjectName)
		h.sendInit(false, map[string]any{"intProp": 1010})
		e.waitEvent(a, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica found through the registry to become Valid")
		e.Expect(e.do(a, adapter.Get("intProp")).Fields["value"]).To(adapterValue(1010))
	})
	Case("REG-11", func(e *Env) {
		regURL := reserveURL(e)
		o := Options{Registry: regURL, Object: TestObjectName, Static: true}
		e.adaptMode(&o)
		a := e.Node(o)
		obj := e.Listen("")
		// The registry is not there yet: let the node retry a few times.
		time.Sleep(800 * time.Millisecond)
		reg := e.Listen(regURL)
		rc := e.acceptWithin(reg, 10*time.Second)
		r := &rawHost{e: e, A: a, Srv: reg, C: rc}
		r.greet(registryInfo())
		r.expectAdd(registrySourceName)
		e.NoErr(rc.Send(&wire.Init{Name: registrySourceName, Values: []qds.Variant{e.locations()}}), "sending the registry's (empty) Init")
		// The source appears later, announced by remoteObjectAdded.
		time.Sleep(200 * time.Millisecond)
		e.NoErr(rc.Send(&wire.Invoke{Name: registrySourceName, Call: wire.CallInvokeMethod, Index: regSigAdded,
			Args: []qds.Variant{e.location(TestObjectName, "TestObject", obj.URL())}, Serial: -1, PropertyIndex: -1}), "emitting remoteObjectAdded")
		h := &rawHost{e: e, A: a, Srv: obj, URL: obj.URL(), C: e.acceptWithin(obj, 10*time.Second), Dynamic: !o.Static}
		h.greet()
		h.expectAdd(TestObjectName)
		h.sendInit(false, map[string]any{"intProp": 1111})
		e.waitEvent(a, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
		e.Expect(e.do(a, adapter.Get("intProp")).Fields["value"]).To(adapterValue(1111))
	})
})

// hostWithRegistry is the target as a host whose registry is the suite.
type hostWithRegistry struct {
	A       *adapter.Adapter
	HostURL string
	C       *wirepeer.Conn
}

// registryForHost starts the target as a host of the test object with a
// registry URL the suite serves, and plays the registry up to its Init.
func (e *Env) registryForHost() hostWithRegistry {
	var srv *wirepeer.Server
	var a *adapter.Adapter
	var hostURL string
	if e.D == 0 {
		url := reserveURL(e)
		a, hostURL = e.Host(Options{Registry: url})
		srv = e.Listen(url)
	} else {
		srv = e.Listen("")
		a, hostURL = e.Host(Options{Registry: srv.URL()})
	}
	c := e.acceptWithin(srv, 10*time.Second)
	e.NoErr(c.Greet(registryInfo()), "greeting the host as its registry")
	p, err := c.Expect(e.within(10*time.Second), func(p wire.Packet) bool { return p.Type() == wire.AddObject })
	e.NoErr(err, "waiting for the host to acquire the registry")
	add := p.(*wire.AddObjectPacket)
	e.Expect(add.Name).To(equal(registrySourceName), "the host acquires the registry")
	e.Expect(add.Dynamic).To(gomega.BeFalse(), "the registry is acquired as a static replica")
	e.NoErr(c.Send(&wire.Init{Name: registrySourceName, Values: []qds.Variant{e.locations()}}), "sending the registry's Init")
	return hostWithRegistry{A: a, HostURL: hostURL, C: c}
}

// expectRegistryCall waits for the host's Invoke of a registry method and
// checks its layout and location.
func (e *Env) expectRegistryCall(c *wirepeer.Conn, method int32, l wire.SourceLocation, what string) {
	p, err := c.Expect(e.within(10*time.Second), func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Name == registrySourceName && iv.Index == method
	})
	e.NoErr(err, "waiting for "+what)
	iv := p.(*wire.Invoke)
	e.Expect(iv.Call).To(equal(wire.CallInvokeMethod), what+": call")
	e.Expect(iv.Serial).To(equal(int32(-1)), what+": serial")
	e.Expect(iv.PropertyIndex).To(equal(int32(-1)), what+": propertyIndex")
	e.Expect(iv.Args).To(gomega.HaveLen(1), what+": arguments")
	e.Expect(iv.Args[0].TypeName()).To(equal(e.D.SourceLocationType()), what+": argument type")
	e.Expect(iv.Args[0].Value()).To(equal(l), what+": location")
}
