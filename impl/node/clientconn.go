package node

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// clientConn is the client side of a connection to one host URL. It dials,
// reads, and (for direct connections) redials after losing the host.
type clientConn struct {
	n   *Node
	url string
	// direct: retried when lost. Qt retries every URL it ever connected to
	// (initConnection adds registry-found URLs to requestedUrls too, despite
	// the comment in onShouldReconnect), so every connection here is.
	direct bool
	// pre is the connection to use instead of dialling, once
	// (AddClientSideConnection).
	pre net.Conn
	// failed is the last dial error reported to OnError, so a host that
	// keeps rejecting the node's certificate is reported once per episode,
	// not every RetryInterval.
	failed string

	mu    sync.Mutex
	c     net.Conn
	d     Dialect
	q     *sendQueue
	types *Types // the connection's user types (static classes' PODs, learnt gadgets)
	dead  bool
	st    *connState // the connection being read

	// Inline delivery (stall.go): gen counts the goroutines that took the
	// reading over; cbSince is when the reader entered a callback (0: it
	// is not in one); cur is that delivery, under dmu.
	gen     atomic.Uint64
	cbSince atomic.Int64
	dmu     sync.Mutex
	cur     *inflight
	fl      *inflight // reused by deliver (under dmu)

	// args is where signal events' arguments are copied to (argsCopy):
	// owned by the goroutine reading the connection.
	args []Variant
}

// argsChunk is how many arguments argsCopy allocates at a time.
const argsChunk = 256

// argsCopy copies a signal's arguments, which the packet decoder reuses,
// for an event that may outlive the packet (a subscription's queue).
// Copies are cut from chunks: one allocation per argsChunk arguments
// instead of one per signal. An event kept by a subscriber keeps its
// chunk (18 KiB) alive, never more. Only the reading goroutine calls it.
func (c *clientConn) argsCopy(args []Variant) []Variant {
	n := len(args)
	if n == 0 {
		return nil
	}
	if len(c.args) < n {
		c.args = make([]Variant, max(argsChunk, n))
	}
	out := c.args[:n:n]
	c.args = c.args[n:]
	copy(out, args)
	return out
}

func (c *clientConn) run() { c.runFrom(nil) }

// runFrom is the connection's life: dial, handshake, read until the
// connection drops, retry. With st it continues reading a connection
// whose reader was stuck in a callback (takeOver).
func (c *clientConn) runFrom(st *connState) {
	defer c.n.wg.Done()
	handedOff := false
	defer func() {
		if !handedOff {
			c.n.forget(c)
		}
	}()
	n := c.n
	for {
		var err error
		if st == nil {
			if n.ctx.Err() != nil {
				return
			}
			conn := c.pre
			if conn != nil {
				c.pre = nil
			} else if conn, err = n.cfg.Schemes.Dial(n.ctx, c.url); err != nil {
				c.dialFailed(err)
				if !c.retrying() || !n.sleep(n.cfg.RetryInterval) {
					return
				}
				continue
			}
			c.failed = ""
			st, err = c.open(conn)
		}
		if st != nil {
			err = c.loop(st)
			if errors.Is(err, errHandedOff) {
				handedOff = true // the goroutine that took over owns the connection now
				return
			}
			unwatch(c)
			st.close()
			st = nil
		}
		n.connLost(c)
		if n.ctx.Err() != nil {
			return
		}
		var ne *Error
		if errors.As(err, &ne) && ne.Op == "handshake" {
			// Qt deletes a connection closed over a protocol mismatch
			// and never schedules it for reconnection.
			n.cfg.Logger.Warn("protocol mismatch: not reconnecting", "url", c.url, "err", err)
			return
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			n.cfg.Logger.Warn("connection lost", "url", c.url, "err", err)
		}
		if !c.retrying() || !n.sleep(n.cfg.RetryInterval) {
			return
		}
	}
}

// dialFailed logs a failed dial; one that failed its transport handshake
// (a certificate rejected either way, a host that is not TLS or not a
// WebSocket server) is also reported to OnError, once until a dial
// succeeds or fails otherwise: unlike a host that is down, it will not
// mend itself.
func (c *clientConn) dialFailed(err error) {
	n := c.n
	n.cfg.Logger.Debug("connect failed", "url", c.url, "err", err)
	if !errors.Is(err, transport.ErrHandshake) {
		c.failed = ""
		return
	}
	if msg := err.Error(); msg != c.failed {
		c.failed = msg
		n.cfg.Logger.Warn("transport handshake failed", "url", c.url, "err", err)
		n.errs.report(&Error{Code: NoError, Op: "connect", URL: c.url, Err: err})
	}
}

func (c *clientConn) retrying() bool {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	return c.direct && !c.n.closed
}

// connState is what reading one connection needs; it passes from a
// reader stuck in a callback to the goroutine that takes over.
type connState struct {
	conn net.Conn
	tr   *timedReader
	r    *wire.Reader
	q    *sendQueue
}

// close ends the connection: what is queued is written (or fails), then
// the socket closes.
func (st *connState) close() {
	st.q.close()
	st.conn.Close()
	<-st.q.done
}

// open reads the host's Handshake on a new connection.
func (c *clientConn) open(conn net.Conn) (*connState, error) {
	n := c.n
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		conn.Close()
		return nil, net.ErrClosed
	}
	c.c = conn
	c.mu.Unlock()

	if t := n.cfg.HandshakeTimeout; t > 0 {
		_ = conn.SetReadDeadline(time.Now().Add(t))
	}
	tr := &timedReader{r: conn}
	br := wire.NewBufReader(tr)
	head, err := br.Peek(6)
	if err != nil {
		conn.Close()
		return nil, err
	}
	d, ok := wire.DetectDialect(head)
	if !ok || (n.cfg.Dialect.Valid() && d != n.cfg.Dialect) {
		conn.Close()
		return nil, n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url,
			Err: fmt.Errorf("%w: first bytes % x", wire.ErrNoHandshake, head)})
	}
	types := qds.NewTypes(n.types.Get(d))
	q := newSendQueue(conn, d, types, n.cfg.MaxSendQueue)
	q.onError = func(error) { conn.Close() }
	st := &connState{conn: conn, tr: tr, q: q, r: wire.NewReader(br, d, types, n.cfg.Limits)}
	fail := func(err error) (*connState, error) {
		st.close()
		return nil, err
	}
	p, err := st.r.ReadPacket()
	if err != nil {
		return fail(err)
	}
	hs, ok := p.(*wire.HandshakePacket)
	if !ok {
		return fail(n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url, Err: fmt.Errorf("%w: got %s", wire.ErrNoHandshake, p.Type())}))
	}
	if hs.Version != d.ProtocolVersion() {
		return fail(n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url,
			Err: fmt.Errorf("%w: got %q, want %q", wire.ErrVersionMismatch, hs.Version, d.ProtocolVersion())}))
	}
	if n.cfg.HandshakeTimeout > 0 {
		_ = conn.SetReadDeadline(time.Time{})
	}
	c.mu.Lock()
	c.d, c.q, c.types = d, q, types
	c.mu.Unlock()
	return st, nil
}

// errHandedOff ends a reader whose connection another goroutine reads now.
var errHandedOff = errors.New("qtro node: reading handed over")

// loop reads and handles packets until the connection drops, or until
// another goroutine takes the reading over (errHandedOff).
func (c *clientConn) loop(st *connState) error {
	n := c.n
	d := st.r.Dialect()
	gen := c.gen.Load()
	c.mu.Lock()
	c.st = st
	c.mu.Unlock()
	watch(c)
	for {
		if c.gen.Load() != gen {
			return errHandedOff
		}
		p, err := st.r.ReadPacket()
		if err != nil {
			var pe *wire.ProtocolError
			if errors.As(err, &pe) {
				n.setErr(err)
			}
			return err
		}
		now := st.tr.last // when the bytes were read: one clock read per syscall, not per packet
		switch p := p.(type) {
		case *wire.ObjectListPacket:
			n.objectList(c, append([]wire.ObjectInfo(nil), p.Objects...))
		case *wire.Init:
			if ri := n.impl(p.Name); ri != nil {
				ri.init(c, nil, p.Values, now)
			}
		case *wire.InitDynamic:
			if ri := n.impl(p.Name); ri != nil {
				def := p.Class
				ri.init(c, &def, p.Values, now)
			}
		case *wire.PropertyChangePacket:
			if ri := n.impl(p.Name); ri != nil {
				ri.propertyChange(c, p, now)
			}
		case *wire.Invoke:
			if ri := n.impl(p.Name); ri != nil {
				ri.invoke(c, p, now)
			}
		case *wire.InvokeReply:
			if ri := n.impl(p.Name); ri != nil {
				ri.reply(c, p)
			}
		case *wire.RemoveObjectPacket:
			n.sourceRemoved(c, p.Name)
		case *wire.PongPacket:
			if ri := n.impl(p.Name); ri != nil {
				ri.pong()
			}
		case *wire.HandshakePacket:
			if p.Version != d.ProtocolVersion() {
				return n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url,
					Err: fmt.Errorf("%w: got %q", wire.ErrVersionMismatch, p.Version)})
			}
		case *wire.UnknownPacket:
			n.cfg.Logger.Warn("skipping unknown packet type", "url", c.url, "type", uint16(p.PacketType), "bytes", len(p.Body))
		default:
			n.cfg.Logger.Warn("unexpected packet from a host", "url", c.url, "type", p.Type())
		}
	}
}

// timedReader remembers when its last read returned data; packets decoded
// from that read share the timestamp.
type timedReader struct {
	r    net.Conn
	last time.Time
}

func (t *timedReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		t.last = time.Now()
	}
	return n, err
}

// queue returns the current connection's send queue and dialect (nil
// before the handshake).
func (c *clientConn) queue() (*sendQueue, Dialect) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q, c.d
}

// fail drops the current connection (it is retried if direct).
func (c *clientConn) fail(err error) {
	c.mu.Lock()
	conn := c.c
	c.mu.Unlock()
	c.n.cfg.Logger.Debug("dropping connection", "url", c.url, "err", err)
	if conn != nil {
		conn.Close()
	}
}

// closeAfterFlush ends the connection for good once what is queued on
// it has been written (or could not be). The connection's goroutine
// (counted in the node's wait group) waits for that before it returns.
func (c *clientConn) closeAfterFlush() {
	c.mu.Lock()
	c.dead = true
	conn, q := c.c, c.q
	c.mu.Unlock()
	if q == nil {
		// Not connected (or before the handshake): nothing to flush.
		if conn != nil {
			conn.Close()
		}
		return
	}
	q.close()
	c.n.wg.Add(1) // the connection's goroutine still holds its count, so this is no Add from zero
	go func() {
		defer c.n.wg.Done()
		<-q.done
		conn.Close()
	}()
}

// close ends the connection for good.
func (c *clientConn) close() {
	c.mu.Lock()
	c.dead = true
	conn := c.c
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}
