package wire

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// readAll reads r with reads of the given sizes, cycling.
func readAll(r io.Reader, sizes []int) ([]byte, error) {
	var out []byte
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestBufReaderContent(t *testing.T) {
	data := make([]byte, 100_000)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	sources := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"onebyte":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"dataerr":  func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"timeout1": func() io.Reader { return iotest.TimeoutReader(bytes.NewReader(data)) },
	}
	reads := map[string][]int{
		"headers": {4, 2, 50},
		"tiny":    {1},
		"large":   {ReadBufferSize * 2},
		"mixed":   {4, 2, 700, 13, ReadBufferSize, 3},
	}
	for sn, src := range sources {
		for rn, sizes := range reads {
			t.Run(sn+"/"+rn, func(t *testing.T) {
				b := NewBufReader(src())
				got, err := readAll(b, sizes)
				if sn == "timeout1" {
					// The second read times out; what came before is intact
					// and the error is reported, then reading resumes.
					if !errors.Is(err, iotest.ErrTimeout) {
						t.Fatalf("got %v, want the timeout", err)
					}
					rest, err := readAll(b, sizes)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, rest...)
				} else if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("read %d bytes, want %d; equal prefix: %v", len(got), len(data), bytes.HasPrefix(data, got))
				}
				if b.BufferSize() > ReadBufferSize {
					t.Errorf("buffer grew to %d > %d", b.BufferSize(), ReadBufferSize)
				}
			})
		}
	}
}

// The buffer starts small and only grows while reads fill it.
func TestBufReaderGrowth(t *testing.T) {
	small := NewBufReader(bytes.NewReader(make([]byte, 100)))
	if _, err := small.Read(make([]byte, 6)); err != nil {
		t.Fatal(err)
	}
	if got := small.BufferSize(); got != minReadBuffer {
		t.Errorf("after a 100-byte stream the buffer is %d, want %d", got, minReadBuffer)
	}
	busy := NewBufReader(bytes.NewReader(make([]byte, 1<<20)))
	if _, err := readAll(busy, []int{6, 40}); err != nil {
		t.Fatal(err)
	}
	if got := busy.BufferSize(); got != ReadBufferSize {
		t.Errorf("after a 1 MiB stream the buffer is %d, want %d", got, ReadBufferSize)
	}
}

func TestBufReaderPeek(t *testing.T) {
	data := []byte("0123456789abcdefghij")
	b := NewBufReader(iotest.OneByteReader(bytes.NewReader(data)))
	p, err := b.Peek(6)
	if err != nil || string(p) != "012345" {
		t.Fatalf("Peek(6) = %q, %v", p, err)
	}
	got, err := readAll(b, []int{3})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after Peek, read %q, %v", got, err)
	}
	big := bytes.Repeat([]byte{7}, 3000)
	b = NewBufReader(iotest.HalfReader(bytes.NewReader(big)))
	if p, err := b.Peek(2000); err != nil || len(p) != 2000 {
		t.Fatalf("Peek(2000) = %d bytes, %v", len(p), err)
	}
	if _, err := b.Peek(ReadBufferSize + 1); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("Peek beyond the maximum: %v", err)
	}
	short := NewBufReader(bytes.NewReader([]byte("abc")))
	if p, err := short.Peek(6); err != io.EOF || string(p) != "abc" {
		t.Errorf("Peek past the end = %q, %v; want \"abc\", EOF", p, err)
	}
}
