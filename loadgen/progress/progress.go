// Package progress shows a load run's live state: an mpb progress bar with
// rate, errors and elapsed time on a terminal, plain periodic lines
// otherwise (CI logs, pipes, shard children).
//
// It owns presentation only; the numbers come from loadgen.Status.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Display is a loadgen.Progress that must be closed when the run ends.
type Display interface {
	loadgen.Progress
	Close()
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// New returns a bar display on a terminal, plain lines otherwise (and on
// a terminal that reports no width, where bars would be cut to nothing).
// Plain lines are written every interval (0: 1s).
func New(w *os.File, title string, interval time.Duration) Display {
	if IsTerminal(w) && columns(w) >= 40 {
		return NewBar(w, title)
	}
	return NewLines(w, title, interval)
}

// Lines prints one line per interval.
type Lines struct {
	w        io.Writer
	title    string
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
	phase    string
}

// NewLines returns a plain-lines display.
func NewLines(w io.Writer, title string, interval time.Duration) *Lines {
	if interval <= 0 {
		interval = time.Second
	}
	return &Lines{w: w, title: title, interval: interval}
}

// Update implements loadgen.Progress.
func (l *Lines) Update(s loadgen.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.Phase == l.phase && time.Since(l.last) < l.interval {
		return
	}
	l.phase, l.last = s.Phase, time.Now()
	fmt.Fprintf(l.w, "%s %s\n", l.title, Line(s))
}

// Close implements Display.
func (l *Lines) Close() {}

// Line renders a status as one line.
func Line(s loadgen.Status) string {
	switch s.Phase {
	case "connect", "setup":
		return fmt.Sprintf("[connect] valid %d/%d errors %d", s.Valid, s.Replicas, s.Errors)
	}
	return fmt.Sprintf("[%-5s %5.1fs/%v] sent %d (%s/s) delivered %d (%s/s) p99 %s valid %d/%d errors %d",
		s.Phase, s.Elapsed.Seconds(), s.Duration, s.Sent, Num(s.SentRate), s.Delivered, Num(s.Rate), Dur(s.P99),
		s.Valid, s.Replicas, s.Errors)
}

// Num formats a rate or count compactly (12.3k, 4.56M).
func Num(f float64) string {
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.3gG", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.3gM", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.3gk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}

// Dur formats nanoseconds readably ("-" for 0).
func Dur(ns int64) string {
	if ns <= 0 {
		return "-"
	}
	return time.Duration(ns).Round(time.Microsecond).String()
}

// Bar is the terminal display: a connect bar (replicas Valid), then a load
// bar (elapsed of the duration) with live rates.
type Bar struct {
	p       *mpb.Progress
	mu      sync.Mutex
	connect *mpb.Bar
	load    *mpb.Bar
	title   string
	last    atomic.Pointer[loadgen.Status]
}

// NewBar returns a terminal display writing to w.
func NewBar(w io.Writer, title string) *Bar {
	return &Bar{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(36), mpb.WithRefreshRate(200*time.Millisecond)), title: title}
}

func (b *Bar) stat(fn func(s *loadgen.Status) string) decor.Decorator {
	return decor.Any(func(decor.Statistics) string {
		s := b.last.Load()
		if s == nil {
			return ""
		}
		return fn(s)
	})
}

// Update implements loadgen.Progress.
func (b *Bar) Update(s loadgen.Status) {
	b.last.Store(&s)
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.Replicas > 0 && b.connect == nil {
		b.connect = b.p.AddBar(s.Replicas,
			mpb.PrependDecorators(decor.Name(b.title+" connect ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d valid", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO), b.stat(func(s *loadgen.Status) string {
				return fmt.Sprintf(" errors %d", s.Errors)
			})))
	}
	if b.connect != nil && !b.connect.Completed() {
		b.connect.SetCurrent(s.Valid)
		if s.Phase != "connect" && s.Phase != "setup" {
			b.connect.SetTotal(-1, true) // not all may be Valid: finish the bar anyway
		}
	}
	if s.Phase == "connect" || s.Phase == "setup" {
		return
	}
	if b.load == nil {
		b.load = b.p.AddBar(max(s.Duration.Milliseconds(), 1),
			mpb.PrependDecorators(decor.Name(b.title+" load    ", decor.WCSyncSpaceR), b.stat(func(s *loadgen.Status) string {
				return fmt.Sprintf("%5.1fs/%v", s.Elapsed.Seconds(), s.Duration)
			})),
			mpb.AppendDecorators(b.stat(func(s *loadgen.Status) string {
				return fmt.Sprintf("sent %s/s  delivered %s/s  p99 %s  valid %d  errors %d",
					Num(s.SentRate), Num(s.Rate), Dur(s.P99), s.Valid, s.Errors)
			})))
	}
	if !b.load.Completed() {
		cur := min(s.Elapsed.Milliseconds(), s.Duration.Milliseconds())
		b.load.SetCurrent(cur)
		if s.Phase == "drain" || s.Phase == "done" {
			b.load.SetTotal(-1, true)
		}
	}
}

// Close implements Display: completes the bars and waits for the last render.
func (b *Bar) Close() {
	b.mu.Lock()
	for _, bar := range []*mpb.Bar{b.connect, b.load} {
		if bar != nil && !bar.Completed() {
			bar.SetTotal(-1, true)
		}
	}
	b.mu.Unlock()
	b.p.Wait()
}
