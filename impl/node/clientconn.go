package node

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/qds"
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

	mu    sync.Mutex
	c     net.Conn
	d     Dialect
	q     *sendQueue
	types *Types // the connection's user types (static classes' PODs, learnt gadgets)
	dead  bool
}

func (c *clientConn) run() {
	defer c.n.wg.Done()
	defer c.n.forget(c)
	n := c.n
	for {
		if n.ctx.Err() != nil {
			return
		}
		conn, err := n.cfg.Schemes.Dial(n.ctx, c.url)
		if err == nil {
			err = c.serve(conn)
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
		} else {
			n.cfg.Logger.Debug("connect failed", "url", c.url, "err", err)
		}
		if !c.retrying() || !n.sleep(n.cfg.RetryInterval) {
			return
		}
	}
}

func (c *clientConn) retrying() bool {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	return c.direct && !c.n.closed
}

// serve runs one connection until it drops.
func (c *clientConn) serve(conn net.Conn) error {
	n := c.n
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		conn.Close()
		return net.ErrClosed
	}
	c.c = conn
	c.mu.Unlock()
	defer conn.Close()

	tr := &timedReader{r: conn}
	br := wire.NewBufReader(tr)
	head, err := br.Peek(6)
	if err != nil {
		return err
	}
	d, ok := wire.DetectDialect(head)
	if !ok || (n.cfg.Dialect.Valid() && d != n.cfg.Dialect) {
		return n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url,
			Err: fmt.Errorf("%w: first bytes % x", wire.ErrNoHandshake, head)})
	}
	types := qds.NewTypes(n.types.Get(d))
	q := newSendQueue(conn, d, types, n.cfg.MaxSendQueue)
	q.onError = func(error) { conn.Close() }
	defer func() {
		q.close()
		conn.Close()
		<-q.done
	}()

	r := wire.NewReader(br, d, types, n.cfg.Limits)
	p, err := r.ReadPacket()
	if err != nil {
		return err
	}
	hs, ok := p.(*wire.HandshakePacket)
	if !ok {
		return n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url, Err: fmt.Errorf("%w: got %s", wire.ErrNoHandshake, p.Type())})
	}
	if hs.Version != d.ProtocolVersion() {
		return n.setErr(&Error{Code: ProtocolMismatch, Op: "handshake", URL: c.url,
			Err: fmt.Errorf("%w: got %q, want %q", wire.ErrVersionMismatch, hs.Version, d.ProtocolVersion())})
	}
	c.mu.Lock()
	c.d, c.q, c.types = d, q, types
	c.mu.Unlock()

	for {
		p, err := r.ReadPacket()
		if err != nil {
			var pe *wire.ProtocolError
			if errors.As(err, &pe) {
				n.setErr(err)
			}
			return err
		}
		now := tr.last // when the bytes were read: one clock read per syscall, not per packet
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
