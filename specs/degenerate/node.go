package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// The node role: a dynamic-only replica node written from the protocol
// description (QTRO-PROTOCOL.md §6, §7), with plain net.Dial and the packet
// codec. It learns every class from the InitDynamicPacket, so it acquires
// any object, not only Plain.

const (
	retryInterval      = 250 * time.Millisecond // Qt's retryInterval (§7.5)
	dialTimeout        = 2 * time.Second
	defaultCallTimeout = 5 * time.Second
)

// replica states (QTRO-PROTOCOL.md §7.7).
const (
	stUninitialized = "Uninitialized"
	stValid         = "Valid"
	stSuspect       = "Suspect"
)

// robj is one acquired source, shared by every replica key that names it
// (Qt shares one implementation per name and node).
type robj struct {
	name, typ, mode string
	keys            []string
	state           string
	info            classInfo // nil def until the first InitDynamic
	values          []qds.Variant
	childValues     map[string][]qds.Variant // CLASS children, by child source name
	childOf         map[string]int           // child source name -> property index
	added           bool                     // AddObject sent on the current connection
	initialized     bool
	serial          int32
	pending         map[int32]*pendingCall
}

// pendingCall is a call waiting for its InvokeReply.
type pendingCall struct {
	c     command
	timer *time.Timer
}

type node struct {
	o           Options
	d           wire.Dialect
	ev          *emitter
	log         io.Writer
	quit        chan exitRequest
	callTimeout time.Duration

	mu        sync.Mutex // guards everything below and orders wire output with events
	nc        net.Conn
	types     *qds.Types // the connection's user types (gadgets learnt from definitions)
	gen       int
	listed    map[string]bool
	objs      map[string]*robj // by source name
	keys      map[string]*robj // by replica key
	lastError string
	closed    bool
}

func newNode(o Options, ev *emitter, log io.Writer) *node {
	n := &node{o: o, d: o.Dialect, ev: ev, log: log, quit: make(chan exitRequest, 1),
		callTimeout: defaultCallTimeout, listed: map[string]bool{}, objs: map[string]*robj{},
		keys: map[string]*robj{}, lastError: "NoError"}
	if o.CallTimeoutMs > 0 {
		n.callTimeout = time.Duration(o.CallTimeoutMs) * time.Millisecond
	}
	return n
}

func (n *node) logf(format string, args ...any) {
	fmt.Fprintf(n.log, "degenerate[%s] node: %s\n", n.o.Flaw, fmt.Sprintf(format, args...))
}

func (n *node) requestExit(code int, reason string) {
	select {
	case n.quit <- exitRequest{code, reason}:
	default:
	}
}

// modeName is the replica kind the node reports (a static-lie node
// started --static reports static and behaves dynamically).
func (n *node) modeName() string {
	if n.o.Static {
		return "static"
	}
	return "dynamic"
}

// serve makes the first connection attempt, writes ready, acquires
// --object, keeps connecting, and runs until exit.
func (n *node) serve(stdin io.Reader) int {
	// The first attempt comes before ready (§2.1: connect, then ready), so
	// a node started before its host always sees that attempt fail.
	var firstConn net.Conn
	var firstErr error
	if n.o.URL != "" {
		firstConn, firstErr = dialURL(n.o.URL)
	}
	f := map[string]any{"role": "node", "adapter": n.o.adapterName(), "contract": ContractVersion,
		"qt": "degenerate (" + Flaws[n.o.Flaw] + ")", "qtMajor": n.o.qtMajor(), "protocol": n.d.ProtocolVersion(),
		"url": n.o.URL, "pid": os.Getpid(), "object": n.o.Object, "type": n.o.Type, "mode": n.modeName(),
		"heartbeatMs": 0, "capabilities": n.o.capabilities(), "flaw": string(n.o.Flaw)}
	n.ev.emit("ready", f)
	if !n.o.NoAcquire {
		n.mu.Lock()
		r := n.acquireLocked(n.o.Object, n.o.Object, n.o.Type)
		n.ev.emit("acquired", map[string]any{"replica": n.o.Object, "object": n.o.Object, "state": r.state})
		n.sendAddLocked(r)
		n.mu.Unlock()
	}
	if n.o.URL != "" {
		go n.connLoop(firstConn, firstErr)
	}
	go n.commandLoop(stdin)
	stopSignals := watchSignals(func() { n.requestExit(0, "signal") })
	defer stopSignals()
	req := <-n.quit
	n.ev.emitLast("exiting", map[string]any{"reason": req.reason, "code": req.code})
	n.mu.Lock()
	n.closed = true
	if n.nc != nil {
		n.nc.Close()
	}
	n.mu.Unlock()
	return req.code
}

// acquireLocked creates replica key for source name (or joins the source's
// existing replica).
func (n *node) acquireLocked(key, name, typ string) *robj {
	r := n.objs[name]
	if r == nil {
		r = &robj{name: name, typ: typ, mode: n.modeName(), state: stUninitialized,
			childValues: map[string][]qds.Variant{}, childOf: map[string]int{}, pending: map[int32]*pendingCall{}}
		n.objs[name] = r
	}
	r.keys = append(r.keys, key)
	n.keys[key] = r
	return r
}

// sendAddLocked sends AddObject for r if the host lists it and it was not
// sent on this connection yet.
func (n *node) sendAddLocked(r *robj) {
	if n.nc == nil || r.added || !n.listed[r.name] {
		return
	}
	r.added = true
	// Dynamic-only: always isDynamic=true (FlawNodeStaticLie does this even
	// when started --static, which is the lie).
	n.sendLocked(&wire.AddObjectPacket{Name: r.name, Dynamic: true})
}

// sendLocked writes packets in one write on the current connection.
func (n *node) sendLocked(ps ...wire.Packet) bool {
	if n.nc == nil {
		return false
	}
	var out []byte
	for _, p := range ps {
		b, err := wire.Marshal(n.d, n.types, p)
		if err != nil {
			n.logf("encoding %s: %v", p.Type(), err)
			return false
		}
		out = append(out, b...)
	}
	_ = n.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := n.nc.Write(out); err != nil {
		n.logf("write: %v", err)
		n.nc.Close() // the read loop sees it and handles the loss
		return false
	}
	return true
}

// dialURL connects to a tcp: or local: URL.
func dialURL(raw string) (net.Conn, error) {
	scheme, rest, _ := strings.Cut(raw, ":")
	switch scheme {
	case "tcp":
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		return net.DialTimeout("tcp", u.Host, dialTimeout)
	case "local":
		return net.DialTimeout("unix", localPath(rest), dialTimeout)
	}
	return nil, fmt.Errorf("unsupported scheme %q", scheme)
}

// localPath resolves local:NAME as Qt does ($TMPDIR, else /tmp).
func localPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	dir := os.Getenv("TMPDIR")
	if dir == "" {
		dir = "/tmp"
	}
	return filepath.Join(dir, name)
}

// connLoop connects to --url, retrying every 250 ms, and reconnects after
// the connection is lost (not after a protocol mismatch).
func (n *node) connLoop(nc net.Conn, err error) {
	first := true
	for {
		n.mu.Lock()
		closed := n.closed
		n.mu.Unlock()
		if closed {
			if nc != nil {
				nc.Close()
			}
			return
		}
		if !first {
			nc, err = dialURL(n.o.URL)
		}
		if err != nil {
			if first && n.o.Flaw == FlawNodeNoRetry {
				n.logf("connecting to %s failed (%v): giving up (flaw %s)", n.o.URL, err, n.o.Flaw)
				return
			}
			first = false
			time.Sleep(retryInterval)
			continue
		}
		first = false
		if !n.serveConn(nc) {
			return
		}
		if n.o.Flaw == FlawNodeNoReconnect {
			n.logf("connection lost: not reconnecting (flaw %s)", n.o.Flaw)
			return
		}
		time.Sleep(retryInterval)
	}
}

// serveConn runs one connection; it reports whether to reconnect.
func (n *node) serveConn(nc net.Conn) bool {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		nc.Close()
		return false
	}
	types := qds.NewTypes(n.d.Types())
	n.nc = nc
	n.types = types
	n.gen++
	n.listed = map[string]bool{}
	if n.o.Flaw == FlawNodeSendsHandshake {
		n.sendLocked(&wire.HandshakePacket{Version: n.d.ProtocolVersion()})
	}
	n.mu.Unlock()

	r := wire.NewReader(nc, n.d, types, wire.Limits{MaxFrameSize: maxFrameSize, Values: valueLimits})
	first := true
	for {
		p, err := r.ReadPacket()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.logf("connection to %s: %v", n.o.URL, err)
			}
			n.lost(nc)
			return true
		}
		if !p.Type().Known() || p.Type() == wire.Invalid {
			n.logf("packet type %d from the host: dropping the connection", uint16(p.Type()))
			n.lost(nc)
			return true
		}
		if hs, ok := p.(*wire.HandshakePacket); ok || first {
			first = false
			if !ok || (hs.Version != n.d.ProtocolVersion() && n.o.Flaw != FlawNodeIgnoresMismatch) {
				what := "first packet " + p.Type().String()
				if ok {
					what = fmt.Sprintf("protocol version %q", hs.Version)
				}
				n.logf("*** Protocol Mismatch, closing connection *** (%s)", what)
				n.mismatch(nc)
				return false
			}
			continue
		}
		n.handle(nc, types, p)
	}
}

// mismatch reports ProtocolMismatch and closes without reconnecting.
func (n *node) mismatch(nc net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nc.Close()
	n.lastError = "ProtocolMismatch"
	n.ev.emit("nodeError", map[string]any{"node": "node", "error": "ProtocolMismatch", "code": int(wire.ProtocolMismatch)})
	n.dropLocked(nc)
}

// lost handles the end of a connection: replicas go Suspect.
func (n *node) lost(nc net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nc.Close()
	n.dropLocked(nc)
}

func (n *node) dropLocked(nc net.Conn) {
	if n.nc != nc {
		return
	}
	n.nc = nil
	n.listed = map[string]bool{}
	for _, name := range n.objNames() {
		r := n.objs[name]
		r.added = false
		if r.state == stValid {
			n.setStateLocked(r, stSuspect)
		}
	}
}

// objNames returns the source names in a stable order.
func (n *node) objNames() []string {
	out := make([]string, 0, len(n.objs))
	for k := range n.objs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (n *node) setStateLocked(r *robj, st string) {
	old := r.state
	if old == st {
		return
	}
	r.state = st
	for _, k := range r.keys {
		n.ev.emit("stateChanged", map[string]any{"replica": k, "object": r.name, "state": st, "oldState": old})
	}
}

// handle applies one packet from the host.
func (n *node) handle(nc net.Conn, types *qds.Types, p wire.Packet) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nc != nc {
		return
	}
	switch p := p.(type) {
	case *wire.ObjectListPacket:
		for _, oi := range p.Objects {
			n.listed[oi.Name] = true
			if r := n.objs[oi.Name]; r != nil {
				n.sendAddLocked(r)
			}
		}
	case *wire.InitDynamic:
		r := n.objs[p.Name]
		if r == nil || !r.added {
			return
		}
		def := p.Class
		r.info = classInfo{def: &def, children: map[string]*wire.ClassDef{}}
		n.initLocked(r, types, p.Values)
	case *wire.Init:
		r := n.objs[p.Name]
		if r == nil || !r.added || r.info.def == nil {
			n.logf("Init for %q without a class definition: ignored", p.Name)
			return
		}
		n.initLocked(r, types, p.Values)
	case *wire.PropertyChangePacket:
		r, child := n.target(p.Name)
		if r == nil || r.info.def == nil {
			return
		}
		vals := r.values
		if child != "" {
			vals = r.childValues[child]
		}
		if p.Index >= 0 && int(p.Index) < len(vals) {
			vals[p.Index] = p.Value
		}
	case *wire.Invoke:
		r, child := n.target(p.Name)
		if r == nil || r.info.def == nil || p.Call != wire.CallInvokeMethod {
			return
		}
		n.signalLocked(r, child, p)
	case *wire.InvokeReply:
		r := n.objs[p.Name]
		if r == nil {
			return
		}
		pc := r.pending[p.Serial]
		if pc == nil {
			return // an unknown serial is ignored
		}
		delete(r.pending, p.Serial)
		pc.timer.Stop()
		v := r.info.tagged(p.Value)
		n.resultLocked(pc.c, map[string]any{"value": v["value"], "valueType": v["type"]}, nil)
	case *wire.RemoveObjectPacket:
		n.listed[p.Name] = false
		if r := n.objs[p.Name]; r != nil {
			r.added = false
			if r.state == stValid {
				n.setStateLocked(r, stSuspect)
			}
		}
	default:
		// Pong, and client packets a host should not send: ignored.
	}
}

// target resolves a packet's object name: a source, or one of its CLASS
// children (then child is the child's source name).
func (n *node) target(name string) (*robj, string) {
	if r := n.objs[name]; r != nil {
		return r, ""
	}
	for _, r := range n.objs {
		if _, ok := r.childOf[name]; ok {
			return r, name
		}
	}
	return nil, ""
}

// initLocked applies an Init/InitDynamic: initialized, stateChanged(Valid),
// then a propertyChanged for every notified property (first Init) or for
// those whose value changed (re-initialisation).
func (n *node) initLocked(r *robj, types *qds.Types, vals []qds.Variant) {
	def := r.info.def
	old := r.values
	r.values = append([]qds.Variant(nil), vals...)
	for len(r.values) < len(def.Properties) {
		r.values = append(r.values, qds.InvalidVariant())
	}
	for i, v := range r.values {
		ch, ok := v.Value().(wire.ChildObject)
		if !ok || i >= len(def.Properties) {
			continue
		}
		r.childOf[ch.Name] = i
		if cd, has, err := ch.ParseDefinition(n.d, types, valueLimits); err == nil && has {
			cd.RegisterGadgets(types)
			r.info.children[ch.Name] = &cd
		}
		if !ch.IsNull {
			r.childValues[ch.Name] = append([]qds.Variant(nil), ch.Parameters...)
		}
	}
	values := n.valuesLocked(r)
	for _, k := range r.keys {
		n.ev.emit("initialized", map[string]any{"replica": k, "object": r.name, "values": values})
	}
	n.setStateLocked(r, stValid)
	reinit := r.initialized
	r.initialized = true
	for i, p := range def.Properties {
		if p.Notify == "" {
			continue
		}
		if reinit && i < len(old) && old[i].SameValue(r.values[i]) {
			continue
		}
		n.propertyChangedLocked(r, p.Name, values[p.Name])
	}
}

func (n *node) propertyChangedLocked(r *robj, prop string, v any) {
	for _, k := range r.keys {
		n.ev.emit("propertyChanged", map[string]any{"replica": k, "object": r.name, "property": prop, "value": v})
	}
}

// valuesLocked renders every property, a CLASS child as an object.
func (n *node) valuesLocked(r *robj) map[string]any {
	out := map[string]any{}
	if r.info.def == nil {
		return out
	}
	for i, p := range r.info.def.Properties {
		out[p.Name] = n.propValueLocked(r, i)
	}
	return out
}

func (n *node) propValueLocked(r *robj, i int) any {
	p := r.info.def.Properties[i]
	if i >= len(r.values) {
		return nil
	}
	v := r.values[i]
	if ch, ok := v.Value().(wire.ChildObject); ok {
		if ch.IsNull {
			return nil
		}
		// the child's current values, which PropertyChange may have updated
		ch.Parameters = r.childValues[ch.Name]
		return r.info.renderChild(qds.UserOf(wire.ChildObjectType, ch))
	}
	return r.info.render(p.Type, v)
}

// signalLocked delivers a signal Invoke: a notify signal becomes
// propertyChanged, any other a signal event with args by declared types.
func (n *node) signalLocked(r *robj, child string, p *wire.Invoke) {
	def := r.info.def
	prefix := ""
	if child != "" {
		def = r.info.children[child]
		if def == nil {
			return
		}
		pi := r.childOf[child]
		prefix = r.info.def.Properties[pi].Name + "."
	}
	if p.Index < 0 || int(p.Index) >= len(def.Signals) {
		n.logf("signal index %d out of range", p.Index)
		return
	}
	sig := def.Signals[p.Index]
	for i, pd := range def.Properties {
		if pd.Notify != sig.Signature {
			continue
		}
		var v any
		if child == "" {
			v = n.propValueLocked(r, i)
		} else if vals := r.childValues[child]; i < len(vals) {
			sub := &classInfo{def: def, children: r.info.children}
			v = sub.render(pd.Type, vals[i])
		}
		n.propertyChangedLocked(r, prefix+pd.Name, v)
		return
	}
	ci := &classInfo{def: def, children: r.info.children}
	params := wire.SignatureParams(sig.Signature)
	args := []any{}
	for i, a := range p.Args {
		t := "QVariant"
		if i < len(params) {
			t = params[i]
		}
		args = append(args, ci.render(t, a))
	}
	for _, k := range r.keys {
		n.ev.emit("signal", map[string]any{"replica": k, "object": r.name, "signal": prefix + wire.SignatureName(sig.Signature), "args": args})
	}
}
