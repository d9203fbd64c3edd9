package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/threshold"
)

func summary() *result.Summary {
	h := metrics.NewHistogram()
	for i := int64(1); i <= 10000; i++ {
		_ = h.RecordValue(i * 1000)
	}
	s := &result.Summary{Format: result.Format, Name: "t", Target: "go", Workload: "props", LatencyKind: "update",
		Scenario: map[string]any{"topology": "fanout", "hosts": 1, "objects": 1, "replicas": 10, "transport": "tcp", "rate": "1000", "duration": "1s"},
		Latency:  result.DistOf(h), Init: result.DistOf(h), Sent: result.Sent{Model: "open", Batch: 1, Updates: 1000},
		Delivery: result.Delivery{Replicas: 10, Delivered: 10000}, Host: result.Host{RSSMax: 50 << 20, Scope: "host process"}}
	for t := -1; t < 3; t++ {
		s.Series = append(s.Series, result.Point{T: t, Sent: 1000, Delivered: 10000, Valid: 10, HostRSS: 50 << 20, ProcRSS: 60 << 20,
			P50: 5e6, P99: 9e6, Max: 1e7, Hist: result.EncodeHist(h)})
	}
	ths, _ := threshold.ParseAll([]string{"p99<2ms", "lost==0"})
	s.Finish()
	s.ApplyThresholds(ths)
	return s
}

// TestHTMLSelfContained: one file, plots inline, nothing fetched from
// anywhere (it must work offline).
func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, summary()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "<svg"); n < 5 {
		t.Errorf("%d inline SVG plots, want throughput, spectrum, latency over time, init, memory", n)
	}
	for _, title := range []string{"Throughput over time", "Latency percentile spectrum", "Replica init time distribution", "Host memory over time"} {
		if !strings.Contains(out, title) {
			t.Errorf("no %q", title)
		}
	}
	if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]*(src|href)\s*=\s*"(https?:)?//`).FindString(out); m != "" {
		t.Errorf("external resource: %s", m)
	}
	if !strings.Contains(out, "FAIL") || !strings.Contains(out, "p99&lt;2ms") {
		t.Error("threshold outcome missing")
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	Text(&b, summary())
	out := b.String()
	for _, want := range []string{"fanout", "p99", "thresholds", "p99<2ms FAIL", "lost==0 pass", "intended send time"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// TestHdrLogReadsBack: the interval log is readable by HdrHistogram's own
// reader and holds every recorded value.
func TestHdrLogReadsBack(t *testing.T) {
	s := summary()
	var b bytes.Buffer
	if err := HdrLog(&b, s); err != nil {
		t.Fatal(err)
	}
	r := hdr.NewHistogramLogReader(&b)
	var n, intervals int64
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		intervals++
		n += h.TotalCount()
	}
	if intervals != int64(len(s.Series)) || n != int64(len(s.Series))*10000 {
		t.Fatalf("read %d intervals, %d values", intervals, n)
	}
}

// A chaos run's report shows what was done to the mesh and how long the
// replicas took to come back, in text and HTML.
func TestChaosInReports(t *testing.T) {
	s := summary()
	h := metrics.NewHistogram()
	_ = h.RecordValue(1_200_000_000)
	s.Reinit = result.DistOf(h)
	s.Events = []result.Event{{T: 2, What: "host 0 killed (SIGKILL)"}, {T: 3.1, What: "host 0 restarted (listening, source remoted)"}}
	var html, text bytes.Buffer
	if err := HTML(&html, s); err != nil {
		t.Fatal(err)
	}
	Text(&text, s)
	for _, want := range []string{"Events (chaos)", "host 0 killed (SIGKILL)", "re-init after Suspect", "Re-init time after Suspect"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, want := range []string{"event       t=+2.000s host 0 killed", "re-init     Suspect → Valid again: "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}
