package wire_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// loopReader replays one buffer forever.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

func benchPackets() map[string]wire.Packet {
	return map[string]wire.Packet{
		"PropertyChange": &wire.PropertyChangePacket{Name: "Tick", Index: 0, Value: qds.IntOf(123456)},
		"Invoke":         &wire.Invoke{Name: "Tick", Index: 1, Args: []qds.Variant{qds.LongLongOf(1 << 40), qds.LongLongOf(1 << 50)}, Serial: -1, PropertyIndex: -1},
	}
}

func BenchmarkEncode(b *testing.B) {
	for name, p := range benchPackets() {
		for _, d := range wire.Dialects {
			b.Run(name+"/"+d.String(), func(b *testing.B) {
				w := wire.NewWriter(io.Discard, d, nil)
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if err := w.WritePacket(p); err != nil {
						b.Fatal(err)
					}
					if w.Buffered() > 32<<10 {
						_ = w.Flush()
					}
				}
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for name, p := range benchPackets() {
		for _, d := range wire.Dialects {
			b.Run(name+"/"+d.String(), func(b *testing.B) {
				var buf bytes.Buffer
				w := wire.NewWriter(&buf, d, nil)
				for i := 0; i < 256; i++ {
					_ = w.WritePacket(p)
				}
				_ = w.Flush()
				r := wire.NewReader(&loopReader{b: buf.Bytes()}, d, nil, wire.Limits{})
				b.SetBytes(int64(buf.Len() / 256))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := r.ReadPacket(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
