// Package pace is loadgen's one sending loop: it runs a sender's turns on an
// open-model schedule (each turn at its intended time, its lag recorded) or
// as fast as a closed-model window allows; what a turn sends is the caller's.
package pace

import (
	"context"
	"runtime"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/clock"
)

// Window bounds a closed-model sender.
type Window interface {
	// Acquire blocks until one more turn may be sent.
	Acquire(ctx context.Context) error
	// Sent tells the window a turn went out.
	Sent()
}

// Loop says when turns go. Work is counted in units (an update, a call, or
// a whole loadgen turn of Batch updates per object: the caller decides);
// a turn is one or more consecutive units sent back to back.
//
// The zero value is a closed-model loop with no end: set Count, End or a
// context to stop it.
type Loop struct {
	// At returns the intended send time of unit i (counting from 0) in
	// monotonic ns (package clock), and false past the schedule's end. nil
	// means the closed model: turns go as fast as Window allows.
	At func(i int64) (int64, bool)
	// Batch is the most units per turn (≤ 0: 1). Closed model: every turn
	// but the last has Batch units. Open model: a turn takes the units
	// already due when it starts, up to Batch, so a sender that fell
	// behind catches up in bigger turns instead of more turns.
	Batch int64
	// Count is the number of units in all (≤ 0: unbounded).
	Count int64
	// End is the monotonic time (ns) at or after which no turn starts
	// (0: none).
	End int64
	// Window, in the closed model, is acquired before each turn and told
	// after it (nil: no flow control).
	Window Window
	// Lag, when set, gets each open-model turn's lag: actual − intended
	// start of its first unit, in ns.
	Lag *hdr.Histogram
	// Yield gives other goroutines a turn between turns (runtime.Gosched),
	// as a Qt peer returns to its event loop and lets its sockets flush.
	Yield bool
}

// Turn is one turn of a loop.
type Turn struct {
	K     int64 // turn number, from 0
	First int64 // the turn's first unit, from 0
	N     int64 // units in the turn, at least 1
	// At is the intended send time of the first unit (open model) or the
	// time the turn started (closed model), monotonic ns: the time a
	// sender stamps on what it sends.
	At int64
}

// Stats counts what a loop ran.
type Stats struct {
	Turns int64 // turns run
	Units int64 // units in them
}

// Open reports whether the loop follows a schedule.
func (l *Loop) Open() bool { return l.At != nil }

// Rate is the schedule of a constant rate: unit i is due at start +
// i/perSecond seconds. perSecond must be positive.
func Rate(start int64, perSecond float64) func(i int64) (int64, bool) {
	return func(i int64) (int64, bool) {
		return start + int64(float64(i)*1e9/perSecond), true
	}
}

// Run calls turn for each turn until the schedule, Count or End is reached,
// ctx ends, Window.Acquire fails, or turn returns false.
func (l *Loop) Run(ctx context.Context, turn func(Turn) bool) Stats {
	var st Stats
	batch := max(l.Batch, 1)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// sleepUntil waits for the monotonic time t; false: ctx ended first.
	sleepUntil := func(t int64) bool {
		d := time.Duration(t - clock.Now())
		if d <= 0 {
			return true
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-timer.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	next := int64(0) // the next unit
	left := func() bool { return l.Count <= 0 || next < l.Count }
	for k := int64(0); ctx.Err() == nil && left(); k++ {
		t := Turn{K: k, First: next}
		if l.At != nil {
			at, ok := l.At(next)
			if !ok || l.End > 0 && at >= l.End {
				break
			}
			if !sleepUntil(at) {
				break
			}
			now := clock.Now()
			if l.End > 0 && now >= l.End {
				break
			}
			if l.Lag != nil {
				_ = l.Lag.RecordValue(max(now-at, 0))
			}
			t.At, t.N = at, 1
			for t.N < batch && (l.Count <= 0 || next+t.N < l.Count) {
				a, ok := l.At(next + t.N)
				if !ok || a > now || l.End > 0 && a >= l.End {
					break
				}
				t.N++
			}
		} else {
			if l.Window != nil {
				if err := l.Window.Acquire(ctx); err != nil {
					break
				}
			}
			t.At = clock.Now()
			if l.End > 0 && t.At >= l.End {
				break
			}
			t.N = batch
			if l.Count > 0 {
				t.N = min(t.N, l.Count-next)
			}
		}
		goOn := turn(t)
		next += t.N
		st.Turns++
		st.Units += t.N
		if l.At == nil && l.Window != nil {
			l.Window.Sent()
		}
		if !goOn {
			break
		}
		if l.Yield && left() {
			runtime.Gosched()
		}
	}
	return st
}
