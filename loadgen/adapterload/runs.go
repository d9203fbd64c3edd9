package adapterload

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/specs/contract"
)

// Report writes one event of a run (loadProgress, loadSummary) with its
// fields; the caller adds the contract's envelope.
type Report func(event string, f contract.Fields)

// Run is a prepared load run: Result holds the fields of the command's
// result (key, value pairs); Body runs it and calls finish with its summary.
// A run that never calls finish (aborted at exit) reports no summary.
type Run struct {
	Result []any
	Body   func(ctx context.Context, finish func(contract.Fields))
}

// Error refuses a load command: the result's error name and message.
type Error struct {
	Name    contract.ErrorName
	Message string
}

// Error is the message.
func (e *Error) Error() string { return e.Message }

func refuse(name contract.ErrorName, msg string) (*Run, error) {
	return nil, &Error{Name: name, Message: msg}
}

// Runs tracks the active run of each kind (host, receive, replicas,
// calls): one at a time per kind.
type Runs struct {
	// Report writes the runs' events; set it before the first Start.
	Report Report

	mu      sync.Mutex
	running map[string]bool
	cancels []context.CancelFunc
	wg      sync.WaitGroup
	// kept holds the nodes of replicas runs with keep: closed by Stop.
	kept []*node.Node
}

// Start starts a load command of kind: prepare checks the command and
// returns the run, or an error (an *Error; Busy when a run of kind is
// active). started writes the result before the run starts; the run's
// summary follows through Report. The kind is free again before the summary
// is written, so the harness may start the next run as soon as it reads it:
// after finish a run must not touch what the next one may have set up.
func (r *Runs) Start(ctx context.Context, kind string, prepare func() (*Run, error), started func(result []any)) error {
	r.mu.Lock()
	if r.running == nil {
		r.running = map[string]bool{}
	}
	busy := r.running[kind]
	r.running[kind] = true
	r.mu.Unlock()
	if busy {
		return &Error{Name: contract.Busy, Message: "a load run is active"}
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.running, kind)
			r.mu.Unlock()
		})
	}
	run, err := prepare()
	if err != nil {
		release()
		return err
	}
	started(run.Result)
	ctx, cancel := context.WithCancel(ctx)
	r.mu.Lock()
	r.cancels = append(r.cancels, cancel)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		defer release()
		run.Body(ctx, func(sum contract.Fields) {
			release()
			r.Report(contract.EvLoadSummary, sum)
		})
	}()
	return nil
}

// keep holds nodes until Stop.
func (r *Runs) keep(ns []*node.Node) {
	r.mu.Lock()
	r.kept = append(r.kept, ns...)
	r.mu.Unlock()
}

// Stop cancels every run, waits for them and closes kept nodes.
func (r *Runs) Stop() {
	r.mu.Lock()
	cancels := r.cancels
	r.cancels = nil
	r.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	r.wg.Wait()
	r.mu.Lock()
	kept := r.kept
	r.kept = nil
	r.mu.Unlock()
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

// cpuNs is the CPU time (user + system) the process has used: summaries
// report the difference over a run (cpuNs, §9).
func cpuNs() int64 {
	u, s := result.CPUTime()
	return int64(u + s)
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

// summary is a loadSummary's fields (key, value pairs).
func summary(kv ...any) contract.Fields {
	var f contract.Fields
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i].(string), kv[i+1])
	}
	return f
}

// timeoutOf reads a timeoutMs field, bounded to 1 ms … 1 h.
func timeoutOf(c contract.Command, def int64) time.Duration {
	return time.Duration(min(max(c.Int("timeoutMs", def), 1), 3600000)) * time.Millisecond
}
