package metrics

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen/schedule"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRecorderRotation: concurrent writers on stripes; every value lands in
// exactly one interval, and the total is their sum.
func TestRecorderRotation(t *testing.T) {
	r := NewRecorder(4)
	var wg sync.WaitGroup
	var intervals int64
	stop := make(chan struct{})
	rotated := make(chan int64)
	go func() {
		var n int64
		for {
			select {
			case <-stop:
				rotated <- n + r.Rotate().TotalCount()
				return
			default:
				n += r.Rotate().TotalCount()
			}
		}
	}()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				r.Record(w, int64(i+1)*1000)
			}
		}()
	}
	wg.Wait()
	close(stop)
	intervals = <-rotated
	if intervals != 80000 || r.Total().TotalCount() != 80000 {
		t.Fatalf("intervals saw %d, total %d, want 80000", intervals, r.Total().TotalCount())
	}
	r.Record(0, -5)            // clock skew between processes
	r.Record(1, HistHighest*2) // absurd
	if h := r.Rotate(); h.TotalCount() != 2 || h.Min() != HistLowest {
		t.Fatalf("clamped values: count %d min %d", h.TotalCount(), h.Min())
	}
}

func TestTimelineOpen(t *testing.T) {
	sch, _ := schedule.Constant(100, time.Second) // turns
	tl := NewOpenTimeline(sch, 10)
	if _, ok := tl.Intended(0, 1); ok {
		t.Fatal("intended time before the start")
	}
	tl.Start(1_000_000_000)
	// seq 1..10 are turn 0, seq 11 is turn 1 (10 ms later).
	for seq, want := range map[int64]int64{1: 1e9, 10: 1e9, 11: 1e9 + 10e6, 991: 1e9 + 990e6} {
		if got, ok := tl.Intended(3, seq); !ok || got != want {
			t.Errorf("Intended(seq %d) = %d %v, want %d", seq, got, ok, want)
		}
	}
	if _, ok := tl.Intended(0, 1001); ok {
		t.Error("seq beyond the schedule has no intended time")
	}
}

func TestTimelineClosed(t *testing.T) {
	tl := NewClosedTimeline(2)
	tl.Start(1)
	tl.Stamp(1, 5, 12345)
	if got, ok := tl.Intended(1, 5); !ok || got != 12345 {
		t.Fatalf("stamped: %d %v", got, ok)
	}
	if _, ok := tl.Intended(0, 5); ok {
		t.Fatal("other object has no stamp")
	}
	tl.Stamp(1, 5+1<<ringBits, 999) // overwrites the slot
	if _, ok := tl.Intended(1, 5); ok {
		t.Fatal("an overwritten slot must not time an old update")
	}
}

// TestStreamInitEcho: a property replica's Init notifies the value it
// brought; that is not an update, and the next real change follows it.
func TestStreamInitEcho(t *testing.T) {
	sch, _ := schedule.Constant(1000, time.Second)
	run := NewRun(NewOpenTimeline(sch, 1), 1, 1)
	run.Timeline.Start(1_000_000)
	s := run.NewStream(0, 0)
	s.Connecting(100)
	s.Valid(600, 7)           // Init with counter 7
	s.PropertyChanged(7, 600) // its notification
	s.PropertyChanged(8, 2_000_000)
	s.PropertyChanged(10, 3_000_000)
	st := s.Stats()
	if st.Received != 2 || st.Lost != 1 || st.Duplicated != 0 || st.Seen != 10 || !st.Valid {
		t.Fatalf("stats %+v", st)
	}
	if h := run.Init.Rotate(); h.TotalCount() != 1 || h.Max() < 500 || h.Max() > 501 {
		t.Fatalf("init time: %d samples, max %d, want one of 500ns", h.TotalCount(), h.Max())
	}
	if run.Valid.Load() != 1 {
		t.Fatal("valid count")
	}
	s.Suspect()
	s.Valid(5_000_000, 20) // re-initialised at 20: 11..20 skipped while Suspect
	st = s.Stats()
	if st.Gap != 10 || st.Suspects != 1 || run.Suspects.Load() != 1 {
		t.Fatalf("after suspect %+v", st)
	}
}

// BenchmarkStreamUpdate is loadgen's own cost per received update (detector,
// intended time from the schedule, striped histogram): what the generator
// adds to every delivery it measures.
func BenchmarkStreamUpdate(b *testing.B) {
	sch, _ := schedule.Constant(1e6, time.Hour)
	run := NewRun(NewOpenTimeline(sch, 1), 8, 1)
	run.Timeline.Start(1)
	s := run.NewStream(0, 0)
	s.Valid(1, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.PropertyChanged(int64(i+1), int64(i+1)*1000+50_000)
	}
}

// BenchmarkStreamUpdateParallel is the same from many replicas at once.
func BenchmarkStreamUpdateParallel(b *testing.B) {
	sch, _ := schedule.Constant(1e6, time.Hour)
	run := NewRun(NewOpenTimeline(sch, 1), 8, 1)
	run.Timeline.Start(1)
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		s := run.NewStream(int(next.Add(1)), 0)
		s.Valid(1, 0)
		for i := int64(1); pb.Next(); i++ {
			s.PropertyChanged(i, i*1000+50_000)
		}
	})
}

// TestStreamResumeAfterSuspect: a signal replica Valid again after a
// Suspect period but without an update since is not "Valid" for the tail:
// what it missed spans the Suspect period.
func TestStreamResumeAfterSuspect(t *testing.T) {
	run := NewRun(NewClosedTimeline(1), 1, 1)
	s := run.NewStream(0, 0)
	s.Valid(1, -1)
	s.Update(1, 1, 2)
	s.Update(2, 1, 2)
	s.Suspect()
	s.Valid(3, -1)
	if st := s.Stats(); st.Valid || st.Seen != 2 {
		t.Fatalf("not resumed: %+v", st)
	}
	s.Update(9, 1, 4)
	if st := s.Stats(); !st.Valid || st.Gap != 6 || st.Lost != 0 {
		t.Fatalf("resumed: %+v", st)
	}
}

// A restarted host's numbering: updates received after the Rebase are
// timed from the new base, earlier ones (and other objects) from T0.
func TestTimelineRebase(t *testing.T) {
	sch, err := schedule.Constant(1000, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tl := NewOpenTimeline(sch, 1)
	tl.Start(1_000_000_000)
	if at, _ := tl.IntendedAt(0, 3, 5_000_000_000); at != 1_002_000_000 {
		t.Errorf("before the rebase: %d", at)
	}
	tl.Rebase(0, 4_000_000_000, 4_100_000_000)
	if at, _ := tl.IntendedAt(0, 3, 4_200_000_000); at != 4_102_000_000 {
		t.Errorf("after the rebase: %d, want the new base + 2ms", at)
	}
	if at, _ := tl.IntendedAt(0, 3, 3_900_000_000); at != 1_002_000_000 {
		t.Errorf("received before the rebase: %d", at)
	}
	if at, _ := tl.IntendedAt(1, 3, 4_200_000_000); at != 1_002_000_000 {
		t.Errorf("another object: %d", at)
	}
}

// The time from Suspect to Valid again is recorded once per re-init.
func TestStreamReinit(t *testing.T) {
	run := NewRun(NewClosedTimeline(1), 1, 1)
	s := run.NewStream(0, 0)
	s.Valid(100, 0)
	s.SuspectAt(1_000)
	s.SuspectAt(2_000) // still Suspect: the first time counts
	s.Valid(51_000, 0)
	run.Reinit.Rotate()
	h := run.Reinit.Total()
	if h.TotalCount() != 1 || h.Max() < 49_000 || h.Max() > 50_100 {
		t.Errorf("re-init: %d values, max %d, want one of 50µs", h.TotalCount(), h.Max())
	}
}
