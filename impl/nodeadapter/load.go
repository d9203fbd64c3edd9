package nodeadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// Load modes (specs/ADAPTER.md §9), as fixtures/peer/load.cpp runs them.

type loadKind int

const (
	loadHost loadKind = iota
	loadReceive
	loadReplicas
	loadCalls
	loadKinds
)

// loads tracks the active run of each kind.
type loads struct {
	mu sync.Mutex
	// running holds the token of each kind's active run (0: none).
	running [loadKinds]uint64
	next    uint64
	cancels []context.CancelFunc
	wg      sync.WaitGroup
	// kept holds the nodes of replicas runs with keep: closed at exit.
	kept []*node.Node
}

// begin claims kind and returns the run's token; 0 means busy.
func (l *loads) begin(k loadKind) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[k] != 0 {
		return 0
	}
	l.next++
	l.running[k] = l.next
	return l.next
}

// end releases kind if run still holds it. A run ends before it writes its
// summary, so the harness may start the next one as soon as it reads it.
func (l *loads) end(k loadKind, run uint64) {
	l.mu.Lock()
	if l.running[k] == run {
		l.running[k] = 0
	}
	l.mu.Unlock()
}

// goRun runs fn in a goroutine that stop waits for; fn gets a function that
// ends the run.
func (l *loads) goRun(parent context.Context, k loadKind, run uint64, fn func(ctx context.Context, end func())) {
	ctx, cancel := context.WithCancel(parent)
	l.mu.Lock()
	l.cancels = append(l.cancels, cancel)
	l.mu.Unlock()
	l.wg.Add(1)
	end := func() { l.end(k, run) }
	go func() {
		defer l.wg.Done()
		defer cancel()
		defer end()
		fn(ctx, end)
	}()
}

// stop cancels every run, waits for them and closes kept nodes.
func (l *loads) stop() {
	l.mu.Lock()
	cancels := l.cancels
	l.cancels = nil
	l.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	l.wg.Wait()
	l.mu.Lock()
	kept := l.kept
	l.kept = nil
	l.mu.Unlock()
	closeNodes(kept)
}

func closeNodes(ns []*node.Node) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, n := range ns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = n.Close()
		}()
	}
	wg.Wait()
}

func perSecond(n, ns int64) float64 {
	if ns <= 0 {
		return 0
	}
	return float64(n) * 1e9 / float64(ns)
}

// latencyJSON summarises samples (ns) with nearest-rank percentiles.
func latencyJSON(s []int64) map[string]any {
	o := map[string]any{"count": len(s)}
	if len(s) == 0 {
		return o
	}
	slices.Sort(s)
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	pct := func(p float64) int64 {
		idx := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(idx, 0), len(s)-1)]
	}
	o["minNs"] = s[0]
	o["meanNs"] = int64(sum / float64(len(s)))
	o["p50Ns"] = pct(0.50)
	o["p90Ns"] = pct(0.90)
	o["p99Ns"] = pct(0.99)
	o["p999Ns"] = pct(0.999)
	o["maxNs"] = s[len(s)-1]
	return o
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *adapter) cmdLoad(c contract.Command) {
	mode := c.Str("mode", "")
	switch {
	case a.src != nil && (mode == "props" || mode == "signals" || mode == "payload" || mode == "both"):
		a.hostLoad(c, mode)
	case a.node != nil && mode == "receive":
		a.receiveLoad(c)
	case a.node != nil && mode == "replicas":
		a.replicasLoad(c)
	case a.node != nil && mode == "calls":
		a.callsLoad(c)
	default:
		a.fail(c, contract.Unsupported, fmt.Sprintf("load mode %q is not available in role %s", mode, a.opt.Role))
	}
}

// ---- host: props, signals, payload, both ----

func (a *adapter) hostLoad(c contract.Command, mode string) {
	run := a.loads.begin(loadHost)
	if run == 0 {
		a.fail(c, contract.Busy, "a load run is active")
		return
	}
	started := false
	defer func() {
		if !started {
			a.loads.end(loadHost, run)
		}
	}()
	s := a.src
	if s.typ != contract.TypeTick {
		a.fail(c, contract.BadArgs, "host load needs --type tick")
		return
	}
	count, batch := c.Int("count", 0), c.Int("batch", 1)
	rate := c.Float("rate", 0)
	payloadBytes := c.Int("payloadBytes", 0)
	progressNs := c.Int("progressMs", 1000) * int64(time.Millisecond)
	if count <= 0 || batch <= 0 || rate < 0 || payloadBytes < 0 || payloadBytes > 1<<30 {
		a.fail(c, contract.BadArgs, "need count > 0, batch > 0, rate >= 0, 0 <= payloadBytes <= 1 GiB")
		return
	}
	counterIdx := s.cls.PropertyIndex("counter")
	tickIdx, payloadIdx := s.cls.SignalIndex("tick"), s.cls.SignalIndex("payload")
	counter, _ := s.root.Property("counter")
	firstCounter := counter.Int() + 1
	payload := qds.ByteArrayOf(bytes.Repeat([]byte{'x'}, int(payloadBytes)))
	props := mode == "props" || mode == "both"
	ticks := mode == "signals" || mode == "both"
	pays := mode == "payload"

	s.quiet.Store(true)
	a.ok(c, contract.Field{Key: "firstCounter", Value: firstCounter}, contract.Field{Key: "firstSeq", Value: 1})
	started = true
	a.loads.goRun(a.ctx, loadHost, run, func(ctx context.Context, end func()) {
		finished := false
		defer func() {
			if !finished { // aborted: the next run must not inherit quiet
				s.quiet.Store(false)
			}
		}()
		root := s.root
		cpu0 := cpuNs()
		start := clock.Now()
		lastProgress := start
		var sent, turns int64
		for sent < count {
			if ctx.Err() != nil {
				return // shutting down: no summary
			}
			now := clock.Now()
			n := min(batch, count-sent)
			if rate > 0 {
				due := min(count, int64(float64(now-start)*rate/1e9)+1)
				n = min(n, due-sent)
				if n <= 0 {
					next := float64(sent)*1e9/rate - float64(now-start)
					sleepCtx(ctx, time.Duration(next))
					continue
				}
			}
			turns++
			for range n {
				seq := sent + 1
				if props {
					_ = root.SetPropertyIndex(counterIdx, qds.IntOf(int32(firstCounter+sent)))
				}
				if ticks {
					_ = root.EmitIndex(tickIdx, []qds.Variant{qds.LongLongOf(seq), qds.LongLongOf(clock.Now())})
				}
				if pays {
					_ = root.EmitIndex(payloadIdx, []qds.Variant{qds.LongLongOf(seq), qds.LongLongOf(clock.Now()), payload})
				}
				sent++
			}
			after := clock.Now()
			if sent >= count {
				break
			}
			if after-lastProgress >= progressNs {
				lastProgress = after
				e := event(contract.EvLoadProgress)
				e.Set("mode", mode)
				e.Set("sent", sent)
				a.ev.send(e)
			}
			// The end of a turn: let the connections' writers flush, as
			// the Qt peer returns to its event loop.
			runtime.Gosched()
		}
		elapsed := clock.Now() - start
		s.quiet.Store(false)
		s.refresh()
		finished = true
		end()
		e := event(contract.EvLoadSummary)
		e.Set("role", "host")
		e.Set("mode", mode)
		e.Set("count", count)
		e.Set("sent", sent)
		e.Set("batch", batch)
		e.Set("rate", rate)
		e.Set("turns", turns)
		e.Set("payloadBytes", payloadBytes)
		e.Set("firstCounter", firstCounter)
		e.Set("elapsedNs", elapsed)
		e.Set("perSecond", perSecond(sent, elapsed))
		e.Set("cpuNs", cpuNs()-cpu0)
		a.ev.send(e)
	})
}

// ---- node: receive ----

// seqTracker checks one stream of sequence numbers.
type seqTracker struct {
	name       string
	first      int64
	count      int64
	seen       []bool
	received   int64
	unique     int64
	duplicates int64
	reordered  int64
	outOfRange int64
	maxSeen    int64
	firstNs    int64
	lastNs     int64
	timed      bool
	latencies  []int64
}

func (t *seqTracker) add(seq, now, sentNs int64) {
	t.received++
	if t.firstNs == 0 {
		t.firstNs = now
	}
	t.lastNs = now
	idx := seq - t.first
	if idx < 0 || idx >= t.count {
		t.outOfRange++
		return
	}
	if t.seen[idx] {
		t.duplicates++
		return
	}
	t.seen[idx] = true
	t.unique++
	if seq < t.maxSeen {
		t.reordered++
	} else {
		t.maxSeen = seq
	}
	if t.timed {
		t.latencies = append(t.latencies, now-sentNs)
	}
}

func (t *seqTracker) complete() bool { return t.unique >= t.count }

func (t *seqTracker) summary() map[string]any {
	ps := 0.0
	if t.unique > 1 {
		ps = perSecond(t.unique-1, t.lastNs-t.firstNs)
	}
	o := map[string]any{"count": t.count, "first": t.first, "received": t.received, "unique": t.unique,
		"missing": t.count - t.unique, "duplicates": t.duplicates, "reordered": t.reordered,
		"outOfRange": t.outOfRange, "firstNs": t.firstNs, "lastNs": t.lastNs, "elapsedNs": t.lastNs - t.firstNs,
		"perSecond": ps}
	if t.timed {
		o["latency"] = latencyJSON(t.latencies)
	}
	return o
}

func (a *adapter) receiveLoad(c contract.Command) {
	run := a.loads.begin(loadReceive)
	if run == 0 {
		a.fail(c, contract.Busy, "a load run is active")
		return
	}
	started := false
	defer func() {
		if !started {
			a.loads.end(loadReceive, run)
		}
	}()
	e, err := a.replicaFor(c)
	if err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	cls := e.rep.Class()
	if cls == nil {
		a.fail(c, contract.BadArgs, fmt.Sprintf("dynamic replica %s is not initialized", e.key))
		return
	}
	counterProp := cls.PropertyIndex("counter")
	tickIdx, payloadIdx := cls.SignalIndex("tick"), cls.SignalIndex("payload")
	if counterProp < 0 || cls.Properties[counterProp].Notify < 0 || tickIdx < 0 || payloadIdx < 0 {
		a.fail(c, contract.BadArgs, "receive load needs a Tick replica")
		return
	}
	count := c.Int("count", 0)
	if count <= 0 || count > 100000000 {
		a.fail(c, contract.BadArgs, "need 0 < count <= 1e8")
		return
	}
	var streams []string
	if l, ok := c["streams"].([]any); ok {
		for _, x := range l {
			s, _ := x.(string)
			streams = append(streams, s)
		}
	}
	if len(streams) == 0 {
		streams = []string{"props"}
	}
	baselineV, _ := e.rep.Property("counter")
	baseline := baselineV.Int()
	trackers := make([]*seqTracker, 0, len(streams))
	var props, ticks, pays *seqTracker
	for _, s := range streams {
		t := &seqTracker{name: s, count: count, seen: make([]bool, count)}
		switch s {
		case "props":
			t.first = baseline + 1
			props = t
		case "signals", "payload":
			t.first, t.timed = 1, true
			t.latencies = make([]int64, 0, count)
			if s == "signals" {
				ticks = t
			} else {
				pays = t
			}
		default:
			a.fail(c, contract.BadArgs, fmt.Sprintf("unknown stream %s (props, signals, payload)", s))
			return
		}
		trackers = append(trackers, t)
	}
	timeout := time.Duration(min(max(c.Int("timeoutMs", 30000), 1), 3600000)) * time.Millisecond
	idleNs := c.Int("idleMs", 5000) * int64(time.Millisecond)

	var mu sync.Mutex
	var lastNs int64
	done := make(chan struct{})
	var doneOnce sync.Once
	tap := func(ev node.Event) {
		now := clock.Now()
		mu.Lock()
		defer mu.Unlock()
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
		for _, t := range trackers {
			if !t.complete() {
				return
			}
		}
		doneOnce.Do(func() { close(done) })
	}
	e.mu.Lock()
	e.quiet, e.tap = true, tap
	e.mu.Unlock()
	startNs, cpu0 := clock.Now(), cpuNs()
	a.ok(c, contract.Field{Key: "baseline", Value: baseline})
	started = true
	a.loads.goRun(a.ctx, loadReceive, run, func(ctx context.Context, end func()) {
		finished := false
		defer func() {
			if !finished { // aborted: the next run must not inherit quiet
				e.mu.Lock()
				e.quiet, e.tap = false, nil
				e.mu.Unlock()
			}
		}()
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		idle := time.NewTicker(100 * time.Millisecond)
		defer idle.Stop()
		outcome := ""
		for outcome == "" {
			select {
			case <-ctx.Done():
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
		e.mu.Lock()
		e.quiet, e.tap = false, nil
		e.mu.Unlock()
		finished = true
		mu.Lock()
		sums := map[string]any{}
		for _, t := range trackers {
			sums[t.name] = t.summary()
		}
		mu.Unlock()
		end()
		ev := event(contract.EvLoadSummary)
		ev.Set("role", "node")
		ev.Set("mode", "receive")
		ev.Set("outcome", outcome)
		ev.Set("startNs", startNs)
		ev.Set("cpuNs", cpuNs()-cpu0)
		ev.Set("streams", sums)
		a.ev.send(ev)
	})
}

// ---- node: replicas (initialization storm) ----

func (a *adapter) replicasLoad(c contract.Command) {
	run := a.loads.begin(loadReplicas)
	if run == 0 {
		a.fail(c, contract.Busy, "a load run is active")
		return
	}
	started := false
	defer func() {
		if !started {
			a.loads.end(loadReplicas, run)
		}
	}()
	count := c.Int("count", 0)
	if count <= 0 || count > 100000 {
		a.fail(c, contract.BadArgs, "need 0 < count <= 100000")
		return
	}
	object := c.Str("object", a.opt.ObjectName())
	typ := c.Str("type", a.opt.Type)
	dynamic := c.Str("mode", contract.ModeName(a.opt.Dynamic)) == "dynamic"
	static, hasStatic := contract.StaticClass(typ)
	if !dynamic && !hasStatic {
		a.fail(c, contract.BadArgs, "no static replica class for type "+typ)
		return
	}
	url := c.Str("url", a.opt.URL)
	registry := a.opt.Registry
	if url == "" && registry == "" {
		a.fail(c, contract.BadArgs, "need a url or a registry")
		return
	}
	keep := c.Bool("keep", false)
	timeout := time.Duration(min(max(c.Int("timeoutMs", 60000), 1), 3600000)) * time.Millisecond
	a.ok(c)
	started = true
	a.loads.goRun(a.ctx, loadReplicas, run, func(ctx context.Context, end func()) {
		var valid, nodeErrors, firstValid, lastValid atomic.Int64
		all := make(chan struct{})
		var allOnce sync.Once
		startNs, cpu0 := clock.Now(), cpuNs()
		cfg := a.config()
		nodes := make([]*node.Node, 0, count)
		reps := make([]*node.Replica, 0, count)
		for range count {
			if ctx.Err() != nil {
				break
			}
			n := node.NewNode(cfg)
			nodes = append(nodes, n)
			n.OnError(func(error) { nodeErrors.Add(1) })
			var rep *node.Replica
			var err error
			if dynamic {
				rep, err = n.AcquireDynamic(object)
			} else {
				rep, err = n.Acquire(object, static)
			}
			if err != nil {
				nodeErrors.Add(1)
				continue
			}
			reps = append(reps, rep)
			var seen atomic.Bool
			rep.Subscribe(func(ev node.Event) {
				if ev.Kind != node.Initialized || !seen.CompareAndSwap(false, true) {
					return
				}
				now := clock.Now()
				firstValid.CompareAndSwap(0, now)
				lastValid.Store(now)
				if valid.Add(1) == count {
					allOnce.Do(func() { close(all) })
				}
			})
			// Connect only now: the subscription must precede the Init.
			if url != "" {
				_ = n.ConnectToNode(url)
			} else if _, err := n.SetRegistryURL(registry); err != nil {
				nodeErrors.Add(1)
			}
		}
		createdNs := clock.Now()
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		outcome := "complete"
		select {
		case <-all:
		case <-deadline.C:
			outcome = "timeout"
		case <-ctx.Done():
			closeNodes(nodes)
			return
		}
		last := lastValid.Load()
		if outcome != "complete" || last == 0 {
			last = clock.Now()
		}
		fv := firstValid.Load()
		if fv != 0 {
			fv -= startNs
		}
		end()
		ev := event(contract.EvLoadSummary)
		ev.Set("role", "node")
		ev.Set("mode", "replicas")
		ev.Set("outcome", outcome)
		ev.Set("count", count)
		ev.Set("valid", valid.Load())
		ev.Set("nodeErrors", nodeErrors.Load())
		ev.Set("createNs", createdNs-startNs)
		ev.Set("firstValidNs", fv)
		ev.Set("elapsedNs", last-startNs)
		ev.Set("perSecond", perSecond(valid.Load(), last-startNs))
		ev.Set("cpuNs", cpuNs()-cpu0)
		states := map[string]any{}
		for _, r := range reps {
			st := r.State().String()
			n, _ := states[st].(int64)
			states[st] = n + 1
		}
		ev.Set("states", states)
		a.ev.send(ev)
		if keep {
			a.loads.mu.Lock()
			a.loads.kept = append(a.loads.kept, nodes...)
			a.loads.mu.Unlock()
			return
		}
		closeNodes(nodes)
	})
}

// ---- node: calls (round trips) ----

func (a *adapter) callsLoad(c contract.Command) {
	run := a.loads.begin(loadCalls)
	if run == 0 {
		a.fail(c, contract.Busy, "a load run is active")
		return
	}
	started := false
	defer func() {
		if !started {
			a.loads.end(loadCalls, run)
		}
	}()
	e, err := a.replicaFor(c)
	if err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	if !e.rep.IsInitialized() {
		a.fail(c, contract.BadArgs, fmt.Sprintf("replica %s is not initialized", e.key))
		return
	}
	cls := e.rep.Class()
	echo := contract.FindMethod(cls.Methods, "echo", 1)
	if echo < 0 || cls.Methods[echo].Params[0].Type != "qint64" && cls.Methods[echo].Params[0].Type != "qlonglong" {
		a.fail(c, contract.BadArgs, "calls load needs a Tick replica (echo(qint64))")
		return
	}
	count, inflight := c.Int("count", 0), c.Int("inflight", 1)
	if count <= 0 || inflight <= 0 || count > 100000000 {
		a.fail(c, contract.BadArgs, "need 0 < count <= 1e8 and inflight > 0")
		return
	}
	timeout := time.Duration(min(max(c.Int("timeoutMs", 60000), 1), 3600000)) * time.Millisecond
	a.ok(c)
	started = true
	rep := e.rep
	a.loads.goRun(a.ctx, loadCalls, run, func(ctx context.Context, end func()) {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var issued, completed, errs, mismatches atomic.Int64
		var mu sync.Mutex
		rtts := make([]int64, 0, count)
		start, cpu0 := clock.Now(), cpuNs()
		var wg sync.WaitGroup
		for range min(inflight, count) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rctx.Err() == nil {
					seq := issued.Add(1)
					if seq > count {
						return
					}
					sent := clock.Now()
					pc, err := rep.InvokeIndex(echo, []qds.Variant{qds.LongLongOf(seq)}, true)
					if err != nil {
						errs.Add(1)
						continue
					}
					v, err := pc.Wait(rctx)
					if err != nil {
						if rctx.Err() == nil {
							errs.Add(1)
						}
						continue
					}
					rtt := clock.Now() - sent
					mu.Lock()
					rtts = append(rtts, rtt)
					mu.Unlock()
					if v.Int() != seq {
						mismatches.Add(1)
					}
					completed.Add(1)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		outcome := "complete"
		if errors.Is(rctx.Err(), context.DeadlineExceeded) && completed.Load()+errs.Load() < count {
			outcome = "timeout"
		}
		elapsed := clock.Now() - start
		end()
		ev := event(contract.EvLoadSummary)
		ev.Set("role", "node")
		ev.Set("mode", "calls")
		ev.Set("outcome", outcome)
		ev.Set("count", count)
		ev.Set("inflight", inflight)
		ev.Set("completed", completed.Load())
		ev.Set("errors", errs.Load())
		ev.Set("mismatches", mismatches.Load())
		ev.Set("elapsedNs", elapsed)
		ev.Set("perSecond", perSecond(completed.Load(), elapsed))
		ev.Set("cpuNs", cpuNs()-cpu0)
		mu.Lock()
		ev.Set("rtt", latencyJSON(rtts))
		mu.Unlock()
		a.ev.send(ev)
	})
}
