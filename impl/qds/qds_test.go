package qds_test

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/qds"
)

var (
	formats = map[string]qds.Format{
		"qt5":     {Version: qds.Qt_5_12},
		"qt5blob": {Version: qds.Qt_5_15},
		"qt6":     {LittleEndian: true, Version: qds.Qt_6_2},
		"qt6blob": {Version: qds.Qt_6_2},
	}
)

func sampleVariants() map[string]qds.Variant {
	return map[string]qds.Variant{
		"invalid":     qds.InvalidVariant(),
		"bool":        qds.BoolOf(true),
		"int":         qds.IntOf(-7),
		"uint":        qds.UIntOf(math.MaxUint32),
		"longlong":    qds.LongLongOf(math.MinInt64),
		"ulonglong":   qds.ULongLongOf(math.MaxUint64),
		"short":       qds.IntegerOf(qds.Short, -2),
		"ushort":      qds.IntegerOf(qds.UShort, 65000),
		"char":        qds.IntegerOf(qds.Char, 'a'),
		"schar":       qds.IntegerOf(qds.SChar, -2),
		"uchar":       qds.IntegerOf(qds.UChar, 200),
		"long":        qds.IntegerOf(qds.Long, -3),
		"ulong":       qds.IntegerOf(qds.ULong, 3),
		"qchar":       qds.IntegerOf(qds.QChar, 'Z'),
		"double":      qds.DoubleOf(math.Pi),
		"float":       qds.FloatOf(1.5),
		"string":      qds.StringOf("héllo wörld 😀"),
		"nullstring":  qds.NullStringOf(),
		"empty":       qds.StringOf(""),
		"bytes":       qds.ByteArrayOf([]byte{0, 1, 2, 0xff}),
		"nullbytes":   qds.ByteArrayOf(nil),
		"emptybytes":  qds.ByteArrayOf([]byte{}),
		"stringlist":  qds.StringListOf([]string{"a", "", "ü"}),
		"bytelist":    qds.ByteArrayListOf([][]byte{[]byte("x"), nil}),
		"list":        qds.ListOf([]qds.Variant{qds.IntOf(1), qds.ListOf([]qds.Variant{qds.StringOf("n")})}),
		"map":         qds.MapOf([]qds.MapEntry{{Key: "b", Value: qds.IntOf(2)}, {Key: "a", Value: qds.BoolOf(false)}}),
		"hash":        qds.HashOf([]qds.MapEntry{{Key: "k", Value: qds.DoubleOf(0.5)}}),
		"url":         qds.URLOf("tcp://127.0.0.1:65213"),
		"nullurl":     qds.URLOf(""),
		"date":        qds.DateOf(2458851),
		"time":        qds.TimeOf(3723004),
		"datetimeutc": qds.DateTimeOf(qds.DateTime{JulianDay: 2458851, Msecs: 3723004, Spec: qds.UTC}),
		"datetimeoff": qds.DateTimeOf(qds.DateTime{JulianDay: 2458851, Msecs: 1, Spec: qds.OffsetFromUTC, OffsetSeconds: 3600}),
		"datetimetz":  qds.DateTimeOf(qds.DateTime{JulianDay: 2458851, Msecs: 1, Spec: qds.TimeZoneSpec, TimeZone: "Europe/Berlin"}),
		"uuid":        qds.UUIDOf(qds.UUID{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}),
		"point":       qds.PointOf(qds.Point{X: 1, Y: -2}),
		"pointf":      qds.PointFOf(qds.PointF{X: 1.5, Y: -2}),
		"size":        qds.SizeOf(qds.Size{W: 3, H: 4}),
		"sizef":       qds.SizeFOf(qds.SizeF{W: 3, H: 4}),
		"rect":        qds.RectOf(qds.RectFromXYWH(1, 2, 3, 4)),
		"rectf":       qds.RectFOf(qds.RectF{X: 1, Y: 2, W: 3, H: 4}),
		"line":        qds.LineOf(qds.Line{X1: 1, Y1: 2, X2: 3, Y2: 4}),
		"linef":       qds.LineFOf(qds.LineF{X1: 1, Y1: 2, X2: 3, Y2: 4}),
		"json":        qds.JSONValueOf(qds.JSONValue{Type: 3, String: "s"}),
		"nullflag":    qds.IntOf(0).WithNullFlag(true),
		"qlistint":    qds.UserOf("QList<int>", []qds.Variant{qds.IntOf(1), qds.IntOf(2)}),
		"qmap":        qds.UserOf("QMap<QString,int>", []qds.Pair{{First: qds.StringOf("a"), Second: qds.IntOf(1)}}),
		"pair":        qds.UserOf("QPair<int,QString>", qds.Pair{First: qds.IntOf(1), Second: qds.StringOf("x")}),
	}
}

func TestRoundTrip(t *testing.T) {
	for fname, f := range formats {
		for name, v := range sampleVariants() {
			e := qds.NewEncoder(nil, f, qds.NewTypes(nil))
			e.Variant(v)
			if e.Err() != nil {
				t.Fatalf("%s/%s: encode: %v", fname, name, e.Err())
			}
			d := qds.NewDecoder(e.Bytes(), f, qds.NewTypes(nil), qds.Limits{})
			got := d.Variant()
			if d.Err() != nil {
				t.Fatalf("%s/%s: decode: %v", fname, name, d.Err())
			}
			if d.Len() != 0 {
				t.Errorf("%s/%s: %d bytes left", fname, name, d.Len())
			}
			if !got.Equal(v) {
				t.Errorf("%s/%s: got %v, want %v", fname, name, got, v)
			}
		}
	}
}

func TestByteOrder(t *testing.T) {
	for _, tc := range []struct {
		f    qds.Format
		v    qds.Variant
		want string
	}{
		{formats["qt5"], qds.StringOf("hi"), "0000000a00000000040068" + "0069"},
		{formats["qt6"], qds.StringOf("hi"), "0a00000000040000006800" + "6900"},
		{formats["qt5"], qds.IntOf(5), "000000020000000005"},
		{formats["qt6"], qds.IntOf(5), "020000000005000000"},
		{formats["qt5"], qds.UserOf("QList<int>", []qds.Variant{}), "0000040000" + "0000000b" + "514c6973743c696e743e00" + "00000000"},
		{formats["qt6"], qds.UserOf("QList<int>", []qds.Variant{}), "0000010000" + "0b000000" + "514c6973743c696e743e00" + "00000000"},
	} {
		e := qds.NewEncoder(nil, tc.f, nil)
		e.Variant(tc.v)
		if got := hexOf(e.Bytes()); got != tc.want {
			t.Errorf("%v %v: got %s want %s", tc.f, tc.v, got, tc.want)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, x := range b {
		s.WriteByte(digits[x>>4])
		s.WriteByte(digits[x&15])
	}
	return s.String()
}

func TestHostileInput(t *testing.T) {
	be := formats["qt5"]
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated int", []byte{0, 0, 0, 2, 0, 0, 0}, qds.ErrTruncated},
		{"huge list count", []byte{0, 0, 0, 9, 0, 0xff, 0xff, 0xff, 0xfe}, qds.ErrLimit},
		{"list count beyond data", []byte{0, 0, 0, 9, 0, 0, 0, 0x10, 0}, qds.ErrTruncated},
		{"huge string", []byte{0, 0, 0, 10, 0, 0x7f, 0xff, 0xff, 0xfe}, qds.ErrLimit},
		{"odd string", []byte{0, 0, 0, 10, 0, 0, 0, 0, 1, 0x41}, qds.ErrOddLength},
		{"unknown type", []byte{0, 0, 0, 99, 0}, qds.ErrUnknownType},
		{"unknown user type", append([]byte{0, 0, 4, 0, 0, 0, 0, 0, 4}, "Foo\x00"...), qds.ErrUnknownUserType},
		{"qt6 user id in qt5 stream", []byte{0, 1, 0, 0, 0}, qds.ErrUnknownType},
	}
	for _, tc := range cases {
		d := qds.NewDecoder(tc.in, be, nil, qds.Limits{})
		d.Variant()
		if !errors.Is(d.Err(), tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, d.Err(), tc.want)
		}
		var qe *qds.Error
		if !errors.As(d.Err(), &qe) || qe.Offset < 0 || qe.Offset > len(tc.in) {
			t.Errorf("%s: error %v carries no offset", tc.name, d.Err())
		}
	}
}

func TestDepthLimit(t *testing.T) {
	// 200 nested QVariantLists of one element each.
	var b []byte
	for i := 0; i < 200; i++ {
		b = append(b, 0, 0, 0, 9, 0, 0, 0, 0, 1)
	}
	b = append(b, 0, 0, 0, 0, 0)
	d := qds.NewDecoder(b, formats["qt5"], nil, qds.Limits{MaxDepth: 50})
	d.Variant()
	if !errors.Is(d.Err(), qds.ErrLimit) {
		t.Fatalf("err %v, want ErrLimit", d.Err())
	}
	d = qds.NewDecoder(b, formats["qt5"], nil, qds.Limits{MaxDepth: 500})
	d.Variant()
	if d.Err() != nil || d.Len() != 0 {
		t.Fatalf("within limit: err %v, %d left", d.Err(), d.Len())
	}
}

func TestTemplateNestingBounded(t *testing.T) {
	name := strings.Repeat("QList<", 100) + "int" + strings.Repeat(">", 100)
	if qds.NewTypes(nil).Lookup(name) != nil {
		t.Fatal("100-deep template resolved; want the nesting bound to refuse it")
	}
	if qds.NewTypes(nil).Lookup("QList<QList<int>>") == nil {
		t.Fatal("QList<QList<int>> not resolved")
	}
}

// A hostile count or length must not allocate in proportion to what it claims.
func TestHostileCountDoesNotAllocate(t *testing.T) {
	for name, in := range map[string][]byte{
		"list":   {0, 0, 0, 9, 0, 0, 0x0f, 0xff, 0xff},
		"string": {0, 0, 0, 10, 0, 0x00, 0xff, 0xff, 0xfe, 0, 0x41},
		"map":    {0, 0, 0, 8, 0, 0, 0x0f, 0xff, 0xff},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const runs = 100
		for i := 0; i < runs; i++ {
			d := qds.NewDecoder(in, formats["qt5"], nil, qds.Limits{})
			d.Variant()
			if d.Err() == nil {
				t.Fatalf("%s: hostile input accepted", name)
			}
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 2048 {
			t.Errorf("%s: %d bytes allocated per rejected value", name, per)
		}
	}
}

func TestUTF16(t *testing.T) {
	for _, s := range []string{"", "a", "ÿ", "€", "😀", "a😀b€"} {
		for _, f := range []qds.Format{formats["qt5"], formats["qt6"]} {
			e := qds.NewEncoder(nil, f, nil)
			e.QString(s)
			d := qds.NewDecoder(e.Bytes(), f, nil, qds.Limits{})
			if got, null := d.QString(); got != s || null {
				t.Errorf("%q: got %q null=%v", s, got, null)
			}
		}
	}
	// A lone surrogate decodes to U+FFFD instead of failing.
	d := qds.NewDecoder([]byte{0, 0, 0, 2, 0xd8, 0x00}, formats["qt5"], nil, qds.Limits{})
	if got, _ := d.QString(); got != "\uFFFD" {
		t.Errorf("lone surrogate: %q", got)
	}
}

func TestGadgetCodec(t *testing.T) {
	types := qds.NewTypes(nil)
	types.Register("MyPOD", &qds.GadgetCodec{Names: []string{"x", "s"}})
	v := qds.UserOf("MyPOD", qds.Gadget{Names: []string{"x", "s"}, Fields: []qds.Variant{qds.IntOf(0), qds.NullStringOf()}})
	e := qds.NewEncoder(nil, formats["qt5"], types)
	e.Variant(v)
	// From the protocol notes §3.4: MyPOD{0, null}.
	want := "0000040000" + "00000006" + "4d79504f4400" + "000000020000000000" + "0000000a00ffffffff"
	if got := hexOf(e.Bytes()); got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	e2 := qds.NewEncoder(nil, formats["qt5"], types)
	e2.Variant(qds.UserOf("MyPOD", qds.Gadget{Fields: []qds.Variant{qds.IntOf(1)}}))
	if !errors.Is(e2.Err(), qds.ErrBadValue) {
		t.Fatalf("wrong field count: err %v", e2.Err())
	}
	e3 := qds.NewEncoder(nil, formats["qt5"], types)
	e3.Variant(qds.UserOf("Unknown", nil))
	if !errors.Is(e3.Err(), qds.ErrUnknownUserType) {
		t.Fatalf("unknown type: err %v", e3.Err())
	}
}

func TestTypeByName(t *testing.T) {
	for name, want := range map[string]qds.TypeID{"int": qds.Int, "qint64": qds.LongLong, "QString": qds.QString, "QVariantMap": qds.QVariantMap, "float": qds.Float} {
		if got, ok := qds.TypeByName(name); !ok || got != want {
			t.Errorf("%s: %v %v", name, got, ok)
		}
	}
	if _, ok := qds.TypeByName("MyPOD"); ok {
		t.Error("MyPOD is not built in")
	}
}
