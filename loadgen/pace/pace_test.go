package pace

import (
	"context"
	"errors"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/clock"
)

func collect(t *testing.T, l Loop, ctx context.Context) ([]Turn, Stats) {
	t.Helper()
	var turns []Turn
	st := l.Run(ctx, func(tn Turn) bool { turns = append(turns, tn); return true })
	return turns, st
}

func TestClosedCountAndBatch(t *testing.T) {
	turns, st := collect(t, Loop{Batch: 4, Count: 10}, context.Background())
	if st.Turns != 3 || st.Units != 10 {
		t.Fatalf("stats %+v, want 3 turns, 10 units", st)
	}
	want := []struct{ first, n int64 }{{0, 4}, {4, 4}, {8, 2}}
	for i, w := range want {
		if turns[i].K != int64(i) || turns[i].First != w.first || turns[i].N != w.n {
			t.Errorf("turn %d = %+v, want first %d n %d", i, turns[i], w.first, w.n)
		}
		if turns[i].At == 0 {
			t.Errorf("turn %d has no start time", i)
		}
	}
}

// window admits a fixed number of turns, then fails.
type window struct{ left, acquired, sent int }

func (w *window) Acquire(context.Context) error {
	if w.left == 0 {
		return errors.New("closed")
	}
	w.left--
	w.acquired++
	return nil
}
func (w *window) Sent() { w.sent++ }

func TestClosedWindow(t *testing.T) {
	w := &window{left: 5}
	_, st := collect(t, Loop{Window: w}, context.Background())
	if st.Turns != 5 || w.acquired != 5 || w.sent != 5 {
		t.Fatalf("stats %+v, window %+v: want 5 turns, each acquired and sent", st, w)
	}
}

func TestClosedEnd(t *testing.T) {
	end := clock.Now() + int64(20*time.Millisecond)
	_, st := collect(t, Loop{End: end, Yield: true}, context.Background())
	if now := clock.Now(); now < end {
		t.Fatalf("returned %v before End", time.Duration(end-now))
	}
	if st.Turns == 0 {
		t.Fatal("no turns before End")
	}
}

func TestTurnStops(t *testing.T) {
	n := 0
	st := (&Loop{Count: 100}).Run(context.Background(), func(Turn) bool { n++; return n < 3 })
	if st.Turns != 3 || n != 3 {
		t.Fatalf("stats %+v after %d calls, want 3", st, n)
	}
}

func TestOpenSchedule(t *testing.T) {
	start := clock.Now() + int64(time.Millisecond)
	lag := hdr.New(1, int64(time.Hour), 3)
	l := Loop{At: Rate(start, 1000), Count: 20, Lag: lag} // one unit per ms
	turns, st := collect(t, l, context.Background())
	if st.Units != 20 || st.Turns != 20 {
		t.Fatalf("stats %+v, want 20 one-unit turns", st)
	}
	for i, tn := range turns {
		if want := start + int64(i)*int64(time.Millisecond); tn.At != want || tn.First != int64(i) || tn.N != 1 {
			t.Errorf("turn %d = %+v, want unit %d at %d", i, tn, i, want)
		}
	}
	if lag.TotalCount() != 20 {
		t.Errorf("lag has %d samples, want 20", lag.TotalCount())
	}
	if now := clock.Now(); now < start+19*int64(time.Millisecond) {
		t.Error("finished before the last unit was due")
	}
}

func TestOpenCatchUp(t *testing.T) {
	// Every unit was due 1 s ago: turns take Batch units each.
	start := clock.Now() - int64(time.Second)
	turns, st := collect(t, Loop{At: Rate(start, 1000), Batch: 8, Count: 20}, context.Background())
	if st.Turns != 3 || st.Units != 20 {
		t.Fatalf("stats %+v, want 3 turns, 20 units", st)
	}
	if turns[0].N != 8 || turns[1].N != 8 || turns[2].N != 4 || turns[1].At != start+8*int64(time.Millisecond) {
		t.Fatalf("turns %+v", turns)
	}
}

func TestOpenEndAndScheduleEnd(t *testing.T) {
	start := clock.Now()
	// The schedule ends after 5 units.
	at := func(i int64) (int64, bool) { return start, i < 5 }
	if _, st := collect(t, Loop{At: at}, context.Background()); st.Units != 5 {
		t.Errorf("schedule end: %+v, want 5 units", st)
	}
	// A unit due at or after End is not sent.
	end := start + int64(45*time.Millisecond)
	if _, st := collect(t, Loop{At: Rate(start, 100), End: end}, context.Background()); st.Units != 5 {
		t.Errorf("End: %+v, want 5 units", st)
	}
}

func TestOpenContextEndsSleep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	begin := time.Now()
	// The second unit is due in an hour.
	_, st := collect(t, Loop{At: Rate(clock.Now(), 1.0/3600)}, ctx)
	if st.Turns != 1 {
		t.Errorf("stats %+v, want 1 turn", st)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Run took %v after its context ended", d)
	}
}
