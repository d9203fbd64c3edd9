package fuzz

import (
	"bytes"
	"testing"

	"github.com/qtro/qtro/impl/wire"
)

// A fake target that "crashes" when one connection sends the pattern.
func patternOracle(pattern []byte, calls *int) Oracle {
	return func(seq []Input) bool {
		*calls++
		for _, in := range seq {
			if bytes.Contains(bytes.Join(in.Chunks, nil), pattern) {
				return true
			}
		}
		return false
	}
}

func TestMinimizeBytes(t *testing.T) {
	d := wire.Qt6
	g := NewGenerator(Model{Dialect: d}, 1, nil)
	// Garbage around the pattern, in a frame whose size field is kept right.
	body := append(append(g.randBytes(300), 0xde, 0xad, 0xbe, 0xef), g.randBytes(200)...)
	in := Input{Kind: "t", Chunks: [][]byte{append(frame(d, 77, body), g.randBytes(50)...)}}
	calls := 0
	out := Minimize(d, []Input{in}, patternOracle([]byte{0xde, 0xad, 0xbe, 0xef}, &calls), 500)
	if calls > 500 {
		t.Errorf("%d oracle calls, budget 500", calls)
	}
	got := bytes.Join(out[0].Chunks, nil)
	if !bytes.Contains(got, []byte{0xde, 0xad, 0xbe, 0xef}) {
		t.Fatalf("minimised input lost the crash: %x", got)
	}
	if len(got) > 6+4 {
		t.Errorf("minimised to %d bytes (%x), want the 6-byte header and the 4-byte pattern", len(got), got)
	}
	if !wellFormed(d, got) {
		t.Errorf("the minimised frame's size field is wrong: %x", got)
	}
}

func TestMinimizeSequenceAndBudget(t *testing.T) {
	d := wire.Qt5
	g := NewGenerator(Model{Dialect: d}, 2, nil)
	var seq []Input
	for i := 0; i < 8; i++ {
		seq = append(seq, Input{Kind: "t", Chunks: [][]byte{frame(d, 10, g.randBytes(40))}})
	}
	seq[5].Chunks = append(seq[5].Chunks, frame(d, 6, []byte("CRASH")))
	calls := 0
	out := Minimize(d, seq, patternOracle([]byte("CRASH"), &calls), 1000)
	if len(out) != 1 || len(out[0].Chunks) != 1 || !bytes.Equal(out[0].Chunks[0], frame(d, 6, []byte("CRASH"))) {
		t.Errorf("minimised to %d connections: %+v", len(out), out)
	}
	calls = 0
	out = Minimize(d, seq, patternOracle([]byte("CRASH"), &calls), 3)
	if calls > 3 || len(out) == 0 {
		t.Errorf("budget 3: %d calls", calls)
	}
}

func TestMinimizeScale(t *testing.T) {
	d := wire.Qt6
	g := NewGenerator(Model{Dialect: d}, 1, nil)
	in := g.deep(Object{Name: "TestObject"}, 0, 100000, false)
	// "Crashes" from 21,000 levels on, like Qt 6.4's stack.
	oracle := func(seq []Input) bool { return seq[0].Size() >= 21000*9 }
	out := Minimize(d, []Input{in}, oracle, 30)
	levels := out[0].Size() / 9
	if levels < 21000 || levels > 22000 {
		t.Errorf("minimised to about %d levels, want just over 21,000 (%s)", levels, out[0].Note)
	}
}

// A frame that decodes stays decodable while it shrinks.
func TestMinimizeKeepsDecodable(t *testing.T) {
	d := wire.Qt6
	g := NewGenerator(Model{Dialect: d}, 1, nil)
	f := g.invoke("Registry", 0, 0, 0, nil, 1, -1)
	calls := 0
	out := Minimize(d, []Input{{Kind: "t", Chunks: [][]byte{f}}}, func(seq []Input) bool {
		calls++
		return bytes.HasPrefix(seq[0].Chunks[0][4:], []byte{6, 0})
	}, 200)
	if !decodes(d, out[0].Chunks[0]) {
		t.Errorf("minimised frame no longer decodes: %x", out[0].Chunks[0])
	}
}
