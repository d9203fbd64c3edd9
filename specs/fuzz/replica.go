package fuzz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/conformance"
)

// Replica is one running replica under fuzz: the target started as a node
// that connects to the fuzzer's listener and acquires one object.
type Replica interface {
	// Accept returns the replica's next connection to the fuzzer.
	Accept(ctx context.Context) (net.Conn, error)
	// State asks the process, over its control channel (the adapter's
	// `state` command), for the state of its replica ("Valid", ...); an
	// error means it did not answer.
	State(ctx context.Context) (string, error)
	// Exited is closed when the process has exited.
	Exited() <-chan struct{}
	// ExitInfo describes how the process ended ("" while it runs).
	ExitInfo() string
	// Close stops the process and the listener.
	Close() error
	// Dialect is the replica's dialect (zero: unknown).
	Dialect() wire.Dialect
	// Type is the test object type it acquired ("testobject", "tick").
	Type() string
}

// ReplicaStarter starts fresh replicas of one target: each input, each
// minimisation step and each replay gets its own.
type ReplicaStarter interface {
	// Name labels the target in reports.
	Name() string
	// ReplicaModes lists the replica kinds the target has (false: static,
	// true: dynamic); none when it cannot be started as a replica.
	ReplicaModes(ctx context.Context) ([]bool, error)
	// StartReplica starts the target as a replica of its test object.
	StartReplica(ctx context.Context, dynamic bool) (Replica, error)
}

var _ ReplicaStarter = (*TargetStarter)(nil)

// ErrNoReplicaRole means the target cannot be started as a replica (an
// url: target, or an adapter without the node role).
var ErrNoReplicaRole = errors.New("fuzz: the target cannot be started as a replica")

// ReplicaModes implements ReplicaStarter: the modes the target's hello
// declares (both, when it declares none).
func (s *TargetStarter) ReplicaModes(ctx context.Context) ([]bool, error) {
	if s.T.URL != "" {
		return nil, nil
	}
	if err := s.T.Resolve(ctx); err != nil {
		return nil, err
	}
	c := s.T.Caps
	if !c.Can(adapter.CapRole, string(adapter.Node)) {
		return nil, nil
	}
	var out []bool
	for _, dyn := range []bool{false, true} {
		if c.Can(adapter.CapReplicaMode, modeName(dyn)) {
			out = append(out, dyn)
		}
	}
	return out, nil
}

func modeName(dynamic bool) string {
	if dynamic {
		return "dynamic"
	}
	return "static"
}

// StartReplica implements ReplicaStarter: it listens on a fresh URL of a
// transport the target connects on and starts the target's adapter as a
// node of its test object there (conformance.StartReplica).
func (s *TargetStarter) StartReplica(ctx context.Context, dynamic bool) (Replica, error) {
	dir, err := s.tempDir()
	if err != nil {
		return nil, err
	}
	r := &adapterReplica{conns: make(chan net.Conn, 16), done: make(chan struct{})}
	a, typ, err := conformance.StartReplica(ctx, s.T, dir, dynamic, func(url string) (string, error) {
		ln, u, err := transport.Default().Listen(ctx, url)
		if err != nil {
			return "", err
		}
		r.ln = ln
		go r.accept()
		return u.String(), nil
	}, s.Log)
	if err != nil {
		if r.ln != nil {
			r.ln.Close()
			<-r.done
		}
		if errors.Is(err, conformance.ErrUnsupportedRole) {
			return nil, fmt.Errorf("%w: %v", ErrNoReplicaRole, err)
		}
		return nil, err
	}
	r.a, r.typ = a, typ
	r.d = s.T.Dialect
	for _, v := range []string{a.Ready().Str("protocol"), a.Ready().Str("protocolVersion"), s.T.Caps.Protocol} {
		for _, d := range wire.Dialects {
			if !r.d.Valid() && v == d.ProtocolVersion() {
				r.d = d
			}
		}
	}
	return r, nil
}

// adapterReplica is a replica run through the adapter contract, with the
// listener it connects to.
type adapterReplica struct {
	a     *adapter.Adapter
	ln    net.Listener
	typ   string
	d     wire.Dialect
	conns chan net.Conn
	done  chan struct{}
}

func (r *adapterReplica) accept() {
	defer close(r.done)
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		select {
		case r.conns <- c:
		default:
			c.Close() // nobody will read it
		}
	}
}

func (r *adapterReplica) Accept(ctx context.Context) (net.Conn, error) {
	select {
	case c := <-r.conns:
		return c, nil
	case <-r.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *adapterReplica) State(ctx context.Context) (string, error) {
	ev, err := r.a.Do(ctx, adapter.State())
	if err != nil {
		return "", err
	}
	for _, v := range ev.Object("replicas") {
		if m, ok := v.(map[string]any); ok {
			s, _ := m["state"].(string)
			return s, nil
		}
	}
	return "", nil
}

func (r *adapterReplica) Exited() <-chan struct{} { return r.a.Exited() }
func (r *adapterReplica) Dialect() wire.Dialect   { return r.d }
func (r *adapterReplica) Type() string            { return r.typ }

func (r *adapterReplica) ExitInfo() string { return r.a.ExitDescription() }

func (r *adapterReplica) Close() error {
	err := r.a.Close()
	r.ln.Close()
	<-r.done
	for {
		select {
		case c := <-r.conns:
			c.Close()
		default:
			return err
		}
	}
}

// classOf returns the class of a test object type and the name a node
// acquires it as (the adapter's default --object).
func classOf(d wire.Dialect, typ string) (*meta.Class, string) {
	if typ == "tick" {
		return conformance.TickClass(d), "Tick"
	}
	return conformance.TestClass(d, TestObjectName), TestObjectName
}

// initValues are the property values a host of cls sends in Init: the
// .rep defaults, a CLASS child as a QRO_ descriptor (with its class
// definition for a dynamic replica).
func initValues(cls *meta.Class, d wire.Dialect, types *qds.Types, name string, dynamic bool) []qds.Variant {
	vals := make([]qds.Variant, len(cls.Properties))
	for i, p := range cls.Properties {
		if p.Child == nil {
			vals[i] = p.Default
			continue
		}
		ch := wire.ChildObject{Name: d.ChildName("Class", name, p.Name), TypeName: qds.Str(p.Child.TypeName), Kind: wire.ChildClass}
		for _, cp := range p.Child.Properties {
			ch.Parameters = append(ch.Parameters, cp.Default)
		}
		if dynamic {
			def := p.Child.Definition()
			if b, err := wire.EncodeDefinition(d, types, &def); err == nil {
				ch.Definition = b
			}
		}
		vals[i] = qds.UserOf(wire.ChildObjectType, ch)
	}
	return vals
}

// replicaModel is what the fuzzer, as the replica's host, knows of the
// object it serves: the class of the type the replica acquires.
func replicaModel(d wire.Dialect, typ string, dynamic bool) Model {
	cls, name := classOf(d, typ)
	types := qds.NewTypes(d.Types())
	cls.RegisterTypes(types)
	o := Object{Name: name, Type: cls.TypeName, Def: cls.Definition(), Signature: cls.Signature, Dynamic: dynamic,
		Values: initValues(cls, d, types, name, dynamic)}
	return Model{Dialect: d, Role: RoleReplica, Objects: []Object{o}, Types: types}
}

// hostConn is the fuzzer's side of a replica's connection: it reads what
// the replica sends, only to know when it asked for its object.
type hostConn struct {
	c    net.Conn
	mu   sync.Mutex
	adds []wire.AddObjectPacket
	wake chan struct{} // closed and replaced on every AddObject
	done chan struct{}
}

func serveConn(c net.Conn, d wire.Dialect) *hostConn {
	h := &hostConn{c: c, wake: make(chan struct{}), done: make(chan struct{})}
	go h.read(d)
	return h
}

func (h *hostConn) read(d wire.Dialect) {
	defer close(h.done)
	types := qds.NewTypes(d.Types())
	r := wire.NewReader(h.c, d, types, wire.Limits{MaxFrameSize: 64 << 20})
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		if f.Type != wire.AddObject {
			continue
		}
		p, err := wire.Decode(d, types, qds.Limits{}, wire.Frame{Type: f.Type, Body: append([]byte(nil), f.Body...)})
		if err != nil {
			continue
		}
		h.mu.Lock()
		h.adds = append(h.adds, *p.(*wire.AddObjectPacket))
		close(h.wake)
		h.wake = make(chan struct{})
		h.mu.Unlock()
	}
}

// awaitAdd waits until the replica has sent more than n AddObjects (or
// closed the connection, or wait passed) and returns the (n+1)-th.
func (h *hostConn) awaitAdd(ctx context.Context, n int, wait time.Duration) (wire.AddObjectPacket, bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		h.mu.Lock()
		if len(h.adds) > n {
			a := h.adds[n]
			h.mu.Unlock()
			return a, true
		}
		wake := h.wake
		h.mu.Unlock()
		select {
		case <-wake:
		case <-h.done:
			return wire.AddObjectPacket{}, false
		case <-t.C:
			return wire.AddObjectPacket{}, false
		case <-ctx.Done():
			return wire.AddObjectPacket{}, false
		}
	}
}

func (h *hostConn) send(b []byte) error {
	_ = h.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := h.c.Write(b)
	return err
}

func (h *hostConn) close() {
	h.c.Close()
	<-h.done
}

// timing bounds the waits of one replica-role execution.
type timing struct {
	settle, wait, await, reconnect time.Duration
}

// errNoConnection means a fresh replica never connected to the fuzzer.
var errNoConnection = errors.New("fuzz: the replica did not connect")

// execReplica plays seq against a running replica, one connection per
// input (closing one makes the replica reconnect for the next), and
// probes it afterwards.
func execReplica(ctx context.Context, r Replica, d wire.Dialect, seq []Input, tm timing) (Health, string, error) {
	var cur *hostConn
	defer func() {
		if cur != nil {
			cur.close()
		}
	}()
	for i, in := range seq {
		if cur != nil {
			cur.close()
			cur = nil
		}
		wait := tm.reconnect
		if i == 0 {
			wait = 15 * time.Second // a fresh process on a loaded machine
		}
		actx, cancel := context.WithTimeout(ctx, wait)
		c, err := r.Accept(actx)
		cancel()
		if err != nil {
			if exited(r) {
				return Crashed, r.ExitInfo(), nil
			}
			if i == 0 {
				return "", "", fmt.Errorf("%w: %v", errNoConnection, err)
			}
			break // it did not come back (a Handshake mismatch ends a replica's connection for good)
		}
		cur = serveConn(c, d)
		asked, listed := 0, false
		for _, ch := range in.Chunks {
			if ch == nil {
				// A replica asks only for what an ObjectList offered: without
				// one (the minimiser cut it) there is nothing to wait for.
				if !listed {
					continue
				}
				if _, ok := cur.awaitAdd(ctx, asked, tm.await); ok {
					asked++
				}
				continue
			}
			listed = listed || holds(d, ch, wire.ObjectList)
			if err := cur.send(ch); err != nil {
				break // the replica may close a connection on bad input
			}
		}
	}
	select {
	case <-r.Exited():
	case <-time.After(tm.settle):
	}
	h, detail := probeReplica(ctx, r, tm.wait)
	return h, detail, nil
}

// holds reports whether chunk holds a frame of type typ.
func holds(d wire.Dialect, chunk []byte, typ wire.PacketType) bool {
	for _, f := range splitFrames(d, chunk) {
		if len(f) >= 6 && wire.PacketType(byteOrder(d).Uint16(f[4:])) == typ {
			return true
		}
	}
	return false
}

// probeReplica checks the replica: its process still runs and answers
// its control channel within wait. A replica that runs but does not
// answer hangs.
func probeReplica(ctx context.Context, r Replica, wait time.Duration) (Health, string) {
	if exited(r) {
		return Crashed, r.ExitInfo()
	}
	ask := func(wait time.Duration) error {
		sctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		_, err := r.State(sctx)
		return err
	}
	err := ask(wait)
	if err != nil && !exited(r) {
		err = ask(2 * wait) // a loaded machine can be slow
	}
	if err == nil {
		return Alive, ""
	}
	select {
	case <-r.Exited():
		return Crashed, r.ExitInfo()
	case <-time.After(500 * time.Millisecond):
	}
	msg, _, _ := strings.Cut(err.Error(), "; last events") // the adapter's log is no verdict
	return Hung, "the process runs but did not answer `state`: " + msg
}

// crashedOnExit reports whether a process that was alive died of a
// signal that means a crash (not the SIGKILL or SIGTERM of a slow exit)
// while it was told to exit: the input broke what its shutdown tears down.
func crashedOnExit(info string) bool {
	for _, sig := range []string{"SIGSEGV", "SIGABRT", "SIGBUS", "SIGFPE", "SIGILL"} {
		if strings.Contains(info, sig) {
			return true
		}
	}
	return false
}

// replicaVictim runs inputs against fresh replicas of one mode: every
// input gets its own process, so every input meets a first acquisition
// (a Qt dynamic replica that reconnects asks for Init, not InitDynamic)
// and the fuzz run, the minimiser and a replay all see the same thing.
type replicaVictim struct {
	rs      ReplicaStarter
	dynamic bool
	d       wire.Dialect
	tm      timing
	// checkExit counts a crash while exiting after the input (off when
	// the baseline itself did not exit cleanly).
	checkExit bool
	starts    int
}

// fresh starts a replica, plays seq, probes it and stops it.
func (v *replicaVictim) fresh(ctx context.Context, seq []Input) (Health, string, error) {
	r, err := v.rs.StartReplica(ctx, v.dynamic)
	if err != nil {
		return "", "", err
	}
	v.starts++
	d := v.d
	if !d.Valid() {
		d = r.Dialect()
	}
	h, detail, err := execReplica(ctx, r, d, seq, v.tm)
	_ = r.Close()
	if err == nil && h == Alive && v.checkExit {
		if info := r.ExitInfo(); crashedOnExit(info) {
			h, detail = Crashed, "on exit, after the input: "+info
		}
	}
	return h, detail, err
}

// learnReplica starts a replica, plays a well-formed session (the
// positive control: the replica must ask for its object and become
// Valid) and returns the model the mutators aim at: what the replica
// asked for (its AddObject) and the class of its type. baseline says how
// the control went.
func learnReplica(ctx context.Context, rs ReplicaStarter, dynamic bool, d wire.Dialect, tm timing) (m Model, baseline string, cleanExit bool, err error) {
	r, err := rs.StartReplica(ctx, dynamic)
	if err != nil {
		return m, "", false, err
	}
	defer func() {
		_ = r.Close()
		cleanExit = !crashedOnExit(r.ExitInfo())
	}()
	if !d.Valid() {
		d = r.Dialect()
	}
	if !d.Valid() {
		d = wire.Qt6
	}
	m = replicaModel(d, r.Type(), dynamic)
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := r.Accept(actx)
	if err != nil {
		return m, "", false, fmt.Errorf("%w: %v", errNoConnection, err)
	}
	hc := serveConn(c, d)
	defer hc.close()
	g := NewGenerator(m, 0, nil)
	if err := hc.send(g.greeting()); err != nil {
		return m, "", false, err
	}
	add, ok := hc.awaitAdd(actx, 0, 10*time.Second)
	if !ok {
		return m, "", false, fmt.Errorf("fuzz: the %s replica did not ask for %s (no AddObject) after a well-formed Handshake and ObjectList", modeName(dynamic), m.Objects[0].Name)
	}
	m.Objects[0].Name, m.Objects[0].Dynamic = add.Name, add.Dynamic
	if add.Dynamic != dynamic {
		m = replicaModel(d, r.Type(), add.Dynamic) // answer what it asked for
		m.Objects[0].Name = add.Name
	}
	g = NewGenerator(m, 0, nil)
	if err := hc.send(g.initFrame(m.Objects[0], add.Dynamic, nil, nil)); err != nil {
		return m, "", false, err
	}
	state := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && state != "Valid"; {
		sctx, cancel := context.WithTimeout(ctx, tm.wait)
		state, err = r.State(sctx)
		cancel()
		if err != nil {
			return m, "", false, fmt.Errorf("fuzz: the replica did not answer `state` after a well-formed session: %w", err)
		}
		if state != "Valid" {
			time.Sleep(20 * time.Millisecond)
		}
	}
	baseline = fmt.Sprintf("AddObject(%s, dynamic=%v); after a well-formed Init: %s", add.Name, add.Dynamic, state)
	return m, baseline, true, nil
}
