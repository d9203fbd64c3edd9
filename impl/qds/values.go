package qds

import (
	"fmt"
	"time"
)

// Point is a QPoint.
type Point struct{ X, Y int32 }

// PointF is a QPointF.
type PointF struct{ X, Y float64 }

// Size is a QSize.
type Size struct{ W, H int32 }

// SizeF is a QSizeF.
type SizeF struct{ W, H float64 }

// Rect is a QRect in Qt's own storage form, which is also its wire form:
// Right = X+W-1 and Bottom = Y+H-1, so a null QRect is {0, 0, -1, -1}.
type Rect struct{ Left, Top, Right, Bottom int32 }

// RectFromXYWH builds a Rect the way QRect(x, y, w, h) does.
func RectFromXYWH(x, y, w, h int32) Rect { return Rect{x, y, x + w - 1, y + h - 1} }

// Width returns the rectangle's width as QRect::width computes it.
func (r Rect) Width() int32 { return r.Right - r.Left + 1 }

// Height returns the rectangle's height as QRect::height computes it.
func (r Rect) Height() int32 { return r.Bottom - r.Top + 1 }

// RectF is a QRectF (x, y, width, height on the wire).
type RectF struct{ X, Y, W, H float64 }

// Line is a QLine.
type Line struct{ X1, Y1, X2, Y2 int32 }

// LineF is a QLineF.
type LineF struct{ X1, Y1, X2, Y2 float64 }

// UUID is a QUuid in RFC 4122 byte order (data1..data4 as printed).
type UUID [16]byte

// TimeSpec is Qt::TimeSpec.
type TimeSpec uint8

// Qt::TimeSpec values.
const (
	LocalTime       TimeSpec = 0
	UTC             TimeSpec = 1
	OffsetFromUTC   TimeSpec = 2
	TimeZoneSpec    TimeSpec = 3
	invalidMsecs             = 0xFFFFFFFF
	invalidJulian            = -0x8000000000000000
	julianUnixEpoch          = 2440588 // Julian day of 1970-01-01
)

// DateTime is a QDateTime as QDataStream carries it: the local date and time
// for its spec, plus the offset or time zone id where the spec needs one.
type DateTime struct {
	JulianDay     int64    // QDate; math.MinInt64 is the invalid date
	Msecs         uint32   // QTime ms since midnight; 0xFFFFFFFF is the invalid time
	Spec          TimeSpec // Qt::TimeSpec
	OffsetSeconds int32    // with OffsetFromUTC
	TimeZone      string   // IANA id (or "UTC", "UTC+01:00"), with TimeZoneSpec
	// Zone holds the details Qt streams for a fixed-offset QTimeZone (ids
	// such as "UTC" or "UTC+01" from QTimeZone(seconds)); nil for zone ids.
	Zone *OffsetZone
}

// OffsetZone is how QDataStream carries a fixed-offset QTimeZone: the marker
// "OffsetFromUtc" replaces the id, then come these fields.
type OffsetZone struct {
	Offset       int32 // seconds east of UTC
	Name         string
	Abbreviation string
	Country      int32 // QLocale::Country
	Comment      string
}

const offsetFromUtc = "OffsetFromUtc"

// InvalidDateTime is what Qt sends for QDateTime().
var InvalidDateTime = DateTime{JulianDay: invalidJulian, Msecs: invalidMsecs}

// DateTimeFromTime converts t to a UTC QDateTime (millisecond precision).
func DateTimeFromTime(t time.Time) DateTime {
	t = t.UTC()
	ms := t.UnixMilli()
	day := ms / 86400000
	rem := ms % 86400000
	if rem < 0 {
		rem += 86400000
		day--
	}
	return DateTime{JulianDay: day + julianUnixEpoch, Msecs: uint32(rem), Spec: UTC}
}

// Valid reports whether both the date and the time are valid.
func (d DateTime) Valid() bool { return d.JulianDay != invalidJulian && d.Msecs != invalidMsecs }

// Time converts d to a time.Time. LocalTime uses time.Local and a time zone
// spec is resolved with time.LoadLocation (UTC if unknown).
func (d DateTime) Time() time.Time {
	if !d.Valid() {
		return time.Time{}
	}
	ms := (d.JulianDay-julianUnixEpoch)*86400000 + int64(d.Msecs)
	wall := time.UnixMilli(ms).UTC()
	var loc *time.Location
	switch d.Spec {
	case UTC:
		return wall
	case OffsetFromUTC:
		return wall.Add(-time.Duration(d.OffsetSeconds) * time.Second).In(time.FixedZone("", int(d.OffsetSeconds)))
	case TimeZoneSpec:
		l, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			l = time.UTC
		}
		loc = l
	default:
		loc = time.Local
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
}

// JSONValue is a QJsonValue: Type is QJsonValue::Type (0 Null, 1 Bool,
// 2 Double, 3 String, 4 Array, 5 Object, 0x80 Undefined); arrays and objects
// travel as compact JSON text in Raw.
type JSONValue struct {
	Type   uint8
	Bool   bool
	Double float64
	String string
	Raw    []byte
}

// BitArray is a QBitArray: Len bits packed LSB-first into Data. Qt 5
// streams the length as 32 bits, Qt 6 as 64.
type BitArray struct {
	Len  uint64
	Data []byte
}

// RegularExpression is a QRegularExpression: its pattern and option flags.
type RegularExpression struct {
	Pattern string
	Options uint32
}

// Gadget is the value of a Q_GADGET / repc POD user type: one field per
// gadget property, in property order. Names is shared with the codec that
// decoded it and may be nil.
type Gadget struct {
	Names  []string
	Fields []Variant
}

// Field returns the named field, if the gadget knows its names.
func (g Gadget) Field(name string) (Variant, bool) {
	for i, n := range g.Names {
		if n == name && i < len(g.Fields) {
			return g.Fields[i], true
		}
	}
	return Variant{}, false
}

func (g Gadget) String() string { return fmt.Sprint(g.Fields) }

// NullString is a QString that keeps Qt's distinction between the null
// string and the empty one, for the few protocol fields where it shows
// (type names of plain QObject sources are null, of non-repc children empty).
// The zero value is the null string.
type NullString struct {
	Text  string
	Valid bool // false: Qt's null QString
}

// Str returns a non-null NullString holding s.
func Str(s string) NullString { return NullString{Text: s, Valid: true} }

// DecodeNullString reads a QString keeping its nullness.
func (d *Decoder) DecodeNullString() NullString {
	s, null := d.QString()
	return NullString{Text: s, Valid: !null}
}

// EncodeNullString writes s, as Qt's null QString when it is not Valid.
func (e *Encoder) EncodeNullString(s NullString) {
	if !s.Valid {
		e.NullQString()
		return
	}
	e.QString(s.Text)
}
