package conformance

import (
	"os"
	"path/filepath"
	"time"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Hostile input found by `qtro fuzz` (specs/fuzz): each of these crashed
// real Qt 5.15 and 6.4 hosts. The test-object form replays the committed
// reproducer of fixtures/crashes byte for byte; the object-agnostic form
// builds the same input for the first source of a host the suite does not
// know. Real Qt failing them is the correct verdict (ci/expected-failures.txt).

// crashFixtures names the reproducer behind each requirement
// (fixtures/crashes/<dialect>-<name>.txt, written by
// `go test ./specs/fuzz -run TestCrashFixtures -update`).
var crashFixtures = map[string]string{
	"HI-7":  "registry-invoke-noargs",
	"HI-8":  "add-noargs",
	"HI-9":  "deep-nesting",
	"HI-10": "invoke-name-only",
}

// crashDepth is the nesting depth of HI-9 (as fixtures/crashes holds it).
const crashDepth = 40000

// replayCrash sends the requirement's reproducer, one connection per
// recorded connection and only its client-to-host chunks, then checks the
// host still serves a fresh client.
func replayCrash(e *Env) {
	root, err := checkout.Root()
	e.NoErr(err, "finding the checkout (fixtures/crashes)")
	dialect := "qt6"
	a, url := e.Host(Options{})
	if e.D == wire.Qt5 {
		dialect = "qt5"
	}
	path := filepath.Join(root, "fixtures", "crashes", dialect+"-"+crashFixtures[e.Req.ID]+".txt")
	f, err := os.Open(path)
	e.NoErr(err, "opening the reproducer")
	recs, err := capture.ParseTranscript(f)
	f.Close()
	e.NoErr(err, "reading the reproducer "+path)
	var (
		c    *wirepeer.Conn
		conn = -1
	)
	for _, r := range recs {
		if r.Dir != capture.ClientToHost {
			continue
		}
		if r.Conn != conn {
			conn = r.Conn
			c = e.Dial(url) // closed when the case ends
			e.greeting(c)
		}
		e.NoErr(c.SendRaw(r.Data), "sending "+filepath.Base(path))
	}
	e.Observe("replayed %s", filepath.Base(path))
	time.Sleep(200 * time.Millisecond)
	e.stillServing(a, url)
}

// The inputs of the object-agnostic forms.

// noArgsInvoke calls method of name with no arguments.
func noArgsInvoke(d wire.Dialect, name string, method int32) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(name)
	enc.I32(wire.CallInvokeMethod)
	enc.I32(method)
	enc.U32(0)
	enc.I32(1)
	enc.I32(-1)
	return mustRawFrame(d, wire.InvokePacket, enc.Bytes())
}

// deepInvoke calls method of name with one QVariantList nested depth deep.
func deepInvoke(d wire.Dialect, name string, method int32, depth int) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(name)
	enc.I32(wire.CallInvokeMethod)
	enc.I32(method)
	enc.U32(1)
	appendNested(enc, depth)
	enc.I32(1)
	enc.I32(-1)
	return mustRawFrame(d, wire.InvokePacket, enc.Bytes())
}

// appendNested appends a QVariant that is a QVariantList nested depth deep
// around the int 7 (Qt recurses once per level when it reads one).
func appendNested(enc *qds.Encoder, depth int) {
	for range depth {
		enc.U32(uint32(qds.QVariantList))
		enc.U8(0)
		enc.U32(1)
	}
	enc.U32(uint32(qds.Int))
	enc.U8(0)
	enc.I32(7)
}

// nameOnlyInvoke is an Invoke whose body ends after the object name.
func nameOnlyInvoke(d wire.Dialect, name string) []byte {
	return mustRawFrame(d, wire.InvokePacket, qstring(d, name))
}

func mustRawFrame(d wire.Dialect, t wire.PacketType, body []byte) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.U32(uint32(len(body) + 2))
	enc.U16(uint16(t))
	enc.Raw(body)
	return enc.Bytes()
}

// slotWithParams returns the first method of any source that takes
// parameters, for HI-8 on a host the suite does not know.
func (h *anyHost) slotWithParams() (string, int32, bool) {
	for _, s := range h.Sources {
		for i, m := range s.Def.Methods {
			if len(m.ParamNames) > 0 {
				return s.Name, int32(i), true
			}
		}
	}
	return "", 0, false
}

var (
	_ = Case("HI-7", replayCrash)
	_ = Case("HI-8", replayCrash)
	_ = Case("HI-9", replayCrash)
	_ = Case("HI-10", replayCrash)

	_ = AnySource("HI-7", func(e *Env) {
		e.mayCrash()
		anyHostile(e, func(d wire.Dialect, _ string, _ int32) []byte { return noArgsInvoke(d, "Registry", 0) })
	})
	_ = AnySource("HI-8", func(e *Env) {
		e.mayCrash()
		h := e.anyHost()
		name, m, ok := h.slotWithParams()
		if !ok {
			e.NotApplicable("the host declares no method with parameters")
		}
		bad, _ := h.dial()
		e.NoErr(bad.SendRaw(noArgsInvoke(e.D, name, m)), "sending hostile bytes")
		time.Sleep(200 * time.Millisecond)
		h.stillServing()
	})
	_ = AnySource("HI-9", func(e *Env) {
		e.mayCrash()
		anyHostile(e, func(d wire.Dialect, name string, _ int32) []byte { return deepInvoke(d, name, 0, crashDepth) })
	})
	_ = AnySource("HI-10", func(e *Env) {
		e.mayCrash()
		anyHostile(e, func(d wire.Dialect, name string, _ int32) []byte { return nameOnlyInvoke(d, name) })
	})
)

// mayCrash ends a case whose input crashed real hosts as not tested when
// the host is one the suite cannot restart (an url: target) and
// Config.Destructive was not given.
func (e *Env) mayCrash() {
	if suite.Target != nil && suite.Target.URL != "" && !suite.Destructive {
		e.NotTested("its input crashes real Qt hosts, and a host the suite did not start cannot be restarted: every later verdict would be about a dead host (--destructive runs it)")
	}
}

// stillServing checks the host's process still runs and a fresh
// connection gets a Pong (anyHostile's check, for a host already learnt).
func (h *anyHost) stillServing() {
	e := h.e
	if h.A != nil {
		select {
		case <-h.A.Exited():
			e.Failf("the host %s after hostile input", h.A.ExitDescription())
		default:
		}
	}
	c, _ := h.dial()
	e.NoErr(c.Send(&wire.PingPacket{Name: h.pingName()}), "Ping")
	_, err := c.ExpectType(e.within(10*time.Second), wire.Pong)
	e.NoErr(err, "a fresh connection is served after hostile input")
}
