package compare

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target"
	"github.com/qtro/qtro/loadgen/target/peer"
	"github.com/qtro/qtro/loadgen/target/raw"
)

// RawReference is Options.Reference with loadgen's raw framed-socket
// target in this process: the same frames over the same socket type with
// no QtRO encoding or decoding. Throughput rows run the closed model (256
// turns in flight at B=1, 64 at B=100), the latency row the same fixed
// echo one call in flight. Latency rows (the adapters time signals from
// their own send time, loadgen's raw sender from its intended time: not
// comparable) and replica storms have no raw counterpart (nil).
func RawReference(ctx context.Context, w Workload, d time.Duration) (*Cell, error) {
	sc := scenario.Scenario{Name: "raw-" + w.Name, Target: "raw", Topology: scenario.One, Duration: scenario.Duration(d),
		Drain: scenario.Duration(5 * time.Second)}
	switch w.Kind {
	case KindThroughput, KindLoadgen:
		sc.Workload, sc.Model, sc.Batch, sc.Inflight = w.Mode, scenario.Closed, int(w.Batch), 256
		if w.Batch > 1 {
			sc.Inflight = 64
		}
	case KindCalls:
		sc.Workload, sc.Model, sc.Inflight = scenario.Echo, scenario.Closed, int(max(w.Inflight, 1))
	default:
		return nil, nil
	}
	s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: raw.Target{}})
	if err != nil {
		return nil, err
	}
	return cellOf(s, w), nil
}

// RawReferenceProcs is RawReference plus the replica storms, which run in
// two processes of exe (qtro: host ‖ replicas), as 10,000 connections do
// not fit one process's descriptors with both ends. A storm's value is the
// wall time from the first connect to the last replica Valid.
func RawReferenceProcs(exe string) func(ctx context.Context, w Workload, d time.Duration) (*Cell, error) {
	return func(ctx context.Context, w Workload, d time.Duration) (*Cell, error) {
		if !isStorm(w.Kind) {
			return RawReference(ctx, w, d)
		}
		sc := scenario.Scenario{Name: "raw-" + w.Name, Target: "raw", Topology: scenario.Storm, Replicas: int(w.Count),
			Workload: scenario.None, Duration: scenario.Duration(time.Second), ConnectTimeout: scenario.Duration(60 * time.Second)}
		if err := sc.Normalize(); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "qtro-compare-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		p := &loadgen.Procs{Exe: exe, Args: []string{"loadgen", "run"}, N: 2, Dir: dir, Scenario: sc}
		s, err := p.Run(ctx)
		if err != nil {
			return nil, err
		}
		return stormCell(s), nil
	}
}

// stormCell condenses a storm: wall time to the last Valid, and the
// per-replica init times (connect → Valid).
func stormCell(s *result.Summary) *Cell {
	c := &Cell{Count: s.Delivery.Replicas, Received: s.Delivery.Replicas - s.Delivery.Invalid, Missing: s.Delivery.Invalid,
		Errors: s.Errors.Count, P50: s.Init.P50, P99: s.Init.P99, P999: s.Init.P999, Max: s.Init.Max,
		Elapsed: int64(s.Phases.ConnectS * 1e9), Others: s.CPU.ConnectOthers, LoadAvg: s.Env.LoadAvg, Outcome: "complete"}
	if s.Delivery.Invalid > 0 {
		c.Outcome = "timeout"
	}
	c.Value = float64(c.Elapsed)
	return c
}

// LoadgenRun is Options.Loadgen: the target's host process (through the
// adapter contract) feeding loadgen's Go replica in this process, closed
// model, one run of w.Count updates as fast as the host goes.
func LoadgenRun(ctx context.Context, t Target, w Workload, d time.Duration) (*Cell, error) {
	pt := &peer.Target{Label: t.Name, Command: t.Command, Args: t.Args, Env: t.Env, Dialect: t.Dialect, Count: w.Count}
	if err := secureTarget(pt, t, w.Transport); err != nil {
		return nil, err
	}
	tr := "tcp"
	if w.Transport != TransportTCP {
		tr = w.Transport
	}
	if w.Kind == KindLoadgenStorm {
		dialect := t.Dialect
		if dialect == "" {
			dialect = "qt6"
		}
		sc := scenario.Scenario{Name: w.Name + "-" + t.Name, Target: "adapter", Adapter: t.Command, Topology: scenario.Storm,
			Replicas: int(w.Count), Workload: scenario.None, Dialect: dialect, Duration: scenario.Duration(time.Second), Transport: tr,
			ConnectTimeout: scenario.Duration(15 * time.Second)}
		s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: pt})
		if err != nil {
			return nil, err
		}
		c := stormCell(s)
		c.URL = listenedOn(w.Transport)
		return c, nil
	}
	dialect := t.Dialect
	if dialect == "" {
		dialect = "qt6"
	}
	sc := scenario.Scenario{Name: w.Name + "-" + t.Name, Target: "adapter", Adapter: t.Command, Topology: scenario.One,
		Dialect: dialect, Workload: w.Mode, Model: scenario.Closed, Batch: int(max(w.Batch, 1)), Count: w.Count, Transport: tr,
		Duration: scenario.Duration(d), Drain: scenario.Duration(10 * time.Second)}
	s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: pt})
	if err != nil {
		return nil, err
	}
	c := cellOf(s, w)
	c.URL = listenedOn(w.Transport)
	return c, nil
}

// listenedOn is the listen URL of a loadgen run's host over a transport
// ("" for tcp://, as the adapter rows record none there).
func listenedOn(tr string) string {
	if tr == TransportTCP {
		return ""
	}
	u, _ := listenURL(tr)
	return u
}

var _ target.Target = (*peer.Target)(nil)

// cellOf condenses a loadgen summary into a cell.
func cellOf(s *result.Summary, w Workload) *Cell {
	c := &Cell{PerS: s.Throughput.DeliveredPerS, Count: s.Sent.Updates, Received: s.Delivery.Delivered,
		Missing: s.Delivery.Lost, Dup: s.Delivery.Duplicated, Reorder: s.Delivery.Reordered, Errors: s.Errors.Count,
		P50: s.Latency.P50, P99: s.Latency.P99, P999: s.Latency.P999, Max: s.Latency.Max,
		Elapsed: int64(s.Phases.LoadS * 1e9), Others: s.CPU.Others, LoadAvg: s.Env.LoadAvg, HostCPU: s.Host.CPUS}
	if w.Kind == KindLatency {
		c.Value = float64(c.P50)
	} else {
		c.Value = c.PerS
	}
	if s.Sent.Updates > 0 {
		c.CPUPerOp = (s.CPU.UserS + s.CPU.SysS + s.Host.CPUS) * 1e9 / float64(s.Sent.Updates)
	}
	for _, n := range s.Notes {
		// The machine's load has its own column; the adapter note is the
		// row's definition.
		if !strings.HasPrefix(n, "other processes used") && !strings.HasPrefix(n, "hosts run in processes") {
			c.Note = n
			break
		}
	}
	return c
}
