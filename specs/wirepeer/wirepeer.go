// Package wirepeer is the conformance suite's own side of a connection: a
// raw QtRO client or server that sends exactly the packets (or bytes) a test
// asks for, reads and decodes what the peer under test sends, and records
// every byte in both directions as a transcript for the report.
//
// It deliberately does not use the reference node: conformance checks must
// not depend on the implementation they are used to validate.
package wirepeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// Chunk is bytes sent in one direction, as recorded.
type Chunk struct {
	Time     time.Time
	FromPeer bool // sent by the implementation under test
	Data     []byte
}

// Conn is one raw connection to or from the implementation under test.
type Conn struct {
	c       net.Conn
	d       wire.Dialect
	types   *qds.Types
	IsHost  bool // true when the suite plays the host side
	recv    chan frameOrErr
	started time.Time

	mu     sync.Mutex
	chunks []Chunk
	closed bool
}

type frameOrErr struct {
	p   wire.Packet
	raw []byte
	err error
}

// recorder wraps the net.Conn reads so every byte from the peer is logged.
type recorder struct{ c *Conn }

func (r recorder) Read(b []byte) (int, error) {
	n, err := r.c.c.Read(b)
	if n > 0 {
		r.c.record(true, b[:n])
	}
	return n, err
}

func newConn(c net.Conn, d wire.Dialect, isHost bool) *Conn {
	w := &Conn{c: c, d: d, types: qds.NewTypes(d.Types()), IsHost: isHost, recv: make(chan frameOrErr, 1024), started: time.Now()}
	go w.readLoop()
	return w
}

// Dial connects to a host under test at url, speaking dialect d.
func Dial(ctx context.Context, url string, d wire.Dialect) (*Conn, error) {
	return DialVia(ctx, transport.Default(), url, d)
}

// DialVia is Dial through the given schemes (e.g. transport.WithSecure for
// tls+tcp, ws and wss).
func DialVia(ctx context.Context, s *transport.Schemes, url string, d wire.Dialect) (*Conn, error) {
	c, err := s.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return newConn(c, d, false), nil
}

// Types returns the connection's user-type registry; register the PODs
// of the test object here before reading values that use them.
func (w *Conn) Types() *qds.Types { return w.types }

// Dialect returns the connection's dialect.
func (w *Conn) Dialect() wire.Dialect { return w.d }

func (w *Conn) record(fromPeer bool, b []byte) {
	w.mu.Lock()
	w.chunks = append(w.chunks, Chunk{Time: time.Now(), FromPeer: fromPeer, Data: append([]byte(nil), b...)})
	w.mu.Unlock()
}

func (w *Conn) readLoop() {
	defer close(w.recv)
	r := wire.NewReader(recorder{w}, w.d, w.types, wire.Limits{MaxFrameSize: 64 << 20})
	for {
		f, err := r.ReadFrame()
		if err != nil {
			w.recv <- frameOrErr{err: err}
			return
		}
		raw := append([]byte(nil), f.Body...)
		p, err := wire.Decode(w.d, w.types, qds.Limits{}, wire.Frame{Type: f.Type, Body: raw, Offset: f.Offset})
		w.recv <- frameOrErr{p: p, raw: raw, err: err}
		if err != nil {
			return
		}
	}
}

// Send encodes and sends packets in one write.
func (w *Conn) Send(ps ...wire.Packet) error {
	var buf bytes.Buffer
	wr := wire.NewWriter(&buf, w.d, w.types)
	for _, p := range ps {
		if err := wr.WritePacket(p); err != nil {
			return err
		}
	}
	_ = wr.Flush()
	return w.SendRaw(buf.Bytes())
}

// SendRaw sends bytes as they are (malformed frames included).
func (w *Conn) SendRaw(b []byte) error {
	w.record(false, b)
	_, err := w.c.Write(b)
	return err
}

// Frame builds a frame of dialect d with an arbitrary type and body.
func Frame(d wire.Dialect, typ uint16, body []byte) []byte {
	e := qds.NewEncoder(nil, d.Stream(), nil)
	e.U32(uint32(len(body) + 2))
	e.U16(typ)
	e.Raw(body)
	return e.Bytes()
}

// Next returns the next packet from the peer. A decoding error of the
// peer's bytes is returned as an error (the stream is then unusable).
func (w *Conn) Next(ctx context.Context) (wire.Packet, error) {
	select {
	case f, ok := <-w.recv:
		if !ok {
			return nil, io.EOF
		}
		return f.p, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Expect returns the first packet satisfying match, skipping others.
func (w *Conn) Expect(ctx context.Context, match func(wire.Packet) bool) (wire.Packet, error) {
	for {
		p, err := w.Next(ctx)
		if err != nil {
			return nil, err
		}
		if match(p) {
			return p, nil
		}
	}
}

// ExpectType returns the first packet of type t.
func (w *Conn) ExpectType(ctx context.Context, t wire.PacketType) (wire.Packet, error) {
	return w.Expect(ctx, func(p wire.Packet) bool { return p.Type() == t })
}

// ErrUnexpected reports a packet that should not have arrived.
var ErrUnexpected = errors.New("wirepeer: unexpected packet")

// ExpectNone waits for d and fails if a packet satisfying match arrives.
// It returns nil also when the connection closes without such a packet.
func (w *Conn) ExpectNone(ctx context.Context, d time.Duration, match func(wire.Packet) bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		p, err := w.Next(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if match(p) {
			return fmt.Errorf("%w: %s", ErrUnexpected, wire.Describe(p))
		}
	}
}

// WaitClosed waits until the peer closes the connection; it reports false
// if the peer is still connected when ctx ends. Packets are discarded.
func (w *Conn) WaitClosed(ctx context.Context) bool {
	for {
		_, err := w.Next(ctx)
		if err == nil {
			continue
		}
		return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
	}
}

// Close closes the connection.
func (w *Conn) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return w.c.Close()
}

// Transcript returns every chunk sent and received so far.
func (w *Conn) Transcript() []Chunk {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Chunk(nil), w.chunks...)
}

// Server accepts connections from a replica under test.
type Server struct {
	ln  net.Listener
	url string
	d   wire.Dialect
}

// Listen listens on url (e.g. tcp://127.0.0.1:0) for replicas of dialect d.
func Listen(ctx context.Context, url string, d wire.Dialect) (*Server, error) {
	return ListenVia(ctx, transport.Default(), url, d)
}

// ListenVia is Listen through the given schemes. A connection with a
// handshake of its own (TLS) finishes it in Accept.
func ListenVia(ctx context.Context, s *transport.Schemes, url string, d wire.Dialect) (*Server, error) {
	ln, u, err := s.Listen(ctx, url)
	if err != nil {
		return nil, err
	}
	return &Server{ln: ln, url: u.String(), d: d}, nil
}

// URL returns the URL to point the replica at.
func (s *Server) URL() string { return s.url }

// Accept waits for a replica to connect. Nothing is sent automatically: a
// conforming host would now send Handshake and ObjectList (see Greet).
func (s *Server) Accept(ctx context.Context) (*Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := s.ln.Accept()
		if err == nil {
			if err = transport.Handshake(ctx, c); err != nil {
				c.Close()
			}
		}
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return newConn(r.c, s.d, true), nil
	case <-ctx.Done():
		s.ln.Close() // unblocks the Accept goroutine; the server is unusable after
		<-ch
		return nil, ctx.Err()
	}
}

// Close stops listening.
func (s *Server) Close() error { return s.ln.Close() }

// CloseKeepFile stops listening but leaves a local socket file behind, as a
// crashed host does (a stale socket).
func (s *Server) CloseKeepFile() error {
	if ul, ok := s.ln.(interface{ SetUnlinkOnClose(bool) }); ok {
		ul.SetUnlinkOnClose(false)
	}
	return s.ln.Close()
}

// Greet sends what a conforming host sends first: Handshake and ObjectList.
func (w *Conn) Greet(objects ...wire.ObjectInfo) error {
	return w.Send(&wire.HandshakePacket{Version: w.d.ProtocolVersion()}, &wire.ObjectListPacket{Objects: objects})
}
