package qds

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Encoder appends QDataStream values to a byte slice it owns.
//
// Errors are sticky, as in Decoder. An Encoder is reused across frames with
// Reset, which keeps its buffer, so steady-state encoding does not allocate.
type Encoder struct {
	buf   []byte
	f     Format
	le    bool
	types *Types
	err   error
}

// NewEncoder returns an Encoder appending to buf (which may be nil).
func NewEncoder(buf []byte, f Format, types *Types) *Encoder {
	return &Encoder{buf: buf, f: f, le: f.LittleEndian, types: types}
}

// Reset truncates the output to buf and clears the error.
func (e *Encoder) Reset(buf []byte) { e.buf, e.err = buf, nil }

// Bytes returns the encoded bytes; they alias the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Format returns the stream format.
func (e *Encoder) Format() Format { return e.f }

// SetFormat changes the stream format for the following writes.
func (e *Encoder) SetFormat(f Format) { e.f, e.le = f, f.LittleEndian }

// Types returns the user-type registry in use.
func (e *Encoder) Types() *Types { return e.types }

// SetTypes replaces the user-type registry.
func (e *Encoder) SetTypes(t *Types) { e.types = t }

// Err returns the first fault, or nil.
func (e *Encoder) Err() error { return e.err }

// Fail records err (if it is the first fault) while writing what.
func (e *Encoder) Fail(what string, err error) {
	if e.err == nil {
		e.err = &Error{Offset: len(e.buf), What: what, Err: err}
	}
}

// Failf records a fault wrapping sentinel with a formatted detail.
func (e *Encoder) Failf(what string, sentinel error, format string, args ...any) {
	e.Fail(what, fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...))
}

// Raw appends bytes as they are.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// U8 appends one byte.
func (e *Encoder) U8(v uint8) { e.buf = append(e.buf, v) }

// Bool appends a bool byte.
func (e *Encoder) Bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// U16 appends a 16-bit integer in stream byte order.
func (e *Encoder) U16(v uint16) {
	if e.le {
		e.buf = binary.LittleEndian.AppendUint16(e.buf, v)
	} else {
		e.buf = binary.BigEndian.AppendUint16(e.buf, v)
	}
}

// U32 appends a 32-bit integer in stream byte order.
func (e *Encoder) U32(v uint32) {
	if e.le {
		e.buf = binary.LittleEndian.AppendUint32(e.buf, v)
	} else {
		e.buf = binary.BigEndian.AppendUint32(e.buf, v)
	}
}

// U64 appends a 64-bit integer in stream byte order.
func (e *Encoder) U64(v uint64) {
	if e.le {
		e.buf = binary.LittleEndian.AppendUint64(e.buf, v)
	} else {
		e.buf = binary.BigEndian.AppendUint64(e.buf, v)
	}
}

// I32 appends a signed 32-bit integer.
func (e *Encoder) I32(v int32) { e.U32(uint32(v)) }

// I64 appends a signed 64-bit integer.
func (e *Encoder) I64(v int64) { e.U64(uint64(v)) }

// F64 appends an IEEE-754 double.
func (e *Encoder) F64(v float64) { e.U64(math.Float64bits(v)) }

// PutU32At overwrites 4 bytes at offset at (e.g. a size written before the
// body was known) in stream byte order.
func (e *Encoder) PutU32At(at int, v uint32) {
	if e.le {
		binary.LittleEndian.PutUint32(e.buf[at:], v)
	} else {
		binary.BigEndian.PutUint32(e.buf[at:], v)
	}
}

// QString appends s as a QString (UTF-16 in stream byte order).
func (e *Encoder) QString(s string) {
	n := 0
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		n = len(s)
	} else {
		for _, r := range s {
			if r >= 0x10000 {
				n += 2
			} else {
				n++
			}
		}
	}
	e.U32(uint32(2 * n))
	if ascii {
		for i := 0; i < len(s); i++ {
			if e.le {
				e.buf = append(e.buf, s[i], 0)
			} else {
				e.buf = append(e.buf, 0, s[i])
			}
		}
		return
	}
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			e.U16(uint16(0xD800 + (r >> 10)))
			e.U16(uint16(0xDC00 + (r & 0x3FF)))
			continue
		}
		if r == utf8.RuneError {
			r = 0xFFFD
		}
		e.U16(uint16(r))
	}
}

// NullQString appends Qt's null QString.
func (e *Encoder) NullQString() { e.U32(0xFFFFFFFF) }

// ByteArray appends a QByteArray; nil is written as Qt's null QByteArray.
func (e *Encoder) ByteArray(b []byte) {
	if b == nil {
		e.U32(0xFFFFFFFF)
		return
	}
	e.U32(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// Latin1 appends a string of text as a (non-null) QByteArray.
func (e *Encoder) Latin1(s string) {
	e.U32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// CString appends s the way QDataStream writes a const char*: a QByteArray
// whose length includes a trailing NUL, which is sent.
func (e *Encoder) CString(s string) {
	e.U32(uint32(len(s) + 1))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
}

// Blob appends a QByteArray whose content is a nested stream in format f,
// written by fn directly into the output (no intermediate buffer).
func (e *Encoder) Blob(f Format, fn func(*Encoder)) {
	outer := e.f
	at := len(e.buf)
	e.U32(0)
	e.SetFormat(f)
	fn(e)
	e.SetFormat(outer)
	e.PutU32At(at, uint32(len(e.buf)-at-4))
}

// Variant appends a full QVariant.
func (e *Encoder) Variant(v Variant) {
	switch v.typ {
	case Invalid:
		e.U32(0)
		e.Bool(v.null)
		return
	case User:
		c := e.types.Lookup(v.name)
		if c == nil {
			e.Failf("QVariant", ErrUnknownUserType, "%q", v.name)
			return
		}
		e.U32(e.f.UserTypeID())
		e.Bool(v.null)
		e.CString(v.name)
		c.Encode(e, v.ref)
		return
	}
	e.U32(uint32(v.typ))
	e.Bool(v.null)
	e.Value(v)
}

// Value appends the bare value of v (no QVariant header).
func (e *Encoder) Value(v Variant) {
	switch v.typ {
	case Bool:
		e.Bool(v.num != 0)
	case Char, SChar, UChar:
		e.U8(uint8(v.num))
	case Short, UShort, QChar, Char16:
		e.U16(uint16(v.num))
	case Int, UInt, Char32, QTime:
		e.U32(uint32(v.num))
	case LongLong, ULongLong, Long, ULong, Double, Float, QDate:
		e.U64(v.num)
	case QString, QLocale:
		if v.nulld {
			e.NullQString()
		} else {
			e.QString(v.str)
		}
	case QUrl:
		if v.nulld {
			e.U32(0xFFFFFFFF)
		} else {
			e.Latin1(v.str)
		}
	case QByteArray:
		e.ByteArray(v.Bytes())
	case QStringList:
		l := v.Strings()
		ns, _ := v.ref.(nullableStrings)
		e.U32(uint32(len(l)))
		for i, s := range l {
			if ns.Null != nil && ns.Null[i] {
				e.NullQString()
			} else {
				e.QString(s)
			}
		}
	case QByteArrayList:
		l := v.ByteArrays()
		e.U32(uint32(len(l)))
		for _, b := range l {
			e.ByteArray(b)
		}
	case QVariantList:
		e.VariantList(v.List())
	case QVariantMap, QVariantHash:
		m := v.Map()
		e.U32(uint32(len(m)))
		for _, kv := range m {
			if kv.KeyNull {
				e.NullQString()
			} else {
				e.QString(kv.Key)
			}
			e.Variant(kv.Value)
		}
	case QVariant:
		inner, _ := v.ref.(Variant)
		e.Variant(inner)
	case QDateTime:
		dt, _ := v.ref.(DateTime)
		e.I64(dt.JulianDay)
		e.U32(dt.Msecs)
		e.U8(uint8(dt.Spec))
		switch dt.Spec {
		case OffsetFromUTC:
			e.I32(dt.OffsetSeconds)
		case TimeZoneSpec:
			if z := dt.Zone; z != nil {
				e.QString(offsetFromUtc)
				e.QString(dt.TimeZone)
				e.I32(z.Offset)
				e.QString(z.Name)
				e.QString(z.Abbreviation)
				e.I32(z.Country)
				e.QString(z.Comment)
			} else {
				e.QString(dt.TimeZone)
			}
		}
	case QUuid:
		u, _ := v.ref.(UUID)
		e.U32(binary.BigEndian.Uint32(u[0:]))
		e.U16(binary.BigEndian.Uint16(u[4:]))
		e.U16(binary.BigEndian.Uint16(u[6:]))
		e.Raw(u[8:])
	case QPoint:
		p, _ := v.ref.(Point)
		e.I32(p.X)
		e.I32(p.Y)
	case QSize:
		s, _ := v.ref.(Size)
		e.I32(s.W)
		e.I32(s.H)
	case QPointF:
		p, _ := v.ref.(PointF)
		e.F64(p.X)
		e.F64(p.Y)
	case QSizeF:
		s, _ := v.ref.(SizeF)
		e.F64(s.W)
		e.F64(s.H)
	case QRect:
		r, _ := v.ref.(Rect)
		e.I32(r.Left)
		e.I32(r.Top)
		e.I32(r.Right)
		e.I32(r.Bottom)
	case QRectF:
		r, _ := v.ref.(RectF)
		e.F64(r.X)
		e.F64(r.Y)
		e.F64(r.W)
		e.F64(r.H)
	case QLine:
		l, _ := v.ref.(Line)
		e.I32(l.X1)
		e.I32(l.Y1)
		e.I32(l.X2)
		e.I32(l.Y2)
	case QLineF:
		l, _ := v.ref.(LineF)
		e.F64(l.X1)
		e.F64(l.Y1)
		e.F64(l.X2)
		e.F64(l.Y2)
	case QJsonValue:
		j, _ := v.ref.(JSONValue)
		e.U8(j.Type)
		switch j.Type {
		case 1:
			e.Bool(j.Bool)
		case 2:
			e.F64(j.Double)
		case 3:
			e.QString(j.String)
		case 4, 5:
			e.ByteArray(j.Raw)
		}
	case QBitArray:
		b, _ := v.ref.(BitArray)
		if e.f.Version >= Qt_6_2 {
			e.U64(b.Len)
		} else {
			e.U32(uint32(b.Len))
		}
		need := int((uint64(b.Len) + 7) / 8)
		data := b.Data
		if len(data) > need {
			data = data[:need]
		}
		e.Raw(data)
		for i := len(data); i < need; i++ {
			e.U8(0)
		}
	case QRegularExpression:
		r, _ := v.ref.(RegularExpression)
		e.QString(r.Pattern)
		e.U32(r.Options)
	case Nullptr, Invalid:
	case User:
		c := e.types.Lookup(v.name)
		if c == nil {
			e.Failf("value", ErrUnknownUserType, "%q", v.name)
			return
		}
		c.Encode(e, v.ref)
	default:
		e.Failf("value", ErrUnsupported, "type %s", v.typ)
	}
}

// VariantList appends a QVariantList.
func (e *Encoder) VariantList(l []Variant) {
	e.U32(uint32(len(l)))
	for _, x := range l {
		e.Variant(x)
	}
}
