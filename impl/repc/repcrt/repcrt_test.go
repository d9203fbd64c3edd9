package repcrt_test

import (
	"testing"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/repc/repcrt"
)

// TestReaders: what arrives on the wire is read leniently, never panics,
// and reads as Go's zero value when it is not what the .rep declared (an
// invalid QVariant: Qt 5 sends one for an unqualified enum signal argument).
func TestReaders(t *testing.T) {
	enum := qds.UserOf("ShadeEnum::Shade", int64(7)) // a Qt 5 POD's enum field
	wrapped, _ := qds.Convert(qds.QVariant, int32(5))
	if got := repcrt.Int32(enum); got != 7 {
		t.Errorf("Int32(user enum) = %d", got)
	}
	if got := repcrt.Int32(wrapped); got != 5 {
		t.Errorf("Int32(QVariant(5)) = %d", got)
	}
	if got := repcrt.Int32(qds.Variant{}); got != 0 {
		t.Errorf("Int32(invalid) = %d", got)
	}
	if got := repcrt.Uint64(qds.ULongLongOf(1 << 63)); got != 1<<63 {
		t.Errorf("Uint64 = %d", got)
	}
	if got := repcrt.Float64(qds.IntOf(3)); got != 3 {
		t.Errorf("Float64(int 3) = %v", got)
	}
	if got := repcrt.Int64(qds.DoubleOf(2.9)); got != 2 {
		t.Errorf("Int64(2.9) = %d", got)
	}
	if got := repcrt.String(qds.NullStringOf()); got != "" {
		t.Errorf("String(null) = %q", got)
	}
	if !repcrt.Time(qds.Variant{}).IsZero() {
		t.Error("Time(invalid) is not the zero time")
	}
	when := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	if got := repcrt.Time(qds.DateTimeOf(qds.DateTimeFromTime(when))); !got.Equal(when) {
		t.Errorf("Time = %v", got)
	}
	if got := repcrt.Value[repcrt.Point](qds.PointOf(qds.Point{X: 1, Y: 2})); got != (repcrt.Point{X: 1, Y: 2}) {
		t.Errorf("Value[Point] = %v", got)
	}
	if got := repcrt.Value[repcrt.Point](qds.IntOf(1)); got != (repcrt.Point{}) {
		t.Errorf("Value[Point](int) = %v", got)
	}
	f := repcrt.Fields(qds.UserOf("P", qds.Gadget{Fields: []qds.Variant{qds.IntOf(1)}}), 3)
	if len(f) != 3 || f[0].Int() != 1 || f[2].IsValid() {
		t.Errorf("Fields padded = %v", f)
	}
	if got := repcrt.Fields(qds.IntOf(1), 2); len(got) != 2 {
		t.Errorf("Fields(not a gadget) = %v", got)
	}
	list := qds.UserOf("QList<int>", []qds.Variant{qds.IntOf(1), qds.IntOf(2)})
	if got := repcrt.List(list, repcrt.Int32); len(got) != 2 || got[1] != 2 {
		t.Errorf("List = %v", got)
	}
	pairs := qds.UserOf("QMap<QString,int>", []qds.Pair{{First: qds.StringOf("a"), Second: qds.IntOf(1)}})
	if got := repcrt.StringMap(pairs, repcrt.Int32); got["a"] != 1 || len(got) != 1 {
		t.Errorf("StringMap(pairs) = %v", got)
	}
	vm := qds.MapOf([]qds.MapEntry{{Key: "b", Value: qds.IntOf(2)}})
	if got := repcrt.StringMap(vm, repcrt.Int32); got["b"] != 2 {
		t.Errorf("StringMap(QVariantMap) = %v", got)
	}
	if got := repcrt.Arg(nil, 3); got.IsValid() {
		t.Errorf("Arg past the end = %v", got)
	}
}

// TestArgs: Go values become what meta.Class.Coerce takes for containers.
func TestArgs(t *testing.T) {
	got := repcrt.ListArg([]int32{1, 2}, func(x int32) any { return x })
	if len(got) != 2 || got[1] != int32(2) {
		t.Errorf("ListArg = %v", got)
	}
	m := repcrt.StringMapArg(map[string]int32{"a": 1}, func(x int32) any { return x })
	if m["a"] != int32(1) {
		t.Errorf("StringMapArg = %v", m)
	}
}
