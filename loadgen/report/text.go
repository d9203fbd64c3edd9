// Package report renders a result.Summary for people: a text summary for
// the terminal and one self-contained HTML file (inline SVG plots, no
// external scripts, styles or fonts) that works offline.
//
// It owns presentation only; every number comes from the summary.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/threshold"
)

func dur(ns int64) string { return threshold.Format("p99", float64(ns)) }

func num(f float64) string {
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.3gG", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.3gM", f/1e6)
	case f >= 1e4:
		return fmt.Sprintf("%.3gk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func sc(s *result.Summary, key string) any { return s.Scenario[key] }

// Headline describes the run in one line.
func Headline(s *result.Summary) string {
	shard := ""
	if s.Shard.Merged > 1 {
		shard = fmt.Sprintf(", %d shards merged", s.Shard.Merged)
	} else if s.Shard.Count > 1 {
		shard = fmt.Sprintf(", shard %d/%d", s.Shard.Index, s.Shard.Count)
	}
	w := fmt.Sprintf("%v", s.Workload)
	if s.Workload != "none" {
		if s.Sent.Model == "open" {
			w += fmt.Sprintf(" open %v/s", sc(s, "rate"))
		} else {
			w += fmt.Sprintf(" closed inflight %v", sc(s, "inflight"))
		}
		if s.Sent.Batch > 1 {
			w += fmt.Sprintf(" B=%d", s.Sent.Batch)
		}
		if s.Workload == "payload" {
			w += fmt.Sprintf(" %vB", sc(s, "payload"))
		}
	}
	return fmt.Sprintf("%s — target %s, %v: %v host(s) × %v object(s), %v replica node(s) over %v, %s, %v%s",
		s.Name, s.Target, sc(s, "topology"), sc(s, "hosts"), sc(s, "objects"), sc(s, "replicas"), sc(s, "transport"), w,
		sc(s, "duration"), shard)
}

func distLine(d result.Dist) string {
	if d.Count == 0 {
		return "not measured"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)", dur(d.P50), dur(d.P90), dur(d.P99), dur(d.P999), dur(d.Max), d.Count)
}

// Text writes the terminal summary.
func Text(w io.Writer, s *result.Summary) {
	fmt.Fprintf(w, "qtro loadgen: %s\n", Headline(s))
	d := s.Delivery
	if d.Replicas > 0 {
		fmt.Fprintf(w, "  replicas    %d streams, %d never Valid, %d inits, %d suspects\n", d.Replicas, d.Invalid, d.Inits, d.Suspects)
		fmt.Fprintf(w, "  init time   %s\n", distLine(s.Init))
	}
	if s.Workload != "none" {
		fmt.Fprintf(w, "  sent        %d (%s/s, %d turns), planned %d, dropped %d; sender lag %s\n",
			s.Sent.Updates, num(s.Throughput.SentPerS), s.Sent.Turns, s.Sent.Planned, s.Sent.Dropped, lagLine(s.Lag))
		what := "delivered  "
		if s.LatencyKind == "rtt" {
			what = "replies    "
		}
		fmt.Fprintf(w, "  %s %d (%s/s)  lost %d (holes %d, tail %d)  duplicated %d  reordered %d  suspect gap %d\n",
			what, d.Delivered, num(s.Throughput.DeliveredPerS), d.Lost, d.Holes, d.Tail, d.Duplicated, d.Reordered, d.SuspectGap)
		label := "latency    "
		if s.LatencyKind == "rtt" {
			label = "round trip "
		}
		fmt.Fprintf(w, "  %s %s\n", label, distLine(s.Latency))
		if s.Sent.Model == "open" {
			fmt.Fprintf(w, "              (from each update's intended send time: no coordinated omission)\n")
		}
		if line := SustainableLine(s); line != "" {
			fmt.Fprintf(w, "  sustainable %s\n", line)
		}
	}
	if s.Host.RSSMax > 0 {
		fmt.Fprintf(w, "  host memory max RSS %s (%s)\n", mib(s.Host.RSSMax), s.Host.Scope)
	}
	conn := ""
	if s.CPU.ConnectCores > 0 {
		conn = fmt.Sprintf("; connect: %.2f used, %.2f others", s.CPU.ConnectCores, s.CPU.ConnectOthers)
	}
	fmt.Fprintf(w, "  cpu         load: %.2f cores used, %.2f by other processes%s (%d CPUs, GOMAXPROCS %d)\n",
		s.CPU.Cores, s.CPU.Others, conn, s.Env.CPUs, s.Env.GOMAXPROCS)
	if s.Errors.Count > 0 {
		fmt.Fprintf(w, "  errors      %d", s.Errors.Count)
		if len(s.Errors.Samples) > 0 {
			fmt.Fprintf(w, " (first: %s)", s.Errors.Samples[0])
		}
		fmt.Fprintln(w)
	}
	if c := s.Capacity; c != nil {
		fmt.Fprintf(w, "  capacity    %s\n", CapacityLine(c))
	}
	if ref := s.Reference; ref != nil {
		fmt.Fprintf(w, "  reference   %s\n", ReferenceLine(s))
	}
	if s.Reinit.Count > 0 {
		fmt.Fprintf(w, "  re-init     Suspect → Valid again: %s\n", distLine(s.Reinit))
	}
	for _, e := range s.Events {
		fmt.Fprintf(w, "  event       t=%+.3fs %s\n", e.T, e.What)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note        %s\n", n)
	}
	if len(s.Thresholds) > 0 {
		var parts []string
		for _, t := range s.Thresholds {
			v := "pass"
			if !t.Pass {
				v = "FAIL"
			}
			actual := threshold.Format(t.Metric, t.Actual)
			if t.Missing {
				actual = "not measured"
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s)", t.Expr, v, actual))
		}
		fmt.Fprintf(w, "  thresholds  %s\n", strings.Join(parts, "; "))
	}
}

func lagLine(d result.Dist) string {
	if d.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("p99 %s max %s", dur(d.P99), dur(d.Max))
}

// CapacityLine describes a closed-model capacity run.
func CapacityLine(c *result.Summary) string {
	return fmt.Sprintf("%s, closed model, %v in flight, %v: sent %s/s, delivered %s/s, latency p99 %s, lost %d",
		c.Target, c.Scenario["inflight"], c.Scenario["duration"], num(c.Throughput.SentPerS), num(c.Throughput.DeliveredPerS),
		dur(c.Latency.P99), c.Delivery.Lost)
}

// ReferenceLine compares the target with the raw reference: throughput
// (meaningful when both ran as fast as possible) and p99 latency (at the
// same schedule, or the same window).
func ReferenceLine(s *result.Summary) string {
	ref := s.Reference
	if ref == nil {
		return ""
	}
	cmp := s
	if s.Capacity != nil {
		cmp = s.Capacity
	}
	line := fmt.Sprintf("raw framed writes, same sockets and frame sizes, no QtRO (%s model): delivered %s/s, latency p99 %s",
		ref.Sent.Model, num(ref.Throughput.DeliveredPerS), dur(ref.Latency.P99))
	if ref.Sent.Model == "closed" && ref.Throughput.DeliveredPerS > 0 {
		line += fmt.Sprintf(" → %s delivers %.0f%% of the physical limit", cmp.Target, 100*cmp.Throughput.DeliveredPerS/ref.Throughput.DeliveredPerS)
	}
	if ref.Latency.P99 > 0 && cmp.Latency.P99 > 0 {
		line += fmt.Sprintf("; its p99 is %.1f× raw", float64(cmp.Latency.P99)/float64(ref.Latency.P99))
	}
	return line
}

// SustainableLine lists throughput at each latency objective.
func SustainableLine(s *result.Summary) string {
	var parts []string
	for _, r := range s.Sustainable {
		v := "none"
		if r.PerS > 0 {
			v = num(r.PerS) + "/s"
		}
		parts = append(parts, fmt.Sprintf("p99≤%s: %s", dur(r.SLO), v))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + " (best whole second)"
}
