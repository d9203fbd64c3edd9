package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// frameOf is a Qt 6 Ping frame whose body is n bytes of a QString.
func bigFrame(n int) []byte {
	b := make([]byte, 6+n)
	binary.LittleEndian.PutUint32(b, uint32(2+n))
	binary.LittleEndian.PutUint16(b[4:], uint16(Ping))
	return b
}

// Readers sharing a Budget cannot together hold more than it; what one
// releases another may use; a large body is not kept after its frame.
func TestBudget(t *testing.T) {
	b := NewBudget(1 << 20)
	pr, pw := io.Pipe()
	a := NewReader(pr, Qt6, nil, Limits{Budget: b})
	done := make(chan error, 1)
	go func() { _, err := a.ReadFrame(); done <- err }()
	frame := bigFrame(800 << 10)
	if _, err := pw.Write(frame[:len(frame)-1]); err != nil { // all but the last byte: a partial frame
		t.Fatal(err)
	}
	for b.Used() < 700<<10 {
		select {
		case err := <-done:
			t.Fatalf("the partial frame ended: %v", err)
		default:
		}
	}
	c := NewReader(bytes.NewReader(bigFrame(800<<10)), Qt6, nil, Limits{Budget: b})
	if _, err := c.ReadFrame(); !errors.Is(err, ErrMemoryBudget) {
		t.Fatalf("a second 800 KiB frame under a 1 MiB budget: %v, want ErrMemoryBudget", err)
	}
	pw.CloseWithError(io.ErrClosedPipe)
	<-done
	a.Release()
	if b.Used() != 0 {
		t.Fatalf("%d bytes still reserved after Release", b.Used())
	}
	d := NewReader(bytes.NewReader(append(bigFrame(800<<10), bigFrame(10)...)), Qt6, nil, Limits{Budget: b})
	if _, err := d.ReadFrame(); err != nil {
		t.Fatalf("with the budget free again: %v", err)
	}
	if _, err := d.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if cap(d.buf) > maxRetainedBuf || b.Used() > maxRetainedBuf {
		t.Fatalf("after a small frame the reader keeps %d bytes (%d reserved), want at most %d", cap(d.buf), b.Used(), maxRetainedBuf)
	}
}
