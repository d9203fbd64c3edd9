// Package metrics records what a load run observes, cheaply enough to sit
// on every replica's receive path: latencies into HdrHistograms striped by
// replica (so 10,000 replicas neither share one lock nor own 10,000
// histograms), rotated once per interval into per-second histograms; the
// intended send time of every update; and per-stream loss detection.
//
// It owns recording only. Summaries, merging and thresholds live in
// package result; the numbers' meaning is documented there.
package metrics

import (
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram loadgen writes, so that any
// two can be merged exactly: 1 ns to 1 h at 3 significant digits.
const (
	HistLowest  = 1
	HistHighest = int64(3600e9)
	HistDigits  = 3
)

// NewHistogram returns an empty histogram with loadgen's geometry.
func NewHistogram() *hdr.Histogram { return hdr.New(HistLowest, HistHighest, HistDigits) }

// clamp keeps a value inside the geometry: a negative latency (clock skew
// between processes) records as 0+, an absurd one as the maximum.
func clamp(v int64) int64 {
	if v < HistLowest {
		return HistLowest
	}
	if v > HistHighest {
		return HistHighest
	}
	return v
}

// Recorder is a latency histogram written from many goroutines. Writers
// pick a stripe (say, replica index); Rotate collects what was recorded
// since the previous Rotate as one interval histogram and adds it to the
// total.
type Recorder struct {
	stripes []stripe
	mu      sync.Mutex // serialises Rotate and Total
	total   *hdr.Histogram
}

type stripe struct {
	mu sync.Mutex
	h  *hdr.Histogram
	_  [40]byte // keep stripes on separate cache lines
}

// NewRecorder returns a recorder with n stripes (n < 1: 1).
func NewRecorder(n int) *Recorder {
	if n < 1 {
		n = 1
	}
	r := &Recorder{stripes: make([]stripe, n), total: NewHistogram()}
	for i := range r.stripes {
		r.stripes[i].h = NewHistogram()
	}
	return r
}

// Record adds one value (ns) on stripe i (any int; taken modulo).
func (r *Recorder) Record(i int, v int64) {
	s := &r.stripes[uint(i)%uint(len(r.stripes))]
	s.mu.Lock()
	_ = s.h.RecordValue(clamp(v))
	s.mu.Unlock()
}

// Rotate returns what was recorded since the last Rotate and adds it to
// the total.
func (r *Recorder) Rotate() *hdr.Histogram {
	r.mu.Lock()
	defer r.mu.Unlock()
	iv := NewHistogram()
	fresh := NewHistogram()
	for i := range r.stripes {
		s := &r.stripes[i]
		s.mu.Lock()
		old := s.h
		s.h = fresh
		s.mu.Unlock()
		if old.TotalCount() > 0 {
			iv.Merge(old)
			old.Reset()
		}
		fresh = old
	}
	r.total.Merge(iv)
	return iv
}

// Total returns a copy of everything rotated so far.
func (r *Recorder) Total() *hdr.Histogram {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total.Clone()
}
