package node_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

const tickRep = `
class Tick
{
    PROP(int counter = 0)
    SIGNAL(tick(qint64 seq, qint64 sentNs))
    SLOT(qint64 echo(qint64 seq))
};
`

// BenchmarkPropertyChange measures property changes/s from a Go host to one
// Go replica over loopback TCP: each op is one change, received.
func BenchmarkPropertyChange(b *testing.B) {
	for _, d := range wire.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			ctx, _, src, n, r := benchPair(b, d)
			var got atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			r.Subscribe(func(ev node.Event) {
				if ev.Kind == node.PropertyChanged && ev.Value.Int() >= target {
					if got.Add(1) == 1 {
						close(done)
					}
				}
			})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				if err := src.SetPropertyValue(0, qds.IntOf(int32(i))); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-ctx.Done():
				b.Fatal("changes not all received")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
			b.ReportMetric(float64(n.Stats().DroppedEvents), "dropped")
		})
	}
}

// BenchmarkSignal measures signals/s from a Go host to one Go replica over
// loopback TCP, sent with EmitValues: each op is one tick(seq, sentNs),
// received with its arguments.
func BenchmarkSignal(b *testing.B) {
	for _, d := range wire.Dialects {
		b.Run(d.String(), func(b *testing.B) {
			ctx, cls, src, _, r := benchPair(b, d)
			done := make(chan struct{})
			target := int64(b.N)
			var once atomic.Bool
			r.Subscribe(func(ev node.Event) {
				if ev.Kind == node.SignalEmitted && len(ev.Args) == 2 && ev.Args[0].Int() >= target && once.CompareAndSwap(false, true) {
					close(done)
				}
			})
			tick := cls.SignalIndex("tick")
			args := make([]qds.Variant, 2)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 1; i <= b.N; i++ {
				args[0], args[1] = qds.LongLongOf(int64(i)), qds.LongLongOf(0)
				if err := src.EmitValues(tick, args...); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-ctx.Done():
				b.Fatal("signals not all received")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signals/s")
		})
	}
}

// benchPair starts a Go host remoting a Tick source in dialect d and a Go
// node with a Valid static replica of it, all closed when b ends.
func benchPair(b *testing.B, d wire.Dialect) (context.Context, *meta.Class, *node.Source, *node.Node, *node.Replica) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	b.Cleanup(cancel)
	cls, err := meta.ParseRep("tick.rep", []byte(tickRep), "Tick", d)
	if err != nil {
		b.Fatal(err)
	}
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	src := node.NewSource(cls)
	_ = h.EnableRemoting(src, "Tick")
	n := node.NewNode(node.Config{})
	b.Cleanup(func() { n.Close() })
	_ = n.ConnectToNode(h.URL())
	r, _ := n.Acquire("Tick", node.StaticClass{Class: cls})
	if err := r.WaitForSource(ctx); err != nil {
		b.Fatal(err)
	}
	return ctx, cls, src, n, r
}
