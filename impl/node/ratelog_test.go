package node

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A flood of one warning costs burst lines per interval; the first line of
// the next interval says how many were dropped.
func TestRateLimitedLog(t *testing.T) {
	var buf bytes.Buffer
	h := newRateLimited(slog.NewTextHandler(&buf, nil), 3, time.Second)
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	emit := func(at time.Duration, msg string) {
		r := slog.NewRecord(t0.Add(at), slog.LevelWarn, msg, 0)
		if err := h.Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 1000; i++ {
		emit(time.Duration(i)*time.Millisecond/2, "closing connection")
	}
	emit(0, "another message")
	emit(1500*time.Millisecond, "closing connection")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 3 + 1 other + 1 after the interval:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[4], "suppressedSinceLast=997") {
		t.Errorf("the line after the interval does not count the suppressed ones: %s", lines[4])
	}
}
