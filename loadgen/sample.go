package loadgen

import (
	"math"
	"time"

	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
)

// progressEvery is how often the live display is refreshed; samples (the
// per-second series) are taken on the second.
const progressEvery = 250 * time.Millisecond

// startSampler samples the run every second from start, realigning on the
// load start when it is known, and returns the function that stops it
// (taking a last sample).
func (r *runner) startSampler(start int64) (stop func()) {
	t0ch := make(chan int64, 1)
	r.t0ch = t0ch
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		prev := r.counters(start)
		next := start + int64(time.Second)
		lastShow := start
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			now := clock.Now()
			wait := min(next, lastShow+int64(progressEvery)) - now
			timer.Reset(time.Duration(max(wait, 0)))
			select {
			case <-done:
				r.takeSample(&prev, clock.Now())
				return
			case t0 := <-t0ch:
				// Close the connect phase just before t0 (so the first sends
				// fall in second 0) and tick on the load's seconds.
				clock.SleepUntil(t0 - int64(200*time.Microsecond))
				r.takeSample(&prev, clock.Now())
				prev.at = t0
				next = t0 + int64(time.Second)
			case <-timer.C:
				now = clock.Now()
				if now >= next {
					r.takeSample(&prev, now)
					for next <= now {
						next += int64(time.Second)
					}
				}
				if now >= lastShow+int64(progressEvery) {
					lastShow = now
					if r.opts.Progress != nil {
						r.opts.Progress.Update(r.status(prev.rate, prev.sentRate, prev.p99))
					}
				}
			}
		}
	}()
	return func() {
		select {
		case <-finished:
			return
		default:
		}
		close(done)
		<-finished
	}
}

// setT0 tells the sampler the load starts at t0.
func (r *runner) setT0(t0 int64) {
	r.t0 = t0
	r.t0ch <- t0
}

// counters is a snapshot of the run's cumulative counters.
type counters struct {
	at                    int64
	sent, delivered, errs int64
	inits                 int64
	cpu                   time.Duration
	rate, sentRate        float64
	p99                   int64
}

func (r *runner) counters(at int64) counters {
	u, s := result.CPUTime()
	return counters{at: at, sent: r.sent.Load(), delivered: r.run.Delivered.Load(), errs: r.run.Errors.Load(),
		inits: r.run.Inits.Load(), cpu: u + s}
}

func (r *runner) takeSample(prev *counters, now int64) {
	cur := r.counters(now)
	h := r.run.Latency.Rotate()
	sec := float64(now-prev.at) / 1e9
	smp := sample{start: prev.at, end: now, sent: cur.sent - prev.sent, delivered: cur.delivered - prev.delivered,
		errors: cur.errs - prev.errs, inits: cur.inits - prev.inits, valid: r.run.Valid.Load(),
		procRSS: result.RSS(0), hist: h}
	if sec > 0 {
		smp.cpu = (cur.cpu - prev.cpu).Seconds() / sec
		cur.rate = float64(smp.delivered) / sec
		cur.sentRate = float64(smp.sent) / sec
	}
	for _, host := range r.hosts {
		smp.hostRSS = host.Memory().RSS
		break
	}
	if h.TotalCount() > 0 {
		cur.p99 = h.ValueAtQuantile(99)
	}
	r.samplesMu.Lock()
	r.samples = append(r.samples, smp)
	r.samplesMu.Unlock()
	*prev = cur
}

func (r *runner) status(rate, sentRate float64, p99 int64) Status {
	ph, _ := r.phase.Load().(string)
	st := Status{Phase: ph, Duration: r.sc.Duration.D(), Replicas: r.replicaStreams(), Valid: r.run.Valid.Load(),
		Sent: r.sent.Load(), Delivered: r.run.Delivered.Load(), Errors: r.run.Errors.Load(),
		Rate: rate, SentRate: sentRate, P99: p99}
	if t0 := r.tl.T0(); t0 > 0 {
		st.Elapsed = time.Duration(clock.Now() - t0)
	}
	return st
}

// summarize builds this process's summary from its streams, samples and
// the drivers' accounts. Streams are read before anything is closed.
func (r *runner) summarize(env result.Env, ls loadStats) *result.Summary {
	sc := r.sc
	s := &result.Summary{Format: result.Format, Name: sc.Name, Target: r.opts.Target.Name(), Workload: sc.Workload,
		Scenario: sc.Map(), Env: env, Shard: result.Shard{Index: r.opts.Shard.Index, Count: r.opts.Shard.Count}}
	switch sc.Workload {
	case scenario.Echo:
		s.LatencyKind = "rtt"
	case scenario.None:
	default:
		s.LatencyKind = "update"
	}
	r.run.Latency.Rotate()
	r.run.Init.Rotate()
	r.run.Reinit.Rotate()
	s.Latency = result.DistOf(r.run.Latency.Total())
	s.Init = result.DistOf(r.run.Init.Total())
	s.Reinit = result.DistOf(r.run.Reinit.Total())
	r.eventsMu.Lock()
	s.Events = append(s.Events, r.events...)
	r.eventsMu.Unlock()

	lag := metrics.NewHistogram()
	s.Sent.Batch, s.Sent.Model = sc.Batch, sc.Model
	for _, p := range ls.push {
		s.Sent.Updates += p.Updates
		s.Sent.Turns += p.Turns
		s.Sent.Planned += p.Planned
		if p.Lag != nil {
			lag.Merge(p.Lag)
		}
		r.run.Errors.Add(p.Errors)
	}
	if e := ls.echo; e != nil {
		s.Sent.Updates, s.Sent.Turns, s.Sent.Planned = e.Calls, e.Calls, e.Planned
		if e.Lag != nil {
			lag.Merge(e.Lag)
		}
		s.Delivery.Delivered = e.Replies
		s.Delivery.Holes = e.Lost
		r.run.Errors.Add(e.Errors + e.Mismatched)
	}
	if c := ls.churn; c != nil {
		r.note("churn: %d connect → Valid → release cycles completed, %d timed out (not Valid within %v), %d still connecting at the end", c.Cycles, c.Timeouts, sc.ConnectTimeout, c.Cut)
		if c.Timeouts > 0 {
			r.run.Errors.Add(c.Timeouts)
		}
	}
	if sc.Model == scenario.Open && s.Sent.Planned > s.Sent.Updates {
		s.Sent.Dropped = s.Sent.Planned - s.Sent.Updates
	}
	s.Lag = result.DistOf(lag)

	objs := make([]result.ObjectEnd, len(r.mesh.objects))
	for o := range objs {
		objs[o] = result.ObjectEnd{Name: r.mesh.objects[o], LastSent: r.lastSent[o]}
	}
	d := &s.Delivery
	for _, ss := range r.streams {
		for _, st := range ss {
			x := st.Stats()
			d.Replicas++
			if x.Inits == 0 {
				d.Invalid++
			}
			d.Inits += int64(x.Inits)
			d.Suspects += x.Suspects
			if sc.Workload == scenario.Echo {
				continue
			}
			d.Delivered += x.Received
			d.Holes += x.Lost
			d.Duplicated += x.Duplicated
			d.Reordered += x.Reordered
			d.Stale += x.Stale
			d.GapSeen += x.Gap
			if !x.Expecting {
				continue
			}
			o := &objs[st.Object]
			if x.Valid {
				o.Valid++
				o.SumSeen += x.Seen
			} else {
				o.NotValid++
				o.SumSeenNot += x.Seen
			}
		}
	}
	d.Untimed = r.run.Untimed.Load()
	if sc.Workload != scenario.Echo && sc.Workload != scenario.None {
		s.Objects = objs
	}

	r.samplesMu.Lock()
	for _, smp := range r.samples {
		// An interval belongs to the second it starts in (samples start on
		// the load's second boundaries, give or take timer latency).
		p := result.Point{T: int(math.Floor(float64(smp.start-r.t0) / 1e9)), Sent: smp.sent, Delivered: smp.delivered,
			Errors: smp.errors, Valid: smp.valid, Inits: smp.inits, HostRSS: smp.hostRSS, ProcRSS: smp.procRSS,
			CPU: smp.cpu, Hist: result.EncodeHist(smp.hist)}
		if smp.hist.TotalCount() > 0 {
			p.P50, p.P99, p.Max = smp.hist.ValueAtQuantile(50), smp.hist.ValueAtQuantile(99), smp.hist.Max()
		}
		if n := len(s.Series); n > 0 && s.Series[n-1].T >= p.T {
			// A short interval (the connect phase's last, before t0) shares
			// a second with the previous one: fold it in.
			q := &s.Series[n-1]
			q.Sent += p.Sent
			q.Delivered += p.Delivered
			q.Errors += p.Errors
			q.Inits += p.Inits
			q.Valid, q.HostRSS, q.ProcRSS = p.Valid, max(q.HostRSS, p.HostRSS), max(q.ProcRSS, p.ProcRSS)
			if smp.hist.TotalCount() > 0 {
				h, err := result.DecodeHist(q.Hist)
				if err == nil {
					h.Merge(smp.hist)
					q.Hist = result.EncodeHist(h)
					q.P50, q.P99, q.Max = h.ValueAtQuantile(50), h.ValueAtQuantile(99), h.Max()
				}
			}
		} else {
			s.Series = append(s.Series, p)
		}
		s.Host.RSSMax = max(s.Host.RSSMax, smp.hostRSS)
	}
	r.samplesMu.Unlock()
	inProc := true
	for _, h := range r.hosts {
		inProc = h.Memory().InProcess
		break
	}
	if len(r.hosts) > 0 && !inProc {
		s.Host.Scope = "host process of its own (the adapter's RSS)"
	} else if len(r.hosts) > 0 {
		if len(r.streams) > 0 {
			s.Host.Scope = "process (hosts + replicas + generator in one process)"
		} else {
			s.Host.Scope = "host process"
		}
	}
	s.Errors = result.Errors{Count: r.run.Errors.Load(), Samples: r.run.ErrorSamples()}
	return s
}
