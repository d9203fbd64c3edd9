package conformance

import (
	"fmt"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
)

// Hostile host frames found by `qtro fuzz --role replica`: each crashed
// real Qt 5.15 and 6.4 replicas of the test object (fixtures/crashes/
// *-replica-*.txt hold the minimised sessions). The suite plays the host,
// so the inputs are built from the test object's class, for every replica
// kind the target runs; a node must survive them and keep answering.

// eachMode runs f on a fresh node of every replica kind the target runs.
func eachMode(e *Env, f func(dynamic bool)) {
	for _, dyn := range e.replicaModes() {
		f(dyn)
	}
}

// hostileTarget starts a node of kind dynamic and plays its host up to a
// Valid replica, answering the kind the node asks for: unlike
// validReplica it does not judge that kind, which other requirements do,
// so these verdicts are about surviving the input alone.
func (e *Env) hostileTarget(dynamic bool) (*rawHost, bool) {
	h := e.serveNode(Options{Object: TestObjectName, Static: !dynamic, ExactMode: true})
	h.greet()
	add := h.expectAdd(TestObjectName)
	h.sendInit(add.Dynamic, nil)
	e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid")
	e.do(h.A, adapter.Sync())
	return h, add.Dynamic
}

// survives checks the node after hostile input in a replica of kind dynamic.
func (e *Env) survives(h *rawHost, what string, dynamic bool) {
	time.Sleep(300 * time.Millisecond)
	e.alive(h.A, fmt.Sprintf("after %s (%s replica)", what, modeName(dynamic)))
	e.Observe("a %s replica survived %s", modeName(dynamic), what)
}

// deepVariantFrame is a PropertyChange of property i whose value is a
// QVariantList nested depth deep around an int.
func deepVariantFrame(d wire.Dialect, name string, i int32, depth int) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(name)
	enc.I32(i)
	appendNested(enc, depth)
	return mustRawFrame(d, wire.PropertyChange, enc.Bytes())
}

// listProperty is the test object's first QVariantList (else QVariant)
// property, where a nested list is a value of the right type.
func (e *Env) listProperty() int32 {
	cls := e.class()
	for _, typ := range []string{"QVariantList", "QVariant"} {
		for i, p := range cls.Properties {
			if p.Type == typ {
				return int32(i)
			}
		}
	}
	return 0
}

// signalWithParams is the test object's first signal that has parameters.
func (e *Env) signalWithParams() (int32, string, bool) {
	for i, s := range e.class().Signals {
		if len(s.Params) > 0 {
			return int32(i), s.Signature, true
		}
	}
	return 0, "", false
}

var _ = ginkgo.Describe("Hostile input (replica)", func() {
	Case("HI-11", func(e *Env) {
		eachMode(e, func(dyn bool) {
			h, dyn := e.hostileTarget(dyn)
			n := int32(len(e.class().Properties))
			e.NoErr(h.C.Send(&wire.PropertyChangePacket{Name: TestObjectName, Index: n, Value: qds.IntOf(1)}),
				"sending a PropertyChange of a property index past the class")
			e.survives(h, fmt.Sprintf("a PropertyChange of property %d of %d", n, n), dyn)
		})
	})
	Case("HI-12", func(e *Env) {
		sig, signature, ok := e.signalWithParams()
		if !ok {
			e.NotApplicable("the test object has no signal with parameters")
		}
		eachMode(e, func(dyn bool) {
			h, dyn := e.hostileTarget(dyn)
			e.NoErr(h.C.Send(&wire.Invoke{Name: TestObjectName, Call: wire.CallInvokeMethod, Index: sig, Serial: -1, PropertyIndex: -1}),
				"sending an Invoke of "+signature+" with no arguments")
			e.survives(h, "an Invoke of "+signature+" with no arguments", dyn)
		})
	})
	Case("HI-13", func(e *Env) {
		eachMode(e, func(dyn bool) {
			h := e.serveNode(Options{Object: TestObjectName, Static: !dyn, ExactMode: true})
			h.greet()
			add := h.expectAdd(TestObjectName)
			vals := e.testValues(h.C.Types(), add.Dynamic, nil)
			short := vals[:len(vals)-1]
			if add.Dynamic {
				e.NoErr(h.C.Send(&wire.InitDynamic{Name: TestObjectName, Class: e.class().Definition(), Values: short}), "sending a short InitDynamic")
			} else {
				e.NoErr(h.C.Send(&wire.Init{Name: TestObjectName, Values: short}), "sending a short Init")
			}
			e.survives(h, fmt.Sprintf("an Init with %d values for %d properties", len(short), len(vals)), add.Dynamic)
		})
	})
	Case("HI-14", func(e *Env) {
		eachMode(e, func(dyn bool) {
			h, dyn := e.hostileTarget(dyn)
			e.NoErr(h.C.SendRaw(deepVariantFrame(e.D, TestObjectName, e.listProperty(), crashDepth)),
				"sending a PropertyChange nested 40,000 deep")
			e.survives(h, "a PropertyChange holding a QVariantList nested 40,000 deep", dyn)
		})
	})
})
