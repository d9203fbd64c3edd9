package conformance

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/rep"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Object-agnostic host cases: a host the suite has never seen (an url:
// target, or an adapter that cannot host the suite's test object) is
// checked on whatever sources it lists, learnt from the wire alone. No
// requirement may fail because the target remotes other classes than ours.

// anyForms holds the object-agnostic form of host requirements.
var anyForms = map[string]func(e *Env){}

// AnySource declares the object-agnostic form of host requirement id; it
// runs instead of the test-object form on targets that cannot host the
// test object. A host requirement without one is not applicable there.
func AnySource(id string, body func(e *Env)) bool {
	if _, ok := Lookup(id); !ok {
		panic("conformance: no requirement " + id)
	}
	anyForms[id] = body
	return true
}

// source is one source of a host under test, as the wire shows it.
type source struct {
	Name   string
	Info   wire.ObjectInfo // its ObjectList entry
	Def    *wire.ClassDef  // from its InitDynamicPacket
	Values []qds.Variant   // the InitDynamicPacket's values
	Class  *meta.Class     // Def as a class (indices, value coercion)
}

// anyHost is a host under test known from the wire.
type anyHost struct {
	e       *Env
	A       *adapter.Adapter // nil for url: targets
	URL     string
	Sources []*source
	// C is the discovery connection: it acquired every source dynamically
	// (and keeps them).
	C *wirepeer.Conn
}

// anyHost starts (or, for url: targets, finds) the host and learns its
// sources: every source its ObjectList names (or those of Config.Objects),
// acquired dynamically for the class definitions.
func (e *Env) anyHost() *anyHost {
	h := &anyHost{e: e}
	if e.Target.URL != "" {
		h.URL = e.Target.URL
		if e.D == 0 {
			e.D = detectDialect(e.Ctx, h.URL)
		}
	} else {
		h.A, h.URL = e.Host(Options{Type: e.hostType()})
	}
	c := e.Dial(h.URL)
	ol := e.greeting(c)
	for _, o := range ol.Objects {
		if len(suite.Objects) > 0 && !slices.Contains(suite.Objects, o.Name) {
			continue
		}
		src := e.sourceOf(c, o.Name) // acquireRaw fails the case unless an InitDynamic answers
		src.Info = o
		h.Sources = append(h.Sources, src)
	}
	if len(suite.Objects) > 0 && len(h.Sources) == 0 {
		e.Failf("the host lists none of the sources given with --object (%v); it lists %v", suite.Objects, objectNames(ol))
	}
	h.C = c
	return h
}

// dial opens another connection to the host, with every source's gadgets
// registered (as a dynamic replica that acquired them would have), and
// reads the greeting.
func (h *anyHost) dial() (*wirepeer.Conn, *wire.ObjectListPacket) {
	c := h.e.Dial(h.URL)
	for _, s := range h.Sources {
		s.Def.RegisterGadgets(c.Types())
	}
	return c, h.e.greeting(c)
}

// first returns the first source, or ends the case as not applicable on a
// host that remotes none.
func (h *anyHost) first() *source {
	if len(h.Sources) == 0 {
		h.e.NotApplicable("the host remotes no source")
	}
	return h.Sources[0]
}

// notifyIndex returns the wire index of property i's notify signal, or -1.
func (s *source) notifyIndex(i int) int32 {
	n := s.Def.Properties[i].Notify
	if n == "" {
		return -1
	}
	for k, sg := range s.Def.Signals {
		if sg.Signature == n {
			return int32(k)
		}
	}
	return -1
}

// knownWritable lists properties of the suite's own Plain object that the
// contract makes writable (ADAPTER.md §10); on other classes writability
// is not on the wire and only trying tells.
var knownWritable = map[string]bool{"number": true, "text": true, "color": true}

// change is a property change the suite caused (or saw) on a connection.
type change struct {
	S     *source
	Index int
	Value qds.Variant                // the value the suite asked for (or saw)
	PC    *wire.PropertyChangePacket // the PropertyChange that came back
	How   string                     // "set through the adapter", "written (call=2)", "by itself"
}

// changeOn makes some property of a source change and returns the
// PropertyChange c received for it: through the adapter's `set` when the
// suite drives the host, else by writing properties (Invoke call=2) one
// after another, else by waiting for a change the host makes by itself.
// ok is false when nothing changed: the caller reports not tested. With
// promised, a `set` the adapter accepted that brings no PropertyChange
// fails the case (the requirement is about that change going out).
func (h *anyHost) changeOn(c *wirepeer.Conn, want func(s *source, i int) bool, promised bool) (ch change, ok bool) {
	e := h.e
	for _, s := range h.Sources {
		cur := h.valuesOn(c, s)
		for i, p := range s.Def.Properties {
			if s.notifyIndex(i) < 0 || (want != nil && !want(s, i)) {
				continue
			}
			v, x, can := nextValue(p.Type, cur[i])
			if !can {
				continue
			}
			how := "written (call=2)"
			wait := 2 * time.Second
			if h.A != nil {
				if _, err := h.A.Do(e.Ctx, adapter.Set(p.Name, x)); err != nil {
					continue // e.g. notWritable: try another property
				}
				how, wait = "set through the adapter", 10*time.Second
			} else {
				e.NoErr(c.Send(&wire.Invoke{Name: s.Name, Call: wire.CallWriteProperty, Index: int32(i),
					Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1}), "writing "+p.Name)
			}
			pkt, err := c.Expect(e.within(wait), isProp(s.Name, int32(i)))
			if err != nil {
				if h.A != nil && promised {
					e.Failf("the adapter set %s.%s to %v (result ok), but no PropertyChange reached a connection that acquired it within %s", s.Name, p.Name, x, wait)
				}
				continue
			}
			pc := pkt.(*wire.PropertyChangePacket)
			if h.A == nil {
				restore := cur[i]
				name, idx := s.Name, int32(i)
				e.Defer(func() {
					_ = c.Send(&wire.Invoke{Name: name, Call: wire.CallWriteProperty, Index: idx, Args: []qds.Variant{restore}, Serial: -1, PropertyIndex: -1})
				})
			}
			return change{S: s, Index: i, Value: v, PC: pc, How: how}, true
		}
	}
	// Nothing could be changed: a host that changes by itself still shows one.
	pkt, err := c.Expect(e.within(3*time.Second), func(p wire.Packet) bool {
		pc, ok := p.(*wire.PropertyChangePacket)
		return ok && h.source(pc.Name) != nil && (want == nil || want(h.source(pc.Name), int(pc.Index)))
	})
	if err != nil {
		return change{}, false
	}
	pc := pkt.(*wire.PropertyChangePacket)
	return change{S: h.source(pc.Name), Index: int(pc.Index), Value: pc.Value, PC: pc, How: "by itself"}, true
}

// noChangeReason is what not tested says when changeOn found nothing.
func (h *anyHost) noChangeReason() string {
	if h.A != nil {
		return "no property of the host's sources could be changed through the adapter (none was set, or no PropertyChange came back: PROP-1 reports that)"
	}
	return "no property of the host's sources changed on a write (Invoke call=2) of a property with a notify signal, and none changed by itself within 3 s (an url: target cannot be driven)"
}

func (h *anyHost) source(name string) *source {
	for _, s := range h.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// pingName is a name to Ping with outside HB-1 (which checks unknown
// names): a source the host knows.
func (h *anyHost) pingName() string {
	if len(h.Sources) > 0 {
		return h.Sources[0].Name
	}
	return ""
}

// staticInit acquires s statically on c and returns the InitPacket's
// values. One AddObject per source and connection: a second one makes a
// Qt 6 host register the connection twice and send every change twice.
func (h *anyHost) staticInit(c *wirepeer.Conn, s *source) []qds.Variant {
	p := h.e.acquireRaw(c, s.Name, false)
	init, ok := p.(*wire.Init)
	if !ok {
		h.e.Failf("AddObject(%q) was answered with %s", s.Name, wire.Describe(p))
	}
	return init.Values
}

// valuesOn returns s's current values as connection c knows them: its
// last Init or InitDynamic on c (acquiring s statically first if c has
// not), updated by every PropertyChange since. Values the host did not
// send are the type's zero value, so a host with a short Init can still be
// driven.
func (h *anyHost) valuesOn(c *wirepeer.Conn, s *source) []qds.Variant {
	var vals []qds.Variant
	found := false
	scan := func() {
		for _, pp := range h.e.packetsOf(c) {
			switch p := pp.P.(type) {
			case *wire.Init:
				if p.Name == s.Name {
					vals, found = append([]qds.Variant(nil), p.Values...), true
				}
			case *wire.InitDynamic:
				if p.Name == s.Name {
					vals, found = append([]qds.Variant(nil), p.Values...), true
				}
			case *wire.PropertyChangePacket:
				if p.Name == s.Name && found && p.Index >= 0 && int(p.Index) < len(s.Def.Properties) {
					for len(vals) <= int(p.Index) {
						vals = append(vals, qds.Variant{})
					}
					vals[p.Index] = p.Value
				}
			}
		}
	}
	scan()
	if !found {
		h.staticInit(c, s)
		scan()
	}
	for len(vals) < len(s.Def.Properties) {
		vals = append(vals, qds.Variant{})
	}
	for i, v := range vals {
		if !v.IsValid() && i < len(s.Def.Properties) {
			vals[i] = meta.Zero(s.Class, s.Def.Properties[i].Type)
		}
	}
	return vals
}

// nextValue returns a value of type typ different from cur, as a QVariant
// and as the adapter contract's JSON; ok is false for types the suite does
// not vary.
func nextValue(typ string, cur qds.Variant) (qds.Variant, any, bool) {
	switch normType(typ) {
	case "int":
		n := int32(cur.Int()) + 1
		if cur.Int() > 1<<30 {
			n = 1
		}
		return qds.IntOf(n), int64(n), true
	case "uint":
		n := uint32(cur.Uint()) + 1
		return qds.UIntOf(n), uint64(n), true
	case "qlonglong":
		n := cur.Int() + 1
		return qds.LongLongOf(n), n, true
	case "double":
		f := cur.Float() + 0.5
		if f > 1e9 {
			f = 0.5
		}
		return qds.DoubleOf(f), f, true
	case "bool":
		return qds.BoolOf(!cur.Bool()), !cur.Bool(), true
	case "QString":
		s := cur.Str() + "·qtro"
		if len(s) > 200 {
			s = "qtro"
		}
		return qds.StringOf(s), s, true
	}
	return qds.Variant{}, nil, false
}

// normType spells a declared type the way Qt's metatype table names it.
func normType(t string) string {
	t = strings.TrimSpace(t)
	switch t {
	case "long long", "qint64":
		return "qlonglong"
	case "unsigned long long", "quint64":
		return "qulonglong"
	case "unsigned int", "quint32":
		return "uint"
	case "qint32":
		return "int"
	case "QList<QVariant>":
		return "QVariantList"
	case "QMap<QString,QVariant>":
		return "QVariantMap"
	case "QHash<QString,QVariant>":
		return "QVariantHash"
	case "QList<QString>":
		return "QStringList"
	case "QList<QByteArray>":
		return "QByteArrayList"
	case "qreal":
		return "double"
	}
	return t
}

var integerTypes = []qds.TypeID{qds.Int, qds.UInt, qds.LongLong, qds.ULongLong, qds.Short, qds.UShort, qds.Char, qds.SChar, qds.UChar, qds.Long, qds.ULong}

// typeMismatch checks a value against its property's declared type. It
// returns "" when the value fits, a reason when it does not, and ok=false
// with a note when the suite cannot tell (a type it does not know).
func typeMismatch(s *source, declared string, v qds.Variant) (reason string, known bool) {
	t := normType(declared)
	switch {
	case t == "QVariant":
		return "", true
	case strings.HasSuffix(t, "*"):
		if v.TypeName() == wire.ChildObjectType || !v.IsValid() {
			return "", true
		}
		return fmt.Sprintf("a %s property carries %s, want a QRO_ descriptor", declared, v.TypeName()), true
	case s.isEnum(declared):
		if slices.Contains(integerTypes, v.Type()) {
			return "", true
		}
		return fmt.Sprintf("an enum property (%s) carries %s, want an integer (enums travel as integers)", declared, v.TypeName()), true
	}
	for _, g := range s.Def.Gadgets {
		if g.Name == t && len(g.Properties) > 0 {
			if v.Type() == qds.User && (v.TypeName() == g.Name || strings.HasSuffix(v.TypeName(), "::"+g.Name) || strings.HasSuffix(g.Name, "::"+v.TypeName())) {
				return "", true
			}
			return fmt.Sprintf("a %s (POD) property carries %s", declared, v.TypeName()), true
		}
	}
	id, ok := qds.TypeByName(t)
	if !ok {
		return "", false
	}
	if v.Type() == id {
		return "", true
	}
	return fmt.Sprintf("a %s property carries %s", declared, v.TypeName()), true
}

// isEnum reports whether a declared type is an enum the source's class
// definition names: its own, a gadget's, or one of the Qt namespace.
func (s *source) isEnum(declared string) bool {
	return s.Class.Enum(declared) != nil || isEnumOfGadget(s.Def, declared)
}

func isEnumOfGadget(def *wire.ClassDef, declared string) bool {
	name := declared
	if i := strings.LastIndex(name, "::"); i >= 0 {
		name = name[i+2:]
	}
	for _, g := range def.Gadgets {
		for _, en := range g.Enums {
			if en.Name == name {
				return true
			}
		}
	}
	for _, q := range def.QtEnums {
		if q == declared {
			return true
		}
	}
	return false
}

var sigRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\((.*)\)$`)

// sigParams returns a normalised signature's parameter types; ok is
// false when it is not a normalised signature at all.
func sigParams(sig string) ([]string, bool) {
	if !sigRE.MatchString(sig) || strings.Contains(sig, " ") {
		return nil, false
	}
	return wire.SignatureParams(sig), true
}

// definitionProblems lists what is malformed in a class definition.
func definitionProblems(def *wire.ClassDef) []string {
	var out []string
	for i, s := range def.Signals {
		ps, ok := sigParams(s.Signature)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("signal %d %q is not a normalised signature", i, s.Signature))
		case len(ps) != len(s.ParamNames):
			out = append(out, fmt.Sprintf("signal %d %s has %d parameters but %d parameter names", i, s.Signature, len(ps), len(s.ParamNames)))
		}
	}
	for i, m := range def.Methods {
		ps, ok := sigParams(m.Signature)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("method %d %q is not a normalised signature", i, m.Signature))
		case len(ps) != len(m.ParamNames):
			out = append(out, fmt.Sprintf("method %d %s has %d parameters but %d parameter names", i, m.Signature, len(ps), len(m.ParamNames)))
		}
	}
	seen := map[string]bool{}
	for i, p := range def.Properties {
		switch {
		case p.Name == "":
			out = append(out, fmt.Sprintf("property %d has no name", i))
		case seen[p.Name]:
			out = append(out, fmt.Sprintf("property %d %s is listed twice", i, p.Name))
		case p.Type == "":
			out = append(out, fmt.Sprintf("property %d %s has no type", i, p.Name))
		}
		seen[p.Name] = true
		if p.Notify != "" && def.SignalIndex(p.Notify) < 0 {
			out = append(out, fmt.Sprintf("property %s names notify signal %s, which is not among the class's signals", p.Name, p.Notify))
		}
	}
	return out
}

// reps are the classes of Config.Reps, by type name and dialect.
var reps = map[string]map[wire.Dialect]*meta.Class{}

// loadReps parses the .rep files of the configuration.
func loadReps(files []string) error {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--rep: %w", err)
		}
		file, err := rep.Parse(f, b)
		if err != nil {
			return fmt.Errorf("--rep %s: %w", f, err)
		}
		for _, rc := range file.Classes {
			for _, d := range wire.Dialects {
				c, err := meta.FromRep(file, rc.Name, d)
				if err != nil {
					return fmt.Errorf("--rep %s: class %s: %w", f, rc.Name, err)
				}
				if reps[c.TypeName] == nil {
					reps[c.TypeName] = map[wire.Dialect]*meta.Class{}
				}
				reps[c.TypeName][d] = c
			}
		}
	}
	return nil
}

// repOf returns the --rep class of a source's type name, if one was given.
func (e *Env) repOf(s *source) *meta.Class {
	if !s.Info.TypeName.Valid {
		return nil
	}
	return reps[s.Info.TypeName.Text][e.D]
}
