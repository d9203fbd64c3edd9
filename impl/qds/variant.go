package qds

import (
	"math"
	"reflect"
)

// Variant is a QVariant: a type id (or a user type name) and a value.
//
// Like log/slog.Value it stores scalars inline, so decoding and encoding ints,
// doubles and strings does not box them. Build one with the constructors
// (Int, String, List, ...) and read it with the accessors; the zero Variant is
// Qt's invalid QVariant.
type Variant struct {
	typ   TypeID
	null  bool   // the QVariant isNull flag as sent
	nulld bool   // the value is Qt's null form (null QString, QByteArray, QUrl)
	name  string // user type name when typ == User
	num   uint64 // integers, bools, QChar, float bits, QDate, QTime
	str   string // QString, QUrl, QLocale
	ref   any    // everything else
}

// MapEntry is one key/value pair of a QVariantMap or QVariantHash. Maps keep
// the order they were received in, so re-encoding reproduces the bytes.
type MapEntry struct {
	Key   string
	Value Variant
	// KeyNull marks a null QString key (Qt writes it as 0xFFFFFFFF).
	KeyNull bool
}

// nullableStrings is a QStringList holding null elements; Null[i] marks them.
type nullableStrings struct {
	Items []string
	Null  []bool
}

// Type returns the type id; User for user types.
func (v Variant) Type() TypeID { return v.typ }

// TypeName returns the user type's registered name, or the built-in type's name.
func (v Variant) TypeName() string {
	if v.typ == User {
		return v.name
	}
	return v.typ.String()
}

// IsValid reports whether v is not the invalid QVariant.
func (v Variant) IsValid() bool { return v.typ != Invalid }

// IsNull reports the QVariant isNull flag as it was (or will be) sent.
func (v Variant) IsNull() bool { return v.null }

// IsNullValue reports whether a QString, QByteArray or QUrl holds Qt's null form.
func (v Variant) IsNullValue() bool { return v.nulld }

// WithNullFlag returns v with the QVariant isNull flag set to null.
func (v Variant) WithNullFlag(null bool) Variant { v.null = null; return v }

// Constructors.

// InvalidVariant returns the invalid QVariant (type 0).
func InvalidVariant() Variant { return Variant{} }

// BoolOf returns a bool QVariant.
func BoolOf(b bool) Variant {
	var n uint64
	if b {
		n = 1
	}
	return Variant{typ: Bool, num: n}
}

// IntOf returns an int (qint32) QVariant.
func IntOf(i int32) Variant { return Variant{typ: Int, num: uint64(int64(i))} }

// UIntOf returns a uint QVariant.
func UIntOf(i uint32) Variant { return Variant{typ: UInt, num: uint64(i)} }

// LongLongOf returns a qlonglong QVariant.
func LongLongOf(i int64) Variant { return Variant{typ: LongLong, num: uint64(i)} }

// ULongLongOf returns a qulonglong QVariant.
func ULongLongOf(i uint64) Variant { return Variant{typ: ULongLong, num: i} }

// IntegerOf returns a QVariant of the integer type t (Int, Short, Char, SChar,
// Long, UInt, ... or Bool, QChar) holding i truncated to the type's width.
func IntegerOf(t TypeID, i int64) Variant {
	v := Variant{typ: t}
	switch t {
	case Bool:
		if i != 0 {
			v.num = 1
		}
	case Int:
		v.num = uint64(int64(int32(i)))
	case Short:
		v.num = uint64(int64(int16(i)))
	case Char, SChar:
		v.num = uint64(int64(int8(i)))
	case UInt, Char32:
		v.num = uint64(uint32(i))
	case UShort, QChar, Char16:
		v.num = uint64(uint16(i))
	case UChar:
		v.num = uint64(uint8(i))
	default:
		v.num = uint64(i)
	}
	return v
}

// DoubleOf returns a double QVariant.
func DoubleOf(f float64) Variant { return Variant{typ: Double, num: math.Float64bits(f)} }

// FloatOf returns a float QVariant (type 38); it still travels as 8 bytes.
func FloatOf(f float32) Variant {
	return Variant{typ: Float, num: math.Float64bits(float64(f))}
}

// StringOf returns a QString QVariant.
func StringOf(s string) Variant { return Variant{typ: QString, str: s} }

// NullStringOf returns a QVariant holding a null QString.
func NullStringOf() Variant { return Variant{typ: QString, nulld: true} }

// ByteArrayOf returns a QByteArray QVariant; a nil slice is Qt's null QByteArray.
func ByteArrayOf(b []byte) Variant { return Variant{typ: QByteArray, ref: b, nulld: b == nil} }

// StringListOf returns a QStringList QVariant.
func StringListOf(s []string) Variant { return Variant{typ: QStringList, ref: s} }

// StringListWithNulls returns a QStringList QVariant whose elements may be
// Qt's null QString (a plain StringListOf sends empty strings).
func StringListWithNulls(s []NullString) Variant {
	items := make([]string, len(s))
	null := make([]bool, len(s))
	any := false
	for i, x := range s {
		items[i] = x.Text
		null[i] = !x.Valid
		any = any || null[i]
	}
	if !any {
		return StringListOf(items)
	}
	return Variant{typ: QStringList, ref: nullableStrings{items, null}}
}

// ByteArrayListOf returns a QByteArrayList QVariant.
func ByteArrayListOf(b [][]byte) Variant { return Variant{typ: QByteArrayList, ref: b} }

// ListOf returns a QVariantList QVariant.
func ListOf(l []Variant) Variant { return Variant{typ: QVariantList, ref: l} }

// MapOf returns a QVariantMap QVariant with entries in the given order.
func MapOf(m []MapEntry) Variant { return Variant{typ: QVariantMap, ref: m} }

// HashOf returns a QVariantHash QVariant with entries in the given order.
func HashOf(m []MapEntry) Variant { return Variant{typ: QVariantHash, ref: m} }

// URLOf returns a QUrl QVariant from its encoded form; "" is the empty URL,
// which Qt sends as a null QByteArray.
func URLOf(u string) Variant { return Variant{typ: QUrl, str: u, nulld: u == ""} }

// DateOf returns a QDate QVariant from a Julian day number.
func DateOf(julianDay int64) Variant { return Variant{typ: QDate, num: uint64(julianDay)} }

// TimeOf returns a QTime QVariant from milliseconds since midnight.
func TimeOf(msecs uint32) Variant { return Variant{typ: QTime, num: uint64(msecs)} }

// DateTimeOf returns a QDateTime QVariant.
func DateTimeOf(dt DateTime) Variant { return Variant{typ: QDateTime, ref: dt} }

// UUIDOf returns a QUuid QVariant.
func UUIDOf(u UUID) Variant { return Variant{typ: QUuid, ref: u} }

// PointOf returns a QPoint QVariant.
func PointOf(p Point) Variant { return Variant{typ: QPoint, ref: p} }

// PointFOf returns a QPointF QVariant.
func PointFOf(p PointF) Variant { return Variant{typ: QPointF, ref: p} }

// SizeOf returns a QSize QVariant.
func SizeOf(s Size) Variant { return Variant{typ: QSize, ref: s} }

// SizeFOf returns a QSizeF QVariant.
func SizeFOf(s SizeF) Variant { return Variant{typ: QSizeF, ref: s} }

// RectOf returns a QRect QVariant.
func RectOf(r Rect) Variant { return Variant{typ: QRect, ref: r} }

// RectFOf returns a QRectF QVariant.
func RectFOf(r RectF) Variant { return Variant{typ: QRectF, ref: r} }

// LineOf returns a QLine QVariant.
func LineOf(l Line) Variant { return Variant{typ: QLine, ref: l} }

// LineFOf returns a QLineF QVariant.
func LineFOf(l LineF) Variant { return Variant{typ: QLineF, ref: l} }

// JSONValueOf returns a QJsonValue QVariant.
func JSONValueOf(j JSONValue) Variant { return Variant{typ: QJsonValue, ref: j} }

// UserOf returns a user-type QVariant: value is what the codec registered for
// name in a Types encodes (a Gadget for PODs, []Variant for QList<T>, ...).
func UserOf(name string, value any) Variant { return Variant{typ: User, name: name, ref: value} }

// TypedOf returns a QVariant of built-in type t whose value is a Go value in
// the form that type's accessor returns; used by generic code such as
// container codecs. It reports false if value does not fit t.
func TypedOf(t TypeID, value any) (Variant, bool) {
	v := Variant{typ: t}
	switch x := value.(type) {
	case nil:
		return v, t == Invalid || t == Nullptr
	case bool:
		return BoolOf(x), t == Bool
	case int64:
		return IntegerOf(t, x), isInteger(t)
	case uint64:
		return IntegerOf(t, int64(x)), isInteger(t)
	case float64:
		if t == Float {
			return Variant{typ: Float, num: math.Float64bits(x)}, true
		}
		return DoubleOf(x), t == Double
	case string:
		v.str = x
		return v, t == QString || t == QUrl || t == QLocale
	case []byte:
		return ByteArrayOf(x), t == QByteArray
	}
	v.ref = value
	return v, reflect.TypeOf(value) == refType(t)
}

// Accessors.

// Bool returns the value of a bool (or any integer: non-zero is true).
func (v Variant) Bool() bool { return v.num != 0 }

// Int returns the value of any integer type, sign-extended.
func (v Variant) Int() int64 {
	switch v.typ {
	case Int:
		return int64(int32(v.num))
	case Short:
		return int64(int16(v.num))
	case Char, SChar:
		return int64(int8(v.num))
	}
	return int64(v.num)
}

// Uint returns the value of any integer type as unsigned.
func (v Variant) Uint() uint64 { return v.num }

// Float returns a double or float value; integers are converted.
func (v Variant) Float() float64 {
	switch v.typ {
	case Double, Float:
		return math.Float64frombits(v.num)
	case ULongLong, ULong, UInt, UShort, UChar:
		return float64(v.num)
	}
	return float64(v.Int())
}

// Str returns the text of a QString, QUrl or QLocale.
func (v Variant) Str() string { return v.str }

// Bytes returns a QByteArray's bytes (nil for a null QByteArray).
func (v Variant) Bytes() []byte { b, _ := v.ref.([]byte); return b }

// List returns a QVariantList's elements.
func (v Variant) List() []Variant { l, _ := v.ref.([]Variant); return l }

// Map returns a QVariantMap's or QVariantHash's entries in wire order.
func (v Variant) Map() []MapEntry { m, _ := v.ref.([]MapEntry); return m }

// Strings returns a QStringList's elements (null elements as "").
func (v Variant) Strings() []string {
	switch s := v.ref.(type) {
	case []string:
		return s
	case nullableStrings:
		return s.Items
	}
	return nil
}

// NullableStrings returns a QStringList's elements keeping null ones.
func (v Variant) NullableStrings() []NullString {
	items := v.Strings()
	ns, _ := v.ref.(nullableStrings)
	out := make([]NullString, len(items))
	for i, s := range items {
		out[i] = NullString{Text: s, Valid: ns.Null == nil || !ns.Null[i]}
	}
	return out
}

// ByteArrays returns a QByteArrayList's elements.
func (v Variant) ByteArrays() [][]byte { b, _ := v.ref.([][]byte); return b }

// Value returns the Go value of types stored by reference: user types'
// codec values, geometry, QDateTime, QUuid, QJsonValue and containers.
func (v Variant) Value() any { return v.ref }

// Any returns the value as a plain Go value: bool, int64, uint64, float64,
// string, []byte, []Variant, []MapEntry, []string, or the stored struct.
func (v Variant) Any() any {
	switch v.typ {
	case Invalid, Nullptr:
		return nil
	case Bool:
		return v.Bool()
	case Int, Short, Char, SChar, Long, LongLong:
		return v.Int()
	case UInt, UShort, UChar, ULong, ULongLong, QChar, Char16, Char32:
		return v.num
	case Double, Float:
		return v.Float()
	case QString, QUrl, QLocale:
		return v.str
	case QDate:
		return int64(v.num)
	case QTime:
		return uint32(v.num)
	}
	return v.ref
}

// Equal reports whether two variants carry the same type, flags and value.
func (v Variant) Equal(w Variant) bool { return reflect.DeepEqual(v, w) }

// SameValue reports whether v and w hold the same type and value, ignoring
// the isNull flag; Qt compares values this way to decide whether a property changed.
func (v Variant) SameValue(w Variant) bool {
	if v.typ != w.typ || v.name != w.name || v.nulld != w.nulld {
		return false
	}
	if v.ref == nil && w.ref == nil {
		// Scalars and strings: no reflection (this is a hot path: every
		// property set compares with the current value).
		return v.num == w.num && v.str == w.str
	}
	v.null, w.null = false, false
	return reflect.DeepEqual(v, w)
}

func isInteger(t TypeID) bool {
	switch t {
	case Bool, Int, UInt, LongLong, ULongLong, QChar, Long, Short, Char, ULong, UShort, UChar, SChar, Char16, Char32, QDate, QTime:
		return true
	}
	return false
}

func refType(t TypeID) reflect.Type {
	switch t {
	case QVariantList:
		return reflect.TypeOf([]Variant(nil))
	case QVariantMap, QVariantHash:
		return reflect.TypeOf([]MapEntry(nil))
	case QStringList:
		return reflect.TypeOf([]string(nil))
	case QByteArrayList:
		return reflect.TypeOf([][]byte(nil))
	case QDateTime:
		return reflect.TypeOf(DateTime{})
	case QUuid:
		return reflect.TypeOf(UUID{})
	case QPoint:
		return reflect.TypeOf(Point{})
	case QPointF:
		return reflect.TypeOf(PointF{})
	case QSize:
		return reflect.TypeOf(Size{})
	case QSizeF:
		return reflect.TypeOf(SizeF{})
	case QRect:
		return reflect.TypeOf(Rect{})
	case QRectF:
		return reflect.TypeOf(RectF{})
	case QLine:
		return reflect.TypeOf(Line{})
	case QLineF:
		return reflect.TypeOf(LineF{})
	case QJsonValue:
		return reflect.TypeOf(JSONValue{})
	case QBitArray:
		return reflect.TypeOf(BitArray{})
	case QRegularExpression:
		return reflect.TypeOf(RegularExpression{})
	case QVariant:
		return reflect.TypeOf(Variant{})
	}
	return nil
}
