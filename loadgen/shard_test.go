package loadgen_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target/gonode"
)

// barrier is an in-memory Control: every shard waits for all, then they
// share one start time.
type barrier struct {
	mu    sync.Mutex
	n     int
	ready int
	start int64
	done  chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, done: make(chan struct{})} }

func (b *barrier) Ready(context.Context, int64, int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ready++
	if b.ready == b.n {
		b.start = time.Now().Add(200 * time.Millisecond).UnixNano()
		close(b.done)
	}
	return nil
}

func (b *barrier) Start(ctx context.Context) (int64, error) {
	select {
	case <-b.done:
		return b.start, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// TestShardsMerge runs one mesh as three shards (hosts; two halves of the
// replicas) that know each other only through fixed URLs and a start time,
// and checks the merged result is complete: every update delivered and
// timed from the schedule, no tail loss once the host's count is known.
func TestShardsMerge(t *testing.T) {
	sc := scenario.Scenario{Topology: scenario.FanOut, Replicas: 6, Workload: scenario.Props, Rate: "400",
		Duration: scenario.Duration(time.Second), Drain: scenario.Duration(3 * time.Second), Transport: "local",
		Listen: "local:" + filepath.Join(t.TempDir(), "lg")}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := newBarrier(3)
	parts := make([]*result.Summary, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: gonode.Target{},
				Shard: loadgen.Shard{Index: i, Count: 3}, Control: b})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	if parts[0].Delivery.Replicas != 0 || parts[1].Delivery.Replicas != 3 || parts[2].Delivery.Replicas != 3 {
		t.Fatalf("replicas per shard: %d %d %d", parts[0].Delivery.Replicas, parts[1].Delivery.Replicas, parts[2].Delivery.Replicas)
	}
	m, err := result.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	sent := m.Sent.Updates
	if sent < 300 {
		t.Fatalf("sent %d", sent)
	}
	if m.Delivery.Delivered != 6*sent || m.Delivery.Lost != 0 || m.Delivery.Tail != 0 {
		t.Errorf("merged delivery %+v for %d sent", m.Delivery, sent)
	}
	if m.Latency.Count != m.Delivery.Delivered {
		t.Errorf("%d of %d deliveries timed: property latency across processes comes from the schedule", m.Latency.Count, m.Delivery.Delivered)
	}
	if m.Init.Count != 6 || m.Shard.Merged != 3 {
		t.Errorf("init samples %d, merged %d", m.Init.Count, m.Shard.Merged)
	}
}
