// Package scenario is the description of a repeatable load run: topology,
// workload, rate plan, thresholds. Scenarios are read from YAML or JSON
// files; command-line flags fill the same struct for one-off runs.
//
// It owns the format, defaults and validation; running is package loadgen's.
package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/schedule"
	"github.com/qtro/qtro/loadgen/threshold"
	"go.yaml.in/yaml/v3"
)

// Topologies.
const (
	One       = "one"       // 1 host, 1 object, 1 replica node
	FanOut    = "fanout"    // 1 host, N replica nodes (each its own node and connection)
	FanIn     = "fanin"     // M hosts, 1 node acquiring from all
	Mesh      = "mesh"      // M hosts × N nodes through a registry
	Storm     = "storm"     // N replica nodes connecting at once; init times
	Churn     = "churn"     // N replica nodes: connect, init, release, close, repeat
	Heartbeat = "heartbeat" // N replica nodes with Qt's heartbeat on
)

// Workloads.
const (
	Props   = "props"   // Tick.counter = seq
	Signals = "signals" // tick(seq, sentNs)
	Payload = "payload" // payload(seq, sentNs, QByteArray of PayloadSize bytes)
	Echo    = "echo"    // echo(seq) slot calls with replies, round-trip latency
	None    = "none"    // no traffic: connection and init behaviour only
)

// Models.
const (
	Open   = "open"   // a schedule says when each update is due
	Closed = "closed" // as fast as possible with Inflight outstanding
)

// Scenario is one load run.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Target is what is driven: go (the reference node in this process),
	// raw (framed writes, no QtRO), or a host in its own process behind the
	// adapter contract: go-adapter (qtro adapter), qt5, qt6 (the Qt peers),
	// adapter (the command in Adapter).
	Target string `yaml:"target" json:"target"`
	// Adapter is the adapter command of target "adapter" (argv prefix).
	Adapter   []string `yaml:"adapter,omitempty" json:"adapter,omitempty"`
	Topology  string   `yaml:"topology" json:"topology"`   // one | fanout | fanin | mesh | storm | churn | heartbeat
	Transport string   `yaml:"transport" json:"transport"` // tcp | local | tls | ws | wss (tls+tcp://, ws://, wss://: one process, targets that take certificates)
	Dialect   string   `yaml:"dialect" json:"dialect"`     // qt6 | qt5
	Hosts     int      `yaml:"hosts" json:"hosts"`         // host nodes
	Objects   int      `yaml:"objects" json:"objects"`     // Tick sources per host
	Replicas  int      `yaml:"replicas" json:"replicas"`   // replica nodes, each with its own connection(s)
	Dynamic   bool     `yaml:"dynamic" json:"dynamic"`     // acquire dynamic replicas (class from the source)

	Workload string `yaml:"workload" json:"workload"` // props | signals | payload | echo | none
	Payload  int    `yaml:"payload" json:"payload"`   // payload bytes (payload workload)
	Batch    int    `yaml:"batch" json:"batch"`       // updates per turn (B)
	Model    string `yaml:"model" json:"model"`       // open | closed
	// Rate is the open model's schedule in updates/s per object (echo:
	// calls/s per replica): "1000", "ramp:0..5000", "steps:1k,2k/2s",
	// "stages:0..1k/5s,1k/10s".
	Rate     string   `yaml:"rate" json:"rate"`
	Inflight int      `yaml:"inflight" json:"inflight"` // closed model: turns (push) or calls per replica (echo) outstanding
	Duration Duration `yaml:"duration" json:"duration"` // load phase
	// Count is the closed model's updates per object on adapter hosts,
	// which run a fixed count as fast as they can (0: 200,000).
	Count int64 `yaml:"count,omitempty" json:"count,omitempty"`
	// KillAt > 0 makes a chaos run: every host is killed (SIGKILL) this
	// long after the load start and restarted at the same URL Down later.
	KillAt Duration `yaml:"kill_at,omitempty" json:"kill_at,omitempty"`
	Down   Duration `yaml:"down,omitempty" json:"down,omitempty"`
	Drain  Duration `yaml:"drain" json:"drain"` // after the load: wait at most this for stragglers

	ConnectTimeout Duration `yaml:"connect_timeout" json:"connect_timeout"` // replicas not Valid by then count as invalid
	ConnectRate    float64  `yaml:"connect_rate" json:"connect_rate"`       // new nodes/s (0: all at once)
	Heartbeat      Duration `yaml:"heartbeat" json:"heartbeat"`             // Config.HeartbeatInterval on replica nodes
	Hold           Duration `yaml:"hold" json:"hold"`                       // churn: how long a replica stays Valid before release
	MaxSendQueue   int      `yaml:"max_send_queue" json:"max_send_queue"`   // Config.MaxSendQueue (0: the node's default)
	// Listen is the base address of sharded runs: the registry takes it,
	// host h the next ones (tcp://127.0.0.1:7400 → 7401+h; local:/tmp/x →
	// /tmp/x-h). Empty: hosts pick free ports (one process only).
	Listen     string   `yaml:"listen" json:"listen"`
	Thresholds []string `yaml:"thresholds" json:"thresholds"`
}

// Duration is a time.Duration written as "10s" in files.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes "10s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "10s" (or a number of seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var f float64
		if err2 := json.Unmarshal(b, &f); err2 != nil {
			return fmt.Errorf("duration: %s", b)
		}
		*d = Duration(f * 1e9)
		return nil
	}
	return d.parse(s)
}

// MarshalYAML writes "10s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads "10s" (or a number of seconds).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return d.parse(n.Value) }

func (d *Duration) parse(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*d = Duration(f * 1e9)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Default returns the defaults of a run: a Go host and 1,000 Go replicas
// on loopback, 1,000 property changes per second for 10 s (the demo lowers
// the rate to what a small machine sustains).
func Default() Scenario {
	return Scenario{
		Name: "demo", Target: "go", Topology: FanOut, Transport: "tcp", Dialect: "qt6",
		Hosts: 1, Objects: 1, Replicas: 1000, Workload: Props, Batch: 1, Model: Open, Rate: "1000",
		Inflight: 1, Duration: Duration(10 * time.Second), Drain: Duration(5 * time.Second),
		ConnectTimeout: Duration(60 * time.Second), Hold: Duration(100 * time.Millisecond),
	}
}

// ErrInvalid reports a scenario that cannot run.
var ErrInvalid = errors.New("scenario: invalid")

// Normalize fills defaults that depend on the topology and checks the
// scenario.
func (s *Scenario) Normalize() error {
	d := Default()
	str := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	if d := QtDialect(s.Target); d != "" {
		// A Qt peer speaks its own dialect only.
		str(&s.Dialect, d)
	}
	if s.KillAt > 0 && s.Down <= 0 {
		s.Down = Duration(time.Second)
	}
	str(&s.Name, s.Topology)
	str(&s.Target, d.Target)
	str(&s.Topology, d.Topology)
	str(&s.Transport, d.Transport)
	str(&s.Dialect, d.Dialect)
	str(&s.Model, d.Model)
	if s.Workload == "" {
		switch s.Topology {
		case Storm, Churn, Heartbeat:
			s.Workload = None
		default:
			s.Workload = d.Workload
		}
	}
	if s.Rate == "" && s.Model == Open && s.Workload != None {
		s.Rate = d.Rate
	}
	if s.Batch <= 0 {
		s.Batch = 1
	}
	if s.Inflight <= 0 {
		s.Inflight = 1
	}
	if s.Objects <= 0 {
		s.Objects = 1
	}
	if s.Duration <= 0 {
		s.Duration = d.Duration
	}
	if s.Drain <= 0 {
		s.Drain = d.Drain
	}
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = d.ConnectTimeout
	}
	if s.Hold <= 0 {
		s.Hold = d.Hold
	}
	switch s.Topology {
	case One:
		s.Hosts, s.Replicas = 1, 1
	case FanOut, Storm, Churn, Heartbeat:
		if s.Hosts <= 0 {
			s.Hosts = 1
		}
		if s.Replicas <= 0 {
			s.Replicas = d.Replicas
		}
	case FanIn:
		if s.Hosts <= 0 {
			s.Hosts = 10
		}
		if s.Replicas <= 0 {
			s.Replicas = 1
		}
	case Mesh:
		if s.Hosts <= 0 {
			s.Hosts = 4
		}
		if s.Replicas <= 0 {
			s.Replicas = 100
		}
	default:
		return fmt.Errorf("%w: topology %q (one, fanout, fanin, mesh, storm, churn, heartbeat)", ErrInvalid, s.Topology)
	}
	if s.Topology == Heartbeat && s.Heartbeat <= 0 {
		s.Heartbeat = Duration(time.Second)
	}
	return s.Validate()
}

// Validate checks a normalised scenario.
func (s *Scenario) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
	switch {
	case s.Target == "go", s.Target == "raw", s.Target == "go-adapter", QtDialect(s.Target) != "":
	case s.Target == "adapter":
		if len(s.Adapter) == 0 {
			return bad("target adapter needs the adapter command (adapter: [...])")
		}
	default:
		return bad("target %q (go, raw, go-adapter, qt5, qt6, qt@QT, adapter)", s.Target)
	}
	if d := QtDialect(s.Target); d != "" && s.Dialect != d {
		return bad("target %s speaks only dialect %s (dialect %s)", s.Target, d, s.Dialect)
	}
	if s.KillAt < 0 || s.Down < 0 || s.KillAt > 0 && s.KillAt >= s.Duration {
		return bad("kill_at %v must fall inside the load phase (%v)", s.KillAt, s.Duration)
	}
	switch s.Transport {
	case "tcp", "local", "tls", "ws", "wss":
	default:
		return bad("transport %q (tcp, local, tls, ws, wss)", s.Transport)
	}
	switch s.Dialect {
	case "qt5", "qt6":
	default:
		return bad("dialect %q (qt5, qt6)", s.Dialect)
	}
	switch s.Workload {
	case Props, Signals, Payload, Echo, None:
	default:
		return bad("workload %q (props, signals, payload, echo, none)", s.Workload)
	}
	switch s.Model {
	case Open, Closed:
	default:
		return bad("model %q (open, closed)", s.Model)
	}
	if s.Hosts < 1 || s.Replicas < 1 || s.Objects < 1 {
		return bad("need at least one host, object and replica")
	}
	if s.Payload < 0 || s.Payload > 64<<20 {
		return bad("payload %d bytes (0 … 64 MiB)", s.Payload)
	}
	if s.Model == Open && s.Workload != None {
		sch, err := s.Schedule()
		if err != nil {
			return bad("rate: %v", err)
		}
		if s.Workload == Props && sch.Total() > 1<<31-2 {
			return bad("props: %d updates overflow Tick.counter (int)", sch.Total())
		}
	}
	if s.Target == "raw" && s.Topology == Mesh {
		return bad("target raw has no registry (mesh)")
	}
	for _, t := range s.Thresholds {
		if _, err := threshold.Parse(t); err != nil {
			return err
		}
	}
	return nil
}

// Schedule returns the open model's schedule of updates (echo: calls) per
// second per object (replica).
func (s *Scenario) Schedule() (*schedule.Schedule, error) {
	return schedule.Parse(s.Rate, s.Duration.D())
}

// Load reads a scenario from a YAML or JSON file (by extension; unknown
// fields are errors, so a typo never silently runs the default).
func Load(path string) (Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return Parse(b, strings.ToLower(filepath.Ext(path)) == ".json")
}

// Parse reads a scenario from YAML (or JSON when asJSON).
func Parse(b []byte, asJSON bool) (Scenario, error) {
	var s Scenario
	if asJSON {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return s, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s, nil
}

// Map returns the scenario as a generic map, for embedding in a summary.
func (s Scenario) Map() map[string]any {
	b, _ := json.Marshal(s)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// FromMap is the inverse of Map.
func FromMap(m map[string]any) (Scenario, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return Scenario{}, err
	}
	return Parse(b, true)
}

// QtDialect is the dialect a Qt peer target speaks ("qt5" for qt5, "qt6"
// for qt6 and for a newer Qt 6 named qt@QT, e.g. qt@6.8), or "" when target
// is not a Qt peer.
func QtDialect(target string) string {
	switch {
	case target == "qt5", target == "qt6":
		return target
	case strings.HasPrefix(target, "qt@") && len(target) > 3:
		return "qt6"
	}
	return ""
}
