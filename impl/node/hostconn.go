package node

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// hostConn is the host side of one connection.
type hostConn struct {
	h     *Host
	c     net.Conn
	d     Dialect
	types *Types
	q     *sendQueue

	born  int64       // mono() at accept
	spoke atomic.Bool // a complete frame arrived: not a silent connection

	mu          sync.Mutex
	added       map[string]bool
	registryURL string          // the host URL this node registered with us (RegistryHost)
	sentTypes   map[string]bool // child class definitions already sent
	closeOnce   sync.Once
}

func newHostConn(h *Host, c net.Conn, d Dialect) *hostConn {
	hc := &hostConn{h: h, c: c, d: d, types: qds.NewTypes(h.types.Get(d)), added: map[string]bool{}, born: mono()}
	hc.q = newSendQueue(c, d, hc.types, h.cfg.MaxSendQueue)
	hc.q.writeTimeout = h.cfg.WriteTimeout
	hc.q.attach(h.sendBudget)
	hc.q.onError = func(err error) {
		if errors.Is(err, ErrSlowConsumer) {
			h.counters.slowConsumers.Add(1)
			if errors.Is(err, ErrSendBudget) {
				h.counters.overSendBudget.Add(1)
			}
			h.reclaimSoon() // its queue (up to MaxSendQueue) is garbage now
			h.cfg.Logger.Warn("disconnecting slow consumer", "remote", c.RemoteAddr(), "queued", hc.q.max)
			// Abort, don't linger: the kernel buffers of a peer that does
			// not read would otherwise hold megabytes until it does.
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
		}
		hc.close()
	}
	return hc
}

func (c *hostConn) fail(err error) {
	c.h.cfg.Logger.Debug("connection failed", "remote", c.c.RemoteAddr(), "err", err)
	c.close()
}

func (c *hostConn) close() {
	c.closeOnce.Do(func() {
		c.q.close()
		c.c.Close()
	})
}

// closeAfterFlush stops the queue, lets the writer drain it, then closes.
func (c *hostConn) closeAfterFlush() {
	c.q.close()
	go func() {
		<-c.q.done
		c.close()
	}()
}

// noteTypeSent records that a class definition went out and reports
// whether this was the first time.
func (c *hostConn) noteTypeSent(typ string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sentTypes[typ] {
		return false
	}
	if c.sentTypes == nil {
		c.sentTypes = map[string]bool{}
	}
	c.sentTypes[typ] = true
	return true
}

// typesSentCount is how many class definitions went out on c.
func (c *hostConn) typesSentCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sentTypes)
}

// typesSent lists the class definitions that went out on c.
func (c *hostConn) typesSent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.sentTypes))
	for t := range c.sentTypes {
		out = append(out, t)
	}
	return out
}

// noteTypesSent records class definitions sent in a cached frame.
func (c *hostConn) noteTypesSent(types []string) {
	for _, t := range types {
		c.noteTypeSent(t)
	}
}

func (c *hostConn) dropSource(name string) {
	c.mu.Lock()
	delete(c.added, name)
	c.mu.Unlock()
}

func (c *hostConn) readLoop() {
	defer func() {
		c.close()
		c.h.removeConn(c)
		<-c.q.done // the writer goroutine, if any, is gone before Host.Close returns
	}()
	var src io.Reader = c.c
	var fd *frameDeadline
	if t := c.h.cfg.FrameTimeout; t > 0 {
		fd = &frameDeadline{c: c.c, timeout: t}
		src = fd
	}
	r := wire.NewReader(src, c.d, c.types, c.h.cfg.Limits)
	defer func() {
		if r.Held() >= reclaimThreshold {
			c.h.reclaimSoon() // a large partial frame dies with the connection
		}
		r.Release()
	}()
	if fd != nil {
		fd.consumed = r.Offset
	}
	for {
		p, err := r.ReadPacket()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				var pe *wire.ProtocolError
				switch {
				case errors.Is(err, os.ErrDeadlineExceeded):
					c.h.counters.frameTimeouts.Add(1)
				case errors.Is(err, wire.ErrMemoryBudget):
					c.h.counters.overBudget.Add(1)
				case errors.As(err, &pe):
					c.h.counters.badFrames.Add(1)
				}
				c.h.cfg.Logger.Warn("closing connection", "remote", c.c.RemoteAddr(), "err", err)
			}
			return
		}
		if !c.spoke.Load() {
			c.spoke.Store(true)
		}
		switch p := p.(type) {
		case *wire.AddObjectPacket:
			c.addObject(p.Name, p.Dynamic)
		case *wire.RemoveObjectPacket:
			c.removeObject(p.Name)
		case *wire.Invoke:
			c.invoke(p)
		case *wire.PingPacket:
			if mutating("no-pong") {
				continue
			}
			// Qt answers every Ping, even for names it does not know.
			if err := c.q.send(&wire.PongPacket{Name: p.Name}); err != nil {
				c.fail(err)
			}
		case *wire.HandshakePacket:
			// Qt hosts ignore a Handshake from a client.
		case *wire.UnknownPacket:
			c.h.counters.unknownPackets.Add(1)
			c.h.cfg.Logger.Warn("skipping unknown packet type", "type", uint16(p.PacketType), "bytes", len(p.Body))
		default:
			c.h.cfg.Logger.Warn("unexpected packet from a client", "type", p.Type(), "name", p.ObjectName())
		}
	}
}

// frameDeadline gives a frame that has begun FrameTimeout to finish: a
// read that continues a started frame carries a deadline from the first
// such read; a read that waits for a new frame has none.
type frameDeadline struct {
	c        net.Conn
	timeout  time.Duration
	read     int64        // bytes read from c
	consumed func() int64 // bytes of complete frames (the wire.Reader's offset)
	armed    bool
}

func (f *frameDeadline) Read(p []byte) (int, error) {
	switch partial := f.read > f.consumed(); {
	case partial && !f.armed:
		_ = f.c.SetReadDeadline(time.Now().Add(f.timeout))
		f.armed = true
	case !partial && f.armed:
		_ = f.c.SetReadDeadline(time.Time{})
		f.armed = false
	}
	n, err := f.c.Read(p)
	f.read += int64(n)
	return n, err
}

func (c *hostConn) addObject(name string, dynamic bool) {
	src := c.h.Source(name)
	if src == nil {
		// Qt: warning only, no reply.
		c.h.counters.ignored.Add(1)
		c.h.cfg.Logger.Warn("AddObject for unknown source", "name", name)
		return
	}
	c.mu.Lock()
	dup := c.added[name]
	c.added[name] = true
	c.mu.Unlock()
	if dup {
		// Qt registers the listener twice and then sends every change twice;
		// we keep one listener and send a fresh Init.
		c.h.cfg.Logger.Warn("duplicate AddObject", "name", name)
	}
	src.mu.Lock()
	if src.host != c.h {
		src.mu.Unlock()
		return
	}
	// Init and listener registration under one lock: no change is lost
	// between the snapshot and the first PropertyChange.
	// Queued under src.mu, written after it: every replica of a storm
	// inits the same source, and a syscall under its lock would serialize them.
	frame, err := src.initFrameLocked(c, dynamic)
	if err == nil {
		err = c.q.enqueueRaw(frame)
	}
	if err == nil {
		src.listeners.add(c)
	}
	src.mu.Unlock()
	c.q.kick(true)
	if err != nil {
		c.h.cfg.Logger.Warn("cannot send Init", "name", name, "err", err)
		c.fail(err)
	}
}

func (c *hostConn) removeObject(name string) {
	src := c.h.Source(name)
	c.dropSource(name)
	if src == nil {
		return
	}
	src.mu.Lock()
	src.listeners.remove(c)
	src.mu.Unlock()
}

func (c *hostConn) invoke(p *wire.Invoke) {
	src := c.h.lookup(p.Name, c.d)
	if src == nil {
		c.h.counters.ignored.Add(1)
		c.h.cfg.Logger.Warn("Invoke on unknown source", "name", p.Name)
		return
	}
	args := append([]Variant(nil), p.Args...)
	learnSpelling(c.d, &c.q.spelling, args...)
	if c.h.hooks != nil {
		c.h.hooks.invoked(c, src, args)
	}
	if p.Call != wire.CallInvokeMethod {
		// Qt treats any non-zero call as a property write.
		if p.Index < 0 || int(p.Index) >= len(src.class.Properties) || len(args) != 1 {
			c.h.counters.ignored.Add(1)
			c.h.cfg.Logger.Warn("bad property write", "name", p.Name, "index", p.Index)
			return
		}
		if err := src.write(int(p.Index), args[0]); err != nil {
			c.h.cfg.Logger.Warn("property write refused", "name", p.Name, "index", p.Index, "err", err)
		}
		return
	}
	if p.Index < 0 || int(p.Index) >= len(src.class.Methods) {
		// Qt: warning, and no reply even when one was asked for.
		c.h.cfg.Logger.Warn("Invoke with out-of-range method index", "name", p.Name, "index", p.Index)
		return
	}
	serial := p.Serial
	// Handlers see the host's context: closing the host cancels them.
	ctx := c.h.ctx
	var slot *replySlot
	if serial >= 0 && src.replies(int(p.Index)) {
		slot = &replySlot{c: c, src: src, name: p.Name, serial: serial, method: int(p.Index)}
		ctx = context.WithValue(ctx, replyKey{}, slot)
	}
	out, handled, notify, err := src.invoke(ctx, int(p.Index), args)
	if notify != nil {
		defer notify() // after the reply is queued
	}
	if err != nil {
		c.h.cfg.Logger.Warn("slot failed", "name", p.Name, "method", src.class.Methods[p.Index].Signature, "err", err)
	}
	if !handled {
		c.h.cfg.Logger.Warn("no handler for method", "name", p.Name, "method", src.class.Methods[p.Index].Signature)
	}
	if serial < 0 || (slot != nil && slot.sent) {
		return
	}
	if err != nil {
		out = Variant{}
	}
	c.sendReply(src, p.Name, serial, out)
}
