// Package compare runs the same workloads against several QtRO
// implementations in one run and reports them side by side, as ratios.
//
// Every implementation runs with the same process topology: a host process
// and a node process of that implementation, both behind the adapter
// contract (specs/ADAPTER.md), talking over loopback TCP. The workloads are
// the contract's load modes (§9): the host queues updates with `load
// props|signals`, the node counts and times them with `load receive`, calls
// `echo` with `load calls`, and opens replica storms with `load replicas`.
// loadgen only orchestrates them and reads their summaries: it is not in
// the data path, so it cannot be the bottleneck of these rows.
//
// Two kinds of rows add loadgen's own measurement: the raw framed-socket
// reference (loadgen's own sender and receivers on the same frames with no
// QtRO work: the physical limit of this machine, and proof of loadgen's own
// capacity) and rows where each implementation's host feeds loadgen's Go
// replicas (one receiver for all, measured with loadgen's HdrHistograms).
//
// Numbers are throughput as the receiver saw it (unique updates between
// its first and last arrival), latency and round trips as nearest-rank
// percentiles from the adapters' summaries, and CPU per update from
// /proc/PID/stat of both processes. The machine's load (other processes'
// CPU during each measurement, load average) is recorded with every cell.
package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"time"

	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/stormclient"
	"github.com/qtro/qtro/loadgen/target/peer"
	"github.com/qtro/qtro/specs/adapter"
)

// Format identifies the comparison file format.
const Format = "qtro-loadgen-compare/1"

// Target is one implementation: the adapter command of its host and node.
type Target struct {
	Name    string   `json:"name"`    // "go", "qt6", "qt5", ...
	Command []string `json:"command"` // adapter argv prefix
	Args    []string `json:"args,omitempty"`
	Env     []string `json:"-"`
	Dialect string   `json:"dialect"`
	// Model is the argv prefix of the implementation's model load
	// program (loadgen/modelload: `qtro loadgen model-peer`,
	// `qtro-qtapp`), ModelArgs what follows the mode, URL and name, and
	// ModelEnv its environment; nil Model: model rows are unsupported.
	Model     []string `json:"model,omitempty"`
	ModelArgs []string `json:"model_args,omitempty"`
	ModelEnv  []string `json:"-"`
	// certs are the run's certificates, given to Options.Loadgen for a
	// row over tls+tcp or wss (nil otherwise).
	certs *certs
}

// Kinds of workloads.
const (
	KindThroughput = "throughput" // host load → node receive, as fast as possible
	KindLatency    = "latency"    // host load at a fixed rate → node receive, one-way latency
	KindCalls      = "calls"      // node load calls: echo round trips
	KindReplicas   = "replicas"   // node load replicas: init storm
	KindLoadgen    = "loadgen"    // host load → loadgen's Go replicas (closed, fixed count)
	// KindLoadgenStorm: Count of loadgen's Go replicas connecting at once
	// to the target's host process (per-replica init times).
	KindLoadgenStorm = "loadgen-storm"
	// KindEpollStorm: Count of loadgen's epoll replicas (loadgen/stormclient:
	// raw sockets, QtRO init only, 512 connecting at a time) against the
	// target's host process: the host's storm capacity with the client side
	// as cheap as the kernel allows.
	KindEpollStorm = "epoll-storm"
)

// isStorm reports whether a workload kind is a replica storm (value: wall
// time until the last replica is Valid, lower is better).
func isStorm(kind string) bool {
	return kind == KindReplicas || kind == KindLoadgenStorm || kind == KindEpollStorm
}

// Workload is one comparison row.
type Workload struct {
	Name     string  `json:"name"`
	Title    string  `json:"title"`
	Kind     string  `json:"kind"`
	Mode     string  `json:"mode,omitempty"` // props or signals
	Batch    int64   `json:"batch,omitempty"`
	Rate     float64 `json:"rate,omitempty"`     // latency: updates/s
	Count    int64   `json:"count,omitempty"`    // replicas: nodes; others: calibration count
	Inflight int64   `json:"inflight,omitempty"` // calls
	// Model rows: the rows of the model (first, changes) or inserted
	// (insert), and the replicas (fresh ones in turn for first).
	Rows     int64 `json:"rows,omitempty"`
	Replicas int64 `json:"replicas,omitempty"`
	// Transport is the URL scheme of the row's adapter pair (TransportTLS,
	// TransportWS, TransportWSS; "": tcp://), and Plain the name of its
	// tcp:// counterpart in the same run, against which each target's
	// cost of the transport is computed (transportRatios).
	Transport string `json:"transport,omitempty"`
	Plain     string `json:"plain,omitempty"`
}

// DefaultWorkloads are the issue's: property changes at 1 and 100 per
// batch, signals (capacity and latency at a fixed rate), echo round trips,
// 1k and 10k replica inits, and property changes into loadgen's receivers.
func DefaultWorkloads() []Workload {
	return []Workload{
		{Name: "props-b1", Title: "property changes/s, 1 per batch", Kind: KindThroughput, Mode: "props", Batch: 1, Count: 20_000},
		{Name: "props-b100", Title: "property changes/s, 100 per batch", Kind: KindThroughput, Mode: "props", Batch: 100, Count: 100_000},
		{Name: "signals-b1", Title: "signals/s, 1 per batch", Kind: KindThroughput, Mode: "signals", Batch: 1, Count: 20_000},
		{Name: "signals-latency", Title: "signal latency at 5,000/s (one-way)", Kind: KindLatency, Mode: "signals", Batch: 1, Rate: 5000},
		{Name: "echo", Title: "echo round trips/s, 1 in flight", Kind: KindCalls, Inflight: 1, Count: 5_000},
		{Name: "replicas-1k", Title: "1,000 replicas: all Valid after", Kind: KindReplicas, Count: 1000},
		{Name: "replicas-10k", Title: "10,000 replicas: all Valid after", Kind: KindReplicas, Count: 10000},
		{Name: "props-b1-loadgen", Title: "property changes/s, 1 per batch, into loadgen's Go replica", Kind: KindLoadgen, Mode: "props", Batch: 1, Count: 200_000},
		{Name: "replicas-10k-loadgen", Title: "10,000 of loadgen's Go replicas: all Valid after", Kind: KindLoadgenStorm, Count: 10000},
		{Name: "replicas-10k-epoll", Title: "10,000 of loadgen's epoll replicas (512 connecting at a time): all Valid after", Kind: KindEpollStorm, Count: 10000},
	}
}

// Options configure Run.
type Options struct {
	Targets   []Target
	Workloads []Workload
	// Duration is the length of each measured run (calibrated from a short
	// first run).
	Duration time.Duration
	// Reference runs loadgen's raw framed-socket reference for a workload
	// (nil: no reference column). Returning nil, nil means not applicable.
	Reference func(ctx context.Context, w Workload, d time.Duration) (*Cell, error)
	// Loadgen runs a KindLoadgen workload against a target (nil: skipped).
	Loadgen func(ctx context.Context, t Target, w Workload, d time.Duration) (*Cell, error)
	// CertDir is where the run's throwaway CA and certificates go when a
	// row runs over tls+tcp or wss ("": a temporary directory, removed
	// after the run).
	CertDir string
	// Log receives the adapters' lines (nil: none); Progress one line per
	// measurement (nil: none).
	Log, Progress io.Writer
}

// Cell is one measurement: a workload on one target.
type Cell struct {
	Target string  `json:"target"`
	Value  float64 `json:"value"` // the row's headline number (per s, or ns)
	// Throughput as the receiver saw it, or calls/s, or replicas Valid/s.
	PerS     float64 `json:"per_s,omitempty"`
	HostPerS float64 `json:"host_queue_per_s,omitempty"` // how fast the host queued (§9.1)
	Count    int64   `json:"count,omitempty"`
	Received int64   `json:"received,omitempty"` // unique updates, completed calls, Valid replicas
	Missing  int64   `json:"missing"`
	Dup      int64   `json:"duplicates"`
	Reorder  int64   `json:"reordered"`
	Errors   int64   `json:"errors"`
	P50      int64   `json:"p50_ns,omitempty"`
	P99      int64   `json:"p99_ns,omitempty"`
	P999     int64   `json:"p99_9_ns,omitempty"`
	Max      int64   `json:"max_ns,omitempty"`
	Elapsed  int64   `json:"elapsed_ns,omitempty"`
	// CPU per update (or call, or replica) of host + node, from /proc.
	CPUPerOp   float64        `json:"cpu_ns_per_op,omitempty"`
	HostCPU    float64        `json:"host_cpu_s,omitempty"`
	NodeCPU    float64        `json:"node_cpu_s,omitempty"`
	Others     float64        `json:"others_cores"` // other processes' CPU during the measurement
	LoadAvg    string         `json:"loadavg"`
	Outcome    string         `json:"outcome,omitempty"`
	States     map[string]any `json:"states,omitempty"`
	Note       string         `json:"note,omitempty"`
	Error      string         `json:"error,omitempty"`
	Calibrated int64          `json:"calibration_count,omitempty"`
	// CPUExtraNs: CPU per operation over the row's transport minus over
	// tcp:// in its Plain row (same target, same run): the transport's
	// cost per change, call or replica.
	CPUExtraNs float64 `json:"cpu_extra_ns_per_op,omitempty"`
	// URL is the host adapter's URL in rows over another transport than
	// tcp:// (the scheme the cell was measured on; rows of loadgen's Go
	// replicas: the URL it was started to listen on, port 0).
	URL string `json:"url,omitempty"`
}

// Row is one workload across targets.
type Row struct {
	Workload Workload `json:"workload"`
	Unit     string   `json:"unit"`   // "/s" or "ns"
	Better   string   `json:"better"` // "higher" or "lower"
	Cells    []*Cell  `json:"cells"`
	// Reference is loadgen's raw framed-socket run of the same shape.
	Reference *Cell `json:"reference,omitempty"`
	// Ratios: how many times better the first target is than each other
	// ("go/qt6": 3.2 means Go does 3.2× as well), and each target against
	// the raw reference ("go/raw": its fraction of the physical limit).
	Ratios map[string]float64 `json:"ratios"`
}

// Report is a comparison run.
type Report struct {
	Format   string     `json:"format"`
	Started  string     `json:"started"`
	Env      result.Env `json:"env"`
	Targets  []Target   `json:"targets"`
	Duration string     `json:"duration"`
	Rows     []Row      `json:"rows"`
	Goals    []Goal     `json:"goals"`
	Notes    []string   `json:"notes,omitempty"`
	// LoadBefore/After are the load averages around the whole run;
	// OthersMax the most other processes used during any measurement.
	LoadBefore string  `json:"loadavg_before"`
	LoadAfter  string  `json:"loadavg_after"`
	OthersMax  float64 `json:"others_cores_max"`
}

// pair is one target's host and node processes.
type pair struct {
	t    Target
	host *adapter.Adapter
	node *adapter.Adapter
	url  string
	// failed: the pair of a transport row could not start (its cells
	// carry the error; the other targets' rows still run).
	failed error
}

func (p *pair) close() {
	if p.node != nil {
		_ = p.node.Close()
	}
	if p.host != nil {
		_ = p.host.Close()
	}
}

// start starts a target's host adapter listening on listen, and its node
// adapter on the URL the host reports; hostEnv and nodeEnv are added to
// the target's environment (the §11 certificates).
func start(ctx context.Context, t Target, listen string, hostEnv, nodeEnv []string, log io.Writer) (*pair, error) {
	p := &pair{t: t}
	var err error
	p.host, err = adapter.Start(ctx, adapter.Config{Command: t.Command, Role: adapter.Host, Name: t.Name + " host", Log: log, Env: append(slices.Clip(t.Env), hostEnv...),
		Args: append([]string{"--url", listen, "--type", "tick"}, t.Args...)})
	if err != nil {
		return nil, fmt.Errorf("%s host: %w", t.Name, err)
	}
	p.url = p.host.Ready().Str("url")
	p.node, err = adapter.Start(ctx, adapter.Config{Command: t.Command, Role: adapter.Node, Name: t.Name + " node", Log: log, Env: append(slices.Clip(t.Env), nodeEnv...),
		Args: append([]string{"--url", p.url, "--type", "tick"}, t.Args...)})
	if err != nil {
		p.close()
		return nil, fmt.Errorf("%s node: %w", t.Name, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := p.node.WaitFor(wctx, 0, adapter.Named("stateChanged", adapter.Field("state", "Valid"))); err != nil {
		p.close()
		return nil, fmt.Errorf("%s node: replica not Valid: %w", t.Name, err)
	}
	return p, nil
}

// Run runs every workload on every target (targets interleaved per
// workload, so that each row is measured within the same minute) and
// returns the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Targets) == 0 {
		return nil, errors.New("compare: no targets")
	}
	if opts.Duration <= 0 {
		opts.Duration = 3 * time.Second
	}
	if len(opts.Workloads) == 0 {
		opts.Workloads = DefaultWorkloads()
	}
	rep := &Report{Format: Format, Started: time.Now().UTC().Format(time.RFC3339), Env: result.Environment(),
		Targets: opts.Targets, Duration: opts.Duration.String(), LoadBefore: result.LoadAvg()}
	// The adapter pairs per transport, for the workloads that use them
	// (model rows start model processes of their own); those of another
	// transport than tcp:// are started for its first row.
	pairsBy := map[string][]*pair{}
	var cs *certs
	defer func() {
		for _, ps := range pairsBy {
			for _, p := range ps {
				if p != nil {
					p.close()
				}
			}
		}
		cs.remove()
	}()
	pairsFor := func(transport string) ([]*pair, error) {
		if ps, ok := pairsBy[transport]; ok {
			return ps, nil
		}
		if secure(transport) && cs == nil {
			var err error
			if cs, err = makeCerts(opts.CertDir); err != nil {
				return nil, err
			}
		}
		ps := make([]*pair, len(opts.Targets))
		pairsBy[transport] = ps
		for i, t := range opts.Targets {
			p, err := startFor(ctx, t, transport, cs, opts)
			if err != nil {
				if transport == TransportTCP || ctx.Err() != nil {
					return nil, err
				}
				p = &pair{t: t, failed: err}
			}
			ps[i] = p
		}
		return ps, nil
	}
	bare := make([]*pair, len(opts.Targets))
	for i, t := range opts.Targets {
		bare[i] = &pair{t: t}
	}
	if slices.ContainsFunc(opts.Workloads, func(w Workload) bool { return !isModel(w.Kind) && w.Transport == TransportTCP }) {
		if _, err := pairsFor(TransportTCP); err != nil {
			return nil, err
		}
	}
	for _, w := range opts.Workloads {
		pairs := bare
		if (w.Kind == KindLoadgen || w.Kind == KindLoadgenStorm) && secure(w.Transport) && cs == nil {
			var err error
			if cs, err = makeCerts(opts.CertDir); err != nil {
				return nil, err
			}
		}
		if !isModel(w.Kind) && w.Kind != KindLoadgen && w.Kind != KindLoadgenStorm && notApplicable(w.Kind, w.Transport) == "" {
			var err error
			if pairs, err = pairsFor(w.Transport); err != nil {
				return nil, err
			}
		}
		row := Row{Workload: w, Unit: "/s", Better: "higher", Ratios: map[string]float64{}}
		if w.Kind == KindLatency || isStorm(w.Kind) || w.Kind == KindModelFirst || w.Kind == KindModelInsert {
			row.Unit, row.Better = "ns", "lower"
		}
		if w.Kind == KindModelHostile {
			row.Unit, row.Better = "", ""
		}
		for _, p := range pairs {
			var c *Cell
			var err error
			if na := notApplicable(w.Kind, w.Transport); na != "" {
				c = &Cell{Outcome: NotApplicable, Note: na}
			} else if p.failed != nil {
				c = &Cell{Error: p.failed.Error()}
			}
			if c == nil {
				switch w.Kind {
				case KindThroughput:
					c, err = throughput(ctx, p, w, opts.Duration)
				case KindLatency:
					c, err = latency(ctx, p, w, opts.Duration)
				case KindCalls:
					c, err = calls(ctx, p, w, opts.Duration)
				case KindReplicas:
					c, err = replicas(ctx, p, w)
				case KindEpollStorm:
					c, err = epollStorm(ctx, p, w)
				case KindModelFirst, KindModelInsert, KindModelChanges, KindModelHostile:
					c, err = modelRow(ctx, p.t, w, opts.Duration, opts.Log)
				case KindLoadgen, KindLoadgenStorm:
					if opts.Loadgen == nil {
						continue
					}
					t := p.t
					if secure(w.Transport) {
						t.certs = cs
					}
					c, err = opts.Loadgen(ctx, t, w, opts.Duration)
				default:
					return nil, fmt.Errorf("compare: workload %s: kind %q", w.Name, w.Kind)
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				c = &Cell{Error: err.Error()}
			}
			c.Target = p.t.Name
			if w.Transport != TransportTCP && p.host != nil && c.Outcome != NotApplicable && c.Error == "" {
				c.URL = p.url
			}
			rep.OthersMax = math.Max(rep.OthersMax, c.Others)
			row.Cells = append(row.Cells, c)
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "compare: %-18s %-6s %s\n", w.Name, p.t.Name, cellText(row, c))
			}
		}
		if opts.Reference != nil {
			c, err := opts.Reference(ctx, w, opts.Duration)
			if err != nil {
				c = &Cell{Error: err.Error()}
			}
			if c != nil {
				c.Target = "raw"
				row.Reference = c
				if opts.Progress != nil {
					fmt.Fprintf(opts.Progress, "compare: %-18s %-6s %s\n", w.Name, "raw", cellText(row, c))
				}
			}
		}
		row.ratios()
		rep.Rows = append(rep.Rows, row)
	}
	rep.LoadAfter = result.LoadAvg()
	transportRatios(rep)
	if cs != nil {
		rep.Notes = append(rep.Notes, "rows over tls+tcp and wss: a throwaway CA (impl/transport/pki, ECDSA P-256) made for the run; the host adapters get the server certificate (QTRO_TLS_CERT, QTRO_TLS_KEY), the node adapters the CA (QTRO_TLS_CA) and verify the host's name; no client certificates (not mutual TLS). Each implementation negotiates with its own TLS stack (Go: crypto/tls; Qt: QSslSocket over OpenSSL)")
	}
	rep.Goals = Goals(rep)
	if rep.OthersMax > 0.25 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the machine was shared: other processes used up to %.2f of %d cores during a measurement (each cell records its own); every number is pessimistic, ratios measured in the same minute are the robust figures", rep.OthersMax, runtime.NumCPU()))
	}
	return rep, nil
}

// ratios fills the row's ratios: the first target against each other, and
// every target against the raw reference.
func (r *Row) ratios() {
	if len(r.Cells) == 0 || r.Better == "" {
		return
	}
	first := r.Cells[0]
	better := func(a, b float64) float64 {
		if a <= 0 || b <= 0 {
			return 0
		}
		if r.Better == "lower" {
			return b / a
		}
		return a / b
	}
	for _, c := range r.Cells[1:] {
		if c.Error != "" || first.Error != "" || c.Outcome == NotApplicable || first.Outcome == NotApplicable {
			continue
		}
		if (isStorm(r.Workload.Kind) || isModel(r.Workload.Kind)) && (c.Outcome != "complete" || first.Outcome != "complete") {
			continue // an incomplete storm or model row has no comparable value
		}
		r.Ratios[first.Target+"/"+c.Target] = better(first.Value, c.Value)
		if first.CPUPerOp > 0 && c.CPUPerOp > 0 {
			// CPU per operation: how many times less the first one used.
			r.Ratios["cpu "+first.Target+"/"+c.Target] = c.CPUPerOp / first.CPUPerOp
		}
	}
	if ref := r.Reference; ref != nil && ref.Error == "" && r.Better == "higher" {
		for _, c := range r.Cells {
			if c.Error == "" && ref.Value > 0 {
				r.Ratios[c.Target+"/raw"] = c.Value / ref.Value
			}
		}
	}
}

// cpuSnap is the CPU of the processes of a measurement and the machine.
type cpuSnap struct {
	at               time.Time
	host, node, self time.Duration
	machine          time.Duration
}

func snap(p *pair) cpuSnap {
	u, s := result.CPUTime()
	return cpuSnap{at: time.Now(), host: peer.ProcCPU(p.host.Pid()), node: peer.ProcCPU(p.node.Pid()), self: u + s, machine: result.MachineCPU()}
}

// account fills c's CPU fields from two snapshots around ops operations.
func account(c *Cell, a, b cpuSnap, ops int64) {
	wall := b.at.Sub(a.at).Seconds()
	host, node, self := b.host-a.host, b.node-a.node, b.self-a.self
	c.HostCPU, c.NodeCPU = host.Seconds(), node.Seconds()
	if ops > 0 {
		c.CPUPerOp = float64(host+node) / float64(ops)
	}
	if wall > 0 && b.machine > 0 {
		c.Others = math.Max(((b.machine-a.machine)-host-node-self).Seconds()/wall, 0)
	}
	c.LoadAvg = result.LoadAvg()
}

// waitSummary waits for a loadSummary at or after mark.
func waitSummary(ctx context.Context, a *adapter.Adapter, mark int, d time.Duration) (adapter.Event, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return a.WaitFor(wctx, mark, adapter.Named("loadSummary"))
}

// receive runs host load mode → node receive once.
func receive(ctx context.Context, p *pair, mode string, count, batch int64, rate float64) (*Cell, adapter.Event, error) {
	c := &Cell{Count: count}
	nm, hm := p.node.Mark(), p.host.Mark()
	timeout := 30 * time.Second
	if rate > 0 {
		timeout += time.Duration(float64(count) / rate * float64(time.Second))
	}
	if _, err := p.node.Do(ctx, adapter.Load("receive", map[string]any{"count": count, "streams": []string{mode},
		"idleMs": 3000, "timeoutMs": timeout.Milliseconds()})); err != nil {
		return nil, adapter.Event{}, err
	}
	a := snap(p)
	if _, err := p.host.Do(ctx, adapter.Load(mode, map[string]any{"count": count, "batch": batch, "rate": rate, "progressMs": 60000})); err != nil {
		return nil, adapter.Event{}, err
	}
	hs, err := waitSummary(ctx, p.host, hm, timeout+10*time.Second)
	if err != nil {
		return nil, adapter.Event{}, fmt.Errorf("host summary: %w", err)
	}
	ns, err := waitSummary(ctx, p.node, nm, timeout+10*time.Second)
	if err != nil {
		return nil, adapter.Event{}, fmt.Errorf("node summary: %w", err)
	}
	b := snap(p)
	c.HostPerS, _ = hs.Float("perSecond")
	c.Outcome = ns.Str("outcome")
	st, ok := ns.Path("streams", mode)
	if !ok {
		return nil, ns, fmt.Errorf("node summary without stream %s: %s", mode, ns)
	}
	m, _ := st.(map[string]any)
	c.PerS = num(m["perSecond"])
	c.Received = int64(num(m["unique"]))
	c.Missing = int64(num(m["missing"]))
	c.Dup = int64(num(m["duplicates"]))
	c.Reorder = int64(num(m["reordered"]))
	c.Elapsed = int64(num(m["elapsedNs"]))
	if lat, ok := m["latency"].(map[string]any); ok {
		c.P50, c.P99, c.P999, c.Max = int64(num(lat["p50Ns"])), int64(num(lat["p99Ns"])), int64(num(lat["p999Ns"])), int64(num(lat["maxNs"]))
	}
	account(c, a, b, count)
	if c.Missing > 0 || c.Dup > 0 || c.Reorder > 0 {
		c.Note = fmt.Sprintf("receiver: %d missing, %d duplicated, %d reordered (outcome %s)", c.Missing, c.Dup, c.Reorder, c.Outcome)
	}
	return c, ns, nil
}

func num(v any) float64 {
	switch x := v.(type) {
	case interface{ Float64() (float64, error) }:
		f, _ := x.Float64()
		return f
	case float64:
		return x
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return 0
}

// sized returns the count for a measured run of d at rate perS.
func sized(perS float64, d time.Duration, minCount, batch int64) int64 {
	n := int64(perS * d.Seconds())
	n = min(max(n, minCount), 20_000_000)
	if batch > 1 {
		n = (n + batch - 1) / batch * batch
	}
	return n
}

// throughput: a calibration run of w.Count, then a run sized for d.
func throughput(ctx context.Context, p *pair, w Workload, d time.Duration) (*Cell, error) {
	cal, _, err := receive(ctx, p, w.Mode, w.Count, w.Batch, 0)
	if err != nil {
		return nil, err
	}
	n := sized(cal.PerS, d, w.Count, w.Batch)
	c, _, err := receive(ctx, p, w.Mode, n, w.Batch, 0)
	if err != nil {
		return nil, err
	}
	c.Calibrated = w.Count
	c.Value = c.PerS
	return c, nil
}

// latency: one run at the workload's fixed rate for d.
func latency(ctx context.Context, p *pair, w Workload, d time.Duration) (*Cell, error) {
	n := max(int64(w.Rate*d.Seconds()), 1)
	c, _, err := receive(ctx, p, w.Mode, n, max(w.Batch, 1), w.Rate)
	if err != nil {
		return nil, err
	}
	c.Value = float64(c.P50)
	return c, nil
}

// callsOnce runs node load calls once.
func callsOnce(ctx context.Context, p *pair, count, inflight int64) (*Cell, error) {
	c := &Cell{Count: count}
	mark := p.node.Mark()
	a := snap(p)
	if _, err := p.node.Do(ctx, adapter.Load("calls", map[string]any{"count": count, "inflight": inflight, "timeoutMs": 120000})); err != nil {
		return nil, err
	}
	ev, err := waitSummary(ctx, p.node, mark, 130*time.Second)
	if err != nil {
		return nil, err
	}
	b := snap(p)
	c.PerS, _ = ev.Float("perSecond")
	c.Received, _ = ev.Int("completed")
	c.Errors, _ = ev.Int("errors")
	mis, _ := ev.Int("mismatches")
	c.Errors += mis
	c.Missing = count - c.Received
	c.Elapsed, _ = ev.Int("elapsedNs")
	c.Outcome = ev.Str("outcome")
	if rtt := ev.Object("rtt"); rtt != nil {
		c.P50, c.P99, c.P999, c.Max = int64(num(rtt["p50Ns"])), int64(num(rtt["p99Ns"])), int64(num(rtt["p999Ns"])), int64(num(rtt["maxNs"]))
	}
	account(c, a, b, count)
	return c, nil
}

func calls(ctx context.Context, p *pair, w Workload, d time.Duration) (*Cell, error) {
	cal, err := callsOnce(ctx, p, w.Count, max(w.Inflight, 1))
	if err != nil {
		return nil, err
	}
	c, err := callsOnce(ctx, p, sized(cal.PerS, d, w.Count, 1), max(w.Inflight, 1))
	if err != nil {
		return nil, err
	}
	c.Calibrated = w.Count
	c.Value = c.PerS
	return c, nil
}

// replicas: w.Count nodes at once against the host; the headline is the
// time from the start to the last replica Valid.
func replicas(ctx context.Context, p *pair, w Workload) (*Cell, error) {
	c := &Cell{Count: w.Count}
	mark := p.node.Mark()
	a := snap(p)
	if _, err := p.node.Do(ctx, adapter.Load("replicas", map[string]any{"count": w.Count, "url": p.url, "timeoutMs": 15000})); err != nil {
		return nil, err
	}
	ev, err := waitSummary(ctx, p.node, mark, 60*time.Second)
	if err != nil {
		return nil, err
	}
	b := snap(p)
	c.Received, _ = ev.Int("valid")
	c.Missing = w.Count - c.Received
	c.Errors, _ = ev.Int("nodeErrors")
	c.Elapsed, _ = ev.Int("elapsedNs")
	c.PerS, _ = ev.Float("perSecond")
	c.Outcome = ev.Str("outcome")
	c.States = ev.Object("states")
	first, _ := ev.Int("firstValidNs")
	c.P50 = first // first Valid (the summary has no percentiles)
	account(c, a, b, w.Count)
	c.Value = float64(c.Elapsed)
	if c.Outcome != "complete" {
		c.Note = fmt.Sprintf("only %d of %d replicas Valid within 15 s (states %v)", c.Received, w.Count, c.States)
	}
	// Let the host drop the storm's connections before the next row.
	time.Sleep(500 * time.Millisecond)
	return c, nil
}

// epollStorm runs loadgen's epoll replicas (stormclient) against the
// target's host process: Count connections, 512 connecting at a time, each
// initialising a static replica of the host's object, as the node's `load
// replicas` does.
func epollStorm(ctx context.Context, p *pair, w Workload) (*Cell, error) {
	c := &Cell{Count: w.Count}
	// The rows before may have been storms too: give the host time to
	// close their connections, so this one measures a host at rest.
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	a := snap(p)
	r, err := stormclient.Run(ctx, stormclient.Config{URL: p.url, Object: p.host.Ready().Str("object"),
		Count: int(w.Count), InFlight: 512, Timeout: 15 * time.Second})
	if err != nil {
		return nil, err
	}
	b := snap(p)
	c.Received, c.Missing, c.Errors = int64(r.Valid), w.Count-int64(r.Valid), int64(r.Failed)
	c.Elapsed = r.Elapsed.Nanoseconds()
	if len(r.Init) > 0 {
		slices.Sort(r.Init)
		at := func(q float64) int64 { return r.Init[min(int(q*float64(len(r.Init))), len(r.Init)-1)].Nanoseconds() }
		c.P50, c.P99, c.P999, c.Max = at(0.5), at(0.99), at(0.999), r.Init[len(r.Init)-1].Nanoseconds()
	}
	c.Outcome = "complete"
	if r.Valid < int(w.Count) {
		c.Outcome = "timeout"
		c.Note = fmt.Sprintf("only %d of %d replicas Valid within 15 s", r.Valid, w.Count)
		if r.FirstErr != nil {
			c.Note += fmt.Sprintf("; %d connections failed, the first: %v", r.Failed, r.FirstErr)
		}
	}
	account(c, a, b, w.Count) // host CPU; loadgen's own is "self", not counted as others
	c.Value = float64(c.Elapsed)
	time.Sleep(500 * time.Millisecond) // let the host drop the storm's connections
	return c, nil
}

// Goal is one of the targets, evaluated on the report.
type Goal struct {
	Goal   string `json:"goal"`
	Met    bool   `json:"met"`
	Actual string `json:"actual"`
}

func (r *Report) row(name string) *Row {
	for i := range r.Rows {
		if r.Rows[i].Workload.Name == name {
			return &r.Rows[i]
		}
	}
	return nil
}

func (r *Row) cell(target string) *Cell {
	for _, c := range r.Cells {
		if c.Target == target && c.Error == "" {
			return c
		}
	}
	return nil
}

// Goals evaluates the targets: Go ≥ 2× Qt 6 for single property
// changes; 10,000 replicas Valid within 1 s; loadgen never the bottleneck.
func Goals(r *Report) []Goal {
	var gs []Goal
	if row := r.row("props-b1"); row != nil {
		g, q := row.cell("go"), row.cell("qt6")
		if g != nil && q != nil && q.Value > 0 {
			ratio := g.Value / q.Value
			gs = append(gs, Goal{Goal: "Go ≥ 2× Qt 6 for single property changes (props-b1, Go → Go vs Qt 6 → Qt 6)", Met: ratio >= 2,
				Actual: fmt.Sprintf("%.2f× (%s/s vs %s/s)", ratio, si(g.Value), si(q.Value))})
		}
	}
	if row := r.row("replicas-10k"); row != nil {
		if g := row.cell("go"); g != nil {
			ok := g.Outcome == "complete" && g.Elapsed <= int64(time.Second)
			actual := fmt.Sprintf("%d of %d Valid, the last %s after the storm started", g.Received, g.Count, dur(g.Elapsed))
			if ref := row.Reference; ref != nil && ref.Error == "" {
				actual += fmt.Sprintf("; loadgen's raw Go sockets, the same 10,000 connections with no QtRO: %s", dur(ref.Elapsed))
			}
			if lg := r.row("replicas-10k-loadgen"); lg != nil {
				if c := lg.cell("go"); c != nil {
					actual += fmt.Sprintf("; per replica (connect → Valid, loadgen's Go replicas on the Go host process): p50 %s, max %s", dur(c.P50), dur(c.Max))
				}
			}
			gs = append(gs, Goal{Goal: "10,000 Go replicas initialised in ≤ 1 s (all Valid within 1 s of the storm's start; Go node process → Go host process)", Met: ok,
				Actual: actual})
		}
	}
	if row := r.row("replicas-10k-epoll"); row != nil {
		if g := row.cell("go"); g != nil && g.Error == "" {
			ok := g.Outcome == "complete" && g.Elapsed <= int64(time.Second)
			actual := fmt.Sprintf("%d of %d Valid, the last %s after the storm started; each p50 %s, max %s", g.Received, g.Count, dur(g.Elapsed), dur(g.P50), dur(g.Max))
			for _, q := range row.Cells {
				if q.Target != "go" && q.Error == "" {
					actual += fmt.Sprintf("; %s host: %d Valid after %s", q.Target, q.Received, dur(q.Elapsed))
				}
			}
			gs = append(gs, Goal{Goal: "the Go host initialises 10,000 replicas in ≤ 1 s (loadgen's epoll replicas: QtRO handshake, AddObject, Init per connection; Go host process)", Met: ok,
				Actual: actual})
		}
	}
	// The model rows: Go at least 2× Qt 6 on each (issue 18 item 7).
	for _, row := range r.Rows {
		if row.Workload.Kind != KindModelFirst && row.Workload.Kind != KindModelInsert && row.Workload.Kind != KindModelChanges {
			continue
		}
		g, q := row.cell("go"), row.cell("qt6")
		if g == nil || q == nil {
			continue
		}
		goal := Goal{Goal: fmt.Sprintf("Go ≥ 2× Qt 6 on %s (%s)", row.Workload.Name, row.Workload.Title)}
		ratio, ok := row.Ratios["go/qt6"]
		rowCells := row
		switch {
		case ok && ratio > 0:
			goal.Met = ratio >= 2
			goal.Actual = fmt.Sprintf("%.2f× (Go %s, Qt 6 %s)", ratio, cellText(rowCells, g), cellText(rowCells, q))
		default:
			goal.Actual = fmt.Sprintf("no ratio (Go %s; Qt 6 %s)", cellText(rowCells, g), cellText(rowCells, q))
		}
		gs = append(gs, goal)
	}
	// loadgen never the bottleneck: in the adapter rows loadgen is not in
	// the data path; where it is (the raw reference, loadgen's receivers),
	// its own capacity must exceed what the fastest target reaches.
	var worst string
	met, any := true, false
	for _, row := range r.Rows {
		ref := row.Reference
		if ref == nil || ref.Error != "" || row.Better != "higher" {
			continue
		}
		for _, c := range row.Cells {
			if c.Error != "" {
				continue
			}
			any = true
			if c.Value > ref.Value {
				met = false
				worst = fmt.Sprintf("%s: %s reaches %s/s, loadgen's raw reference only %s/s", row.Workload.Name, c.Target, si(c.Value), si(ref.Value))
			}
		}
	}
	if any {
		actual := "in every throughput row loadgen's raw reference (its own sender and receivers, same frames, no QtRO) moved more than the fastest target"
		if !met {
			actual = worst
		}
		gs = append(gs, Goal{Goal: "loadgen is never the bottleneck", Met: met, Actual: actual})
	}
	return gs
}

// si formats a rate compactly (12.3k, 1.23M).
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

// SortedRatios returns a row's ratio keys in a stable order.
func (r *Row) SortedRatios() []string {
	ks := make([]string, 0, len(r.Ratios))
	for k := range r.Ratios {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
