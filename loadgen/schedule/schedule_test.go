package schedule

import (
	"math"
	"testing"
	"time"
)

func mustAt(t *testing.T, s *Schedule, k int64) time.Duration {
	t.Helper()
	d, ok := s.At(k)
	if !ok {
		t.Fatalf("At(%d) beyond schedule %s (total %d)", k, s, s.Total())
	}
	return d
}

func near(a, b time.Duration) bool { return a-b <= 2 && b-a <= 2 } // ns rounding

func TestConstant(t *testing.T) {
	s, err := Constant(1000, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 2000 {
		t.Fatalf("total %d, want 2000", s.Total())
	}
	for _, k := range []int64{0, 1, 999, 1000, 1999} {
		if got, want := mustAt(t, s, k), time.Duration(k)*time.Millisecond; !near(got, want) {
			t.Errorf("At(%d) = %v, want %v", k, got, want)
		}
	}
	if _, ok := s.At(2000); ok {
		t.Error("At(2000) should be beyond a 2000-event schedule")
	}
	if got := s.Due(0); got != 1 {
		t.Errorf("Due(0) = %d, want 1 (event 0 is intended at 0)", got)
	}
	if got := s.Due(1500 * time.Microsecond); got != 2 {
		t.Errorf("Due(1.5ms) = %d, want 2", got)
	}
	if got := s.Due(time.Hour); got != 2000 {
		t.Errorf("Due(1h) = %d, want 2000", got)
	}
}

func TestRampMatchesClosedForm(t *testing.T) {
	// Rate 0 → 1000/s over 10 s: N(t) = 50 t², so event k is at sqrt(k/50).
	s, err := Ramp(0, 1000, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 5000 {
		t.Fatalf("total %d, want 5000", s.Total())
	}
	for _, k := range []int64{0, 1, 50, 200, 4999} {
		want := time.Duration(math.Sqrt(float64(k)/50) * 1e9)
		if got := mustAt(t, s, k); got-want > time.Microsecond || want-got > time.Microsecond {
			t.Errorf("At(%d) = %v, want %v", k, got, want)
		}
	}
	// A falling ramp: 1000 → 0/s over 2 s has 1000 events; N(t) = 1000t − 250t².
	d, _ := Ramp(1000, 0, 2*time.Second)
	if d.Total() != 1000 {
		t.Fatalf("falling ramp total %d, want 1000", d.Total())
	}
	for _, k := range []int64{0, 1, 500, 999} {
		// t = (1000 − sqrt(1000² − 1000k))/500
		want := time.Duration((1000 - math.Sqrt(1e6-1000*float64(k))) / 500 * 1e9)
		if got := mustAt(t, d, k); got-want > time.Microsecond || want-got > time.Microsecond {
			t.Errorf("falling At(%d) = %v, want %v", k, got, want)
		}
	}
}

func TestStepsBoundaries(t *testing.T) {
	// 100/s for 1 s, 0/s for 1 s, 1000/s until 3 s.
	s, err := Steps([]float64{100, 0, 1000}, time.Second, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 1100 {
		t.Fatalf("total %d, want 1100", s.Total())
	}
	cases := map[int64]time.Duration{
		0:    0,
		99:   990 * time.Millisecond,
		100:  2 * time.Second, // the silent step is skipped
		101:  2*time.Second + time.Millisecond,
		1099: 2*time.Second + 999*time.Millisecond,
	}
	for k, want := range cases {
		if got := mustAt(t, s, k); !near(got, want) {
			t.Errorf("At(%d) = %v, want %v", k, got, want)
		}
	}
	if r := s.Rate(1500 * time.Millisecond); r != 0 {
		t.Errorf("Rate(1.5s) = %g, want 0", r)
	}
	// Intended times never decrease.
	var prev time.Duration
	for k := int64(0); k < s.Total(); k++ {
		at := mustAt(t, s, k)
		if at < prev {
			t.Fatalf("At(%d) = %v before At(%d) = %v", k, at, k-1, prev)
		}
		prev = at
	}
}

func TestDueAgreesWithAt(t *testing.T) {
	s, _ := Parse("stages:0..2000/1s,2000/1s,2000..500/1s", 0)
	for k := int64(0); k < s.Total(); k += 7 {
		at := mustAt(t, s, k)
		if due := s.Due(at + 1); due < k+1 {
			t.Fatalf("Due(At(%d)+1ns) = %d, want ≥ %d", k, due, k+1)
		}
		if at > 0 {
			if due := s.Due(at - 1000); due > k {
				t.Fatalf("Due(At(%d)-1µs) = %d, want ≤ %d", k, due, k)
			}
		}
	}
}

func TestScaleForBatches(t *testing.T) {
	s, _ := Constant(10000, time.Second)
	turns := s.Scale(1.0 / 100)
	if turns.Total() != 100 {
		t.Fatalf("turns %d, want 100", turns.Total())
	}
	if got := mustAt(t, turns, 3); !near(got, 30*time.Millisecond) {
		t.Fatalf("turn 3 at %v, want 30ms", got)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		spec  string
		d     time.Duration
		total int64
		dur   time.Duration
	}{
		{"500", 2 * time.Second, 1000, 2 * time.Second},
		{"constant:2k", time.Second, 2000, time.Second},
		{"ramp:0..100", 4 * time.Second, 200, 4 * time.Second},
		{"steps:10,20/1s", 0, 30, 2 * time.Second},
		{"steps:10,20/1s", 5 * time.Second, 10 + 4*20, 5 * time.Second},
		{"stages:0..100/2s,100/1s", 0, 200, 3 * time.Second},
	}
	for _, c := range cases {
		s, err := Parse(c.spec, c.d)
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		if s.Total() != c.total || s.Duration() != c.dur {
			t.Errorf("%s: total %d over %v, want %d over %v", c.spec, s.Total(), s.Duration(), c.total, c.dur)
		}
		again, err := Parse(s.String(), 0)
		if err != nil || again.Total() != s.Total() {
			t.Errorf("%s: String() %q does not parse back: %v", c.spec, s.String(), err)
		}
	}
	for _, bad := range []string{"", "x", "constant:-1", "ramp:1..", "steps:1,2", "stages:1/0s", "wobble:3"} {
		if _, err := Parse(bad, time.Second); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
