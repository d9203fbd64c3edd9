package wire_test

import (
	"testing"

	"github.com/qtro/qtro/impl/wire"
)

func TestByDialect(t *testing.T) {
	var b wire.ByDialect[string]
	b.Set(wire.Qt5, "five")
	*b.At(wire.Qt6) = "six"
	if b.Get(wire.Qt5) != "five" || b.Get(wire.Qt6) != "six" {
		t.Fatalf("got %q %q", b.Get(wire.Qt5), b.Get(wire.Qt6))
	}
	if len(b) != len(wire.Dialects) {
		t.Errorf("a ByDialect holds %d values for %d dialects", len(b), len(wire.Dialects))
	}
	defer func() {
		if recover() == nil {
			t.Error("an invalid dialect did not panic")
		}
	}()
	b.Get(wire.Dialect(7))
}
