package wire_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func mustMarshal(t testing.TB, d wire.Dialect, p wire.Packet) []byte {
	t.Helper()
	b, err := wire.Marshal(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandshakeBytes(t *testing.T) {
	// The exact frames from the protocol notes §4.1.
	want := map[wire.Dialect]string{
		wire.Qt5: "000000160001000000100051007400520" + "04f00200031002e0033",
		wire.Qt6: "160000000100100000005100740052004f00200032002e003000",
	}
	for _, d := range wire.Dialects {
		b := mustMarshal(t, d, &wire.HandshakePacket{Version: d.ProtocolVersion()})
		if got := hexOf(b); got != want[d] {
			t.Errorf("%v: %s want %s", d, got, want[d])
		}
		if dd, ok := wire.DetectDialect(b); !ok || dd != d {
			t.Errorf("%v: detected %v %v", d, dd, ok)
		}
	}
	if _, ok := wire.DetectDialect([]byte("GET / HTTP/1.1")); ok {
		t.Error("detected a dialect in HTTP")
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&15])
	}
	return string(out)
}

func samplePackets() []wire.Packet {
	return []wire.Packet{
		&wire.HandshakePacket{Version: "QtRO 2.0"},
		&wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "A", TypeName: qds.Str("T"), Signature: []byte("abc")}, {Name: "B"}}},
		&wire.AddObjectPacket{Name: "A", Dynamic: true},
		&wire.RemoveObjectPacket{Name: "A"},
		&wire.Init{Name: "A", Values: []qds.Variant{qds.IntOf(1), qds.StringOf("x")}},
		&wire.InitDynamic{Name: "A", Class: wire.ClassDef{
			TypeName:   qds.Str("A"),
			Enums:      []wire.EnumDef{{Name: "E", Size: 4, Keys: []wire.EnumKey{{Name: "X", Value: 1}}}},
			Gadgets:    []wire.GadgetDef{{Name: "P", Properties: []wire.GadgetProperty{{Name: "x", Type: "int"}}}},
			Signals:    []wire.SignalDef{{Signature: "vChanged(int)", ParamNames: []string{"v"}}},
			Methods:    []wire.MethodDef{{Signature: "f(int)", ReturnType: "int", ParamNames: []string{"a"}}},
			Properties: []wire.PropertyDef{{Name: "v", Type: "int", Notify: "vChanged(int)"}, {Name: "p", Type: "P"}},
		}, Values: []qds.Variant{qds.IntOf(1), qds.UserOf("P", qds.Gadget{Names: []string{"x"}, Fields: []qds.Variant{qds.IntOf(2)}})}},
		&wire.Invoke{Name: "A", Call: wire.CallInvokeMethod, Index: 3, Args: []qds.Variant{qds.IntOf(2), qds.IntOf(3)}, Serial: 1, PropertyIndex: -1},
		&wire.InvokeReply{Name: "A", Serial: 1, Value: qds.IntOf(5)},
		&wire.PropertyChangePacket{Name: "A", Index: 0, Value: qds.IntOf(42)},
		&wire.PingPacket{Name: "A"},
		&wire.PongPacket{Name: "A"},
		&wire.InvalidPacket{Name: "A"},
	}
}

func TestPacketRoundTrip(t *testing.T) {
	for _, d := range wire.Dialects {
		var stream bytes.Buffer
		// The host side knows its own gadget types.
		hostTypes := qds.NewTypes(d.Types())
		hostTypes.Register("P", &qds.GadgetCodec{Names: []string{"x"}})
		w := wire.NewWriter(&stream, d, hostTypes)
		for _, p := range samplePackets() {
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r := wire.NewReader(&stream, d, qds.NewTypes(d.Types()), wire.Limits{})
		for _, want := range samplePackets() {
			got, err := r.ReadPacket()
			if err != nil {
				t.Fatalf("%v %v: %v", d, want.Type(), err)
			}
			if wire.Describe(got) != wire.Describe(want) {
				t.Errorf("%v: got %s\nwant %s", d, wire.Describe(got), wire.Describe(want))
			}
		}
		if _, err := r.ReadPacket(); err != io.EOF {
			t.Errorf("%v: after last frame: %v, want io.EOF", d, err)
		}
	}
}

func frame(d wire.Dialect, typ uint16, body []byte) []byte {
	e := qds.NewEncoder(nil, d.Stream(), nil)
	e.U32(uint32(len(body) + 2))
	e.U16(typ)
	e.Raw(body)
	return e.Bytes()
}

func qstring(d wire.Dialect, s string) []byte {
	e := qds.NewEncoder(nil, d.Stream(), nil)
	e.QString(s)
	return e.Bytes()
}

func TestReaderFaults(t *testing.T) {
	for _, d := range wire.Dialects {
		ping := frame(d, uint16(wire.Ping), qstring(d, "A"))
		cases := []struct {
			name string
			in   []byte
			want error
		}{
			{"size 0", frame(d, 0, nil)[:4], wire.ErrFrameTooSmall},
			{"size 1", append(frame(d, 0, nil)[:4:4], 0), wire.ErrFrameTooSmall},
			{"trailing bytes", frame(d, uint16(wire.Ping), append(qstring(d, "A"), 0xEE)), wire.ErrTrailingBytes},
			{"short body", frame(d, uint16(wire.Ping), qstring(d, "Abc")[:5]), qds.ErrTruncated},
			{"truncated frame", ping[:len(ping)-1], io.ErrUnexpectedEOF},
			{"truncated header", ping[:5], io.ErrUnexpectedEOF},
		}
		big := qds.NewEncoder(nil, d.Stream(), nil)
		big.U32(0xFFFFFFFF)
		big.U16(uint16(wire.Ping))
		cases = append(cases, struct {
			name string
			in   []byte
			want error
		}{"size 0xFFFFFFFF", big.Bytes(), wire.ErrFrameTooLarge})
		if d == wire.Qt5 {
			cases[0].in = []byte{0, 0, 0, 0}
			cases[1].in = []byte{0, 0, 0, 1, 0}
		} else {
			cases[0].in = []byte{0, 0, 0, 0}
			cases[1].in = []byte{1, 0, 0, 0, 0}
		}
		for _, tc := range cases {
			r := wire.NewReader(bytes.NewReader(tc.in), d, nil, wire.Limits{})
			_, err := r.ReadPacket()
			if !errors.Is(err, tc.want) {
				t.Errorf("%v %s: err %v, want %v", d, tc.name, err, tc.want)
			}
			var pe *wire.ProtocolError
			if tc.want != io.ErrUnexpectedEOF && (!errors.As(err, &pe) || pe.Code != wire.ProtocolMismatch) {
				t.Errorf("%v %s: %v is not a ProtocolError with ProtocolMismatch", d, tc.name, err)
			}
		}
	}
}

// Unknown packet types are skipped by their length; the next frame reads fine
// (Qt desynchronises here).
func TestUnknownTypeSkipped(t *testing.T) {
	for _, d := range wire.Dialects {
		in := append(frame(d, 77, []byte{1, 2, 3}), frame(d, uint16(wire.Ping), qstring(d, "A"))...)
		r := wire.NewReader(bytes.NewReader(in), d, nil, wire.Limits{})
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		u, ok := p.(*wire.UnknownPacket)
		if !ok || u.Type() != 77 || !bytes.Equal(u.Body, []byte{1, 2, 3}) {
			t.Fatalf("%v: got %#v", d, p)
		}
		p, err = r.ReadPacket()
		if err != nil || p.Type() != wire.Ping || p.ObjectName() != "A" {
			t.Fatalf("%v: after unknown: %v %v", d, p, err)
		}
	}
}

// A frame claiming 16 MiB with a few bytes behind it allocates what arrived,
// not what it claims.
func TestLargeClaimAllocatesOnlyWhatArrives(t *testing.T) {
	e := qds.NewEncoder(nil, wire.Qt5.Stream(), nil)
	e.U32(wire.DefaultMaxFrameSize)
	e.U16(uint16(wire.Ping))
	e.Raw(make([]byte, 100))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := wire.NewReader(bytes.NewReader(e.Bytes()), wire.Qt5, nil, wire.Limits{})
	if _, err := r.ReadPacket(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("allocated %d bytes for a 100-byte partial frame", got)
	}
}

func TestMaxFrameSizeConfigurable(t *testing.T) {
	p := mustMarshal(t, wire.Qt6, &wire.PingPacket{Name: "abcdefgh"})
	r := wire.NewReader(bytes.NewReader(p), wire.Qt6, nil, wire.Limits{MaxFrameSize: 8})
	if _, err := r.ReadPacket(); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("err %v", err)
	}
}

func TestWriterKeepsBufferOnError(t *testing.T) {
	var out bytes.Buffer
	w := wire.NewWriter(&out, wire.Qt5, nil)
	_ = w.WritePacket(&wire.PingPacket{Name: "A"})
	n := w.Buffered()
	err := w.WritePacket(&wire.PropertyChangePacket{Name: "A", Value: qds.UserOf("NoSuchType", nil)})
	if !errors.Is(err, qds.ErrUnknownUserType) {
		t.Fatalf("err %v", err)
	}
	if w.Buffered() != n {
		t.Fatalf("buffer %d after failed write, want %d", w.Buffered(), n)
	}
	if err := w.Flush(); err != nil || out.Len() != n {
		t.Fatalf("flush: %v, %d bytes", err, out.Len())
	}
}

func TestSignatureHelpers(t *testing.T) {
	if wire.SignatureName("add(int,int)") != "add" {
		t.Error("SignatureName")
	}
	got := wire.SignatureParams("f(QMap<QString,int>,QString)")
	if len(got) != 2 || got[0] != "QMap<QString,int>" || got[1] != "QString" {
		t.Errorf("SignatureParams: %q", got)
	}
	if wire.SignatureParams("reset()") != nil {
		t.Error("reset() has no params")
	}
}
