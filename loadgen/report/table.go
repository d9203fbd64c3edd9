package report

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/qtro/qtro/loadgen/result"
)

// Table condenses runs into rows that can be compared at a glance and
// re-run exactly (each row keeps its command line and scenario).
type Table struct {
	Format string   `json:"format"`
	Env    TableEnv `json:"env"`
	Rows   []Row    `json:"rows"`
	Notes  []string `json:"notes,omitempty"`
}

// TableEnv is the environment of the first run (rows note differences).
type TableEnv struct {
	CPUModel   string `json:"cpu_model"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	Kernel     string `json:"kernel"`
	Git        string `json:"git"`
}

// Row is one run's key numbers.
type Row struct {
	Name      string           `json:"name"`
	Command   string           `json:"command"`
	Target    string           `json:"target"`
	Headline  string           `json:"headline"`
	Shards    int              `json:"shards,omitempty"`
	Sent      int64            `json:"sent"`
	SentPerS  float64          `json:"sent_per_s"`
	Delivered int64            `json:"delivered"`
	DelivPerS float64          `json:"delivered_per_s"`
	Dropped   int64            `json:"dropped"`
	Lost      int64            `json:"lost"`
	Dup       int64            `json:"duplicated"`
	Reordered int64            `json:"reordered"`
	Invalid   int64            `json:"invalid"`
	Errors    int64            `json:"errors"`
	Latency   Percentiles      `json:"latency"`
	Sustain   []result.SLORate `json:"sustainable,omitempty"`
	Kind      string           `json:"latency_kind"`
	Init      Percentiles      `json:"init"`
	Lag       Percentiles      `json:"sender_lag"`
	HostRSS   int64            `json:"host_rss_max"`
	RSSScope  string           `json:"host_rss_scope,omitempty"`
	CPU       float64          `json:"cpu_cores"`
	Others    float64          `json:"other_processes_cores"`
	ConnCPU   float64          `json:"connect_cpu_cores"`
	ConnOther float64          `json:"connect_other_processes_cores"`
	ConnectS  float64          `json:"connect_s"`
	LoadAvg   string           `json:"loadavg_at_start"`
	Pass      bool             `json:"thresholds_pass"`
	Capacity  *Row             `json:"capacity,omitempty"`
	Reference *Row             `json:"reference,omitempty"`
	Notes     []string         `json:"notes,omitempty"`
	Scenario  map[string]any   `json:"scenario"`
}

// Percentiles are a distribution's key points in ns.
type Percentiles struct {
	N    int64 `json:"n"`
	P50  int64 `json:"p50_ns"`
	P90  int64 `json:"p90_ns"`
	P99  int64 `json:"p99_ns"`
	P999 int64 `json:"p99_9_ns"`
	Max  int64 `json:"max_ns"`
}

func pct(d result.Dist) Percentiles {
	return Percentiles{N: d.Count, P50: d.P50, P90: d.P90, P99: d.P99, P999: d.P999, Max: d.Max}
}

// RowOf condenses one summary.
func RowOf(s *result.Summary) Row {
	r := Row{Name: s.Name, Command: strings.Join(s.Env.Args, " "), Target: s.Target, Headline: Headline(s),
		Shards: s.Shard.Merged, Sent: s.Sent.Updates, SentPerS: s.Throughput.SentPerS, Delivered: s.Delivery.Delivered,
		DelivPerS: s.Throughput.DeliveredPerS, Dropped: s.Sent.Dropped, Lost: s.Delivery.Lost, Dup: s.Delivery.Duplicated,
		Reordered: s.Delivery.Reordered, Invalid: s.Delivery.Invalid, Errors: s.Errors.Count, Latency: pct(s.Latency), Sustain: s.Sustainable,
		Kind: s.LatencyKind, Init: pct(s.Init), Lag: pct(s.Lag), HostRSS: s.Host.RSSMax, RSSScope: s.Host.Scope,
		CPU: s.CPU.Cores, Others: s.CPU.Others, ConnCPU: s.CPU.ConnectCores, ConnOther: s.CPU.ConnectOthers,
		ConnectS: s.Phases.ConnectS, LoadAvg: s.Env.LoadAvg, Pass: s.Pass, Notes: s.Notes, Scenario: s.Scenario}
	if s.Capacity != nil {
		c := RowOf(s.Capacity)
		c.Scenario, c.Command = nil, ""
		r.Capacity = &c
	}
	if s.Reference != nil {
		c := RowOf(s.Reference)
		c.Scenario, c.Command = nil, ""
		r.Reference = &c
	}
	return r
}

// NewTable condenses summaries.
func NewTable(ss []*result.Summary) *Table {
	t := &Table{Format: "qtro-loadgen-table/1"}
	for i, s := range ss {
		if i == 0 {
			e := s.Env
			t.Env = TableEnv{CPUModel: e.CPUModel, CPUs: e.CPUs, GOMAXPROCS: e.GOMAXPROCS, GoVersion: e.GoVersion, Kernel: e.Kernel, Git: e.Git}
		}
		t.Rows = append(t.Rows, RowOf(s))
	}
	return t
}

// Write writes the table as indented JSON.
func (t *Table) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
