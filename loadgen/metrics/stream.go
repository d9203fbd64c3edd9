package metrics

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/loadgen/seq"
)

// Run holds what all streams of one run share: the timeline, the latency
// recorders and the run-wide counters read by the progress display.
type Run struct {
	Timeline *Timeline
	Latency  *Recorder // update delivery latency, or echo round trips
	Init     *Recorder // replica init time (connect → Valid)
	Reinit   *Recorder // Suspect → Valid again

	Delivered atomic.Int64 // updates / replies delivered (progress only; exact numbers come from streams)
	Untimed   atomic.Int64 // delivered updates whose intended time was unknown
	Errors    atomic.Int64
	Valid     atomic.Int64 // replicas currently Valid
	Inits     atomic.Int64 // connect → Valid transitions
	Suspects  atomic.Int64

	// ObjDelivered counts deliveries per object, for closed-model windows.
	ObjDelivered []atomic.Int64
	// A closed-model sender waiting for deliveries sets wantWake and
	// receives on Wake; receivers poke it only then (one atomic load per
	// delivery otherwise).
	wantWake atomic.Bool
	wake     chan struct{}

	errMu     sync.Mutex
	errSample []string
}

// NewRun returns the shared state of a run over objects objects, with the
// given stripe count.
func NewRun(tl *Timeline, stripes, objects int) *Run {
	return &Run{Timeline: tl, Latency: NewRecorder(stripes), Init: NewRecorder(stripes),
		Reinit: NewRecorder(stripes), ObjDelivered: make([]atomic.Int64, objects), wake: make(chan struct{}, 1)}
}

// ArmWake asks receivers to wake a waiting sender at their next delivery.
// A sender arms, re-checks its window, then calls WaitWake: a delivery
// between the check and the wait is never missed.
func (r *Run) ArmWake() { r.wantWake.Store(true) }

// WaitWake blocks until a receiver pokes (after ArmWake), d passes, or
// done closes.
func (r *Run) WaitWake(d time.Duration, done <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.wake:
	case <-t.C:
	case <-done:
	}
}

// delivered wakes a waiting sender.
func (r *Run) delivered() {
	if r.wantWake.Load() && r.wantWake.CompareAndSwap(true, false) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// maxErrSamples bounds the error messages a run keeps.
const maxErrSamples = 20

// Error counts an error and keeps the first few messages.
func (r *Run) Error(err error) {
	if err == nil {
		return
	}
	r.Errors.Add(1)
	r.errMu.Lock()
	if len(r.errSample) < maxErrSamples {
		r.errSample = append(r.errSample, err.Error())
	}
	r.errMu.Unlock()
}

// ErrorSamples returns the kept error messages.
func (r *Run) ErrorSamples() []string {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return append([]string(nil), r.errSample...)
}

// Stream is what one replica sees of one object: a sequence detector and
// the latency of each update. Its methods are called by the replica's
// connection goroutine; the mutex makes reading it from elsewhere safe.
type Stream struct {
	run    *Run
	Object int // object index in the run
	stripe int

	mu        sync.Mutex
	det       seq.Detector
	valid     bool
	inits     int
	initEcho  int64 // property value of the last Init: a change to it right after is that Init's echo
	connectAt int64
	suspectAt int64 // when the replica last went Suspect (0: not Suspect)
}

// NewStream returns the stream of replica number replica for object obj.
func (r *Run) NewStream(replica, obj int) *Stream {
	return &Stream{run: r, Object: obj, stripe: replica, initEcho: -1}
}

// Expect sets the first expected sequence number before any update (the
// load starts after every replica is Valid, so a missing seq 1 is a loss).
func (s *Stream) Expect(n int64) {
	s.mu.Lock()
	s.det.Expect(n)
	s.mu.Unlock()
}

// ExpectIfValid sets the next expected number of a stream that is Valid
// and has no expectation yet: at the load start, a signal replica that is
// already Valid must see every tick from seq 1.
func (s *Stream) ExpectIfValid(n int64) {
	s.mu.Lock()
	if s.valid && s.det.Next() == 0 {
		s.det.Expect(n)
	}
	s.mu.Unlock()
}

// Connecting records when the replica's node started connecting
// (monotonic ns), the start of its init time.
func (s *Stream) Connecting(at int64) {
	s.mu.Lock()
	s.connectAt = at
	s.mu.Unlock()
}

// Valid records that the replica became Valid at (monotonic ns). baseline
// is the property counter at Init (the last update the Init contains), or
// -1 for streams without state (signals): then the next update observed
// defines where the stream resumes.
func (s *Stream) Valid(at, baseline int64) {
	s.mu.Lock()
	if s.valid {
		s.mu.Unlock()
		return
	}
	s.valid = true
	s.inits++
	if baseline >= 0 {
		s.det.Expect(baseline + 1)
		s.initEcho = baseline
	}
	start, suspect := s.connectAt, s.suspectAt
	s.connectAt, s.suspectAt = 0, 0
	s.mu.Unlock()
	s.run.Valid.Add(1)
	s.run.Inits.Add(1)
	if start > 0 {
		s.run.Init.Record(s.stripe, at-start)
	}
	if suspect > 0 && at > suspect {
		s.run.Reinit.Record(s.stripe, at-suspect)
	}
}

// Suspect records that the replica left Valid.
func (s *Stream) Suspect() { s.SuspectAt(0) }

// SuspectAt records that the replica left Valid at at (monotonic ns; 0:
// unknown, so the time to re-init is not recorded).
func (s *Stream) SuspectAt(at int64) {
	s.mu.Lock()
	was := s.valid
	s.valid = false
	if was && at > 0 {
		s.suspectAt = at
	}
	s.det.Suspend()
	s.mu.Unlock()
	if was {
		s.run.Valid.Add(-1)
		s.run.Suspects.Add(1)
	}
}

// Released records that the replica was released or its node closed on
// purpose (churn): not a Suspect period, and the stream ends here.
func (s *Stream) Released() {
	s.mu.Lock()
	was := s.valid
	s.valid = false
	s.det.Pause()
	s.mu.Unlock()
	if was {
		s.run.Valid.Add(-1)
	}
}

// PropertyChanged records the counter changing to seq at recv (monotonic
// ns): the intended send time comes from the timeline.
func (s *Stream) PropertyChanged(seq, recv int64) {
	s.mu.Lock()
	if s.initEcho >= 0 {
		echo := s.initEcho
		s.initEcho = -1
		if seq == echo {
			// The replica notifies the Init value itself; the source never
			// sends a change to the value it already has.
			s.mu.Unlock()
			return
		}
	}
	s.det.Observe(seq)
	s.mu.Unlock()
	s.timed(seq, recv, 0)
}

// Update records update seq received at recv, sent (intended) at sent; 0
// means take the intended time from the timeline.
func (s *Stream) Update(seq, sent, recv int64) {
	s.mu.Lock()
	s.initEcho = -1
	s.det.Observe(seq)
	s.mu.Unlock()
	s.timed(seq, recv, sent)
}

func (s *Stream) timed(seq, recv, sent int64) {
	s.run.Delivered.Add(1)
	if s.Object >= 0 && s.Object < len(s.run.ObjDelivered) {
		s.run.ObjDelivered[s.Object].Add(1)
	}
	s.run.delivered()
	if sent == 0 {
		var ok bool
		if sent, ok = s.run.Timeline.IntendedAt(s.Object, seq, recv); !ok {
			s.run.Untimed.Add(1)
			return
		}
	}
	s.run.Latency.Record(s.stripe, recv-sent)
}

// Stats is a stream's final account.
type Stats struct {
	Received, Lost, Duplicated, Reordered, Stale, Gap, Suspects int64
	// Seen is the highest number accounted for (next expected − 1; holes
	// below it are in Lost); Expecting is false for a stream that never
	// had an expectation (it saw nothing and was never Valid with a known
	// start).
	Seen      int64
	Expecting bool
	Valid     bool // Valid, and resumed since any Suspect period
	Inits     int
}

// Stats returns the stream's account.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.det.Next()
	return Stats{
		Received: s.det.Received, Lost: s.det.Lost(), Duplicated: s.det.Duplicated, Reordered: s.det.Reordered,
		Stale: s.det.Stale, Gap: s.det.SuspectGap, Suspects: s.det.Suspects,
		Seen: max(next-1, 0), Expecting: next > 0, Inits: s.inits,
		// A stream Valid again after a Suspect period but without an update
		// since has not resumed: what it missed spans the Suspect period.
		Valid: s.valid && !s.det.Suspended(),
	}
}
