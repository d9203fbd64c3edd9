package qds

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoder reads QDataStream values from one in-memory buffer.
//
// Errors are sticky: after the first fault every read returns a zero value and
// Err reports the fault with its offset. A Decoder is not safe for concurrent
// use; it is meant to be reset and reused for every frame of a connection.
type Decoder struct {
	buf   []byte
	off   int
	base  int
	f     Format
	le    bool
	lim   Limits
	types *Types
	depth int
	err   error
	// Interned names, keyed by their raw bytes; UTF-16 and Latin-1 text live
	// in separate maps so equal bytes of different encodings never collide.
	intern16 map[string]string
	intern8  map[string]string
}

// maxInterned bounds the per-decoder cache of repeated names (object and type
// names), so a peer sending endless distinct names cannot grow it.
const maxInterned = 4096

// NewDecoder returns a Decoder over buf. types resolves user type names and
// may be nil (then only built-in types decode); zero Limits fields take defaults.
func NewDecoder(buf []byte, f Format, types *Types, lim Limits) *Decoder {
	return &Decoder{buf: buf, f: f, le: f.LittleEndian, lim: lim.withDefaults(), types: types}
}

// Reset points the decoder at a new buffer and clears its error; base is the
// buffer's offset in a larger stream, used only in error messages.
func (d *Decoder) Reset(buf []byte, base int) {
	d.buf, d.off, d.base, d.err, d.depth = buf, 0, base, nil, 0
}

// Format returns the decoder's stream format.
func (d *Decoder) Format() Format { return d.f }

// SetFormat changes the stream format for the following reads.
func (d *Decoder) SetFormat(f Format) {
	if f.LittleEndian != d.le {
		d.intern16 = nil // cached UTF-16 keys depend on the byte order
	}
	d.f, d.le = f, f.LittleEndian
}

// Types returns the user-type registry in use.
func (d *Decoder) Types() *Types { return d.types }

// SetTypes replaces the user-type registry.
func (d *Decoder) SetTypes(t *Types) { d.types = t }

// Limits returns the limits in force.
func (d *Decoder) Limits() Limits { return d.lim }

// Err returns the first fault, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns the current position, including the base given to Reset.
func (d *Decoder) Offset() int { return d.base + d.off }

// Len returns the number of unread bytes.
func (d *Decoder) Len() int { return len(d.buf) - d.off }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Fail records err (if it is the first fault) while reading what.
func (d *Decoder) Fail(what string, err error) {
	if d.err == nil {
		d.err = &Error{Offset: d.Offset(), What: what, Err: err}
	}
}

// Failf records a fault wrapping sentinel with a formatted detail.
func (d *Decoder) Failf(what string, sentinel error, format string, args ...any) {
	d.Fail(what, fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...))
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.Failf(what, ErrTruncated, "need %d bytes, have %d", n, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Raw consumes n bytes and returns them without copying.
func (d *Decoder) Raw(n int, what string) []byte { return d.take(n, what) }

// U8 reads one byte.
func (d *Decoder) U8() uint8 {
	b := d.take(1, "uint8")
	if b == nil {
		return 0
	}
	return b[0]
}

// Bool reads a bool byte; any non-zero value is true, as in Qt.
func (d *Decoder) Bool() bool { return d.U8() != 0 }

// U16 reads a 16-bit integer in stream byte order.
func (d *Decoder) U16() uint16 {
	b := d.take(2, "uint16")
	if b == nil {
		return 0
	}
	if d.le {
		return binary.LittleEndian.Uint16(b)
	}
	return binary.BigEndian.Uint16(b)
}

// U32 reads a 32-bit integer in stream byte order.
func (d *Decoder) U32() uint32 {
	b := d.take(4, "uint32")
	if b == nil {
		return 0
	}
	if d.le {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

// U64 reads a 64-bit integer in stream byte order.
func (d *Decoder) U64() uint64 {
	b := d.take(8, "uint64")
	if b == nil {
		return 0
	}
	if d.le {
		return binary.LittleEndian.Uint64(b)
	}
	return binary.BigEndian.Uint64(b)
}

// I32 reads a signed 32-bit integer.
func (d *Decoder) I32() int32 { return int32(d.U32()) }

// I64 reads a signed 64-bit integer.
func (d *Decoder) I64() int64 { return int64(d.U64()) }

// F64 reads an IEEE-754 double.
func (d *Decoder) F64() float64 { return math.Float64frombits(d.U64()) }

// Count reads a u32 element count and checks it against MaxElements and
// against the bytes left, given that each element takes at least minSize bytes.
// It returns 0 after a fault, so loops over the result are always bounded.
func (d *Decoder) Count(what string, minSize int) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if int64(n) > int64(d.lim.MaxElements) {
		d.Failf(what, ErrLimit, "count %d > MaxElements %d", n, d.lim.MaxElements)
		return 0
	}
	if minSize > 0 && int64(n)*int64(minSize) > int64(d.Len()) {
		d.Failf(what, ErrTruncated, "count %d needs at least %d bytes, have %d", n, int64(n)*int64(minSize), d.Len())
		return 0
	}
	return int(n)
}

// lenPrefixed reads a u32 length (0xFFFFFFFF = null) and returns the bytes.
func (d *Decoder) lenPrefixed(what string) (b []byte, null bool) {
	n := d.U32()
	if d.err != nil {
		return nil, false
	}
	if n == 0xFFFFFFFF {
		return nil, true
	}
	if int64(n) > int64(d.lim.MaxBytes) {
		d.Failf(what, ErrLimit, "length %d > MaxBytes %d", n, d.lim.MaxBytes)
		return nil, false
	}
	b = d.take(int(n), what)
	return b, false
}

// QString reads a QString; null reports Qt's null string (length 0xFFFFFFFF).
func (d *Decoder) QString() (s string, null bool) {
	raw, null := d.lenPrefixed("QString")
	if raw == nil {
		return "", null
	}
	if len(raw)%2 != 0 {
		d.Failf("QString", ErrOddLength, "length %d", len(raw))
		return "", false
	}
	return utf16String(raw, d.le), false
}

// Name reads a QString that is likely to repeat (object and member names)
// and returns an interned copy, so hot paths do not allocate per frame.
func (d *Decoder) Name() string {
	raw, null := d.lenPrefixed("QString")
	if raw == nil || null {
		return ""
	}
	if len(raw)%2 != 0 {
		d.Failf("QString", ErrOddLength, "length %d", len(raw))
		return ""
	}
	return d.internBytes(raw, true)
}

func (d *Decoder) internBytes(raw []byte, wide bool) string {
	m := &d.intern8
	if wide {
		m = &d.intern16
	}
	if s, ok := (*m)[string(raw)]; ok {
		return s
	}
	var s string
	if wide {
		s = utf16String(raw, d.le)
	} else {
		s = string(raw)
	}
	if *m == nil {
		*m = make(map[string]string)
	}
	if len(*m) < maxInterned {
		(*m)[string(raw)] = s
	}
	return s
}

// ByteArray reads a QByteArray into a new slice; nil is Qt's null QByteArray,
// a non-nil empty slice its empty one.
func (d *Decoder) ByteArray() []byte {
	raw, null := d.lenPrefixed("QByteArray")
	if null || d.err != nil {
		return nil
	}
	out := make([]byte, len(raw))
	copy(out, raw)
	return out
}

// ByteArrayView reads a QByteArray without copying: the slice aliases the
// decoder's input and is valid only as long as that buffer is.
func (d *Decoder) ByteArrayView() (b []byte, null bool) {
	return d.lenPrefixed("QByteArray")
}

// CString reads a QByteArray written from a const char* and strips the one
// trailing NUL Qt includes; names in class definitions and user types use it.
func (d *Decoder) CString() string {
	raw, _ := d.lenPrefixed("C string")
	if len(raw) > 0 && raw[len(raw)-1] == 0 {
		raw = raw[:len(raw)-1]
	}
	return d.internBytes(raw, false)
}

// Latin1 reads a QByteArray of text (signatures, type names) as a string.
func (d *Decoder) Latin1() string {
	raw, _ := d.lenPrefixed("QByteArray")
	return d.internBytes(raw, false)
}

// Enter increases the nesting depth for what and reports false (and records
// ErrLimit) past MaxDepth. Every Enter that returns true needs a Leave.
func (d *Decoder) Enter(what string) bool {
	if d.err != nil {
		return false
	}
	if d.depth >= d.lim.MaxDepth {
		d.Failf(what, ErrLimit, "nesting deeper than MaxDepth %d", d.lim.MaxDepth)
		return false
	}
	d.depth++
	return true
}

// Leave undoes Enter.
func (d *Decoder) Leave() { d.depth-- }

// Sub returns a decoder for a nested blob (e.g. QtRO's QRO_ class
// definitions) that shares this decoder's types, limits and depth.
func (d *Decoder) Sub(buf []byte, f Format) *Decoder {
	s := NewDecoder(buf, f, d.types, d.lim)
	s.depth = d.depth
	return s
}

// Adopt copies a sub-decoder's fault into d, so nested errors surface.
func (d *Decoder) Adopt(sub *Decoder, what string) {
	if sub.err != nil && d.err == nil {
		d.Fail(what, sub.err)
	}
}

// Variant reads a full QVariant: type id, isNull flag, user type name, value.
func (d *Decoder) Variant() Variant {
	id := d.U32()
	null := d.Bool()
	if d.err != nil {
		return Variant{}
	}
	if id == 0 {
		return Variant{null: null}
	}
	if id == d.f.UserTypeID() {
		name := d.CString()
		if d.err != nil {
			return Variant{}
		}
		c := d.types.Lookup(name)
		if c == nil {
			d.Failf("QVariant", ErrUnknownUserType, "%q", name)
			return Variant{}
		}
		if !d.Enter(name) {
			return Variant{}
		}
		val := c.Decode(d)
		d.Leave()
		return Variant{typ: User, name: name, null: null, ref: val}
	}
	t := TypeID(id)
	if !known(t) {
		d.Failf("QVariant", ErrUnknownType, "type id %d", id)
		return Variant{}
	}
	v := d.Value(t)
	v.null = null
	return v
}

// Value reads the bare value of built-in type t (no QVariant header).
func (d *Decoder) Value(t TypeID) Variant {
	v := Variant{typ: t}
	switch t {
	case Bool:
		if d.Bool() {
			v.num = 1
		}
	case Char, SChar, UChar:
		v.num = uint64(d.U8())
		if t != UChar {
			v.num = uint64(int64(int8(v.num)))
		}
	case Short:
		v.num = uint64(int64(int16(d.U16())))
	case UShort, QChar, Char16:
		v.num = uint64(d.U16())
	case Int:
		v.num = uint64(int64(d.I32()))
	case UInt, Char32:
		v.num = uint64(d.U32())
	case LongLong, ULongLong, Long, ULong, Double, Float, QDate:
		v.num = d.U64()
	case QTime:
		v.num = uint64(d.U32())
	case QString:
		v.str, v.nulld = d.QString()
	case QByteArray:
		v.ref = d.ByteArray()
		v.nulld = v.ref.([]byte) == nil
	case QUrl:
		raw, null := d.ByteArrayView()
		v.str, v.nulld = string(raw), null
	case QLocale:
		v.str, v.nulld = d.QString()
	case QStringList:
		n := d.Count("QStringList", 4)
		l := make([]string, 0, n)
		var nulls []bool
		for i := 0; i < n && d.err == nil; i++ {
			s, null := d.QString()
			if null && nulls == nil {
				nulls = make([]bool, n)
			}
			if null {
				nulls[i] = true
			}
			l = append(l, s)
		}
		v.ref = l
		if nulls != nil {
			v.ref = nullableStrings{l, nulls[:len(l)]}
		}
	case QByteArrayList:
		n := d.Count("QByteArrayList", 4)
		l := make([][]byte, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			l = append(l, d.ByteArray())
		}
		v.ref = l
	case QVariantList:
		v.ref = d.VariantList()
	case QVariantMap, QVariantHash:
		if !d.Enter(t.String()) {
			break
		}
		n := d.Count(t.String(), 9)
		m := make([]MapEntry, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			k, null := d.QString()
			m = append(m, MapEntry{Key: k, KeyNull: null, Value: d.Variant()})
		}
		d.Leave()
		v.ref = m
	case QVariant:
		if d.Enter("QVariant") {
			v.ref = d.Variant()
			d.Leave()
		}
	case QDateTime:
		v.ref = d.dateTime()
	case QUuid:
		var u UUID
		d1, d2, d3 := d.U32(), d.U16(), d.U16()
		binary.BigEndian.PutUint32(u[0:], d1)
		binary.BigEndian.PutUint16(u[4:], d2)
		binary.BigEndian.PutUint16(u[6:], d3)
		copy(u[8:], d.take(8, "QUuid"))
		v.ref = u
	case QPoint:
		v.ref = Point{d.I32(), d.I32()}
	case QSize:
		v.ref = Size{d.I32(), d.I32()}
	case QPointF:
		v.ref = PointF{d.F64(), d.F64()}
	case QSizeF:
		v.ref = SizeF{d.F64(), d.F64()}
	case QRect:
		v.ref = Rect{d.I32(), d.I32(), d.I32(), d.I32()}
	case QRectF:
		v.ref = RectF{d.F64(), d.F64(), d.F64(), d.F64()}
	case QLine:
		v.ref = Line{d.I32(), d.I32(), d.I32(), d.I32()}
	case QLineF:
		v.ref = LineF{d.F64(), d.F64(), d.F64(), d.F64()}
	case QJsonValue:
		v.ref = d.jsonValue()
	case QBitArray:
		// Qt 6 streams the bit count as 64 bits, Qt 5 as 32.
		var n uint64
		if d.f.Version >= Qt_6_2 {
			n = d.U64()
		} else {
			n = uint64(d.U32())
		}
		if n > uint64(d.lim.MaxBytes)*8 {
			d.Failf("QBitArray", ErrLimit, "%d bits > MaxBytes %d", n, d.lim.MaxBytes)
			break
		}
		b := d.take(int((n+7)/8), "QBitArray")
		v.ref = BitArray{Len: n, Data: append([]byte(nil), b...)}
	case QRegularExpression:
		p, _ := d.QString()
		v.ref = RegularExpression{Pattern: p, Options: d.U32()}
	case Nullptr:
	default:
		d.Failf("value", ErrUnsupported, "type %s", t)
	}
	if d.err != nil {
		return Variant{}
	}
	return v
}

// VariantList reads a QVariantList.
func (d *Decoder) VariantList() []Variant {
	if !d.Enter("QVariantList") {
		return nil
	}
	n := d.Count("QVariantList", 5)
	l := make([]Variant, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		l = append(l, d.Variant())
	}
	d.Leave()
	return l
}

// AppendVariantList reads a QVariantList and appends its elements to l, so a
// caller can reuse l's storage across frames.
func (d *Decoder) AppendVariantList(l []Variant) []Variant {
	if !d.Enter("QVariantList") {
		return l
	}
	n := d.Count("QVariantList", 5)
	for i := 0; i < n && d.err == nil; i++ {
		l = append(l, d.Variant())
	}
	d.Leave()
	return l
}

func (d *Decoder) dateTime() DateTime {
	dt := DateTime{JulianDay: d.I64(), Msecs: d.U32(), Spec: TimeSpec(d.U8())}
	switch dt.Spec {
	case OffsetFromUTC:
		dt.OffsetSeconds = d.I32()
	case TimeZoneSpec:
		dt.TimeZone, _ = d.QString()
		if dt.TimeZone == offsetFromUtc {
			// A fixed-offset QTimeZone streams its details after this marker.
			z := &OffsetZone{}
			dt.TimeZone, _ = d.QString()
			z.Offset = d.I32()
			z.Name, _ = d.QString()
			z.Abbreviation, _ = d.QString()
			z.Country = d.I32()
			z.Comment, _ = d.QString()
			dt.Zone = z
		}
	}
	return dt
}

func (d *Decoder) jsonValue() JSONValue {
	j := JSONValue{Type: d.U8()}
	switch j.Type {
	case 1:
		j.Bool = d.Bool()
	case 2:
		j.Double = d.F64()
	case 3:
		j.String, _ = d.QString()
	case 4, 5:
		j.Raw = d.ByteArray()
	}
	return j
}

// utf16String converts UTF-16 code units to UTF-8 with one allocation.
// Unpaired surrogates become U+FFFD, as in any UTF-16 to UTF-8 conversion.
func utf16String(raw []byte, le bool) string {
	n := len(raw) / 2
	ascii := true
	for i := 0; i < n; i++ {
		var u uint16
		if le {
			u = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
		} else {
			u = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
		}
		if u >= 0x80 {
			ascii = false
			break
		}
	}
	var b strings.Builder
	if ascii {
		b.Grow(n)
		for i := 0; i < n; i++ {
			if le {
				b.WriteByte(raw[2*i])
			} else {
				b.WriteByte(raw[2*i+1])
			}
		}
		return b.String()
	}
	b.Grow(n * 3)
	for i := 0; i < n; i++ {
		var u uint16
		if le {
			u = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
		} else {
			u = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
		}
		r := rune(u)
		if utf16.IsSurrogate(r) {
			if i+1 < n {
				var u2 uint16
				if le {
					u2 = uint16(raw[2*i+2]) | uint16(raw[2*i+3])<<8
				} else {
					u2 = uint16(raw[2*i+2])<<8 | uint16(raw[2*i+3])
				}
				if dec := utf16.DecodeRune(r, rune(u2)); dec != utf8.RuneError {
					b.WriteRune(dec)
					i++
					continue
				}
			}
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}
