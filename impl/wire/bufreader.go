package wire

import (
	"errors"
	"io"
)

// minReadBuffer is where a BufReader's buffer starts: enough for the
// handshake, ObjectList and a small Init, so an idle connection of a
// 10,000-replica storm holds half a kilobyte, not ReadBufferSize.
const minReadBuffer = 512

// errNegativeRead guards against an io.Reader breaking its contract.
var errNegativeRead = errors.New("wire: reader returned a negative count")

// BufReader buffers a stream like bufio.Reader, but its buffer starts at
// 512 bytes and doubles, up to a maximum (ReadBufferSize by default), each
// time a read fills it: a busy connection gets large reads (few syscalls),
// an idle one costs little memory.
type BufReader struct {
	rd   io.Reader
	buf  []byte
	r, w int
	max  int
	err  error
}

// NewBufReader returns a BufReader reading from rd that grows to ReadBufferSize.
func NewBufReader(rd io.Reader) *BufReader { return &BufReader{rd: rd, max: ReadBufferSize} }

// NewBufReaderSize returns a BufReader reading from rd that grows to size bytes.
func NewBufReaderSize(rd io.Reader, size int) *BufReader {
	return &BufReader{rd: rd, max: max(size, minReadBuffer)}
}

// Buffered returns how many bytes can be read without touching the stream.
func (b *BufReader) Buffered() int { return b.w - b.r }

// BufferSize returns the current size of the buffer.
func (b *BufReader) BufferSize() int { return len(b.buf) }

// fill reads once from the stream into the free end of the buffer, growing
// it when the previous fill used all of it.
func (b *BufReader) fill() {
	if b.r > 0 {
		copy(b.buf, b.buf[b.r:b.w])
		b.w -= b.r
		b.r = 0
	}
	switch {
	case b.buf == nil:
		b.buf = make([]byte, minReadBuffer)
	case b.w == len(b.buf) && len(b.buf) < b.max:
		nb := make([]byte, min(2*len(b.buf), b.max))
		copy(nb, b.buf[:b.w])
		b.buf = nb
	}
	if b.w == len(b.buf) {
		return // full at the maximum size: the caller consumes first
	}
	for range 100 {
		n, err := b.rd.Read(b.buf[b.w:])
		if n < 0 {
			b.err = errNegativeRead
			return
		}
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			if b.w == len(b.buf) && len(b.buf) < b.max {
				// The read filled the buffer: the peer sends faster than
				// we consume; read bigger next time.
				nb := make([]byte, min(2*len(b.buf), b.max))
				copy(nb, b.buf[b.r:b.w])
				b.w -= b.r
				b.r = 0
				b.buf = nb
			}
			return
		}
	}
	b.err = io.ErrNoProgress
}

func (b *BufReader) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// Read reads into p like bufio.Reader.Read: from the buffer if it holds
// anything, else with at most one read from the stream.
func (b *BufReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if b.Buffered() > 0 {
			return 0, nil
		}
		return 0, b.readErr()
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		if len(p) >= b.max {
			// A large read goes straight into p: no copy through the buffer.
			n, err := b.rd.Read(p)
			if n < 0 {
				return 0, errNegativeRead
			}
			return n, err
		}
		b.fill()
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// Peek returns the next n bytes without consuming them, reading until
// they are there. n is at most the maximum buffer size.
func (b *BufReader) Peek(n int) ([]byte, error) {
	if n < 0 || n > b.max {
		return nil, io.ErrShortBuffer
	}
	for b.w-b.r < n && b.err == nil {
		if len(b.buf)-b.r < n && len(b.buf) < n {
			nb := make([]byte, max(n, minReadBuffer))
			copy(nb, b.buf[b.r:b.w])
			b.w -= b.r
			b.r = 0
			b.buf = nb
		}
		b.fill()
	}
	if b.w-b.r < n {
		return b.buf[b.r:b.w], b.readErr()
	}
	return b.buf[b.r : b.r+n], nil
}
