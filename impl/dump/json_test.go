package dump

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// TestVariantJSONIsCanonical: the dump renders QVariants exactly as the
// adapter contract does (§7), and types outside §7 by their Go value.
func TestVariantJSONIsCanonical(t *testing.T) {
	for _, tc := range []struct {
		v    qds.Variant
		want string
	}{
		{qds.Variant{}, `{"type":"Invalid","value":null}`},
		{qds.ByteArrayOf([]byte{0xff, 'a'}), `{"type":"QByteArray","value":"/2E="}`},
		{qds.NullStringOf(), `{"type":"QString","value":null}`},
		{qds.DoubleOf(math.Inf(1)), `{"type":"double","value":"Infinity"}`},
		{qds.RectOf(qds.RectFromXYWH(1, 2, 3, 4)), `{"type":"QRect","value":{"height":4,"width":3,"x":1,"y":2}}`},
		{qds.DateTimeOf(qds.DateTime{JulianDay: 2460000, Msecs: 5, Spec: qds.UTC}), `{"type":"QDateTime","value":{"jd":2460000,"ms":5,"spec":"UTC"}}`},
		{qds.ListOf([]qds.Variant{qds.IntOf(1)}), `{"type":"QVariantList","value":[{"type":"int","value":1}]}`},
		{qds.UserOf("QRemoteObjectSourceLocation", wire.SourceLocation{Name: "n", TypeName: "T", HostURL: "local:x"}),
			`{"type":"QRemoteObjectSourceLocation","value":{"hostURL":"local:x","name":"n","typeName":"T"}}`},
	} {
		b, err := json.Marshal(variantJSON(tc.v, 0))
		if err != nil || string(b) != tc.want {
			t.Errorf("%v: %s, %v; want %s", tc.v, b, err, tc.want)
		}
	}
}

// TestJSONEncoderMatchesEncodingJSON: writeJSON's encoder writes what
// encoding/json's Encoder (SetEscapeHTML(false)) writes, byte for byte, for
// every kind of value the dump builds and for the ones it hands on.
func TestJSONEncoderMatchesEncodingJSON(t *testing.T) {
	var every []byte
	for c := 0; c < 256; c++ {
		every = append(every, byte(c))
	}
	strs := []string{"", "plain", string(every), "a\u2028b\u2029c\u2027", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big",
		"trunc\xe2\x82", "é ü 中 🙂", `<&>"\`, "\x7f\x00\x1f"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 1e-6, 9.99e-7, 1e21, 9.99e20, 1e-9, -1e-300, 1e300, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 0.1, 1.0 / 3, 123456789012345678}
	vals := []any{nil, true, false, int(-7), int64(math.MinInt64), int32(-3), uint64(math.MaxUint64), uint32(4), uint16(65535),
		[]any(nil), []any{}, []string(nil), []string{}, map[string]any(nil), map[string]any{}, map[string]string(nil), map[string]string{},
		json.RawMessage(`"\ud800"`), json.RawMessage(` { "a" : 1 } `), []byte("bytes"), uint8(1), float32(0.1), struct{ A int }{1},
		map[string]string{"S->C": "closed", "C->S": "", "\x00": "\xff"},
		variantJSON(qds.ListOf([]qds.Variant{qds.IntOf(1), qds.DoubleOf(math.NaN()), qds.StringOf("x\u2028")}), 0)}
	for _, s := range strs {
		vals = append(vals, s, []string{s, s}, map[string]any{s: s, s + "1": []any{s}})
	}
	for _, f := range floats {
		vals = append(vals, f, -f, []any{f})
	}
	vals = append(vals, map[string]any{"nested": map[string]any{"b": vals, "a": map[string]any{"z": 1, "y": nil}}})
	je := newJSONEncoder()
	for _, v := range vals {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatalf("%#v: encoding/json: %v", v, err)
		}
		got, err := je.appendValue(nil, v)
		if err != nil || string(got)+"\n" != want.String() {
			t.Errorf("%#v:\n got %s, %v\nwant %s", v, got, err, want.Bytes())
		}
	}
	// A packet's object is written as the map of the keys it has.
	if !slices.IsSorted(packetKeys[:]) {
		t.Errorf("packetKeys are not in encoding/json's order: %q", packetKeys)
	}
	var o packetObject
	for k := range pkCount {
		o.set(k, vals[(k*7+3)%len(vals)])
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(o.asMap()); err != nil {
			t.Fatal(err)
		}
		if got, err := je.appendValue(nil, &o); err != nil || string(got)+"\n" != want.String() {
			t.Errorf("packet object:\n got %s, %v\nwant %s", got, err, want.Bytes())
		}
	}
	// A frame's hex is the string hex.EncodeToString makes, either way.
	for _, frame := range [][]byte{nil, {}, {0xab, 0x01, 0xff}, every} {
		want, _ := json.Marshal(hex.EncodeToString(frame))
		got, err := je.appendValue(nil, map[string]any{"hex": hexString(frame)})
		slow, _ := json.Marshal(map[string]any{"hex": hexString(frame)})
		if err != nil || string(got) != `{"hex":`+string(want)+`}` || string(slow) != string(got) {
			t.Errorf("hex of % x: %s, %v; encoding/json %s; want %s", frame, got, err, slow, want)
		}
	}
	// What encoding/json cannot encode is an error here too.
	for _, v := range []any{math.NaN(), math.Inf(-1), []any{math.Inf(1)}, map[string]any{"f": func() {}}} {
		if _, err := je.appendValue(nil, v); err == nil {
			t.Errorf("%#v: no error", v)
		}
	}
}
