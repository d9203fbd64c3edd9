package qds

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Codec reads and writes the bare value of one user type. Faults are reported
// through the Decoder's or Encoder's Fail, as everywhere in this package.
type Codec interface {
	// Decode reads a value; what it returns is what Variant.Value gives.
	Decode(d *Decoder) any
	// Encode writes v, a value of the form Decode returns.
	Encode(e *Encoder, v any)
}

// Types maps user type names to codecs, the way QMetaType's registry does in
// a Qt process. A connection's Types usually has a parent holding the
// dialect's fixed types and adds the gadgets it learns from class definitions.
//
// Lookups are lock-free; registration copies the map (it is rare).
type Types struct {
	parent    *Types
	mu        sync.Mutex
	m         atomic.Pointer[map[string]Codec]
	templates atomic.Int32 // template codecs cached so far
}

// Template names come from the wire, so resolving them is bounded: nesting
// depth, and how many resolved templates a registry caches.
const (
	maxTemplateDepth  = 8
	maxCachedTemplate = 256
)

// NewTypes returns an empty registry that falls back to parent (may be nil).
func NewTypes(parent *Types) *Types { return &Types{parent: parent} }

// Register adds or replaces the codec for name.
func (t *Types) Register(name string, c Codec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	n := make(map[string]Codec, 1)
	if old != nil {
		for k, v := range *old {
			n[k] = v
		}
	}
	n[name] = c
	t.m.Store(&n)
}

// Each calls fn for every codec registered directly in t (not its parents).
func (t *Types) Each(fn func(name string, c Codec)) {
	if m := t.m.Load(); m != nil {
		for k, v := range *m {
			fn(k, v)
		}
	}
}

// Has reports whether name is registered here or in a parent (templates of
// known types count, as Lookup resolves them).
func (t *Types) Has(name string) bool { return t.Lookup(name) != nil }

// Lookup returns the codec for name, or nil. Container templates of known
// element types (QList<int>, QMap<QString,MyPod>, std::pair<A,B>, ...) are
// resolved on demand, as Qt registers such containers automatically.
func (t *Types) Lookup(name string) Codec { return t.lookup(name, 0) }

func (t *Types) lookup(name string, depth int) Codec {
	if c := t.lookupRegistered(name); c != nil {
		return c
	}
	if depth >= maxTemplateDepth {
		return nil
	}
	c := t.template(name, depth+1)
	if c != nil && t != nil && t.templates.Add(1) <= maxCachedTemplate {
		t.Register(name, c)
	}
	return c
}

func (t *Types) lookupRegistered(name string) Codec {
	for ; t != nil; t = t.parent {
		if m := t.m.Load(); m != nil {
			if c, ok := (*m)[name]; ok {
				return c
			}
		}
	}
	return nil
}

// Element describes how a value of a named type sits inside a container: a
// built-in bare value, a user type's bare value, or a full QVariant.
type Element struct {
	Name    string
	Type    TypeID // built-in type, or User
	Codec   Codec  // for User
	Variant bool   // the element is itself a QVariant
}

// ElementFor resolves a type name used inside a container or gadget.
func (t *Types) ElementFor(name string) (Element, bool) { return t.elementFor(name, 0) }

func (t *Types) elementFor(name string, depth int) (Element, bool) {
	name = strings.TrimSpace(name)
	if name == "QVariant" {
		return Element{Name: name, Variant: true}, true
	}
	if id, ok := TypeByName(name); ok && known(id) {
		return Element{Name: name, Type: id}, true
	}
	if c := t.lookup(name, depth); c != nil {
		return Element{Name: name, Type: User, Codec: c}, true
	}
	return Element{}, false
}

// Decode reads one element and returns it as a Variant.
func (el Element) Decode(d *Decoder) Variant {
	switch {
	case el.Variant:
		return d.Variant()
	case el.Type == User:
		if !d.Enter(el.Name) {
			return Variant{}
		}
		v := el.Codec.Decode(d)
		d.Leave()
		return Variant{typ: User, name: el.Name, ref: v}
	}
	return d.Value(el.Type)
}

// Encode writes one element.
func (el Element) Encode(e *Encoder, v Variant) {
	switch {
	case el.Variant:
		e.Variant(v)
	case el.Type == User:
		el.Codec.Encode(e, v.ref)
	default:
		v.typ = el.Type
		e.Value(v)
	}
}

// minSize is the fewest bytes an element can occupy, used to bound counts.
func (el Element) minSize() int {
	if el.Variant {
		return 5
	}
	switch el.Type {
	case Bool, Char, SChar, UChar, User, Nullptr:
		return 1
	case Short, UShort, QChar, Char16:
		return 2
	case LongLong, ULongLong, Long, ULong, Double, Float, QDate:
		return 8
	}
	return 4
}

// template builds a codec for a container spelled out in name.
func (t *Types) template(name string, depth int) Codec {
	open := strings.IndexByte(name, '<')
	if open <= 0 || !strings.HasSuffix(name, ">") {
		return nil
	}
	outer := name[:open]
	args := SplitTopLevel(name[open+1 : len(name)-1])
	switch outer {
	case "QList", "QVector", "QSet", "QQueue", "QStack", "std::vector", "std::list":
		if len(args) != 1 {
			return nil
		}
		el, ok := t.elementFor(args[0], depth)
		if !ok {
			return nil
		}
		return &ListCodec{Elem: el}
	case "QMap", "QHash", "QMultiMap", "QMultiHash", "std::map":
		if len(args) != 2 {
			return nil
		}
		k, ok1 := t.elementFor(args[0], depth)
		v, ok2 := t.elementFor(args[1], depth)
		if !ok1 || !ok2 {
			return nil
		}
		return &MapCodec{Key: k, Value: v}
	case "QPair", "std::pair":
		if len(args) != 2 {
			return nil
		}
		a, ok1 := t.elementFor(args[0], depth)
		b, ok2 := t.elementFor(args[1], depth)
		if !ok1 || !ok2 {
			return nil
		}
		return &PairCodec{First: a, Second: b}
	}
	return nil
}

// SplitTopLevel splits a C++ type or parameter list such as
// "A, QMap<B,C>" at its commas outside angle brackets, and trims the
// spaces around each part: ["A", "QMap<B,C>"]. An empty s gives one empty
// part. It is the one bracket-aware split of qtro (template arguments,
// signature parameters, .rep parameter lists).
func SplitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// ListCodec carries QList<T>-like containers as []Variant of element values.
type ListCodec struct{ Elem Element }

// Decode implements Codec.
func (c *ListCodec) Decode(d *Decoder) any {
	n := d.Count("list", c.Elem.minSize())
	l := make([]Variant, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		l = append(l, c.Elem.Decode(d))
	}
	return l
}

// Encode implements Codec.
func (c *ListCodec) Encode(e *Encoder, v any) {
	l, ok := v.([]Variant)
	if !ok && v != nil {
		e.Failf("list", ErrBadValue, "want []Variant, got %T", v)
		return
	}
	e.U32(uint32(len(l)))
	for _, x := range l {
		c.Elem.Encode(e, x)
	}
}

// Pair is one key/value of a generic QMap/QHash, or a QPair.
type Pair struct{ First, Second Variant }

// MapCodec carries QMap<K,V>/QHash<K,V> as []Pair in wire order.
type MapCodec struct{ Key, Value Element }

// Decode implements Codec.
func (c *MapCodec) Decode(d *Decoder) any {
	n := d.Count("map", c.Key.minSize()+c.Value.minSize())
	m := make([]Pair, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		k := c.Key.Decode(d)
		m = append(m, Pair{k, c.Value.Decode(d)})
	}
	return m
}

// Encode implements Codec.
func (c *MapCodec) Encode(e *Encoder, v any) {
	m, ok := v.([]Pair)
	if !ok && v != nil {
		e.Failf("map", ErrBadValue, "want []Pair, got %T", v)
		return
	}
	e.U32(uint32(len(m)))
	for _, kv := range m {
		c.Key.Encode(e, kv.First)
		c.Value.Encode(e, kv.Second)
	}
}

// PairCodec carries QPair<A,B>/std::pair<A,B> as a Pair.
type PairCodec struct{ First, Second Element }

// Decode implements Codec.
func (c *PairCodec) Decode(d *Decoder) any {
	a := c.First.Decode(d)
	return Pair{a, c.Second.Decode(d)}
}

// Encode implements Codec.
func (c *PairCodec) Encode(e *Encoder, v any) {
	p, ok := v.(Pair)
	if !ok {
		e.Failf("pair", ErrBadValue, "want Pair, got %T", v)
		return
	}
	c.First.Encode(e, p.First)
	c.Second.Encode(e, p.Second)
}

// GadgetCodec carries a Q_GADGET / repc POD: one full QVariant per property,
// in property order, which is how repc PODs and QtRO dynamic gadgets stream.
type GadgetCodec struct {
	Names []string // property names, in order
}

// Decode implements Codec.
func (c *GadgetCodec) Decode(d *Decoder) any {
	f := make([]Variant, 0, len(c.Names))
	for range c.Names {
		if d.Err() != nil {
			break
		}
		f = append(f, d.Variant())
	}
	return Gadget{Names: c.Names, Fields: f}
}

// Encode implements Codec.
func (c *GadgetCodec) Encode(e *Encoder, v any) {
	g, ok := v.(Gadget)
	if !ok {
		e.Failf("gadget", ErrBadValue, "want Gadget, got %T", v)
		return
	}
	if len(g.Fields) != len(c.Names) {
		e.Failf("gadget", ErrBadValue, "%d fields, type has %d", len(g.Fields), len(c.Names))
		return
	}
	for _, f := range g.Fields {
		e.Variant(f)
	}
}

// StructCodec carries a type with hand-written stream operators that write
// bare fields one after another (no QVariant per field).
type StructCodec struct {
	Names  []string
	Fields []Element
}

// Decode implements Codec.
func (c *StructCodec) Decode(d *Decoder) any {
	f := make([]Variant, 0, len(c.Fields))
	for _, el := range c.Fields {
		f = append(f, el.Decode(d))
	}
	return Gadget{Names: c.Names, Fields: f}
}

// Encode implements Codec.
func (c *StructCodec) Encode(e *Encoder, v any) {
	g, ok := v.(Gadget)
	if !ok || len(g.Fields) != len(c.Fields) {
		e.Failf("struct", ErrBadValue, "want Gadget with %d fields, got %T", len(c.Fields), v)
		return
	}
	for i, el := range c.Fields {
		el.Encode(e, g.Fields[i])
	}
}

// EnumCodec carries an enum sent under its own type name, as an integer of
// Size bytes (1, 2, 4 or 8; 0 means 4). Qt sources convert enums to int
// before sending, but a peer may still name the enum type.
type EnumCodec struct {
	Size     int
	Unsigned bool // repc streams enums without negative values unsigned
}

func (c *EnumCodec) elem() Element {
	switch {
	case c.Size == 1 && c.Unsigned:
		return Element{Type: UChar}
	case c.Size == 1:
		return Element{Type: SChar}
	case c.Size == 2 && c.Unsigned:
		return Element{Type: UShort}
	case c.Size == 2:
		return Element{Type: Short}
	case c.Size == 8:
		return Element{Type: LongLong}
	case c.Unsigned:
		return Element{Type: UInt}
	}
	return Element{Type: Int}
}

// Decode implements Codec; the value is an int64.
func (c *EnumCodec) Decode(d *Decoder) any { return c.elem().Decode(d).Int() }

// Encode implements Codec.
func (c *EnumCodec) Encode(e *Encoder, v any) {
	i, ok := v.(int64)
	if !ok {
		e.Failf("enum", ErrBadValue, "want int64, got %T", v)
		return
	}
	c.elem().Encode(e, IntegerOf(c.elem().Type, i))
}
