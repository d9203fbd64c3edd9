package adapterload

import "testing"

// TestStreamCounts: a receive run's counts (§9.2) for arrivals out of
// order, repeated and out of range.
func TestStreamCounts(t *testing.T) {
	s := &stream{name: "signals", first: 1, count: 5, timed: true}
	s.det.Window = 5
	s.det.Expect(1)
	for i, n := range []int64{2, 1, 2, 9, 0, 4, 3} {
		s.add(n, int64(100+i), 90)
	}
	got := s.summary()
	want := map[string]any{"received": int64(7), "unique": int64(4), "missing": int64(1), "duplicates": int64(1),
		"reordered": int64(2), "outOfRange": int64(2), "firstNs": int64(100), "lastNs": int64(106)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if l := got["latency"].(map[string]any); l["count"] != 4 {
		t.Errorf("latency samples %v, want 4 (unique in-range arrivals)", l["count"])
	}
}
