package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// defaultMaxQueuedEvents is Config.MaxQueuedEvents' default.
const defaultMaxQueuedEvents = 1 << 16

// ErrSlowSubscriber means a callback did not keep up: its subscription's
// queue held Config.MaxQueuedEvents undelivered events, and newer ones
// were dropped. An *OverflowError carrying it is reported through
// OnError (LastError is not changed: it keeps Qt's node error codes).
var ErrSlowSubscriber = errors.New("qtro node: slow subscriber")

// OverflowError reports that a subscription dropped events (see
// ErrSlowSubscriber). One is reported per overflow episode: the next comes
// only after the subscription caught up.
type OverflowError struct {
	Of    string // "replica", "source" or "errors": what was subscribed to
	Name  string // the replica's or source's name
	Limit int    // the queue bound that was hit
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("%s: %s %q: %d undelivered events, dropping", ErrSlowSubscriber, e.Of, e.Name, e.Limit)
}

// Unwrap returns ErrSlowSubscriber.
func (e *OverflowError) Unwrap() error { return ErrSlowSubscriber }

// deliverer runs one subscription's callback on a goroutine of its own,
// in the order values were pushed, so that a slow or blocked callback
// delays only itself: never the connection that produced the values (its
// reads, heartbeats and other replicas) nor other subscriptions. The
// goroutine exists while values are pending and ends when the queue is
// empty, so an idle subscription costs no goroutine.
type deliverer[T any] struct {
	fn  func(T)
	max int // bound on queued values; <= 0: none

	cancelled atomic.Bool // no fn call starts any more
	slow      atomic.Bool // a callback stalled a connection: never inline again

	mu    sync.Mutex
	q     []delivery[T] // pending, not yet taken by the goroutine
	spare []delivery[T] // the goroutine's last batch, emptied, for reuse
	taken int           // values in the batch the goroutine is delivering
	// running: a goroutine drains q (and may be in fn), or the reader
	// delivers inline. Written under mu, except that beginInline and
	// endInline flip it without the lock (the reader's fast path, once
	// per event); queued mirrors len(q) for them. Invariant: q is empty
	// or running is set (or a push holding mu is about to set it).
	running     atomic.Bool
	queued      atomic.Int32
	started     bool        // a push started the goroutine (takeStarted)
	overflowing bool        // values were dropped since the queue was last empty
	g           *drainGroup // counts the running goroutine
}

// lingerYields is how many times a delivery goroutine with nothing to do
// yields before it ends.
const lingerYields = 2

// delivery is a queued value, or a barrier (mark) to run in its place.
type delivery[T any] struct {
	v    T
	mark func()
}

func newDeliverer[T any](fn func(T), max int) *deliverer[T] {
	return &deliverer[T]{fn: fn, max: max}
}

// push queues vs for delivery, starting the goroutine (counted in g) if
// none runs. It reports how many values were dropped because the queue was
// full, and whether this push began an overflow episode (the caller
// reports it once).
func (d *deliverer[T]) push(g *drainGroup, vs ...T) (dropped int, first bool) {
	if d.cancelled.Load() {
		return 0, false
	}
	d.mu.Lock()
	for _, v := range vs {
		if d.max > 0 && len(d.q)+d.taken >= d.max {
			dropped++
			continue
		}
		d.q = append(d.q, delivery[T]{v: v})
	}
	d.queued.Store(int32(len(d.q)))
	if dropped > 0 {
		first = !d.overflowing
		d.overflowing = true
	}
	d.startLocked(g)
	d.mu.Unlock()
	return dropped, first
}

// startLocked starts the draining goroutine if values are pending and none runs.
func (d *deliverer[T]) startLocked(g *drainGroup) {
	if len(d.q) == 0 || !d.running.CompareAndSwap(false, true) {
		return
	}
	d.launchLocked(g)
}

// launchLocked starts the draining goroutine; running is already set.
func (d *deliverer[T]) launchLocked(g *drainGroup) {
	d.g = g
	g.add()
	go d.run()
	d.started = true
}

// beginInline claims the subscription for an inline delivery by the
// caller, if nothing is queued or being delivered and it was never slow.
// endInline must follow. It takes no lock: running is claimed with a
// compare-and-swap, and a value queued meanwhile (queued > 0) is handed
// to the goroutine instead, so it is not overtaken.
func (d *deliverer[T]) beginInline(g *drainGroup) bool {
	if d.slow.Load() || d.cancelled.Load() || d.queued.Load() > 0 {
		return false
	}
	if !d.running.CompareAndSwap(false, true) {
		return false
	}
	if d.queued.Load() > 0 {
		// A push queued a value before the claim and found running unset
		// or is about to: it is ours now, so the goroutine delivers it.
		d.mu.Lock()
		if len(d.q) > 0 {
			d.launchLocked(g)
		} else {
			d.running.Store(false)
		}
		d.mu.Unlock()
		return false
	}
	return true
}

// endInline ends an inline delivery; what was pushed meanwhile goes to
// the delivery goroutine. Without a lock when nothing was: a push stores
// queued before it looks at running, and this clears running before it
// looks at queued, so one of the two sees the other (sequentially
// consistent atomics) and the goroutine is started.
func (d *deliverer[T]) endInline(g *drainGroup) {
	d.running.Store(false)
	if d.queued.Load() == 0 {
		return
	}
	d.mu.Lock()
	d.startLocked(g)
	d.mu.Unlock()
}

// takeStarted reports whether a push started the delivery goroutine since
// the last call.
func (d *deliverer[T]) takeStarted() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.started
	d.started = false
	return s
}

// anyBusy reports whether one of ds has values queued or being delivered.
func anyBusy[T any](ds []*deliverer[T]) bool {
	for _, d := range ds {
		if d.busy() {
			return true
		}
	}
	return false
}

// busy reports whether values are queued or being delivered.
func (d *deliverer[T]) busy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running.Load() || len(d.q) > 0
}

// barrier arranges for mark to run once every value pushed so far has
// been delivered, and reports true; it reports false (and mark is not
// kept) when nothing is pending or being delivered.
func (d *deliverer[T]) barrier(mark func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running.Load() || d.cancelled.Load() {
		return false
	}
	d.q = append(d.q, delivery[T]{mark: mark})
	d.queued.Store(int32(len(d.q)))
	return true
}

func (d *deliverer[T]) run() {
	d.mu.Lock()
	g := d.g
	d.mu.Unlock()
	defer g.done()
	var batch []delivery[T]
	idle := 0
	for {
		// Take everything pending at once: one lock per batch, not per
		// value, so the connection pushing and this goroutine delivering
		// rarely contend.
		d.mu.Lock()
		if batch != nil {
			clear(batch)
			d.spare = batch[:0]
		}
		d.taken = 0
		if len(d.q) == 0 && idle < lingerYields {
			// Under a stream of events the next is usually a moment
			// away: yield before exiting, rather than have the pusher
			// start a goroutine for each.
			d.mu.Unlock()
			idle++
			runtime.Gosched()
			continue
		}
		if len(d.q) == 0 {
			d.overflowing = false
			d.running.Store(false)
			d.mu.Unlock()
			return
		}
		idle = 0
		// Two arrays take turns: the pushers fill one while this
		// goroutine delivers the other.
		batch, d.q, d.spare = d.q, d.spare, nil
		d.queued.Store(0)
		d.taken = len(batch)
		d.mu.Unlock()
		for i := range batch {
			switch it := &batch[i]; {
			case it.mark != nil:
				it.mark()
			case !d.cancelled.Load():
				d.fn(it.v)
			}
		}
	}
}

// cancel stops delivery: no callback starts after it returns (one in
// progress on the delivery goroutine may finish). Barriers not yet taken
// by the goroutine run now, so nothing waits for values that will never
// be delivered (those of the batch being delivered run when its callback
// returns).
func (d *deliverer[T]) cancel() {
	d.cancelled.Store(true)
	d.mu.Lock()
	pending := d.q
	d.q = nil
	d.queued.Store(0)
	d.mu.Unlock()
	for _, it := range pending {
		if it.mark != nil {
			it.mark()
		}
	}
}

// afterDelivered runs f once every deliverer in ds has delivered what was
// pushed to it before the call: at once when none has anything pending.
// A call's reply uses it so that, as in Qt, a subscriber sees the events
// that preceded the reply on the wire before the caller sees the reply.
func afterDelivered[T any](ds []*deliverer[T], f func()) {
	if !anyBusy(ds) {
		f()
		return
	}
	var mu sync.Mutex
	left := len(ds) + 1
	done := func() {
		mu.Lock()
		left--
		last := left == 0
		mu.Unlock()
		if last {
			f()
		}
	}
	for _, d := range ds {
		if !d.barrier(done) {
			done()
		}
	}
	done()
}

// drainGroup counts running delivery goroutines, so that Close and
// Shutdown can wait for them. Unlike a sync.WaitGroup it may go from zero
// to one while someone waits.
type drainGroup struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero; nil while n is zero
}

func (g *drainGroup) add() {
	g.mu.Lock()
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
	g.mu.Unlock()
}

func (g *drainGroup) done() {
	g.mu.Lock()
	g.n--
	if g.n == 0 {
		close(g.idle)
		g.idle = nil
	}
	g.mu.Unlock()
}

// wait returns when no delivery goroutine runs, or with ctx's error.
func (g *drainGroup) wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		idle := g.idle
		g.mu.Unlock()
		if idle == nil {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
