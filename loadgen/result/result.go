// Package result is the machine-readable account of a load run: a Summary
// written as JSON, with every latency distribution kept as a lossless
// HdrHistogram encoding so that runs split over processes or machines can
// be merged exactly (never by averaging percentiles) and thresholds applied
// to the merged result.
//
// It owns the format, merging and the metric values thresholds read; it
// does not run anything.
package result

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/threshold"
)

// Format identifies the summary format and its version.
const Format = "qtro-loadgen/1"

// Summary is one run's result (or several shards' merged).
type Summary struct {
	Format   string         `json:"format"`
	Name     string         `json:"name"`
	Target   string         `json:"target"`
	Workload string         `json:"workload"`
	Scenario map[string]any `json:"scenario"` // the scenario as run, for repeating it
	Env      Env            `json:"env"`
	Shard    Shard          `json:"shard"`
	// T0UnixNs is the load start, wall clock; shards of one run share it.
	T0UnixNs int64  `json:"t0_unix_ns"`
	Phases   Phases `json:"phases"`

	Sent     Sent     `json:"sent"`
	Delivery Delivery `json:"delivery"`
	// Latency is update delivery latency from the intended send time, or
	// the echo round trip for the echo workload (LatencyKind says which).
	LatencyKind string `json:"latency_kind"`
	Latency     Dist   `json:"latency"`
	Init        Dist   `json:"init"` // replica init time, connect → Valid
	Lag         Dist   `json:"lag"`  // sender lag, actual − intended send time
	// Reinit is, per replica that went Suspect, the time until it was
	// Valid again (a restarted host, a dropped connection).
	Reinit Dist `json:"reinit"`
	// Events are what the run did to the mesh (chaos: host killed,
	// restarted, replicas Valid again), in seconds from the load start.
	Events []Event `json:"events,omitempty"`

	Throughput Throughput `json:"throughput"`
	// Sustainable is the highest per-second delivered rate whose second's
	// p99 stayed within each SLO: throughput at a latency objective, not the
	// maximum (read with a steps or ramp schedule).
	Sustainable []SLORate   `json:"sustainable,omitempty"`
	Series      []Point     `json:"series"`
	Objects     []ObjectEnd `json:"objects"`
	Host        Host        `json:"host"`
	CPU         CPU         `json:"cpu"`
	Errors      Errors      `json:"errors"`
	Notes       []string    `json:"notes,omitempty"`
	// Capacity is the same mesh in the closed model (as fast as possible,
	// Inflight turns outstanding): what the target sustains at most.
	Capacity *Summary `json:"capacity,omitempty"`
	// Reference is Capacity's run as raw framed writes over the same socket
	// type with no QtRO encoding or decoding: the physical limit.
	Reference *Summary `json:"reference,omitempty"`

	Thresholds []threshold.Result `json:"thresholds,omitempty"`
	Pass       bool               `json:"pass"`
}

// Event is something the run did or saw at T seconds from the load start.
type Event struct {
	T    float64 `json:"t"`
	What string  `json:"what"`
}

// Shard says which part of a run this is.
type Shard struct {
	Index  int `json:"index"`
	Count  int `json:"count"`
	Merged int `json:"merged,omitempty"` // number of shard summaries merged into this one
}

// Phases are the wall durations of a run's phases, in seconds.
type Phases struct {
	ConnectS float64 `json:"connect_s"` // start of connecting → all replicas Valid (or timeout)
	LoadS    float64 `json:"load_s"`
	DrainS   float64 `json:"drain_s"`
}

// Sent is the sending side's account.
type Sent struct {
	Updates int64   `json:"updates"` // updates (or calls) sent
	Turns   int64   `json:"turns"`   // event-loop turns (batches)
	Planned int64   `json:"planned"` // updates the schedule asked for (open model)
	Dropped int64   `json:"dropped"` // planned but never sent: the generator could not keep up
	Batch   int     `json:"batch"`
	Model   string  `json:"model"` // open | closed
	Rate    float64 `json:"rate"`  // updates/s actually sent over the load phase
}

// Delivery is the receiving side's account, over all replicas.
type Delivery struct {
	Replicas   int64 `json:"replicas"`    // replica streams (replica × object)
	Invalid    int64 `json:"invalid"`     // streams that never became Valid
	Delivered  int64 `json:"delivered"`   // updates or replies observed, duplicates included
	Holes      int64 `json:"holes"`       // never seen, inside the observed range, while Valid
	Tail       int64 `json:"tail"`        // never seen after the last one seen, replica still Valid
	Lost       int64 `json:"lost"`        // Holes + Tail
	Duplicated int64 `json:"duplicated"`  // seen twice
	Reordered  int64 `json:"reordered"`   // arrived after a later one
	Stale      int64 `json:"stale"`       // too old to classify
	SuspectGap int64 `json:"suspect_gap"` // skipped while not Valid: not losses (GapSeen + gaps at the end)
	GapSeen    int64 `json:"gap_seen"`    // skipped while not Valid, seen by the detectors during the run
	Suspects   int64 `json:"suspects"`    // Valid → Suspect transitions
	Inits      int64 `json:"inits"`       // connect → Valid transitions
	Untimed    int64 `json:"untimed"`     // delivered without a known intended time
}

// Dist is a distribution of nanosecond values and its lossless encoding.
type Dist struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min_ns"`
	Mean  float64 `json:"mean_ns"`
	P50   int64   `json:"p50_ns"`
	P90   int64   `json:"p90_ns"`
	P99   int64   `json:"p99_ns"`
	P999  int64   `json:"p99_9_ns"`
	P9999 int64   `json:"p99_99_ns"`
	Max   int64   `json:"max_ns"`
	// Hist is the HdrHistogram V2 compressed encoding (base64), the source
	// of truth; the fields above are derived from it.
	Hist string `json:"hdr,omitempty"`
}

// Throughput is averaged over the load phase.
type Throughput struct {
	DeliveredPerS float64 `json:"delivered_per_s"`
	SentPerS      float64 `json:"sent_per_s"`
}

// SLORate is the sustainable throughput at one latency objective.
type SLORate struct {
	SLO    int64   `json:"slo_ns"`
	PerS   float64 `json:"delivered_per_s"` // 0: no second met the SLO
	Second int     `json:"second"`          // the second it was reached in
}

// SLOs are the latency objectives Sustainable is computed for.
var SLOs = []int64{1e6, 10e6, 100e6}

// Point is one interval (second) of the run, counted from the load start
// (T = 0 is the first second of load; negative T is the connect phase).
type Point struct {
	T         int     `json:"t"`
	Sent      int64   `json:"sent"`
	Delivered int64   `json:"delivered"` // = interval histogram count + untimed
	Errors    int64   `json:"errors"`
	Valid     int64   `json:"valid"`    // replicas Valid at the end of the interval
	Inits     int64   `json:"inits"`    // inits completed during the interval
	HostRSS   int64   `json:"host_rss"` // bytes; 0 when this process runs no host
	ProcRSS   int64   `json:"proc_rss"` // bytes, this process
	CPU       float64 `json:"cpu"`      // cores used by this process
	P50       int64   `json:"p50_ns"`
	P99       int64   `json:"p99_ns"`
	Max       int64   `json:"max_ns"`
	Hist      string  `json:"hdr,omitempty"` // interval latency histogram
}

// ObjectEnd is the per-object state at the end of a run, kept so that
// shards merge tail losses exactly: tail = Valid·LastSent − SumSeen.
type ObjectEnd struct {
	Name     string `json:"name"`
	LastSent int64  `json:"last_sent"` // 0 when this shard did not host it
	Valid    int64  `json:"valid"`     // streams Valid at the end
	SumSeen  int64  `json:"sum_seen"`  // Σ last contiguous number seen, over those
	// Suspect streams at the end: what they missed is a suspect gap.
	NotValid   int64 `json:"not_valid"`
	SumSeenNot int64 `json:"sum_seen_not_valid"`
}

// Host is the serving side's resources.
type Host struct {
	RSSMax int64  `json:"rss_max"`
	Scope  string `json:"scope"` // what the RSS covers, e.g. "host process" or "process (host + replicas)"
	// CPUS is the CPU time (user + system) host processes of their own
	// (adapter targets) used during the load phase, in seconds.
	CPUS float64 `json:"cpu_s,omitempty"`
}

// CPU is this process's CPU time over the run.
type CPU struct {
	UserS float64 `json:"user_s"`
	SysS  float64 `json:"sys_s"`
	Cores float64 `json:"cores"` // (user+sys)/wall over the load phase
	// Others is the CPU other processes on the machine used during the
	// load phase, in cores: a busy machine makes every number worse.
	Others float64 `json:"others_cores"`
	// The same over the connect phase (storms: the phase that matters).
	ConnectCores  float64 `json:"connect_cores"`
	ConnectOthers float64 `json:"connect_others_cores"`
}

// Errors counts errors and keeps a few messages.
type Errors struct {
	Count   int64    `json:"count"`
	Samples []string `json:"samples,omitempty"`
}

// EncodeHist returns h's lossless encoding.
func EncodeHist(h *hdr.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return string(b)
}

// DecodeHist decodes an encoding from EncodeHist ("" is empty).
func DecodeHist(s string) (*hdr.Histogram, error) {
	if s == "" {
		return metrics.NewHistogram(), nil
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("result: histogram: %w", err)
	}
	return h, nil
}

// DistOf summarises h.
func DistOf(h *hdr.Histogram) Dist {
	d := Dist{Hist: EncodeHist(h)}
	if h == nil || h.TotalCount() == 0 {
		return d
	}
	d.Count = h.TotalCount()
	d.Min = h.Min()
	d.Mean = h.Mean()
	d.P50 = h.ValueAtQuantile(50)
	d.P90 = h.ValueAtQuantile(90)
	d.P99 = h.ValueAtQuantile(99)
	d.P999 = h.ValueAtQuantile(99.9)
	d.P9999 = h.ValueAtQuantile(99.99)
	d.Max = h.Max()
	return d
}

// Histogram decodes the distribution's histogram.
func (d Dist) Histogram() (*hdr.Histogram, error) { return DecodeHist(d.Hist) }

// Finish derives Lost, throughput and pass/fail fields from the counts.
func (s *Summary) Finish() {
	var tail, gap int64
	for _, o := range s.Objects {
		if o.LastSent > 0 {
			if t := o.Valid*o.LastSent - o.SumSeen; t > 0 {
				tail += t
			}
			if g := o.NotValid*o.LastSent - o.SumSeenNot; g > 0 {
				gap += g
			}
		}
	}
	s.Delivery.Tail = tail
	s.Delivery.Lost = s.Delivery.Holes + tail
	s.Delivery.SuspectGap = s.Delivery.GapSeen + gap
	s.Sustainable = nil
	if s.LatencyKind != "" {
		last := int(s.Phases.LoadS) - 1 // whole seconds of load only
		for _, slo := range SLOs {
			r := SLORate{SLO: slo, Second: -1}
			for _, p := range s.Series {
				if p.T < 0 || p.T > last || p.Delivered == 0 || p.P99 == 0 || p.P99 > slo {
					continue
				}
				if f := float64(p.Delivered); f > r.PerS {
					r.PerS, r.Second = f, p.T
				}
			}
			s.Sustainable = append(s.Sustainable, r)
		}
	}
	if s.Phases.LoadS > 0 {
		s.Throughput.SentPerS = float64(s.Sent.Updates) / s.Phases.LoadS
		s.Throughput.DeliveredPerS = float64(s.Delivery.Delivered) / s.Phases.LoadS
		s.Sent.Rate = s.Throughput.SentPerS
	}
}

// Values returns the metrics thresholds can name (base units).
func (s *Summary) Values() map[string]float64 {
	v := map[string]float64{
		"lost": float64(s.Delivery.Lost), "duplicated": float64(s.Delivery.Duplicated),
		"reordered": float64(s.Delivery.Reordered), "stale": float64(s.Delivery.Stale),
		"suspect_gap": float64(s.Delivery.SuspectGap), "suspects": float64(s.Delivery.Suspects),
		"errors": float64(s.Errors.Count), "dropped": float64(s.Sent.Dropped),
		"invalid": float64(s.Delivery.Invalid), "delivered": float64(s.Delivery.Delivered),
		"sent": float64(s.Sent.Updates), "inits": float64(s.Delivery.Inits),
		"throughput": s.Throughput.DeliveredPerS, "sent_rate": s.Throughput.SentPerS,
	}
	if s.Host.RSSMax > 0 {
		v["rss"] = float64(s.Host.RSSMax)
	}
	if s.CPU.Cores > 0 {
		v["cpu"] = s.CPU.Cores
	}
	put := func(prefix string, d Dist) {
		if d.Count == 0 {
			return // not measured: thresholds on it fail as missing
		}
		v[prefix+"p50"], v[prefix+"p90"], v[prefix+"p99"] = float64(d.P50), float64(d.P90), float64(d.P99)
		v[prefix+"p99.9"], v[prefix+"p99.99"] = float64(d.P999), float64(d.P9999)
		v[prefix+"max"], v[prefix+"min"], v[prefix+"mean"] = float64(d.Max), float64(d.Min), d.Mean
	}
	put("", s.Latency)
	put("init_", s.Init)
	put("lag_", s.Lag)
	return v
}

// ApplyThresholds evaluates ts and records the outcome.
func (s *Summary) ApplyThresholds(ts []threshold.Threshold) bool {
	s.Thresholds, s.Pass = threshold.Check(ts, s.Values())
	return s.Pass
}

// Write writes the summary as indented JSON.
func (s *Summary) Write(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ErrFormat reports a file that is not a loadgen summary.
var ErrFormat = errors.New("result: not a " + Format + " summary")

// Read reads a summary written by Write.
func Read(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrFormat, err)
	}
	if s.Format != Format {
		return nil, fmt.Errorf("%s: %w (format %q)", path, ErrFormat, s.Format)
	}
	return &s, nil
}

// Merge combines shard summaries of one run: counts add, histograms merge
// exactly, per-second series align on the shared load start. Percentiles
// are recomputed from the merged histograms, never averaged.
func Merge(parts ...*Summary) (*Summary, error) {
	if len(parts) == 0 {
		return nil, errors.New("result: nothing to merge")
	}
	out := &Summary{
		Format: Format, Name: parts[0].Name, Target: parts[0].Target, Workload: parts[0].Workload,
		Scenario: parts[0].Scenario, Env: parts[0].Env, LatencyKind: parts[0].LatencyKind,
		T0UnixNs: parts[0].T0UnixNs, Shard: Shard{Count: parts[0].Shard.Count},
	}
	out.Sent.Batch, out.Sent.Model = parts[0].Sent.Batch, parts[0].Sent.Model
	lat, ini, lag, rei := metrics.NewHistogram(), metrics.NewHistogram(), metrics.NewHistogram(), metrics.NewHistogram()
	series := map[int]*Point{}
	seriesH := map[int]*hdr.Histogram{}
	objects := map[string]*ObjectEnd{}
	var objOrder []string
	for i, p := range parts {
		if p.Format != Format {
			return nil, fmt.Errorf("part %d: %w", i, ErrFormat)
		}
		if d := p.T0UnixNs - out.T0UnixNs; (d > 1e6 || d < -1e6) && p.Shard.Count > 1 {
			out.Notes = append(out.Notes, fmt.Sprintf("shard %d started at a different time (%+.3fs): series are aligned on each shard's own start",
				p.Shard.Index, float64(p.T0UnixNs-out.T0UnixNs)/1e9))
		}
		n := p.Shard.Merged
		if n == 0 {
			n = 1
		}
		out.Shard.Merged += n
		for _, pair := range []struct {
			dst *hdr.Histogram
			src Dist
		}{{lat, p.Latency}, {ini, p.Init}, {lag, p.Lag}, {rei, p.Reinit}} {
			h, err := p.decode(pair.src)
			if err != nil {
				return nil, fmt.Errorf("part %d: %w", i, err)
			}
			pair.dst.Merge(h)
		}
		out.Phases.ConnectS = math.Max(out.Phases.ConnectS, p.Phases.ConnectS)
		out.Phases.LoadS = math.Max(out.Phases.LoadS, p.Phases.LoadS)
		out.Phases.DrainS = math.Max(out.Phases.DrainS, p.Phases.DrainS)
		out.Sent.Updates += p.Sent.Updates
		out.Sent.Turns += p.Sent.Turns
		out.Sent.Planned += p.Sent.Planned
		out.Sent.Dropped += p.Sent.Dropped
		d := &out.Delivery
		pd := p.Delivery
		d.Replicas += pd.Replicas
		d.Invalid += pd.Invalid
		d.Delivered += pd.Delivered
		d.Holes += pd.Holes
		d.Duplicated += pd.Duplicated
		d.Reordered += pd.Reordered
		d.Stale += pd.Stale
		d.GapSeen += pd.GapSeen
		d.Suspects += pd.Suspects
		d.Inits += pd.Inits
		d.Untimed += pd.Untimed
		for _, pt := range p.Series {
			q := series[pt.T]
			if q == nil {
				q = &Point{T: pt.T}
				series[pt.T] = q
				seriesH[pt.T] = metrics.NewHistogram()
			}
			q.Sent += pt.Sent
			q.Delivered += pt.Delivered
			q.Errors += pt.Errors
			q.Valid += pt.Valid
			q.Inits += pt.Inits
			q.HostRSS += pt.HostRSS
			q.ProcRSS += pt.ProcRSS
			q.CPU += pt.CPU
			h, err := DecodeHist(pt.Hist)
			if err != nil {
				return nil, fmt.Errorf("part %d second %d: %w", i, pt.T, err)
			}
			seriesH[pt.T].Merge(h)
		}
		for _, o := range p.Objects {
			m := objects[o.Name]
			if m == nil {
				m = &ObjectEnd{Name: o.Name}
				objects[o.Name] = m
				objOrder = append(objOrder, o.Name)
			}
			if o.LastSent > m.LastSent {
				m.LastSent = o.LastSent
			}
			m.Valid += o.Valid
			m.SumSeen += o.SumSeen
			m.NotValid += o.NotValid
			m.SumSeenNot += o.SumSeenNot
		}
		out.Host.RSSMax += p.Host.RSSMax
		out.Host.CPUS += p.Host.CPUS
		out.Events = append(out.Events, p.Events...)
		if p.Host.Scope != "" && (out.Host.Scope == "" || p.Host.RSSMax > 0) {
			out.Host.Scope = p.Host.Scope
		}
		out.CPU.UserS += p.CPU.UserS
		out.CPU.SysS += p.CPU.SysS
		out.CPU.Cores += p.CPU.Cores
		out.CPU.Others = math.Max(out.CPU.Others, p.CPU.Others)
		out.CPU.ConnectCores += p.CPU.ConnectCores
		out.CPU.ConnectOthers = math.Max(out.CPU.ConnectOthers, p.CPU.ConnectOthers)
		out.Errors.Count += p.Errors.Count
		for _, e := range p.Errors.Samples {
			if len(out.Errors.Samples) < 20 {
				out.Errors.Samples = append(out.Errors.Samples, e)
			}
		}
		for _, n := range p.Notes {
			if p.Shard.Count > 1 && p.Shard.Merged == 0 {
				n = fmt.Sprintf("shard %d/%d: %s", p.Shard.Index, p.Shard.Count, n)
			}
			out.Notes = append(out.Notes, n)
		}
	}
	out.Latency, out.Init, out.Lag, out.Reinit = DistOf(lat), DistOf(ini), DistOf(lag), DistOf(rei)
	sort.SliceStable(out.Events, func(i, j int) bool { return out.Events[i].T < out.Events[j].T })
	ts := make([]int, 0, len(series))
	for t := range series {
		ts = append(ts, t)
	}
	sort.Ints(ts)
	for _, t := range ts {
		q := series[t]
		h := seriesH[t]
		q.Hist = EncodeHist(h)
		if h.TotalCount() > 0 {
			q.P50, q.P99, q.Max = h.ValueAtQuantile(50), h.ValueAtQuantile(99), h.Max()
		}
		out.Series = append(out.Series, *q)
	}
	for _, n := range objOrder {
		out.Objects = append(out.Objects, *objects[n])
	}
	out.Notes = dedupe(out.Notes)
	out.Finish()
	return out, nil
}

func (s *Summary) decode(d Dist) (*hdr.Histogram, error) { return DecodeHist(d.Hist) }

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
