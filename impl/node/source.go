package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// MethodHandler runs a slot invoked from a replica. args are converted to
// the method's parameter types; the result is sent back when the replica
// asked for a reply (an invalid Variant for void methods).
type MethodHandler func(ctx context.Context, args []Variant) (Variant, error)

// Source is a Go object remoted by a Host: the QObject a Qt program passes
// to enableRemoting. Its members are described by a meta.Class; it holds
// the property values, and it sends property changes and signals to every
// replica that acquired it.
//
// All methods are safe for concurrent use.
type Source struct {
	class *Class

	// mu is shared by a root source and its children (CLASS members), so
	// one lock orders all traffic of the object tree.
	mu        *sync.Mutex
	host      *Host
	name      string
	parent    *Source   // for a child: the source whose property holds it
	prop      string    // for a child: that property's name
	children  []*Source // by property index; nil where the property is not a CLASS
	values    []Variant
	handlers  map[int]MethodHandler
	listeners listenerSet
	encs      wire.ByDialect[*qds.Encoder] // per dialect, for encoding a change once for all listeners
	observers []observer                   // copy on write
	nextObs   int

	// On a root: the Init and InitDynamic frames last sent, per dialect, to
	// a connection that had no class definitions yet. Every replica of a
	// storm gets the same bytes, so they are encoded once (and the deep
	// encode no longer grows each connection goroutine's stack). An entry
	// is good while the tree's values (valGen) and the host's remoted set
	// (Host.gen) are what they were when it was made.
	inits  wire.ByDialect[[2]initFrame]
	valGen uint64 // counts value changes in the tree

	// Reused under mu, so a change or signal costs no allocation.
	pc   wire.PropertyChangePacket
	inv  wire.Invoke
	args [1]Variant
	la   []Variant // a signal's arguments in a dialect's spelling, reused

	spelling int          // SetQt6Spelling, on a root; under mu
	replying map[int]bool // methods of HandleMethodReplying; under mu
}

// SourceEvent tells local observers what happened to a source: a property
// written by a replica, or a method invoked.
type SourceEvent struct {
	Property int // index of a property that changed, or -1
	Method   int // index of a method that was invoked, or -1
	Value    Variant
	Args     []Variant
	// Changed (Property >= 0) says whether the write changed the value: a
	// replica's write of the value the property holds is reported too.
	Changed bool
}

// NewSource returns a source of class c with every property at its default.
// Push slots of READPUSH properties are handled: they set the property.
func NewSource(c *Class) *Source { return newSource(c, &sync.Mutex{}, nil, "") }

func newSource(c *Class, mu *sync.Mutex, parent *Source, prop string) *Source {
	s := &Source{class: c, mu: mu, parent: parent, prop: prop, handlers: map[int]MethodHandler{}}
	s.values = make([]Variant, len(c.Properties))
	s.children = make([]*Source, len(c.Properties))
	for i := range c.Properties {
		s.values[i] = c.Properties[i].Default
		if c.Properties[i].Kind == meta.ChildProp {
			if ch := c.Properties[i].Child; ch != nil {
				s.children[i] = newSource(ch, mu, s, c.Properties[i].Name)
			} else {
				s.values[i] = s.nullChild(i)
			}
		}
	}
	for i := range c.Methods {
		if p := c.Methods[i].Property; p >= 0 {
			prop := p
			s.handlers[i] = func(_ context.Context, args []Variant) (Variant, error) {
				if len(args) != 1 {
					return Variant{}, fmt.Errorf("%w: push slot takes one argument", qds.ErrBadValue)
				}
				return Variant{}, s.SetPropertyIndex(prop, args[0])
			}
		}
	}
	return s
}

// nullChild is the value of a CLASS property holding no object.
func (s *Source) nullChild(i int) Variant {
	p := &s.class.Properties[i]
	typ := p.Type
	if p.Child != nil && p.Child.TypeName != "" {
		typ = p.Child.TypeName
	}
	return qds.UserOf(wire.ChildObjectType, wire.ChildObject{Name: p.Name, TypeName: qds.Str(typ), Kind: wire.ChildClass, IsNull: true})
}

// Child returns the source of a CLASS property (nil if the property is not
// one). Its properties, signals and slots work like a root source's; its
// traffic goes to the replicas of the root.
func (s *Source) Child(prop string) *Source {
	i := s.class.PropertyIndex(prop)
	if i < 0 {
		return nil
	}
	return s.children[i]
}

// Resolve finds the source that has member (a property, signal or
// method name) and the member's name there: "name" is s's own, "prop.name"
// that of the child source of CLASS property prop.
func (s *Source) Resolve(member string) (*Source, string, error) {
	prop, rest, ok := cutChild(member)
	if !ok {
		return s, member, nil
	}
	if ch := s.Child(prop); ch != nil {
		return ch, rest, nil
	}
	return nil, "", fmt.Errorf("%w: no child object %s", ErrNoSuchMember, prop)
}

// ParentProperty is the CLASS property that holds s in its parent; "" for
// a root source.
func (s *Source) ParentProperty() string { return s.prop }

// cutChild splits "prop.member" (a signature's parameter types may hold
// dots, the property's name does not).
func cutChild(member string) (prop, rest string, ok bool) {
	prop, rest, ok = strings.Cut(member, ".")
	if !ok || strings.Contains(prop, "(") {
		return "", member, false
	}
	return prop, rest, true
}

func (s *Source) root() *Source {
	for s.parent != nil {
		s = s.parent
	}
	return s
}

// wireName is the name packets about s carry in dialect d: the remoted
// name for a root, Qt's child naming for a child (§4.8).
func (s *Source) wireName(d Dialect) string {
	if s.parent == nil {
		return s.name
	}
	return d.ChildName("Class", s.parent.wireName(d), s.prop)
}

// findChild returns the child (at any depth) that packets call name in d.
func (s *Source) findChild(d Dialect, name string) *Source {
	for _, ch := range s.children {
		if ch == nil {
			continue
		}
		if ch.wireName(d) == name {
			return ch
		}
		if g := ch.findChild(d, name); g != nil {
			return g
		}
	}
	return nil
}

// Class returns the source's class.
func (s *Source) Class() *Class { return s.class }

// Name returns the name the source is remoted under ("" if not remoted).
func (s *Source) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root().name
}

// Property returns a property's current value.
func (s *Source) Property(name string) (Variant, error) {
	i := s.class.PropertyIndex(name)
	if i < 0 {
		return Variant{}, fmt.Errorf("%w: property %q", ErrNoSuchMember, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[i], nil
}

// Values returns a copy of all property values.
func (s *Source) Values() []Variant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Variant(nil), s.values...)
}

// SetProperty sets a property from a Go value (converted to the property's
// type). Like a repc-generated setter, a value equal to the current one
// changes nothing; otherwise every replica gets a PropertyChange followed by
// the notify signal, in one write.
func (s *Source) SetProperty(name string, x any) error {
	i := s.class.PropertyIndex(name)
	if i < 0 {
		return fmt.Errorf("%w: property %q", ErrNoSuchMember, name)
	}
	return s.SetPropertyIndex(i, x)
}

// SetPropertyIndex is SetProperty by index.
func (s *Source) SetPropertyIndex(i int, x any) error {
	_, err := s.setIndex(i, x)
	return err
}

// setIndex is SetPropertyIndex; it reports whether the value changed.
func (s *Source) setIndex(i int, x any) (changed bool, err error) {
	if i < 0 || i >= len(s.class.Properties) {
		return false, fmt.Errorf("%w: property index %d", ErrNoSuchMember, i)
	}
	p := &s.class.Properties[i]
	if p.Kind == meta.ChildProp {
		return false, fmt.Errorf("%w: %s is a CLASS member; use Child", ErrNotWritable, p.Name)
	}
	v, err := s.class.Coerce(p.Type, x)
	if err != nil {
		return false, fmt.Errorf("property %s: %w", p.Name, err)
	}
	return s.store(i, p, v), nil
}

// SetPropertyValue is SetPropertyIndex for a value already held in a
// Variant: of the property's own type it is stored as it is, with no
// conversion and no allocation (a program that sends millions of changes
// a second, such as loadgen's hosts); of another type it is converted as
// SetPropertyIndex converts it.
func (s *Source) SetPropertyValue(i int, v Variant) error {
	if i < 0 || i >= len(s.class.Properties) {
		return fmt.Errorf("%w: property index %d", ErrNoSuchMember, i)
	}
	p := &s.class.Properties[i]
	// A built-in type the Variant already has is what Coerce would return.
	if id, ok := qds.TypeByName(p.Type); !ok || id != v.Type() || id == qds.QVariant || p.Kind == meta.ChildProp {
		return s.SetPropertyIndex(i, v)
	}
	s.store(i, p, v)
	return nil
}

// store sets property i to v, already of its type, and tells the replicas;
// it reports whether the value changed.
func (s *Source) store(i int, p *meta.Property, v Variant) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values[i].SameValue(v) {
		return false
	}
	s.values[i] = v
	s.root().valGen++
	if p.Notify < 0 {
		return true // no notify signal: replicas only see it on their next Init
	}
	s.broadcastLocked(bcastChange, i, nil)
	return true
}

// Emit emits a signal with arguments converted to its parameter types
// (Go values or Variants, as SetProperty takes).
func (s *Source) Emit(signal string, args ...any) error {
	i := s.class.SignalIndex(signal)
	if i < 0 {
		return fmt.Errorf("%w: signal %q", ErrNoSuchMember, signal)
	}
	return s.EmitIndex(i, args...)
}

// EmitIndex is Emit by signal index.
func (s *Source) EmitIndex(i int, args ...any) error {
	sig, err := s.signal(i, len(args))
	if err != nil {
		return err
	}
	vs := make([]Variant, len(args))
	for k, a := range args {
		v, err := s.class.Coerce(sig.Params[k].Type, a)
		if err != nil {
			return fmt.Errorf("signal %s argument %d: %w", sig.Name, k, err)
		}
		vs[k] = v
	}
	s.emit(i, vs)
	return nil
}

// EmitValues is EmitIndex for arguments already held in Variants: those
// of their parameter's own built-in type are sent as they are, with no
// conversion and, when the caller passes a slice it keeps (args...), no
// allocation; any other argument is converted as EmitIndex converts it.
func (s *Source) EmitValues(i int, args ...Variant) error {
	sig, err := s.signal(i, len(args))
	if err != nil {
		return err
	}
	for k, a := range args {
		if id, ok := qds.TypeByName(sig.Params[k].Type); !ok || id != a.Type() || id == qds.QVariant {
			anys := make([]any, len(args))
			for j, v := range args {
				anys[j] = v
			}
			return s.EmitIndex(i, anys...)
		}
	}
	s.emit(i, args)
	return nil
}

// signal returns signal i if it exists and takes n arguments.
func (s *Source) signal(i, n int) (*meta.Method, error) {
	if i < 0 || i >= len(s.class.Signals) {
		return nil, fmt.Errorf("%w: signal index %d", ErrNoSuchMember, i)
	}
	sig := &s.class.Signals[i]
	if n != len(sig.Params) {
		return nil, fmt.Errorf("%w: signal %s takes %d arguments, got %d", qds.ErrBadValue, sig.Signature, len(sig.Params), n)
	}
	return sig, nil
}

// emit sends signal i with arguments already of its types (the
// registry's, whose user types Coerce does not know).
func (s *Source) emit(i int, args []Variant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broadcastLocked(bcastSignal, i, args)
}

// What broadcastLocked sends.
const (
	bcastChange = iota // PropertyChange of property i and its notify Invoke
	bcastSignal        // Invoke of signal i with args
)

// encodeLocked appends the packets of a broadcast in dialect d, with
// the type names of spelling t.
func (s *Source) encodeLocked(e *qds.Encoder, d Dialect, t *renames, kind, i int, args []Variant) {
	name := s.wireName(d)
	s.inv = wire.Invoke{Name: name, Call: wire.CallInvokeMethod, Index: int32(i), Serial: -1, PropertyIndex: -1}
	switch kind {
	case bcastChange:
		lv := localize(d, t, s.values[i])
		if !mutating("drop-property-change") {
			s.pc = wire.PropertyChangePacket{Name: name, Index: int32(i), Value: lv}
			wire.AppendPacket(e, &s.pc)
		}
		s.args[0] = lv
		s.inv.Index, s.inv.Args, s.inv.PropertyIndex = int32(s.class.Properties[i].Notify), s.args[:], int32(i)
	case bcastSignal:
		s.inv.Args = args
		if d == wire.Qt6 {
			s.la = s.la[:0]
			for _, a := range args {
				s.la = append(s.la, localize(d, t, a))
			}
			s.inv.Args = s.la
		}
	}
	wire.AppendPacket(e, &s.inv)
	s.inv.Args, s.args[0], s.pc.Value = nil, Variant{}, Variant{}
	clear(s.la) // hold no values between broadcasts
}

// HandleMethod installs the handler of a slot (by name or signature).
func (s *Source) HandleMethod(method string, h MethodHandler) error {
	i := s.class.MethodIndex(method)
	if i < 0 {
		return fmt.Errorf("%w: method %q", ErrNoSuchMember, method)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[i] = h
	return nil
}

// Observe calls fn for property writes and method calls coming from
// replicas, after they took effect, in order, until the returned function
// is called. fn runs on a goroutine of this subscription, never on a
// connection's, so a slow fn delays no replica: up to
// Config.MaxQueuedEvents of the host remoting the source (the default
// before it is remoted), then newer events are dropped and an
// OverflowError is reported to Host.OnError.
func (s *Source) Observe(fn func(SourceEvent)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	max := defaultMaxQueuedEvents
	if h := s.root().host; h != nil {
		max = h.cfg.MaxQueuedEvents
	}
	d := newDeliverer(fn, max)
	id := s.nextObs
	s.nextObs++
	s.observers = append(s.observers[:len(s.observers):len(s.observers)], observer{id, d}) // copy on write
	return func() {
		s.mu.Lock()
		for i, o := range s.observers {
			if o.id == id {
				s.observers = append(s.observers[:i:i], s.observers[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		d.cancel()
	}
}

type observer struct {
	id int
	d  *deliverer[SourceEvent]
}

// orphanDeliveries counts deliveries of sources no host remotes any more
// (nobody waits for them).
var orphanDeliveries drainGroup

// notify queues ev for the observers obs of s, on behalf of host h (nil
// if s is no longer remoted).
func (s *Source) notify(h *Host, obs []observer, ev SourceEvent) {
	g := &orphanDeliveries
	if h != nil {
		g = &h.cbs
	}
	for _, o := range obs {
		if n, first := o.d.push(g, ev); n > 0 && h != nil {
			h.counters.droppedEvents.Add(uint64(n))
			if first {
				h.errs.report(&OverflowError{Of: "source", Name: s.Name(), Limit: o.d.max})
			}
		}
	}
}

// inlineBroadcast is how many listeners of one broadcast may be written
// inline by the broadcasting goroutine (under s.mu; non-blocking). The rest
// go to their writer goroutines, which spread a large fan-out over the CPUs.
const inlineBroadcast = 8

// broadcastLocked encodes packets once per dialect in use and queues the
// bytes on every listener. Called with s.mu held, which orders all of a
// source's traffic on each connection.
func (s *Source) broadcastLocked(kind, i int, args []Variant) {
	root := s.root()
	if root.listeners.len() == 0 || root.host == nil {
		return
	}
	var frames wire.ByDialect[[]byte]
	var failed wire.ByDialect[bool]
	var spelt []speltFrame // frames in a spelling other than the dialect's default
	inline := inlineBroadcast
	for _, c := range root.listeners.list {
		d := c.d
		if failed.Get(d) {
			continue
		}
		t := spellingOf(d, &c.q.spelling, root.spelling)
		var frame []byte
		if t == spellingOf(d, nil, root.spelling) {
			if frames.Get(d) == nil {
				f, err := s.encodeFrameLocked(root, d, t, kind, i, args)
				if err != nil {
					failed.Set(d, true)
					continue
				}
				frames.Set(d, f)
			}
			frame = frames.Get(d)
		} else {
			k := slices.IndexFunc(spelt, func(f speltFrame) bool { return f.t == t })
			if k < 0 {
				f, err := s.encodeFrameLocked(root, d, t, kind, i, args)
				if err != nil {
					continue
				}
				spelt = append(spelt, speltFrame{t: t, frame: slices.Clone(f)})
				k = len(spelt) - 1
			}
			frame = spelt[k].frame
		}
		if err := c.q.sendRaw(frame, inline > 0); err != nil {
			c.fail(err)
		}
		inline--
	}
}

// speltFrame is a broadcast's frame in one spelling (RegisterQt6Spellings).
type speltFrame struct {
	t     *renames
	frame []byte
}

// encodeFrameLocked encodes a broadcast for dialect d and spelling t with
// the source's encoder of d; the bytes are valid until its next use.
func (s *Source) encodeFrameLocked(root *Source, d Dialect, t *renames, kind, i int, args []Variant) ([]byte, error) {
	e := s.encs.Get(d)
	if e == nil {
		e = qds.NewEncoder(nil, d.Stream(), root.host.types.Get(d))
		s.encs.Set(d, e)
	}
	e.Reset(e.Bytes()[:0])
	s.encodeLocked(e, d, t, kind, i, args)
	if err := e.Err(); err != nil {
		root.host.cfg.Logger.Warn("cannot encode for replicas", "source", s.wireName(d), "dialect", d, "err", err)
		return nil, err
	}
	return e.Bytes(), nil
}

// initFrame is one cached Init or InitDynamic frame (Source.inits).
type initFrame struct {
	frame   []byte
	types   []string // the child class definitions it carries
	hostGen uint64
	valGen  uint64
}

// initFrameLocked returns the encoded Init (or InitDynamic) frame for a new
// listener c of this root source, from the cache when it holds the same
// bytes. The frame is shared: callers copy it, never change it. c.types
// cannot make c's bytes differ from another connection's: it only adds
// gadgets from definitions a client sent, and a type the host knows always
// wins (wire.ClassDef.RegisterGadgets), so the host's values encode alike.
func (s *Source) initFrameLocked(c *hostConn, dynamic bool) ([]byte, error) {
	cacheable := !mutating("misorder-init") && !mutating("empty-init") && c.typesSentCount() == 0 &&
		spellingOf(c.d, &c.q.spelling, s.spelling) == spellingOf(c.d, nil, s.spelling) // the cache holds the preferred spelling
	k := 0
	if dynamic {
		k = 1
	}
	e := &s.inits.At(c.d)[k]
	gen := s.host.gen.Load()
	if cacheable && e.frame != nil && e.hostGen == gen && e.valGen == s.valGen {
		c.noteTypesSent(e.types)
		return e.frame, nil
	}
	p := s.initPacketLocked(c, dynamic)
	enc := qds.NewEncoder(nil, c.d.Stream(), c.types)
	wire.AppendPacket(enc, p)
	if err := enc.Err(); err != nil {
		return nil, &wire.ProtocolError{Code: ProtocolMismatch, Packet: p.Type(), Err: err}
	}
	if cacheable {
		*e = initFrame{frame: enc.Bytes(), types: c.typesSent(), hostGen: gen, valGen: s.valGen}
	}
	return enc.Bytes(), nil
}

// initPacketLocked builds the Init or InitDynamic packet for a new listener.
func (s *Source) initPacketLocked(c *hostConn, dynamic bool) wire.Packet {
	vals := s.valuesLocked(c, dynamic)
	if mutating("misorder-init") {
		for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	if mutating("empty-init") {
		vals = nil
	}
	if dynamic {
		return &wire.InitDynamic{Name: s.name, Class: s.class.Definition(), Values: vals}
	}
	return &wire.Init{Name: s.name, Values: vals}
}

// valuesLocked returns the property values as sent to c, with each child
// as a QRO_ descriptor carrying the child's own values.
func (s *Source) valuesLocked(c *hostConn, dynamic bool) []Variant {
	vals := make([]Variant, len(s.values))
	for i, v := range s.values {
		vals[i] = localize(c.d, spellingOf(c.d, &c.q.spelling, s.root().spelling), v)
		if ch := s.children[i]; ch != nil {
			vals[i] = ch.descriptorLocked(c, dynamic)
		}
	}
	return vals
}

// descriptorLocked is the QRO_ value of a child source. The class
// definition is included only for dynamic replicas, and only the first
// time the child's type is sent on the connection, as Qt does.
func (s *Source) descriptorLocked(c *hostConn, dynamic bool) Variant {
	ch := wire.ChildObject{Name: s.wireName(c.d), TypeName: qds.Str(s.class.TypeName), Kind: wire.ChildClass}
	if dynamic && c.noteTypeSent(s.class.TypeName) {
		def := s.class.Definition()
		if b, err := wire.EncodeDefinition(c.d, c.types, &def); err == nil {
			ch.Definition = b
		}
	}
	ch.Parameters = s.valuesLocked(c, dynamic)
	return qds.UserOf(wire.ChildObjectType, ch)
}

// invoke runs method i for a replica and returns the reply value, and a
// function (nil if none) that tells observers: the caller runs it after
// queueing the reply, so that starting their delivery is not on the
// round trip's path.
func (s *Source) invoke(ctx context.Context, i int, args []Variant) (_ Variant, handled bool, notify func(), _ error) {
	m := &s.class.Methods[i]
	conv := make([]Variant, len(args))
	for k, a := range args {
		conv[k] = a
		if k < len(m.Params) {
			if v, err := s.class.Coerce(m.Params[k].Type, a); err == nil {
				conv[k] = v
			}
		}
	}
	s.mu.Lock()
	h := s.handlers[i]
	obs := s.observers
	host := s.root().host
	s.mu.Unlock()
	if h == nil {
		return Variant{}, false, nil, nil
	}
	out, err := h(ctx, conv)
	if len(obs) > 0 {
		ev := SourceEvent{Property: -1, Method: i, Args: conv, Value: out}
		notify = func() { s.notify(host, obs, ev) }
	}
	if err == nil && !m.Void() && out.IsValid() {
		if v, cerr := s.class.Coerce(m.ReturnType, out); cerr == nil {
			out = v
		}
	}
	return out, true, notify, err
}

// write handles a property write from a replica (call=2).
func (s *Source) write(i int, v Variant) error {
	p := &s.class.Properties[i]
	if !p.Writable() {
		return fmt.Errorf("%w: %s is %s", ErrNotWritable, p.Name, p.Modifier)
	}
	changed, err := s.setIndex(i, v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	obs := s.observers
	cur := s.values[i]
	host := s.root().host
	s.mu.Unlock()
	if len(obs) > 0 {
		s.notify(host, obs, SourceEvent{Property: i, Method: -1, Value: cur, Changed: changed})
	}
	return nil
}

// localize renames the registry's user types to the dialect's names (the
// registry source keeps Qt 5 names internally), and the types of
// RegisterQt6Spellings by t, the connection's spelling (spellingOf).
func localize(d Dialect, t *renames, v Variant) Variant {
	if d != wire.Qt6 || v.Type() != qds.User {
		return v
	}
	switch v.TypeName() {
	case wire.Qt5.SourceLocationType():
		return qds.UserOf(wire.Qt6.SourceLocationType(), v.Value())
	case wire.Qt5.SourceLocationsType():
		return qds.UserOf(wire.Qt6.SourceLocationsType(), v.Value())
	}
	if r, ok := t.rename(v); ok {
		return r
	}
	return v
}

// listenerSet is a source's listening connections: a slice to broadcast
// over and an index to remove from. (A map was iterated per change, and a
// Go map that once held a storm's 10,000 connections keeps iterating like
// one: every later change cost 15 µs.)
type listenerSet struct {
	list []*hostConn
	at   map[*hostConn]int
}

func (s *listenerSet) len() int { return len(s.list) }

func (s *listenerSet) add(c *hostConn) {
	if _, ok := s.at[c]; ok {
		return
	}
	if s.at == nil {
		s.at = map[*hostConn]int{}
	}
	s.at[c] = len(s.list)
	s.list = append(s.list, c)
}

func (s *listenerSet) remove(c *hostConn) {
	i, ok := s.at[c]
	if !ok {
		return
	}
	last := len(s.list) - 1
	if i != last {
		s.list[i] = s.list[last]
		s.at[s.list[i]] = i
	}
	s.list[last] = nil
	s.list = s.list[:last]
	delete(s.at, c)
	if cap(s.list) > 64 && len(s.list) < cap(s.list)/4 {
		// Give a storm's memory back, index included.
		s.list = append([]*hostConn(nil), s.list...)
		at := make(map[*hostConn]int, len(s.list))
		for k, c := range s.list {
			at[c] = k
		}
		s.at = at
	}
}

// take empties the set and returns what it held.
func (s *listenerSet) take() []*hostConn {
	l := s.list
	*s = listenerSet{}
	return l
}
