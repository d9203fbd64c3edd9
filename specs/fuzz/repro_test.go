package fuzz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

func TestReproducerRoundTrip(t *testing.T) {
	for _, d := range wire.Dialects {
		g := NewGenerator(testModel(d), 5, nil)
		big := Input{Kind: KindWrongArgs, Note: "a 5000-byte argument", Chunks: [][]byte{ // dense hex lines
			g.invoke("TestObject", 0, 0, 0, func(e *qds.Encoder) {
				e.U32(1)
				e.U32(uint32(qds.QByteArray))
				e.U8(0)
				e.ByteArray(g.randBytes(5000))
			}, 1, -1)}}
		r := &Reproducer{Dialect: d, Meta: map[string]string{"kind": "wrong-args", "note": "two\nlines"}, Conns: []Input{
			{Kind: KindWrongArgs, Note: "add with no args", Chunks: [][]byte{g.addObject("TestObject", true), g.invoke("TestObject", 0, 0, 0, nil, 1, -1)}},
			big,
		}}
		var buf bytes.Buffer
		if err := r.Write(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadReproducer(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if back.Dialect != d || back.Meta["kind"] != "wrong-args" || back.Meta["note"] != "two lines" || len(back.Conns) != 2 {
			t.Fatalf("%v: read back %+v", d, back)
		}
		for i := range r.Conns {
			if !bytes.Equal(bytes.Join(back.Conns[i].Chunks, nil), bytes.Join(r.Conns[i].Chunks, nil)) || back.Conns[i].Kind != r.Conns[i].Kind {
				t.Errorf("%v: connection %d differs", d, i)
			}
		}
		// qtro dump reads it, learns the dialect from the synthesized
		// Handshake, and decodes the packets.
		c, err := capture.Read(bytes.NewReader(buf.Bytes()), capture.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sum, err := dump.Write(&out, c, dump.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Errors != 0 || !strings.Contains(out.String(), "AddObject") || !strings.Contains(out.String(), d.ProtocolVersion()) {
			t.Errorf("%v: dump: %d errors\n%s", d, sum.Errors, out.String())
		}
	}
}

func TestReadReproducerErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no dialect": "--- new connection\nC->S x\n    00 00 00 02 00 0a\n",
		"no chunks":  "# dialect: qt5\n--- new connection\nS->C Handshake\n    00\n",
		"bad hex":    "# dialect: qt5\n--- new connection\nC->S x\n    zz\n",
	} {
		if _, err := ReadReproducer(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
