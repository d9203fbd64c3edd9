package result

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/threshold"
)

// samples draws latencies with a long tail: mostly ~1ms, some ~100ms.
func samples(r *rand.Rand, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		v := int64(r.ExpFloat64() * 1e6)
		if r.IntN(100) == 0 {
			v += int64(r.ExpFloat64() * 1e8)
		}
		out[i] = v + 1
	}
	return out
}

func histOf(vs []int64) *hdr.Histogram {
	h := metrics.NewHistogram()
	for _, v := range vs {
		if err := h.RecordValue(v); err != nil {
			panic(err)
		}
	}
	return h
}

// TestMergeEqualsOneHistogram: splitting samples over shards, encoding each
// shard's histogram, and merging gives exactly the histogram of all samples
// (and so the same percentiles) — unlike averaging the shards' percentiles.
func TestMergeEqualsOneHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	all := samples(r, 200_000)
	const shards = 3
	parts := make([]*Summary, shards)
	var avgP99 float64
	for i := range parts {
		var mine []int64
		// Uneven split: shard 0 sees mostly the fast samples.
		for k, v := range all {
			if k%shards == i {
				mine = append(mine, v)
			}
		}
		if i == 0 {
			mine = mine[:len(mine)/4]
		}
		h := histOf(mine)
		avgP99 += float64(h.ValueAtQuantile(99)) / shards
		parts[i] = &Summary{Format: Format, Shard: Shard{Index: i, Count: shards}, Latency: DistOf(h),
			Series: []Point{{T: 0, Hist: EncodeHist(h), Delivered: h.TotalCount()}}}
	}
	// What a single process would have seen.
	var used []int64
	for k, v := range all {
		if k%shards == 0 && k/shards >= len(all)/shards/4 {
			continue // the samples shard 0 dropped
		}
		used = append(used, v)
	}
	want := histOf(used)

	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Latency.Histogram()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(want) {
		t.Fatalf("merged histogram differs: count %d vs %d, p99 %d vs %d", got.TotalCount(), want.TotalCount(),
			got.ValueAtQuantile(99), want.ValueAtQuantile(99))
	}
	for _, q := range []float64{50, 90, 99, 99.9, 99.99, 100} {
		if g, w := got.ValueAtQuantile(q), want.ValueAtQuantile(q); g != w {
			t.Errorf("p%g: merged %d, single %d", q, g, w)
		}
	}
	if m.Latency.P99 != want.ValueAtQuantile(99) || m.Latency.Count != int64(len(used)) {
		t.Errorf("derived fields: p99 %d count %d", m.Latency.P99, m.Latency.Count)
	}
	// The per-second series merges the same way.
	sh, err := DecodeHist(m.Series[0].Hist)
	if err != nil || !sh.Equals(want) {
		t.Errorf("series histogram differs (err %v)", err)
	}
	// Averaging percentiles would have been wrong here (the point of merging).
	if int64(avgP99) == want.ValueAtQuantile(99) {
		t.Log("note: averaged p99 happened to match")
	}
	// Merging the merged result with nothing changes nothing.
	again, err := Merge(m)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := again.Latency.Histogram(); !h.Equals(want) || again.Shard.Merged != shards {
		t.Errorf("re-merge changed the histogram or lost the shard count (%d)", again.Shard.Merged)
	}
}

// TestMergeTailAcrossShards: the host shard knows what it sent, replica
// shards know what they saw; the tail loss is only computable merged.
func TestMergeTailAcrossShards(t *testing.T) {
	host := &Summary{Format: Format, Shard: Shard{Index: 0, Count: 3}, Sent: Sent{Updates: 100},
		Objects: []ObjectEnd{{Name: "Tick0", LastSent: 100}}}
	a := &Summary{Format: Format, Shard: Shard{Index: 1, Count: 3}, Delivery: Delivery{Replicas: 2, Delivered: 199, Holes: 0},
		Objects: []ObjectEnd{{Name: "Tick0", Valid: 2, SumSeen: 100 + 99}}} // one replica missed the last update
	b := &Summary{Format: Format, Shard: Shard{Index: 2, Count: 3}, Delivery: Delivery{Replicas: 2, Delivered: 150, Holes: 1, GapSeen: 20},
		Objects: []ObjectEnd{{Name: "Tick0", Valid: 1, SumSeen: 100, NotValid: 1, SumSeenNot: 50}}} // one ended Suspect at 50
	for _, p := range []*Summary{host, a, b} {
		p.Finish()
	}
	if a.Delivery.Tail != 0 || b.Delivery.Lost != 1 {
		t.Fatalf("a shard without the host cannot know its tail: %+v %+v", a.Delivery, b.Delivery)
	}
	m, err := Merge(host, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Delivery.Tail != 1 || m.Delivery.Lost != 2 {
		t.Errorf("tail %d lost %d, want 1 and 2", m.Delivery.Tail, m.Delivery.Lost)
	}
	if m.Delivery.SuspectGap != 20+50 {
		t.Errorf("suspect gap %d, want 70 (20 seen + 50 after the end)", m.Delivery.SuspectGap)
	}
	if m.Delivery.Delivered != 349 || m.Sent.Updates != 100 || m.Delivery.Replicas != 4 {
		t.Errorf("counts: %+v %+v", m.Delivery, m.Sent)
	}
	ths, _ := threshold.ParseAll([]string{"lost==0"})
	if m.ApplyThresholds(ths) {
		t.Error("lost==0 must fail on the merged result")
	}
}

func TestWriteRead(t *testing.T) {
	h := histOf([]int64{1000, 2000, 3000})
	s := &Summary{Format: Format, Name: "x", Latency: DistOf(h)}
	p := filepath.Join(t.TempDir(), "s.json")
	if err := s.Write(p); err != nil {
		t.Fatal(err)
	}
	back, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := back.Latency.Histogram(); !g.Equals(h) {
		t.Fatal("histogram changed through the file")
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file read")
	}
}

func TestValuesMissingNotPassed(t *testing.T) {
	s := &Summary{Format: Format}
	ths, _ := threshold.ParseAll([]string{"p99<1s"})
	if s.ApplyThresholds(ths) {
		t.Fatal("a latency threshold on a run without latency must fail")
	}
	if !s.Thresholds[0].Missing {
		t.Fatal("should be reported as not measured")
	}
}

func TestSustainable(t *testing.T) {
	s := &Summary{Format: Format, LatencyKind: "update", Phases: Phases{LoadS: 4}, Series: []Point{
		{T: -1, Delivered: 0},
		{T: 0, Delivered: 1000, P99: 500e3}, // 0.5 ms
		{T: 1, Delivered: 2000, P99: 5e6},   // 5 ms
		{T: 2, Delivered: 4000, P99: 50e6},  // 50 ms
		{T: 3, Delivered: 8000, P99: 500e6}, // 500 ms: meets none
		{T: 4, Delivered: 9000, P99: 100e3}, // the drain, not load: ignored
	}}
	s.Finish()
	want := map[int64]float64{1e6: 1000, 10e6: 2000, 100e6: 4000}
	if len(s.Sustainable) != len(want) {
		t.Fatalf("sustainable %+v", s.Sustainable)
	}
	for _, r := range s.Sustainable {
		if r.PerS != want[r.SLO] {
			t.Errorf("at p99 ≤ %dns: %g/s, want %g", r.SLO, r.PerS, want[r.SLO])
		}
	}
}

// Re-init times merge like every histogram; events of all shards are
// kept, in time order.
func TestMergeReinitAndEvents(t *testing.T) {
	a := &Summary{Format: Format, Reinit: DistOf(histOf([]int64{1e9, 2e9})), Events: []Event{{T: 3, What: "all Valid again"}}}
	b := &Summary{Format: Format, Reinit: DistOf(histOf([]int64{3e9})), Events: []Event{{T: 1, What: "host 0 killed"}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Reinit.Count != 3 || m.Reinit.Max < 2.99e9 {
		t.Errorf("reinit %+v", m.Reinit)
	}
	if len(m.Events) != 2 || m.Events[0].What != "host 0 killed" {
		t.Errorf("events %+v", m.Events)
	}
}
