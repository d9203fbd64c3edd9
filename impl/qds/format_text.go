package qds

import (
	"fmt"
	"strconv"
	"strings"
)

// String renders the variant for people: its type and value, e.g.
// `int 5`, `QString "hi"`, `QString null`, `QVariantList [int 1, bool true]`.
// qtro dump and the golden files use this form.
func (v Variant) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Variant) format(b *strings.Builder) {
	if v.typ == Invalid {
		b.WriteString("invalid")
		if v.null {
			b.WriteString(" (null)")
		}
		return
	}
	b.WriteString(v.TypeName())
	if v.null {
		b.WriteString("(isNull)")
	}
	b.WriteByte(' ')
	switch v.typ {
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case Int, Short, Char, SChar, Long, LongLong:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case UInt, UShort, UChar, ULong, ULongLong, Char16, Char32:
		b.WriteString(strconv.FormatUint(v.num, 10))
	case QChar:
		fmt.Fprintf(b, "%q", rune(v.num))
	case Double, Float:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case QString, QLocale, QUrl:
		if v.nulld {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.Quote(v.str))
		}
	case QByteArray:
		formatBytes(b, v.Bytes())
	case QDate:
		fmt.Fprintf(b, "jd=%d", int64(v.num))
	case QTime:
		fmt.Fprintf(b, "ms=%d", uint32(v.num))
	case QVariantList:
		formatList(b, v.List())
	case QVariantMap, QVariantHash:
		b.WriteByte('{')
		for i, kv := range v.Map() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(kv.Key))
			b.WriteString(": ")
			kv.Value.format(b)
		}
		b.WriteByte('}')
	case QStringList:
		fmt.Fprintf(b, "%q", v.Strings())
	case QByteArrayList:
		b.WriteByte('[')
		for i, x := range v.ByteArrays() {
			if i > 0 {
				b.WriteString(", ")
			}
			formatBytes(b, x)
		}
		b.WriteByte(']')
	case User:
		formatValue(b, v.ref)
	default:
		formatValue(b, v.ref)
	}
}

func formatList(b *strings.Builder, l []Variant) {
	b.WriteByte('[')
	for i, x := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		x.format(b)
	}
	b.WriteByte(']')
}

func formatBytes(b *strings.Builder, x []byte) {
	if x == nil {
		b.WriteString("null")
		return
	}
	b.WriteString(strconv.Quote(string(x)))
}

func formatValue(b *strings.Builder, x any) {
	switch t := x.(type) {
	case Gadget:
		b.WriteByte('{')
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			if i < len(t.Names) {
				b.WriteString(t.Names[i])
				b.WriteString(": ")
			}
			f.format(b)
		}
		b.WriteByte('}')
	case []Variant:
		formatList(b, t)
	case []Pair:
		b.WriteByte('{')
		for i, p := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			p.First.format(b)
			b.WriteString(": ")
			p.Second.format(b)
		}
		b.WriteByte('}')
	case Pair:
		b.WriteByte('(')
		t.First.format(b)
		b.WriteString(", ")
		t.Second.format(b)
		b.WriteByte(')')
	case Variant:
		t.format(b)
	case []byte:
		formatBytes(b, t)
	case fmt.Stringer:
		b.WriteString(t.String())
	default:
		fmt.Fprintf(b, "%+v", t)
	}
}

func (u UUID) String() string {
	return fmt.Sprintf("{%x-%x-%x-%x-%x}", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func (d DateTime) String() string {
	if !d.Valid() {
		return "invalid"
	}
	t := d.Time()
	switch d.Spec {
	case UTC:
		return t.Format("2006-01-02T15:04:05.000Z")
	case OffsetFromUTC:
		return t.Format("2006-01-02T15:04:05.000-07:00")
	case TimeZoneSpec:
		return t.Format("2006-01-02T15:04:05.000") + " " + d.TimeZone
	}
	return t.Format("2006-01-02T15:04:05.000") + " local"
}

func (n NullString) String() string {
	if !n.Valid {
		return "null"
	}
	return strconv.Quote(n.Text)
}
