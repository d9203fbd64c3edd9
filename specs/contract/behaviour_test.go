package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// record is an Object that notes what slots do.
type record struct{ did []string }

func (r *record) Set(p string, v qds.Variant) error {
	r.did = append(r.did, fmt.Sprintf("%s=%s:%d", p, v.Type(), v.Int()))
	return nil
}

func (r *record) Emit(s string, args ...any) {
	r.did = append(r.did, fmt.Sprintf("%s/%d", s, len(args)))
}

// TestSlots: every slot of §10 exists in its class in both dialects, and
// does what §10 says.
func TestSlots(t *testing.T) {
	run := func(typ, sig string, args ...qds.Variant) (qds.Variant, string) {
		cls, err := SourceClass(typ, wire.Qt6)
		if err != nil {
			t.Fatal(err)
		}
		for _, sl := range Slots(typ, cls) {
			if sl.Signature == sig {
				r := &record{}
				v, err := sl.Run(r, args)
				if err != nil {
					t.Errorf("%s %s: %v", typ, sig, err)
				}
				return v, strings.Join(r.did, " ")
			}
		}
		t.Fatalf("%s has no slot %s", typ, sig)
		return qds.Variant{}, ""
	}
	for _, typ := range []string{TypeTestObject, TypeTick, TypePlain} {
		for _, d := range []wire.Dialect{wire.Qt5, wire.Qt6} {
			cls, err := SourceClass(typ, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, sl := range Slots(typ, cls) {
				if cls.MethodIndex(sl.Signature) < 0 {
					t.Errorf("%s (qt%d): no method %s", typ, d, sl.Signature)
				}
			}
		}
	}
	if v, _ := run(TypeTestObject, "add(int,int)", qds.IntOf(1<<31-1), qds.IntOf(1)); v.Int() != -1<<31 {
		t.Errorf("add wraps: %v", v.Int())
	}
	if v, _ := run(TypeTestObject, "nextColor(TestObject::Color)", qds.IntOf(1)); v.Int() != 7 {
		t.Errorf("nextColor(Green) = %v, want Blue", v.Int())
	}
	if _, did := run(TypeTestObject, "reset()"); did != "intProp=int:0 stringProp=QString:0 pulse/0" {
		t.Errorf("reset did %q", did)
	}
	if _, did := run(TypeTestObject, "fire(int)", qds.IntOf(3)); did != "multi/5 pulse/0" {
		t.Errorf("fire did %q", did)
	}
	if _, did := run(TypePlain, "reset()"); did != "number=int:0 pulsed/2" {
		t.Errorf("plain reset did %q", did)
	}
	if v, _ := run(TypeTick, "echo(qint64)", qds.LongLongOf(1<<40)); v.Int() != 1<<40 {
		t.Errorf("tick echo %v", v.Int())
	}
}
