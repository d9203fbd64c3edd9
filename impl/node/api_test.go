package node_test

import (
	"testing"

	"github.com/qtro/qtro/impl/node"
)

func TestClassFromRep(t *testing.T) {
	rc, err := node.ClassFromRep(simpleRep, "Simple")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		c, err := rc.ForDialect(d)
		if err != nil {
			t.Fatal(err)
		}
		if want := simpleClass(t, d); c.Signature != want.Signature || len(c.Properties) != len(want.Properties) {
			t.Errorf("%s: signature %s, want %s", d, c.Signature, want.Signature)
		}
	}
	if _, err := node.ClassFromRep(simpleRep, "Missing"); err == nil {
		t.Error("a missing class must fail")
	}
	if _, err := node.ClassFromRep("class {", "Simple"); err == nil {
		t.Error("bad .rep text must fail")
	}
	if _, err := rc.ForDialect(0); err == nil {
		t.Error("an invalid dialect must fail")
	}
	v, err := node.ValueOf(int64(5))
	if err != nil || v.Int() != 5 {
		t.Errorf("ValueOf: %v %v", v, err)
	}
}
