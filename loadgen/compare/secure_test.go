package compare_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen/compare"
)

// The transport rows, tiny, on the Go node only (two dialects, as adapter
// processes): every row over tls+tcp, ws and wss measures on a pair that
// listens on that scheme with the run's certificates, and is set against
// its tcp:// row; rows whose clients cannot speak the transport say so and
// have no value. No performance assertion.
func TestTransportRows(t *testing.T) {
	ws := []compare.Workload{
		{Name: "props-b1", Title: "props", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 1000},
		{Name: "props-b1-tls", Title: "props tls", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 1000, Transport: compare.TransportTLS, Plain: "props-b1"},
		{Name: "signals-b1", Title: "signals", Kind: compare.KindThroughput, Mode: "signals", Batch: 1, Count: 1000},
		{Name: "signals-b1-tls", Title: "signals tls", Kind: compare.KindThroughput, Mode: "signals", Batch: 1, Count: 1000, Transport: compare.TransportTLS, Plain: "signals-b1"},
		{Name: "latency", Title: "latency", Kind: compare.KindLatency, Mode: "signals", Batch: 1, Rate: 1000},
		{Name: "latency-tls", Title: "latency tls", Kind: compare.KindLatency, Mode: "signals", Batch: 1, Rate: 1000, Transport: compare.TransportTLS, Plain: "latency"},
		{Name: "props-b1-ws", Title: "props ws", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 1000, Transport: compare.TransportWS, Plain: "props-b1"},
		{Name: "props-b1-wss", Title: "props wss", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 1000, Transport: compare.TransportWSS, Plain: "props-b1"},
		{Name: "replicas-20", Title: "20 replicas", Kind: compare.KindReplicas, Count: 20},
		{Name: "replicas-20-tls", Title: "20 replicas tls", Kind: compare.KindReplicas, Count: 20, Transport: compare.TransportTLS, Plain: "replicas-20"},
		{Name: "epoll-tls", Title: "epoll tls", Kind: compare.KindEpollStorm, Count: 20, Transport: compare.TransportTLS},
		{Name: "props-loadgen", Title: "props into loadgen", Kind: compare.KindLoadgen, Mode: "props", Batch: 1, Count: 1000},
		{Name: "props-loadgen-tls", Title: "props into loadgen tls", Kind: compare.KindLoadgen, Mode: "props", Batch: 1, Count: 1000, Transport: compare.TransportTLS, Plain: "props-loadgen"},
		{Name: "storm-loadgen", Title: "20 loadgen replicas", Kind: compare.KindLoadgenStorm, Count: 20},
		{Name: "storm-loadgen-wss", Title: "20 loadgen replicas wss", Kind: compare.KindLoadgenStorm, Count: 20, Transport: compare.TransportWSS, Plain: "storm-loadgen"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var progress bytes.Buffer
	r, err := compare.Run(ctx, compare.Options{Targets: []compare.Target{goTarget("go", "qt6"), goTarget("go5", "qt5")}, Workloads: ws,
		Duration: 200 * time.Millisecond, CertDir: dir, Loadgen: compare.LoadgenRun, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.pem", "server.pem", "server.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("certificates: %v", err)
		}
	}
	if len(r.Rows) != len(ws) {
		t.Fatalf("%d rows for %d workloads", len(r.Rows), len(ws))
	}
	scheme := map[string]string{compare.TransportTLS: "tls+tcp://", compare.TransportWS: "ws://", compare.TransportWSS: "wss://"}
	for _, row := range r.Rows {
		w := row.Workload
		if len(row.Cells) != 2 {
			t.Fatalf("%s: %d cells", w.Name, len(row.Cells))
		}
		if w.Kind == compare.KindEpollStorm {
			for _, c := range row.Cells {
				if c.Outcome != compare.NotApplicable || c.Value != 0 || !strings.Contains(c.Note, "not applicable") {
					t.Errorf("%s/%s: %+v, want not applicable", w.Name, c.Target, c)
				}
			}
			if len(row.Ratios) != 0 {
				t.Errorf("%s: ratios %v for cells not applicable", w.Name, row.Ratios)
			}
			continue
		}
		for _, c := range row.Cells {
			if c.Error != "" || c.Value <= 0 {
				t.Errorf("%s/%s: value %v, error %q", w.Name, c.Target, c.Value, c.Error)
			}
			if c.Missing != 0 || c.Dup != 0 || c.Reorder != 0 {
				t.Errorf("%s/%s: missing %d dup %d reordered %d", w.Name, c.Target, c.Missing, c.Dup, c.Reorder)
			}
			if w.Transport == "" {
				if c.URL != "" {
					t.Errorf("%s/%s: url %q on a tcp row", w.Name, c.Target, c.URL)
				}
				continue
			}
			if !strings.HasPrefix(c.URL, scheme[w.Transport]) {
				t.Errorf("%s/%s: measured on %q, want %s", w.Name, c.Target, c.URL, scheme[w.Transport])
			}
			if _, ok := row.Ratios[c.Target+" "+w.Transport+"/tcp"]; !ok {
				t.Errorf("%s: no %s %s/tcp ratio: %v", w.Name, c.Target, w.Transport, row.Ratios)
			}
		}
		if _, ok := row.Ratios["go/go5"]; !ok {
			t.Errorf("%s: no go/go5 ratio: %v", w.Name, row.Ratios)
		}
	}
	var md bytes.Buffer
	compare.Markdown(&md, r)
	for _, want := range []string{"## The cost of encryption and WebSocket framing", "| props-b1-tls | go |", "| replicas-20-tls | go5 |", "n/a"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown without %q:\n%s", want, md.String())
		}
	}
}

// A transport pair that cannot start fails its row's cells, not the run.
func TestTransportPairFails(t *testing.T) {
	ws := []compare.Workload{
		{Name: "props-b1-bogus", Title: "props over nothing", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 500, Transport: "bogus", Plain: "props-b1"},
		{Name: "props-b1", Title: "props", Kind: compare.KindThroughput, Mode: "props", Batch: 1, Count: 500},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := compare.Run(ctx, compare.Options{Targets: []compare.Target{goTarget("go", "qt6")}, Workloads: ws, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Rows[0].Cells[0]; !strings.Contains(c.Error, "bogus") || c.Value != 0 || c.URL != "" {
		t.Errorf("bogus transport: %+v", c)
	}
	if c := r.Rows[1].Cells[0]; c.Error != "" || c.Value <= 0 {
		t.Errorf("plain row after a failed transport: %+v", c)
	}
	if len(r.Rows[0].Ratios) != 0 {
		t.Errorf("ratios for a failed row: %v", r.Rows[0].Ratios)
	}
}
