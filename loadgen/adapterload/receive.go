package adapterload

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/seq"
	"github.com/qtro/qtro/specs/contract"
)

// Replica is a replica the adapter holds, as receive and calls runs use it.
type Replica struct {
	// Key names it in the contract (the acquire's "as").
	Key string
	Rep *node.Replica
	// SetTap gives a receive run every event of the replica (nil ends
	// it); while a tap is set the adapter writes no per-update events.
	SetTap func(tap func(node.Event))
}

// stream checks one stream of a receive run: the range check of §9.2,
// loadgen's detector for the rest.
type stream struct {
	name         string
	first, count int64
	det          seq.Detector
	outOfRange   int64
	firstNs      int64
	lastNs       int64
	timed        bool
	latencies    []int64
	received     int64 // every update, out of range too
}

func (t *stream) add(n, now, sentNs int64) {
	t.received++
	if t.firstNs == 0 {
		t.firstNs = now
	}
	t.lastNs = now
	if n < t.first || n >= t.first+t.count {
		t.outOfRange++
		return
	}
	dup := t.det.Duplicated + t.det.Stale
	t.det.Observe(n)
	if t.det.Duplicated+t.det.Stale == dup && t.timed {
		t.latencies = append(t.latencies, now-sentNs)
	}
}

func (t *stream) unique() int64 { return t.det.Received - t.det.Duplicated - t.det.Stale }

func (t *stream) summary() map[string]any {
	ps, u := 0.0, t.unique()
	if u > 1 {
		ps = perSecond(u-1, t.lastNs-t.firstNs)
	}
	o := map[string]any{"count": t.count, "first": t.first, "received": t.received, "unique": u,
		"missing": t.count - u, "duplicates": t.det.Duplicated + t.det.Stale, "reordered": t.det.Reordered,
		"outOfRange": t.outOfRange, "firstNs": t.firstNs, "lastNs": t.lastNs, "elapsedNs": t.lastNs - t.firstNs,
		"perSecond": ps}
	if t.timed {
		o["latency"] = latencyJSON(t.latencies)
	}
	return o
}

// Receive prepares a receive run (§9.2) of command c on a Tick replica:
// it counts count updates of each stream (props, signals, payload) until
// all arrived, timeoutMs passed or nothing came for idleMs.
func Receive(c contract.Command, r Replica) (*Run, error) {
	cls := r.Rep.Class()
	if cls == nil {
		return refuse(contract.BadArgs, fmt.Sprintf("dynamic replica %s is not initialized", r.Key))
	}
	counterProp := cls.PropertyIndex("counter")
	tickIdx, payloadIdx := cls.SignalIndex("tick"), cls.SignalIndex("payload")
	if counterProp < 0 || cls.Properties[counterProp].Notify < 0 || tickIdx < 0 || payloadIdx < 0 {
		return refuse(contract.BadArgs, "receive load needs a Tick replica")
	}
	count := c.Int("count", 0)
	if count <= 0 || count > 100000000 {
		return refuse(contract.BadArgs, "need 0 < count <= 1e8")
	}
	names := c.Strings("streams")
	if len(names) == 0 {
		names = []string{contract.LoadProps}
	}
	baselineV, _ := r.Rep.Property("counter")
	baseline := baselineV.Int()
	var streams []*stream
	byKind := map[string]*stream{}
	for _, s := range names {
		t := &stream{name: s, first: 1, count: count}
		switch s {
		case contract.LoadProps:
			t.first = baseline + 1
		case contract.LoadSignals, contract.LoadPayload:
			t.timed, t.latencies = true, make([]int64, 0, count)
		default:
			return refuse(contract.BadArgs, fmt.Sprintf("unknown stream %s (props, signals, payload)", s))
		}
		// A window as wide as the run keeps the counts exact (a hole is
		// never forgotten); Expect makes a first update above first a hole.
		t.det.Window = int(count)
		t.det.Expect(t.first)
		streams = append(streams, t)
		byKind[s] = t
	}
	timeout := timeoutOf(c, 30000)
	idleNs := c.Int("idleMs", 5000) * int64(time.Millisecond)

	var mu sync.Mutex
	var lastNs int64
	done := make(chan struct{})
	var doneOnce sync.Once
	tap := func(ev node.Event) {
		now := clock.Now()
		mu.Lock()
		defer mu.Unlock()
		props, ticks, pays := byKind[contract.LoadProps], byKind[contract.LoadSignals], byKind[contract.LoadPayload]
		switch {
		case ev.Kind == node.PropertyChanged && ev.Index == counterProp && props != nil:
			props.add(ev.Value.Int(), now, 0)
		case ev.Kind == node.SignalEmitted && ev.Index == tickIdx && ticks != nil && len(ev.Args) >= 2:
			ticks.add(ev.Args[0].Int(), now, ev.Args[1].Int())
		case ev.Kind == node.SignalEmitted && ev.Index == payloadIdx && pays != nil && len(ev.Args) >= 2:
			pays.add(ev.Args[0].Int(), now, ev.Args[1].Int())
		default:
			return
		}
		lastNs = now
		for _, t := range streams {
			if t.unique() < t.count {
				return
			}
		}
		doneOnce.Do(func() { close(done) })
	}
	r.SetTap(tap)
	startNs, cpu0 := clock.Now(), cpuNs()
	body := func(ctx context.Context, finish func(contract.Fields)) {
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		idle := time.NewTicker(100 * time.Millisecond)
		defer idle.Stop()
		outcome := ""
		for outcome == "" {
			select {
			case <-ctx.Done():
				r.SetTap(nil) // the next run must not inherit quiet
				return
			case <-done:
				outcome = "complete"
			case <-deadline.C:
				outcome = "timeout"
			case <-idle.C:
				mu.Lock()
				if idleNs > 0 && lastNs != 0 && clock.Now()-lastNs > idleNs {
					outcome = "idle"
				}
				mu.Unlock()
			}
		}
		r.SetTap(nil)
		mu.Lock()
		sums := map[string]any{}
		for _, t := range streams {
			sums[t.name] = t.summary()
		}
		mu.Unlock()
		finish(summary("role", contract.RoleNode, "mode", contract.LoadReceive, "outcome", outcome,
			"startNs", startNs, "cpuNs", cpuNs()-cpu0, "streams", sums))
	}
	return &Run{Result: []any{"baseline", baseline}, Body: body}, nil
}
