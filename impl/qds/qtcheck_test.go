package qds_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// TestQtValues checks the codec against the real Qt 5.15 and Qt 6.4
// QDataStream. fixtures/qtvalues is a small C++ program, built against both
// (fixtures/qtvalues/build.sh, cached by content hash), that writes a broad
// matrix of QVariants exactly as QtRO's packet stream does and reads QVariants
// back.
//
//   - Qt -> Go: every value Qt writes decodes without error, consumes all its
//     bytes, equals the expected value in qtCases, and re-encodes to Qt's bytes.
//   - Go -> Qt: every expected value, encoded by us, is read by Qt with status
//     Ok, all bytes consumed, the expected type name and value text, and Qt
//     writes back exactly our bytes.
//
// A missing Qt or compiler fails the test (ci/setup.sh installs them);
// QTRO_ALLOW_NO_QT=1 turns that into a skip.
//
// It also checks that testdata/qtcheck/qt{5,6}-write.txt, the snapshot
// TestQtValuesSnapshot decodes without Qt, is what Qt writes today;
// QTRO_UPDATE_QTCHECK=1 rewrites the snapshot.
func TestQtValues(t *testing.T) {
	bins := buildQtValues(t)
	for _, d := range wire.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			bin := bins[d]
			out := runQt(t, bin, nil, "write")
			written := parseQtWrite(t, "qtvalues write", out)
			t.Run("QtToGo", func(t *testing.T) { checkQtToGo(t, d, written) })
			t.Run("GoToQt", func(t *testing.T) { checkGoToQt(t, d, bin, written) })
			t.Run("Snapshot", func(t *testing.T) { checkSnapshot(t, d, out, written) })
		})
	}
}

// TestQtValuesSnapshot runs the Qt -> Go check on the recorded output of
// "qtvalues write", so it also runs where Qt is not installed.
func TestQtValuesSnapshot(t *testing.T) {
	for _, d := range wire.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			b, err := os.ReadFile(snapshotPath(d))
			if err != nil {
				t.Fatal(err)
			}
			checkQtToGo(t, d, parseQtWrite(t, snapshotPath(d), string(b)))
		})
	}
}

func snapshotPath(d wire.Dialect) string {
	return filepath.Join("testdata", "qtcheck", fmt.Sprintf("qt%d-write.txt", d))
}

// checkSnapshot compares the snapshot with what Qt wrote now: the same names
// in the same order and the same bytes, except that QHashes may list their
// entries in another order (Qt seeds its hash per process).
func checkSnapshot(t *testing.T, d wire.Dialect, out string, written []qtLine) {
	path := snapshotPath(d)
	if os.Getenv("QTRO_UPDATE_QTCHECK") == "1" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (QTRO_UPDATE_QTCHECK=1 writes it)", err)
	}
	snap := parseQtWrite(t, path, string(b))
	if len(snap) != len(written) {
		t.Fatalf("%s has %d values, Qt wrote %d: QTRO_UPDATE_QTCHECK=1 updates it", path, len(snap), len(written))
	}
	cases := map[string]qtCase{}
	for _, c := range qtCases(d) {
		cases[c.name] = c
	}
	types := qtTypes(d)
	for i, w := range written {
		s := snap[i]
		if s.name != w.name {
			t.Errorf("%s line %d is %s, Qt wrote %s", path, i+1, s.name, w.name)
			continue
		}
		if bytes.Equal(s.data, w.data) {
			continue
		}
		base, f := qtSplitName(d, w.name)
		if cases[base].unordered && len(s.data) == len(w.data) {
			a, b := qds.NewDecoder(s.data, f, types, qds.Limits{}), qds.NewDecoder(w.data, f, types, qds.Limits{})
			if qtNormalize(a.Variant()).Equal(qtNormalize(b.Variant())) && a.Err() == nil && b.Err() == nil {
				continue
			}
		}
		t.Errorf("%s: %s has %x, Qt wrote %x: QTRO_UPDATE_QTCHECK=1 updates it", w.name, path, s.data, w.data)
	}
}

// qtCase is one value of the matrix: its name (as qtvalues.cpp spells it)
// and the Variant our codec should decode from Qt's bytes and encode to them.
type qtCase struct {
	name string
	v    qds.Variant
	// unordered: the value holds a QHash with several entries, whose wire
	// order depends on Qt's hash seed; compare entries as a set.
	unordered bool
	// goOnly: Qt's matrix does not write it; only the Go -> Qt check uses it.
	goOnly bool
	// unsupported: a QtCore type the codec does not carry; decoding Qt's
	// bytes must fail with ErrUnknownType or ErrUnsupported (v is unused).
	unsupported bool
	// qtValue is what Qt holds after reading our bytes, where Qt itself
	// changes the value (nil: v). Its type name, text and bytes are expected.
	qtValue *qds.Variant
	// qtBackIsWrite: Qt writes the value it read back in a longer form than
	// ours, exactly as it wrote the same value in "qtvalues write".
	qtBackIsWrite bool
	// lossy documents a deliberate, documented divergence of our decoder: Qt's
	// bytes decode to v, but re-encoding v gives different bytes.
	lossy string
}

// qtPodNames are the properties of the repc POD in fixtures/qtvalues/values.rep.
var qtPodNames = []string{"count", "label", "ratio", "ids", "flag", "shade", "any"}

const qtShadeType = "ShadeEnum::Shade"

// qtTypes is the registry a Go peer of dialect d would have after learning
// the POD and enum of values.rep.
func qtTypes(d wire.Dialect) *qds.Types {
	types := qds.NewTypes(d.Types())
	types.Register("SamplePod", &qds.GadgetCodec{Names: qtPodNames})
	size := 4 // Qt 6 streams a registered enum as its underlying int
	if d == wire.Qt5 {
		size = 1 // Qt 5's repc writes enums as quint8
	}
	types.Register(qtShadeType, &qds.EnumCodec{Size: size})
	return types
}

func qtCases(d wire.Dialect) []qtCase {
	qt5 := d == wire.Qt5
	pick := func(q5, q6 string) string {
		if qt5 {
			return q5
		}
		return q6
	}
	// QMap: Qt 5 writes keys descending, Qt 6 ascending. Entries are given ascending.
	qmap := func(e ...qds.MapEntry) qds.Variant {
		if qt5 {
			e = qtReversed(e)
		}
		return qds.MapOf(e)
	}
	umap := func(name string, p ...qds.Pair) qds.Variant {
		if qt5 {
			p = qtReversed(p)
		}
		return qds.UserOf(name, p)
	}
	kv := func(k string, v qds.Variant) qds.MapEntry { return qds.MapEntry{Key: k, Value: v} }
	list := func(v ...qds.Variant) qds.Variant { return qds.ListOf(append([]qds.Variant{}, v...)) }
	ints := func(name string, v ...int32) qds.Variant {
		l := []qds.Variant{}
		for _, i := range v {
			l = append(l, qds.IntOf(i))
		}
		return qds.UserOf(name, l)
	}
	typed := func(t qds.TypeID, x any) qds.Variant {
		v, ok := qds.TypedOf(t, x)
		if !ok {
			panic(fmt.Sprintf("TypedOf(%s, %T)", t, x))
		}
		return v
	}
	shade := func(n int64) qds.Variant {
		if qt5 {
			return qds.UserOf(qtShadeType, n)
		}
		return qds.IntOf(int32(n))
	}
	pod := func(f ...qds.Variant) qds.Variant {
		return qds.UserOf("SamplePod", qds.Gadget{Names: qtPodNames, Fields: f})
	}
	sample := pod(qds.IntOf(42), qds.StringOf("pod é"), qds.DoubleOf(0.5), ints("QList<int>", 1, 2, 3),
		qds.BoolOf(true), shade(7), qds.StringOf("any"))
	defPodShade := func(n int64) qds.Variant {
		return pod(qds.IntOf(0), qds.NullStringOf(), qds.DoubleOf(0), ints("QList<int>"), qds.BoolOf(false),
			shade(n), qds.InvalidVariant().WithNullFlag(true))
	}
	defPod := defPodShade(0)
	// Qt 5's repc enum stream operator turns a value that is not an enumerator
	// (0, the default-constructed enum) into the first enumerator, Light = 1.
	qtDefPod := defPod
	if qt5 {
		qtDefPod = defPodShade(1)
	}
	ratioPod := func(ratio float64) qds.Variant {
		return pod(qds.IntOf(-1), qds.NullStringOf(), qds.DoubleOf(ratio), ints("QList<int>"), qds.BoolOf(false),
			shade(1), ints("QList<int>", 9))
	}
	// repc setters assign only when "new != old", and -0.0 == 0.0, so a POD
	// read from the wire keeps its default +0.0 for a -0.0 field.
	qtRatioPod := ratioPod(0)
	qtPodList := qds.UserOf("QList<SamplePod>", []qds.Variant{sample, qtDefPod})
	qtInvalid := qds.InvalidVariant().WithNullFlag(true)
	jd, ms := int64(2458851), uint32(3723004) // 2020-01-02 01:02:03.004
	dt := func(spec qds.TimeSpec, off int32, tz string) qds.Variant {
		return qds.DateTimeOf(qds.DateTime{JulianDay: jd, Msecs: ms, Spec: spec, OffsetSeconds: off, TimeZone: tz})
	}
	// A fixed-offset QTimeZone streams "OffsetFromUtc" and its details.
	offsetZone := func(id string, off int32) qds.Variant {
		return qds.DateTimeOf(qds.DateTime{JulianDay: jd, Msecs: ms, Spec: qds.TimeZoneSpec, TimeZone: id,
			Zone: &qds.OffsetZone{Offset: off, Name: id, Abbreviation: id, Comment: id}})
	}
	qtUTCZone := offsetZone("UTC", 0) // Qt reads a short "UTC" zone and holds the fixed-offset zone
	uuid := func(s string) qds.Variant {
		var u qds.UUID
		b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
		if err != nil || len(b) != 16 {
			panic("bad uuid " + s)
		}
		copy(u[:], b)
		return qds.UUIDOf(u)
	}
	json := func(j qds.JSONValue) qds.Variant { return qds.JSONValueOf(j) }
	deepList := func(n int) qds.Variant {
		v := qds.IntOf(7)
		for i := 0; i < n; i++ {
			v = list(v)
		}
		return v
	}
	deepMixed := func(n int) qds.Variant {
		v := qds.StringOf("bottom")
		for i := 0; i < n; i++ {
			if i%2 == 0 {
				v = list(qds.IntOf(int32(i)), v)
			} else {
				v = qmap(kv("d", v))
			}
		}
		return v
	}

	c := []qtCase{
		{name: "invalid", v: qds.InvalidVariant().WithNullFlag(true)},
		{name: "bool/true", v: qds.BoolOf(true)},
		{name: "bool/false", v: qds.BoolOf(false)},
		{name: "int/0", v: qds.IntOf(0)},
		{name: "int/min", v: qds.IntOf(math.MinInt32)},
		{name: "int/max", v: qds.IntOf(math.MaxInt32)},
		{name: "uint/max", v: qds.UIntOf(math.MaxUint32)},
		{name: "qlonglong/min", v: qds.LongLongOf(math.MinInt64)},
		{name: "qlonglong/max", v: qds.LongLongOf(math.MaxInt64)},
		{name: "qulonglong/max", v: qds.ULongLongOf(math.MaxUint64)},
		{name: "short/min", v: qds.IntegerOf(qds.Short, math.MinInt16)},
		{name: "short/max", v: qds.IntegerOf(qds.Short, math.MaxInt16)},
		{name: "ushort/max", v: qds.IntegerOf(qds.UShort, math.MaxUint16)},
		{name: "char/a", v: qds.IntegerOf(qds.Char, 'a')},
		{name: "char/min", v: qds.IntegerOf(qds.Char, -128)},
		{name: "schar/min", v: qds.IntegerOf(qds.SChar, -128)},
		{name: "schar/max", v: qds.IntegerOf(qds.SChar, 127)},
		{name: "uchar/max", v: qds.IntegerOf(qds.UChar, 255)},
		{name: "long/min", v: qds.IntegerOf(qds.Long, math.MinInt64)},
		{name: "long/-3", v: qds.IntegerOf(qds.Long, -3)},
		{name: "ulong/max", v: typed(qds.ULong, uint64(math.MaxUint64))},
		{name: "float/1.5", v: qds.FloatOf(1.5)},
		{name: "float/0.1", v: qds.FloatOf(0.1)},
		{name: "float/-inf", v: qds.FloatOf(float32(math.Inf(-1)))},
		{name: "float/nan", v: qds.FloatOf(float32(math.NaN()))},
		{name: "double/0", v: qds.DoubleOf(0)},
		{name: "double/-0", v: qds.DoubleOf(math.Copysign(0, -1))},
		{name: "double/pi", v: qds.DoubleOf(math.Pi)},
		{name: "double/denormal", v: qds.DoubleOf(math.SmallestNonzeroFloat64)},
		{name: "double/max", v: qds.DoubleOf(math.MaxFloat64)},
		{name: "double/nan", v: qds.DoubleOf(math.Float64frombits(0x7ff8000000000000))},
		{name: "double/inf", v: qds.DoubleOf(math.Inf(1))},
		{name: "double/-inf", v: qds.DoubleOf(math.Inf(-1))},
		{name: "qchar/Z", v: qds.IntegerOf(qds.QChar, 'Z')},
		{name: "qchar/e-acute", v: qds.IntegerOf(qds.QChar, 0xe9)},
		{name: "qchar/high-surrogate", v: qds.IntegerOf(qds.QChar, 0xd83d)},
		{name: "qchar/ffff", v: qds.IntegerOf(qds.QChar, 0xffff)},
		{name: "string/null", v: qds.NullStringOf()},
		{name: "string/empty", v: qds.StringOf("")},
		{name: "string/ascii", v: qds.StringOf("hi there")},
		{name: "string/latin1", v: qds.StringOf("héllo wörld")},
		{name: "string/cjk", v: qds.StringOf("日本語")},
		{name: "string/emoji", v: qds.StringOf("a😀b👍🏽")},
		{name: "string/nul", v: qds.StringOf("\x00x\x00")},
		{name: "string/controls", v: qds.StringOf("tab\tnl\ncr\r\"q\"\\")},
		{name: "string/long", v: qds.StringOf(strings.Repeat("z", 1000))},
		{name: "string/lone-surrogate", v: qds.StringOf("\ufffdx"),
			lossy: "an unpaired UTF-16 surrogate decodes to U+FFFD (decoder.go utf16String)"},
		{name: "bytes/null", v: qds.ByteArrayOf(nil)},
		{name: "bytes/empty", v: qds.ByteArrayOf([]byte{})},
		{name: "bytes/binary", v: qds.ByteArrayOf([]byte{0, 1, 0xff, 0x7f, 0x80})},
		{name: "bytes/300", v: qds.ByteArrayOf(bytes.Repeat([]byte{0xab}, 300))},
		{name: "stringlist/empty", v: qds.StringListOf([]string{})},
		{name: "stringlist/abc", v: qds.StringListOf([]string{"a", "", "ü😀"})},
		// Qt writes the null element as ffffffff.
		{name: "stringlist/null-element", v: qds.StringListWithNulls([]qds.NullString{{}, qds.Str("x")})},
		{name: "bytearraylist/xy", v: qds.ByteArrayListOf([][]byte{[]byte("x"), []byte("yy")})},
		{name: "bytearraylist/null-element", v: qds.ByteArrayListOf([][]byte{nil, {}})},
		{name: "list/empty", v: list()},
		{name: "list/mixed", v: list(qds.IntOf(1), qds.StringOf("a"), list(qds.BoolOf(true), qds.DoubleOf(2.5)),
			qmap(kv("k", qds.UIntOf(3))), qds.InvalidVariant().WithNullFlag(true))},
		{name: "map/empty", v: qmap()},
		{name: "map/abc", v: qmap(kv("a", qds.StringOf("one")), kv("b", qds.IntOf(2)), kv("c", list(qds.IntOf(1))))},
		// QMap<QString,...> sorts by UTF-16 code unit.
		{name: "map/unicode-keys", v: qmap(kv("z", qds.IntOf(2)), kv("é", qds.IntOf(1)), kv("😀", qds.IntOf(3)))},
		// Qt writes the null key as ffffffff.
		{name: "map/null-key", v: qmap(qds.MapEntry{Key: "", KeyNull: true, Value: qds.IntOf(1)})},
		{name: "hash/empty", v: qds.HashOf([]qds.MapEntry{})},
		{name: "hash/one", v: qds.HashOf([]qds.MapEntry{kv("k", qds.IntOf(1))})},
		{name: "hash/three", unordered: true, v: qds.HashOf([]qds.MapEntry{kv("x", qds.IntOf(1)),
			kv("y", qds.StringOf("two")), kv("z", qds.DoubleOf(3))})},
		{name: "date/2020-01-02", v: qds.DateOf(jd)},
		{name: "date/jd0", v: qds.DateOf(0)},
		{name: "date/9999-12-31", v: qds.DateOf(5373484)},
		{name: "date/invalid", v: qds.DateOf(math.MinInt64)},
		{name: "time/01:02:03.004", v: qds.TimeOf(ms)},
		{name: "time/midnight", v: qds.TimeOf(0)},
		{name: "time/last", v: qds.TimeOf(86399999)},
		{name: "time/invalid", v: qds.TimeOf(math.MaxUint32)},
		{name: "datetime/utc", v: dt(qds.UTC, 0, "")},
		{name: "datetime/local", v: dt(qds.LocalTime, 0, "")},
		{name: "datetime/offset+3600", v: dt(qds.OffsetFromUTC, 3600, "")},
		{name: "datetime/offset-19800", v: dt(qds.OffsetFromUTC, -19800, "")},
		{name: "datetime/tz-berlin", v: dt(qds.TimeZoneSpec, 0, "Europe/Berlin")},
		{name: "datetime/tz-new-york", v: qds.DateTimeOf(qds.DateTime{JulianDay: 2459400, Msecs: 43200000,
			Spec: qds.TimeZoneSpec, TimeZone: "America/New_York"})},
		// Zones backed by a fixed offset (QTimeZone::utc(), QTimeZone(3600)) stream
		// as "OffsetFromUtc", id, offset, name, abbreviation, country, comment.
		{name: "datetime/tz-utc", v: offsetZone("UTC", 0)},
		{name: "datetime/tz-offset", v: offsetZone("UTC+01", 3600)},
		{name: "datetime/tz-utc-short", v: dt(qds.TimeZoneSpec, 0, "UTC"), goOnly: true, qtValue: &qtUTCZone},
		{name: "datetime/invalid", v: qds.DateTimeOf(qds.InvalidDateTime)},
		{name: "url/empty", v: qds.URLOf("")},
		{name: "url/tcp", v: qds.URLOf("tcp://127.0.0.1:65213")},
		{name: "url/local", v: qds.URLOf("local:registry")},
		{name: "url/query", v: qds.URLOf("https://user@example.com:8443/p/a%20th?q=1&r=%C3%A9#frag")},
		{name: "url/unicode-host", v: qds.URLOf("http://xn--bcher-kva.example/%C3%A9")},
		{name: "uuid/null", v: qds.UUIDOf(qds.UUID{})},
		{name: "uuid/fixed", v: uuid("00112233-4455-6677-8899-aabbccddeeff")},
		{name: "uuid/v4", v: uuid("f47ac10b-58cc-4372-a567-0e02b2c3d479")},
		{name: "point", v: qds.PointOf(qds.Point{X: 1, Y: -2})},
		{name: "pointf", v: qds.PointFOf(qds.PointF{X: 1.5, Y: -2.25})},
		{name: "size", v: qds.SizeOf(qds.Size{W: 3, H: 4})},
		{name: "size/invalid", v: qds.SizeOf(qds.Size{W: -1, H: -1})},
		{name: "sizef", v: qds.SizeFOf(qds.SizeF{W: 3.5, H: 4})},
		{name: "rect", v: qds.RectOf(qds.RectFromXYWH(1, 2, 3, 4))},
		{name: "rect/null", v: qds.RectOf(qds.Rect{Left: 0, Top: 0, Right: -1, Bottom: -1})},
		{name: "rectf", v: qds.RectFOf(qds.RectF{X: 1, Y: 2, W: 3.5, H: 4})},
		{name: "line", v: qds.LineOf(qds.Line{X1: 1, Y1: 2, X2: 3, Y2: 4})},
		{name: "linef", v: qds.LineFOf(qds.LineF{X1: 1, Y1: 2.5, X2: -3, Y2: 4})},
		{name: "json/null", v: json(qds.JSONValue{Type: 0})},
		{name: "json/undefined", v: json(qds.JSONValue{Type: 0x80})},
		{name: "json/bool", v: json(qds.JSONValue{Type: 1, Bool: true})},
		{name: "json/double", v: json(qds.JSONValue{Type: 2, Double: 1.5})},
		{name: "json/string", v: json(qds.JSONValue{Type: 3, String: "sé"})},
		{name: "json/array", v: json(qds.JSONValue{Type: 4, Raw: []byte(`[1,"a",null,true]`)})},
		{name: "json/object", v: json(qds.JSONValue{Type: 5, Raw: []byte(`{"a":"x","b":[1]}`)})},
		{name: "bitarray/empty", v: typed(qds.QBitArray, qds.BitArray{})},
		{name: "bitarray/1", v: typed(qds.QBitArray, qds.BitArray{Len: 1, Data: []byte{0x01}})},
		{name: "bitarray/10", v: typed(qds.QBitArray, qds.BitArray{Len: 10, Data: []byte{0x0d, 0x03}})},
		{name: "regexp/plain", v: typed(qds.QRegularExpression, qds.RegularExpression{Pattern: `^a+\d$`})},
		{name: "regexp/options", v: typed(qds.QRegularExpression, qds.RegularExpression{Pattern: "x.y", Options: 1 | 4})},
		{name: "locale/c", v: typed(qds.QLocale, "C")},
		{name: "locale/de_DE", v: typed(qds.QLocale, "de_DE")},
		{name: "locale/en_US", v: typed(qds.QLocale, "en_US")},
		{name: "locale/zh_Hant_TW", v: typed(qds.QLocale, "zh_TW")},
		{name: "nullptr", v: typed(qds.Nullptr, nil).WithNullFlag(!qt5)},
		{name: "variant-in-variant", v: typed(qds.QVariant, qds.IntOf(5))},
		{name: "nullflag/int", v: qds.IntOf(0).WithNullFlag(true)},
		{name: "nullflag/string", v: qds.NullStringOf().WithNullFlag(true)},
		{name: "nullflag/bytes", v: qds.ByteArrayOf(nil).WithNullFlag(true)},
		{name: "nullflag/datetime", v: qds.DateTimeOf(qds.InvalidDateTime).WithNullFlag(true)},
		{name: "nullflag/list", v: list().WithNullFlag(true)},
		// Qt 5 clears the flag of a user type made with QVariant(QVariant::Type).
		{name: "nullflag/qlist-int", v: ints("QList<int>").WithNullFlag(!qt5)},
		{name: "user/qlist-int", v: ints("QList<int>", 1, 2, -3)},
		{name: "user/qlist-int-empty", v: ints("QList<int>")},
		{name: "user/qvector-int", v: ints(pick("QVector<int>", "QList<int>"), 4, 5)},
		{name: "user/qmap-qstring-int", v: umap("QMap<QString,int>",
			qds.Pair{First: qds.StringOf("a"), Second: qds.IntOf(1)},
			qds.Pair{First: qds.StringOf("b"), Second: qds.IntOf(2)},
			qds.Pair{First: qds.StringOf("c"), Second: qds.IntOf(3)})},
		{name: "user/qmap-int-qstring", v: umap("QMap<int,QString>",
			qds.Pair{First: qds.IntOf(-1), Second: qds.StringOf("minus")},
			qds.Pair{First: qds.IntOf(2), Second: qds.NullStringOf()},
			qds.Pair{First: qds.IntOf(10), Second: qds.StringOf("ten")})},
		// QtRemoteObjects 5.15 declares QHash<int,QByteArray> as "QIntHash".
		{name: "user/qhash-int-qbytearray", unordered: true, v: qds.UserOf(pick("QIntHash", "QHash<int,QByteArray>"), []qds.Pair{
			{First: qds.IntOf(1), Second: qds.ByteArrayOf([]byte("one"))},
			{First: qds.IntOf(2), Second: qds.ByteArrayOf([]byte("two"))},
			{First: qds.IntOf(3), Second: qds.ByteArrayOf(nil)}})},
		{name: "user/qpair-int-qstring", v: qds.UserOf(pick("QPair<int,QString>", "std::pair<int,QString>"),
			qds.Pair{First: qds.IntOf(1), Second: qds.StringOf("x")})},
		{name: "user/qlist-qlist-int", v: qds.UserOf(pick("QList<QList<int> >", "QList<QList<int>>"),
			[]qds.Variant{ints("QList<int>", 1), ints("QList<int>"), ints("QList<int>", 2, 3)})},
		{name: "user/qmap-qstring-qlist-int", v: umap(pick("QMap<QString,QList<int> >", "QMap<QString,QList<int>>"),
			qds.Pair{First: qds.StringOf("p"), Second: ints("QList<int>", 1, 2)},
			qds.Pair{First: qds.StringOf("q"), Second: ints("QList<int>")})},
		{name: "user/enum", v: qds.UserOf(qtShadeType, int64(7))},
		{name: "pod/sample", v: sample},
		{name: "pod/default", v: defPod, qtValue: &qtDefPod},
		{name: "pod/nested-variant", v: ratioPod(math.Copysign(0, -1)), qtValue: &qtRatioPod},
		{name: "pod/list", v: qds.UserOf("QList<SamplePod>", []qds.Variant{sample, defPod}), qtValue: &qtPodList},
		{name: "nest/list-of-everything", v: list(ints("QList<int>", 1), sample,
			qmap(kv("h", qds.HashOf([]qds.MapEntry{kv("k", qds.UUIDOf(qds.UUID{}))}))),
			qds.StringListOf([]string{"s"}), dt(qds.UTC, 0, ""), typed(qds.QVariant, qds.BoolOf(true)))},
		{name: "nest/deep-list-40", v: deepList(40)},
		{name: "nest/deep-mixed-20", v: deepMixed(20)},
	}
	if qt5 {
		c = append(c, qtCase{name: "user/qlist-qstring", v: qds.UserOf("QList<QString>",
			[]qds.Variant{qds.StringOf("a"), qds.StringOf("")})})
	} else {
		c = append(c,
			qtCase{name: "char16/x", v: qds.IntegerOf(qds.Char16, 0xe9)},
			qtCase{name: "char32/emoji", v: qds.IntegerOf(qds.Char32, 0x1F600)},
			// Qt 6's QList<QString> is QStringList.
			qtCase{name: "user/qlist-qstring", v: qds.StringListOf([]string{"a", ""})})
	}
	for _, name := range []string{"json-object", "json-array", "json-document",
		"cbor-simple-type", "cbor-value", "cbor-array", "cbor-map", pick("regexp", "variant-pair")} {
		c = append(c, qtCase{name: "unsupported/" + name, unsupported: true})
	}
	// Values only we write: what Qt does with them.
	sampleWithShade := func(sh qds.Variant) qds.Variant {
		g := sample.Value().(qds.Gadget)
		f := append([]qds.Variant(nil), g.Fields...)
		f[5] = sh
		return pod(f...)
	}
	otherShade := qds.IntOf(7) // Qt 5 streams the enum type, so send int
	if !qt5 {
		otherShade = qds.UserOf(qtShadeType, int64(7)) // Qt 6 streams int, so send the enum type
	}
	qtMapABC := qmap(kv("a", qds.IntOf(1)), kv("b", qds.IntOf(2)), kv("c", qds.IntOf(3)))
	qtUMapABC := umap("QMap<QString,int>",
		qds.Pair{First: qds.StringOf("a"), Second: qds.IntOf(1)},
		qds.Pair{First: qds.StringOf("b"), Second: qds.IntOf(2)},
		qds.Pair{First: qds.StringOf("c"), Second: qds.IntOf(3)})
	c = append(c,
		// A POD enum field in the other dialect's form: Qt converts it to the property type.
		qtCase{name: "go/pod-enum-other-form", goOnly: true, v: sampleWithShade(otherShade), qtValue: &sample},
		// Maps in neither Qt order: Qt accepts them and writes its own order back.
		qtCase{name: "go/map-unsorted", goOnly: true, qtValue: &qtMapABC,
			v: qds.MapOf([]qds.MapEntry{kv("b", qds.IntOf(2)), kv("a", qds.IntOf(1)), kv("c", qds.IntOf(3))})},
		qtCase{name: "go/qmap-unsorted", goOnly: true, qtValue: &qtUMapABC, v: qds.UserOf("QMap<QString,int>", []qds.Pair{
			{First: qds.StringOf("b"), Second: qds.IntOf(2)},
			{First: qds.StringOf("a"), Second: qds.IntOf(1)},
			{First: qds.StringOf("c"), Second: qds.IntOf(3)}})},
		// The invalid QVariant with its null flag clear; Qt writes it back with the flag set.
		qtCase{name: "go/invalid-flag-0", goOnly: true, v: qds.InvalidVariant(), qtValue: &qtInvalid},
		// A user type inside a built-in container.
		qtCase{name: "go/int-list-in-map", goOnly: true, v: qmap(kv("l", ints("QList<int>", 5)))},
	)
	return c
}

func qtReversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, x := range s {
		out[len(s)-1-i] = x
	}
	return out
}

// ---- Qt -> Go ----------------------------------------------------------------

func checkQtToGo(t *testing.T, d wire.Dialect, written []qtLine) {
	types := qtTypes(d)
	cases := map[string]qtCase{}
	for _, c := range qtCases(d) {
		cases[c.name] = c
	}
	seen := map[string]bool{}
	checked, nested, rejected := 0, 0, 0
	for _, w := range written {
		base, f := qtSplitName(d, w.name)
		c, ok := cases[base]
		if !ok || c.goOnly {
			t.Errorf("%s: Qt wrote a value the test has no expectation for: %x", w.name, w.data)
			continue
		}
		seen[base] = true
		if !c.unsupported {
			checked++
			if base != w.name {
				nested++
			}
		}
		dec := qds.NewDecoder(w.data, f, types, qds.Limits{})
		got := dec.Variant()
		if c.unsupported {
			if err := dec.Err(); !errors.Is(err, qds.ErrUnknownType) && !errors.Is(err, qds.ErrUnsupported) {
				t.Errorf("%s: an unsupported type %x decoded as %s, error %v; want ErrUnknownType or ErrUnsupported",
					w.name, w.data, got, err)
			}
			rejected++
			continue
		}
		if err := dec.Err(); err != nil {
			t.Errorf("%s: decoding Qt's bytes %x: %v", w.name, w.data, err)
			continue
		}
		if dec.Len() != 0 {
			t.Errorf("%s: %d of Qt's %d bytes left after decoding: %x", w.name, dec.Len(), len(w.data), w.data)
		}
		if !qtNormalize(got).Equal(qtNormalize(c.v)) {
			t.Errorf("%s: decoded Qt's bytes %x as\n  %s\nwant\n  %s", w.name, w.data, got, c.v)
		}
		enc := qds.NewEncoder(nil, f, types)
		enc.Variant(got)
		switch {
		case enc.Err() != nil:
			t.Errorf("%s: re-encoding: %v", w.name, enc.Err())
		case c.lossy != "" && bytes.Equal(enc.Bytes(), w.data):
			t.Errorf("%s: marked lossy (%s), but re-encodes to Qt's bytes: update the test", w.name, c.lossy)
		case c.lossy != "":
			t.Logf("%s: known divergence, %s: Qt %x, we %x", w.name, c.lossy, w.data, enc.Bytes())
		case !bytes.Equal(enc.Bytes(), w.data):
			t.Errorf("%s: re-encoded to\n  %x\nQt wrote\n  %x", w.name, enc.Bytes(), w.data)
		}
	}
	for name, c := range cases {
		if !c.goOnly && !seen[name] {
			t.Errorf("%s: expected from Qt, but qtvalues did not write it", name)
		}
	}
	if nested < 10 {
		t.Errorf("only %d values in the nested format", nested)
	}
	t.Logf("%s: checked %d values Qt wrote (%d in the nested format); %d of unsupported types rejected",
		d, checked, nested, rejected)
}

// ---- Go -> Qt ----------------------------------------------------------------

func checkGoToQt(t *testing.T, d wire.Dialect, bin string, written []qtLine) {
	types := qtTypes(d)
	cases := map[string]qtCase{}
	var names []string
	for _, c := range qtCases(d) {
		if c.unsupported {
			continue
		}
		cases[c.name] = c
		names = append(names, c.name)
	}
	// The same values in the nested format as Qt wrote them.
	for _, w := range written {
		if strings.HasPrefix(w.name, "nested/") {
			names = append(names, w.name)
		}
	}
	qtWrote := map[string][]byte{}
	for _, w := range written {
		qtWrote[w.name] = w.data
	}
	sent := map[string][]byte{}
	var in bytes.Buffer
	for _, name := range names {
		base, f := qtSplitName(d, name)
		enc := qds.NewEncoder(nil, f, types)
		enc.Variant(cases[base].v)
		if err := enc.Err(); err != nil {
			t.Errorf("%s: encoding: %v", name, err)
			continue
		}
		sent[name] = append([]byte(nil), enc.Bytes()...)
		fmt.Fprintf(&in, "%s\t%x\n", name, enc.Bytes())
	}
	out := runQt(t, bin, &in, "read")
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Errorf("qtvalues read: malformed line %q", line)
			continue
		}
		name, status, rest, typeName, text, back := f[0], f[1], f[2], f[3], f[4], f[5]
		data, ok := sent[name]
		if !ok {
			t.Errorf("qtvalues read: unexpected name %q", name)
			continue
		}
		got[name] = true
		base, fm := qtSplitName(d, name)
		c := cases[base]
		if status != "Ok" || rest != "0" {
			t.Errorf("%s: Qt read our bytes %x with status %s, %s bytes left", name, data, status, rest)
			continue
		}
		qv := c.v
		wantBack := hex.EncodeToString(data)
		if c.qtValue != nil {
			qv = *c.qtValue
			enc := qds.NewEncoder(nil, fm, types)
			enc.Variant(qv)
			wantBack = hex.EncodeToString(enc.Bytes())
		}
		if c.qtBackIsWrite {
			wantBack = hex.EncodeToString(qtWrote[name])
		}
		wantType, wantText := qv.TypeName(), qtRender(qv)
		if typeName != wantType {
			t.Errorf("%s: Qt read our bytes %x as type %s, want %s", name, data, typeName, wantType)
		}
		if text != wantText {
			t.Errorf("%s: Qt read our bytes %x as\n  %s\nwant\n  %s", name, data, text, wantText)
		}
		if back == wantBack {
			continue
		}
		if !c.unordered {
			t.Errorf("%s: Qt wrote back\n  %s\nfor our\n  %x", name, back, data)
			continue
		}
		// A hash with several entries: Qt may write them in another order.
		b, err := hex.DecodeString(back)
		dec := qds.NewDecoder(b, fm, types, qds.Limits{})
		v := dec.Variant()
		if err != nil || dec.Err() != nil || dec.Len() != 0 || !qtNormalize(v).Equal(qtNormalize(c.v)) {
			t.Errorf("%s: Qt wrote back %s (%v), which is not our value %s", name, back, dec.Err(), c.v)
		}
	}
	for name := range sent {
		if !got[name] {
			t.Errorf("%s: qtvalues read printed nothing for it", name)
		}
	}
	t.Logf("%s: Qt read %d values we wrote", d, len(got))
}

// ---- canonical text (mirrors qtRender() in fixtures/qtvalues/qtvalues.cpp) ----

func qtFull(v qds.Variant) string { return v.TypeName() + "(" + qtRender(v) + ")" }

func qtRender(v qds.Variant) string {
	switch v.Type() {
	case qds.Invalid:
		return ""
	case qds.Bool:
		return strconv.FormatBool(v.Bool())
	case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong:
		return strconv.FormatInt(v.Int(), 10)
	case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong, qds.Char16, qds.Char32:
		return strconv.FormatUint(v.Uint(), 10)
	case qds.Double:
		return fmt.Sprintf("d:%016x", math.Float64bits(v.Float()))
	case qds.Float:
		return fmt.Sprintf("f:%08x", math.Float32bits(float32(v.Float())))
	case qds.QChar:
		return fmt.Sprintf("U+%04X", v.Uint())
	case qds.QString:
		if v.IsNullValue() {
			return "null"
		}
		return qtQuote(v.Str())
	case qds.QByteArray:
		return qtHexBytes(v.Bytes())
	case qds.QStringList:
		var p []string
		for _, s := range v.NullableStrings() {
			if !s.Valid {
				p = append(p, "null")
				continue
			}
			p = append(p, qtQuote(s.Text))
		}
		return "[" + strings.Join(p, ", ") + "]"
	case qds.QByteArrayList:
		var p []string
		for _, b := range v.ByteArrays() {
			p = append(p, qtHexBytes(b))
		}
		return "[" + strings.Join(p, ", ") + "]"
	case qds.QVariantList:
		var p []string
		for _, x := range v.List() {
			p = append(p, qtFull(x))
		}
		return "[" + strings.Join(p, ", ") + "]"
	case qds.QVariantMap, qds.QVariantHash:
		var kv [][2]string
		for _, e := range v.Map() {
			k := qtQuote(e.Key)
			if e.KeyNull {
				k = "null"
			}
			kv = append(kv, [2]string{k, qtFull(e.Value)})
		}
		return qtSortedMap(kv)
	case qds.QVariant:
		return qtFull(v.Value().(qds.Variant))
	case qds.Nullptr:
		return "nullptr"
	case qds.QDate:
		if jd := v.Any().(int64); jd != math.MinInt64 {
			return "jd:" + strconv.FormatInt(jd, 10)
		}
		return "invalid"
	case qds.QTime:
		if ms := v.Any().(uint32); ms != math.MaxUint32 {
			return "ms:" + strconv.FormatUint(uint64(ms), 10)
		}
		return "invalid"
	case qds.QDateTime:
		dt := v.Value().(qds.DateTime)
		if !dt.Valid() {
			return "invalid"
		}
		s := fmt.Sprintf("jd:%d ms:%d spec:%d", dt.JulianDay, dt.Msecs, dt.Spec)
		switch dt.Spec {
		case qds.OffsetFromUTC:
			s += fmt.Sprintf(" off:%d", dt.OffsetSeconds)
		case qds.TimeZoneSpec:
			s += " tz:" + qtQuote(dt.TimeZone)
		}
		return s
	case qds.QUrl:
		if v.IsNullValue() || v.Str() == "" {
			return "empty"
		}
		return qtQuote(v.Str())
	case qds.QUuid:
		return v.Value().(qds.UUID).String()
	case qds.QLocale:
		return qtQuote(v.Str())
	case qds.QPoint:
		p := v.Value().(qds.Point)
		return fmt.Sprintf("%d,%d", p.X, p.Y)
	case qds.QSize:
		s := v.Value().(qds.Size)
		return fmt.Sprintf("%d,%d", s.W, s.H)
	case qds.QRect:
		r := v.Value().(qds.Rect)
		return fmt.Sprintf("%d,%d,%d,%d", r.Left, r.Top, r.Right, r.Bottom)
	case qds.QLine:
		l := v.Value().(qds.Line)
		return fmt.Sprintf("%d,%d,%d,%d", l.X1, l.Y1, l.X2, l.Y2)
	case qds.QPointF:
		p := v.Value().(qds.PointF)
		return qtDoubles(p.X, p.Y)
	case qds.QSizeF:
		s := v.Value().(qds.SizeF)
		return qtDoubles(s.W, s.H)
	case qds.QRectF:
		r := v.Value().(qds.RectF)
		return qtDoubles(r.X, r.Y, r.W, r.H)
	case qds.QLineF:
		l := v.Value().(qds.LineF)
		return qtDoubles(l.X1, l.Y1, l.X2, l.Y2)
	case qds.QJsonValue:
		j := v.Value().(qds.JSONValue)
		switch j.Type {
		case 0:
			return "null"
		case 0x80:
			return "undefined"
		case 1:
			return "bool:" + strconv.FormatBool(j.Bool)
		case 2:
			return "double:" + qtDoubles(j.Double)
		case 3:
			return "string:" + qtQuote(j.String)
		case 4:
			return "array:" + qtQuote(string(j.Raw))
		case 5:
			return "object:" + qtQuote(string(j.Raw))
		}
	case qds.QBitArray:
		b := v.Value().(qds.BitArray)
		var s strings.Builder
		s.WriteString("bits:")
		for i := uint64(0); i < b.Len; i++ {
			if int(i/8) >= len(b.Data) {
				s.WriteString("?")
				break
			}
			s.WriteByte('0' + b.Data[i/8]>>(i%8)&1)
		}
		return s.String()
	case qds.QRegularExpression:
		r := v.Value().(qds.RegularExpression)
		return qtQuote(r.Pattern) + " opts:" + strconv.FormatUint(uint64(r.Options), 10)
	case qds.User:
		return qtRenderUser(v.Value())
	}
	return fmt.Sprintf("<unrendered %s>", v.TypeName())
}

// renderUser renders a user type's value; container elements are bare values.
func qtRenderUser(x any) string {
	switch t := x.(type) {
	case []qds.Variant:
		var p []string
		for _, e := range t {
			p = append(p, qtRender(e))
		}
		return "[" + strings.Join(p, ", ") + "]"
	case []qds.Pair:
		var kv [][2]string
		for _, e := range t {
			kv = append(kv, [2]string{qtRender(e.First), qtRender(e.Second)})
		}
		return qtSortedMap(kv)
	case qds.Pair:
		return "(" + qtRender(t.First) + ", " + qtRender(t.Second) + ")"
	case qds.Gadget:
		var p []string
		for i, f := range t.Fields {
			p = append(p, t.Names[i]+": "+qtFull(f))
		}
		return "{" + strings.Join(p, ", ") + "}"
	case int64:
		return strconv.FormatInt(t, 10)
	}
	return fmt.Sprintf("<unrendered %T>", x)
}

func qtSortedMap(kv [][2]string) string {
	sort.Slice(kv, func(i, j int) bool { return kv[i][0] < kv[j][0] })
	var p []string
	for _, e := range kv {
		p = append(p, e[0]+": "+e[1])
	}
	return "{" + strings.Join(p, ", ") + "}"
}

// qs quotes s with every UTF-16 code unit outside printable ASCII as \uXXXX.
func qtQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, u := range utf16.Encode([]rune(s)) {
		if u >= 0x20 && u < 0x7f && u != '"' && u != '\\' {
			b.WriteByte(byte(u))
		} else {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func qtHexBytes(b []byte) string {
	if b == nil {
		return "null"
	}
	return `x"` + hex.EncodeToString(b) + `"`
}

func qtDoubles(f ...float64) string {
	p := make([]string, len(f))
	for i, x := range f {
		p[i] = fmt.Sprintf("d:%016x", math.Float64bits(x))
	}
	return strings.Join(p, ",")
}

// normalize sorts the entries of QHashes (whose wire order depends on Qt's
// hash seed) so values can be compared as sets; everything else is kept.
func qtNormalize(v qds.Variant) qds.Variant {
	null := v.IsNull()
	switch v.Type() {
	case qds.QVariantList:
		l := []qds.Variant{}
		for _, x := range v.List() {
			l = append(l, qtNormalize(x))
		}
		return qds.ListOf(l).WithNullFlag(null)
	case qds.QVariantMap, qds.QVariantHash:
		m := []qds.MapEntry{}
		for _, e := range v.Map() {
			m = append(m, qds.MapEntry{Key: e.Key, Value: qtNormalize(e.Value)})
		}
		if v.Type() == qds.QVariantMap {
			return qds.MapOf(m).WithNullFlag(null)
		}
		sort.SliceStable(m, func(i, j int) bool { return m[i].Key < m[j].Key })
		return qds.HashOf(m).WithNullFlag(null)
	case qds.QVariant:
		w, _ := qds.TypedOf(qds.QVariant, qtNormalize(v.Value().(qds.Variant)))
		return w.WithNullFlag(null)
	case qds.User:
		name := v.TypeName()
		switch x := v.Value().(type) {
		case []qds.Variant:
			l := []qds.Variant{}
			for _, e := range x {
				l = append(l, qtNormalize(e))
			}
			return qds.UserOf(name, l).WithNullFlag(null)
		case []qds.Pair:
			p := []qds.Pair{}
			for _, e := range x {
				p = append(p, qds.Pair{First: qtNormalize(e.First), Second: qtNormalize(e.Second)})
			}
			if strings.HasPrefix(name, "QHash<") || name == "QIntHash" {
				sort.SliceStable(p, func(i, j int) bool { return qtRender(p[i].First) < qtRender(p[j].First) })
			}
			return qds.UserOf(name, p).WithNullFlag(null)
		case qds.Pair:
			return qds.UserOf(name, qds.Pair{First: qtNormalize(x.First), Second: qtNormalize(x.Second)}).WithNullFlag(null)
		case qds.Gadget:
			f := []qds.Variant{}
			for _, e := range x.Fields {
				f = append(f, qtNormalize(e))
			}
			return qds.UserOf(name, qds.Gadget{Names: x.Names, Fields: f}).WithNullFlag(null)
		}
	}
	return v
}

// ---- running qtvalues ------------------------------------------------------------

type qtLine struct {
	name string
	data []byte
}

// splitName strips the "nested/" prefix and returns the stream format it selects.
func qtSplitName(d wire.Dialect, name string) (string, qds.Format) {
	if base, ok := strings.CutPrefix(name, "nested/"); ok {
		return base, d.Nested()
	}
	return name, d.Stream()
}

// buildQtValues builds qtvalues for both Qt versions (cached by the script).
func buildQtValues(t *testing.T) map[wire.Dialect]string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "fixtures", "qtvalues", "build.sh")
	noQt := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("QTRO_ALLOW_NO_QT") == "1" {
			t.Skipf("\n\n!!! SKIPPED: Qt is not usable, so the codec was NOT checked against Qt !!!\n%s\n"+
				"(QTRO_ALLOW_NO_QT=1 allowed the skip; run ci/setup.sh to install Qt)\n", msg)
		}
		t.Fatalf("%s\nRun ci/setup.sh to install Qt 5/6, or set QTRO_ALLOW_NO_QT=1 to skip.", msg)
	}
	for _, tool := range []string{"bash", "g++", "pkg-config"} {
		if _, err := exec.LookPath(tool); err != nil {
			noQt("%s not found: %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		noQt("fixtures/qtvalues/build.sh: Qt or a build tool is missing:\n%s", out)
	}
	if err != nil {
		t.Fatalf("fixtures/qtvalues/build.sh failed: %v\n%s", err, out)
	}
	bins := map[wire.Dialect]string{}
	for _, d := range wire.Dialects {
		bin := filepath.Join(root, "build", "qtvalues", fmt.Sprintf("qt%d", d), "qtvalues")
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("build.sh succeeded but %s is missing: %v", bin, err)
		}
		bins[d] = bin
	}
	return bins
}

// parseQtWrite parses the "name<TAB>hex" lines of "qtvalues write".
func parseQtWrite(t *testing.T, what, out string) []qtLine {
	t.Helper()
	var lines []qtLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, hx, ok := strings.Cut(sc.Text(), "\t")
		b, err := hex.DecodeString(hx)
		if !ok || err != nil {
			t.Fatalf("%s: malformed line %q", what, sc.Text())
		}
		lines = append(lines, qtLine{name, b})
	}
	if len(lines) < 100 {
		t.Fatalf("%s: only %d values", what, len(lines))
	}
	return lines
}

func runQt(t *testing.T, bin string, stdin *bytes.Buffer, mode string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, mode)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, mode, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("%s %s stderr:\n%s", filepath.Base(filepath.Dir(bin)), mode, stderr.String())
	}
	return stdout.String()
}
