package node

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A connection's reader delivers a replica's events inline, calling each
// subscription's callback itself when that subscription has nothing
// queued: no goroutine hand-off on the latency path. A watchdog makes
// sure a callback cannot stall the connection: one that has run for
// stallAfter has its subscription switched to queued delivery for good
// (reported as a *SlowCallbackError), the rest of the delivery it held up
// is queued, and a new goroutine takes over reading the connection. The
// stuck reader ends when its callback returns.
const (
	stallAfter = 100 * time.Millisecond
	stallScan  = 25 * time.Millisecond
)

// SlowCallbackError reports that a replica subscription's callback ran
// for longer than the node lets a connection wait: the connection went on
// without it, and the subscription now gets its events on its own
// goroutine, queued (bounded by Config.MaxQueuedEvents). It unwraps to
// ErrSlowSubscriber.
type SlowCallbackError struct {
	Replica string        // the replica's name
	After   time.Duration // how long the callback had run
}

func (e *SlowCallbackError) Error() string {
	return fmt.Sprintf("%s: replica %q: a callback ran for %s; its events are queued from now on", ErrSlowSubscriber, e.Replica, e.After)
}

// Unwrap returns ErrSlowSubscriber.
func (e *SlowCallbackError) Unwrap() error { return ErrSlowSubscriber }

// inflight is an inline delivery in progress: events evs of replica ri
// to subscriptions subs, at subscription k. A connection reuses one until a
// takeOver leaves it to the stuck reader.
type inflight struct {
	ri   *replicaImpl
	subs []*deliverer[Event]
	evs  []Event
	k    int // under the connection's dmu, as ri, subs and evs
	// pos is j<<1 | taken: the reader is delivering evs[j] to subs[k], and
	// taken says takeOver has queued what follows it. The reader advances j
	// and takeOver sets taken by compare-and-swap, so at each event boundary
	// exactly one of them wins, with no lock per event.
	pos atomic.Int64
	one [1]Event // evs of a single event, without an allocation
}

// deliverOne is deliver of one event.
func (r *replicaImpl) deliverOne(c *clientConn, ev Event) {
	r.deliverEvents(c, nil, ev)
}

// flight returns the connection's inflight record (under c.dmu).
func (c *clientConn) flight() *inflight {
	if c.fl == nil {
		c.fl = &inflight{}
	}
	return c.fl
}

// deliver hands evs to every subscription of r, from c's reader: inline
// to a subscription with nothing queued, queued to the others.
func (r *replicaImpl) deliver(c *clientConn, evs []Event) {
	if len(evs) > 0 {
		r.deliverEvents(c, evs, Event{})
	}
}

// deliverEvents is deliver of evs, or, when evs is nil, of the one event
// one (kept in the connection's inflight record while delivered inline, so
// that a single event costs no allocation). It takes c.dmu once per
// subscription delivered inline, never per event: the reader and a
// takeOver meet on inflight.pos.
func (r *replicaImpl) deliverEvents(c *clientConn, evs []Event, one Event) {
	r.mu.Lock()
	subs := r.subList
	parent, prop := r.parent, r.parentProp
	r.mu.Unlock()
	// queued is evs for the paths that copy them (push, childEvents): for
	// a single event, a local array made only when one of them runs (an
	// Event is large; the inline path needs no copy of it).
	var local [1]Event
	queued := func() []Event {
		if evs != nil {
			return evs
		}
		local[0] = one
		return local[:]
	}
	if parent != nil {
		// Queued before this child's own inline delivery, so that a stall
		// there cannot reorder them with the parent's later events.
		parent.dispatch(childEvents(queued(), prop)...)
	}
	var fl *inflight
	started := false
	for k, d := range subs {
		if !d.beginInline(&r.n.cbs) {
			if dropped, first := d.push(&r.n.cbs, queued()...); dropped > 0 {
				r.n.dropped(dropped, first, "replica", r.name, d.max)
			}
			started = d.takeStarted() || started
			continue
		}
		c.dmu.Lock()
		if fl == nil {
			fl = c.flight()
			if evs == nil {
				fl.one[0] = one
				evs = fl.one[:]
			}
		}
		fl.ri, fl.subs, fl.evs, fl.k = r, subs, evs, k
		fl.pos.Store(0)
		if c.cur != fl {
			c.cur = fl // stays after the delivery: with cbSince 0 takeOver leaves it alone
		}
		c.dmu.Unlock()
		taken := false
		for j := range evs {
			c.cbSince.Store(watchTick.Load()) // a clock read per event would cost more
			if !d.cancelled.Load() {
				d.fn(evs[j])
			}
			c.cbSince.Store(0)
			if !fl.pos.CompareAndSwap(int64(j)<<1, int64(j+1)<<1) {
				taken = true // takeOver queued evs[j+1:] and the later subscriptions
				break
			}
		}
		d.endInline(&r.n.cbs)
		if taken {
			return
		}
	}
	if started {
		runtime.Gosched()
	}
}

// childEvents copies a child replica's property changes and signals for
// its parent's subscriptions, naming the CLASS property prop.
func childEvents(evs []Event, prop string) []Event {
	var out []Event
	for _, ev := range evs {
		if ev.Kind == PropertyChanged || ev.Kind == SignalEmitted {
			ev.Child = prop
			out = append(out, ev)
		}
	}
	return out
}

// takeOver moves the delivery c's reader is stuck in to the queues and
// has a new goroutine read the connection.
func (c *clientConn) takeOver() {
	c.dmu.Lock()
	fl := c.cur
	if fl == nil {
		c.dmu.Unlock()
		return
	}
	// pos before cbSince: if pos is still the same at the swap, the reader
	// was inside event pos>>1 all along, so since is that event's start.
	pos := fl.pos.Load()
	since := c.cbSince.Load()
	if pos&1 != 0 || since == 0 || watchTick.Load()-since < stallTicks || !fl.pos.CompareAndSwap(pos, pos|1) {
		c.dmu.Unlock()
		return // taken already, or the callback returned meanwhile
	}
	j := int(pos >> 1)
	c.cur = nil
	c.fl = nil // the stuck reader keeps this one; the next reader gets its own
	ri, g := fl.ri, &c.n.cbs
	stuck := fl.subs[fl.k]
	stuck.slow.Store(true)
	// The stuck subscription is still running: what is pushed now waits
	// for its callback to return. Pushed before the new reader starts, so
	// every subscription keeps wire order.
	if dropped, first := stuck.push(g, fl.evs[j+1:]...); dropped > 0 {
		c.n.dropped(dropped, first, "replica", ri.name, stuck.max)
	}
	for _, d := range fl.subs[fl.k+1:] {
		if dropped, first := d.push(g, fl.evs...); dropped > 0 {
			c.n.dropped(dropped, first, "replica", ri.name, d.max)
		}
	}
	c.mu.Lock()
	st := c.st
	c.mu.Unlock()
	c.gen.Add(1) // the stuck reader ends when its callback returns
	c.n.wg.Add(1)
	go c.runFrom(st)
	c.dmu.Unlock()
	c.n.slowCallbacks.Add(1)
	c.n.errs.report(&SlowCallbackError{Replica: ri.name, After: time.Duration(watchTick.Load()-since+1) * stallScan})
}

// watchTick counts the watchdog's scans (from 1, so that a callback's
// start is never 0): a callback entered at tick t has run for at least
// (now-t-1) scans.
var watchTick atomic.Int64

// stallTicks is stallAfter in scans, plus the one a callback may have
// started just before.
const stallTicks = int64(stallAfter/stallScan) + 1

func init() { watchTick.Store(1) }

// watchdog scans the connections being read for a reader stuck in a
// callback. Its goroutine runs while some connection is watched.
var watchdog struct {
	mu    sync.Mutex
	conns map[*clientConn]struct{}
	stop  chan struct{}
}

func watch(c *clientConn) {
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	if watchdog.conns == nil {
		watchdog.conns = map[*clientConn]struct{}{}
	}
	watchdog.conns[c] = struct{}{}
	if watchdog.stop == nil {
		watchdog.stop = make(chan struct{})
		go watchLoop(watchdog.stop)
	}
}

func unwatch(c *clientConn) {
	watchdog.mu.Lock()
	defer watchdog.mu.Unlock()
	delete(watchdog.conns, c)
	if len(watchdog.conns) == 0 && watchdog.stop != nil {
		close(watchdog.stop)
		watchdog.stop = nil
	}
}

func watchLoop(stop chan struct{}) {
	t := time.NewTicker(stallScan)
	defer t.Stop()
	var stuck []*clientConn
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := watchTick.Add(1)
		stuck = stuck[:0]
		watchdog.mu.Lock()
		for c := range watchdog.conns {
			if since := c.cbSince.Load(); since != 0 && now-since >= stallTicks {
				stuck = append(stuck, c)
			}
		}
		watchdog.mu.Unlock()
		for _, c := range stuck {
			c.takeOver()
		}
	}
}
