package fuzz

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Mutator names, as reports and reproducers show them.
const (
	KindUnknownObject = "unknown-object" // Invoke on a source the host does not have ("Registry", "", junk)
	KindWrongArgs     = "wrong-args"     // a declared method or signal called with the wrong count or types
	KindDeepNesting   = "deep-nesting"   // a QVariantList/QVariantMap nested very deep
	KindHugeCount     = "huge-count"     // a count or length far beyond the frame
	KindTruncated     = "truncated"      // a valid frame cut short
	KindUnknownType   = "unknown-type"   // a packet type the protocol does not have
	KindRandomSize    = "random-size"    // a size field with random bytes behind it
	KindGolden        = "golden-mutation"
	KindRandomFrames  = "random-frames" // several model-built packets, some mutated
)

// Kinds lists every mutator, in the order Generator.Next cycles through them.
var Kinds = []string{KindUnknownObject, KindWrongArgs, KindDeepNesting, KindHugeCount, KindTruncated,
	KindUnknownType, KindRandomSize, KindGolden, KindRandomFrames}

// Generator makes hostile inputs aimed at a model; it is deterministic
// for a seed.
type Generator struct {
	m      Model
	rng    *rand.Rand
	golden [][]byte // seed frames of the model's dialect, client side first
	n      int
	// MaxDepth bounds the deep-nesting mutator (default 200,000).
	MaxDepth int
}

// NewGenerator returns a generator for m, seeded by seed; golden are real
// frames to mutate (nil: only model-built ones).
func NewGenerator(m Model, seed uint64, golden [][]byte) *Generator {
	return &Generator{m: m, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), golden: golden, MaxDepth: 200000}
}

// Next returns the next input: the mutators take turns, so every kind
// runs early in a short budget.
func (g *Generator) Next() Input {
	kinds := KindsFor(g.m.Role)
	k := kinds[g.n%len(kinds)]
	g.n++
	return g.Make(k)
}

// Make returns one input of the given kind, aimed at the model's role:
// client frames for a host, host frames for a replica.
func (g *Generator) Make(kind string) Input {
	if g.m.Role == RoleReplica {
		return g.makeForReplica(kind)
	}
	switch kind {
	case KindUnknownObject:
		names := []string{"Registry", "", "NoSuchSource", g.junkString(), "Registry"}
		name := names[g.rng.IntN(len(names))]
		argc := 0
		if g.rng.IntN(3) == 0 {
			argc = g.rng.IntN(4)
		}
		idx := int32(g.rng.IntN(4))
		return Input{Kind: kind, Note: fmt.Sprintf("Invoke %q method %d with %d args", name, idx, argc),
			Chunks: [][]byte{g.invoke(name, g.pick(0, 0, 2), idx, argc, nil, g.rng.Int32N(100), -1)}}
	case KindWrongArgs:
		return g.wrongArgs()
	case KindDeepNesting:
		depth := []int{2000, 20000, 100000, g.MaxDepth}[g.rng.IntN(4)]
		if depth > g.MaxDepth {
			depth = g.MaxDepth
		}
		asMap := g.rng.IntN(4) == 0
		obj, idx := g.method()
		return g.deep(obj, idx, depth, asMap)
	case KindHugeCount:
		return g.hugeCount()
	}
	return g.common(kind)
}

// common makes the inputs of the kinds that are the same in both roles
// but for the frames they start from (validFrame).
func (g *Generator) common(kind string) Input {
	d := g.m.Dialect
	switch kind {
	case KindTruncated:
		f := g.validFrame()
		cut := 4 + g.rng.IntN(max(1, len(f)-4))
		b := append([]byte(nil), f[:cut]...)
		note := "frame cut short, size field kept"
		if g.rng.IntN(2) == 0 && len(b) >= 6 {
			b = fixSize(d, b)
			note = "frame cut short, size field matching"
		}
		return Input{Kind: kind, Note: fmt.Sprintf("%s (%d of %d bytes)", note, cut, len(f)), Chunks: [][]byte{b}}
	case KindUnknownType:
		typ := uint16(12 + g.rng.IntN(65524))
		if g.rng.IntN(4) == 0 {
			typ = 0
		}
		body := g.randBytes(g.rng.IntN(64))
		chunks := [][]byte{frame(d, typ, body)}
		if g.rng.IntN(2) == 0 { // does the host skip it and answer what follows?
			chunks = append(chunks, g.validFrame())
		}
		return Input{Kind: kind, Note: fmt.Sprintf("packet type %d with %d body bytes", typ, len(body)), Chunks: chunks}
	case KindRandomSize:
		sizes := []uint32{0, 1, 2, 3, uint32(g.rng.IntN(256)), 0x7fffffff, 0xffffffff, uint32(g.rng.IntN(1 << 20))}
		size := sizes[g.rng.IntN(len(sizes))]
		e := qds.NewEncoder(nil, d.Stream(), nil)
		e.U32(size)
		e.Raw(g.randBytes(g.rng.IntN(96)))
		return Input{Kind: kind, Note: fmt.Sprintf("size field %#x and random bytes", size), Chunks: [][]byte{e.Bytes()}}
	case KindGolden:
		return g.goldenMutation()
	default:
		return g.randomFrames()
	}
}

func (g *Generator) pick(vs ...int32) int32 { return vs[g.rng.IntN(len(vs))] }

func (g *Generator) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return b
}

func (g *Generator) junkString() string {
	const alphabet = "abcXYZ:_/ \u00e9\u4e2d"
	r := []rune(alphabet)
	var sb strings.Builder
	for i := g.rng.IntN(12); i >= 0; i-- {
		sb.WriteRune(r[g.rng.IntN(len(r))])
	}
	return sb.String()
}

// object returns a random source of the model (a made-up one if none).
func (g *Generator) object() Object {
	if len(g.m.Objects) == 0 {
		return Object{Name: "TestObject"}
	}
	return g.m.Objects[g.rng.IntN(len(g.m.Objects))]
}

// method picks a source and one of its methods' indexes.
func (g *Generator) method() (Object, int32) {
	o := g.object()
	if n := len(o.Def.Methods); n > 0 {
		return o, int32(g.rng.IntN(n))
	}
	return o, 0
}

// paramTypes reads the parameter types from a normalised signature.
func paramTypes(sig string) []string {
	i, j := strings.IndexByte(sig, '('), strings.LastIndexByte(sig, ')')
	if i < 0 || j <= i+1 {
		return nil
	}
	var out []string
	depth, start := 0, i+1
	for k := i + 1; k < j; k++ {
		switch sig[k] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, sig[start:k])
				start = k + 1
			}
		}
	}
	return append(out, sig[start:j])
}

// invoke encodes an Invoke frame (a call from a client, a signal from a
// host). args, when nil, are argc random variants; prop is the notified
// property of a host's signal (-1: none).
func (g *Generator) invoke(name string, call, index int32, argc int, args func(e *qds.Encoder), serial, prop int32) []byte {
	d := g.m.Dialect
	e := qds.NewEncoder(nil, d.Stream(), nil)
	e.QString(name)
	e.I32(call)
	e.I32(index)
	if args != nil {
		args(e)
	} else {
		e.U32(uint32(argc))
		for i := 0; i < argc; i++ {
			g.variant(e, "", 2)
		}
	}
	e.I32(serial)
	e.I32(prop)
	return frame(d, uint16(wire.InvokePacket), e.Bytes())
}

// variant writes a QVariant: of type typ when it is a simple known one
// (a valid argument), else of a random type, sometimes malformed.
func (g *Generator) variant(e *qds.Encoder, typ string, depth int) {
	switch typ {
	case "int":
		e.U32(uint32(qds.Int))
		e.U8(0)
		e.I32(g.rng.Int32())
		return
	case "QString":
		e.U32(uint32(qds.QString))
		e.U8(0)
		e.QString(g.junkString())
		return
	case "double":
		e.U32(uint32(qds.Double))
		e.U8(0)
		e.F64(g.rng.Float64())
		return
	case "bool":
		e.U32(uint32(qds.Bool))
		e.U8(0)
		e.Bool(true)
		return
	}
	switch k := g.rng.IntN(12); {
	case k == 0:
		e.U32(uint32(qds.Invalid))
		e.U8(1)
	case k == 1:
		e.U32(uint32(qds.Int))
		e.U8(0)
		e.I32(g.rng.Int32())
	case k == 2:
		e.U32(uint32(qds.QString))
		e.U8(0)
		e.QString(g.junkString())
	case k == 3:
		e.U32(uint32(qds.Double))
		e.U8(0)
		e.F64(g.rng.NormFloat64())
	case k == 4 && depth > 0:
		e.U32(uint32(qds.QVariantList))
		e.U8(0)
		n := g.rng.IntN(3)
		e.U32(uint32(n))
		for i := 0; i < n; i++ {
			g.variant(e, "", depth-1)
		}
	case k == 5 && depth > 0:
		e.U32(uint32(qds.QVariantMap))
		e.U8(0)
		e.U32(1)
		e.QString(g.junkString())
		g.variant(e, "", depth-1)
	case k == 6:
		e.U32(uint32(qds.QByteArray))
		e.U8(0)
		e.ByteArray(g.randBytes(g.rng.IntN(8)))
	case k == 7: // a user type nobody registered
		e.U32(g.m.Dialect.Stream().UserTypeID())
		e.U8(0)
		e.CString("NoSuch::Type" + g.junkString())
		e.Raw(g.randBytes(g.rng.IntN(8)))
	case k == 8: // a QtCore type id with too few bytes behind it
		e.U32(uint32(1 + g.rng.IntN(60)))
		e.U8(0)
		e.Raw(g.randBytes(g.rng.IntN(4)))
	case k == 9:
		e.U32(uint32(qds.QStringList))
		e.U8(0)
		e.U32(2)
		e.QString(g.junkString())
		e.NullQString()
	default:
		e.U32(uint32(qds.Bool))
		e.U8(0)
		e.Bool(g.rng.IntN(2) == 0)
	}
}

// wrongArgs calls a declared method (or signal, or property write) with a
// wrong number or wrong types of arguments.
func (g *Generator) wrongArgs() Input {
	o := g.object()
	var (
		call  int32
		index int32
		sig   = "?"
		types []string
	)
	switch {
	case len(o.Def.Methods) > 0 && g.rng.IntN(4) != 0:
		index = int32(g.rng.IntN(len(o.Def.Methods)))
		sig = o.Def.Methods[index].Signature
		types = paramTypes(sig)
	case len(o.Def.Signals) > 0 && g.rng.IntN(2) == 0:
		index = int32(g.rng.IntN(len(o.Def.Signals)))
		sig = "signal " + o.Def.Signals[index].Signature
		types = paramTypes(o.Def.Signals[index].Signature)
	case len(o.Def.Properties) > 0:
		call = wire.CallWriteProperty
		index = int32(g.rng.IntN(len(o.Def.Properties)))
		sig = "property " + o.Def.Properties[index].Name
		types = []string{o.Def.Properties[index].Type}
	default:
		index = int32(g.rng.IntN(8))
	}
	if g.rng.IntN(8) == 0 { // an index past the end
		index += int32(len(o.Def.Methods) + len(o.Def.Signals) + g.rng.IntN(3))
	}
	var argc int
	switch g.rng.IntN(4) {
	case 0:
		argc = 0
	case 1:
		argc = max(0, len(types)-1)
	case 2:
		argc = len(types) + 1 + g.rng.IntN(3)
	default:
		argc = len(types) // the right count, random types
	}
	chunks := [][]byte{}
	if g.rng.IntN(2) == 0 {
		chunks = append(chunks, g.addObject(o.Name, g.rng.IntN(2) == 0))
	}
	chunks = append(chunks, g.invoke(o.Name, call, index, argc, nil, g.rng.Int32N(1000), -1))
	return Input{Kind: KindWrongArgs, Note: fmt.Sprintf("%s.%s (index %d, call %d) with %d random args", o.Name, sig, index, call, argc), Chunks: chunks}
}

func (g *Generator) addObject(name string, dynamic bool) []byte {
	b, _ := wire.Marshal(g.m.Dialect, nil, &wire.AddObjectPacket{Name: name, Dynamic: dynamic})
	return b
}

// deep calls method index of o with one QVariantList (or QVariantMap)
// nested depth deep.
func (g *Generator) deep(o Object, index int32, depth int, asMap bool) Input {
	return scaled(depth, func(depth int) Input {
		return Input{Kind: KindDeepNesting, Note: fmt.Sprintf("Invoke %s method %d with a %s nested %d deep", o.Name, index, nestKind(asMap), depth),
			Chunks: [][]byte{g.invoke(o.Name, 0, index, 0, func(e *qds.Encoder) {
				e.U32(1)
				nest(e, depth, asMap)
			}, 1, -1)}}
	})
}

// nest writes one QVariant: a QVariantList (or QVariantMap) nested depth
// deep around an int.
func nest(e *qds.Encoder, depth int, asMap bool) {
	for i := 0; i < depth; i++ {
		if asMap {
			e.U32(uint32(qds.QVariantMap))
			e.U8(0)
			e.U32(1)
			e.QString("k")
		} else {
			e.U32(uint32(qds.QVariantList))
			e.U8(0)
			e.U32(1)
		}
	}
	e.U32(uint32(qds.Int))
	e.U8(0)
	e.I32(7)
}

func nestKind(asMap bool) string {
	if asMap {
		return "QVariantMap"
	}
	return "QVariantList"
}

// scaled makes the input mk builds at size n, with the knob the minimiser
// turns: regen(s) rebuilds it at size n*s.
func scaled(n int, mk func(n int) Input) Input {
	in := mk(n)
	in.regen = func(s float64) Input { return scaled(max(1, int(float64(n)*s)), mk) }
	return in
}

// hugeCount announces counts and lengths far beyond the frame.
func (g *Generator) hugeCount() Input {
	d := g.m.Dialect
	o, idx := g.method()
	counts := []uint32{0x7fffffff, 0xfffffffe, 0x10000000, 1 << 20}
	n := counts[g.rng.IntN(len(counts))]
	e := qds.NewEncoder(nil, d.Stream(), nil)
	var note string
	switch g.rng.IntN(4) {
	case 0: // argument count
		e.QString(o.Name)
		e.I32(0)
		e.I32(idx)
		e.U32(n)
		g.variant(e, "int", 0)
		note = fmt.Sprintf("Invoke %s with an argument count of %d", o.Name, n)
	case 1: // a list argument's count
		e.QString(o.Name)
		e.I32(0)
		e.I32(idx)
		e.U32(1)
		e.U32(uint32(qds.QVariantList))
		e.U8(0)
		e.U32(n)
		note = fmt.Sprintf("Invoke %s with a QVariantList of %d elements", o.Name, n)
	case 2: // the object name's length
		e.U32(n &^ 1)
		e.Raw([]byte{0, 'x'})
		note = fmt.Sprintf("Invoke whose name claims %d bytes", n&^1)
	default: // a byte array argument's length
		e.QString(o.Name)
		e.I32(0)
		e.I32(idx)
		e.U32(1)
		e.U32(uint32(qds.QByteArray))
		e.U8(0)
		e.U32(n)
		e.Raw([]byte{1, 2, 3})
		note = fmt.Sprintf("Invoke %s with a QByteArray of %d bytes", o.Name, n)
	}
	e.I32(-1)
	e.I32(-1)
	return Input{Kind: KindHugeCount, Note: note, Chunks: [][]byte{frame(d, uint16(wire.InvokePacket), e.Bytes())}}
}

// validFrame returns a well-formed frame for the model: a client's to a
// host, a host's to a replica.
func (g *Generator) validFrame() []byte {
	if g.m.Role == RoleReplica {
		return g.hostFrame()
	}
	o := g.object()
	switch g.rng.IntN(5) {
	case 0:
		return g.addObject(o.Name, g.rng.IntN(2) == 0)
	case 1:
		b, _ := wire.Marshal(g.m.Dialect, nil, &wire.PingPacket{Name: o.Name})
		return b
	case 2:
		b, _ := wire.Marshal(g.m.Dialect, nil, &wire.RemoveObjectPacket{Name: o.Name})
		return b
	}
	_, idx := g.method()
	var types []string
	if int(idx) < len(o.Def.Methods) {
		types = paramTypes(o.Def.Methods[idx].Signature)
	}
	return g.invoke(o.Name, 0, idx, 0, func(e *qds.Encoder) {
		e.U32(uint32(len(types)))
		for _, t := range types {
			g.variant(e, t, 1)
		}
	}, g.rng.Int32N(1000), -1)
}

// mutate changes a few bytes of f (never the size field when keepSize).
func (g *Generator) mutate(f []byte, keepSize bool) []byte {
	b := append([]byte(nil), f...)
	lo := 0
	if keepSize {
		lo = 4
	}
	if len(b) <= lo {
		return b
	}
	for i := 1 + g.rng.IntN(4); i > 0; i-- {
		at := lo + g.rng.IntN(len(b)-lo)
		switch g.rng.IntN(6) {
		case 0:
			b[at] ^= 1 << g.rng.IntN(8)
		case 1:
			b[at] = 0xff
		case 2:
			b[at] = 0
		case 3:
			b[at] = 0x7f
		case 4: // insert
			b = append(b[:at], append(g.randBytes(1+g.rng.IntN(4)), b[at:]...)...)
		default: // delete
			end := min(len(b), at+1+g.rng.IntN(4))
			b = append(b[:at], b[end:]...)
		}
	}
	if keepSize && len(b) >= 6 {
		b = fixSize(g.m.Dialect, b)
	}
	return b
}

// goldenMutation mutates a real frame (from the captures of Qt), aimed at
// one of the model's sources half the time.
func (g *Generator) goldenMutation() Input {
	var f []byte
	if len(g.golden) > 0 && g.rng.IntN(4) != 0 {
		f = g.golden[g.rng.IntN(len(g.golden))]
		if g.rng.IntN(2) == 0 {
			f = g.rename(f, g.object().Name)
		}
	} else {
		f = g.validFrame()
	}
	keep := g.rng.IntN(4) != 0
	return Input{Kind: KindGolden, Note: fmt.Sprintf("a %d-byte real frame with a few bytes changed", len(f)), Chunks: [][]byte{g.mutate(f, keep)}}
}

// rename replaces the leading object name of a frame (every packet but
// Handshake and ObjectList starts with one).
func (g *Generator) rename(f []byte, name string) []byte {
	d := g.m.Dialect
	if !wellFormed(d, f) {
		return f
	}
	typ := wire.PacketType(byteOrder(d).Uint16(f[4:]))
	if typ == wire.Handshake || typ == wire.ObjectList {
		return f
	}
	dec := qds.NewDecoder(f[6:], d.Stream(), nil, qds.Limits{})
	if _, null := dec.QString(); dec.Err() != nil || null {
		return f
	}
	rest := f[6+dec.Offset():]
	e := qds.NewEncoder(nil, d.Stream(), nil)
	e.QString(name)
	e.Raw(rest)
	return frame(d, uint16(typ), e.Bytes())
}

// randomFrames sends several model-built frames, some mutated, in one write.
func (g *Generator) randomFrames() Input {
	var all []byte
	n := 2 + g.rng.IntN(6)
	for i := 0; i < n; i++ {
		f := g.validFrame()
		if g.rng.IntN(3) == 0 {
			f = g.mutate(f, g.rng.IntN(3) != 0)
		}
		all = append(all, f...)
	}
	return Input{Kind: KindRandomFrames, Note: fmt.Sprintf("%d frames, some mutated", n), Chunks: [][]byte{all}}
}

// KnownCrash is a hostile input that crashed real Qt, kept as a fixed
// reproducer behind an HI requirement.
type KnownCrash struct {
	// Req is the HI requirement it backs ("" for a finding not yet a
	// requirement); Name its file's stem.
	Req, Name string
	// Mode is the replica kind a replica-role reproducer is for (static,
	// dynamic); "" in the host role.
	Mode  string
	Input Input
}

// TestObjectName is the source the conformance suite's test object is
// remoted as (fixtures/rep/testobject.rep).
const TestObjectName = "TestObject"

// Known returns the fixed reproducers of fixtures/crashes for dialect d.
// addIndex and echoIndex are the method indexes of TestObject's
// add(int,int) and echoVariant(QVariant) in d; depth is the nesting depth.
func Known(d wire.Dialect, addIndex, echoIndex int32, depth int) []KnownCrash {
	g := NewGenerator(Model{Dialect: d}, 0, nil)
	noArgs := func(e *qds.Encoder) { e.U32(0) }
	deep := g.deep(Object{Name: TestObjectName}, echoIndex, depth, false)
	truncated := qds.NewEncoder(nil, d.Stream(), nil)
	truncated.QString(TestObjectName)
	return []KnownCrash{
		{Req: "HI-7", Name: "registry-invoke-noargs", Input: Input{Kind: KindUnknownObject,
			Note:   `Invoke of method 0 on "Registry" (a source the host does not have) with no arguments`,
			Chunks: [][]byte{g.invoke("Registry", 0, 0, 0, noArgs, 1, -1)}}},
		{Req: "HI-8", Name: "add-noargs", Input: Input{Kind: KindWrongArgs,
			Note:   "Invoke of TestObject's slot add(int,int) with no arguments",
			Chunks: [][]byte{g.invoke(TestObjectName, 0, addIndex, 0, noArgs, 1, -1)}}},
		{Req: "HI-9", Name: "deep-nesting", Input: Input{Kind: KindDeepNesting, Note: deep.Note, Chunks: deep.Chunks}},
		{Req: "HI-10", Name: "invoke-name-only", Input: Input{Kind: KindTruncated,
			Note:   "an Invoke frame that ends after the object name (found by random-frame fuzzing, minimised)",
			Chunks: [][]byte{frame(d, uint16(wire.InvokePacket), truncated.Bytes())}}},
	}
}
