package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/internal/proc"
	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/compare"
	"github.com/qtro/qtro/loadgen/modelload"
	"github.com/qtro/qtro/loadgen/progress"
	"github.com/qtro/qtro/loadgen/report"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target"
	"github.com/qtro/qtro/loadgen/target/gonode"
	"github.com/qtro/qtro/loadgen/target/peer"
	"github.com/qtro/qtro/loadgen/target/raw"
	"github.com/qtro/qtro/loadgen/threshold"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// exitThresholds is the exit status when a run's thresholds fail (as k6).
const exitThresholds = 99

// newLoadgenCmd is `qtro loadgen`: a thin wrapper over package loadgen.
func newLoadgenCmd() *cobra.Command {
	var demo demoFlags
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Load-test QtRO hosts and replicas (no arguments: the demo)",
		Long: `loadgen drives meshes of QtRO hosts and replicas and measures them correctly:
latency from each update's intended send time (no coordinated omission), loss,
duplication and reordering per replica while it is Valid, init times, throughput
over time, host memory, and the generator's own capacity (sender lag, dropped
sends). Distributions are HdrHistograms; shards merge exactly.

With no arguments it runs the demo: an embedded Go host and 1,000 Go replicas on
loopback for 10 s, then the same mesh's capacity (closed model) and the raw
framed-socket reference (the physical limit), and writes a JSON summary and a
self-contained HTML report to ./out/loadgen/.

Exit status: 0 when every threshold passes, 99 when one fails, 1 on errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return exitOn(runDemo(cmd, demo)) },
	}
	demo.register(cmd.Flags())
	cmd.AddCommand(newLoadgenDemoCmd(), newLoadgenRunCmd(), newLoadgenMergeCmd(), newLoadgenTableCmd(), newLoadgenCompareCmd(), newLoadgenModelPeerCmd())
	return cmd
}

type demoFlags struct {
	replicas    int
	duration    time.Duration
	rate        string
	transport   string
	out         string
	noReference bool
	capacityFor time.Duration
}

func (d *demoFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&d.replicas, "replicas", 1000, "replica nodes, each with its own connection")
	fs.DurationVar(&d.duration, "duration", 10*time.Second, "load phase")
	fs.StringVar(&d.rate, "rate", loadgen.DemoRate, "property changes per second (a schedule: 50, ramp:0..200, steps:50,100/2s)")
	fs.StringVar(&d.transport, "transport", "tcp", "tcp or local")
	fs.StringVar(&d.out, "out", filepath.Join("out", "loadgen"), "directory for the JSON summary and HTML report")
	fs.BoolVar(&d.noReference, "no-reference", false, "skip the capacity and raw reference runs")
	fs.DurationVar(&d.capacityFor, "capacity-duration", 3*time.Second, "length of the capacity and raw reference runs")
}

func newLoadgenDemoCmd() *cobra.Command {
	var demo demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Embedded Go host and 1,000 Go replicas on loopback for 10 s, with report",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return exitOn(runDemo(cmd, demo)) },
	}
	demo.register(cmd.Flags())
	return cmd
}

// targetOf returns the target a scenario names: in this process (go, raw)
// or hosts in processes of their own behind the adapter contract
// (go-adapter, qt5, qt6, adapter).
func targetOf(ctx context.Context, sc scenario.Scenario) (target.Target, error) {
	switch sc.Target {
	case "go", "":
		return gonode.Target{}, nil
	case "raw":
		return raw.Target{}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	t, err := peer.Named(ctx, sc.Target, sc.Dialect, exe, sc.Adapter)
	if err != nil {
		return nil, err
	}
	t.Count = sc.Count
	return t, nil
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// runOne runs a scenario in this process with a progress display.
func runOne(ctx context.Context, errOut *os.File, sc scenario.Scenario, title string, quiet bool) (*result.Summary, error) {
	t, err := targetOf(ctx, sc)
	if err != nil {
		return nil, err
	}
	var disp progress.Display
	opts := loadgen.Options{Scenario: sc, Target: t}
	if !quiet {
		disp = progress.New(errOut, title, time.Second)
		opts.Progress = disp
	}
	s, err := loadgen.Run(ctx, opts)
	if disp != nil {
		disp.Close()
	}
	return s, err
}

func runDemo(cmd *cobra.Command, d demoFlags) error {
	ctx, cancel := signalContext()
	defer cancel()
	sc := loadgen.DemoScenario()
	sc.Replicas, sc.Duration, sc.Rate, sc.Transport = d.replicas, scenario.Duration(d.duration), d.rate, d.transport
	if err := sc.Normalize(); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "qtro loadgen demo: 1 Go host, %d Go replicas over %s loopback, %s property changes/s for %v\n",
		sc.Replicas, sc.Transport, sc.Rate, d.duration)
	s, err := runOne(ctx, os.Stderr, sc, "demo", false)
	if err != nil {
		return err
	}
	if !d.noReference {
		fmt.Fprintf(out, "measuring capacity (closed model, %v) and the raw socket reference (%v)…\n", d.capacityFor, d.capacityFor)
		if s.Capacity, err = runOne(ctx, os.Stderr, loadgen.CapacityScenario(sc, d.capacityFor), "capacity", false); err != nil {
			return fmt.Errorf("capacity run: %w", err)
		}
		if s.Reference, err = runOne(ctx, os.Stderr, loadgen.ReferenceScenario(sc, d.capacityFor), "raw", false); err != nil {
			return fmt.Errorf("reference run: %w", err)
		}
	}
	return finish(cmd, s, report.DefaultPaths(d.out, sc.Name))
}

// finish prints and writes a summary and turns failed thresholds into the
// exit status.
func finish(cmd *cobra.Command, s *result.Summary, paths report.Paths) error {
	out := cmd.OutOrStdout()
	report.Text(out, s)
	if err := report.Write(s, paths); err != nil {
		return err
	}
	if paths.JSON != "" {
		fmt.Fprintf(out, "summary: %s\n", paths.JSON)
	}
	if paths.HTML != "" {
		fmt.Fprintf(out, "report:  %s\n", paths.HTML)
	}
	if paths.HdrLog != "" && s.LatencyKind != "" {
		fmt.Fprintf(out, "hdr log: %s\n", paths.HdrLog)
	}
	if !s.Pass {
		return errThresholds
	}
	return nil
}

// errThresholds means a run completed but a threshold failed.
var errThresholds = errors.New("loadgen: thresholds failed")

// exitOn turns errThresholds into exit status 99 (as k6), after every
// deferred cleanup of the command has run; cobra's errors all exit 1.
func exitOn(err error) error {
	if errors.Is(err, errThresholds) {
		fmt.Fprintln(os.Stderr, "qtro:", err)
		exit(exitThresholds)
	}
	return err
}

var exit = os.Exit

type runFlags struct {
	sc        scenario.Scenario
	file      string
	duration  time.Duration
	drain     time.Duration
	connectTO time.Duration
	heartbeat time.Duration
	hold      time.Duration
	killAt    time.Duration
	down      time.Duration
	shard     string
	procs     int
	control   string
	startAt   string
	out       string
	json      string
	html      string
	hlog      string
	quiet     bool
	capacity  bool
	reference bool
	cpuProf   string
	memProf   string
}

func newLoadgenRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "Run a scenario (from --scenario FILE and/or flags)",
		Long: `run runs one load scenario. A scenario file (YAML or JSON, see loadgen/scenarios/)
makes a run repeatable; flags override it for one-off runs.

Topologies: one (1:1), fanout (1 host, N replicas), fanin (M hosts, 1 node), mesh
(M hosts × N nodes through a registry), storm (N replicas connecting at once),
churn (connect, init, release, close, repeat), heartbeat (N replicas with Qt's
heartbeat on). Workloads: props, signals, payload, echo, none. Open model
(--rate schedule: 1000, ramp:0..5k, steps:1k,2k,5k/2s, stages:0..1k/5s,1k/10s) or
closed model (--model closed --inflight N).

Beyond one process: --procs N runs N local processes (shard 0 the hosts, shards
1..N-1 the replicas, e.g. for 10,000 replicas under a 20,000-descriptor limit) and
merges them; on several machines run --shard i/N --start-at T on each and
'qtro loadgen merge' the JSON files.

Thresholds (--threshold 'p99<2ms' --threshold 'lost==0') decide the exit status:
0 pass, 99 fail, 1 error. Metrics: ` + joinNames(),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return exitOn(runRun(cmd, &f)) },
	}
	fs := cmd.Flags()
	d := scenario.Default()
	fs.StringVar(&f.file, "scenario", "", "scenario file (YAML or JSON)")
	fs.StringVar(&f.sc.Name, "name", "", "run name (default: the topology)")
	fs.StringVar(&f.sc.Target, "target", d.Target, "go (reference node, in process), raw (framed sockets, no QtRO), or a host process behind the adapter contract: go-adapter, qt5, qt6, qt@QT (qt@6.8, qt@newest), adapter (--adapter CMD)")
	fs.StringArrayVar(&f.sc.Adapter, "adapter", nil, "target adapter: the adapter command, one word per flag (repeatable)")
	fs.Int64Var(&f.sc.Count, "count", 0, "closed model on adapter hosts: updates per object, sent as fast as the host goes (default 200,000)")
	fs.DurationVar(&f.killAt, "kill-at", 0, "chaos: kill every host (SIGKILL) this long after the load start (adapter targets)")
	fs.DurationVar(&f.down, "down", 0, "chaos: restart the hosts this long after the kill (default 1s)")
	fs.StringVar(&f.sc.Topology, "topology", d.Topology, "one, fanout, fanin, mesh, storm, churn, heartbeat")
	fs.StringVar(&f.sc.Transport, "transport", d.Transport, "tcp or local")
	fs.StringVar(&f.sc.Dialect, "dialect", d.Dialect, "qt6 or qt5")
	fs.IntVar(&f.sc.Hosts, "hosts", 0, "host nodes (default by topology)")
	fs.IntVar(&f.sc.Objects, "objects", 1, "Tick sources per host")
	fs.IntVar(&f.sc.Replicas, "replicas", 0, "replica nodes (default by topology)")
	fs.BoolVar(&f.sc.Dynamic, "dynamic", false, "acquire dynamic replicas")
	fs.StringVar(&f.sc.Workload, "workload", "", "props, signals, payload, echo, none (default by topology)")
	fs.IntVar(&f.sc.Payload, "payload", 0, "payload bytes (payload workload)")
	fs.IntVar(&f.sc.Batch, "batch", 1, "updates per turn (B)")
	fs.StringVar(&f.sc.Model, "model", d.Model, "open (rate schedule) or closed (as fast as possible)")
	fs.StringVar(&f.sc.Rate, "rate", d.Rate, "open model schedule, updates/s per object (echo: calls/s per replica)")
	fs.IntVar(&f.sc.Inflight, "inflight", 1, "closed model: turns (push) or calls per replica (echo) outstanding")
	fs.DurationVar(&f.duration, "duration", d.Duration.D(), "load phase")
	fs.DurationVar(&f.drain, "drain", d.Drain.D(), "wait at most this after the load for stragglers")
	fs.DurationVar(&f.connectTO, "connect-timeout", d.ConnectTimeout.D(), "replicas not Valid by then count as invalid")
	fs.Float64Var(&f.sc.ConnectRate, "connect-rate", 0, "new replica nodes per second (0: all at once)")
	fs.DurationVar(&f.heartbeat, "heartbeat", 0, "replica heartbeat interval (0: off; heartbeat topology: 1s)")
	fs.DurationVar(&f.hold, "hold", d.Hold.D(), "churn: how long a replica stays Valid before release")
	fs.IntVar(&f.sc.MaxSendQueue, "max-send-queue", 0, "per-connection send bound in bytes (0: node default)")
	fs.StringVar(&f.sc.Listen, "listen", "", "base URL for sharded runs (tcp://127.0.0.1:7400, local:/tmp/x)")
	fs.StringArrayVar(&f.sc.Thresholds, "threshold", nil, "pass/fail condition, e.g. 'p99<2ms', 'lost==0' (repeatable)")
	fs.StringVar(&f.shard, "shard", "", "run shard i/n of the mesh (0: hosts; 1..n-1: replicas)")
	fs.IntVar(&f.procs, "procs", 0, "split the run over N local processes and merge them")
	fs.StringVar(&f.control, "control", "", "shard coordination: stdio (used by --procs)")
	fs.StringVar(&f.startAt, "start-at", "", "shards: start the load at this wall time (RFC 3339 or Unix ns)")
	fs.StringVar(&f.out, "out", filepath.Join("out", "loadgen"), "directory for the summary and report")
	fs.StringVar(&f.json, "json", "", "summary path (default: OUT/NAME-TIME.json)")
	fs.StringVar(&f.html, "html", "", "report path (default: OUT/NAME-TIME.html; '' with --json: none)")
	fs.StringVar(&f.hlog, "hdr-log", "", "per-second latency histograms in HdrHistogram's log format (default: OUT/NAME-TIME.hlog)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	fs.BoolVar(&f.capacity, "capacity", false, "also measure capacity (closed model) and the raw reference on the same mesh")
	fs.BoolVar(&f.reference, "reference", false, "also run the same scenario on the raw framed-socket target (the physical limit)")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile of this process (pprof) to FILE")
	fs.StringVar(&f.memProf, "memprofile", "", "write a heap profile of this process (pprof) to FILE after the drain, before closing")
	return cmd
}

func joinNames() string {
	s := ""
	for i, n := range threshold.Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// scenarioOf merges the scenario file and the flags set explicitly.
func scenarioOf(cmd *cobra.Command, f *runFlags) (scenario.Scenario, error) {
	sc := f.sc
	sc.Duration, sc.Drain, sc.ConnectTimeout = scenario.Duration(f.duration), scenario.Duration(f.drain), scenario.Duration(f.connectTO)
	sc.Heartbeat, sc.Hold = scenario.Duration(f.heartbeat), scenario.Duration(f.hold)
	sc.KillAt, sc.Down = scenario.Duration(f.killAt), scenario.Duration(f.down)
	if f.file == "" {
		if !cmd.Flags().Changed("rate") && sc.Model == scenario.Closed {
			sc.Rate = ""
		}
		if !cmd.Flags().Changed("dialect") && scenario.QtDialect(sc.Target) != "" {
			sc.Dialect = scenario.QtDialect(sc.Target) // a Qt peer speaks its own dialect only
		}
		return sc, nil
	}
	base, err := scenario.Load(f.file)
	if err != nil {
		return sc, err
	}
	fs := cmd.Flags()
	set := func(name string, apply func()) {
		if fs.Changed(name) {
			apply()
		}
	}
	set("name", func() { base.Name = sc.Name })
	set("target", func() { base.Target = sc.Target })
	set("adapter", func() { base.Adapter = sc.Adapter })
	set("count", func() { base.Count = sc.Count })
	set("kill-at", func() { base.KillAt = sc.KillAt })
	set("down", func() { base.Down = sc.Down })
	set("topology", func() { base.Topology = sc.Topology })
	set("transport", func() { base.Transport = sc.Transport })
	set("dialect", func() { base.Dialect = sc.Dialect })
	set("hosts", func() { base.Hosts = sc.Hosts })
	set("objects", func() { base.Objects = sc.Objects })
	set("replicas", func() { base.Replicas = sc.Replicas })
	set("dynamic", func() { base.Dynamic = sc.Dynamic })
	set("workload", func() { base.Workload = sc.Workload })
	set("payload", func() { base.Payload = sc.Payload })
	set("batch", func() { base.Batch = sc.Batch })
	set("model", func() { base.Model = sc.Model })
	set("rate", func() { base.Rate = sc.Rate })
	set("inflight", func() { base.Inflight = sc.Inflight })
	set("duration", func() { base.Duration = sc.Duration })
	set("drain", func() { base.Drain = sc.Drain })
	set("connect-timeout", func() { base.ConnectTimeout = sc.ConnectTimeout })
	set("connect-rate", func() { base.ConnectRate = sc.ConnectRate })
	set("heartbeat", func() { base.Heartbeat = sc.Heartbeat })
	set("hold", func() { base.Hold = sc.Hold })
	set("max-send-queue", func() { base.MaxSendQueue = sc.MaxSendQueue })
	set("listen", func() { base.Listen = sc.Listen })
	set("threshold", func() { base.Thresholds = append(base.Thresholds, sc.Thresholds...) })
	if !fs.Changed("dialect") && fs.Changed("target") && scenario.QtDialect(base.Target) != "" {
		base.Dialect = scenario.QtDialect(base.Target)
	}
	return base, nil
}

func parseStartAt(s string) (int64, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixNano(), nil
	}
	var ns int64
	if _, err := fmt.Sscanf(s, "%d", &ns); err != nil || ns <= 0 {
		return 0, fmt.Errorf("--start-at %q: want RFC 3339 or Unix nanoseconds", s)
	}
	return ns, nil
}

func runRun(cmd *cobra.Command, f *runFlags) error {
	ctx, cancel := signalContext()
	defer cancel()
	if f.cpuProf != "" && f.procs <= 1 {
		pf, err := os.Create(f.cpuProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			pf.Close()
		}()
	}
	// The heap profile is taken at the run's peak, before anything closes.
	heapProfile := func() {
		if f.memProf == "" || f.procs > 1 {
			return
		}
		if pf, err := os.Create(f.memProf); err == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(pf)
			pf.Close()
		}
	}
	sc, err := scenarioOf(cmd, f)
	if err != nil {
		return err
	}
	if err := sc.Normalize(); err != nil {
		return err
	}
	ths, err := threshold.ParseAll(sc.Thresholds)
	if err != nil {
		return err
	}
	paths := report.DefaultPaths(f.out, sc.Name)
	if cmd.Flags().Changed("json") {
		paths.JSON = f.json
		paths.HTML, paths.HdrLog = "", ""
	}
	if cmd.Flags().Changed("html") {
		paths.HTML = f.html
	}
	if cmd.Flags().Changed("hdr-log") {
		paths.HdrLog = f.hlog
	}

	var s *result.Summary
	switch {
	case f.procs > 1:
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "qtro-loadgen-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		p := &loadgen.Procs{Exe: exe, Args: []string{"loadgen", "run"}, N: f.procs, Dir: dir, Stderr: os.Stderr, Scenario: sc,
			ChildArgs: func(i int) []string {
				// Each shard profiles itself: FILE.shard0, FILE.shard1, …
				var a []string
				if f.cpuProf != "" {
					a = append(a, "--cpuprofile", fmt.Sprintf("%s.shard%d", f.cpuProf, i))
				}
				if f.memProf != "" {
					a = append(a, "--memprofile", fmt.Sprintf("%s.shard%d", f.memProf, i))
				}
				return a
			}}
		if s, err = p.Run(ctx); err != nil {
			return err
		}
		s.Env = result.Environment()
		s.ApplyThresholds(ths)
	default:
		opts := loadgen.Options{Scenario: sc, BeforeClose: heapProfile}
		if opts.Target, err = targetOf(ctx, sc); err != nil {
			return err
		}
		if f.shard != "" {
			if opts.Shard, err = loadgen.ParseShard(f.shard); err != nil {
				return err
			}
		}
		switch {
		case f.control == "stdio":
			opts.Control = &loadgen.StdioControl{Shard: opts.Shard.Index, In: os.Stdin, Out: os.Stdout}
		case f.control != "":
			return fmt.Errorf("--control %q: only stdio", f.control)
		case f.startAt != "":
			t, err := parseStartAt(f.startAt)
			if err != nil {
				return err
			}
			opts.Control = loadgen.WallControl{StartUnixNs: t}
		}
		var disp progress.Display
		if !f.quiet {
			disp = progress.New(os.Stderr, sc.Name, time.Second)
			opts.Progress = disp
		} else if f.control == "stdio" {
			// Shard children report plain lines on stderr every 2s.
			disp = progress.NewLines(os.Stderr, fmt.Sprintf("[shard %s]", opts.Shard), 2*time.Second)
			opts.Progress = disp
		}
		s, err = loadgen.Run(ctx, opts)
		if disp != nil {
			disp.Close()
		}
		if err != nil {
			return err
		}
	}
	if f.capacity && f.procs <= 1 && f.shard == "" {
		d := min(sc.Duration.D(), 5*time.Second)
		if s.Capacity, err = runOne(ctx, os.Stderr, loadgen.CapacityScenario(sc, d), "capacity", f.quiet); err != nil {
			return fmt.Errorf("capacity run: %w", err)
		}
		if sc.Topology != scenario.Mesh && sc.Topology != scenario.Churn {
			if s.Reference, err = runOne(ctx, os.Stderr, loadgen.ReferenceScenario(sc, d), "raw", f.quiet); err != nil {
				return fmt.Errorf("reference run: %w", err)
			}
		}
	}
	if f.reference && s.Reference == nil && f.shard == "" && f.control == "" {
		ref := sc
		ref.Name, ref.Target, ref.Dynamic, ref.Thresholds = sc.Name+"-raw", "raw", false, nil
		if f.procs > 1 {
			exe, _ := os.Executable()
			dir, err := os.MkdirTemp("", "qtro-loadgen-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			p := &loadgen.Procs{Exe: exe, Args: []string{"loadgen", "run"}, N: f.procs, Dir: dir, Stderr: os.Stderr, Scenario: ref}
			if s.Reference, err = p.Run(ctx); err != nil {
				return fmt.Errorf("reference run: %w", err)
			}
		} else if s.Reference, err = runOne(ctx, os.Stderr, ref, "raw", f.quiet); err != nil {
			return fmt.Errorf("reference run: %w", err)
		}
	}
	if f.control == "stdio" {
		// A shard child: the launcher reads the JSON; stdout is the control channel.
		return report.Write(s, report.Paths{JSON: f.json})
	}
	return finish(cmd, s, paths)
}

func newLoadgenMergeCmd() *cobra.Command {
	var m mergeFlags
	cmd := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Merge shard summaries exactly (HdrHistograms) and apply thresholds to the result",
		Long: `merge combines the JSON summaries of a sharded run (--shard i/n on one or more
machines): counts add, HdrHistograms merge losslessly, per-second series align on
the shared start, and percentiles are recomputed from the merged histograms, never
averaged. Thresholds apply to the merged result. One FILE re-renders its report.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return exitOn(runMerge(cmd, args, &m)) },
	}
	cmd.Flags().StringArrayVar(&m.ths, "threshold", nil, "pass/fail condition on the merged result (repeatable; default: the scenario's)")
	cmd.Flags().StringVar(&m.out, "out", filepath.Join("out", "loadgen"), "directory for the merged summary and report")
	cmd.Flags().StringVar(&m.json, "json", "", "merged summary path")
	cmd.Flags().StringVar(&m.html, "html", "", "merged report path")
	cmd.Flags().IntVar(&m.expect, "expect", 0, "wait until the FILE patterns match this many files (shards still running elsewhere)")
	cmd.Flags().DurationVar(&m.wait, "wait", 10*time.Minute, "with --expect: give up after this long")
	return cmd
}

type mergeFlags struct {
	ths             []string
	out, json, html string
	expect          int
	wait            time.Duration
}

func runMerge(cmd *cobra.Command, args []string, m *mergeFlags) error {
	ts, err := threshold.ParseAll(m.ths)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	if args, err = loadgen.SummaryFiles(ctx, args, m.expect, m.wait); err != nil {
		return err
	}
	if len(args) == 0 {
		return errors.New("merge: no summary files")
	}
	var parts []*result.Summary
	for _, p := range args {
		s, err := result.Read(p)
		if err != nil {
			return err
		}
		parts = append(parts, s)
	}
	s, err := result.Merge(parts...)
	if err != nil {
		return err
	}
	if len(parts) == 1 {
		s.Capacity, s.Reference = parts[0].Capacity, parts[0].Reference
	}
	if len(ts) == 0 {
		// Keep the thresholds the scenario carried.
		if sc, err := scenario.FromMap(s.Scenario); err == nil {
			ts, _ = threshold.ParseAll(sc.Thresholds)
		}
	}
	s.ApplyThresholds(ts)
	paths := report.DefaultPaths(m.out, s.Name+"-merged")
	if m.json != "" {
		paths.JSON = m.json
	}
	if m.html != "" {
		paths.HTML = m.html
	}
	return finish(cmd, s, paths)
}

func newLoadgenTableCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "table FILE...",
		Short: "Condense summaries into one results table (JSON rows with the commands that made them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ss []*result.Summary
			for _, p := range args {
				s, err := result.Read(p)
				if err != nil {
					return err
				}
				ss = append(ss, s)
			}
			t := report.NewTable(ss)
			if out == "" {
				return t.Write(cmd.OutOrStdout())
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			if err := t.Write(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the table here (default: stdout)")
	return cmd
}

type compareFlags struct {
	targets   []string
	adapters  []string
	workloads []string
	duration  time.Duration
	out       string
	name      string
	noRef     bool
	noLoadgen bool
	log       string
	render    string
	certDir   string
}

func newLoadgenCompareCmd() *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "The same workloads against the Go node, the Qt 6 and the Qt 5 peer in one run, side by side as ratios",
		Long: `compare runs each workload against every target in turn (so each row is measured in
the same minute) with the same process topology for all: a host process and a node
process of the implementation, behind the adapter contract (specs/ADAPTER.md §9 load
modes), over loopback TCP. loadgen only orchestrates and reads their summaries.

Targets: go (qtro adapter --dialect qt6), go5 (--dialect qt5), qt6, qt5 (the real Qt
peers, built by ci/build-peers.sh when missing), qt@QT (the peer built against a newer
Qt of ci/qt-versions.tsv: qt@6.8, qt@6.11, qt@newest; its Debian root is built when
missing), and NAME=COMMAND for any adapter (--adapter 'mystack=/opt/mystack/adapter --flag').

Workloads: props-b1, props-b100 (property changes/s at 1 and 100 per batch),
signals-b1, signals-latency (one-way at a fixed rate), echo (round trips, 1 in
flight), replicas-1k, replicas-10k (time until all Valid), props-b1-loadgen (each
host feeding loadgen's own Go replica), replicas-10k-loadgen (10,000 of loadgen's Go
replicas against each host: wall time and per-replica init times), replicas-10k-epoll
(10,000 of loadgen's lean epoll replicas, 512 connecting at a time: the host's storm
capacity with the client costing what the kernel costs). The raw framed-socket
reference (the physical limit, and loadgen's own capacity) runs next to each row.

Item-model rows (loadgen/modelload; a model host process and a model replica
process of each implementation: qtro loadgen model-peer, or fixtures/qtapps'
qtro-qtapp from ci/build-qtapps.sh): model-first100 (a fresh replica of a
100,000-row model has its first 100 rows after), model-insert-10k (10,000 rows
inserted at once reach 100 replicas, every replica's content checked),
model-changes (dataChanged/s on a 1,000-row model with 10 replicas, sustained at
p99 ≤ 100 ms from the intended time), model-hostile (bad and hostile model
requests at the host).

Transport rows (issue 14 item 5; each target's adapter pair listens and connects on
another URL scheme, with a throwaway CA and certificates made for the run, and each
is set against its tcp:// row of the same run: throughput kept, CPU per change or per
replica added): props-b1-tls, signals-b1-tls, signals-latency-tls (tls+tcp; the last at
a fixed 5,000/s), props-b1-ws, props-b1-wss, replicas-1k-tls, replicas-1k-wss (a TLS
handshake per replica), and with loadgen's Go replicas: props-b1-loadgen-tls,
replicas-1k-loadgen-tls. Run them with their plain rows (props-b1, signals-b1,
signals-latency, replicas-1k, props-b1-loadgen, replicas-1k-loadgen). loadgen's
epoll replicas have no TLS or WebSocket layer: such a row says "not applicable".

Writes OUT/NAME.json and OUT/NAME.md, and prints the table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCompare(cmd, &f) },
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&f.targets, "targets", []string{"go", "qt6", "qt5"}, "targets in column order (the first is compared with each other)")
	fs.StringArrayVar(&f.adapters, "adapter", nil, "NAME=COMMAND: an adapter target (repeatable; add NAME to --targets)")
	fs.StringSliceVar(&f.workloads, "workloads", nil, "workload names (default: all)")
	fs.DurationVar(&f.duration, "duration", 3*time.Second, "length of each measured run")
	fs.StringVar(&f.out, "out", filepath.Join("out", "loadgen"), "directory for NAME.json and NAME.md")
	fs.StringVar(&f.name, "name", "", "file name stem (default comparison-YYYY-MM-DD)")
	fs.BoolVar(&f.noRef, "no-reference", false, "skip the raw reference column")
	fs.BoolVar(&f.noLoadgen, "no-loadgen-rows", false, "skip the rows with loadgen's own Go replicas")
	fs.StringVar(&f.log, "log", "", "write every adapter's events and stderr to FILE")
	fs.StringVar(&f.certDir, "cert-dir", "", "where the transport rows' throwaway CA and certificates go (default: a temporary directory, removed after the run)")
	fs.StringVar(&f.render, "render", "", "only re-render the Markdown of an earlier comparison's JSON (writes FILE.md next to it)")
	return cmd
}

// compareTarget resolves a target name of qtro loadgen compare.
// Without adapterNeeded a Qt target is resolved without its adapter peer
// (only its model load program: model rows only).
func compareTarget(ctx context.Context, name string, adapters map[string][]string, adapterNeeded bool) (compare.Target, error) {
	exe, err := os.Executable()
	if err != nil {
		return compare.Target{}, err
	}
	switch name {
	case "go", "go6", "go5":
		d := "qt6"
		if name == "go5" {
			d = "qt5"
		}
		return compare.Target{Name: name, Command: []string{exe, "adapter"}, Args: []string{"--dialect", d}, Dialect: d,
			Model: []string{exe, "loadgen", "model-peer"}, ModelArgs: []string{"--dialect", d}}, nil
	}
	if d := scenario.QtDialect(name); d != "" {
		if !adapterNeeded {
			if app := qtApp(name); app != nil {
				return compare.Target{Name: name, Dialect: d, Model: app}, nil
			}
		}
		t, err := peer.Named(ctx, name, d, exe, nil)
		if err != nil {
			return compare.Target{}, err
		}
		return compare.Target{Name: name, Command: t.Command, Dialect: d, Model: qtApp(name)}, nil
	}
	if c, ok := adapters[name]; ok {
		return compare.Target{Name: name, Command: c}, nil
	}
	return compare.Target{}, fmt.Errorf("compare: unknown target %q (go, go5, qt5, qt6, qt@QT, or --adapter %s=COMMAND)", name, name)
}

// qtApp is the Qt model load program of a target (fixtures/qtapps'
// qtro-qtapp: $QTRO_QT5_QTAPP / $QTRO_QT6_QTAPP, else build/qtapps/qt5|qt6
// from ci/build-qtapps.sh); nil when there is none (model rows unsupported).
func qtApp(name string) []string {
	if name != "qt5" && name != "qt6" {
		return nil
	}
	if p := os.Getenv("QTRO_" + strings.ToUpper(name) + "_QTAPP"); p != "" {
		return []string{p}
	}
	root, err := checkout.Root()
	if err != nil {
		return nil
	}
	p := filepath.Join(root, "build", "qtapps", name, "qtro-qtapp")
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	return []string{p}
}

// newLoadgenModelPeerCmd is the Go side of the model rows of compare: a
// model host or replica process of loadgen/modelload's protocol.
func newLoadgenModelPeerCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "model-peer --model-load-host|--model-load-replica URL NAME [--dialect D] [--cache ROWS]",
		Short:              "The Go node's model load program for compare's model rows (loadgen/modelload)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			_ = proc.DieWithParent(syscall.SIGTERM)
			ctx, cancel := signalContext()
			defer cancel()
			if rc := modelload.Main(ctx, args, os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr()); rc != 0 {
				os.Exit(rc)
			}
			return nil
		},
	}
}

func runCompare(cmd *cobra.Command, f *compareFlags) error {
	if f.render != "" {
		r, err := compare.Read(f.render)
		if err != nil {
			return err
		}
		md := strings.TrimSuffix(f.render, filepath.Ext(f.render)) + ".md"
		if err := compare.Write(r, "", md); err != nil {
			return err
		}
		compare.Markdown(cmd.OutOrStdout(), r)
		return nil
	}
	ctx, cancel := signalContext()
	defer cancel()
	adapters := map[string][]string{}
	for _, a := range f.adapters {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("--adapter %q: want NAME=COMMAND", a)
		}
		adapters[k] = strings.Fields(v)
	}
	opts := compare.Options{Duration: f.duration, Progress: cmd.ErrOrStderr(), CertDir: f.certDir}
	all := append(append(compare.DefaultWorkloads(), compare.ModelWorkloads()...), compare.TLSWorkloads()...)
	if len(f.workloads) == 0 {
		opts.Workloads = all
	}
	for _, n := range f.workloads {
		found := false
		for _, w := range all {
			if w.Name == n {
				opts.Workloads, found = append(opts.Workloads, w), true
			}
		}
		if !found {
			return fmt.Errorf("compare: unknown workload %q", n)
		}
	}
	// Model rows need no adapter (no Qt peer build) when they are all there is.
	adapterNeeded := slices.ContainsFunc(opts.Workloads, func(w compare.Workload) bool { return !compare.IsModel(w.Kind) })
	for _, n := range f.targets {
		t, err := compareTarget(ctx, n, adapters, adapterNeeded)
		if err != nil {
			return err
		}
		opts.Targets = append(opts.Targets, t)
	}
	if !f.noRef {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		opts.Reference = compare.RawReferenceProcs(exe)
	}
	if !f.noLoadgen {
		opts.Loadgen = compare.LoadgenRun
	}
	if f.log != "" {
		lf, err := os.Create(f.log)
		if err != nil {
			return err
		}
		defer lf.Close()
		opts.Log = lf
	}
	r, err := compare.Run(ctx, opts)
	if err != nil {
		return err
	}
	name := f.name
	if name == "" {
		name = "comparison-" + time.Now().Format("2006-01-02")
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	jp, mp := filepath.Join(f.out, name+".json"), filepath.Join(f.out, name+".md")
	if err := compare.Write(r, jp, mp); err != nil {
		return err
	}
	compare.Markdown(cmd.OutOrStdout(), r)
	fmt.Fprintf(cmd.OutOrStdout(), "\ncomparison: %s\n            %s\n", jp, mp)
	return nil
}
