package dump

import (
	"encoding/json"
	"math"
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
