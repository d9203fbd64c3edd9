package contract

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// decodeJSON decodes one JSON text as a command's field would be.
func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

// rendered turns ToJSON's output into what a reader of the event stream
// decodes (so json.RawMessage and float formatting go through the writer).
func rendered(t *testing.T, v any) any {
	t.Helper()
	return decodeJSON(t, string(AppendJSON(nil, v)))
}

func testClass(t *testing.T, d wire.Dialect) *meta.Class {
	t.Helper()
	c, err := testObjectClass.ForDialect(d)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wireRoundTrip encodes v as a QVariant in dialect d and decodes it again,
// as a peer of that dialect would receive it.
func wireRoundTrip(t *testing.T, c *meta.Class, d wire.Dialect, v qds.Variant) qds.Variant {
	t.Helper()
	types := qds.NewTypes(d.Types())
	c.RegisterTypes(types)
	e := qds.NewEncoder(nil, d.Stream(), types)
	e.Variant(v)
	if err := e.Err(); err != nil {
		t.Fatalf("encoding %v in %s: %v", v, d, err)
	}
	dec := qds.NewDecoder(e.Bytes(), d.Stream(), types, qds.Limits{})
	back := dec.Variant()
	if err := dec.Err(); err != nil {
		t.Fatalf("decoding %v in %s: %v", v, d, err)
	}
	if dec.Len() != 0 {
		t.Fatalf("decoding %v in %s: %d bytes left", v, d, dec.Len())
	}
	return back
}

var b64 = base64.StdEncoding.EncodeToString

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestValuesRoundTrip converts canonical JSON of every type of §7.1 to a
// value and back, directly and through the wire codec of both dialects.
func TestValuesRoundTrip(t *testing.T) {
	cases := []struct {
		typ, in string
		want    string // "" means in
	}{
		{typ: "bool", in: `true`},
		{typ: "bool", in: `false`},
		{typ: "int", in: `-2147483648`},
		{typ: "int", in: `2147483647`},
		{typ: "int", in: `2.0`, want: `2`},
		{typ: "int", in: `1e3`, want: `1000`},
		{typ: "short", in: `-32768`},
		{typ: "char", in: `-128`},
		{typ: "signed char", in: `127`},
		{typ: "long", in: `-9223372036854775808`},
		{typ: "qlonglong", in: `9007199254740993`},
		{typ: "qint64", in: `-9223372036854775808`},
		{typ: "uint", in: `4294967295`},
		{typ: "ushort", in: `65535`},
		{typ: "uchar", in: `255`},
		{typ: "ulong", in: `18446744073709551615`},
		{typ: "qulonglong", in: `18446744073709551615`},
		{typ: "double", in: `0.1`},
		{typ: "double", in: `-1.5e300`},
		{typ: "double", in: `5`},
		{typ: "double", in: `"NaN"`},
		{typ: "double", in: `"Infinity"`},
		{typ: "double", in: `"-Infinity"`},
		{typ: "float", in: `0.1`, want: `0.10000000149011612`},
		{typ: "float", in: `1.5`},
		{typ: "QChar", in: `"x"`},
		{typ: "QChar", in: `"é"`},
		{typ: "QString", in: `"héllo ☃ 𝄞 \"q\" \\ \n\t\u0001"`},
		{typ: "QString", in: `""`},
		{typ: "QString", in: `null`},
		{typ: "QByteArray", in: `"` + b64(allBytes()) + `"`},
		{typ: "QByteArray", in: `""`},
		{typ: "QByteArray", in: `null`},
		{typ: "QStringList", in: `["a", "", "ü"]`},
		{typ: "QStringList", in: `["a", null, ""]`},
		{typ: "QStringList", in: `[]`},
		{typ: "QByteArrayList", in: `["AQI=", ""]`},
		{typ: "QVariantList", in: `[{"type":"int","value":1},{"type":"QString","value":"x"},{"type":"double","value":2.5},
			{"type":"bool","value":true},{"type":"qlonglong","value":1099511627776},{"type":"uint","value":7},
			{"type":"QByteArray","value":"AQI="},{"type":"QStringList","value":["s"]},
			{"type":"QVariantList","value":[{"type":"int","value":2}]},
			{"type":"QVariantMap","value":{"k":{"type":"QString","value":"v"}}},
			{"type":"QPoint","value":{"x":3,"y":4}},
			{"type":"QDateTime","value":{"jd":2458851,"ms":1000,"spec":"UTC"}},
			{"type":"QUrl","value":"tcp://127.0.0.1:1"},
			{"type":"Invalid","value":null},
			{"type":"QString","value":null},
			{"type":"float","value":0.5},
			{"type":"short","value":-3},{"type":"ushort","value":3},{"type":"char","value":-1},{"type":"uchar","value":200},
			{"type":"signed char","value":-7},{"type":"long","value":-5},{"type":"ulong","value":5},{"type":"qulonglong","value":9},
			{"type":"QChar","value":"z"},{"type":"QByteArrayList","value":["AA=="]},{"type":"QVariantHash","value":{"h":{"type":"int","value":1}}},
			{"type":"QDate","value":{"jd":2458851}},{"type":"QTime","value":{"ms":5}},{"type":"QUuid","value":"00112233-4455-6677-8899-aabbccddeeff"},
			{"type":"QPointF","value":{"x":0.5,"y":1}},{"type":"QSize","value":{"width":1,"height":2}},
			{"type":"QSizeF","value":{"width":1.5,"height":2}},{"type":"QRect","value":{"x":1,"y":2,"width":3,"height":4}},
			{"type":"QRectF","value":{"x":1,"y":2,"width":3.5,"height":4}},{"type":"QLine","value":{"x1":1,"y1":2,"x2":3,"y2":4}},
			{"type":"QLineF","value":{"x1":1,"y1":2,"x2":3,"y2":4.5}},
			{"type":"TestPod","value":{"id":1,"label":"p","weight":0.5}}]`},
		{typ: "QVariantMap", in: `{"a":{"type":"int","value":-1},"b":{"type":"QString","value":"ß"},"":{"type":"double","value":0.25},
			"nested":{"type":"QVariantMap","value":{"x":{"type":"bool","value":false}}}}`},
		{typ: "QVariantMap", in: `{}`},
		{typ: "QVariantHash", in: `{"k":{"type":"QStringList","value":["a"]}}`},
		{typ: "QDate", in: `{"jd":2458851}`},
		{typ: "QDate", in: `null`},
		{typ: "QTime", in: `{"ms":0}`},
		{typ: "QTime", in: `{"ms":86399999}`},
		{typ: "QTime", in: `null`},
		{typ: "QDateTime", in: `{"jd":2458851,"ms":3723004,"spec":"UTC"}`},
		{typ: "QDateTime", in: `{"jd":2458852,"ms":0,"spec":"OffsetFromUTC","offset":3600}`},
		{typ: "QDateTime", in: `{"jd":2458853,"ms":86399999,"spec":"TimeZone","tz":"Europe/Berlin"}`},
		{typ: "QDateTime", in: `{"jd":2458853,"ms":7,"spec":"LocalTime"}`},
		{typ: "QDateTime", in: `{"jd":2458853,"ms":7}`, want: `{"jd":2458853,"ms":7,"spec":"LocalTime"}`},
		{typ: "QDateTime", in: `null`},
		{typ: "QUrl", in: `"https://example.com/a%20b?q=1#frag"`},
		{typ: "QUrl", in: `null`},
		{typ: "QUuid", in: `"12345678-9abc-def0-1234-56789abcdef0"`},
		{typ: "QUuid", in: `"{12345678-9ABC-DEF0-1234-56789ABCDEF0}"`, want: `"12345678-9abc-def0-1234-56789abcdef0"`},
		{typ: "QPoint", in: `{"x":-1,"y":2147483647}`},
		{typ: "QPointF", in: `{"x":0.5,"y":-0.001}`},
		{typ: "QSize", in: `{"width":-1,"height":-1}`},
		{typ: "QSize", in: `{"width":3,"height":4}`},
		{typ: "QSizeF", in: `{"width":3.5,"height":-1}`},
		{typ: "QRect", in: `{"x":1,"y":2,"width":3,"height":4}`},
		{typ: "QRect", in: `{"x":0,"y":0,"width":0,"height":0}`},
		{typ: "QRectF", in: `{"x":1,"y":2,"width":3.25,"height":4}`},
		{typ: "QLine", in: `{"x1":1,"y1":2,"x2":-3,"y2":4}`},
		{typ: "QLineF", in: `{"x1":1.5,"y1":2,"x2":3,"y2":4}`},
		{typ: "Color", in: `7`},
		{typ: "TestObjectSource::Color", in: `0`},
		{typ: "TestPod", in: `{"id":-1,"label":"π","weight":-0.25}`},
		{typ: "TestPod", in: `{"id":2}`, want: `{"id":2,"label":null,"weight":0}`},
		{typ: "QVariant", in: `{"type":"QPoint","value":{"x":1,"y":-2}}`},
		{typ: "QVariant", in: `{"type":"Invalid","value":null}`},
	}
	for _, d := range wire.Dialects {
		c := testClass(t, d)
		for _, tc := range cases {
			want := tc.want
			if want == "" {
				want = tc.in
			}
			v, err := FromJSON(c, tc.typ, decodeJSON(t, tc.in))
			if err != nil {
				t.Errorf("%s: FromJSON(%s, %s): %v", d, tc.typ, tc.in, err)
				continue
			}
			got := rendered(t, ToJSON(c, tc.typ, v))
			if !Equal(got, decodeJSON(t, want)) {
				t.Errorf("%s: %s %s -> %s, want %s", d, tc.typ, tc.in, Canonical(got), want)
			}
			back := rendered(t, ToJSON(c, tc.typ, wireRoundTrip(t, c, d, v)))
			if !Equal(back, decodeJSON(t, want)) {
				t.Errorf("%s: %s %s through the wire -> %s, want %s", d, tc.typ, tc.in, Canonical(back), want)
			}
		}
	}
}

// TestValuesOutput checks renderings of values that input cannot produce
// or that arrive in another type than declared.
func TestValuesOutput(t *testing.T) {
	c := testClass(t, wire.Qt6)
	nested, ok := qds.TypedOf(qds.QVariant, qds.IntOf(3))
	if !ok {
		t.Fatal("cannot build a QVariant holding a QVariant")
	}
	cases := []struct {
		name string
		typ  string
		v    qds.Variant
		want string
	}{
		{"null QRect", "QRect", qds.Zero(qds.QRect), `{"x":0,"y":0,"width":0,"height":0}`},
		{"invalid QSize", "QSize", qds.Zero(qds.QSize), `{"width":-1,"height":-1}`},
		{"lone surrogate", "QChar", qds.IntegerOf(qds.QChar, 0xD800), `"\ud800"`},
		{"invalid in a typed position", "int", qds.Variant{}, `null`},
		{"invalid QDateTime", "QDateTime", qds.Zero(qds.QDateTime), `null`},
		{"invalid QDate", "QDate", qds.Zero(qds.QDate), `null`},
		{"invalid QTime", "QTime", qds.Zero(qds.QTime), `null`},
		{"empty QUrl", "QUrl", qds.Zero(qds.QUrl), `null`},
		{"null QString", "QString", qds.Zero(qds.QString), `null`},
		{"null QByteArray", "QByteArray", qds.Zero(qds.QByteArray), `null`},
		{"int declared double", "double", qds.IntOf(2), `2`},
		{"double declared float", "float", qds.DoubleOf(0.1), `0.10000000149011612`},
		{"enum as int", "TestObjectSource::Color", qds.IntOf(7), `7`},
		{"enum as user type", "Color", qds.UserOf("ColorEnum::Color", int64(7)), `7`},
		{"QVariant holding QVariant", "QVariant", nested, `{"type":"int","value":3}`},
		{"tagged invalid", "QVariant", qds.Variant{}, `{"type":"Invalid","value":null}`},
		{"max qulonglong", "qulonglong", qds.ULongLongOf(math.MaxUint64), `18446744073709551615`},
		{"NaN", "double", qds.DoubleOf(math.NaN()), `"NaN"`},
		{"unknown user type", "Mystery", qds.UserOf("Mystery", struct{}{}), `{"$unsupported":"Mystery"}`},
		{"unknown gadget", "QVariant", qds.UserOf("Other", qds.Gadget{Names: []string{"a"}, Fields: []qds.Variant{qds.IntOf(1)}}),
			`{"type":"Other","value":{"a":1}}`},
		{"pod with a null label", "TestPod", meta.Zero(c, "TestPod"), `{"id":0,"label":null,"weight":0}`},
		{"QVariantHash", "QVariantHash", qds.HashOf([]qds.MapEntry{{Key: "b", Value: qds.IntOf(1)}, {Key: "a", Value: qds.StringOf("x")}}),
			`{"a":{"type":"QString","value":"x"},"b":{"type":"int","value":1}}`},
	}
	for _, tc := range cases {
		got := rendered(t, ToJSON(c, tc.typ, tc.v))
		if !Equal(got, decodeJSON(t, tc.want)) {
			t.Errorf("%s: got %s, want %s", tc.name, Canonical(got), tc.want)
		}
	}
	if raw := string(AppendJSON(nil, ToJSON(c, "QChar", qds.IntegerOf(qds.QChar, 0xDC01)))); raw != `"\udc01"` {
		t.Errorf("lone low surrogate written as %s", raw)
	}
}

// TestValuesStrictInput checks that input that does not fit the declared
// type is refused (§7.2).
func TestValuesStrictInput(t *testing.T) {
	cases := []struct{ typ, in string }{
		{"int", `"five"`},
		{"int", `2.5`},
		{"int", `1099511627776`},
		{"int", `true`},
		{"int", `null`},
		{"short", `32768`},
		{"char", `128`},
		{"uint", `-1`},
		{"uint", `4294967296`},
		{"uchar", `256`},
		{"qlonglong", `9223372036854775808`},
		{"qulonglong", `-1`},
		{"qulonglong", `18446744073709551616`},
		{"bool", `1`},
		{"bool", `"true"`},
		{"double", `"1.5"`},
		{"double", `true`},
		{"double", `null`},
		{"float", `"inf"`},
		{"QString", `5`},
		{"QString", `["a"]`},
		{"QChar", `"ab"`},
		{"QChar", `""`},
		{"QChar", `"𝄞"`},
		{"QByteArray", `"!!!"`},
		{"QByteArray", `"AQI"`},
		{"QByteArray", `5`},
		{"QStringList", `[1]`},
		{"QStringList", `"a"`},
		{"QByteArrayList", `["%%"]`},
		{"QVariantList", `[5]`},
		{"QVariantList", `[{"type":"Nope","value":1}]`},
		{"QVariantList", `[{"value":1}]`},
		{"QVariantList", `[{"type":"QVariant","value":{"type":"int","value":1}}]`},
		{"QVariantList", `[{"type":"int","value":"x"}]`},
		{"QVariantList", `{}`},
		{"QVariantMap", `[]`},
		{"QVariantMap", `{"a":1}`},
		{"QDate", `{"jd":1.5}`},
		{"QDate", `5`},
		{"QTime", `{"ms":86400000}`},
		{"QTime", `{"ms":-1}`},
		{"QDateTime", `{"jd":1,"ms":0,"spec":"Mars"}`},
		{"QDateTime", `{"jd":1,"ms":0,"spec":"TimeZone","tz":"Nowhere/Atlantis"}`},
		{"QDateTime", `{"jd":1,"ms":0,"spec":"OffsetFromUTC"}`},
		{"QDateTime", `{"jd":1,"spec":"UTC"}`},
		{"QDateTime", `"2020-01-01"`},
		{"QUrl", `5`},
		{"QUuid", `"nope"`},
		{"QUuid", `null`},
		{"QPoint", `[1,2]`},
		{"QPoint", `{"x":1}`},
		{"QPoint", `{"x":"1","y":2}`},
		{"QPoint", `{"x":0.5,"y":2}`},
		{"QRect", `{"x":1,"y":2,"width":3}`},
		{"QPointF", `{"x":"a","y":1}`},
		{"Color", `2147483648`},
		{"Color", `"Blue"`},
		{"TestPod", `{"nope":1}`},
		{"TestPod", `{"id":"x"}`},
		{"TestPod", `[1,"a",0.5]`},
		{"QVariant", `5`},
		{"QRegularExpression", `"a+"`},
		{"NoSuchType", `1`},
	}
	c := testClass(t, wire.Qt6)
	for _, tc := range cases {
		v, err := FromJSON(c, tc.typ, decodeJSON(t, tc.in))
		if !errors.Is(err, ErrBadValue) {
			t.Errorf("FromJSON(%s, %s) = %v, %v; want ErrBadValue", tc.typ, tc.in, v, err)
		}
	}
}

// TestAppendJSON checks the event writer's encoding of the values above.
func TestAppendJSON(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{Fields{{"event", "x"}, {"mono", int64(math.MaxInt64)}}, `{"event":"x","mono":9223372036854775807}`},
		{map[string]any{"b": 1, "a": []any{nil, true, "s"}}, `{"a":[null,true,"s"],"b":1}`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{0.1, `0.1`},
		{2.0, `2`},
		{1e21, `1e+21`},
		{math.Inf(-1), `"-Infinity"`},
		{"\x00\"\\\n\u2028é\xff", `"\u0000\"\\\n` + "\u2028é" + `\ufffd"`},
		{json.Number("12"), `12`},
		{[]string{"a"}, `["a"]`},
	}
	for _, tc := range cases {
		if got := string(AppendJSON(nil, tc.v)); got != tc.want {
			t.Errorf("AppendJSON(%#v) = %s, want %s", tc.v, got, tc.want)
		}
		if !json.Valid(AppendJSON(nil, tc.v)) {
			t.Errorf("AppendJSON(%#v) is not valid JSON", tc.v)
		}
	}
}

// TestObjectJSON: a CLASS member's values by their properties' types, the
// rest tagged under their index.
func TestObjectJSON(t *testing.T) {
	cls, err := SourceClass(TypeTestObject, wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	var child *meta.Class
	for _, p := range cls.Properties {
		if p.Child != nil {
			child = p.Child
		}
	}
	got := ObjectJSON(child, []qds.Variant{qds.IntOf(7), qds.StringOf("x")})
	if got[child.Properties[0].Name] != int64(7) || Canonical(got["1"]) != Canonical(Tagged(nil, qds.StringOf("x"))) {
		t.Errorf("ObjectJSON = %v", got)
	}
	if got := ObjectJSON(nil, []qds.Variant{qds.IntOf(1)}); Canonical(got["0"]) != Canonical(Tagged(nil, qds.IntOf(1))) {
		t.Errorf("without a class: %v", got)
	}
}
