package metrics

import (
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/loadgen/schedule"
)

// Timeline knows when every update of a run was meant to be sent, so a
// receiver can compute latency from the intended time (wrk2) even for
// property changes, which carry only their sequence number.
//
// Open model: intended(seq) = T0 + schedule.At((seq-1)/Batch), pure
// arithmetic that any process knowing the plan can do. Closed model: the
// sender stamps the actual send time of each update (Stamp), kept in a
// ring per object; a receiver too far behind gets no timing.
type Timeline struct {
	t0    atomic.Int64 // monotonic ns of the load start; 0: not started
	sched *schedule.Schedule
	batch int64
	rings []*ring // closed model, per object
	// epochs holds, per object, the rebases of its open-model numbering
	// (a restarted host starts again at 1); nil until the first Rebase.
	epochs atomic.Pointer[map[int][]epoch]
}

// epoch is a restart of an object's numbering: updates received at or
// after since count from base instead of T0.
type epoch struct{ since, base int64 }

// ringBits sizes the closed model's send-time ring: a receiver more than
// 256k updates of one object behind its sender gets no timing for them
// (4 MiB per object).
const ringBits = 18

type ring struct {
	seq [1 << ringBits]atomic.Int64
	ns  [1 << ringBits]atomic.Int64
}

// NewOpenTimeline returns the timeline of an open-model run: turns of
// batch updates following sched (a schedule of turns).
func NewOpenTimeline(sched *schedule.Schedule, batch int) *Timeline {
	if batch < 1 {
		batch = 1
	}
	return &Timeline{sched: sched, batch: int64(batch)}
}

// NewClosedTimeline returns the timeline of a closed-model run over n
// objects: send times come from Stamp.
func NewClosedTimeline(objects int) *Timeline {
	t := &Timeline{batch: 1, rings: make([]*ring, objects)}
	for i := range t.rings {
		t.rings[i] = new(ring)
	}
	return t
}

// Start records the load start (monotonic ns).
func (t *Timeline) Start(t0 int64) { t.t0.Store(t0) }

// T0 returns the load start (0: not started).
func (t *Timeline) T0() int64 { return t.t0.Load() }

// Open reports whether intended times follow a schedule.
func (t *Timeline) Open() bool { return t.sched != nil }

// Intended returns the intended send time of update seq (counting from 1)
// of object obj, and false when it is not known.
func (t *Timeline) Intended(obj int, seq int64) (int64, bool) { return t.IntendedAt(obj, seq, 0) }

// Rebase restarts object obj's open-model numbering: an update numbered
// seq and received at or after since was intended at base +
// schedule.At((seq-1)/Batch). A host process restarted mid-run (chaos)
// counts from 1 again; its sender calls Rebase before the first new update
// can arrive.
func (t *Timeline) Rebase(obj int, since, base int64) {
	for {
		old := t.epochs.Load()
		m := map[int][]epoch{}
		if old != nil {
			for k, v := range *old {
				m[k] = v
			}
		}
		m[obj] = append(append([]epoch(nil), m[obj]...), epoch{since, base})
		if t.epochs.CompareAndSwap(old, &m) {
			return
		}
	}
}

// IntendedAt is Intended for an update received at recv (monotonic ns; 0:
// unknown), which picks the numbering epoch after a Rebase.
func (t *Timeline) IntendedAt(obj int, seq, recv int64) (int64, bool) {
	t0 := t.t0.Load()
	if t0 == 0 || seq < 1 {
		return 0, false
	}
	if t.sched != nil {
		if ep := t.epochs.Load(); ep != nil && recv > 0 {
			for _, e := range (*ep)[obj] {
				if recv >= e.since {
					t0 = e.base
				}
			}
		}
		at, ok := t.sched.At((seq - 1) / t.batch)
		if !ok {
			return 0, false
		}
		return t0 + int64(at), true
	}
	if obj < 0 || obj >= len(t.rings) {
		return 0, false
	}
	r := t.rings[obj]
	i := seq & (1<<ringBits - 1)
	// Seqlock: the slot is ours only if its sequence number is the same
	// before and after reading the time.
	if r.seq[i].Load() != seq {
		return 0, false
	}
	ns := r.ns[i].Load()
	if r.seq[i].Load() != seq {
		return 0, false
	}
	return ns, true
}

// Stamp records the send time of update seq of object obj (closed model).
func (t *Timeline) Stamp(obj int, seq, ns int64) {
	if obj < 0 || obj >= len(t.rings) {
		return
	}
	r := t.rings[obj]
	i := seq & (1<<ringBits - 1)
	r.seq[i].Store(0)
	r.ns[i].Store(ns)
	r.seq[i].Store(seq)
}

// IntendedTurn returns the intended time of turn k (open model), for
// senders.
func (t *Timeline) IntendedTurn(k int64) (int64, bool) {
	if t.sched == nil {
		return 0, false
	}
	at, ok := t.sched.At(k)
	if !ok {
		return 0, false
	}
	return t.t0.Load() + int64(at), true
}

// Schedule returns the turn schedule (nil: closed model).
func (t *Timeline) Schedule() *schedule.Schedule { return t.sched }

// Batch returns updates per turn.
func (t *Timeline) Batch() int { return int(t.batch) }

// Elapsed returns the time since the load start.
func (t *Timeline) Elapsed(now int64) time.Duration {
	t0 := t.t0.Load()
	if t0 == 0 {
		return 0
	}
	return time.Duration(now - t0)
}
