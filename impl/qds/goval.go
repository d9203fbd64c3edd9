package qds

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"time"
)

// FromAny builds a QVariant from a plain Go value, choosing the Qt type a Qt
// program would: bool, int (qlonglong when it does not fit 32 bits), uint,
// qlonglong/qulonglong for 64-bit types, double, float, QString, QByteArray,
// QStringList, QVariantList, QVariantMap (keys sorted), QDateTime (UTC),
// QUrl, the geometry types; a Variant is returned as is, nil as invalid.
func FromAny(x any) (Variant, error) {
	switch v := x.(type) {
	case nil:
		return Variant{}, nil
	case Variant:
		return v, nil
	case bool:
		return BoolOf(v), nil
	case int:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return IntOf(int32(v)), nil
		}
		return LongLongOf(int64(v)), nil
	case int8:
		return IntegerOf(SChar, int64(v)), nil
	case int16:
		return IntegerOf(Short, int64(v)), nil
	case int32:
		return IntOf(v), nil
	case int64:
		return LongLongOf(v), nil
	case uint:
		if v <= math.MaxUint32 {
			return UIntOf(uint32(v)), nil
		}
		return ULongLongOf(uint64(v)), nil
	case uint8:
		return IntegerOf(UChar, int64(v)), nil
	case uint16:
		return IntegerOf(UShort, int64(v)), nil
	case uint32:
		return UIntOf(v), nil
	case uint64:
		return ULongLongOf(v), nil
	case float32:
		return FloatOf(v), nil
	case float64:
		return DoubleOf(v), nil
	case string:
		return StringOf(v), nil
	case []byte:
		return ByteArrayOf(v), nil
	case []string:
		return StringListOf(v), nil
	case []Variant:
		return ListOf(v), nil
	case []any:
		l := make([]Variant, len(v))
		for i, e := range v {
			ev, err := FromAny(e)
			if err != nil {
				return Variant{}, fmt.Errorf("element %d: %w", i, err)
			}
			l[i] = ev
		}
		return ListOf(l), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := make([]MapEntry, len(keys))
		for i, k := range keys {
			ev, err := FromAny(v[k])
			if err != nil {
				return Variant{}, fmt.Errorf("key %q: %w", k, err)
			}
			m[i] = MapEntry{Key: k, Value: ev}
		}
		return MapOf(m), nil
	case []MapEntry:
		return MapOf(v), nil
	case time.Time:
		return DateTimeOf(DateTimeFromTime(v)), nil
	case DateTime:
		return DateTimeOf(v), nil
	case *url.URL:
		return URLOf(v.String()), nil
	case UUID:
		return UUIDOf(v), nil
	case Point:
		return PointOf(v), nil
	case PointF:
		return PointFOf(v), nil
	case Size:
		return SizeOf(v), nil
	case SizeF:
		return SizeFOf(v), nil
	case Rect:
		return RectOf(v), nil
	case RectF:
		return RectFOf(v), nil
	case Line:
		return LineOf(v), nil
	case LineF:
		return LineFOf(v), nil
	case JSONValue:
		return JSONValueOf(v), nil
	}
	return Variant{}, fmt.Errorf("%w: no QVariant type for Go %T", ErrBadValue, x)
}

// Convert returns x as a QVariant of built-in type t, converting numbers
// between widths (with range checks), numeric strings are not converted.
// It accepts Go values and Variants.
func Convert(t TypeID, x any) (Variant, error) {
	if v, ok := x.(Variant); ok {
		if v.typ == t {
			return v, nil
		}
		if v.typ == Invalid {
			return Zero(t), nil
		}
		x = v.Any()
	}
	bad := func() (Variant, error) {
		return Variant{}, fmt.Errorf("%w: cannot use %T (%v) as %s", ErrBadValue, x, x, t)
	}
	switch t {
	case Bool:
		if b, ok := x.(bool); ok {
			return BoolOf(b), nil
		}
		if i, ok := toInt(x); ok {
			return BoolOf(i != 0), nil
		}
		return bad()
	case Int, UInt, LongLong, ULongLong, Short, UShort, Char, SChar, UChar, Long, ULong, QChar, Char16, Char32:
		i, ok := toInt(x)
		if !ok {
			if f, isF := toFloat(x); isF && f == math.Trunc(f) {
				i, ok = int64(f), true
			}
		}
		if !ok {
			return bad()
		}
		if !fits(t, i, x) {
			return Variant{}, fmt.Errorf("%w: %v overflows %s", ErrBadValue, x, t)
		}
		if u, isU := x.(uint64); isU && (t == ULongLong || t == ULong) {
			return Variant{typ: t, num: u}, nil
		}
		return IntegerOf(t, i), nil
	case Double, Float:
		f, ok := toFloat(x)
		if !ok {
			return bad()
		}
		if t == Float {
			return FloatOf(float32(f)), nil
		}
		return DoubleOf(f), nil
	case QString:
		if s, ok := x.(string); ok {
			return StringOf(s), nil
		}
		return bad()
	case QByteArray:
		switch b := x.(type) {
		case []byte:
			return ByteArrayOf(b), nil
		case string:
			return ByteArrayOf([]byte(b)), nil
		}
		return bad()
	case QUrl:
		switch u := x.(type) {
		case string:
			return URLOf(u), nil
		case *url.URL:
			return URLOf(u.String()), nil
		}
		return bad()
	case QStringList:
		switch l := x.(type) {
		case []string:
			return StringListOf(l), nil
		case []any:
			out := make([]string, len(l))
			for i, e := range l {
				s, ok := e.(string)
				if !ok {
					return bad()
				}
				out[i] = s
			}
			return StringListOf(out), nil
		}
		return bad()
	case QVariant:
		v, err := FromAny(x)
		return Variant{typ: QVariant, ref: v}, err
	case QDateTime:
		switch d := x.(type) {
		case time.Time:
			return DateTimeOf(DateTimeFromTime(d)), nil
		case DateTime:
			return DateTimeOf(d), nil
		}
		return bad()
	}
	v, err := FromAny(x)
	if err != nil {
		return v, err
	}
	if v.typ != t {
		return bad()
	}
	return v, nil
}

func toInt(x any) (int64, bool) {
	switch v := x.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), true
	}
	return 0, false
}

func toFloat(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	}
	if i, ok := toInt(x); ok {
		return float64(i), true
	}
	return 0, false
}

func fits(t TypeID, i int64, x any) bool {
	if u, ok := x.(uint64); ok && u > math.MaxInt64 {
		return t == ULongLong || t == ULong
	}
	switch t {
	case Int:
		return i >= math.MinInt32 && i <= math.MaxInt32
	case UInt, Char32:
		return i >= 0 && i <= math.MaxUint32
	case Short:
		return i >= math.MinInt16 && i <= math.MaxInt16
	case UShort, QChar, Char16:
		return i >= 0 && i <= math.MaxUint16
	case Char, SChar:
		return i >= math.MinInt8 && i <= math.MaxInt8
	case UChar:
		return i >= 0 && i <= math.MaxUint8
	case ULongLong, ULong:
		return i >= 0
	}
	return true
}

// Zero returns the default-constructed value of built-in type t, as a Qt
// property of that type holds before anything is assigned (null strings
// and byte arrays, invalid dates, zero numbers).
func Zero(t TypeID) Variant {
	switch t {
	case QString, QLocale:
		return Variant{typ: t, nulld: true}
	case QByteArray:
		return ByteArrayOf(nil)
	case QUrl:
		return URLOf("")
	case QDate:
		return DateOf(invalidJulian)
	case QTime:
		return TimeOf(invalidMsecs)
	case QDateTime:
		return DateTimeOf(InvalidDateTime)
	case QStringList:
		return StringListOf([]string{})
	case QByteArrayList:
		return ByteArrayListOf([][]byte{})
	case QVariantList:
		return ListOf([]Variant{})
	case QVariantMap:
		return MapOf([]MapEntry{})
	case QVariantHash:
		return HashOf([]MapEntry{})
	case QRect:
		return RectOf(Rect{0, 0, -1, -1})
	case QSizeF:
		return SizeFOf(SizeF{-1, -1})
	case QRectF, QPointF, QLineF, QPoint, QLine:
		v, _ := TypedOf(t, reflect.Zero(refType(t)).Interface())
		return v
	case QSize:
		return SizeOf(Size{-1, -1})
	case QUuid:
		return UUIDOf(UUID{})
	case QJsonValue:
		return JSONValueOf(JSONValue{})
	case QVariant, Invalid:
		return Variant{}
	}
	return Variant{typ: t}
}
