package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// The node's values: canonical JSON (specs/ADAPTER.md §7) of whatever a
// class definition declares. A dynamic replica learns every type from the
// InitDynamicPacket, so nothing here knows Plain or TestObject: enums and
// gadgets are looked up in the definition, built-in types by their Qt name.

// classInfo is a class definition with what rendering needs from it: the
// definitions of CLASS children (learnt from their QRO_ descriptors).
type classInfo struct {
	def      *wire.ClassDef
	children map[string]*wire.ClassDef // by child source name
}

// lastPart is "Color" for "TestObject::Color".
func lastPart(t string) string {
	if i := strings.LastIndex(t, "::"); i >= 0 {
		return t[i+2:]
	}
	return t
}

// isEnum reports whether t names an enum of the class or of one of its
// gadgets (or a Qt namespace enum).
func (ci *classInfo) isEnum(t string) bool {
	if ci == nil || ci.def == nil {
		return false
	}
	name := lastPart(t)
	for _, e := range ci.def.Enums {
		if e.Name == name {
			return true
		}
	}
	for _, g := range ci.def.Gadgets {
		for _, e := range g.Enums {
			if e.Name == name {
				return true
			}
		}
	}
	for _, q := range ci.def.QtEnums {
		if q == t || lastPart(q) == name {
			return true
		}
	}
	return false
}

// gadget returns the gadget (POD) type named t, if the definition has it.
func (ci *classInfo) gadget(t string) *wire.GadgetDef {
	if ci == nil || ci.def == nil {
		return nil
	}
	for i, g := range ci.def.Gadgets {
		if len(g.Properties) > 0 && (g.Name == t || lastPart(g.Name) == lastPart(t)) {
			return &ci.def.Gadgets[i]
		}
	}
	return nil
}

// render renders v by its declared type t.
func (ci *classInfo) render(t string, v qds.Variant) any {
	if !v.IsValid() {
		return nil // e.g. Qt 5's invalid enum signal argument (§7.1)
	}
	switch {
	case t == "QVariant":
		return ci.tagged(v)
	case strings.HasSuffix(t, "*"):
		return ci.renderChild(v)
	case ci.isEnum(t):
		return v.Int()
	}
	if g := ci.gadget(t); g != nil {
		return ci.renderGadget(g, v)
	}
	if id, ok := qds.TypeByName(t); ok {
		if v.Type() != id && v.Type() != qds.User {
			// What arrived is not the declared type: report what arrived.
			id = v.Type()
		}
		return ci.builtin(id, v)
	}
	if _, ok := v.Value().(qds.Gadget); ok {
		return ci.renderValueGadget(v)
	}
	return map[string]any{"$unsupported": t}
}

// renderByOwnType renders v by the type it carries (tagged positions).
func (ci *classInfo) renderByOwnType(v qds.Variant) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == qds.User {
		if g := ci.gadget(v.TypeName()); g != nil {
			return ci.renderGadget(g, v)
		}
		if _, ok := v.Value().(qds.Gadget); ok {
			return ci.renderValueGadget(v)
		}
		if _, ok := v.Value().(wire.ChildObject); ok {
			return ci.renderChild(v)
		}
		return map[string]any{"$unsupported": v.TypeName()}
	}
	return ci.builtin(v.Type(), v)
}

// tagged is the §7.3 form {"type","value"}.
func (ci *classInfo) tagged(v qds.Variant) map[string]any {
	if !v.IsValid() {
		return map[string]any{"type": "Invalid", "value": nil}
	}
	return map[string]any{"type": v.TypeName(), "value": ci.renderByOwnType(v)}
}

func (ci *classInfo) renderGadget(g *wire.GadgetDef, v qds.Variant) any {
	gv, ok := v.Value().(qds.Gadget)
	if !ok {
		return map[string]any{"$unsupported": g.Name}
	}
	out := map[string]any{}
	for i, p := range g.Properties {
		if i < len(gv.Fields) {
			out[p.Name] = ci.render(p.Type, gv.Fields[i])
		}
	}
	return out
}

// renderValueGadget renders a gadget the definition does not describe, by
// the field types that arrived.
func (ci *classInfo) renderValueGadget(v qds.Variant) any {
	gv := v.Value().(qds.Gadget)
	out := map[string]any{}
	for i, f := range gv.Fields {
		name := strconv.Itoa(i)
		if i < len(gv.Names) {
			name = gv.Names[i]
		}
		out[name] = ci.renderByOwnType(f)
	}
	return out
}

// renderChild renders a QRO_ CLASS child as an object of its properties.
func (ci *classInfo) renderChild(v qds.Variant) any {
	ch, ok := v.Value().(wire.ChildObject)
	if !ok || ch.IsNull {
		return nil
	}
	var def *wire.ClassDef
	if ci != nil && ci.children != nil {
		def = ci.children[ch.Name]
	}
	out := map[string]any{}
	for i, p := range ch.Parameters {
		if def != nil && i < len(def.Properties) {
			sub := &classInfo{def: def, children: ci.children}
			out[def.Properties[i].Name] = sub.render(def.Properties[i].Type, p)
			continue
		}
		out[strconv.Itoa(i)] = ci.renderByOwnType(p)
	}
	return out
}

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

func b64(b []byte) any {
	if b == nil {
		return nil
	}
	return base64.StdEncoding.EncodeToString(b)
}

// builtin renders a value of a QtCore type.
func (ci *classInfo) builtin(id qds.TypeID, v qds.Variant) any {
	switch id {
	case qds.Bool:
		return v.Bool()
	case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong:
		return v.Int()
	case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
		return v.Uint()
	case qds.Double, qds.Float:
		return jsonFloat(v.Float())
	case qds.QString:
		if v.IsNullValue() {
			return nil
		}
		return v.Str()
	case qds.QChar:
		return string(rune(v.Uint()))
	case qds.QByteArray:
		if v.IsNullValue() {
			return nil
		}
		b := v.Bytes()
		if b == nil {
			b = []byte{}
		}
		return b64(b)
	case qds.QStringList:
		out := []any{}
		for _, s := range v.NullableStrings() {
			if !s.Valid {
				out = append(out, nil)
			} else {
				out = append(out, s.Text)
			}
		}
		return out
	case qds.QByteArrayList:
		out := []any{}
		for _, b := range v.ByteArrays() {
			out = append(out, b64(b))
		}
		return out
	case qds.QVariantList:
		out := []any{}
		for _, e := range v.List() {
			out = append(out, ci.tagged(e))
		}
		return out
	case qds.QVariantMap, qds.QVariantHash:
		out := map[string]any{}
		for _, e := range v.Map() {
			out[e.Key] = ci.tagged(e.Value)
		}
		return out
	case qds.QDate:
		jd := v.Int()
		if jd == math.MinInt64 {
			return nil
		}
		return map[string]any{"jd": jd}
	case qds.QTime:
		ms := v.Uint()
		if ms == 0xFFFFFFFF {
			return nil
		}
		return map[string]any{"ms": ms}
	case qds.QDateTime:
		dt, ok := v.Value().(qds.DateTime)
		if !ok || !dt.Valid() {
			return nil
		}
		specs := []string{"LocalTime", "UTC", "OffsetFromUTC", "TimeZone"}
		out := map[string]any{"jd": dt.JulianDay, "ms": dt.Msecs}
		if int(dt.Spec) < len(specs) {
			out["spec"] = specs[dt.Spec]
		}
		switch dt.Spec {
		case qds.OffsetFromUTC:
			out["offset"] = dt.OffsetSeconds
		case qds.TimeZoneSpec:
			out["tz"] = dt.TimeZone
		}
		return out
	case qds.QUrl:
		if v.Str() == "" {
			return nil
		}
		return v.Str()
	case qds.QUuid:
		u, ok := v.Value().(qds.UUID)
		if !ok {
			return nil
		}
		h := hex.EncodeToString(u[:])
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	case qds.QPoint:
		p, _ := v.Value().(qds.Point)
		return map[string]any{"x": p.X, "y": p.Y}
	case qds.QPointF:
		p, _ := v.Value().(qds.PointF)
		return map[string]any{"x": jsonFloat(p.X), "y": jsonFloat(p.Y)}
	case qds.QSize:
		s, _ := v.Value().(qds.Size)
		return map[string]any{"width": s.W, "height": s.H}
	case qds.QSizeF:
		s, _ := v.Value().(qds.SizeF)
		return map[string]any{"width": jsonFloat(s.W), "height": jsonFloat(s.H)}
	case qds.QRect:
		r, _ := v.Value().(qds.Rect)
		if r == (qds.Rect{Right: -1, Bottom: -1}) {
			return map[string]any{"x": 0, "y": 0, "width": 0, "height": 0}
		}
		return map[string]any{"x": r.Left, "y": r.Top, "width": r.Width(), "height": r.Height()}
	case qds.QRectF:
		r, _ := v.Value().(qds.RectF)
		return map[string]any{"x": jsonFloat(r.X), "y": jsonFloat(r.Y), "width": jsonFloat(r.W), "height": jsonFloat(r.H)}
	case qds.QLine:
		l, _ := v.Value().(qds.Line)
		return map[string]any{"x1": l.X1, "y1": l.Y1, "x2": l.X2, "y2": l.Y2}
	case qds.QLineF:
		l, _ := v.Value().(qds.LineF)
		return map[string]any{"x1": jsonFloat(l.X1), "y1": jsonFloat(l.Y1), "x2": jsonFloat(l.X2), "y2": jsonFloat(l.Y2)}
	case qds.QVariant:
		return ci.tagged(v)
	case qds.User:
		return ci.renderByOwnType(v)
	}
	return map[string]any{"$unsupported": id.String()}
}

// Input (§7.2): JSON of a command converted to a QVariant of the declared
// type, strictly. Types the node cannot take as input are badValue.

// decodeJSON decodes raw with exact numbers.
func decodeJSON(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing value")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return x, nil
}

// toVariant converts a decoded JSON value to declared type t.
func (ci *classInfo) toVariant(t string, x any) (qds.Variant, error) {
	if ci.isEnum(t) {
		return intVariant(qds.Int, x)
	}
	if g := ci.gadget(t); g != nil {
		obj, ok := x.(map[string]any)
		if !ok {
			return qds.Variant{}, fmt.Errorf("want an object for %s", t)
		}
		gv := qds.Gadget{}
		for _, p := range g.Properties {
			gv.Names = append(gv.Names, p.Name)
			fx, has := obj[p.Name]
			var fv qds.Variant
			var err error
			if !has {
				id, _ := qds.TypeByName(p.Type)
				fv = qds.Zero(id)
			} else if fv, err = ci.toVariant(p.Type, fx); err != nil {
				return qds.Variant{}, fmt.Errorf("%s.%s: %v", t, p.Name, err)
			}
			gv.Fields = append(gv.Fields, fv)
		}
		for k := range obj {
			if !containsName(gv.Names, k) {
				return qds.Variant{}, fmt.Errorf("%s has no field %q", t, k)
			}
		}
		return qds.UserOf(g.Name, gv), nil
	}
	if t == "QVariant" {
		m, ok := x.(map[string]any)
		if !ok {
			return qds.Variant{}, fmt.Errorf(`want a tagged value {"type","value"} for QVariant`)
		}
		tn, _ := m["type"].(string)
		if tn == "Invalid" {
			return qds.InvalidVariant(), nil
		}
		if _, ok := qds.TypeByName(tn); !ok && ci.gadget(tn) == nil {
			return qds.Variant{}, fmt.Errorf("unsupported tagged type %q", tn)
		}
		return ci.toVariant(tn, m["value"])
	}
	id, ok := qds.TypeByName(t)
	if !ok {
		return qds.Variant{}, fmt.Errorf("the node takes no %s input", t)
	}
	switch id {
	case qds.Bool:
		b, ok := x.(bool)
		if !ok {
			return qds.Variant{}, fmt.Errorf("want true or false for bool")
		}
		return qds.BoolOf(b), nil
	case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong,
		qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
		return intVariant(id, x)
	case qds.Double, qds.Float:
		var f float64
		switch n := x.(type) {
		case json.Number:
			var err error
			if f, err = n.Float64(); err != nil {
				return qds.Variant{}, err
			}
		case string:
			switch n {
			case "NaN":
				f = math.NaN()
			case "Infinity":
				f = math.Inf(1)
			case "-Infinity":
				f = math.Inf(-1)
			default:
				return qds.Variant{}, fmt.Errorf("want a number for %s", t)
			}
		default:
			return qds.Variant{}, fmt.Errorf("want a number for %s", t)
		}
		if id == qds.Float {
			return qds.FloatOf(float32(f)), nil
		}
		return qds.DoubleOf(f), nil
	case qds.QString:
		switch s := x.(type) {
		case nil:
			return qds.NullStringOf(), nil
		case string:
			return qds.StringOf(s), nil
		}
		return qds.Variant{}, fmt.Errorf("want a string or null for QString")
	case qds.QByteArray:
		switch s := x.(type) {
		case nil:
			return qds.ByteArrayOf(nil), nil
		case string:
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return qds.Variant{}, fmt.Errorf("bad base64: %v", err)
			}
			return qds.ByteArrayOf(b), nil
		}
		return qds.Variant{}, fmt.Errorf("want base64 or null for QByteArray")
	case qds.QStringList:
		l, ok := x.([]any)
		if !ok {
			return qds.Variant{}, fmt.Errorf("want an array for QStringList")
		}
		ss := make([]qds.NullString, len(l))
		for i, e := range l {
			switch s := e.(type) {
			case nil:
			case string:
				ss[i] = qds.Str(s)
			default:
				return qds.Variant{}, fmt.Errorf("element %d of a QStringList is no string", i)
			}
		}
		return qds.StringListWithNulls(ss), nil
	case qds.QVariantList:
		l, ok := x.([]any)
		if !ok {
			return qds.Variant{}, fmt.Errorf("want an array for QVariantList")
		}
		vs := make([]qds.Variant, len(l))
		for i, e := range l {
			v, err := ci.toVariant("QVariant", e)
			if err != nil {
				return qds.Variant{}, fmt.Errorf("element %d: %v", i, err)
			}
			vs[i] = v
		}
		return qds.ListOf(vs), nil
	}
	return qds.Variant{}, fmt.Errorf("the node takes no %s input", t)
}

func containsName(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// intVariant converts an exact JSON integer to integer type id, in range.
func intVariant(id qds.TypeID, x any) (qds.Variant, error) {
	n, ok := x.(json.Number)
	if !ok {
		return qds.Variant{}, fmt.Errorf("want an integer for %s", id)
	}
	switch id {
	case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
		bits := map[qds.TypeID]int{qds.UInt: 32, qds.UShort: 16, qds.UChar: 8, qds.ULong: 64, qds.ULongLong: 64}[id]
		u, err := strconv.ParseUint(n.String(), 10, bits)
		if err != nil {
			return qds.Variant{}, fmt.Errorf("want an integer in the range of %s, got %s", id, n)
		}
		if id == qds.ULongLong {
			return qds.ULongLongOf(u), nil
		}
		return qds.IntegerOf(id, int64(u)), nil
	}
	bits := map[qds.TypeID]int{qds.Int: 32, qds.Short: 16, qds.Char: 8, qds.SChar: 8, qds.Long: 64, qds.LongLong: 64}[id]
	i, err := strconv.ParseInt(n.String(), 10, bits)
	if err != nil {
		return qds.Variant{}, fmt.Errorf("want an integer in the range of %s, got %s", id, n)
	}
	if id == qds.Int {
		return qds.IntOf(int32(i)), nil
	}
	return qds.IntegerOf(id, i), nil
}
