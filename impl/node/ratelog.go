package node

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the log rate limit (Config.LogBurst, Config.LogInterval).
const (
	defaultLogBurst    = 10
	defaultLogInterval = 10 * time.Second
)

// rateLimited is a slog.Handler that passes at most burst records with
// the same message per interval and counts the rest; the first record of
// that message after the interval carries how many were suppressed. A peer
// that sends garbage for a minute costs a few lines, not megabytes.
type rateLimited struct {
	next     slog.Handler
	burst    int
	interval time.Duration
	state    *rateState
}

type rateState struct {
	mu   sync.Mutex
	msgs map[string]*rateWindow
}

type rateWindow struct {
	start      time.Time
	n          int
	suppressed int
}

func newRateLimited(next slog.Handler, burst int, interval time.Duration) *rateLimited {
	return &rateLimited{next: next, burst: burst, interval: interval, state: &rateState{msgs: map[string]*rateWindow{}}}
}

func (h *rateLimited) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *rateLimited) Handle(ctx context.Context, r slog.Record) error {
	s := h.state
	s.mu.Lock()
	w := s.msgs[r.Message]
	if w == nil {
		if len(s.msgs) > 1024 {
			s.msgs = map[string]*rateWindow{} // messages are constants; this only bounds a misuse
		}
		w = &rateWindow{start: r.Time}
		s.msgs[r.Message] = w
	}
	suppressed := 0
	if r.Time.Sub(w.start) >= h.interval {
		suppressed = w.suppressed
		w.start, w.n, w.suppressed = r.Time, 0, 0
	}
	w.n++
	pass := w.n <= h.burst
	if !pass {
		w.suppressed++
	}
	s.mu.Unlock()
	if !pass {
		return nil
	}
	if suppressed > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressedSinceLast", suppressed))
	}
	return h.next.Handle(ctx, r)
}

func (h *rateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	return &rateLimited{next: h.next.WithAttrs(as), burst: h.burst, interval: h.interval, state: h.state}
}

func (h *rateLimited) WithGroup(name string) slog.Handler {
	return &rateLimited{next: h.next.WithGroup(name), burst: h.burst, interval: h.interval, state: h.state}
}
