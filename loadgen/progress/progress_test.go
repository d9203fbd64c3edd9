package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLinesThrottleAndContent(t *testing.T) {
	var b bytes.Buffer
	l := NewLines(&b, "[t]", time.Hour)
	l.Update(loadgen.Status{Phase: "connect", Valid: 3, Replicas: 10})
	l.Update(loadgen.Status{Phase: "connect", Valid: 4, Replicas: 10}) // throttled
	l.Update(loadgen.Status{Phase: "load", Elapsed: time.Second, Duration: 10 * time.Second, Sent: 1000, SentRate: 1000,
		Delivered: 1_000_000, Rate: 1e6, P99: 1_500_000, Valid: 10, Replicas: 10})
	l.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (one per phase change, throttled within a phase), got %q", lines)
	}
	if !strings.Contains(lines[0], "valid 3/10") || !strings.Contains(lines[1], "1M/s") || !strings.Contains(lines[1], "p99 1.5ms") {
		t.Fatalf("lines %q", lines)
	}
}

func TestBarRendersAndCloses(t *testing.T) {
	var b bytes.Buffer
	bar := NewBar(&b, "t")
	bar.Update(loadgen.Status{Phase: "connect", Valid: 1, Replicas: 2})
	bar.Update(loadgen.Status{Phase: "load", Elapsed: 500 * time.Millisecond, Duration: time.Second, Valid: 2, Replicas: 2, Rate: 10})
	bar.Update(loadgen.Status{Phase: "done", Elapsed: time.Second, Duration: time.Second, Valid: 2, Replicas: 2})
	bar.Close() // must not hang, and must leave no goroutine behind
}
