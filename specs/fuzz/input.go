package fuzz

import (
	"encoding/binary"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Input is what one fuzz connection sends after the host's greeting: its
// chunks are written in order, each in one write.
type Input struct {
	// Kind names the mutator that made it ("registry-noargs",
	// "wrong-args", "deep-nesting", ...); crashes are grouped by it.
	Kind string `json:"kind"`
	// Note says what the input is, for people ("add(int,int) with 0 args").
	Note string `json:"note"`
	// Chunks are the bytes sent, one write each.
	Chunks [][]byte `json:"-"`
	// regen rebuilds the input at a smaller scale (0 < s <= 1), for the
	// minimiser: a nesting depth or a count scaled down. Nil when the
	// input has no such knob.
	regen func(scale float64) Input
}

// Size is the number of bytes the input sends.
func (in Input) Size() int {
	n := 0
	for _, c := range in.Chunks {
		n += len(c)
	}
	return n
}

// frame builds a frame of dialect d with an arbitrary type and body.
func frame(d wire.Dialect, typ uint16, body []byte) []byte {
	e := qds.NewEncoder(make([]byte, 0, len(body)+6), d.Stream(), nil)
	e.U32(uint32(len(body) + 2))
	e.U16(typ)
	e.Raw(body)
	return e.Bytes()
}

// byteOrder is the dialect's integer byte order on the wire (Qt 5 frames
// are big-endian, Qt 6 little-endian).
func byteOrder(d wire.Dialect) binary.ByteOrder {
	if d.Stream().LittleEndian {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// splitFrames cuts b into the frames its size fields announce; the rest
// (a truncated or oversized last frame) is returned as one piece.
func splitFrames(d wire.Dialect, b []byte) [][]byte {
	bo := byteOrder(d)
	var out [][]byte
	for len(b) >= 6 {
		n := int64(bo.Uint32(b))
		if n < 2 || n+4 > int64(len(b)) {
			break
		}
		out = append(out, b[:n+4])
		b = b[n+4:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// wellFormed reports whether f is exactly one frame by its size field.
func wellFormed(d wire.Dialect, f []byte) bool {
	return len(f) >= 6 && int64(byteOrder(d).Uint32(f))+4 == int64(len(f))
}

// fixSize rewrites a frame's size field after its body changed.
func fixSize(d wire.Dialect, f []byte) []byte {
	if len(f) >= 4 {
		byteOrder(d).PutUint32(f, uint32(len(f)-4))
	}
	return f
}
