package adapterload

import (
	"bytes"
	"context"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/pace"
	"github.com/qtro/qtro/specs/contract"
)

// Source is the Tick object a host run drives, and the host's own
// reporting of its changes, which a run turns off while it sends.
type Source struct {
	// Type is the host's --type: only tick has the counter and signals.
	Type   string
	Object *node.Source
	// Quiet turns the host's propertyChanged events off (true) and on.
	Quiet func(bool)
}

// IsHostMode reports whether mode is one of the host modes of §9.1.
func IsHostMode(mode string) bool {
	return mode == contract.LoadProps || mode == contract.LoadSignals || mode == contract.LoadPayload ||
		mode == contract.LoadBoth
}

// Host prepares a host run (§9.1: props, signals, payload, both) of command
// c over s: count updates in turns of batch, paced at rate (0: as fast as
// the connections take them), with loadProgress every progressMs.
func Host(c contract.Command, mode string, s Source, report Report) (*Run, error) {
	if s.Type != contract.TypeTick {
		return refuse(contract.BadArgs, "host load needs --type tick")
	}
	count, batch := c.Int("count", 0), c.Int("batch", 1)
	rate := c.Float("rate", 0)
	payloadBytes := c.Int("payloadBytes", 0)
	progressNs := c.Int("progressMs", 1000) * int64(time.Millisecond)
	if count <= 0 || batch <= 0 || rate < 0 || payloadBytes < 0 || payloadBytes > 1<<30 {
		return refuse(contract.BadArgs, "need count > 0, batch > 0, rate >= 0, 0 <= payloadBytes <= 1 GiB")
	}
	root := s.Object
	cls := root.Class()
	counterIdx := cls.PropertyIndex("counter")
	tickIdx, payloadIdx := cls.SignalIndex("tick"), cls.SignalIndex("payload")
	counter, _ := root.Property("counter")
	firstCounter := counter.Int() + 1
	payload := qds.ByteArrayOf(bytes.Repeat([]byte{'x'}, int(payloadBytes)))
	props := mode == contract.LoadProps || mode == contract.LoadBoth
	ticks := mode == contract.LoadSignals || mode == contract.LoadBoth
	s.Quiet(true)
	body := func(ctx context.Context, finish func(contract.Fields)) {
		cpu0, start := cpuNs(), clock.Now()
		// A turn is B steps; between turns the connections' writers
		// flush, as the Qt peer returns to its event loop.
		loop := pace.Loop{Batch: batch, Count: count, Yield: true}
		if rate > 0 {
			loop.At = pace.Rate(start, rate)
		}
		lastProgress := start
		args := make([]qds.Variant, 3) // reused: EmitValues sends without copying or converting
		st := loop.Run(ctx, func(t pace.Turn) bool {
			for sent := t.First; sent < t.First+t.N; sent++ {
				seq := sent + 1
				if props {
					_ = root.SetPropertyValue(counterIdx, qds.IntOf(int32(firstCounter+sent)))
				}
				if ticks {
					args[0], args[1] = qds.LongLongOf(seq), qds.LongLongOf(clock.Now())
					_ = root.EmitValues(tickIdx, args[:2]...)
				}
				if mode == contract.LoadPayload {
					args[0], args[1], args[2] = qds.LongLongOf(seq), qds.LongLongOf(clock.Now()), payload
					_ = root.EmitValues(payloadIdx, args...)
				}
			}
			if after, sent := clock.Now(), t.First+t.N; sent < count && after-lastProgress >= progressNs {
				lastProgress = after
				report(contract.EvLoadProgress, contract.Fields{{Key: "mode", Value: mode}, {Key: "sent", Value: sent}})
			}
			return true
		})
		if ctx.Err() != nil {
			s.Quiet(false) // the next run must not inherit quiet
			return         // shutting down: no summary
		}
		elapsed := clock.Now() - start
		s.Quiet(false)
		finish(summary("role", contract.RoleHost, "mode", mode, "count", count, "sent", st.Units, "batch", batch,
			"rate", rate, "turns", st.Turns, "payloadBytes", payloadBytes, "firstCounter", firstCounter,
			"elapsedNs", elapsed, "perSecond", perSecond(st.Units, elapsed), "cpuNs", cpuNs()-cpu0))
	}
	return &Run{Result: []any{"firstCounter", firstCounter, "firstSeq", 1}, Body: body}, nil
}
