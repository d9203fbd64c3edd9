package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Hard limits on what a client may send.
const (
	maxFrameSize  = 4 << 20 // bytes in one frame's size field
	outQueueLen   = 16384   // queued writes per connection before it is dropped as too slow
	writeTimeout  = 10 * time.Second
	separateDelay = 20 * time.Millisecond // FlawNotifySeparate
)

// valueLimits bound the QVariants inside client packets.
var valueLimits = qds.Limits{MaxDepth: 32, MaxElements: 1 << 16, MaxBytes: 1 << 20}

// host is the host role: one listener, the Plain source and its connections.
type host struct {
	o      Options
	d      wire.Dialect
	ev     *emitter
	log    io.Writer
	ln     net.Listener
	url    string
	quit   chan exitRequest
	closed sync.Once

	mu      sync.Mutex // guards everything below and orders wire output with events
	enabled bool
	state   plainState
	conns   map[*conn]struct{}
}

// exitRequest asks serve to end the process.
type exitRequest struct {
	code   int
	reason string // "" for a crash: no exiting event
}

func newHost(o Options, ev *emitter, log io.Writer) *host {
	return &host{o: o, d: o.Dialect, ev: ev, log: log, quit: make(chan exitRequest, 1),
		state: initialState(), conns: map[*conn]struct{}{}}
}

func (h *host) logf(format string, args ...any) {
	fmt.Fprintf(h.log, "degenerate[%s]: %s\n", h.o.Flaw, fmt.Sprintf(format, args...))
}

// requestExit asks serve to exit; the first request wins.
func (h *host) requestExit(code int, reason string) {
	select {
	case h.quit <- exitRequest{code, reason}:
	default:
	}
}

// listen opens the listener of --url. On failure it writes the event the
// contract wants and returns the exit code.
func (h *host) listen() (int, bool) {
	raw := h.o.URL
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return h.fatalListen("HostUrlInvalid", fmt.Sprintf("no scheme in %q", raw))
	}
	switch scheme {
	case "tcp":
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return h.fatalListen("HostUrlInvalid", fmt.Sprintf("bad tcp URL %q", raw))
		}
		port := u.Port()
		if port == "" {
			port = "65535" // what Qt does with a port-less tcp URL
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(u.Hostname(), port))
		if err != nil {
			return h.fatalListen("ListenFailed", err.Error())
		}
		h.ln = ln
		bound := ln.Addr().(*net.TCPAddr).Port
		h.url = "tcp://" + net.JoinHostPort(u.Hostname(), strconv.Itoa(bound))
	case "local":
		if rest == "" {
			return h.fatalListen("HostUrlInvalid", "local: URL without a name")
		}
		path := rest
		if !filepath.IsAbs(path) {
			dir := os.Getenv("TMPDIR")
			if dir == "" {
				dir = "/tmp"
			}
			path = filepath.Join(dir, path)
		}
		ln, err := net.Listen("unix", path)
		if err != nil && removeStaleSocket(path) {
			ln, err = net.Listen("unix", path)
		}
		if err != nil {
			return h.fatalListen("ListenFailed", err.Error())
		}
		h.ln = ln
		h.url = raw
	default:
		h.logf("unsupported URL scheme %q", scheme)
		h.ev.emit("unsupported", map[string]any{"feature": scheme, "message": "degenerate listens only on tcp: and local: URLs"})
		return ExitUnsupported, false
	}
	return 0, true
}

// removeStaleSocket removes a socket file nobody listens on (a crashed
// host's leftover) and reports whether it did.
func removeStaleSocket(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return false
	}
	return os.Remove(path) == nil
}

func (h *host) fatalListen(code, msg string) (int, bool) {
	h.logf("cannot listen on %s: %s", h.o.URL, msg)
	h.ev.emit("fatal", map[string]any{"stage": "listen", "error": code, "message": msg})
	return ExitFailure, false
}

// serve writes ready, enables remoting, then runs until an exit request.
func (h *host) serve(stdin io.Reader) int {
	f := map[string]any{"role": "host", "adapter": h.o.adapterName(), "contract": ContractVersion,
		"qt": "degenerate (" + Flaws[h.o.Flaw] + ")", "qtMajor": h.o.qtMajor(), "protocol": h.d.ProtocolVersion(),
		"url": h.url, "pid": os.Getpid(), "object": h.o.Object, "type": "plain", "capabilities": h.o.capabilities(),
		"flaw": string(h.o.Flaw)}
	// Remoting is enabled before any connection is accepted (clients that
	// connect early wait in the listen backlog), as in Qt, where ready and
	// enableRemoting run in one event-loop turn: a client dialing right
	// after ready must already find Plain in its ObjectList.
	h.mu.Lock()
	h.enableLocked()
	h.mu.Unlock()
	h.ev.emit("ready", f)
	h.ev.emit("remoting", map[string]any{"object": h.o.Object, "enabled": true})
	go h.acceptLoop()

	go h.commandLoop(stdin)
	stopSignals := watchSignals(func() { h.requestExit(0, "signal") })
	defer stopSignals()

	req := <-h.quit
	if req.reason != "" {
		h.ev.emitLast("exiting", map[string]any{"reason": req.reason, "code": req.code})
	} else {
		h.ev.stop() // a crash: nothing more on stdout
	}
	h.shutdown()
	return req.code
}

// shutdown closes the listener and every connection.
func (h *host) shutdown() {
	h.closed.Do(func() {
		h.ln.Close()
		h.mu.Lock()
		conns := make([]*conn, 0, len(h.conns))
		for c := range h.conns {
			conns = append(conns, c)
		}
		h.mu.Unlock()
		for _, c := range conns {
			c.close()
		}
	})
}

func (h *host) acceptLoop() {
	for {
		nc, err := h.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			h.logf("accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c := &conn{h: h, nc: nc, out: make(chan outItem, outQueueLen), done: make(chan struct{})}
		h.mu.Lock()
		h.conns[c] = struct{}{}
		h.greetLocked(c)
		h.mu.Unlock()
		go c.writeLoop()
		go c.readLoop()
	}
}

// objectInfo is Plain's ObjectList entry: dynamic API, so type name and
// signature are null.
func (h *host) objectInfo() wire.ObjectInfo {
	oi := wire.ObjectInfo{Name: h.o.Object}
	if h.o.Flaw == FlawEmptySignature {
		oi.Signature = []byte{} // empty, but not null
	}
	return oi
}

// greetLocked sends Handshake and the ObjectList of what is remoted.
func (h *host) greetLocked(c *conn) {
	var objs []wire.ObjectInfo
	if h.enabled {
		objs = append(objs, h.objectInfo())
	}
	var ps []wire.Packet
	if h.o.Flaw != FlawNoHandshake {
		ps = append(ps, &wire.HandshakePacket{Version: h.d.ProtocolVersion()})
	}
	ps = append(ps, &wire.ObjectListPacket{Objects: objs})
	c.send(h.frames(ps...), 0)
}

// enableLocked remotes the object and announces it to every connection.
func (h *host) enableLocked() {
	h.enabled = true
	b := h.frames(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{h.objectInfo()}})
	for c := range h.conns {
		c.send(b, 0)
	}
}

// disableLocked stops remoting and tells the connections that added it.
func (h *host) disableLocked() {
	h.enabled = false
	b := h.frames(&wire.RemoveObjectPacket{Name: h.o.Object})
	for c := range h.conns {
		if c.added {
			c.added = false
			c.send(b, 0)
		}
	}
}

// frames encodes packets as consecutive frames (to go out in one write).
func (h *host) frames(ps ...wire.Packet) []byte {
	var out []byte
	for _, p := range ps {
		b, err := wire.Marshal(h.d, nil, p)
		if err != nil {
			h.logf("encoding %s: %v", p.Type(), err)
			continue
		}
		out = append(out, b...)
	}
	return out
}

// initValues returns the property values of an Init, flaws applied.
func (h *host) initValues() []qds.Variant {
	vals := make([]qds.Variant, len(plainProps))
	for i, p := range plainProps {
		vals[i] = h.state.get(i).variant(p.kind)
	}
	switch h.o.Flaw {
	case FlawEmptyInit:
		return nil
	case FlawShortInit:
		return vals[:len(vals)-1]
	case FlawWrongType:
		vals[propNumber] = qds.StringOf(strconv.Itoa(int(h.state.number)))
	}
	return vals
}

// changedLocked replicates a change of prop (or an explicit emission of its
// notify signal with args) and writes the host's propertyChanged event.
func (h *host) changedLocked(prop int, notifyArgs []qds.Variant) {
	p := plainProps[prop]
	cur := h.state.get(prop)
	h.ev.emit("propertyChanged", map[string]any{"object": h.o.Object, "property": p.name, "value": cur.json(p.kind)})
	if !h.enabled || h.o.Flaw == FlawNoChanges {
		return
	}
	if notifyArgs == nil {
		notifyArgs = []qds.Variant{cur.variant(p.kind)}
	}
	pc := h.frames(&wire.PropertyChangePacket{Name: h.o.Object, Index: int32(prop), Value: cur.variant(p.kind)})
	notify := h.frames(&wire.Invoke{Name: h.o.Object, Call: wire.CallInvokeMethod, Index: int32(p.notify),
		Args: notifyArgs, Serial: -1, PropertyIndex: int32(prop)})
	for c := range h.conns {
		if !c.added {
			continue
		}
		switch h.o.Flaw {
		case FlawNoNotify:
			c.send(pc, 0)
		case FlawNotifySeparate:
			c.send(pc, 0)
			c.send(notify, separateDelay)
		default:
			c.send(append(append([]byte(nil), pc...), notify...), 0)
		}
	}
}

// signalLocked sends a non-notify signal to every connection that added Plain.
func (h *host) signalLocked(sig int, args []qds.Variant) {
	if !h.enabled {
		return
	}
	b := h.frames(&wire.Invoke{Name: h.o.Object, Call: wire.CallInvokeMethod, Index: int32(sig), Args: args, Serial: -1, PropertyIndex: -1})
	for c := range h.conns {
		if c.added {
			c.send(b, 0)
		}
	}
}

// setLocked writes a property on the source and replicates a change.
func (h *host) setLocked(prop int, v value) {
	if h.state.set(prop, v) {
		h.changedLocked(prop, nil)
	}
}

// invokeLocked runs slot m with wire args (reporting an invoked event) and
// returns its return value (invalid for void).
func (h *host) invokeLocked(m int, args []qds.Variant) qds.Variant {
	arg := func(i int, k kind) value {
		if i < len(args) {
			return fromVariant(k, args[i])
		}
		return fromVariant(k, qds.InvalidVariant())
	}
	report := func(jargs ...any) {
		if jargs == nil {
			jargs = []any{}
		}
		h.ev.emit("invoked", map[string]any{"object": h.o.Object, "method": methodNames[m], "args": jargs})
	}
	switch m {
	case methodAdd:
		a, b := arg(0, kindInt), arg(1, kindInt)
		report(a.i, b.i)
		return qds.IntOf(int32(uint32(a.i) + uint32(b.i)))
	case methodEcho:
		s := arg(0, kindString)
		report(s.json(kindString))
		return s.variant(kindString)
	}
	report()
	h.setLocked(propNumber, value{i: 0})
	h.signalLocked(sigPulsed, []qds.Variant{qds.IntOf(0), qds.StringOf("reset")})
	return qds.InvalidVariant()
}

// conn is one client connection.
type conn struct {
	h     *host
	nc    net.Conn
	out   chan outItem
	done  chan struct{}
	once  sync.Once
	added bool // the client sent AddObject for Plain (guarded by h.mu)
}

// outItem is bytes that go out in one write, after delay.
type outItem struct {
	b     []byte
	delay time.Duration
}

// send queues one write; a client too slow to drain its queue is dropped.
func (c *conn) send(b []byte, delay time.Duration) {
	if len(b) == 0 {
		return
	}
	select {
	case <-c.done:
	case c.out <- outItem{b, delay}:
	default:
		c.h.logf("%s: write queue full, closing", c.nc.RemoteAddr())
		go c.close()
	}
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case it := <-c.out:
			if it.delay > 0 {
				select {
				case <-time.After(it.delay):
				case <-c.done:
					return
				}
			}
			_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := c.nc.Write(it.b); err != nil {
				c.close()
				return
			}
		}
	}
}

// close drops the connection and forgets it.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.nc.Close()
		c.h.mu.Lock()
		delete(c.h.conns, c)
		c.h.mu.Unlock()
	})
}

// malformed handles a frame that breaks the protocol: the connection is
// closed (or, with FlawCrashOnGarbage, the whole process "crashes").
func (c *conn) malformed(err error) {
	if c.h.o.Flaw == FlawCrashOnGarbage {
		c.h.logf("malformed frame (%v): crashing on purpose", err)
		c.h.requestExit(ExitCrash, "")
		return
	}
	c.h.logf("%s: malformed frame, closing the connection: %v", c.nc.RemoteAddr(), err)
	c.close()
}

func (c *conn) readLoop() {
	r := wire.NewReader(c.nc, c.h.d, nil, wire.Limits{MaxFrameSize: maxFrameSize, Values: valueLimits})
	for {
		p, err := r.ReadPacket()
		if err != nil {
			select {
			case <-c.done:
				return
			default:
			}
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				c.close()
				return
			}
			var pe *wire.ProtocolError
			if errors.As(err, &pe) || errors.Is(err, io.ErrUnexpectedEOF) {
				c.malformed(err)
			} else {
				c.close() // a socket error
			}
			return
		}
		if !p.Type().Known() || p.Type() == wire.Invalid {
			c.malformed(fmt.Errorf("packet type %d", uint16(p.Type())))
			return
		}
		c.handle(p)
	}
}

// handle serves one client packet.
func (c *conn) handle(p wire.Packet) {
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	known := h.enabled && p.ObjectName() == h.o.Object
	switch p := p.(type) {
	case *wire.AddObjectPacket:
		if !known {
			h.logf("AddObject for unknown source %q", p.Name)
			return
		}
		c.added = true
		if p.Dynamic {
			c.send(h.frames(&wire.InitDynamic{Name: h.o.Object, Class: plainClass(h.d), Values: h.initValues()}), 0)
		} else {
			c.send(h.frames(&wire.Init{Name: h.o.Object, Values: h.initValues()}), 0)
		}
	case *wire.RemoveObjectPacket:
		if p.Name == h.o.Object {
			c.added = false
		}
	case *wire.PingPacket:
		if h.o.Flaw == FlawPongKnownOnly && p.Name != h.o.Object {
			return
		}
		c.send(h.frames(&wire.PongPacket{Name: p.Name}), 0)
	case *wire.Invoke:
		if !known {
			return
		}
		if p.Call != wire.CallInvokeMethod {
			c.writeProperty(p)
			return
		}
		if p.Index < 0 || int(p.Index) >= len(methodNames) {
			h.logf("Invoke of unknown method index %d", p.Index)
			return
		}
		ret := h.invokeLocked(int(p.Index), p.Args)
		switch {
		case p.Serial >= 0:
			if h.o.Flaw == FlawVoidNoReply && p.Index == methodReset {
				return
			}
			c.send(h.frames(&wire.InvokeReply{Name: h.o.Object, Serial: p.Serial, Value: ret}), 0)
		case p.Serial == -1 && h.o.Flaw == FlawReplyToMinus1:
			c.send(h.frames(&wire.InvokeReply{Name: h.o.Object, Serial: -1, Value: ret}), 0)
		}
	default:
		// Handshake and host-to-client packets from a client: ignored, as Qt does.
	}
}

// writeProperty applies a replica's property write (any non-zero call, as
// a Qt host treats it). CONSTANT ratio and bad indices are ignored.
func (c *conn) writeProperty(p *wire.Invoke) {
	h := c.h
	i := int(p.Index)
	if i < 0 || i >= len(plainProps) || i == propRatio || len(p.Args) == 0 {
		h.logf("ignored property write to index %d with %d args", p.Index, len(p.Args))
		return
	}
	h.setLocked(i, fromVariant(plainProps[i].kind, p.Args[0]))
}
