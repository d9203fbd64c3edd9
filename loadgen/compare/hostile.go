package compare

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/result"
)

// The adapter's slots, in Qt's order (QAbstractItemAdapterSourceAPI).
const (
	slotSize = iota
	slotRows
	slotHeader
	slotSetCurrent
	slotSetData
	slotCache
)

// A hostile request: what a replica that lies or is broken sends.
type hostileReq struct {
	name string
	slot int
	args func() []node.Variant
}

func indexList(p ...wire.ModelIndex) node.Variant { return qds.UserOf("IndexList", p) }

func intList(l ...int) node.Variant {
	vs := make([]node.Variant, len(l))
	for i, x := range l {
		vs[i] = qds.IntOf(int32(x))
	}
	return qds.UserOf("QVector<int>", vs)
}

// hostileRequests go from the least to the most hostile: a host that
// dies on one is not asked the next.
func hostileRequests() []hostileReq {
	roles := intList(0, 256)
	return []hostileReq{
		{"rows past the end (1,000,000..1,000,010)", slotRows, func() []node.Variant {
			return []node.Variant{indexList(wire.ModelIndex{Row: 1_000_000}), indexList(wire.ModelIndex{Row: 1_000_010}), roles}
		}},
		{"negative rows (-5..-1)", slotRows, func() []node.Variant {
			return []node.Variant{indexList(wire.ModelIndex{Row: -5}), indexList(wire.ModelIndex{Row: -1}), roles}
		}},
		{"a cache request for 2^62 items", slotCache, func() []node.Variant {
			return []node.Variant{qds.IntegerOf(qds.ULong, 1<<62), roles}
		}},
		{"a header request with lists of different lengths", slotHeader, func() []node.Variant {
			return []node.Variant{qds.UserOf("QVector<Qt::Orientation>", []node.Variant{qds.UserOf("Qt::Orientation", int64(1))}), intList(0, 1, 2), intList(0)}
		}},
		{"a huge range (rows and columns 0..2^31-1)", slotRows, func() []node.Variant {
			return []node.Variant{indexList(wire.ModelIndex{}), indexList(wire.ModelIndex{Row: math.MaxInt32, Column: math.MaxInt32}), roles}
		}},
		{"rows under a parent that does not exist", slotRows, func() []node.Variant {
			return []node.Variant{indexList(wire.ModelIndex{Row: 99_999}, wire.ModelIndex{}), indexList(wire.ModelIndex{Row: 99_999}, wire.ModelIndex{Row: 3}), roles}
		}},
		{"the size of a parent that does not exist", slotSize, func() []node.Variant {
			return []node.Variant{indexList(wire.ModelIndex{Row: 99_999})}
		}},
	}
}

// hostileRepeat is how many times each hostile request is sent.
const hostileRepeat = 50

// modelHostile: the row's replicas take changes at a modest rate twice,
// the second time while a hostile client (loadgen's, in this process)
// sends each hostile request hostileRepeat times, waiting for each answer
// (2 s) and stopping at the first the host does not answer. Measured: the
// answers, the host's error events, whether the host survives and keeps
// serving the hostile connection, the other replicas' changes against the
// first run, the host's RSS.
func modelHostile(ctx context.Context, m *modelPair, w Workload, d time.Duration) (*Cell, error) {
	if _, err := m.host.Do(ctx, time.Minute, fmt.Sprintf("reset %d", w.Rows), "reset"); err != nil {
		return nil, err
	}
	if err := keepReplicas(ctx, m, w, w.Rows); err != nil {
		return nil, err
	}
	const rate = 200
	count := max(int64(rate*d.Seconds()), 1)
	c := &Cell{Count: w.Replicas, States: map[string]any{}}
	a := m.snap()
	base, _, err := changeStep(ctx, m, w.Replicas, 1_000_000, count, rate, d)
	if err != nil {
		return nil, fmt.Errorf("changes before the hostile requests: %w", err)
	}
	pid := m.host.Pid()
	rss0 := result.RSS(pid)
	// RSS while it runs.
	var peak int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if r := result.RSS(pid); r > peak {
				peak = r
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	// The hostile client.
	n := node.NewNode(node.Config{RetryInterval: 100 * time.Millisecond})
	defer n.Close()
	hr, err := model.Acquire(n, "LoadModel", model.WithCacheSize(10))
	if err != nil {
		return nil, err
	}
	defer hr.Release()
	if err := n.ConnectToNode(m.host.URL()); err != nil {
		return nil, err
	}
	ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = hr.WaitForInit(ictx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("hostile client: %w", err)
	}
	// The second run of changes, with the hostile requests during it.
	type stepResult struct {
		ev  map[string]any
		err error
	}
	step := make(chan stepResult, 1)
	go func() {
		ev, _, err := changeStep(ctx, m, w.Replicas, 1_000_000+count, count, rate, d)
		step <- stepResult{ev, err}
	}()
	time.Sleep(300 * time.Millisecond) // into the run
	var lines []string
	killedBy := ""
	for _, q := range hostileRequests() {
		answered, items, maxItems := 0, 0, 0
		var worst time.Duration
		failure := ""
		for range hostileRepeat {
			t0 := clock.Now()
			pc, err := hr.Node().InvokeIndex(q.slot, q.args(), true)
			if err != nil {
				failure = err.Error()
				break
			}
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			v, err := pc.Wait(wctx)
			cancel()
			if err != nil {
				failure = "no answer: " + err.Error()
				break
			}
			answered++
			worst = max(worst, time.Duration(clock.Now()-t0))
			k := 0
			switch x := v.Value().(type) {
			case wire.DataEntries:
				k = len(x.Data)
			case wire.MetaAndDataEntries:
				k = len(x.Data)
			case []node.Variant:
				k = len(x)
			}
			items += k
			maxItems = max(maxItems, k)
		}
		time.Sleep(100 * time.Millisecond)
		l := fmt.Sprintf("%s: %d/%d answered (at most %d items, slowest %s)", q.name, answered, hostileRepeat, maxItems, dur(worst.Nanoseconds()))
		if failure != "" {
			l += "; " + failure
		}
		if m.host.Exited() {
			killedBy = q.name
			l += fmt.Sprintf("; the host process ended: %v", m.host.ExitErr())
		}
		lines = append(lines, l)
		c.States[q.name] = map[string]any{"answered": answered, "sent": hostileRepeat, "max_items": maxItems, "slowest_ns": worst.Nanoseconds(), "failure": failure}
		if killedBy != "" || failure != "" {
			break
		}
	}
	// The hostile connection after it all: still served?
	servedAfter := false
	if killedBy == "" {
		if pc, err := hr.Node().InvokeIndex(slotSize, []node.Variant{indexList()}, true); err == nil {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := pc.Wait(wctx)
			cancel()
			servedAfter = err == nil
		}
	}
	var during stepResult
	if killedBy == "" {
		during = <-step
	}
	close(stop)
	wg.Wait()
	rss1 := result.RSS(pid)
	account(c, a, m.snap(), 0)
	errorsSeen := len(m.host.Others("hostError"))
	c.Errors = int64(errorsSeen)
	lat := func(ev map[string]any) string {
		if ev == nil {
			return "—"
		}
		l, _ := ev["latency"].(map[string]any)
		return fmt.Sprintf("complete %d/%d, seen %d/%d, p50 %s, p99 %s", fnum(ev, "complete"), w.Replicas, fnum(ev, "seen"), fnum(ev, "expected"),
			dur(fnum(l, "p50Ns")), dur(fnum(l, "p99Ns")))
	}
	c.States["replicas_before"] = lat(base)
	c.States["replicas_during"] = lat(during.ev)
	c.States["rss_before"], c.States["rss_peak"], c.States["rss_after"] = rss0, peak, rss1
	c.States["host_error_events"] = errorsSeen
	c.States["hostile_connection_served_after"] = servedAfter
	if killedBy != "" {
		c.Outcome = fmt.Sprintf("host process ended (%v) on: %s", m.host.ExitErr(), killedBy)
	} else {
		unaffected := during.err == nil && during.ev != nil && fnum(during.ev, "complete") == w.Replicas
		c.Outcome = fmt.Sprintf("host survived, %d error events, hostile connection still served: %v; other replicas complete: %v; RSS %.1f → peak %.1f → %.1f MiB",
			errorsSeen, servedAfter, unaffected, float64(rss0)/(1<<20), float64(peak)/(1<<20), float64(rss1)/(1<<20))
		if during.err != nil {
			c.Outcome += "; changes during: " + during.err.Error()
		}
	}
	c.Note = fmt.Sprintf("other replicas' changes at %d/s, before: %s; during: %s. Requests: %s", rate, lat(base), lat(during.ev), strings.Join(lines, "; "))
	c.Value = 1
	return c, nil
}
