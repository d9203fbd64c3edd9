package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/qtro/qtro/impl/qds"
)

// Limits bounds what a Reader accepts. Zero fields take the defaults.
type Limits struct {
	// MaxFrameSize bounds a frame's size field (default 16 MiB). Qt has no
	// limit; a frame over it is a protocol error here.
	MaxFrameSize int
	// Values bounds the QDataStream values inside packets.
	Values qds.Limits
	// Budget, when set, bounds the frame bodies being read by every Reader
	// that shares it (a host's connections): growing a body past it fails
	// the read with ErrMemoryBudget, so many large partial frames cannot
	// exhaust memory together.
	Budget *Budget
}

// Budget is a byte budget shared by Readers (Limits.Budget).
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Used returns the bytes currently reserved.
func (b *Budget) Used() int64 { return b.used.Load() }

func (b *Budget) reserve(n int64) bool {
	if b.used.Add(n) > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *Budget) release(n int64) { b.used.Add(-n) }

// ErrMemoryBudget means a frame body would have grown past Limits.Budget.
var ErrMemoryBudget = errors.New("memory budget for frames exhausted")

// maxRetainedBuf is the largest body buffer a Reader keeps between frames:
// a connection that sent one large frame does not hold it for its lifetime,
// while a stream of payloads up to a read chunk reuses one buffer.
const maxRetainedBuf = 256 << 10

// DefaultMaxFrameSize is the default Limits.MaxFrameSize, chosen from
// measurements (TestDefaultFrameLimit): the largest frame real Qt 5.15 to
// 6.11 sends in our captures is under 1 KiB, while the registry's table
// grows with the mesh by about 61 bytes a source and is sent whole (6.1 MB
// for 100,000 sources). 16 MiB takes a table of about 275,000 sources, and
// a property value (an image, a blob) of several MiB, which Qt sends
// without a limit of its own; a host that expects neither can lower it.
const DefaultMaxFrameSize = 16 << 20

func (l Limits) withDefaults() Limits {
	if l.MaxFrameSize <= 0 {
		l.MaxFrameSize = DefaultMaxFrameSize
	}
	return l
}

// ReadBufferSize is the most a Reader buffers in front of its stream (its
// BufReader starts at 512 bytes and grows to this while reads fill it). It
// is small on purpose: a host with 10,000 connections holds 10,000 of them,
// and frames larger than it are read straight into the frame buffer.
const ReadBufferSize = 8 << 10

// headerSize is the size field plus the type field.
const headerSize = 6

// AppendPacket encodes p as one frame (size, type, body) at the end of e's
// output. e must be in the stream format of the connection's dialect
// (Dialect.Stream), which is all the dialect changes in a packet's bytes.
func AppendPacket(e *qds.Encoder, p Packet) {
	at := e.Len()
	e.U32(0)
	e.U16(uint16(p.Type()))
	p.encode(e)
	e.PutU32At(at, uint32(e.Len()-at-4))
}

// Marshal returns p as one frame. types resolves user types in values (nil:
// the dialect's built-in registry).
func Marshal(d Dialect, types *qds.Types, p Packet) ([]byte, error) {
	if types == nil {
		types = d.Types()
	}
	e := qds.NewEncoder(nil, d.Stream(), types)
	AppendPacket(e, p)
	if err := e.Err(); err != nil {
		return nil, &ProtocolError{Code: ProtocolMismatch, Packet: p.Type(), Err: err}
	}
	return e.Bytes(), nil
}

// Frame is one undecoded frame. Body aliases the Reader's buffer and is valid
// only until the next read.
type Frame struct {
	Type   PacketType
	Body   []byte
	Offset int64 // stream offset of the size field
}

// Decode decodes a frame's body into a new packet. An unknown packet type
// yields an *UnknownPacket, not an error.
func Decode(d Dialect, types *qds.Types, lim qds.Limits, f Frame) (Packet, error) {
	if types == nil {
		types = d.Types()
	}
	dec := qds.NewDecoder(f.Body, d.Stream(), types, lim)
	p := newPacket(f.Type)
	return p, decodeInto(dec, p, f)
}

func decodeInto(dec *qds.Decoder, p Packet, f Frame) error {
	dec.Reset(f.Body, headerSize)
	p.decode(dec)
	err := dec.Err()
	if err == nil && dec.Len() != 0 {
		err = fmt.Errorf("%w: %d bytes at frame offset %d", ErrTrailingBytes, dec.Len(), dec.Offset())
	}
	if err != nil {
		return &ProtocolError{Code: ProtocolMismatch, Packet: f.Type, Offset: f.Offset, Err: err}
	}
	return nil
}

// peekReader is a buffered stream: a *BufReader or a *bufio.Reader.
type peekReader interface {
	io.Reader
	Peek(n int) ([]byte, error)
}

// Reader reads frames and packets from a byte stream. It never reads past
// the frame it returns and never allocates more than the frame it has
// actually received, whatever the size field claims.
type Reader struct {
	br      peekReader
	d       Dialect
	lim     Limits
	buf     []byte
	held    int64 // bytes of buf reserved from lim.Budget
	off     int64
	dec     *qds.Decoder
	packets [Pong + 1]Packet
	unknown UnknownPacket
	hdr     [headerSize]byte // a field, not a local: a local escapes via io.ReadFull
}

// NewReader returns a Reader of dialect d. types resolves user types (nil:
// the dialect's built-in registry); a connection normally passes a child
// registry so gadgets learnt from class definitions stay per connection.
func NewReader(r io.Reader, d Dialect, types *qds.Types, lim Limits) *Reader {
	if types == nil {
		types = d.Types()
	}
	lim = lim.withDefaults()
	br, ok := r.(peekReader)
	if !ok {
		br = NewBufReader(r)
	}
	return &Reader{br: br, d: d, lim: lim, dec: qds.NewDecoder(nil, d.Stream(), types, lim.Values)}
}

// Dialect returns the dialect frames are read in.
func (r *Reader) Dialect() Dialect { return r.d }

// SetDialect switches the dialect, e.g. after DetectDialect on Peek.
func (r *Reader) SetDialect(d Dialect) {
	r.d = d
	r.dec.SetFormat(d.Stream())
}

// Types returns the user-type registry the reader decodes with.
func (r *Reader) Types() *qds.Types { return r.dec.Types() }

// Peek returns the next n buffered bytes without consuming them, waiting
// for them to arrive (used to detect the dialect from a host's first bytes).
func (r *Reader) Peek(n int) ([]byte, error) { return r.br.Peek(n) }

// Offset returns the stream offset of the next frame.
func (r *Reader) Offset() int64 { return r.off }

// ReadFrame reads the next frame. It returns io.EOF only at a frame
// boundary; a stream cut inside a frame gives io.ErrUnexpectedEOF.
func (r *Reader) ReadFrame() (Frame, error) {
	if cap(r.buf) > maxRetainedBuf {
		r.dropBuf() // the previous frame is no longer used (ReadPacket's contract)
	}
	hdr := r.hdr[:]
	if _, err := io.ReadFull(r.br, hdr[:4]); err != nil {
		return Frame{}, err
	}
	var size uint32
	if r.d == Qt6 {
		size = binary.LittleEndian.Uint32(hdr[:4])
	} else {
		size = binary.BigEndian.Uint32(hdr[:4])
	}
	f := Frame{Offset: r.off}
	if size < 2 {
		return f, &ProtocolError{Code: ProtocolMismatch, Offset: r.off, Err: fmt.Errorf("%w: size %d", ErrFrameTooSmall, size)}
	}
	if int64(size) > int64(r.lim.MaxFrameSize) {
		return f, &ProtocolError{Code: ProtocolMismatch, Offset: r.off, Err: fmt.Errorf("%w: size %d > %d", ErrFrameTooLarge, size, r.lim.MaxFrameSize)}
	}
	if _, err := io.ReadFull(r.br, hdr[4:6]); err != nil {
		return f, unexpected(err)
	}
	if r.d == Qt6 {
		f.Type = PacketType(binary.LittleEndian.Uint16(hdr[4:]))
	} else {
		f.Type = PacketType(binary.BigEndian.Uint16(hdr[4:]))
	}
	body, err := r.readBody(int(size) - 2)
	if err != nil {
		return f, unexpected(err)
	}
	f.Body = body
	r.off += 4 + int64(size)
	return f, nil
}

// readBody reads n bytes into the reusable buffer, growing it only as data
// arrives, so a huge size field with no data behind it costs nothing.
func (r *Reader) readBody(n int) ([]byte, error) {
	if n <= cap(r.buf) {
		r.buf = r.buf[:n]
		_, err := io.ReadFull(r.br, r.buf)
		return r.buf, err
	}
	const chunk = 256 << 10
	r.buf = r.buf[:0]
	for len(r.buf) < n {
		step := min(n-len(r.buf), max(chunk, len(r.buf)))
		if cap(r.buf)-len(r.buf) < step {
			if b := r.lim.Budget; b != nil {
				grow := int64(len(r.buf)+step) - r.held
				if grow > 0 {
					if !b.reserve(grow) {
						return nil, fmt.Errorf("%w: %d bytes in use, a frame of %d asked for %d more", ErrMemoryBudget, b.Used(), n, grow)
					}
					r.held += grow
				}
			}
			nb := make([]byte, len(r.buf), len(r.buf)+step)
			copy(nb, r.buf)
			r.buf = nb
		}
		m, err := io.ReadFull(r.br, r.buf[len(r.buf):len(r.buf)+step])
		r.buf = r.buf[:len(r.buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return r.buf, nil
}

// dropBuf lets the body buffer go and returns its reservation.
func (r *Reader) dropBuf() {
	r.buf = nil
	if r.lim.Budget != nil && r.held > 0 {
		r.lim.Budget.release(r.held)
	}
	r.held = 0
}

// Held returns the bytes of body buffer the Reader holds now.
func (r *Reader) Held() int { return cap(r.buf) }

// Release frees what the Reader holds (its body buffer and its share of
// Limits.Budget); call it when the stream is done. The Reader stays usable.
func (r *Reader) Release() { r.dropBuf() }

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ReadPacket reads and decodes the next packet. The packet (and its slices)
// is reused by the next ReadPacket call: copy what must outlive it. Unknown
// packet types are skipped by length and returned as *UnknownPacket.
func (r *Reader) ReadPacket() (Packet, error) {
	f, err := r.ReadFrame()
	if err != nil {
		return nil, err
	}
	var p Packet
	if f.Type.Known() {
		if p = r.packets[f.Type]; p == nil {
			p = newPacket(f.Type)
			r.packets[f.Type] = p
		}
	} else {
		r.unknown.PacketType = f.Type
		p = &r.unknown
	}
	if err := decodeInto(r.dec, p, f); err != nil {
		return nil, err
	}
	return p, nil
}

// Writer encodes packets into a buffer and writes them in one go on Flush,
// so a burst of packets costs one write system call.
type Writer struct {
	w   io.Writer
	d   Dialect
	enc *qds.Encoder
}

// NewWriter returns a Writer of dialect d; types resolves user types (nil:
// the dialect's built-in registry).
func NewWriter(w io.Writer, d Dialect, types *qds.Types) *Writer {
	if types == nil {
		types = d.Types()
	}
	return &Writer{w: w, d: d, enc: qds.NewEncoder(make([]byte, 0, 4096), d.Stream(), types)}
}

// Dialect returns the writer's dialect.
func (w *Writer) Dialect() Dialect { return w.d }

// WritePacket appends p to the buffer. On an encoding error the buffer is
// left as it was before the call.
func (w *Writer) WritePacket(p Packet) error {
	at := w.enc.Len()
	AppendPacket(w.enc, p)
	if err := w.enc.Err(); err != nil {
		w.enc.Reset(w.enc.Bytes()[:at])
		return &ProtocolError{Code: ProtocolMismatch, Packet: p.Type(), Err: err}
	}
	return nil
}

// WriteRaw appends bytes that are already framed (e.g. a frame encoded once
// and sent to many connections).
func (w *Writer) WriteRaw(frame []byte) { w.enc.Raw(frame) }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return w.enc.Len() }

// Flush writes everything buffered.
func (w *Writer) Flush() error {
	b := w.enc.Bytes()
	if len(b) == 0 {
		return nil
	}
	_, err := w.w.Write(b)
	if cap(b) > 1<<20 {
		b = make([]byte, 0, 4096) // don't pin a burst's buffer forever
	}
	w.enc.Reset(b[:0])
	return err
}
