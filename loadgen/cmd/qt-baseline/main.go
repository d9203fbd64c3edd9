// Command qt-baseline measures real Qt talking to real Qt, the yardstick every qtro load number is
// compared with: a Qt host pushing Tick updates to a Qt replica of the same major version over TCP
// loopback, using the Qt peers' load mode (specs/ADAPTER.md §9). It writes
// loadgen/results/qt-baseline.json:
//
//	go run ./loadgen/cmd/qt-baseline -o loadgen/results/qt-baseline.json
//
// Every scenario runs -reps times with a fresh host and node; the JSON keeps every run and the median.
// Runs are bounded by count (a few seconds each) and by timeouts, never by wall-clock duration.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/specs/adapter"
)

// Schema names this file's format.
const Schema = "qtro/qt-baseline/1"

// Report is the whole qt-baseline.json.
type Report struct {
	Schema      string         `json:"schema"`
	Generated   string         `json:"generated"`
	Command     string         `json:"command"`
	Environment Environment    `json:"environment"`
	Notes       []string       `json:"notes"`
	Scenarios   []ScenarioRuns `json:"scenarios"`
}

// Environment is where the numbers were measured.
type Environment struct {
	result.Env
	QtVersions map[string]string `json:"qt_versions"`
	Peers      map[string]string `json:"peers"`
	LoadAvgEnd string            `json:"loadavg_end"`
}

// ScenarioRuns is one scenario on one Qt version: every run and the medians.
type ScenarioRuns struct {
	Qt       int            `json:"qt"`
	Name     string         `json:"name"`
	What     string         `json:"what"`
	Params   map[string]any `json:"params"`
	Runs     []Run          `json:"runs"`
	Median   map[string]any `json:"median"`
	Failures []string       `json:"failures,omitempty"`
}

// Run is one measurement; the summaries are the peers' loadSummary events verbatim.
type Run struct {
	Metrics     map[string]any `json:"metrics"`
	HostSummary map[string]any `json:"host_summary,omitempty"`
	NodeSummary map[string]any `json:"node_summary"`
}

type scenario struct {
	name    string
	what    string
	run     func(ctx context.Context, bin string) (Run, error)
	params  map[string]any
	metrics []string
}

func main() {
	out := flag.String("o", "", "write the JSON here (default: stdout)")
	reps := flag.Int("reps", 3, "runs per scenario")
	majors := flag.String("qt", "5,6", "Qt major versions to measure")
	nProps := flag.Int("props", 50000, "property changes per run")
	nSignals := flag.Int("signals", 50000, "tick signals per run")
	nReplicas := flag.Int("replicas", 1000, "replicas in the initialization storm")
	nCalls := flag.Int("calls", 10000, "echo round trips per run")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	rep := Report{
		Schema:  Schema,
		Command: "go run ./loadgen/cmd/qt-baseline " + strings.Join(os.Args[1:], " "),
		Environment: Environment{
			Env:        result.Environment(),
			QtVersions: map[string]string{},
			Peers:      map[string]string{},
		},
		Notes: []string{
			"Qt host -> Qt replica of the same major version, Tick object (fixtures/rep/tick.rep), static replica, tcp://127.0.0.1, one host and one node process per run.",
			"delivered_per_sec is measured at the replica: (unique updates - 1) / (last - first arrival). queued_per_sec is how fast the host queued them (QtRO writes are buffered).",
			"batch = updates per event-loop turn on the host (B): B updates are queued, then the event loop runs and flushes the socket.",
			"Latency is one-way, replica arrival minus the host's CLOCK_MONOTONIC at emission (same machine, same clock); it includes queueing behind earlier updates when the host sends as fast as it can.",
			"replicas_per_sec: N separate nodes (one connection each) in one process acquire one static replica each; N / (time from the first node's creation to the last Valid).",
			"The machine may be shared: loadavg at the start and the end is recorded; compare only numbers measured in the same run. host/node_cpu_us_per_update (process CPU time, user+sys, during the run / updates) is less sensitive to other processes than the rates.",
			"A replicas run that does not reach N Valid within 30 s is recorded under failures (with the replica states) and left out of the median. Cause seen on this machine: Qt's TCP listen backlog (QTcpServer default 50) overflows under a connection storm on a loaded machine (TcpExt ListenOverflows grows); a client whose handshake the host dropped keeps a half-open connection and, without heartbeat, waits forever.",
		},
	}
	for _, m := range strings.Split(*majors, ",") {
		major, err := strconv.Atoi(strings.TrimSpace(m))
		if err != nil {
			fail(err)
		}
		bin, err := adapter.QtPeer(ctx, major)
		if err != nil {
			fail(err)
		}
		rep.Environment.Peers[strconv.Itoa(major)] = bin
		for _, sc := range scenarios(*nProps, *nSignals, *nReplicas, *nCalls) {
			sr := ScenarioRuns{Qt: major, Name: sc.name, What: sc.what, Params: sc.params}
			for i := 0; i < *reps; i++ {
				r, err := sc.run(ctx, bin)
				if err != nil {
					sr.Failures = append(sr.Failures, err.Error())
					fmt.Fprintf(os.Stderr, "qt%d %s run %d: %v\n", major, sc.name, i+1, err)
					continue
				}
				if v, ok := r.Metrics["qt"].(string); ok {
					rep.Environment.QtVersions[strconv.Itoa(major)] = v
					delete(r.Metrics, "qt")
				}
				sr.Runs = append(sr.Runs, r)
				fmt.Fprintf(os.Stderr, "qt%d %-22s run %d: %s\n", major, sc.name, i+1, brief(r.Metrics, sc.metrics))
			}
			sr.Median = medians(sr.Runs, sc.metrics)
			rep.Scenarios = append(rep.Scenarios, sr)
		}
	}
	rep.Environment.LoadAvgEnd = result.LoadAvg()
	rep.Generated = time.Now().UTC().Format(time.RFC3339)
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		fail(err)
	}
	b = append(b, '\n')
	var w io.Writer = os.Stdout
	if *out != "" {
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			fail(err)
		}
		fmt.Fprintln(os.Stderr, "wrote", *out)
		return
	}
	_, _ = w.Write(b)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "qt-baseline:", err)
	os.Exit(1)
}

func scenarios(nProps, nSignals, nReplicas, nCalls int) []scenario {
	stream := func(name, what, mode, stream string, count, batch int) scenario {
		return scenario{
			name: name, what: what,
			params: map[string]any{"count": count, "batch": batch, "host_mode": mode, "stream": stream},
			run: func(ctx context.Context, bin string) (Run, error) {
				return streamRun(ctx, bin, mode, stream, count, batch)
			},
			metrics: []string{"delivered_per_sec", "queued_per_sec", "host_cpu_us_per_update", "node_cpu_us_per_update",
				"latency_p50_us", "latency_p99_us", "latency_max_us"},
		}
	}
	return []scenario{
		stream("props-b1", "property changes (Tick.counter), 1 per event-loop turn", "props", "props", nProps, 1),
		stream("props-b100", "property changes (Tick.counter), 100 per event-loop turn", "props", "props", nProps*5, 100),
		stream("signals-b1", "tick(seq, sentNs) signals, 1 per event-loop turn", "signals", "signals", nSignals, 1),
		stream("signals-b100", "tick(seq, sentNs) signals, 100 per event-loop turn", "signals", "signals", nSignals*5, 100),
		{
			name: "replicas", what: "replica initializations: N nodes, one static Tick replica each",
			params:  map[string]any{"count": nReplicas},
			run:     func(ctx context.Context, bin string) (Run, error) { return replicasRun(ctx, bin, nReplicas) },
			metrics: []string{"replicas_per_sec", "all_valid_ms", "node_cpu_ms"},
		},
		{
			name: "echo-calls", what: "Tick.echo(seq) round trips, 1 in flight",
			params:  map[string]any{"count": nCalls, "inflight": 1},
			run:     func(ctx context.Context, bin string) (Run, error) { return callsRun(ctx, bin, nCalls) },
			metrics: []string{"calls_per_sec", "rtt_p50_us", "rtt_p99_us"},
		},
	}
}

type pair struct {
	host, node *adapter.Adapter
	tmp        string
}

func (p *pair) close() {
	if p.node != nil {
		_ = p.node.Close()
	}
	if p.host != nil {
		_ = p.host.Close()
	}
	if p.tmp != "" {
		_ = os.RemoveAll(p.tmp)
	}
}

// startPair starts a Tick host and a node connected to it (nodeArgs added).
func startPair(ctx context.Context, bin string, nodeArgs ...string) (*pair, error) {
	tmp, err := os.MkdirTemp("", "qt-baseline-")
	if err != nil {
		return nil, err
	}
	p := &pair{tmp: tmp}
	p.host, err = adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: adapter.Host, TempDir: tmp, Name: "host",
		Args: []string{"--url", "tcp://127.0.0.1:0", "--type", "tick"}})
	if err != nil {
		p.close()
		return nil, err
	}
	args := append([]string{"--url", p.host.Ready().Str("url"), "--type", "tick", "--static"}, nodeArgs...)
	p.node, err = adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: adapter.Node, TempDir: tmp, Name: "node", Args: args})
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func wait(ctx context.Context, a *adapter.Adapter, from int, pred adapter.Predicate, d time.Duration) (adapter.Event, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return a.WaitFor(wctx, from, pred)
}

func do(ctx context.Context, a *adapter.Adapter, c adapter.Command) (adapter.Event, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return a.Do(wctx, c)
}

func streamRun(ctx context.Context, bin, hostMode, stream string, count, batch int) (Run, error) {
	p, err := startPair(ctx, bin)
	if err != nil {
		return Run{}, err
	}
	defer p.close()
	if _, err := wait(ctx, p.node, 0, adapter.StateChanged("Tick", "Valid"), 30*time.Second); err != nil {
		return Run{}, err
	}
	nmark := p.node.Mark()
	if _, err := do(ctx, p.node, adapter.Load("receive", map[string]any{"count": count, "streams": []string{stream}, "timeoutMs": 120000, "idleMs": 10000})); err != nil {
		return Run{}, err
	}
	hmark := p.host.Mark()
	if _, err := do(ctx, p.host, adapter.Load(hostMode, map[string]any{"count": count, "batch": batch, "progressMs": 60000})); err != nil {
		return Run{}, err
	}
	hs, err := wait(ctx, p.host, hmark, adapter.Named("loadSummary"), 150*time.Second)
	if err != nil {
		return Run{}, err
	}
	ns, err := wait(ctx, p.node, nmark, adapter.Named("loadSummary"), 150*time.Second)
	if err != nil {
		return Run{}, err
	}
	st, _ := ns.Object("streams")[stream].(map[string]any)
	if st == nil {
		return Run{}, errors.New("node summary without the stream")
	}
	m := map[string]any{
		"qt":                p.host.Ready().Str("qt"),
		"outcome":           ns.Str("outcome"),
		"delivered_per_sec": num(st["perSecond"]),
		"queued_per_sec":    num(hs.Fields["perSecond"]),
		"missing":           num(st["missing"]),
		"duplicates":        num(st["duplicates"]),
		"reordered":         num(st["reordered"]),
		"receive_ms":        num(st["elapsedNs"]) / 1e6,
		"queue_ms":          num(hs.Fields["elapsedNs"]) / 1e6,
		"host_cpu_ms":       num(hs.Fields["cpuNs"]) / 1e6,
		"node_cpu_ms":       num(ns.Fields["cpuNs"]) / 1e6,
	}
	if cpu := num(hs.Fields["cpuNs"]); cpu > 0 {
		m["host_cpu_us_per_update"] = cpu / 1e3 / float64(count)
	}
	if cpu := num(ns.Fields["cpuNs"]); cpu > 0 {
		m["node_cpu_us_per_update"] = cpu / 1e3 / float64(count)
	}
	if lat, ok := st["latency"].(map[string]any); ok {
		m["latency_p50_us"] = num(lat["p50Ns"]) / 1e3
		m["latency_p99_us"] = num(lat["p99Ns"]) / 1e3
		m["latency_max_us"] = num(lat["maxNs"]) / 1e3
	}
	if ns.Str("outcome") != "complete" || num(st["missing"]) != 0 {
		return Run{Metrics: m}, fmt.Errorf("incomplete run: outcome %s, missing %v", ns.Str("outcome"), st["missing"])
	}
	return Run{Metrics: m, HostSummary: normalize(hs.Fields), NodeSummary: normalize(ns.Fields)}, nil
}

func replicasRun(ctx context.Context, bin string, count int) (Run, error) {
	p, err := startPair(ctx, bin, "--no-acquire")
	if err != nil {
		return Run{}, err
	}
	defer p.close()
	nmark := p.node.Mark()
	if _, err := do(ctx, p.node, adapter.Load("replicas", map[string]any{"count": count, "timeoutMs": 30000})); err != nil {
		return Run{}, err
	}
	ns, err := wait(ctx, p.node, nmark, adapter.Named("loadSummary"), 150*time.Second)
	if err != nil {
		return Run{}, err
	}
	m := map[string]any{
		"qt":               p.host.Ready().Str("qt"),
		"outcome":          ns.Str("outcome"),
		"valid":            num(ns.Fields["valid"]),
		"replicas_per_sec": num(ns.Fields["perSecond"]),
		"all_valid_ms":     num(ns.Fields["elapsedNs"]) / 1e6,
		"create_ms":        num(ns.Fields["createNs"]) / 1e6,
		"node_errors":      num(ns.Fields["nodeErrors"]),
		"node_cpu_ms":      num(ns.Fields["cpuNs"]) / 1e6,
	}
	if ns.Str("outcome") != "complete" {
		return Run{Metrics: m}, fmt.Errorf("incomplete run: %v of %d valid within 30 s, states %s", ns.Fields["valid"], count, adapter.Canonical(ns.Fields["states"]))
	}
	return Run{Metrics: m, NodeSummary: normalize(ns.Fields)}, nil
}

func callsRun(ctx context.Context, bin string, count int) (Run, error) {
	p, err := startPair(ctx, bin)
	if err != nil {
		return Run{}, err
	}
	defer p.close()
	if _, err := wait(ctx, p.node, 0, adapter.StateChanged("Tick", "Valid"), 30*time.Second); err != nil {
		return Run{}, err
	}
	nmark := p.node.Mark()
	if _, err := do(ctx, p.node, adapter.Load("calls", map[string]any{"count": count, "inflight": 1, "timeoutMs": 120000})); err != nil {
		return Run{}, err
	}
	ns, err := wait(ctx, p.node, nmark, adapter.Named("loadSummary"), 150*time.Second)
	if err != nil {
		return Run{}, err
	}
	rtt, _ := ns.Fields["rtt"].(map[string]any)
	m := map[string]any{
		"qt":            p.host.Ready().Str("qt"),
		"outcome":       ns.Str("outcome"),
		"calls_per_sec": num(ns.Fields["perSecond"]),
		"rtt_p50_us":    num(rtt["p50Ns"]) / 1e3,
		"rtt_p99_us":    num(rtt["p99Ns"]) / 1e3,
		"errors":        num(ns.Fields["errors"]),
		"node_cpu_ms":   num(ns.Fields["cpuNs"]) / 1e6,
	}
	if ns.Str("outcome") != "complete" {
		return Run{Metrics: m}, fmt.Errorf("incomplete run: %s", ns.Str("outcome"))
	}
	return Run{Metrics: m, NodeSummary: normalize(ns.Fields)}, nil
}

// num reads a JSON number (json.Number from the driver) as float64.
func num(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

// normalize drops the envelope and turns json.Number into plain numbers for re-encoding.
func normalize(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		if k == "mono" || k == "wall" || k == "event" {
			continue
		}
		out[k] = adapter.Normalize(v)
	}
	return out
}

func medians(runs []Run, keys []string) map[string]any {
	m := map[string]any{"runs": len(runs)}
	for _, k := range keys {
		var xs []float64
		for _, r := range runs {
			if v, ok := r.Metrics[k].(float64); ok {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			continue
		}
		sort.Float64s(xs)
		med := xs[len(xs)/2]
		if len(xs)%2 == 0 {
			med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		m[k] = med
	}
	return m
}

func brief(m map[string]any, keys []string) string {
	var parts []string
	for _, k := range keys {
		if v, ok := m[k].(float64); ok {
			parts = append(parts, fmt.Sprintf("%s=%.0f", k, v))
		}
	}
	return strings.Join(parts, " ")
}
