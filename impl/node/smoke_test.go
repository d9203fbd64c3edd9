package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

const simpleRep = `
#include <QtCore>

POD MyPOD(int x, QString s)

class Simple
{
    ENUM Mode { Off = 0, On = 1, Auto = 5 }
    PROP(int count = 0)
    PROP(QString label READONLY)
    PROP(Mode mode = Off)
    PROP(MyPOD pod)
    PROP(double ratio = 0.5 READWRITE)
    SIGNAL(fired(int code, const QString &why))
    SLOT(int add(int a, int b))
    SLOT(void ping())
};
`

func simpleClass(t testing.TB, d wire.Dialect) *meta.Class {
	t.Helper()
	c, err := meta.ParseRep("simple.rep", []byte(simpleRep), "Simple", d)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simpleRig is a Simple source on a host and a Valid dynamic replica of it
// on a node.
type simpleRig struct {
	h   *node.Host
	n   *node.Node
	src *node.Source
	r   *node.Replica
}

// remotedSimple hosts a Simple source (set up by setup, which may be nil)
// in dialect d on a fresh host, with a dynamic replica of it on a fresh
// node, Valid. Both are closed when the test ends, the node first.
func remotedSimple(t testing.TB, ctx context.Context, d wire.Dialect, setup func(*node.Source)) simpleRig {
	t.Helper()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	src := node.NewSource(simpleClass(t, d))
	if setup != nil {
		setup(src)
	}
	if err := h.EnableRemoting(src, "Simple"); err != nil {
		t.Fatal(err)
	}
	n := node.NewNode(node.Config{})
	t.Cleanup(func() { n.Close() })
	if err := n.ConnectToNode(h.URL()); err != nil {
		t.Fatal(err)
	}
	r, err := n.AcquireDynamic("Simple")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	return simpleRig{h, n, src, r}
}

func TestSmoke(t *testing.T) {
	for _, d := range wire.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			src := node.NewSource(simpleClass(t, d))
			_ = src.HandleMethod("add", func(_ context.Context, a []qds.Variant) (qds.Variant, error) {
				return qds.IntOf(int32(a[0].Int() + a[1].Int())), nil
			})
			if err := h.EnableRemoting(src, "Simple"); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			if err := n.ConnectToNode(h.URL()); err != nil {
				t.Fatal(err)
			}
			dyn, _ := n.AcquireDynamic("Simple")
			if err := dyn.WaitForSource(ctx); err != nil {
				t.Fatal(err)
			}
			got := make(chan node.Event, 16)
			dyn.Subscribe(func(ev node.Event) { got <- ev })
			if err := src.SetProperty("count", 42); err != nil {
				t.Fatal(err)
			}
			ev := next(t, got, node.SignalEmitted, node.PropertyChanged)
			for ev.Kind == node.PropertyChanged && ev.Value.Int() != 42 {
				ev = next(t, got, node.SignalEmitted, node.PropertyChanged) // Init notifications
			}
			if ev.Kind != node.PropertyChanged || ev.Name != "count" || ev.Value.Int() != 42 {
				t.Fatalf("event %+v", ev)
			}
			v, err := dyn.Call(ctx, "add", 2, 3)
			if err != nil || v.Int() != 5 {
				t.Fatalf("add: %v %v", v, err)
			}
			_ = src.Emit("fired", 7, "why")
			ev = next(t, got, node.PropertyChanged, node.SignalEmitted)
			if ev.Kind != node.SignalEmitted || ev.Name != "fired" || ev.Args[1].Str() != "why" {
				t.Fatalf("event %+v", ev)
			}
			if err := h.DisableRemoting("Simple"); err != nil {
				t.Fatal(err)
			}
			if err := dyn.WaitForState(ctx, node.Suspect); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// next returns the next event of one of the kinds, skipping others.
func next(t *testing.T, ch <-chan node.Event, kinds ...node.EventKind) node.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-ch:
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event", kinds)
		}
	}
}
