// Package threshold parses pass/fail conditions on a run's metrics, such as
// "p99<2ms" or "lost==0", and evaluates them. A run whose thresholds fail
// exits non-zero, as k6 does, so load tests can gate CI.
//
// It owns the grammar and the metric catalogue (names, kinds, units); the
// values come from a result.Summary.
package threshold

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a metric measures, which decides the units it accepts.
type Kind int

// Metric kinds. Values are in base units: nanoseconds, bytes, counts,
// events per second.
const (
	Duration Kind = iota
	Bytes
	Count
	Rate
)

func (k Kind) String() string { return [...]string{"duration", "bytes", "count", "rate"}[k] }

// Metric describes one metric thresholds can name.
type Metric struct {
	Name string
	Kind Kind
	Doc  string
}

// Catalogue lists the metrics a summary provides, by name.
var Catalogue = map[string]Metric{}

func def(name string, k Kind, doc string) { Catalogue[name] = Metric{name, k, doc} }

func init() {
	for _, p := range []string{"p50", "p90", "p99", "p99.9", "p99.99", "max", "min", "mean"} {
		def(p, Duration, p+" of the run's latency (update delivery, or echo round trip for the echo workload)")
		def("init_"+p, Duration, p+" of replica init time (connect → Valid)")
		def("lag_"+p, Duration, p+" of sender lag (actual − intended send time)")
	}
	def("lost", Count, "updates never delivered to a Valid replica (holes and tail)")
	def("duplicated", Count, "updates delivered twice")
	def("reordered", Count, "updates delivered after a later one")
	def("stale", Count, "updates older than the detector's window (late or duplicated)")
	def("suspect_gap", Count, "updates skipped across Suspect periods (not losses)")
	def("suspects", Count, "Valid → Suspect transitions")
	def("errors", Count, "errors (failed calls, refused sends, protocol errors)")
	def("dropped", Count, "scheduled sends the generator never made (k6's dropped_iterations)")
	def("invalid", Count, "replicas that never became Valid")
	def("delivered", Count, "updates (or replies) delivered")
	def("sent", Count, "updates (or calls) sent")
	def("inits", Count, "replica initialisations (connect → Valid), churn included")
	def("throughput", Rate, "delivered updates (or replies) per second over the load phase")
	def("sent_rate", Rate, "sent updates (or calls) per second over the load phase")
	def("rss", Bytes, "peak host memory (resident set)")
	def("cpu", Rate, "CPU seconds per second used by this process (1.0 = one core)")
}

// Threshold is one parsed condition.
type Threshold struct {
	Expr   string  // as written
	Metric string  // catalogue name
	Op     string  // <, <=, >, >=, ==, !=
	Value  float64 // in the metric's base unit
}

// ErrSyntax reports a threshold that does not parse.
var ErrSyntax = errors.New("threshold: syntax")

// ErrUnknownMetric reports a metric name not in the catalogue.
var ErrUnknownMetric = errors.New("threshold: unknown metric")

var ops = []string{"<=", ">=", "==", "!=", "<", ">"} // two-character ones first

// Parse reads "METRIC OP VALUE[UNIT]", e.g. "p99<2ms", "lost == 0",
// "rss<512MiB", "throughput>=100k".
func Parse(s string) (Threshold, error) {
	expr := strings.TrimSpace(s)
	for _, op := range ops {
		i := strings.Index(expr, op)
		if i < 0 {
			continue
		}
		name := strings.TrimSpace(expr[:i])
		rhs := strings.TrimSpace(expr[i+len(op):])
		m, ok := Catalogue[name]
		if !ok {
			if alt, ok2 := aliases[name]; ok2 {
				m, ok = Catalogue[alt], true
			}
		}
		if !ok {
			return Threshold{}, fmt.Errorf("%w %q in %q (known: %s)", ErrUnknownMetric, name, s, strings.Join(Names(), ", "))
		}
		v, err := value(rhs, m.Kind)
		if err != nil {
			return Threshold{}, fmt.Errorf("%w: %q: %v", ErrSyntax, s, err)
		}
		return Threshold{Expr: expr, Metric: m.Name, Op: op, Value: v}, nil
	}
	return Threshold{}, fmt.Errorf("%w: %q: want METRIC OP VALUE, OP one of < <= > >= == !=", ErrSyntax, s)
}

var aliases = map[string]string{"p999": "p99.9", "p9999": "p99.99", "dup": "duplicated", "duplicates": "duplicated", "init_p999": "init_p99.9", "lag_p999": "lag_p99.9"}

// Names returns the catalogue's metric names, sorted.
func Names() []string {
	out := make([]string, 0, len(Catalogue))
	for n := range Catalogue {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var durUnits = map[string]float64{"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "min": 60e9}
var byteUnits = map[string]float64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
var countUnits = map[string]float64{"": 1, "k": 1e3, "M": 1e6, "G": 1e9}

func value(s string, k Kind) (float64, error) {
	s = strings.TrimSuffix(s, "/s")
	i := 0
	for i < len(s) && (s[i] == '.' || s[i] == '-' || s[i] == '+' || s[i] == 'e' && i > 0 || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("bad number %q", num)
	}
	var units map[string]float64
	switch k {
	case Duration:
		units = durUnits
		if unit == "" && f != 0 {
			return 0, fmt.Errorf("a duration needs a unit (ns, us, ms, s)")
		}
		if unit == "" {
			unit = "ns"
		}
	case Bytes:
		units = byteUnits
	default:
		units = countUnits
	}
	mul, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unit %q does not fit a %s", unit, k)
	}
	return f * mul, nil
}

// Pass reports whether v satisfies the threshold.
func (t Threshold) Pass(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

// Result is a threshold evaluated against a run.
type Result struct {
	Expr    string  `json:"expr"`
	Metric  string  `json:"metric"`
	Actual  float64 `json:"actual"`
	Pass    bool    `json:"pass"`
	Missing bool    `json:"missing,omitempty"` // the run did not measure the metric: a failure
}

// Check evaluates thresholds against metric values; a metric the run did
// not measure fails its threshold (it is never silently passed).
func Check(ts []Threshold, values map[string]float64) ([]Result, bool) {
	all := true
	out := make([]Result, 0, len(ts))
	for _, t := range ts {
		v, ok := values[t.Metric]
		r := Result{Expr: t.Expr, Metric: t.Metric, Actual: v, Missing: !ok}
		r.Pass = ok && t.Pass(v)
		all = all && r.Pass
		out = append(out, r)
	}
	return out, all
}

// ParseAll parses several thresholds.
func ParseAll(ss []string) ([]Threshold, error) {
	var out []Threshold
	for _, s := range ss {
		t, err := Parse(s)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Format renders a metric value in a readable unit.
func Format(metric string, v float64) string {
	m, ok := Catalogue[metric]
	if !ok {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	switch m.Kind {
	case Duration:
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.3gs", v/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.3gms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.3gµs", v/1e3)
		}
		return fmt.Sprintf("%.0fns", v)
	case Bytes:
		switch {
		case v >= 1<<30:
			return fmt.Sprintf("%.2fGiB", v/(1<<30))
		case v >= 1<<20:
			return fmt.Sprintf("%.1fMiB", v/(1<<20))
		}
		return fmt.Sprintf("%.0fB", v)
	case Rate:
		return fmt.Sprintf("%.4g/s", v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
