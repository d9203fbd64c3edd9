package fuzz

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// The replica role: the fuzzer is the host a replica connected to, so the
// inputs are host-to-client frames. An input is one connection's worth:
// the chunks the fuzzer writes, with a nil chunk where it waits for the
// replica's AddObject (a Qt host answers AddObject; what comes before it
// is the greeting). Most inputs start with a well-formed session
// (Handshake and ObjectList, the replica's AddObject, Init), so the
// hostile frame reaches a Valid replica; the kinds below attack the
// session itself.

// Mutator names of the replica role only.
const (
	KindBadHandshake  = "bad-handshake"   // the Handshake missing, of another version, null, twice, with trailing bytes, in the other byte order
	KindBadObjectList = "bad-object-list" // ObjectList entries that lie: signatures, null or junk names and types, thousands of entries, re-announcements
	KindBadInit       = "bad-init"        // Init/InitDynamic with the wrong value count or types, of the wrong kind, twice, unasked, broken child descriptors
	KindLyingClass    = "lying-class"     // an InitDynamic whose class definition does not match its values, the replica's class, or itself
	KindBadIndex      = "bad-index"       // PropertyChange, signal Invoke or notify property index out of range
	KindBadReply      = "bad-reply"       // InvokeReply for serials nobody sent, Pong for names nobody pinged
)

// ReplicaKinds lists every mutator of the replica role, in the order
// Generator.Next cycles through them. The kinds shared with the host role
// (Kinds) aim host frames at the replica: wrong-args are signals and
// property changes with the wrong count or types, unknown-object frames
// address sources the replica does not have, deep-nesting and huge-count
// sit in property values, Init and class definitions.
var ReplicaKinds = []string{KindBadHandshake, KindBadObjectList, KindBadInit, KindLyingClass, KindBadIndex,
	KindWrongArgs, KindBadReply, KindUnknownObject, KindDeepNesting, KindHugeCount, KindTruncated,
	KindUnknownType, KindRandomSize, KindGolden, KindRandomFrames}

// KindsFor returns the mutators of a role.
func KindsFor(r Role) []string {
	if r == RoleReplica {
		return ReplicaKinds
	}
	return Kinds
}

// makeForReplica returns one replica-role input of the given kind.
func (g *Generator) makeForReplica(kind string) Input {
	switch kind {
	case KindBadHandshake:
		return g.badHandshake()
	case KindBadObjectList:
		return g.badObjectList()
	case KindBadInit:
		return g.badInit()
	case KindLyingClass:
		return g.lyingClass()
	case KindDeepNesting:
		return g.deepValue()
	case KindHugeCount:
		return g.hugeHostCount()
	}
	var in Input
	switch kind {
	case KindBadIndex:
		in = g.badIndex()
	case KindWrongArgs:
		in = g.wrongSignal()
	case KindBadReply:
		in = g.badReply()
	case KindUnknownObject:
		in = g.unknownTarget()
	default:
		in = g.common(kind)
	}
	in.Chunks = append(g.session(), in.Chunks...)
	return in
}

// other returns the other dialect.
func other(d wire.Dialect) wire.Dialect {
	if d == wire.Qt5 {
		return wire.Qt6
	}
	return wire.Qt5
}

// marshal encodes a packet with the model's user types (nil if it cannot
// be encoded, which the well-formed packets built here always can).
func (g *Generator) marshal(p wire.Packet) []byte {
	b, err := wire.Marshal(g.m.Dialect, g.m.Types, p)
	if err != nil {
		return nil
	}
	return b
}

func (g *Generator) encoder() *qds.Encoder {
	return qds.NewEncoder(nil, g.m.Dialect.Stream(), g.m.Types)
}

// objectInfos are the ObjectList entries of the model's objects, as a Qt
// host of their classes announces them.
func (g *Generator) objectInfos() []wire.ObjectInfo {
	objs := g.m.Objects
	if len(objs) == 0 {
		objs = []Object{g.object()}
	}
	var out []wire.ObjectInfo
	for _, o := range objs {
		info := wire.ObjectInfo{Name: o.Name}
		if o.Type != "" {
			info.TypeName = qds.Str(o.Type)
		}
		if o.Signature != "" {
			info.Signature = []byte(o.Signature)
		}
		out = append(out, info)
	}
	return out
}

// greeting is a Qt host's first write: Handshake and ObjectList.
func (g *Generator) greeting() []byte {
	return append(g.marshal(&wire.HandshakePacket{Version: g.m.Dialect.ProtocolVersion()}),
		g.marshal(&wire.ObjectListPacket{Objects: g.objectInfos()})...)
}

// initFrame is the answer to o's AddObject: an Init, or an InitDynamic
// when dynamic, with values written by values (nil: o's well-formed
// values) and the class definition def (nil: o's).
func (g *Generator) initFrame(o Object, dynamic bool, def *wire.ClassDef, values func(e *qds.Encoder)) []byte {
	e := g.encoder()
	e.QString(o.Name)
	typ := wire.InitPacket
	if dynamic {
		typ = wire.InitDynamicPacket
		if def == nil {
			def = &o.Def
		}
		def.Encode(e)
	}
	if values == nil {
		e.VariantList(o.Values)
	} else {
		values(e)
	}
	return frame(g.m.Dialect, uint16(typ), e.Bytes())
}

// session is a well-formed start: the greeting, the replica's AddObject
// (awaited), and the Init of every object.
func (g *Generator) session() [][]byte {
	chunks := [][]byte{g.greeting(), nil}
	for _, o := range g.objectsOrDefault() {
		chunks = append(chunks, g.initFrame(o, o.Dynamic, nil, nil))
	}
	return chunks
}

func (g *Generator) objectsOrDefault() []Object {
	if len(g.m.Objects) == 0 {
		return []Object{g.object()}
	}
	return g.m.Objects
}

// badIndex32 returns an out-of-range index for a list of n members.
func (g *Generator) badIndex32(n int) int32 {
	return g.pick(-1, int32(n), int32(n+1), int32(n+1000), math.MaxInt32, math.MinInt32, -2)
}

// propertyChange encodes a PropertyChange of property index with the
// value value writes (nil: a random variant).
func (g *Generator) propertyChange(name string, index int32, value func(e *qds.Encoder)) []byte {
	e := g.encoder()
	e.QString(name)
	e.I32(index)
	if value == nil {
		g.variant(e, "", 2)
	} else {
		value(e)
	}
	return frame(g.m.Dialect, uint16(wire.PropertyChange), e.Bytes())
}

// propertyValue writes a well-formed value of o's property i.
func (g *Generator) propertyValue(o Object, i int) func(e *qds.Encoder) {
	return func(e *qds.Encoder) {
		if i >= 0 && i < len(o.Values) {
			e.Variant(o.Values[i])
			return
		}
		g.variant(e, "int", 0)
	}
}

// signalArgs writes a well-formed argument list for a signature (random
// variants for the types variant does not build).
func (g *Generator) signalArgs(sig string) func(e *qds.Encoder) {
	return func(e *qds.Encoder) {
		types := paramTypes(sig)
		e.U32(uint32(len(types)))
		for _, t := range types {
			g.variant(e, t, 1)
		}
	}
}

// hostFrame returns a well-formed host frame for the model's replica.
func (g *Generator) hostFrame() []byte {
	o := g.object()
	np, ns := len(o.Def.Properties), len(o.Def.Signals)
	switch g.rng.IntN(7) {
	case 0:
		if np > 0 {
			i := g.rng.IntN(np)
			return g.propertyChange(o.Name, int32(i), g.propertyValue(o, i))
		}
	case 1:
		if ns > 0 {
			i := g.rng.IntN(ns)
			return g.invoke(o.Name, 0, int32(i), 0, g.signalArgs(o.Def.Signals[i].Signature), -1, -1)
		}
	case 2:
		e := g.encoder()
		e.QString(o.Name)
		e.I32(g.rng.Int32N(8))
		g.variant(e, "int", 0)
		return frame(g.m.Dialect, uint16(wire.InvokeReplyPacket), e.Bytes())
	case 3:
		return g.marshal(&wire.PongPacket{Name: o.Name})
	case 4:
		return g.initFrame(o, o.Dynamic, nil, nil)
	case 5:
		return g.marshal(&wire.ObjectListPacket{Objects: g.objectInfos()})
	}
	return g.marshal(&wire.RemoveObjectPacket{Name: o.Name})
}

func (g *Generator) badVersion() string {
	d := g.m.Dialect
	vs := []string{other(d).ProtocolVersion(), "", "QtRO 1.2", d.ProtocolVersion() + " ", "qtro 2.0", g.junkString(), strings.Repeat("QtRO ", 4000)}
	return vs[g.rng.IntN(len(vs))]
}

// badHandshake attacks the first frame a replica reads.
func (g *Generator) badHandshake() Input {
	d := g.m.Dialect
	o := g.object()
	list := g.marshal(&wire.ObjectListPacket{Objects: g.objectInfos()})
	init := g.initFrame(o, o.Dynamic, nil, nil)
	var first []byte
	var note string
	switch g.rng.IntN(6) {
	case 0:
		note = "no Handshake: ObjectList first"
	case 1:
		v := g.badVersion()
		first = g.marshal(&wire.HandshakePacket{Version: v})
		note = fmt.Sprintf("Handshake %.40q", v)
	case 2:
		e := g.encoder()
		e.NullQString()
		first = frame(d, uint16(wire.Handshake), e.Bytes())
		note = "Handshake with a null version string"
	case 3:
		first = fixSize(d, append(g.marshal(&wire.HandshakePacket{Version: d.ProtocolVersion()}), g.randBytes(1+g.rng.IntN(16))...))
		note = "Handshake with trailing bytes in its frame"
	case 4:
		v := g.badVersion()
		return Input{Kind: KindBadHandshake, Note: fmt.Sprintf("a second Handshake %.40q after Init", v),
			Chunks: [][]byte{g.greeting(), nil, init, g.marshal(&wire.HandshakePacket{Version: v})}}
	default:
		od := other(d)
		b, _ := wire.Marshal(od, nil, &wire.HandshakePacket{Version: od.ProtocolVersion()})
		first = b
		note = fmt.Sprintf("the %s Handshake (the other byte order)", od.ProtocolVersion())
	}
	return Input{Kind: KindBadHandshake, Note: note, Chunks: [][]byte{append(first, list...), nil, init}}
}

// objectList encodes an ObjectList announcing count entries and holding
// infos.
func (g *Generator) objectList(count uint32, infos []wire.ObjectInfo) []byte {
	e := g.encoder()
	e.U32(count)
	for _, o := range infos {
		e.QString(o.Name)
		e.EncodeNullString(o.TypeName)
		e.ByteArray(o.Signature)
	}
	return frame(g.m.Dialect, uint16(wire.ObjectList), e.Bytes())
}

// badObjectList announces the replica's object with lies.
func (g *Generator) badObjectList() Input {
	o := g.object()
	hs := g.marshal(&wire.HandshakePacket{Version: g.m.Dialect.ProtocolVersion()})
	infos := g.objectInfos()
	init := g.initFrame(o, o.Dynamic, nil, nil)
	var note string
	count, lies := uint32(0), false // the announced number of entries, when it is not len(infos)
	switch g.rng.IntN(7) {
	case 0:
		sigs := [][]byte{nil, {}, []byte(strings.Repeat("0", 40)), g.randBytes(40), []byte(o.Signature + "0"), g.randBytes(g.rng.IntN(200))}
		infos[0].Signature = sigs[g.rng.IntN(len(sigs))]
		note = fmt.Sprintf("%s announced with a %d-byte signature %x", o.Name, len(infos[0].Signature), infos[0].Signature)
	case 1:
		if g.rng.IntN(2) == 0 {
			infos[0].TypeName = qds.NullString{}
		} else {
			infos[0].TypeName = qds.Str(g.junkString())
		}
		note = fmt.Sprintf("%s announced with type name %q (valid %v)", o.Name, infos[0].TypeName.Text, infos[0].TypeName.Valid)
	case 2:
		dup := infos[0]
		dup.Signature = g.randBytes(40)
		infos = append([]wire.ObjectInfo{{Name: ""}, {Name: g.junkString(), TypeName: qds.Str(g.junkString())}, dup}, infos...)
		note = fmt.Sprintf("%s announced twice (another signature first), with empty and junk names", o.Name)
	case 3:
		n := []int{1000, 20000}[g.rng.IntN(2)]
		many := make([]wire.ObjectInfo, 0, n+1)
		for i := 0; i < n; i++ {
			many = append(many, wire.ObjectInfo{Name: fmt.Sprintf("Junk%d", i), TypeName: qds.Str("Junk")})
		}
		infos = append(many, infos...)
		note = fmt.Sprintf("ObjectList of %d entries before %s", n, o.Name)
	case 4:
		count, lies = uint32(g.pick(math.MaxInt32, -1, 1<<20, 0)), true
		note = fmt.Sprintf("ObjectList claiming %d entries, holding %d", count, len(infos))
	case 5:
		again := g.objectInfos()
		again[0].TypeName = qds.Str(g.junkString())
		again[0].Signature = g.randBytes(40)
		return Input{Kind: KindBadObjectList, Note: fmt.Sprintf("%s announced again after Init, with another type and signature", o.Name),
			Chunks: [][]byte{g.greeting(), nil, init, g.objectList(uint32(len(again)), again), nil, init}}
	default:
		return Input{Kind: KindBadObjectList, Note: "an empty ObjectList, then Init unasked",
			Chunks: [][]byte{append(hs, g.objectList(0, nil)...), init}}
	}
	if !lies {
		count = uint32(len(infos))
	}
	return Input{Kind: KindBadObjectList, Note: note, Chunks: [][]byte{append(hs, g.objectList(count, infos)...), nil, init}}
}

// values writes n values: o's well-formed ones while they last (random
// variants from the first wrong one on, when wrong), then random ones.
func (g *Generator) values(o Object, n int, wrong bool) func(e *qds.Encoder) {
	return func(e *qds.Encoder) {
		e.U32(uint32(n))
		for i := 0; i < n; i++ {
			if i < len(o.Values) && !wrong {
				e.Variant(o.Values[i])
			} else {
				g.variant(e, "", 2)
			}
		}
	}
}

// childIndex returns the index of o's first QObject* property (-1: none).
func childIndex(o Object) int {
	for i, p := range o.Def.Properties {
		if p.Type == "QObject*" {
			return i
		}
	}
	return -1
}

// badChild writes a QRO_ child descriptor that lies.
func (g *Generator) badChild(o Object) (func(e *qds.Encoder), string) {
	ch := wire.ChildObject{Name: g.m.Dialect.ChildName("Class", o.Name, "child"), TypeName: qds.Str("TestChild"), Kind: wire.ChildClass,
		Parameters: []qds.Variant{qds.IntOf(7)}}
	var note string
	switch g.rng.IntN(6) {
	case 0:
		ch.Parameters = nil
		note = "no values"
	case 1:
		ch.Parameters = []qds.Variant{qds.StringOf("x"), qds.IntOf(1), qds.IntOf(2), qds.ListOf(nil)}
		note = "4 values of the wrong types"
	case 2:
		ch.Kind = uint8(g.pick(int32(wire.ChildModel), int32(wire.ChildGadget), 77))
		note = fmt.Sprintf("kind %d", ch.Kind)
	case 3:
		ch.Definition = g.randBytes(g.rng.IntN(64))
		note = fmt.Sprintf("a %d-byte garbage class definition", len(ch.Definition))
	case 4:
		ch.Name = g.junkString()
		note = "a junk name"
	default:
		return func(e *qds.Encoder) {
			e.U32(g.m.Dialect.Stream().UserTypeID())
			e.U8(0)
			e.CString(wire.ChildObjectType)
			e.Raw(g.randBytes(g.rng.IntN(24)))
		}, "random bytes"
	}
	v := qds.UserOf(wire.ChildObjectType, ch)
	return func(e *qds.Encoder) { e.Variant(v) }, note
}

// badInit answers AddObject with an Init the replica cannot trust.
func (g *Generator) badInit() Input {
	o := g.object()
	n := len(o.Values)
	dyn := o.Dynamic
	mk := func(note string, chunks ...[]byte) Input {
		return Input{Kind: KindBadInit, Note: note, Chunks: append([][]byte{g.greeting(), nil}, chunks...)}
	}
	switch g.rng.IntN(6) {
	case 0:
		k := []int{0, n - 1, n + 1, n + 5, 1}[g.rng.IntN(5)]
		k = max(k, 0)
		return mk(fmt.Sprintf("Init of %s with %d values for %d properties", o.Name, k, n), g.initFrame(o, dyn, nil, g.values(o, k, false)))
	case 1:
		return mk(fmt.Sprintf("Init of %s with %d values of random types", o.Name, n), g.initFrame(o, dyn, nil, g.values(o, n, true)))
	case 2:
		what := "Init to a replica that asked for InitDynamic"
		if !dyn {
			what = "InitDynamic to a replica that asked for Init"
		}
		return mk(what, g.initFrame(o, !dyn, nil, nil))
	case 3:
		k := n + g.rng.IntN(3) - 1
		return mk(fmt.Sprintf("Init twice, the second with %d values", k), g.initFrame(o, dyn, nil, nil), g.initFrame(o, dyn, nil, g.values(o, max(k, 0), false)))
	case 4:
		return Input{Kind: KindBadInit, Note: "Init before the replica asked (in the greeting's write)",
			Chunks: [][]byte{append(g.greeting(), g.initFrame(o, dyn, nil, nil)...)}}
	default:
		ci := childIndex(o)
		if ci < 0 || ci >= n {
			return mk("Init with a QRO_ child descriptor where none belongs", g.initFrame(o, dyn, nil, g.values(o, n, true)))
		}
		child, note := g.badChild(o)
		return mk(fmt.Sprintf("Init whose child descriptor has %s", note), g.initFrame(o, dyn, nil, func(e *qds.Encoder) {
			e.U32(uint32(n))
			for i := 0; i < n; i++ {
				if i == ci {
					child(e)
				} else {
					e.Variant(o.Values[i])
				}
			}
		}))
	}
}

// cloneDef copies a class definition deep enough to change its lists.
func cloneDef(d wire.ClassDef) wire.ClassDef {
	d.Enums = slices.Clone(d.Enums)
	d.Gadgets = slices.Clone(d.Gadgets)
	d.Signals = slices.Clone(d.Signals)
	d.Methods = slices.Clone(d.Methods)
	d.Properties = slices.Clone(d.Properties)
	return d
}

// asciiJunk is junk for Latin-1 fields.
func (g *Generator) asciiJunk() string {
	const alphabet = "abcXYZ:_/<>(),*& 0"
	var sb strings.Builder
	for i := g.rng.IntN(12); i >= 0; i-- {
		sb.WriteByte(alphabet[g.rng.IntN(len(alphabet))])
	}
	return sb.String()
}

// lyingClass answers with an InitDynamic whose class definition lies
// (also to a static replica, which did not ask for one).
func (g *Generator) lyingClass() Input {
	o := g.object()
	def := cloneDef(o.Def)
	badTypes := []string{"NoSuch::Type", "", "QObject*", "TestPod", "QVariantMap", "QList<QList<QList<NoSuch>>>", g.asciiJunk()}
	badSigs := []string{"x(", ")", "", "a(int,int", "f(NoSuch)", "s(QList<QList<QList<int>>>)", "()", g.asciiJunk()}
	var note string
	switch k := g.rng.IntN(10); {
	case k == 0 && len(def.Properties) > 0:
		i := g.rng.IntN(len(def.Properties))
		def.Properties[i].Type = badTypes[g.rng.IntN(len(badTypes))]
		note = fmt.Sprintf("property %s declared as %q", def.Properties[i].Name, def.Properties[i].Type)
	case k == 1 && len(def.Properties) > 0:
		i := g.rng.IntN(len(def.Properties))
		def.Properties[i].Notify = badSigs[g.rng.IntN(len(badSigs))]
		note = fmt.Sprintf("property %s notified by %q", def.Properties[i].Name, def.Properties[i].Notify)
	case k == 2 && len(def.Signals) > 0:
		i := g.rng.IntN(len(def.Signals))
		def.Signals[i].Signature = badSigs[g.rng.IntN(len(badSigs))]
		note = fmt.Sprintf("signal %d declared as %q", i, def.Signals[i].Signature)
	case k == 3 && len(def.Methods) > 0:
		i := g.rng.IntN(len(def.Methods))
		def.Methods[i].ReturnType = badTypes[g.rng.IntN(len(badTypes))]
		def.Methods[i].ParamNames = append(def.Methods[i].ParamNames, "extra", "more")
		note = fmt.Sprintf("method %s returning %q with extra parameter names", def.Methods[i].Signature, def.Methods[i].ReturnType)
	case k == 4 && len(def.Properties) > 1:
		cut := g.rng.IntN(len(def.Properties))
		def.Properties = def.Properties[:cut]
		note = fmt.Sprintf("%d properties declared, %d values sent", cut, len(o.Values))
	case k == 5:
		extra := 1 + g.rng.IntN(20)
		for i := 0; i < extra; i++ {
			def.Properties = append(def.Properties, wire.PropertyDef{Name: fmt.Sprintf("extra%d", i), Type: badTypes[g.rng.IntN(len(badTypes))], Notify: "nope()"})
		}
		note = fmt.Sprintf("%d more properties declared than values sent", extra)
	case k == 6:
		gd := wire.GadgetDef{Name: "TestPod", Properties: []wire.GadgetProperty{{Name: "self", Type: "TestPod"}, {Name: "x", Type: g.asciiJunk()}}}
		if g.rng.IntN(2) == 0 {
			gd.Properties = nil
		}
		def.Gadgets = append([]wire.GadgetDef{gd}, def.Gadgets...)
		note = fmt.Sprintf("gadget TestPod redeclared with %d properties (one of its own type)", len(gd.Properties))
	case k == 7:
		keys := make([]wire.EnumKey, 1+g.rng.IntN(2000))
		for i := range keys {
			keys[i] = wire.EnumKey{Name: "K", Value: int32(i)}
		}
		def.Enums = append(def.Enums, wire.EnumDef{Name: g.asciiJunk(), Size: uint32(g.pick(0, 3, 8, 255, -1)), Keys: keys, IsFlag: g.rng.IntN(2) == 0})
		note = fmt.Sprintf("an enum of %d keys named alike, size %d", len(keys), def.Enums[len(def.Enums)-1].Size)
	case k == 8 && len(def.Properties) > 1:
		for i := range def.Properties {
			def.Properties[i].Name = def.Properties[0].Name
		}
		note = "every property named " + def.Properties[0].Name
	default:
		def.TypeName = qds.NullString{}
		if g.rng.IntN(2) == 0 {
			def.TypeName = qds.Str(g.asciiJunk())
		}
		def.Signals, def.Methods = nil, nil
		note = fmt.Sprintf("a class named %q (valid %v) without signals and methods", def.TypeName.Text, def.TypeName.Valid)
	}
	return Input{Kind: KindLyingClass, Note: "InitDynamic whose class lies: " + note,
		Chunks: [][]byte{g.greeting(), nil, g.initFrame(o, true, &def, nil)}}
}

// badIndex addresses members the replica's class does not have.
func (g *Generator) badIndex() Input {
	o := g.object()
	np, ns := len(o.Def.Properties), len(o.Def.Signals)
	switch g.rng.IntN(4) {
	case 0:
		i := g.badIndex32(np)
		return Input{Kind: KindBadIndex, Note: fmt.Sprintf("PropertyChange of %s property %d (of %d)", o.Name, i, np),
			Chunks: [][]byte{g.propertyChange(o.Name, i, func(e *qds.Encoder) { g.variant(e, "int", 0) })}}
	case 1:
		i := g.badIndex32(ns)
		argc := g.rng.IntN(3)
		return Input{Kind: KindBadIndex, Note: fmt.Sprintf("signal %d (of %d) of %s with %d args", i, ns, o.Name, argc),
			Chunks: [][]byte{g.invoke(o.Name, 0, i, argc, nil, -1, -1)}}
	case 2:
		sig := 0
		if ns > 0 {
			sig = g.rng.IntN(ns)
		}
		p := g.badIndex32(np)
		args := func(e *qds.Encoder) { e.U32(0) }
		if sig < ns {
			args = g.signalArgs(o.Def.Signals[sig].Signature)
		}
		return Input{Kind: KindBadIndex, Note: fmt.Sprintf("signal %d of %s notifying property %d (of %d)", sig, o.Name, p, np),
			Chunks: [][]byte{g.invoke(o.Name, 0, int32(sig), 0, args, -1, p)}}
	default:
		i := g.badIndex32(np)
		s := g.badIndex32(ns)
		return Input{Kind: KindBadIndex, Note: fmt.Sprintf("PropertyChange of %s property %d with its notify signal %d, as a Qt host writes them", o.Name, i, s),
			Chunks: [][]byte{append(g.propertyChange(o.Name, i, func(e *qds.Encoder) { g.variant(e, "int", 0) }),
				g.invoke(o.Name, 0, s, 1, nil, -1, i)...)}}
	}
}

// wrongSignal emits a declared signal, or changes a declared property,
// with the wrong count or types of values.
func (g *Generator) wrongSignal() Input {
	o := g.object()
	np, ns := len(o.Def.Properties), len(o.Def.Signals)
	if ns > 0 && (np == 0 || g.rng.IntN(2) == 0) {
		i := g.rng.IntN(ns)
		n := len(paramTypes(o.Def.Signals[i].Signature))
		argc := []int{0, max(0, n-1), n + 1 + g.rng.IntN(3), n}[g.rng.IntN(4)]
		call := g.pick(0, 0, 0, wire.CallWriteProperty, 5)
		return Input{Kind: KindWrongArgs, Note: fmt.Sprintf("signal %s of %s (call %d) with %d random args", o.Def.Signals[i].Signature, o.Name, call, argc),
			Chunks: [][]byte{g.invoke(o.Name, call, int32(i), argc, nil, -1, -1)}}
	}
	i := g.rng.IntN(max(np, 1))
	name := "?"
	if i < np {
		name = o.Def.Properties[i].Name
	}
	return Input{Kind: KindWrongArgs, Note: fmt.Sprintf("PropertyChange of %s.%s with a random value", o.Name, name),
		Chunks: [][]byte{g.propertyChange(o.Name, int32(i), nil)}}
}

// badReply answers calls nobody made.
func (g *Generator) badReply() Input {
	o := g.object()
	name := []string{o.Name, o.Name, "", g.junkString()}[g.rng.IntN(4)]
	if g.rng.IntN(4) == 0 {
		return Input{Kind: KindBadReply, Note: fmt.Sprintf("Pong(%q) nobody asked for", name), Chunks: [][]byte{g.marshal(&wire.PongPacket{Name: name})}}
	}
	serial := g.pick(0, -1, 1, 2, 7, math.MaxInt32, math.MinInt32, g.rng.Int32())
	e := g.encoder()
	e.QString(name)
	e.I32(serial)
	g.variant(e, "", 2)
	return Input{Kind: KindBadReply, Note: fmt.Sprintf("InvokeReply(%q, serial %d) for a call nobody made", name, serial),
		Chunks: [][]byte{frame(g.m.Dialect, uint16(wire.InvokeReplyPacket), e.Bytes())}}
}

// unknownTarget addresses host frames to sources the replica does not have.
func (g *Generator) unknownTarget() Input {
	names := []string{"Registry", "", "NoSuchSource", g.junkString(), g.m.Dialect.ChildName("Class", g.object().Name, "nosuch")}
	name := names[g.rng.IntN(len(names))]
	var f []byte
	var what string
	switch g.rng.IntN(6) {
	case 0:
		f, what = g.propertyChange(name, int32(g.rng.IntN(3)), nil), "PropertyChange"
	case 1:
		f, what = g.invoke(name, 0, int32(g.rng.IntN(3)), g.rng.IntN(3), nil, -1, -1), "signal Invoke"
	case 2:
		f, what = g.initFrame(Object{Name: name}, false, nil, g.values(Object{}, g.rng.IntN(3), true)), "Init"
	case 3:
		f, what = g.initFrame(Object{Name: name}, true, &wire.ClassDef{}, g.values(Object{}, g.rng.IntN(3), true)), "InitDynamic"
	case 4:
		f, what = g.marshal(&wire.RemoveObjectPacket{Name: name}), "RemoveObject"
	default:
		e := g.encoder()
		e.QString(name)
		e.I32(1)
		g.variant(e, "", 1)
		f, what = frame(g.m.Dialect, uint16(wire.InvokeReplyPacket), e.Bytes()), "InvokeReply"
	}
	return Input{Kind: KindUnknownObject, Note: fmt.Sprintf("%s for %q, which the replica does not have", what, name), Chunks: [][]byte{f}}
}

// nestable returns the index of a property that holds a QVariant
// container (a QVariantList, QVariantMap or QVariant), else 0.
func nestable(o Object) int {
	for i, p := range o.Def.Properties {
		switch p.Type {
		case "QVariantList", "QVariantMap", "QVariant":
			return i
		}
	}
	return 0
}

// deepValue sends a deeply nested value: as a property change, in Init,
// or as a signal argument.
func (g *Generator) deepValue() Input {
	o := g.object()
	depth := min([]int{2000, 20000, 100000, g.MaxDepth}[g.rng.IntN(4)], g.MaxDepth)
	asMap := g.rng.IntN(4) == 0
	pi := nestable(o)
	where := g.rng.IntN(3)
	sig := int32(g.rng.IntN(max(1, len(o.Def.Signals)))) // picked once: regen must rebuild the same input
	return scaled(depth, func(depth int) Input {
		value := func(e *qds.Encoder) { nest(e, depth, asMap) }
		in := Input{Kind: KindDeepNesting}
		switch where {
		case 0:
			in.Note = fmt.Sprintf("PropertyChange of %s property %d with a %s nested %d deep", o.Name, pi, nestKind(asMap), depth)
			in.Chunks = append(g.session(), g.propertyChange(o.Name, int32(pi), value))
		case 1:
			in.Note = fmt.Sprintf("Init of %s with property %d a %s nested %d deep", o.Name, pi, nestKind(asMap), depth)
			in.Chunks = [][]byte{g.greeting(), nil, g.initFrame(o, o.Dynamic, nil, func(e *qds.Encoder) {
				e.U32(uint32(len(o.Values)))
				for i := range o.Values {
					if i == pi {
						value(e)
					} else {
						e.Variant(o.Values[i])
					}
				}
			})}
		default:
			in.Note = fmt.Sprintf("signal %d of %s with one argument a %s nested %d deep", sig, o.Name, nestKind(asMap), depth)
			in.Chunks = append(g.session(), g.invoke(o.Name, 0, sig, 0, func(e *qds.Encoder) {
				e.U32(1)
				value(e)
			}, -1, -1))
		}
		return in
	})
}

// hugeHostCount announces counts and lengths far beyond the frame in host
// frames.
func (g *Generator) hugeHostCount() Input {
	o := g.object()
	n := []uint32{0x7fffffff, 0xfffffffe, 0x10000000, 1 << 20}[g.rng.IntN(4)]
	d := g.m.Dialect
	var note string
	var f []byte
	pre := g.session()
	switch g.rng.IntN(6) {
	case 0:
		pre = pre[:2]
		f = g.initFrame(o, o.Dynamic, nil, func(e *qds.Encoder) {
			e.U32(n)
			g.variant(e, "int", 0)
		})
		note = fmt.Sprintf("Init of %s announcing %d values", o.Name, n)
	case 1:
		f = g.propertyChange(o.Name, int32(nestable(o)), func(e *qds.Encoder) {
			e.U32(uint32(qds.QVariantList))
			e.U8(0)
			e.U32(n)
		})
		note = fmt.Sprintf("PropertyChange of %s with a QVariantList of %d elements", o.Name, n)
	case 2:
		f = g.propertyChange(o.Name, int32(g.rng.IntN(max(1, len(o.Def.Properties)))), func(e *qds.Encoder) {
			e.U32(uint32(g.pick(int32(qds.QByteArray), int32(qds.QString))))
			e.U8(0)
			e.U32(n &^ 1)
			e.Raw([]byte{0, 'x'})
		})
		note = fmt.Sprintf("PropertyChange of %s with a string of %d bytes", o.Name, n&^1)
	case 3:
		pre = [][]byte{g.marshal(&wire.HandshakePacket{Version: d.ProtocolVersion()})}
		f = g.objectList(n, g.objectInfos())
		note = fmt.Sprintf("ObjectList announcing %d entries", n)
	case 4:
		pre = pre[:2]
		e := g.encoder()
		e.QString(o.Name)
		e.EncodeNullString(qds.Str(o.Type))
		e.U32(0) // enums
		e.U32(0) // Qt enums
		e.U32(0) // gadgets
		e.U32(n) // signals
		e.Latin1("s()")
		f = frame(d, uint16(wire.InitDynamicPacket), e.Bytes())
		note = fmt.Sprintf("InitDynamic of %s whose class announces %d signals", o.Name, n)
	default:
		f = g.invoke(o.Name, 0, 0, 0, func(e *qds.Encoder) {
			e.U32(n)
			g.variant(e, "int", 0)
		}, -1, -1)
		note = fmt.Sprintf("signal 0 of %s announcing %d arguments", o.Name, n)
	}
	return Input{Kind: KindHugeCount, Note: note, Chunks: append(pre, f)}
}

// KnownReplica returns the fixed replica-role reproducers of
// fixtures/crashes: hostile host frames that crashed (or hung) real Qt
// replicas, each after a well-formed session (Handshake and ObjectList,
// the replica's AddObject, Init) unless the session is what it attacks.
// m is the replica's model (replicaModel of the test object); depth is
// the nesting depth of the deep-nesting one.
func KnownReplica(m Model, depth int) []KnownCrash {
	g := NewGenerator(m, 0, nil)
	o := m.Objects[0]
	mode := modeName(o.Dynamic)
	np := len(o.Def.Properties)
	vl := nestable(o)
	session := g.session()
	after := func(f []byte) [][]byte { return append(append([][]byte(nil), session...), f) }
	int1 := func(e *qds.Encoder) { e.U32(uint32(qds.Int)); e.U8(0); e.I32(1) }
	multi := int32(-1)
	for i, s := range o.Def.Signals {
		if strings.HasPrefix(s.Signature, "multi(") {
			multi = int32(i)
		}
	}
	var out []KnownCrash
	add := func(name, kind, note string, chunks [][]byte) {
		out = append(out, KnownCrash{Name: "replica-" + mode + "-" + name, Mode: mode, Input: Input{Kind: kind, Note: note, Chunks: chunks}})
	}
	// Each is kept for the replica kinds both Qt 5.15.8 and 6.4.2 crash
	// on: a static Qt 6 replica survives the property index, dynamic ones
	// the signal; deep nesting crashes both kinds alike (one is enough).
	if o.Dynamic {
		add("property-index", KindBadIndex, fmt.Sprintf("after a well-formed session, a PropertyChange of %s property %d (it has %d)", o.Name, np, np),
			after(g.propertyChange(o.Name, int32(np), int1)))
	}
	if multi >= 0 && !o.Dynamic {
		add("signal-noargs", KindWrongArgs, fmt.Sprintf("after a well-formed session, an Invoke of %s's signal %s (index %d) with no arguments", o.Name, o.Def.Signals[multi].Signature, multi),
			after(g.invoke(o.Name, 0, multi, 0, func(e *qds.Encoder) { e.U32(0) }, -1, -1)))
	}
	add("init-short", KindBadInit, fmt.Sprintf("an Init of %s with %d values for its %d properties", o.Name, np-1, np),
		[][]byte{g.greeting(), nil, g.initFrame(o, o.Dynamic, nil, g.values(o, np-1, false))})
	if o.Dynamic {
		return out
	}
	deep := nestKind(false)
	add("deep-nesting", KindDeepNesting, fmt.Sprintf("after a well-formed session, a PropertyChange of %s property %d with a %s nested %d deep", o.Name, vl, deep, depth),
		after(g.propertyChange(o.Name, int32(vl), func(e *qds.Encoder) { nest(e, depth, false) })))
	return out
}
