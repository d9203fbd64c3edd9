package nodeadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/pace"
	"github.com/qtro/qtro/loadgen/seq"
	"github.com/qtro/qtro/specs/contract"
)

// Load modes (specs/ADAPTER.md §9), as fixtures/peer/load.cpp runs them:
// the host modes send through loadgen's pacing loop, the receive mode
// counts with loadgen's sequence detector.

// loads tracks the active run of each kind (host, receive, replicas,
// calls): one at a time per kind.
type loads struct {
	mu      sync.Mutex
	running map[string]bool
	cancels []context.CancelFunc
	wg      sync.WaitGroup
	// kept holds the nodes of replicas runs with keep: closed at exit.
	kept []*node.Node
}

// run starts a load command of kind: prepare checks the command and
// returns the result's fields and the run, or an error name and message.
// The result is written before the run starts; the run calls finish with
// its summary (a run that never does, aborted at exit, writes none). The
// kind is free again before the summary is written, so the harness may
// start the next run as soon as it reads it: after finish a run must not
// touch what the next one may have set up.
func (a *adapter) runLoad(c contract.Command, kind string,
	prepare func() (kv []any, run func(ctx context.Context, finish func(contract.Fields)), errName contract.ErrorName, msg string)) {
	l := &a.loads
	l.mu.Lock()
	if l.running == nil {
		l.running = map[string]bool{}
	}
	busy := l.running[kind]
	l.running[kind] = true
	l.mu.Unlock()
	if busy {
		a.fail(c, contract.Busy, "a load run is active")
		return
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.running, kind)
			l.mu.Unlock()
		})
	}
	kv, run, errName, msg := prepare()
	if errName != "" {
		release()
		a.fail(c, errName, msg)
		return
	}
	a.ok(c, kv...)
	ctx, cancel := context.WithCancel(a.ctx)
	l.mu.Lock()
	l.cancels = append(l.cancels, cancel)
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer cancel()
		defer release()
		run(ctx, func(sum contract.Fields) {
			release()
			a.ev.send(sum)
		})
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
		return s[min(max(int(math.Ceil(p*float64(len(s))))-1, 0), len(s)-1)]
	}
	o["minNs"], o["meanNs"], o["maxNs"] = s[0], int64(sum/float64(len(s))), s[len(s)-1]
	o["p50Ns"], o["p90Ns"], o["p99Ns"], o["p999Ns"] = pct(0.50), pct(0.90), pct(0.99), pct(0.999)
	return o
}

// summary starts a loadSummary event with its fields (key, value pairs).
func summary(kv ...any) contract.Fields {
	e := event(contract.EvLoadSummary)
	for i := 0; i+1 < len(kv); i += 2 {
		e.Set(kv[i].(string), kv[i+1])
	}
	return e
}

// timeoutOf reads a timeoutMs field, bounded to 1 ms … 1 h.
func timeoutOf(c contract.Command, def int64) time.Duration {
	return time.Duration(min(max(c.Int("timeoutMs", def), 1), 3600000)) * time.Millisecond
}

func (a *adapter) cmdLoad(c contract.Command) {
	switch mode := c.Str("mode", ""); {
	case a.src != nil && (mode == contract.LoadProps || mode == contract.LoadSignals || mode == contract.LoadPayload || mode == contract.LoadBoth):
		a.runLoad(c, "host", func() ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
			return a.hostLoad(c, mode)
		})
	case a.node != nil && mode == contract.LoadReceive:
		a.runLoad(c, mode, func() ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
			return a.receiveLoad(c)
		})
	case a.node != nil && mode == contract.LoadReplicas:
		a.runLoad(c, mode, func() ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
			return a.replicasLoad(c)
		})
	case a.node != nil && mode == contract.LoadCalls:
		a.runLoad(c, mode, func() ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
			return a.callsLoad(c)
		})
	default:
		a.fail(c, contract.Unsupported, fmt.Sprintf("load mode %q is not available in role %s", mode, a.opt.Role))
	}
}

// ---- host: props, signals, payload, both (§9.1) ----

func (a *adapter) hostLoad(c contract.Command, mode string) ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
	s := a.src
	if s.typ != contract.TypeTick {
		return nil, nil, contract.BadArgs, "host load needs --type tick"
	}
	count, batch := c.Int("count", 0), c.Int("batch", 1)
	rate := c.Float("rate", 0)
	payloadBytes := c.Int("payloadBytes", 0)
	progressNs := c.Int("progressMs", 1000) * int64(time.Millisecond)
	if count <= 0 || batch <= 0 || rate < 0 || payloadBytes < 0 || payloadBytes > 1<<30 {
		return nil, nil, contract.BadArgs, "need count > 0, batch > 0, rate >= 0, 0 <= payloadBytes <= 1 GiB"
	}
	counterIdx := s.cls.PropertyIndex("counter")
	tickIdx, payloadIdx := s.cls.SignalIndex("tick"), s.cls.SignalIndex("payload")
	counter, _ := s.root.Property("counter")
	firstCounter := counter.Int() + 1
	payload := qds.ByteArrayOf(bytes.Repeat([]byte{'x'}, int(payloadBytes)))
	props := mode == contract.LoadProps || mode == contract.LoadBoth
	ticks := mode == contract.LoadSignals || mode == contract.LoadBoth
	s.quiet.Store(true)
	run := func(ctx context.Context, finish func(contract.Fields)) {
		root := s.root
		cpu0, start := cpuNs(), clock.Now()
		// A turn is B steps; between turns the connections' writers
		// flush, as the Qt peer returns to its event loop.
		loop := pace.Loop{Batch: batch, Count: count, Yield: true}
		if rate > 0 {
			loop.At = pace.Rate(start, rate)
		}
		lastProgress := start
		st := loop.Run(ctx, func(t pace.Turn) bool {
			for sent := t.First; sent < t.First+t.N; sent++ {
				seq := sent + 1
				if props {
					_ = root.SetPropertyIndex(counterIdx, qds.IntOf(int32(firstCounter+sent)))
				}
				if ticks {
					_ = root.EmitIndex(tickIdx, qds.LongLongOf(seq), qds.LongLongOf(clock.Now()))
				}
				if mode == contract.LoadPayload {
					_ = root.EmitIndex(payloadIdx, qds.LongLongOf(seq), qds.LongLongOf(clock.Now()), payload)
				}
			}
			if after, sent := clock.Now(), t.First+t.N; sent < count && after-lastProgress >= progressNs {
				lastProgress = after
				e := event(contract.EvLoadProgress)
				e.Set("mode", mode)
				e.Set("sent", sent)
				a.ev.send(e)
			}
			return true
		})
		if ctx.Err() != nil {
			s.quiet.Store(false) // the next run must not inherit quiet
			return               // shutting down: no summary
		}
		elapsed := clock.Now() - start
		s.quiet.Store(false)
		s.refresh()
		finish(summary("role", contract.RoleHost, "mode", mode, "count", count, "sent", st.Units, "batch", batch,
			"rate", rate, "turns", st.Turns, "payloadBytes", payloadBytes, "firstCounter", firstCounter,
			"elapsedNs", elapsed, "perSecond", perSecond(st.Units, elapsed), "cpuNs", cpuNs()-cpu0))
	}
	return []any{"firstCounter", firstCounter, "firstSeq", 1}, run, "", ""
}

// ---- node: receive (§9.2) ----

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

func (a *adapter) receiveLoad(c contract.Command) ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
	e, err := a.replicaFor(c)
	if err != nil {
		return nil, nil, contract.BadArgs, err.Error()
	}
	cls := e.rep.Class()
	if cls == nil {
		return nil, nil, contract.BadArgs, fmt.Sprintf("dynamic replica %s is not initialized", e.key)
	}
	counterProp := cls.PropertyIndex("counter")
	tickIdx, payloadIdx := cls.SignalIndex("tick"), cls.SignalIndex("payload")
	if counterProp < 0 || cls.Properties[counterProp].Notify < 0 || tickIdx < 0 || payloadIdx < 0 {
		return nil, nil, contract.BadArgs, "receive load needs a Tick replica"
	}
	count := c.Int("count", 0)
	if count <= 0 || count > 100000000 {
		return nil, nil, contract.BadArgs, "need 0 < count <= 1e8"
	}
	names := c.Strings("streams")
	if len(names) == 0 {
		names = []string{contract.LoadProps}
	}
	baselineV, _ := e.rep.Property("counter")
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
			return nil, nil, contract.BadArgs, fmt.Sprintf("unknown stream %s (props, signals, payload)", s)
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
	e.setTap(tap)
	startNs, cpu0 := clock.Now(), cpuNs()
	run := func(ctx context.Context, finish func(contract.Fields)) {
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		idle := time.NewTicker(100 * time.Millisecond)
		defer idle.Stop()
		outcome := ""
		for outcome == "" {
			select {
			case <-ctx.Done():
				e.setTap(nil) // the next run must not inherit quiet
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
		e.setTap(nil)
		mu.Lock()
		sums := map[string]any{}
		for _, t := range streams {
			sums[t.name] = t.summary()
		}
		mu.Unlock()
		finish(summary("role", contract.RoleNode, "mode", contract.LoadReceive, "outcome", outcome,
			"startNs", startNs, "cpuNs", cpuNs()-cpu0, "streams", sums))
	}
	return []any{"baseline", baseline}, run, "", ""
}

// ---- node: replicas, an initialization storm (§9.3) ----

func (a *adapter) replicasLoad(c contract.Command) ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
	count := c.Int("count", 0)
	if count <= 0 || count > 100000 {
		return nil, nil, contract.BadArgs, "need 0 < count <= 100000"
	}
	object := c.Str("object", a.opt.ObjectName())
	typ := c.Str("type", a.opt.Type)
	dynamic := c.Str("mode", contract.ModeName(a.opt.Dynamic)) == contract.ModeDynamic
	static, hasStatic := contract.StaticClass(typ)
	if !dynamic && !hasStatic {
		return nil, nil, contract.BadArgs, "no static replica class for type " + typ
	}
	url := c.Str("url", a.opt.URL)
	registry := a.opt.Registry
	if url == "" && registry == "" {
		return nil, nil, contract.BadArgs, "need a url or a registry"
	}
	keep := c.Bool("keep", false)
	timeout := timeoutOf(c, 60000)
	run := func(ctx context.Context, finish func(contract.Fields)) {
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
		states := map[string]any{}
		for _, r := range reps {
			st := r.State().String()
			n, _ := states[st].(int64)
			states[st] = n + 1
		}
		finish(summary("role", contract.RoleNode, "mode", contract.LoadReplicas, "outcome", outcome, "count", count,
			"valid", valid.Load(), "nodeErrors", nodeErrors.Load(), "createNs", createdNs-startNs,
			"firstValidNs", fv, "elapsedNs", last-startNs, "perSecond", perSecond(valid.Load(), last-startNs),
			"cpuNs", cpuNs()-cpu0, "states", states))
		if keep {
			a.loads.mu.Lock()
			a.loads.kept = append(a.loads.kept, nodes...)
			a.loads.mu.Unlock()
			return
		}
		closeNodes(nodes)
	}
	return nil, run, "", ""
}

// ---- node: calls, round trips (§9.4) ----

func (a *adapter) callsLoad(c contract.Command) ([]any, func(context.Context, func(contract.Fields)), contract.ErrorName, string) {
	e, err := a.replicaFor(c)
	if err != nil {
		return nil, nil, contract.BadArgs, err.Error()
	}
	if !e.rep.IsInitialized() {
		return nil, nil, contract.BadArgs, fmt.Sprintf("replica %s is not initialized", e.key)
	}
	cls := e.rep.Class()
	echo := contract.FindMethod(cls.Methods, "echo", 1)
	if echo < 0 || cls.Methods[echo].Params[0].Type != "qint64" && cls.Methods[echo].Params[0].Type != "qlonglong" {
		return nil, nil, contract.BadArgs, "calls load needs a Tick replica (echo(qint64))"
	}
	count, inflight := c.Int("count", 0), c.Int("inflight", 1)
	if count <= 0 || inflight <= 0 || count > 100000000 {
		return nil, nil, contract.BadArgs, "need 0 < count <= 1e8 and inflight > 0"
	}
	timeout := timeoutOf(c, 60000)
	rep := e.rep
	run := func(ctx context.Context, finish func(contract.Fields)) {
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
		finish(summary("role", contract.RoleNode, "mode", contract.LoadCalls, "outcome", outcome, "count", count,
			"inflight", inflight, "completed", completed.Load(), "errors", errs.Load(),
			"mismatches", mismatches.Load(), "elapsedNs", elapsed, "perSecond", perSecond(completed.Load(), elapsed),
			"cpuNs", cpuNs()-cpu0, "rtt", latencyJSON(rtts)))
	}
	return nil, run, "", ""
}
