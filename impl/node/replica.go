package node

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// State is a replica's state (QRemoteObjectReplica::State).
type State int

// Replica states, with Qt's values.
const (
	Uninitialized     State = 0 // a dynamic replica before its first Init
	Default           State = 1 // a static replica before its first Init (it has .rep defaults)
	Valid             State = 2 // initialised and connected
	Suspect           State = 3 // was Valid; the source went away or the connection dropped
	SignatureMismatch State = 4 // the source's class signature differs from the replica's
)

var stateNames = [...]string{"Uninitialized", "Default", "Valid", "Suspect", "SignatureMismatch"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ClassProvider gives the class a static replica expects, per dialect
// (the repc signature differs between Qt 5 and Qt 6). StaticClass wraps
// one class for both dialects.
type ClassProvider interface {
	ForDialect(d Dialect) (*Class, error)
}

// StaticClass adapts one *Class to ClassProvider.
type StaticClass struct{ Class *Class }

// ForDialect implements ClassProvider.
func (s StaticClass) ForDialect(Dialect) (*Class, error) { return s.Class, nil }

// EventKind says what an Event reports.
type EventKind int

// Event kinds.
const (
	StateChanged    EventKind = iota // Old -> New
	Initialized                      // the first (or a new) Init was applied
	PropertyChanged                  // Index/Name/Value: a property's new value
	SignalEmitted                    // Index/Name/Args: a signal from the source
)

func (k EventKind) String() string {
	return [...]string{"StateChanged", "Initialized", "PropertyChanged", "SignalEmitted"}[k]
}

// Event is something that happened to a replica.
//
// An Init is delivered as: Initialized (with Changed and Values), then
// StateChanged to Valid if the replica was not Valid already, then one
// PropertyChanged for each index in Changed whose property has a notify
// signal, in Changed's order, with the value in Values; nothing else is
// interleaved. The StateChanged and PropertyChanged events of an Init
// have FromInit set, so a subscriber that handles Initialized from
// Changed, Values, Old and New can skip them.
type Event struct {
	Kind     EventKind
	Old, New State // StateChanged; Initialized: the state before and after the Init
	FromInit bool  // StateChanged, PropertyChanged: caused by the Init just reported
	// Child (PropertyChanged, SignalEmitted) names the CLASS property
	// whose child replica the event is from: a parent's subscriptions get
	// its direct children's changes and signals too, in wire order with
	// its own events. Empty for the replica's own events.
	Child    string
	Index    int       // PropertyChanged: property index; SignalEmitted: signal index
	Name     string    // the property or signal name
	Value    Variant   // PropertyChanged
	Args     []Variant // SignalEmitted
	Received time.Time // when the packet was read (monotonic clock)

	// Changed (Initialized) lists, in ascending order, the indices of the
	// properties this Init changed: every property for an Init that
	// carried the class definition (the first Init of a dynamic replica,
	// as Qt notifies them all), otherwise those whose value differs
	// (Variant.SameValue) from the replica's value before the Init
	// (for a static replica's first Init: from the .rep defaults).
	// Properties without a notify signal are listed too, although no
	// PropertyChanged follows for them.
	Changed []int
	// Values (Initialized) is a snapshot of every property value after
	// the Init, indexed like the class's properties. It is the event's own
	// copy: later changes to the replica do not alter it.
	Values []Variant
}

// Replica is a handle to a replica (QRemoteObjectReplica). Several handles
// for the same source on one node share one implementation, as in Qt.
type Replica struct {
	impl     *replicaImpl
	mu       sync.Mutex
	released bool
	subs     []int
}

type callResult struct {
	v   Variant
	err error
}

// replicaImpl is the state shared by every handle of one source name on a node.
type replicaImpl struct {
	n      *Node
	name   string
	static ClassProvider // nil: dynamic

	mu          sync.Mutex
	state       State
	class       *Class
	values      []Variant
	conn        *clientConn
	changed     chan struct{} // closed and replaced on every state change
	serial      int32
	pending     map[int32]chan callResult
	subs        map[int]*deliverer[Event]
	subList     []*deliverer[Event] // snapshot of subs, rebuilt on change, read without copying
	nextSub     int
	handles     int
	hb          *time.Timer
	pingPending bool
	inits       int
	children    map[int]*replicaImpl // child replicas of CLASS properties, by property index
	isChild     bool
	parent      *replicaImpl // a child's parent, whose subscriptions get its events too
	parentProp  string       // the parent's CLASS property holding this child
}

func newReplicaImpl(n *Node, name string, static ClassProvider) *replicaImpl {
	r := &replicaImpl{n: n, name: name, static: static, changed: make(chan struct{}),
		pending: map[int32]chan callResult{}, subs: map[int]*deliverer[Event]{}}
	if static != nil {
		r.state = Default
		// Until a dialect is known, use the Qt 6 view for defaults.
		if c, err := static.ForDialect(wire.Qt6); err == nil {
			r.setClassLocked(c)
		}
	}
	return r
}

func (r *replicaImpl) setClassLocked(c *Class) {
	r.class = c
	if len(r.values) != len(c.Properties) {
		r.values = make([]Variant, len(c.Properties))
		for i := range c.Properties {
			r.values[i] = c.Properties[i].Default
		}
	}
}

// setStateLocked changes state and returns the event to dispatch (if any).
func (r *replicaImpl) setStateLocked(s State, evs []Event) []Event {
	if r.state == s {
		return evs
	}
	old := r.state
	r.state = s
	close(r.changed)
	r.changed = make(chan struct{})
	return append(evs, Event{Kind: StateChanged, Old: old, New: s, Received: time.Now()})
}

// dispatch queues events for every subscriber (each delivers them on
// its own goroutine); never called with r.mu held.
func (r *replicaImpl) dispatch(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	r.mu.Lock()
	subs := r.subList
	r.mu.Unlock()
	started := false
	for _, d := range subs {
		if dropped, first := d.push(&r.n.cbs, evs...); dropped > 0 {
			r.n.dropped(dropped, first, "replica", r.name, d.max)
		}
		started = d.takeStarted() || started
	}
	if started {
		// Let the new delivery goroutine run now on this thread, rather
		// than wait for an idle CPU: an isolated event is delivered at
		// once (a stream keeps its goroutine running and skips this).
		runtime.Gosched()
	}
}

// rebuildSubsLocked refreshes the subscriber snapshot (copy on write, so
// dispatch can use the old one without holding the lock).
func (r *replicaImpl) rebuildSubsLocked() {
	ids := make([]int, 0, len(r.subs))
	for id := range r.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	l := make([]*deliverer[Event], len(ids))
	for k, id := range ids {
		l[k] = r.subs[id]
	}
	r.subList = l
}

// sendLocked queues packets on the replica's connection and restarts the
// heartbeat timer, which Qt restarts after every packet a replica sends.
func (r *replicaImpl) sendLocked(ps ...wire.Packet) error {
	if r.conn == nil {
		return ErrNotValid
	}
	q, _ := r.conn.queue()
	if q == nil {
		return ErrNotValid
	}
	if err := q.send(ps...); err != nil {
		return err
	}
	r.resetHeartbeatLocked()
	return nil
}

func (r *replicaImpl) resetHeartbeatLocked() {
	iv := r.n.cfg.HeartbeatInterval
	if iv <= 0 || r.conn == nil {
		return
	}
	if r.hb == nil {
		r.hb = time.AfterFunc(iv, r.beat)
		return
	}
	r.hb.Reset(iv)
}

func (r *replicaImpl) stopHeartbeatLocked() {
	if r.hb != nil {
		r.hb.Stop()
	}
	r.pingPending = false
}

// beat is the heartbeat timer: a Ping still unanswered after a whole
// interval drops the connection (which then reconnects, as in Qt).
func (r *replicaImpl) beat() {
	r.mu.Lock()
	c := r.conn
	if c == nil || r.state != Valid {
		r.mu.Unlock()
		return
	}
	if r.pingPending {
		r.pingPending = false
		r.mu.Unlock()
		r.n.cfg.Logger.Warn("heartbeat timeout, dropping connection", "replica", r.name, "url", c.url)
		c.fail(ErrHeartbeat)
		return
	}
	r.pingPending = true
	err := r.sendLocked(&wire.PingPacket{Name: r.name})
	r.mu.Unlock()
	if err != nil {
		c.fail(err)
	}
}

// bind attaches the replica to a connection that offers its source and
// sends AddObject, unless a static replica's signature does not match.
func (r *replicaImpl) bind(c *clientConn, info wire.ObjectInfo) {
	r.mu.Lock()
	if r.conn != nil || r.handles == 0 {
		r.mu.Unlock()
		return
	}
	var evs []Event
	// A dynamic replica that already has its class (re-acquiring after a
	// reconnect or a re-enable) asks for a plain Init, as Qt's
	// needsDynamicInitialization() does.
	dynamic := r.static == nil && r.class == nil
	if r.static != nil {
		_, d := c.queue()
		cls, err := r.static.ForDialect(d)
		if err != nil {
			r.mu.Unlock()
			r.n.cfg.Logger.Warn("no static class for dialect", "replica", r.name, "dialect", d, "err", err)
			return
		}
		r.setClassLocked(cls)
		if cls.Signature != "" && len(info.Signature) > 0 && cls.Signature != string(info.Signature) {
			evs = r.setStateLocked(SignatureMismatch, evs)
			r.mu.Unlock()
			r.n.cfg.Logger.Warn("signature mismatch", "replica", r.name, "ours", cls.Signature, "source", string(info.Signature))
			r.dispatch(evs...)
			return
		}
	}
	if r.class != nil {
		// The PODs of a class this replica already knows (compiled into a
		// static replica, or learnt by a dynamic one before a reconnect)
		// must be known on this connection before its Init arrives.
		c.mu.Lock()
		types := c.types
		c.mu.Unlock()
		if types != nil {
			r.class.RegisterTypes(types)
		}
	}
	r.conn = c
	err := r.sendLocked(&wire.AddObjectPacket{Name: r.name, Dynamic: dynamic})
	r.mu.Unlock()
	if err != nil {
		c.fail(err)
	}
}

// unbind detaches the replica from c (connection lost or source removed):
// a Valid replica becomes Suspect; pending calls fail.
func (r *replicaImpl) unbind(c *clientConn) {
	r.mu.Lock()
	if r.conn != c {
		r.mu.Unlock()
		return
	}
	r.conn = nil
	r.stopHeartbeatLocked()
	var evs []Event
	if r.state == Valid {
		evs = r.setStateLocked(Suspect, evs)
	}
	pending := r.pending
	r.pending = map[int32]chan callResult{}
	children := make([]*replicaImpl, 0, len(r.children))
	for _, ch := range r.children {
		children = append(children, ch)
	}
	r.mu.Unlock()
	for _, ch := range pending {
		ch <- callResult{err: ErrDisconnected}
	}
	r.dispatch(evs...)
	// Child replicas go Suspect with their parent (Qt does the same).
	for _, ch := range children {
		ch.unbind(c)
	}
}

// init applies an Init (class nil) or InitDynamic packet.
func (r *replicaImpl) init(c *clientConn, def *wire.ClassDef, values []Variant, at time.Time) {
	c.learnSpelling(values...)
	r.mu.Lock()
	if r.conn != c {
		r.mu.Unlock()
		return
	}
	if def != nil {
		cls := meta.FromDefinition(def)
		r.class = nil
		r.values = nil
		r.setClassLocked(cls)
	}
	if r.class == nil {
		r.mu.Unlock()
		r.n.cfg.Logger.Warn("Init for a replica without a class", "replica", r.name)
		return
	}
	if len(values) != len(r.values) {
		r.n.cfg.Logger.Warn("Init value count differs from the class", "replica", r.name, "got", len(values), "want", len(r.values))
	}
	var changed []int
	for i := 0; i < len(values) && i < len(r.values); i++ {
		// Values are kept as received, as a Qt replica keeps its QVariants
		// (an enum arrives as an int and stays one).
		v := values[i]
		// Qt: a static replica notifies only changed values; a dynamic one
		// notifies every property with a notify signal.
		if def != nil || !r.values[i].SameValue(v) {
			changed = append(changed, i)
		}
		r.values[i] = v
	}
	kids := r.childDescriptorsLocked()
	r.mu.Unlock()
	// Child replicas exist (and are initialised) before the parent is
	// Valid, as Qt creates them before initialize().
	r.attachChildren(c, kids, at)
	r.mu.Lock()
	if r.conn != c {
		r.mu.Unlock()
		return
	}
	r.inits++
	// Qt emits initialized() before stateChanged(Valid).
	evs := []Event{{Kind: Initialized, Received: at, Changed: changed, Old: r.state, New: Valid,
		Values: append([]Variant(nil), r.values...)}}
	evs = r.setStateLocked(Valid, evs)
	for k := 1; k < len(evs); k++ {
		evs[k].FromInit = true
	}
	for _, i := range changed {
		p := &r.class.Properties[i]
		if p.Notify < 0 {
			continue
		}
		evs = append(evs, Event{Kind: PropertyChanged, Index: i, Name: p.Name, Value: r.values[i], Received: at,
			FromInit: true})
	}
	r.pingPending = false
	r.resetHeartbeatLocked()
	r.mu.Unlock()
	r.deliver(c, evs)
}

type childInit struct {
	prop  int
	desc  wire.ChildObject
	class *Class // the static child class, if known
}

func (r *replicaImpl) childDescriptorsLocked() []childInit {
	var out []childInit
	for i, v := range r.values {
		if v.Type() != qds.User || v.TypeName() != wire.ChildObjectType {
			continue
		}
		d, ok := v.Value().(wire.ChildObject)
		if !ok || d.IsNull {
			continue
		}
		ci := childInit{prop: i, desc: d}
		if i < len(r.class.Properties) {
			ci.class = r.class.Properties[i].Child
		}
		out = append(out, ci)
	}
	return out
}

// attachChildren creates (or reuses) the child replica of every CLASS
// property and initialises it from the QRO_ descriptor's values; later
// packets addressed to the child's name reach it like any replica.
func (r *replicaImpl) attachChildren(c *clientConn, kids []childInit, at time.Time) {
	for _, k := range kids {
		var def *wire.ClassDef
		if k.desc.Definition != nil {
			_, d := c.queue()
			if parsed, ok, err := k.desc.ParseDefinition(d, nil, r.n.cfg.Limits.Values); ok && err == nil {
				def = &parsed
			}
		}
		r.n.mu.Lock()
		ch := r.n.impls[k.desc.Name]
		if ch == nil {
			ch = newReplicaImpl(r.n, k.desc.Name, nil)
			ch.isChild = true
			ch.handles = 1
			r.n.impls[k.desc.Name] = ch
		}
		r.n.mu.Unlock()
		r.mu.Lock()
		prop := r.class.Properties[k.prop].Name
		r.mu.Unlock()
		ch.mu.Lock()
		if def == nil && ch.class == nil && k.class != nil {
			ch.setClassLocked(k.class)
		}
		ch.conn = c
		ch.parent, ch.parentProp = r, prop
		ch.mu.Unlock()
		r.mu.Lock()
		if r.children == nil {
			r.children = map[int]*replicaImpl{}
		}
		r.children[k.prop] = ch
		r.mu.Unlock()
		ch.init(c, def, k.desc.Parameters, at)
	}
}

func (r *replicaImpl) propertyChange(c *clientConn, p *wire.PropertyChangePacket, at time.Time) {
	c.learnSpelling(p.Value)
	r.mu.Lock()
	if r.conn != c || r.class == nil || p.Index < 0 || int(p.Index) >= len(r.values) {
		bound := r.conn == c
		r.mu.Unlock()
		if bound {
			r.n.cfg.Logger.Warn("PropertyChange with bad index", "replica", r.name, "index", p.Index)
		}
		return
	}
	r.values[p.Index] = p.Value
	// The notify signal follows as an Invoke, which produces the event.
	r.mu.Unlock()
}

func (r *replicaImpl) invoke(c *clientConn, p *wire.Invoke, at time.Time) {
	c.learnSpelling(p.Args...)
	r.mu.Lock()
	if r.conn != c || r.class == nil {
		r.mu.Unlock()
		return
	}
	if p.Index < 0 || int(p.Index) >= len(r.class.Signals) {
		r.mu.Unlock()
		r.n.cfg.Logger.Warn("signal index out of range", "replica", r.name, "index", p.Index)
		return
	}
	var ev Event
	if pi := int(p.PropertyIndex); pi >= 0 && pi < len(r.values) {
		ev = Event{Kind: PropertyChanged, Index: pi, Name: r.class.Properties[pi].Name, Value: r.values[pi], Received: at}
	} else {
		args := p.Args
		if n := len(r.class.Signals[p.Index].Params); len(args) > n {
			// Qt hosts can send stale trailing arguments (marshalArgs
			// removes only half the surplus of a longer earlier signal); a
			// Qt replica reads only the declared parameters, so do we.
			args = args[:n]
		}
		ev = Event{Kind: SignalEmitted, Index: int(p.Index), Name: r.class.Signals[p.Index].Name,
			Args: c.argsCopy(args), Received: at}
	}
	r.mu.Unlock()
	r.deliverOne(c, ev)
}

func (r *replicaImpl) reply(c *clientConn, p *wire.InvokeReply) {
	c.learnSpelling(p.Value) // before the caller sends its next request
	r.mu.Lock()
	ch := r.pending[p.Serial]
	delete(r.pending, p.Serial)
	subs := r.subList
	r.mu.Unlock()
	if ch != nil {
		// As in Qt, where both are signals of one thread: subscribers get
		// the events that preceded the reply before the caller gets it.
		res := callResult{v: p.Value}
		if !anyBusy(subs) {
			ch <- res // the common case, without a closure to allocate
			return
		}
		afterDelivered(subs, func() { ch <- res })
	}
}

func (r *replicaImpl) pong() {
	r.mu.Lock()
	r.pingPending = false
	r.resetHeartbeatLocked()
	r.mu.Unlock()
}

// Handle API.

// Name returns the source name the replica mirrors.
func (r *Replica) Name() string { return r.impl.name }

// State returns the replica's state.
func (r *Replica) State() State {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.state
}

// Inits returns how many Init packets the replica has applied (1 after the
// first acquisition; more after reconnects and re-enables).
func (r *Replica) Inits() int {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.inits
}

// IsInitialized reports Qt's isInitialized(): Valid or Suspect.
func (r *Replica) IsInitialized() bool {
	s := r.State()
	return s == Valid || s == Suspect
}

// WaitForSource waits until the replica is Valid (Qt: waitForSource).
func (r *Replica) WaitForSource(ctx context.Context) error {
	return r.WaitForState(ctx, Valid)
}

// WaitForState waits until the replica is in state s.
func (r *Replica) WaitForState(ctx context.Context, s State) error {
	for {
		r.impl.mu.Lock()
		st, ch := r.impl.state, r.impl.changed
		r.impl.mu.Unlock()
		if st == s {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("replica %q is %s, waiting for %s: %w", r.impl.name, st, s, ctx.Err())
		}
	}
}

// Class returns the replica's class: the static one, or for a dynamic
// replica the one built from the source's definition (nil before Init).
func (r *Replica) Class() *Class {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return r.impl.class
}

// Property returns a property's value.
func (r *Replica) Property(name string) (Variant, error) {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	if r.impl.class == nil {
		return Variant{}, ErrNotValid
	}
	i := r.impl.class.PropertyIndex(name)
	if i < 0 {
		return Variant{}, fmt.Errorf("%w: property %q", ErrNoSuchMember, name)
	}
	return r.impl.values[i], nil
}

// Values returns a copy of all property values.
func (r *Replica) Values() []Variant {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	return append([]Variant(nil), r.impl.values...)
}

// SetProperty writes a property on the source (an Invoke with call=2). A
// static replica may write only READWRITE properties, like Qt's generated
// setters; the new value arrives back as a property change.
func (r *Replica) SetProperty(name string, x any) error {
	ri := r.impl
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.class == nil || ri.state != Valid {
		return ErrNotValid
	}
	i := ri.class.PropertyIndex(name)
	if i < 0 {
		return fmt.Errorf("%w: property %q", ErrNoSuchMember, name)
	}
	p := &ri.class.Properties[i]
	if ri.static != nil && !p.Writable() {
		return fmt.Errorf("%w: %s is %s", ErrNotWritable, name, p.Modifier)
	}
	v, err := ri.class.Coerce(p.Type, x)
	if err != nil {
		return err
	}
	return ri.sendLocked(&wire.Invoke{Name: ri.name, Call: wire.CallWriteProperty, Index: int32(i),
		Args: []Variant{v}, Serial: -1, PropertyIndex: -1})
}

// PendingCall is a slot call awaiting its reply (QRemoteObjectPendingCall).
type PendingCall struct {
	ch     chan callResult
	impl   *replicaImpl
	serial int32
	once   sync.Mutex // serialises Wait calls
	done   bool
	res    callResult
}

// Wait returns the reply, or an error when ctx ends first (Qt never fails
// a lost reply; qtro's client-side timeout is the context) or the
// connection drops. A Wait that times out leaves the call pending, so a
// later Wait still gets a late reply; Cancel forgets it.
func (p *PendingCall) Wait(ctx context.Context) (Variant, error) {
	p.once.Lock()
	defer p.once.Unlock()
	if p.done {
		return p.res.v, p.res.err
	}
	select {
	case res := <-p.ch:
		p.res, p.done = res, true
		return res.v, res.err
	case <-ctx.Done():
		return Variant{}, ctx.Err()
	}
}

// Cancel forgets the call: a reply arriving later is dropped.
func (p *PendingCall) Cancel() {
	p.impl.mu.Lock()
	delete(p.impl.pending, p.serial)
	p.impl.mu.Unlock()
}

// Serial returns the serial id the call was sent with.
func (p *PendingCall) Serial() int32 { return p.serial }

// Invoke calls a slot (by name or signature). For a method with a return
// value it asks for a reply and returns a PendingCall; for a void method it
// sends no serial (as Qt) and returns a PendingCall already complete, whose
// Wait returns an invalid Variant and nil.
func (r *Replica) Invoke(method string, args ...any) (*PendingCall, error) {
	ri := r.impl
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.class == nil || ri.state != Valid {
		return nil, ErrNotValid
	}
	i := ri.class.MethodIndex(method)
	if i < 0 {
		return nil, fmt.Errorf("%w: method %q", ErrNoSuchMember, method)
	}
	m := &ri.class.Methods[i]
	if len(args) != len(m.Params) {
		return nil, fmt.Errorf("%w: %s takes %d arguments, got %d", qds.ErrBadValue, m.Signature, len(m.Params), len(args))
	}
	vs := make([]Variant, len(args))
	for k, a := range args {
		v, err := ri.class.Coerce(m.Params[k].Type, a)
		if err != nil {
			return nil, fmt.Errorf("%s argument %d: %w", m.Name, k, err)
		}
		vs[k] = v
	}
	return ri.invokeLocked(i, vs, !m.Void())
}

// InvokeIndex calls method i with arguments already of the right types,
// asking for a reply when wantReply is set (otherwise the PendingCall is
// already complete, as Invoke's for a void method).
func (r *Replica) InvokeIndex(i int, args []Variant, wantReply bool) (*PendingCall, error) {
	ri := r.impl
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.class == nil || ri.state != Valid {
		return nil, ErrNotValid
	}
	return ri.invokeLocked(i, args, wantReply)
}

func (ri *replicaImpl) invokeLocked(i int, args []Variant, wantReply bool) (*PendingCall, error) {
	serial := int32(-1)
	pc := &PendingCall{impl: ri, serial: serial, done: true} // no reply to wait for
	if wantReply {
		// Serials start at 1 (0 is the heartbeat's). Unlike Qt, which sticks
		// at 1 after INT_MAX, wrap around to 1.
		ri.serial++
		if ri.serial <= 0 {
			ri.serial = 1
		}
		serial = ri.serial
		pc = &PendingCall{ch: make(chan callResult, 1), impl: ri, serial: serial}
		ri.pending[serial] = pc.ch
	}
	if ri.conn != nil {
		if q, d := ri.conn.queue(); d == wire.Qt6 && q != nil {
			// Registry locations are kept in Qt 5 spelling; send the dialect's
			// names, and the connection's spelling of RegisterQt6Spellings.
			t := spellingOf(d, &q.spelling, 0)
			la := make([]Variant, len(args))
			for k, a := range args {
				la[k] = localize(d, t, a)
			}
			args = la
		}
	}
	if err := ri.sendLocked(&wire.Invoke{Name: ri.name, Call: wire.CallInvokeMethod, Index: int32(i),
		Args: args, Serial: serial, PropertyIndex: -1}); err != nil {
		if wantReply {
			delete(ri.pending, serial)
		}
		return nil, err
	}
	return pc, nil
}

// Call invokes a method and waits for its reply (void methods return at
// once with an invalid Variant).
func (r *Replica) Call(ctx context.Context, method string, args ...any) (Variant, error) {
	pc, err := r.Invoke(method, args...)
	if err != nil {
		return Variant{}, err
	}
	v, err := pc.Wait(ctx)
	if err != nil {
		pc.Cancel()
	}
	return v, err
}

// Subscribe calls fn for every event of the replica, in order, one call at
// a time, until the returned function is called. fn runs on the
// connection's reading goroutine while it keeps up, else on a goroutine of
// the subscription; one that runs for 100 ms is moved off the connection
// for good (SlowCallbackError), so a slow fn delays only its own events
// (up to Config.MaxQueuedEvents, then newer ones are dropped and an
// OverflowError is reported to Node.OnError). See the package doc. A call's reply is handed
// over after the subscriptions of the replica got the events that came
// before it, so a subscription that blocks delays the replies of its
// replica's calls (Wait's context bounds that).
func (r *Replica) Subscribe(fn func(Event)) (cancel func()) {
	ri := r.impl
	d := newDeliverer(fn, ri.n.cfg.MaxQueuedEvents)
	ri.mu.Lock()
	id := ri.nextSub
	ri.nextSub++
	ri.subs[id] = d
	ri.rebuildSubsLocked()
	ri.mu.Unlock()
	r.mu.Lock()
	r.subs = append(r.subs, id)
	r.mu.Unlock()
	return func() {
		ri.mu.Lock()
		delete(ri.subs, id)
		ri.rebuildSubsLocked()
		ri.mu.Unlock()
		d.cancel()
	}
}

// Child returns the child replica held by a CLASS property (nil before the
// parent's Init, or if the pointer is null). It lives as long as its parent.
func (r *Replica) Child(prop string) *Replica {
	r.impl.mu.Lock()
	defer r.impl.mu.Unlock()
	if r.impl.class == nil {
		return nil
	}
	ch := r.impl.children[r.impl.class.PropertyIndex(prop)]
	if ch == nil {
		return nil
	}
	return &Replica{impl: ch}
}

// IsDynamic reports whether the replica's class comes from the source
// (AcquireDynamic). Handles of one source share one implementation, whose
// kind is that of the handle that created it.
func (r *Replica) IsDynamic() bool { return r.impl.static == nil }

// Resolve finds the replica that has member (a property, signal or
// method name) and the member's name there: "name" is r's own, "prop.name"
// that of the child replica of CLASS property prop.
func (r *Replica) Resolve(member string) (*Replica, string, error) {
	prop, rest, ok := cutChild(member)
	if !ok {
		return r, member, nil
	}
	if ch := r.Child(prop); ch != nil && ch.Class() != nil {
		return ch, rest, nil
	}
	return nil, "", fmt.Errorf("%w: no child object %s", ErrNoSuchMember, prop)
}

// Release drops this handle (Qt: deleting the replica). When the last
// handle of a source is released the node sends RemoveObject. Releasing a
// child replica's handle does nothing: children go with their parent.
func (r *Replica) Release() {
	if r.impl.isChild {
		return
	}
	r.mu.Lock()
	if r.released {
		r.mu.Unlock()
		return
	}
	r.released = true
	subs := r.subs
	r.mu.Unlock()
	r.impl.n.release(r.impl, subs)
}
