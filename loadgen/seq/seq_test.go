package seq

import "testing"

type want struct{ received, lost, dup, reord, stale, gap, tail int64 }

func check(t *testing.T, name string, d *Detector, last int64, w want) {
	t.Helper()
	got := want{d.Received, d.Lost(), d.Duplicated, d.Reordered, d.Stale, d.SuspectGap, d.Tail(last)}
	if got != w {
		t.Errorf("%s: got %+v, want %+v", name, got, w)
	}
}

func feed(d *Detector, ns ...int64) {
	for _, n := range ns {
		d.Observe(n)
	}
}

func TestInOrder(t *testing.T) {
	var d Detector
	for n := int64(1); n <= 1000; n++ {
		d.Observe(n)
	}
	check(t, "in order", &d, 1000, want{received: 1000})
}

func TestKnownHoles(t *testing.T) {
	var d Detector
	d.Expect(1)
	// 1..20 with 4, 5 and 9 missing, 12 twice, 15 after 16, 20 never (tail).
	feed(&d, 1, 2, 3, 6, 7, 8, 10, 11, 12, 12, 13, 14, 16, 15, 17, 18, 19)
	check(t, "holes", &d, 20, want{received: 17, lost: 3, dup: 1, reord: 1, tail: 1})
	if d.LastSeen != 19 || d.FirstSeen != 1 {
		t.Errorf("first/last seen %d/%d", d.FirstSeen, d.LastSeen)
	}
}

func TestExpectCountsLeadingLoss(t *testing.T) {
	var d Detector
	d.Expect(1)
	feed(&d, 4, 5)
	check(t, "leading", &d, 5, want{received: 2, lost: 3})
	// Without an expectation the first update starts the stream.
	var e Detector
	feed(&e, 4, 5)
	check(t, "first seen", &e, 5, want{received: 2})
}

func TestReorderFillsHole(t *testing.T) {
	var d Detector
	feed(&d, 1, 3, 2, 5, 4, 4)
	check(t, "reorder", &d, 5, want{received: 6, dup: 1, reord: 2})
}

func TestSuspectGapIsNotLoss(t *testing.T) {
	// Property stream: Valid at counter 0, sees 1..10, goes Suspect, is
	// re-initialised with counter 25 and sees 26..30. 11..25 is a gap across
	// Suspect, not loss; a real hole at 28 still counts.
	var d Detector
	d.Expect(1)
	feed(&d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	d.Suspend()
	d.Expect(26)
	feed(&d, 26, 27, 29, 30)
	check(t, "props", &d, 30, want{received: 14, lost: 1, gap: 15})
	if d.Suspects != 1 {
		t.Errorf("suspects %d", d.Suspects)
	}

	// Signal stream: no state on re-init; the first tick after Valid again
	// defines where it resumes.
	var s Detector
	s.Expect(1)
	feed(&s, 1, 2, 3)
	s.Suspend()
	feed(&s, 40, 41, 43)
	check(t, "signals", &s, 45, want{received: 6, lost: 1, gap: 36, tail: 2})

	// A hole open before Suspect stays a loss.
	var h Detector
	feed(&h, 1, 3)
	h.Suspend()
	h.Expect(10)
	feed(&h, 10)
	check(t, "hole before suspect", &h, 10, want{received: 3, lost: 1, gap: 6})
}

func TestJumpWithoutSuspectIsLoss(t *testing.T) {
	var d Detector
	feed(&d, 1, 2)
	d.Expect(6) // re-initialised at counter 5 while still Valid: 3..5 never came
	feed(&d, 6)
	check(t, "jump", &d, 6, want{received: 3, lost: 3})
}

func TestWindowBoundsMemory(t *testing.T) {
	d := Detector{Window: 8}
	feed(&d, 1, 100) // 99 holes, only 8 remembered
	if len(d.missing) > 8 {
		t.Fatalf("remembers %d holes, window 8", len(d.missing))
	}
	check(t, "window", &d, 100, want{received: 2, lost: 98})
	feed(&d, 95)  // inside the window: fills a hole
	feed(&d, 50)  // beyond it: cannot tell late from duplicate
	feed(&d, 1)   // same
	feed(&d, 101) // in order again
	check(t, "window after", &d, 101, want{received: 6, lost: 97, reord: 1, stale: 2})
}

func TestTail(t *testing.T) {
	var d Detector
	if d.Tail(10) != 0 {
		t.Error("a stream that saw nothing has no known tail")
	}
	d.Expect(1)
	if d.Tail(10) != 10 {
		t.Errorf("tail %d, want 10", d.Tail(10))
	}
	feed(&d, 1, 2, 3)
	if d.Tail(3) != 0 || d.Tail(2) != 0 {
		t.Error("no tail when the last update was seen")
	}
}

// A restarted sender numbers from 1 again: after the Suspect period the
// stream starts over (no duplicates), holes from before stay lost, and the
// new numbering is checked from its start.
func TestRestartedSender(t *testing.T) {
	var d Detector
	for _, n := range []int64{1, 2, 4, 5} { // 3 lost while Valid
		d.Observe(n)
	}
	d.Suspend()
	for _, n := range []int64{1, 2, 3, 5} { // new sender; 4 lost after the re-init
		d.Observe(n)
	}
	if d.Duplicated != 0 || d.Reordered != 0 || d.Restarts != 1 || d.Lost() != 2 {
		t.Errorf("dup %d reord %d restarts %d lost %d, want 0 0 1 2", d.Duplicated, d.Reordered, d.Restarts, d.Lost())
	}
	// A property replica re-initialised by a restarted host: Expect goes back.
	var p Detector
	p.Expect(1)
	p.Observe(1)
	p.Observe(3) // 2 lost
	p.Suspend()
	p.Expect(1)
	p.Observe(1)
	p.Observe(2) // fills nothing from before: another sender's 2
	if p.Lost() != 1 || p.Reordered != 0 || p.Restarts != 1 {
		t.Errorf("lost %d reordered %d restarts %d, want 1 0 1", p.Lost(), p.Reordered, p.Restarts)
	}
}
