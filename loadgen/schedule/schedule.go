// Package schedule turns a rate plan into the intended time of every event,
// so an open-model sender knows when each event should have gone out and
// latency can be measured from that time (wrk2's correction for coordinated
// omission) rather than from when the sender got around to it.
//
// A Schedule is a sequence of stages whose rate changes linearly from From
// to To events per second; constant rates, ramps and steps are special
// cases. Event k (counting from 0) is intended at the time t where the
// number of events due so far, N(t) = ∫₀ᵗ rate, equals k: event 0 at t = 0,
// event 1 one interval later for a constant rate.
//
// It owns only the arithmetic; pacing a sender is the caller's.
package schedule

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stage is one piece of a schedule: Duration long, rate going linearly
// from From to To events per second.
type Stage struct {
	Duration time.Duration
	From, To float64
}

// Schedule is an immutable rate plan.
type Schedule struct {
	stages []Stage
	start  []float64 // seconds at which each stage starts
	cum    []float64 // events due before each stage (N at its start)
	end    float64   // total seconds
	total  float64   // N at the end
}

// ErrBadSchedule reports an unusable schedule description.
var ErrBadSchedule = errors.New("schedule: bad schedule")

// New returns a schedule of the given stages.
func New(stages ...Stage) (*Schedule, error) {
	s := &Schedule{}
	for i, st := range stages {
		if st.Duration <= 0 || st.From < 0 || st.To < 0 || math.IsNaN(st.From+st.To) || math.IsInf(st.From+st.To, 0) {
			return nil, fmt.Errorf("%w: stage %d: %v from %g to %g/s", ErrBadSchedule, i, st.Duration, st.From, st.To)
		}
		s.stages = append(s.stages, st)
		s.start = append(s.start, s.end)
		s.cum = append(s.cum, s.total)
		sec := st.Duration.Seconds()
		s.end += sec
		s.total += (st.From + st.To) / 2 * sec
	}
	if len(s.stages) == 0 {
		return nil, fmt.Errorf("%w: no stages", ErrBadSchedule)
	}
	return s, nil
}

// Constant is rate events per second for d.
func Constant(rate float64, d time.Duration) (*Schedule, error) {
	return New(Stage{d, rate, rate})
}

// Ramp goes linearly from one rate to another over d.
func Ramp(from, to float64, d time.Duration) (*Schedule, error) {
	return New(Stage{d, from, to})
}

// Steps holds each rate for step; the last one is held until d (d == 0:
// len(rates)·step in all). Steps longer than d are cut.
func Steps(rates []float64, step, d time.Duration) (*Schedule, error) {
	if step <= 0 || len(rates) == 0 {
		return nil, fmt.Errorf("%w: steps need rates and a step duration", ErrBadSchedule)
	}
	if d <= 0 {
		d = time.Duration(len(rates)) * step
	}
	var st []Stage
	var at time.Duration
	for i, r := range rates {
		dur := step
		if i == len(rates)-1 || at+dur > d {
			dur = d - at
		}
		if dur <= 0 {
			break
		}
		st = append(st, Stage{dur, r, r})
		at += dur
	}
	return New(st...)
}

// Duration returns the schedule's length.
func (s *Schedule) Duration() time.Duration { return seconds(s.end) }

// Stages returns a copy of the stages.
func (s *Schedule) Stages() []Stage { return append([]Stage(nil), s.stages...) }

// Total returns the number of events the schedule intends: those whose
// intended time falls before its end.
func (s *Schedule) Total() int64 {
	return int64(math.Ceil(s.total - 1e-9))
}

// At returns the intended offset of event k (k ≥ 0) from the start, and
// false when k is beyond the schedule.
func (s *Schedule) At(k int64) (time.Duration, bool) {
	if k < 0 || k >= s.Total() {
		return 0, false
	}
	x := float64(k)
	// The first stage whose events end after k holds event k; stages with
	// zero rate end where they start and are never chosen.
	n := len(s.stages)
	i := sort.Search(n, func(i int) bool { return s.stageEnd(i) > x })
	if i == n {
		i = n - 1 // rounding at the very end: the last event is in the last stage
	}
	st := s.stages[i]
	sec := st.Duration.Seconds()
	a := (st.To - st.From) / sec // rate slope, events/s²
	r := x - s.cum[i]            // events into this stage
	// Solve From·τ + a·τ²/2 = r for τ ≥ 0. This form is stable for a → 0
	// and for negative slopes.
	disc := st.From*st.From + 2*a*r
	if disc < 0 {
		disc = 0
	}
	den := st.From + math.Sqrt(disc)
	var tau float64
	if den > 0 {
		tau = 2 * r / den
	}
	if tau > sec {
		tau = sec
	}
	return seconds(s.start[i] + tau), true
}

// stageEnd is N at the end of stage i.
func (s *Schedule) stageEnd(i int) float64 {
	if i+1 < len(s.cum) {
		return s.cum[i+1]
	}
	return s.total
}

func (s *Schedule) rateAt(i int, tau float64) float64 {
	st := s.stages[i]
	return st.From + (st.To-st.From)*tau/st.Duration.Seconds()
}

// Due returns how many events are intended at or before offset t.
func (s *Schedule) Due(t time.Duration) int64 {
	if t < 0 {
		return 0
	}
	n := int64(math.Floor(s.count(t.Seconds())+1e-9)) + 1
	if tot := s.Total(); n > tot {
		n = tot
	}
	return n
}

// count is N(t).
func (s *Schedule) count(t float64) float64 {
	if t >= s.end {
		return s.total
	}
	i := sort.SearchFloat64s(s.start, t)
	if i == len(s.start) || s.start[i] > t {
		i--
	}
	tau := t - s.start[i]
	st := s.stages[i]
	a := (st.To - st.From) / st.Duration.Seconds()
	return s.cum[i] + st.From*tau + a*tau*tau/2
}

// Rate returns the intended rate (events/s) at offset t.
func (s *Schedule) Rate(t time.Duration) float64 {
	x := t.Seconds()
	if x < 0 || x >= s.end {
		return 0
	}
	i := sort.SearchFloat64s(s.start, x)
	if i == len(s.start) || s.start[i] > x {
		i--
	}
	return s.rateAt(i, x-s.start[i])
}

// Scale returns the schedule with every rate multiplied by f (f > 0), e.g.
// 1/B to turn a schedule of updates into one of turns of B updates.
func (s *Schedule) Scale(f float64) *Schedule {
	st := s.Stages()
	for i := range st {
		st[i].From *= f
		st[i].To *= f
	}
	out, err := New(st...)
	if err != nil {
		return s
	}
	return out
}

// String returns the schedule in the form Parse reads ("stages:...").
func (s *Schedule) String() string {
	var b strings.Builder
	b.WriteString("stages:")
	for i, st := range s.stages {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(num(st.From))
		if st.To != st.From {
			b.WriteString("..")
			b.WriteString(num(st.To))
		}
		b.WriteByte('/')
		b.WriteString(st.Duration.String())
	}
	return b.String()
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func seconds(f float64) time.Duration { return time.Duration(math.Round(f * 1e9)) }

// Parse reads a schedule description; d is the run's duration, used by the
// forms that do not carry their own:
//
//	1000 | constant:1000            1000 events/s for d
//	ramp:0..5000                    linearly from 0 to 5000/s over d
//	steps:1000,2000,5000/2s         each rate for 2s, the last until d
//	stages:0..1000/5s,1000/10s      explicit stages (k6's ramping-arrival-rate)
//
// Rates accept k and M suffixes (20k = 20000).
func Parse(spec string, d time.Duration) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	kind, arg, found := strings.Cut(spec, ":")
	if !found {
		kind, arg = "constant", spec
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %q: %s", ErrBadSchedule, spec, fmt.Sprintf(format, a...))
	}
	switch kind {
	case "constant":
		r, err := rate(arg)
		if err != nil {
			return nil, bad("%v", err)
		}
		if d <= 0 {
			return nil, bad("needs a duration")
		}
		return Constant(r, d)
	case "ramp":
		from, to, err := rampRates(arg)
		if err != nil {
			return nil, bad("%v", err)
		}
		if d <= 0 {
			return nil, bad("needs a duration")
		}
		return Ramp(from, to, d)
	case "steps":
		list, stepS, ok := strings.Cut(arg, "/")
		if !ok {
			return nil, bad("want steps:R1,R2,.../STEP")
		}
		step, err := time.ParseDuration(stepS)
		if err != nil {
			return nil, bad("step: %v", err)
		}
		var rs []float64
		for _, f := range strings.Split(list, ",") {
			r, err := rate(f)
			if err != nil {
				return nil, bad("%v", err)
			}
			rs = append(rs, r)
		}
		return Steps(rs, step, d)
	case "stages":
		var st []Stage
		for _, part := range strings.Split(arg, ",") {
			rs, durS, ok := strings.Cut(part, "/")
			if !ok {
				return nil, bad("stage %q: want RATE/DURATION or FROM..TO/DURATION", part)
			}
			dur, err := time.ParseDuration(durS)
			if err != nil {
				return nil, bad("stage %q: %v", part, err)
			}
			from, to, err := rampRates(rs)
			if err != nil {
				return nil, bad("stage %q: %v", part, err)
			}
			st = append(st, Stage{dur, from, to})
		}
		return New(st...)
	}
	return nil, bad("unknown kind %q (constant, ramp, steps, stages)", kind)
}

func rampRates(s string) (float64, float64, error) {
	a, b, ok := strings.Cut(s, "..")
	from, err := rate(a)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return from, from, nil
	}
	to, err := rate(b)
	return from, to, err
}

func rate(s string) (float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
	mul := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mul, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mul, s = 1e6, strings.TrimSuffix(s, "M")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("bad rate %q", s)
	}
	return f * mul, nil
}
