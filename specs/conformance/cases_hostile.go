package conformance

import (
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Hostile input to a host: whatever one connection sends, the host must
// keep serving others (and not crash).

// stillServing checks the host answers a fresh connection, and that its
// adapter process is alive.
func (e *Env) stillServing(a *adapter.Adapter, url string) {
	if a != nil {
		select {
		case <-a.Exited():
			e.Failf("the host %s after hostile input", a.ExitDescription())
		default:
		}
	}
	c := e.Dial(url)
	e.greeting(c)
	e.acquireRaw(c, TestObjectName, false)
	e.NoErr(c.Send(&wire.PingPacket{Name: "alive"}), "Ping")
	_, err := c.ExpectType(e.within(10*time.Second), wire.Pong)
	e.NoErr(err, "a fresh connection is served after hostile input")
}

// hostile sends raw bytes on one connection of a test-object host, then
// checks a second connection still works.
func hostile(e *Env, build func(d wire.Dialect) []byte) *wirepeer.Conn {
	a, url := e.Host(Options{})
	bad := e.Dial(url)
	e.greeting(bad)
	e.acquireRaw(bad, TestObjectName, false)
	e.NoErr(bad.SendRaw(build(e.D)), "sending hostile bytes")
	time.Sleep(200 * time.Millisecond)
	e.stillServing(a, url)
	return bad
}

var _ = ginkgo.Describe("Hostile input (host)", func() {
	Case("HI-1", func(e *Env) { hostile(e, func(d wire.Dialect) []byte { return hugeFrame(d) }) })
	Case("HI-2", func(e *Env) {
		hostile(e, func(d wire.Dialect) []byte { return shortFrame(d, TestObjectName) })
	})
	Case("HI-3", func(e *Env) {
		_, c, _ := e.connectHost(Options{})
		e.acquireRaw(c, TestObjectName, false)
		frames := append(wirepeer.Frame(e.D, 77, []byte{1, 2, 3, 4}), mustFrame(e.D, &wire.PingPacket{Name: "after-unknown"})...)
		e.NoErr(c.SendRaw(frames), "unknown packet type 77 then Ping")
		p, err := c.Expect(e.within(2*time.Second), func(p wire.Packet) bool { return p.Type() == wire.Pong })
		switch {
		case err == nil && p.ObjectName() == "after-unknown":
			e.Observe("skipped the unknown packet by its length and answered the following Ping")
		case err == nil:
			e.Observe("answered %s after the unknown packet (stream out of step)", wire.Describe(p))
		default:
			e.Observe("no Pong after an unknown packet type (the stream desynchronised or the connection closed: %v)", err)
		}
	})
	Case("HI-4", func(e *Env) {
		hostile(e, func(d wire.Dialect) []byte {
			return nestedInvoke(d, TestObjectName, int32(TestClass(d, "TestObject").MethodIndex("echoVariant")))
		})
	})
	Case("HI-5", func(e *Env) {
		hostile(e, func(d wire.Dialect) []byte {
			return unknownTypeInvoke(d, TestObjectName, int32(TestClass(d, "TestObject").MethodIndex("echoVariant")))
		})
	})
})

// The hostile frames, shared by the test-object and the object-agnostic
// forms of HI-1, HI-2, HI-4 and HI-5.

// hugeFrame announces a 4 GiB Ping and sends 1 KiB of it.
func hugeFrame(d wire.Dialect) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.U32(0xFFFFFFFF)
	enc.U16(uint16(wire.Ping))
	enc.Raw(make([]byte, 1024))
	return enc.Bytes()
}

// shortFrame is a Ping of name whose size covers only part of the name.
func shortFrame(d wire.Dialect, name string) []byte {
	full := wirepeer.Frame(d, uint16(wire.Ping), qstring(d, name))
	cut := len(name)
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.U32(uint32(len(full) - 4 - cut))
	return append(enc.Bytes(), full[4:len(full)-cut]...)
}

// nestedInvoke calls method of name with a QVariantList nested 5000 deep.
func nestedInvoke(d wire.Dialect, name string, method int32) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(name)
	enc.I32(wire.CallInvokeMethod)
	enc.I32(method)
	enc.U32(1)
	const depth = 5000
	for i := 0; i < depth; i++ {
		enc.U32(uint32(qds.QVariantList))
		enc.U8(0)
		enc.U32(1)
	}
	enc.U32(uint32(qds.Int))
	enc.U8(0)
	enc.I32(1)
	enc.I32(7)
	enc.I32(-1)
	return wirepeer.Frame(d, uint16(wire.InvokePacket), enc.Bytes())
}

// unknownTypeInvoke calls method of name with a user type nobody registered.
func unknownTypeInvoke(d wire.Dialect, name string, method int32) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(name)
	enc.I32(wire.CallInvokeMethod)
	enc.I32(method)
	enc.U32(1)
	enc.U32(d.Stream().UserTypeID())
	enc.U8(0)
	enc.CString("NoSuchType::Anywhere")
	enc.Raw([]byte{1, 2, 3, 4})
	enc.I32(3)
	enc.I32(-1)
	return wirepeer.Frame(d, uint16(wire.InvokePacket), enc.Bytes())
}

func qstring(d wire.Dialect, s string) []byte {
	enc := qds.NewEncoder(nil, d.Stream(), nil)
	enc.QString(s)
	return enc.Bytes()
}

func mustFrame(d wire.Dialect, p wire.Packet) []byte {
	b, err := wire.Marshal(d, nil, p)
	if err != nil {
		panic(err)
	}
	return b
}
