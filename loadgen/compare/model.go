package compare

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/modelload"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/target/peer"
)

// Kinds of the item-model rows (issue 18 item 7): each runs on a model
// host process and a model replica process of the target
// (loadgen/modelload's protocol), started for the row.
const (
	// KindModelFirst: a model of Rows rows; Replicas fresh replicas one
	// after another, each timed from its connect until it has its first
	// Count rows (value: the median).
	KindModelFirst = "model-first"
	// KindModelInsert: Replicas replicas of an empty model; one insertion
	// of Rows rows; time from the insertion's intended start until every
	// replica has every row, each row's content checked (value: that time).
	KindModelInsert = "model-insert"
	// KindModelChanges: a model of Rows rows, Replicas replicas holding it;
	// dataChanged at rising constant rates (a step per Duration) with
	// latency from each change's intended time (value: the highest rate
	// at which every replica saw ≥ 99 % of the changes, and their p99 met
	// ModelChangesP99).
	KindModelChanges = "model-changes"
	// KindModelHostile: bad and hostile model requests at the host while
	// Replicas replicas take changes: what the host does (no ratio).
	KindModelHostile = "model-hostile"
)

// IsModel reports whether a workload kind is an item-model row (run on
// the target's model load program, not its adapter).
func IsModel(kind string) bool { return isModel(kind) }

func isModel(kind string) bool {
	return kind == KindModelFirst || kind == KindModelInsert || kind == KindModelChanges || kind == KindModelHostile
}

// ModelWorkloads are the model rows: a 100,000-row model read by
// fresh replicas, 10,000 rows inserted at once to 100 replicas, and
// dataChanged on a 1,000-row model with 10 replicas; then hostile
// requests at each host.
func ModelWorkloads() []Workload {
	return []Workload{
		{Name: "model-first100", Title: "100,000-row model: a fresh replica has its first 100 rows after (median of 50)", Kind: KindModelFirst,
			Rows: 100_000, Count: 100, Replicas: 50},
		{Name: "model-insert-10k", Title: "10,000 rows inserted at once, 100 replicas: all have every row after", Kind: KindModelInsert,
			Rows: 10_000, Replicas: 100},
		{Name: "model-changes", Title: "dataChanged/s sustained on a 1,000-row model, 10 replicas (p99 from intended time ≤ 100 ms, ≥ 99 % of changes seen)", Kind: KindModelChanges,
			Rows: 1000, Replicas: 10},
		{Name: "model-hostile", Title: "hostile model requests at the host while 10 replicas take changes", Kind: KindModelHostile,
			Rows: 1000, Replicas: 10},
	}
}

// ModelChangesP99 is the latency objective of the model-changes row
// (from each change's intended time, as every rate loadgen reports);
// ModelChangesLimit ends the rising rates.
const (
	ModelChangesP99   = 100 * time.Millisecond
	ModelChangesLimit = time.Second
)

// ModelChangesRates are the rates (changes/s) the model-changes row
// climbs, a step each.
var ModelChangesRates = []int64{100, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000, 50_000, 70_000, 100_000}

// modelPair is a target's model host and replica processes.
type modelPair struct {
	host, rep *modelload.Proc
}

func (m *modelPair) close() {
	if m.rep != nil {
		m.rep.Close()
	}
	if m.host != nil {
		m.host.Close()
	}
}

func (m *modelPair) snap() cpuSnap {
	u, s := result.CPUTime()
	return cpuSnap{at: time.Now(), host: peer.ProcCPU(m.host.Pid()), node: peer.ProcCPU(m.rep.Pid()), self: u + s, machine: result.MachineCPU()}
}

func startModel(ctx context.Context, t Target, cache int64, log io.Writer) (*modelPair, error) {
	if len(t.Model) == 0 {
		return nil, fmt.Errorf("%s: no model load program (unsupported)", t.Name)
	}
	argv := func(mode, url string, extra ...string) []string {
		a := append(append([]string{}, t.Model...), mode, url, "LoadModel")
		return append(append(a, t.ModelArgs...), extra...)
	}
	m := &modelPair{}
	var err error
	m.host, err = modelload.Start(ctx, t.Name+" model host", argv("--model-load-host", "tcp://127.0.0.1:0"), t.ModelEnv, log)
	if err != nil {
		return nil, err
	}
	m.rep, err = modelload.Start(ctx, t.Name+" model replicas", argv("--model-load-replica", m.host.URL(), "--cache", fmt.Sprint(cache)), t.ModelEnv, log)
	if err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

func fnum(m map[string]any, k string) int64 { return int64(num(m[k])) }

func latencyOf(c *Cell, ev map[string]any) {
	if l, ok := ev["latency"].(map[string]any); ok {
		c.P50, c.P99, c.P999, c.Max = fnum(l, "p50Ns"), fnum(l, "p99Ns"), fnum(l, "p999Ns"), fnum(l, "maxNs")
	}
}

// modelRow runs a model workload on a target's fresh model processes.
func modelRow(ctx context.Context, t Target, w Workload, d time.Duration, log io.Writer) (*Cell, error) {
	cache := max(w.Rows+w.Rows/5, 1000)
	if w.Kind == KindModelFirst {
		cache = 1000 // a replica as Qt makes it: the default cache
	}
	m, err := startModel(ctx, t, cache, log)
	if err != nil {
		return nil, err
	}
	defer m.close()
	switch w.Kind {
	case KindModelFirst:
		return modelFirst(ctx, m, w)
	case KindModelInsert:
		return modelInsert(ctx, m, w)
	case KindModelChanges:
		return modelChanges(ctx, m, w, d)
	}
	return modelHostile(ctx, m, w, d)
}

func modelFirst(ctx context.Context, m *modelPair, w Workload) (*Cell, error) {
	if _, err := m.host.Do(ctx, 2*time.Minute, fmt.Sprintf("reset %d", w.Rows), "reset"); err != nil {
		return nil, err
	}
	c := &Cell{Count: w.Replicas}
	a := m.snap()
	ev, err := m.rep.Do(ctx, time.Duration(w.Replicas)*30*time.Second, fmt.Sprintf("first %d %d 30000", w.Replicas, w.Count), "first")
	if err != nil {
		return nil, err
	}
	b := m.snap()
	c.Received = fnum(ev, "done")
	c.Missing = w.Replicas - c.Received
	c.Errors = fnum(ev, "bad")
	latencyOf(c, ev)
	account(c, a, b, w.Replicas)
	c.Value = float64(c.P50)
	c.Outcome = "complete"
	if c.Missing > 0 || c.Errors > 0 {
		c.Outcome = "incomplete"
		c.Note = fmt.Sprintf("%d of %d replicas got their rows, %d rows with wrong content; first error: %v", c.Received, w.Replicas, c.Errors, ev["firstError"])
	} else {
		c.Note = fmt.Sprintf("each fresh replica: connect → %d rows with their content checked; p50 %s, p99 %s, max %s (CPU/op: per replica)", w.Count, dur(c.P50), dur(c.P99), dur(c.Max))
	}
	return c, nil
}

// keepReplicas starts w.Replicas replicas in the replica process, holding fetch rows.
func keepReplicas(ctx context.Context, m *modelPair, w Workload, fetch int64) error {
	ev, err := m.rep.Do(ctx, 2*time.Minute, fmt.Sprintf("replicas %d %d 60000", w.Replicas, fetch), "replicas")
	if err != nil {
		return err
	}
	if r := fnum(ev, "ready"); r != w.Replicas {
		return fmt.Errorf("only %d of %d model replicas ready (rows %v)", r, w.Replicas, ev["rows"])
	}
	return nil
}

func modelInsert(ctx context.Context, m *modelPair, w Workload) (*Cell, error) {
	if _, err := m.host.Do(ctx, time.Minute, "reset 0", "reset"); err != nil {
		return nil, err
	}
	if err := keepReplicas(ctx, m, w, 0); err != nil {
		return nil, err
	}
	c := &Cell{Count: w.Replicas}
	at := clock.Now() + int64(300*time.Millisecond)
	if _, err := m.rep.Do(ctx, time.Minute, fmt.Sprintf("insert 0 %d 0 %d 120000", w.Rows, at), "armed"); err != nil {
		return nil, err
	}
	a := m.snap()
	hev, err := m.host.Do(ctx, time.Minute, fmt.Sprintf("insert 0 %d 0 %d", w.Rows, at), "inserted")
	if err != nil {
		return nil, err
	}
	ev, err := m.rep.Wait(ctx, 150*time.Second, "insert")
	if err != nil {
		return nil, err
	}
	b := m.snap()
	c.Received = fnum(ev, "complete")
	c.Missing = fnum(ev, "lost")
	c.Dup = fnum(ev, "duplicated")
	c.Errors = fnum(ev, "misplaced") + fnum(ev, "rowsBad")
	latencyOf(c, ev)
	c.Elapsed = c.Max
	account(c, a, b, w.Rows*w.Replicas)
	c.Value = float64(c.Max)
	c.Outcome = "complete"
	hostNs := fnum(hev, "endNs") - fnum(hev, "startNs")
	c.Note = fmt.Sprintf("content checked on every replica: %d lost, %d duplicated, %d misplaced rows, %d replicas with a wrong row count; "+
		"per replica p50 %s; the host's insertion took %s (CPU/op: per row per replica)",
		c.Missing, c.Dup, fnum(ev, "misplaced"), fnum(ev, "rowsBad"), dur(c.P50), dur(hostNs))
	if c.Received != w.Replicas || c.Missing != 0 || c.Dup != 0 || c.Errors != 0 {
		c.Outcome = "incomplete"
		c.Note = fmt.Sprintf("only %d of %d replicas had every row within 120 s; ", c.Received, w.Replicas) + c.Note
	}
	return c, nil
}

// changeStep runs one rate step of dataChanged; first numbers its changes.
func changeStep(ctx context.Context, m *modelPair, replicas, first, count, rate int64, d time.Duration) (ev map[string]any, lagMax int64, err error) {
	t0 := clock.Now() + int64(200*time.Millisecond)
	timeout := d + 20*time.Second
	if _, err := m.rep.Do(ctx, time.Minute, fmt.Sprintf("changes %d %d %d %d %d", first, count, rate, t0, timeout.Milliseconds()), "armed"); err != nil {
		return nil, 0, err
	}
	hev, err := m.host.Do(ctx, timeout+10*time.Second, fmt.Sprintf("changes %d %d %d %d", first, count, rate, t0), "changed")
	if err != nil {
		return nil, 0, err
	}
	ev, err = m.rep.Wait(ctx, timeout+10*time.Second, "changes")
	return ev, fnum(hev, "lagMaxNs"), err
}

func modelChanges(ctx context.Context, m *modelPair, w Workload, d time.Duration) (*Cell, error) {
	if _, err := m.host.Do(ctx, time.Minute, fmt.Sprintf("reset %d", w.Rows), "reset"); err != nil {
		return nil, err
	}
	if err := keepReplicas(ctx, m, w, w.Rows); err != nil {
		return nil, err
	}
	c := &Cell{Count: w.Replicas, States: map[string]any{}, Outcome: "complete"}
	first := int64(1_000_000)
	var best, best10, bestLimit int64
	var steps []string
	var ops int64
	a := m.snap()
	for _, rate := range ModelChangesRates {
		if w.Rate > 0 && float64(rate) > w.Rate {
			break // the row's highest step
		}
		count := max(int64(float64(rate)*d.Seconds()), 1)
		ev, lag, err := changeStep(ctx, m, w.Replicas, first, count, rate, d)
		if err != nil {
			return nil, err
		}
		first += count
		ops += count
		var p50, p99, mx int64
		if l, ok := ev["latency"].(map[string]any); ok {
			p50, p99, mx = fnum(l, "p50Ns"), fnum(l, "p99Ns"), fnum(l, "maxNs")
		}
		seen, expected, complete := fnum(ev, "seen"), fnum(ev, "expected"), fnum(ev, "complete")
		c.Errors += fnum(ev, "misplaced")
		// Kept up: every replica has every row's last value, at its row,
		// and saw at least 99 % of the changes (the rest were overwritten
		// before its refetch came back).
		ok := complete == w.Replicas && fnum(ev, "misplaced") == 0 && float64(seen) >= 0.99*float64(expected)
		c.States[fmt.Sprint(rate)] = map[string]any{"p50_ns": p50, "p99_ns": p99, "max_ns": mx, "seen": seen, "expected": expected,
			"complete": complete, "host_lag_max_ns": lag}
		steps = append(steps, fmt.Sprintf("%s/s: p50 %s p99 %s, seen %.1f %%", si(float64(rate)), dur(p50), dur(p99), 100*float64(seen)/float64(max(expected, 1))))
		if ok && p99 <= int64(10*time.Millisecond) {
			best10 = rate
		}
		if ok && p99 <= int64(ModelChangesP99) {
			best = rate
			c.P50, c.P99, c.P999, c.Max = p50, p99, fnum(ev["latency"].(map[string]any), "p999Ns"), mx
			c.Received, c.Missing = seen, expected-seen
		}
		if !ok || p99 > int64(ModelChangesLimit) {
			break
		}
		bestLimit = rate
	}
	b := m.snap()
	account(c, a, b, ops)
	c.Value = float64(best)
	c.PerS = float64(best)
	if best == 0 {
		c.Outcome = "incomplete"
	}
	c.Note = fmt.Sprintf("sustained at p99 ≤ %s: %s/s; at p99 ≤ 10ms: %s/s; kept up (every step up to it: ≥ 99 %% seen, p99 ≤ %s) to %s/s. Steps of %s: %s. \"seen\": changes a replica saw (the rest were overwritten before its refetch came back); CPU/op: per change",
		ModelChangesP99, si(float64(best)), si(float64(best10)), ModelChangesLimit, si(float64(bestLimit)), d, strings.Join(steps, "; "))
	return c, nil
}
