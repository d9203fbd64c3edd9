package qds_test

import (
	"bytes"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
)

// TestGoldenValues decodes every QVariant and bare value Qt 5 and Qt 6
// encoded in the captures, checks the decoded form and re-encodes it.
func TestGoldenValues(t *testing.T) {
	all, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range all {
		if v.Kind == "frame" {
			continue
		}
		n++
		types := golden.HarnessTypes(v.Capture, v.Dialect)
		val, err := golden.DecodeValue(v, types)
		if err != nil {
			t.Errorf("%s (%s): decode: %v", v.Path, v.Label, err)
			continue
		}
		if got := val.String(); got != v.Decoded {
			t.Errorf("%s (%s): decoded %s, want %s", v.Path, v.Label, got, v.Decoded)
		}
		out, err := golden.EncodeValue(v, val, types)
		if err != nil {
			t.Errorf("%s (%s): encode: %v", v.Path, v.Label, err)
			continue
		}
		if !bytes.Equal(out, v.Bytes) {
			t.Errorf("%s (%s): re-encoded %x, want %x", v.Path, v.Label, out, v.Bytes)
		}
	}
	if n < 100 {
		t.Fatalf("only %d golden values", n)
	}
}
