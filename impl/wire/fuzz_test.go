package wire_test

import (
	"bytes"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

var fuzzLimits = wire.Limits{MaxFrameSize: 1 << 16, Values: qds.Limits{MaxDepth: 32, MaxElements: 1 << 12, MaxBytes: 1 << 14}}

func seedFrames(f *testing.F) {
	vs, err := golden.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range golden.Frames(vs) {
		f.Add(v.Bytes, uint8(v.Dialect))
	}
	for _, d := range wire.Dialects {
		types := qds.NewTypes(d.Types())
		types.Register("P", &qds.GadgetCodec{Names: []string{"x"}})
		for _, p := range samplePackets() {
			b, err := wire.Marshal(d, types, p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, uint8(d))
		}
	}
}

// FuzzReader feeds arbitrary streams to the frame reader and packet decoder.
// Every packet that decodes must re-encode to a frame that decodes the same.
func FuzzReader(f *testing.F) {
	seedFrames(f)
	f.Fuzz(func(t *testing.T, in []byte, dialect uint8) {
		d := wire.Dialect(dialect%2 + 5)
		types := qds.NewTypes(d.Types())
		r := wire.NewReader(bytes.NewReader(in), d, types, fuzzLimits)
		for i := 0; i < 64; i++ {
			p, err := r.ReadPacket()
			if err != nil {
				return
			}
			out, err := wire.Marshal(d, types, p)
			if err != nil {
				t.Fatalf("decoded %s but cannot encode: %v", wire.Describe(p), err)
			}
			r2 := wire.NewReader(bytes.NewReader(out), d, types, fuzzLimits)
			p2, err := r2.ReadPacket()
			if err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", wire.Describe(p), err)
			}
			if wire.Describe(p2) != wire.Describe(p) {
				t.Fatalf("round trip changed\n%s\ninto\n%s", wire.Describe(p), wire.Describe(p2))
			}
		}
	})
}

// FuzzPacketBody decodes an arbitrary body as each packet type.
func FuzzPacketBody(f *testing.F) {
	vs, err := golden.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range golden.Frames(vs) {
		if len(v.Bytes) > 6 {
			typ := uint16(v.Bytes[4])<<8 | uint16(v.Bytes[5])
			if v.Dialect == wire.Qt6 {
				typ = uint16(v.Bytes[5])<<8 | uint16(v.Bytes[4])
			}
			f.Add(v.Bytes[6:], typ, uint8(v.Dialect))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, typ uint16, dialect uint8) {
		d := wire.Dialect(dialect%2 + 5)
		types := qds.NewTypes(d.Types())
		p, err := wire.Decode(d, types, fuzzLimits.Values, wire.Frame{Type: wire.PacketType(typ % 13), Body: body})
		if err != nil {
			return
		}
		if _, err := wire.Marshal(d, types, p); err != nil {
			t.Fatalf("decoded %s but cannot encode: %v", wire.Describe(p), err)
		}
	})
}

// FuzzClassDef decodes arbitrary bytes as a class definition (the nested
// QRO_ blob, or an InitDynamicPacket's middle).
func FuzzClassDef(f *testing.F) {
	for _, p := range samplePackets() {
		if id, ok := p.(*wire.InitDynamic); ok {
			for _, d := range wire.Dialects {
				b, err := wire.EncodeDefinition(d, nil, &id.Class)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b, uint8(d))
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, dialect uint8) {
		d := wire.Dialect(dialect%2 + 5)
		ch := wire.ChildObject{Definition: in}
		def, ok, err := ch.ParseDefinition(d, nil, fuzzLimits.Values)
		if err != nil || !ok {
			return
		}
		if _, err := wire.EncodeDefinition(d, nil, &def); err != nil {
			t.Fatal(err)
		}
	})
}
