package contract

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// The canonical JSON of Qt values (specs/ADAPTER.md §7), as the Qt peer's
// values.cpp renders it. Output values are nil, bool, int64, uint64, float64
// (finite only: non-finite numbers are the strings "NaN", "Infinity",
// "-Infinity"), string, json.RawMessage (a lone UTF-16 surrogate), []any and
// map[string]any: encoding/json and AppendJSON write them alike.
// Input values are what encoding/json decodes with UseNumber (json.Number for
// numbers); Go integers and floats are accepted too.

// ErrBadValue means a JSON value does not fit the declared type (§7.2).
var ErrBadValue = errors.New("bad value")

const (
	invalidJulian = math.MinInt64 // qds: QDate() on the wire
	invalidMsecs  = 0xFFFFFFFF    // qds: QTime() on the wire
	msecsPerDay   = 86400000
)

// Fallback renders a value of a type outside §7's table. The adapter has
// none (such values are {"$unsupported": name}); qtro dump renders them by
// their decoded Go value, so that a capture's registry or model types stay
// readable.
type Fallback func(v qds.Variant) any

// ToJSON renders v by its declared type typ (a property, parameter or return
// type as the class names it). c resolves enums and PODs; it may be nil.
// QVariant positions are tagged (§7.3); an invalid QVariant in a typed
// position is null.
func ToJSON(c *meta.Class, typ string, v qds.Variant) any {
	if typ == "QVariant" {
		return Tagged(c, v)
	}
	v = flat(v)
	if !v.IsValid() {
		return nil
	}
	if id, ok := qds.TypeByName(typ); ok {
		if v.Type() != id && v.Type() != qds.User {
			if cv, err := qds.Convert(id, v); err == nil {
				v = cv
			}
		}
		return actualJSON(c, v, nil)
	}
	if c != nil {
		if c.Enum(typ) != nil {
			if i, ok := enumValue(v); ok {
				return i
			}
			return actualJSON(c, v, nil)
		}
		if g := c.Gadget(typ); g != nil {
			if gv, ok := v.Value().(qds.Gadget); ok {
				return gadgetJSON(c, g, gv)
			}
		}
	}
	return actualJSON(c, v, nil)
}

// Tagged renders v as {"type": tag, "value": JSON of v by its own type}.
func Tagged(c *meta.Class, v qds.Variant) map[string]any { return tagged(c, v, nil) }

// TaggedWith is Tagged without a class, with other rendering the types §7
// does not cover (at any depth).
func TaggedWith(v qds.Variant, other Fallback) map[string]any { return tagged(nil, v, other) }

func tagged(c *meta.Class, v qds.Variant, other Fallback) map[string]any {
	v = flat(v)
	if !v.IsValid() {
		return map[string]any{"type": "Invalid", "value": nil}
	}
	return map[string]any{"type": TypeTag(v), "value": actualJSON(c, v, other)}
}

// Reply renders a call's reply by the type that arrived (§7.4): the value
// and its tag ("Invalid" for a void reply).
func Reply(c *meta.Class, v qds.Variant) (value any, tag string) {
	v = flat(v)
	return actualJSON(c, v, nil), TypeTag(v)
}

// TypeTag is the canonical type name of v's type (§7.3).
func TypeTag(v qds.Variant) string {
	v = flat(v)
	if !v.IsValid() {
		return "Invalid"
	}
	return v.TypeName()
}

// flat unwraps a QVariant holding a QVariant: on the wire it is flat.
func flat(v qds.Variant) qds.Variant {
	for i := 0; i < 16 && v.Type() == qds.QVariant; i++ {
		inner, ok := v.Value().(qds.Variant)
		if !ok {
			return qds.Variant{}
		}
		v = inner
	}
	return v
}

func enumValue(v qds.Variant) (int64, bool) {
	switch v.Type() {
	case qds.Int, qds.UInt, qds.LongLong, qds.ULongLong, qds.Short, qds.UShort, qds.Char, qds.SChar,
		qds.UChar, qds.Long, qds.ULong:
		return v.Int(), true
	case qds.User:
		if i, ok := v.Value().(int64); ok {
			return i, true
		}
	}
	return 0, false
}

func gadgetJSON(c *meta.Class, g *wire.GadgetDef, gv qds.Gadget) map[string]any {
	o := make(map[string]any, len(g.Properties))
	for i, p := range g.Properties {
		var f qds.Variant
		if i < len(gv.Fields) {
			f = gv.Fields[i]
		}
		o[p.Name] = ToJSON(c, p.Type, f)
	}
	return o
}

func number(f float64) any {
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

func bytesJSON(b []byte, null bool) any {
	if b == nil && null {
		return nil
	}
	return base64.StdEncoding.EncodeToString(b)
}

func mapJSON(c *meta.Class, m []qds.MapEntry, other Fallback) map[string]any {
	o := make(map[string]any, len(m))
	for _, e := range m {
		o[e.Key] = tagged(c, e.Value, other)
	}
	return o
}

// utf16Unit renders one UTF-16 code unit as a JSON string; a lone surrogate
// becomes a \uXXXX escape, which a Go string cannot hold.
func utf16Unit(u uint16) any {
	if utf16.IsSurrogate(rune(u)) {
		return json.RawMessage(fmt.Sprintf(`"\u%04x"`, u))
	}
	return string(rune(u))
}

// actualJSON renders v by its own type; other (may be nil) renders types
// outside §7.
func actualJSON(c *meta.Class, v qds.Variant, other Fallback) any {
	switch v.Type() {
	case qds.Invalid, qds.Nullptr:
		return nil
	case qds.Bool:
		return v.Bool()
	case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong:
		return v.Int()
	case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
		return v.Uint()
	case qds.Double, qds.Float:
		return number(v.Float())
	case qds.QChar:
		return utf16Unit(uint16(v.Uint()))
	case qds.QString:
		if v.IsNullValue() {
			return nil
		}
		return v.Str()
	case qds.QByteArray:
		return bytesJSON(v.Bytes(), v.IsNullValue())
	case qds.QStringList:
		l := v.NullableStrings()
		out := make([]any, len(l))
		for i, s := range l {
			if s.Valid {
				out[i] = s.Text
			}
		}
		return out
	case qds.QByteArrayList:
		l := v.ByteArrays()
		out := make([]any, len(l))
		for i, b := range l {
			out[i] = bytesJSON(b, true)
		}
		return out
	case qds.QVariantList:
		l := v.List()
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = tagged(c, e, other)
		}
		return out
	case qds.QVariantMap, qds.QVariantHash:
		return mapJSON(c, v.Map(), other)
	case qds.QDate:
		jd, _ := v.Any().(int64)
		if jd == invalidJulian {
			return nil
		}
		return map[string]any{"jd": jd}
	case qds.QTime:
		ms, _ := v.Any().(uint32)
		if ms >= msecsPerDay {
			return nil
		}
		return map[string]any{"ms": int64(ms)}
	case qds.QDateTime:
		dt, _ := v.Value().(qds.DateTime)
		return dateTimeJSON(dt)
	case qds.QUrl:
		if v.Str() == "" {
			return nil
		}
		return v.Str()
	case qds.QUuid:
		u, _ := v.Value().(qds.UUID)
		return uuidString(u)
	case qds.QPoint:
		p, _ := v.Value().(qds.Point)
		return map[string]any{"x": int64(p.X), "y": int64(p.Y)}
	case qds.QPointF:
		p, _ := v.Value().(qds.PointF)
		return map[string]any{"x": number(p.X), "y": number(p.Y)}
	case qds.QSize:
		s, _ := v.Value().(qds.Size)
		return map[string]any{"width": int64(s.W), "height": int64(s.H)}
	case qds.QSizeF:
		s, _ := v.Value().(qds.SizeF)
		return map[string]any{"width": number(s.W), "height": number(s.H)}
	case qds.QRect:
		r, _ := v.Value().(qds.Rect)
		return map[string]any{"x": int64(r.Left), "y": int64(r.Top), "width": int64(r.Width()), "height": int64(r.Height())}
	case qds.QRectF:
		r, _ := v.Value().(qds.RectF)
		return map[string]any{"x": number(r.X), "y": number(r.Y), "width": number(r.W), "height": number(r.H)}
	case qds.QLine:
		l, _ := v.Value().(qds.Line)
		return map[string]any{"x1": int64(l.X1), "y1": int64(l.Y1), "x2": int64(l.X2), "y2": int64(l.Y2)}
	case qds.QLineF:
		l, _ := v.Value().(qds.LineF)
		return map[string]any{"x1": number(l.X1), "y1": number(l.Y1), "x2": number(l.X2), "y2": number(l.Y2)}
	case qds.User:
		switch x := v.Value().(type) {
		case qds.Gadget:
			if c != nil {
				if g := c.Gadget(v.TypeName()); g != nil {
					return gadgetJSON(c, g, x)
				}
			}
			o := make(map[string]any, len(x.Fields))
			for i, f := range x.Fields {
				name := strconv.Itoa(i)
				if i < len(x.Names) {
					name = x.Names[i]
				}
				o[name] = actualJSON(c, f, other)
			}
			return o
		case int64: // an enum sent under its own type name
			return x
		case wire.ChildObject:
			if x.IsNull {
				return nil
			}
		}
	}
	if other != nil {
		return other(v)
	}
	return map[string]any{"$unsupported": v.TypeName()}
}

var specNames = [...]string{"LocalTime", "UTC", "OffsetFromUTC", "TimeZone"}

func dateTimeJSON(dt qds.DateTime) any {
	if !dt.Valid() {
		return nil
	}
	spec := "LocalTime"
	if int(dt.Spec) < len(specNames) {
		spec = specNames[dt.Spec]
	}
	o := map[string]any{"jd": dt.JulianDay, "ms": int64(dt.Msecs), "spec": spec}
	switch dt.Spec {
	case qds.OffsetFromUTC:
		o["offset"] = int64(dt.OffsetSeconds)
	case qds.TimeZoneSpec:
		o["tz"] = dt.TimeZone
	}
	return o
}

func uuidString(u qds.UUID) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:16])
	return string(b[:])
}

// ---- input ----

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadValue, fmt.Sprintf(format, args...))
}

// FromJSON builds a value of exactly the declared type typ from its canonical
// JSON, strictly (§7.2). For typ QVariant j is a tagged value and the result
// is the contained value (a QVariant argument is flat on the wire).
func FromJSON(c *meta.Class, typ string, j any) (qds.Variant, error) {
	if typ == "QVariant" {
		return FromTagged(c, j)
	}
	if id, ok := qds.TypeByName(typ); ok {
		return builtinFromJSON(c, id, j)
	}
	if c != nil {
		if c.Enum(typ) != nil {
			i, err := intIn(j, math.MinInt32, math.MaxInt32)
			if err != nil {
				return qds.Variant{}, err
			}
			return qds.IntOf(int32(i)), nil
		}
		if g := c.Gadget(typ); g != nil {
			return gadgetFromJSON(c, g, j)
		}
	}
	return qds.Variant{}, badf("values of type %s are not supported as input", typ)
}

// FromTagged is the inverse of Tagged.
func FromTagged(c *meta.Class, j any) (qds.Variant, error) {
	o, ok := j.(map[string]any)
	if !ok {
		return qds.Variant{}, badf(`expected a tagged value {"type":..,"value":..}`)
	}
	tag, ok := o["type"].(string)
	if !ok {
		return qds.Variant{}, badf("tagged value without a type")
	}
	switch tag {
	case "Invalid":
		return qds.Variant{}, nil
	case "QVariant":
		return qds.Variant{}, badf("a tagged value cannot have type QVariant")
	}
	if id, ok := qds.TypeByName(tag); ok && isTagType(id) {
		return builtinFromJSON(c, id, o["value"])
	}
	if c != nil {
		if g := c.Gadget(tag); g != nil {
			return gadgetFromJSON(c, g, o["value"])
		}
	}
	return qds.Variant{}, badf("unknown type %s", tag)
}

// isTagType reports whether id is one of the canonical tag types of §7.3.
func isTagType(id qds.TypeID) bool {
	switch id {
	case qds.Bool, qds.Int, qds.UInt, qds.LongLong, qds.ULongLong, qds.Double, qds.Float, qds.Short,
		qds.UShort, qds.Char, qds.SChar, qds.UChar, qds.Long, qds.ULong, qds.QChar, qds.QString,
		qds.QByteArray, qds.QStringList, qds.QByteArrayList, qds.QVariantList, qds.QVariantMap,
		qds.QVariantHash, qds.QDate, qds.QTime, qds.QDateTime, qds.QUrl, qds.QUuid, qds.QPoint,
		qds.QPointF, qds.QSize, qds.QSizeF, qds.QRect, qds.QRectF, qds.QLine, qds.QLineF:
		return true
	}
	return false
}

func builtinFromJSON(c *meta.Class, id qds.TypeID, j any) (qds.Variant, error) {
	switch id {
	case qds.Bool:
		b, ok := j.(bool)
		if !ok {
			return qds.Variant{}, badf("expected true or false")
		}
		return qds.BoolOf(b), nil
	case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong:
		lo, hi := signedRange(id)
		i, err := intIn(j, lo, hi)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.IntegerOf(id, i), nil
	case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
		u, err := uintIn(j, unsignedMax(id))
		if err != nil {
			return qds.Variant{}, err
		}
		if id == qds.ULongLong {
			return qds.ULongLongOf(u), nil
		}
		v, _ := qds.Convert(id, u)
		return v, nil
	case qds.Double:
		f, err := floatOf(j)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.DoubleOf(f), nil
	case qds.Float:
		f, err := floatOf(j)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.FloatOf(float32(f)), nil
	case qds.QChar:
		s, ok := j.(string)
		u := utf16.Encode([]rune(s))
		if !ok || len(u) != 1 {
			return qds.Variant{}, badf("expected a string of one UTF-16 unit")
		}
		return qds.IntegerOf(qds.QChar, int64(u[0])), nil
	case qds.QString:
		if j == nil {
			return qds.NullStringOf(), nil
		}
		s, ok := j.(string)
		if !ok {
			return qds.Variant{}, badf("expected a string or null")
		}
		return qds.StringOf(s), nil
	case qds.QByteArray:
		b, err := bytesOf(j)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.ByteArrayOf(b), nil
	case qds.QStringList:
		l, ok := j.([]any)
		if !ok {
			return qds.Variant{}, badf("expected an array of strings")
		}
		out := make([]qds.NullString, len(l))
		for i, e := range l {
			switch s := e.(type) {
			case nil:
			case string:
				out[i] = qds.Str(s)
			default:
				return qds.Variant{}, badf("expected an array of strings")
			}
		}
		return qds.StringListWithNulls(out), nil
	case qds.QByteArrayList:
		l, ok := j.([]any)
		if !ok {
			return qds.Variant{}, badf("expected an array of base64 strings")
		}
		out := make([][]byte, len(l))
		for i, e := range l {
			b, err := bytesOf(e)
			if err != nil {
				return qds.Variant{}, err
			}
			out[i] = b
		}
		return qds.ByteArrayListOf(out), nil
	case qds.QVariantList:
		l, ok := j.([]any)
		if !ok {
			return qds.Variant{}, badf("expected an array of tagged values")
		}
		out := make([]qds.Variant, len(l))
		for i, e := range l {
			v, err := FromTagged(c, e)
			if err != nil {
				return qds.Variant{}, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = v
		}
		return qds.ListOf(out), nil
	case qds.QVariantMap, qds.QVariantHash:
		o, ok := j.(map[string]any)
		if !ok {
			return qds.Variant{}, badf("expected an object of tagged values")
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]qds.MapEntry, len(keys))
		for i, k := range keys {
			v, err := FromTagged(c, o[k])
			if err != nil {
				return qds.Variant{}, fmt.Errorf("key %q: %w", k, err)
			}
			out[i] = qds.MapEntry{Key: k, Value: v}
		}
		if id == qds.QVariantHash {
			return qds.HashOf(out), nil
		}
		return qds.MapOf(out), nil
	case qds.QDate:
		if j == nil {
			return qds.Zero(qds.QDate), nil
		}
		o, ok := j.(map[string]any)
		if !ok {
			return qds.Variant{}, badf(`expected {"jd":N} or null`)
		}
		jd, err := intIn(o["jd"], math.MinInt64+1, math.MaxInt64)
		if err != nil {
			return qds.Variant{}, fmt.Errorf("jd: %w", err)
		}
		return qds.DateOf(jd), nil
	case qds.QTime:
		if j == nil {
			return qds.Zero(qds.QTime), nil
		}
		o, ok := j.(map[string]any)
		if !ok {
			return qds.Variant{}, badf(`expected {"ms":N} or null`)
		}
		ms, err := intIn(o["ms"], 0, msecsPerDay-1)
		if err != nil {
			return qds.Variant{}, fmt.Errorf("ms: %w", err)
		}
		return qds.TimeOf(uint32(ms)), nil
	case qds.QDateTime:
		if j == nil {
			return qds.DateTimeOf(qds.InvalidDateTime), nil
		}
		dt, err := dateTimeOf(j)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.DateTimeOf(dt), nil
	case qds.QUrl:
		if j == nil {
			return qds.URLOf(""), nil
		}
		s, ok := j.(string)
		if !ok {
			return qds.Variant{}, badf("expected a URL string or null")
		}
		return qds.URLOf(s), nil
	case qds.QUuid:
		s, ok := j.(string)
		if !ok {
			return qds.Variant{}, badf("expected a UUID string")
		}
		u, err := parseUUID(s)
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.UUIDOf(u), nil
	case qds.QPoint:
		f, err := intFields(j, "x", "y")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.PointOf(qds.Point{X: f[0], Y: f[1]}), nil
	case qds.QPointF:
		f, err := floatFields(j, "x", "y")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.PointFOf(qds.PointF{X: f[0], Y: f[1]}), nil
	case qds.QSize:
		f, err := intFields(j, "width", "height")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.SizeOf(qds.Size{W: f[0], H: f[1]}), nil
	case qds.QSizeF:
		f, err := floatFields(j, "width", "height")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.SizeFOf(qds.SizeF{W: f[0], H: f[1]}), nil
	case qds.QRect:
		f, err := intFields(j, "x", "y", "width", "height")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.RectOf(qds.RectFromXYWH(f[0], f[1], f[2], f[3])), nil
	case qds.QRectF:
		f, err := floatFields(j, "x", "y", "width", "height")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.RectFOf(qds.RectF{X: f[0], Y: f[1], W: f[2], H: f[3]}), nil
	case qds.QLine:
		f, err := intFields(j, "x1", "y1", "x2", "y2")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.LineOf(qds.Line{X1: f[0], Y1: f[1], X2: f[2], Y2: f[3]}), nil
	case qds.QLineF:
		f, err := floatFields(j, "x1", "y1", "x2", "y2")
		if err != nil {
			return qds.Variant{}, err
		}
		return qds.LineFOf(qds.LineF{X1: f[0], Y1: f[1], X2: f[2], Y2: f[3]}), nil
	case qds.QVariant:
		return FromTagged(c, j)
	}
	return qds.Variant{}, badf("values of type %s are not supported as input", id)
}

func gadgetFromJSON(c *meta.Class, g *wire.GadgetDef, j any) (qds.Variant, error) {
	o, ok := j.(map[string]any)
	if !ok {
		return qds.Variant{}, badf("expected an object of %s fields", g.Name)
	}
	names := make([]string, len(g.Properties))
	fields := make([]qds.Variant, len(g.Properties))
	for i, p := range g.Properties {
		names[i] = p.Name
		fields[i] = meta.Zero(c, p.Type)
	}
	for k, x := range o {
		i := -1
		for n, p := range g.Properties {
			if p.Name == k {
				i = n
			}
		}
		if i < 0 {
			return qds.Variant{}, badf("unknown field %s of %s", k, g.Name)
		}
		v, err := FromJSON(c, g.Properties[i].Type, x)
		if err != nil {
			return qds.Variant{}, fmt.Errorf("field %s: %w", k, err)
		}
		fields[i] = v
	}
	return qds.UserOf(g.Name, qds.Gadget{Names: names, Fields: fields}), nil
}

func signedRange(id qds.TypeID) (int64, int64) {
	switch id {
	case qds.Int:
		return math.MinInt32, math.MaxInt32
	case qds.Short:
		return math.MinInt16, math.MaxInt16
	case qds.Char, qds.SChar:
		return math.MinInt8, math.MaxInt8
	}
	return math.MinInt64, math.MaxInt64 // long is 64-bit on Linux
}

func unsignedMax(id qds.TypeID) uint64 {
	switch id {
	case qds.UInt:
		return math.MaxUint32
	case qds.UShort:
		return math.MaxUint16
	case qds.UChar:
		return math.MaxUint8
	}
	return math.MaxUint64
}

// integer reads an integral JSON number (2.0 and 1e3 count, 2.5 does not)
// as int64, or as uint64 above MaxInt64 (big).
func integer(j any) (i int64, u uint64, big bool, err error) {
	switch x := j.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, 0, false, nil
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return 0, u, true, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0, 0, false, badf("expected an integer")
		}
		return integralFloat(f)
	case float64:
		return integralFloat(x)
	case float32:
		return integralFloat(float64(x))
	case int:
		return int64(x), 0, false, nil
	case int32:
		return int64(x), 0, false, nil
	case int64:
		return x, 0, false, nil
	case uint32:
		return int64(x), 0, false, nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, uint64(x), true, nil
		}
		return int64(x), 0, false, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, x, true, nil
		}
		return int64(x), 0, false, nil
	}
	return 0, 0, false, badf("expected an integer")
}

func integralFloat(f float64) (int64, uint64, bool, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f):
		return 0, 0, false, badf("expected an integer")
	case f >= -9223372036854775808.0 && f < 9223372036854775808.0:
		return int64(f), 0, false, nil
	case f >= 0 && f < 18446744073709551616.0:
		return 0, uint64(f), true, nil
	}
	return 0, 0, false, badf("integer out of range")
}

func intIn(j any, lo, hi int64) (int64, error) {
	i, _, big, err := integer(j)
	if err != nil {
		return 0, err
	}
	if big || i < lo || i > hi {
		return 0, badf("integer out of range")
	}
	return i, nil
}

func uintIn(j any, hi uint64) (uint64, error) {
	i, u, big, err := integer(j)
	if err != nil {
		return 0, badf("expected a non-negative integer")
	}
	if !big {
		if i < 0 {
			return 0, badf("expected a non-negative integer")
		}
		u = uint64(i)
	}
	if u > hi {
		return 0, badf("integer out of range")
	}
	return u, nil
}

func floatOf(j any) (float64, error) {
	switch x := j.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, badf("expected a number")
		}
		return f, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case string:
		switch x {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, badf("expected a number")
	}
	if i, u, big, err := integer(j); err == nil {
		if big {
			return float64(u), nil
		}
		return float64(i), nil
	}
	return 0, badf("expected a number")
}

func bytesOf(j any) ([]byte, error) {
	if j == nil {
		return nil, nil
	}
	s, ok := j.(string)
	if !ok {
		return nil, badf("expected a base64 string or null")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, badf("invalid base64")
	}
	if b == nil {
		b = []byte{} // "" is the empty, not the null, byte array
	}
	return b, nil
}

// objectFields reads the named members of a JSON object; like the Qt peer it
// ignores members it does not know.
func objectFields(j any, names ...string) (map[string]any, error) {
	o, ok := j.(map[string]any)
	if !ok {
		return nil, badf("expected {%s}", strings.Join(names, ","))
	}
	for _, n := range names {
		if _, ok := o[n]; !ok {
			return nil, badf("missing field %s", n)
		}
	}
	return o, nil
}

func intFields(j any, names ...string) ([]int32, error) {
	o, err := objectFields(j, names...)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(names))
	for i, n := range names {
		v, err := intIn(o[n], math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out[i] = int32(v)
	}
	return out, nil
}

func floatFields(j any, names ...string) ([]float64, error) {
	o, err := objectFields(j, names...)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(names))
	for i, n := range names {
		v, err := floatOf(o[n])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out[i] = v
	}
	return out, nil
}

func dateTimeOf(j any) (qds.DateTime, error) {
	o, ok := j.(map[string]any)
	if !ok {
		return qds.DateTime{}, badf("expected a QDateTime object or null")
	}
	jd, err := intIn(o["jd"], math.MinInt64+1, math.MaxInt64)
	if err != nil {
		return qds.DateTime{}, badf("QDateTime needs an integer jd")
	}
	ms, err := intIn(o["ms"], 0, msecsPerDay-1)
	if err != nil {
		return qds.DateTime{}, badf("QDateTime needs an integer ms (0..86399999)")
	}
	dt := qds.DateTime{JulianDay: jd, Msecs: uint32(ms)}
	spec, ok := o["spec"].(string)
	if !ok {
		spec = "LocalTime" // as the Qt peer: a missing spec is local time
	}
	switch spec {
	case "LocalTime":
		dt.Spec = qds.LocalTime
	case "UTC":
		dt.Spec = qds.UTC
	case "OffsetFromUTC":
		off, err := intIn(o["offset"], -86400, 86400)
		if err != nil {
			return qds.DateTime{}, badf("OffsetFromUTC needs an integer offset in seconds")
		}
		dt.Spec, dt.OffsetSeconds = qds.OffsetFromUTC, int32(off)
	case "TimeZone":
		tz, ok := o["tz"].(string)
		if !ok || tz == "" {
			return qds.DateTime{}, badf("TimeZone needs a tz id")
		}
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return qds.DateTime{}, badf("unknown time zone %s", tz)
		}
		dt.Spec, dt.TimeZone = qds.TimeZoneSpec, tz
	default:
		return qds.DateTime{}, badf("unknown QDateTime spec %s", spec)
	}
	return dt, nil
}

func parseUUID(s string) (qds.UUID, error) {
	var u qds.UUID
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(t) != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-' {
		return u, badf("invalid UUID")
	}
	h := t[0:8] + t[9:13] + t[14:18] + t[19:23] + t[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, badf("invalid UUID")
	}
	return u, nil
}

// ObjectJSON renders the property values of an object of class cls (a
// CLASS member's value, §7) as an object: each value by its property's
// type; values beyond cls's properties (all, when cls is nil) tagged,
// under their index.
func ObjectJSON(cls *meta.Class, vals []qds.Variant) map[string]any {
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		if cls != nil && k < len(cls.Properties) {
			out[cls.Properties[k].Name] = ToJSON(cls, cls.Properties[k].Type, v)
		} else {
			out[strconv.Itoa(k)] = Tagged(nil, v)
		}
	}
	return out
}
