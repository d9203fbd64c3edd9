package qds_test

import (
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// FuzzVariant decodes arbitrary bytes as a QVariant in every stream format.
// Whatever decodes must re-encode and decode to the same value.
func FuzzVariant(f *testing.F) {
	vs, err := golden.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		if v.Kind == "variant" {
			f.Add(v.Bytes, uint8(v.Dialect))
		}
	}
	for _, v := range sampleVariants() {
		for _, d := range wire.Dialects {
			e := qds.NewEncoder(nil, d.Stream(), nil)
			e.Variant(v)
			f.Add(e.Bytes(), uint8(d))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, dialect uint8) {
		d := wire.Dialect(dialect%2 + 5)
		types := qds.NewTypes(d.Types())
		lim := qds.Limits{MaxDepth: 32, MaxElements: 1 << 12, MaxBytes: 1 << 16}
		dec := qds.NewDecoder(in, d.Stream(), types, lim)
		v := dec.Variant()
		if dec.Err() != nil {
			return
		}
		e := qds.NewEncoder(nil, d.Stream(), types)
		e.Variant(v)
		if e.Err() != nil {
			t.Fatalf("decoded %v but cannot encode it: %v", v, e.Err())
		}
		dec2 := qds.NewDecoder(e.Bytes(), d.Stream(), types, lim)
		v2 := dec2.Variant()
		if dec2.Err() != nil {
			t.Fatalf("re-encoded %x does not decode: %v", e.Bytes(), dec2.Err())
		}
		if v2.String() != v.String() {
			t.Fatalf("round trip changed %v into %v", v, v2)
		}
	})
}
