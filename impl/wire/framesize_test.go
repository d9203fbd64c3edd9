package wire_test

import (
	"fmt"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// registryTable is the frame a registry sends when its table of n sources
// changes: a PropertyChange of sourceLocations carrying the whole table
// (Qt's QRegistrySource), with names, types and URLs as long as a large
// mesh's ("Tick12345", "Tick", "tcp://10.0.49.95:65535").
func registryTable(t testing.TB, d wire.Dialect, n int) []byte {
	t.Helper()
	ls := make([]wire.SourceLocation, n)
	for i := range ls {
		ls[i] = wire.SourceLocation{Name: fmt.Sprintf("Tick%d", i), TypeName: "Tick",
			HostURL: fmt.Sprintf("tcp://10.0.%d.%d:65535", i/250%250, i%250)}
	}
	b, err := wire.Marshal(d, nil, &wire.PropertyChangePacket{Name: "Registry", Value: qds.UserOf(d.SourceLocationsType(), ls)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDefaultFrameLimit is the measurement behind DefaultMaxFrameSize:
// the largest frames real Qt sends in our captures, and the registry's
// table, which grows with the mesh (about 61 bytes a source). The default
// must take a 100,000-source registry table whole in both dialects.
func TestDefaultFrameLimit(t *testing.T) {
	vs, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	largest := map[string]int{}
	for _, v := range vs {
		if v.Kind != "frame" {
			continue
		}
		if len(v.Bytes) > largest[v.Capture] {
			largest[v.Capture] = len(v.Bytes)
		}
	}
	if len(largest) == 0 {
		t.Fatal("no golden frames")
	}
	top := 0
	for c, n := range largest {
		top = max(top, n)
		t.Logf("largest frame of capture %s: %d bytes", c, n)
	}
	if top >= wire.DefaultMaxFrameSize/1000 {
		t.Errorf("a captured Qt frame of %d bytes: the captures are no longer small, re-check the default limit", top)
	}
	for _, d := range []wire.Dialect{wire.Qt5, wire.Qt6} {
		for _, n := range []int{1000, 10_000, 100_000} {
			b := registryTable(t, d, n)
			t.Logf("%s registry table of %d sources: %d bytes", d, n, len(b))
			if n == 100_000 && len(b) > wire.DefaultMaxFrameSize {
				t.Errorf("%s: a registry table of %d sources (%d bytes) does not fit the default frame limit %d", d, n, len(b), wire.DefaultMaxFrameSize)
			}
		}
	}
}
