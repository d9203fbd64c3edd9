package clock

import (
	"testing"
	"time"
)

func TestMonotonicAgreesWithTime(t *testing.T) {
	a := time.Now()
	na := Of(a)
	b := a.Add(1500 * time.Microsecond)
	if got := Of(b) - na; got != 1500_000 {
		t.Fatalf("Of difference = %d, want 1500000", got)
	}
	if n := Now(); n < na {
		t.Fatalf("Now %d went backwards from %d", n, na)
	}
}

func TestWallRoundTrip(t *testing.T) {
	m := Now()
	back := FromWall(ToWall(m))
	if d := back - m; d < -1_000_000 || d > 1_000_000 {
		t.Fatalf("wall round trip off by %d ns", d)
	}
}
