package node_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

func waitFor(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBlockedCallbackStallsNothing checks that a subscription whose
// callback never returns delays neither the other subscriptions of its
// replica, nor other replicas, nor the connection (heartbeats keep being
// answered), and that its overflow is counted and reported.
func TestBlockedCallbackStallsNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cls := simpleClass(t, node.Qt6)
	one, two := node.NewSource(cls), node.NewSource(cls)
	for name, s := range map[string]*node.Source{"One": one, "Two": two} {
		if err := h.EnableRemoting(s, name); err != nil {
			t.Fatal(err)
		}
	}
	_ = two.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
		return node.ValueOf(a[0].Int() + a[1].Int())
	})
	// Longer than the node lets a callback hold the reader (100 ms), so
	// that only a reader stalled for good would miss a Pong.
	const hb = 300 * time.Millisecond
	n := node.NewNode(node.Config{HeartbeatInterval: hb, MaxQueuedEvents: 16})
	defer n.Close()
	var overflows, slow atomic.Int32
	n.OnError(func(err error) {
		var oe *node.OverflowError
		if errors.As(err, &oe) && errors.Is(err, node.ErrSlowSubscriber) && oe.Name == "One" && oe.Limit == 16 {
			overflows.Add(1)
		}
		var se *node.SlowCallbackError
		if errors.As(err, &se) && errors.Is(err, node.ErrSlowSubscriber) && se.Replica == "One" {
			slow.Add(1)
		}
	})
	if err := n.ConnectToNode(h.URL()); err != nil {
		t.Fatal(err)
	}
	r1, _ := n.AcquireDynamic("One")
	r2, _ := n.AcquireDynamic("Two")
	for _, r := range []*node.Replica{r1, r2} {
		if err := r.WaitForSource(ctx); err != nil {
			t.Fatal(err)
		}
	}

	release := make(chan struct{})
	var blocked atomic.Int32
	stopBlocked := r1.Subscribe(func(node.Event) {
		blocked.Add(1)
		<-release // never returns while the test runs
	})
	defer func() { close(release); stopBlocked() }()
	var seen1, seen2 atomic.Int64
	r1.Subscribe(func(ev node.Event) {
		if ev.Kind == node.PropertyChanged && ev.Name == "count" {
			seen1.Store(ev.Value.Int())
		}
	})
	r2.Subscribe(func(ev node.Event) {
		if ev.Kind == node.PropertyChanged && ev.Name == "count" {
			seen2.Store(ev.Value.Int())
		}
	})

	// In steps of 8, so that the queues of the callbacks that keep up
	// never reach the bound; the blocked one's fills.
	const changes = 200
	for i := 1; i <= changes; i++ {
		if err := one.SetProperty("count", i); err != nil {
			t.Fatal(err)
		}
		if err := two.SetProperty("count", i); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			want := int64(i)
			waitFor(t, ctx, "the other subscription of the blocked replica", func() bool { return seen1.Load() == want })
			waitFor(t, ctx, "the other replica's subscription", func() bool { return seen2.Load() == want })
		}
	}
	waitFor(t, ctx, "the overflow report", func() bool { return overflows.Load() == 1 })
	if blocked.Load() != 1 {
		t.Errorf("the blocked callback ran %d times", blocked.Load())
	}
	// At most 16 are held: the rest were dropped.
	if d := n.Stats().DroppedEvents; d < changes-17-8 || d > changes-16 {
		t.Errorf("DroppedEvents = %d, want about %d", d, changes-16)
	}
	waitFor(t, ctx, "the slow callback report", func() bool { return slow.Load() == 1 })
	if s := n.Stats().SlowCallbacks; s != 1 {
		t.Errorf("SlowCallbacks = %d, want 1", s)
	}
	// The connection is read: calls on the other replica complete, and
	// heartbeats are answered for many intervals (a stalled read would
	// drop the connection and make the replicas Suspect).
	v, err := r2.Call(ctx, "add", 2, 3)
	if err != nil || v.Int() != 5 {
		t.Fatalf("add: %v %v", v, err)
	}
	time.Sleep(3 * hb)
	if r1.State() != node.Valid || r2.State() != node.Valid || r1.Inits() != 1 || r2.Inits() != 1 {
		t.Errorf("states %s %s, inits %d %d after %v of heartbeats: the connection dropped", r1.State(), r2.State(), r1.Inits(), r2.Inits(), 3*hb)
	}
}

// TestReplyAfterEvents checks the order Qt gives: when a call's reply
// arrives, the events that preceded it on the wire have been delivered to
// the replica's subscriptions, however slow.
func TestReplyAfterEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rig := remotedSimple(t, ctx, node.Qt6, func(src *node.Source) {
		_ = src.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
			sum := a[0].Int() + a[1].Int()
			if err := src.SetProperty("count", sum); err != nil {
				return node.Variant{}, err
			}
			return node.ValueOf(sum)
		})
	})
	r := rig.r
	var mu sync.Mutex
	var last int64
	r.Subscribe(func(ev node.Event) {
		if ev.Kind == node.PropertyChanged && ev.Name == "count" {
			time.Sleep(2 * time.Millisecond) // a slow subscriber
			mu.Lock()
			last = ev.Value.Int()
			mu.Unlock()
		}
	})
	for i := 1; i <= 20; i++ {
		v, err := r.Call(ctx, "add", i, 1000)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		got := last
		mu.Unlock()
		if got != v.Int() {
			t.Fatalf("call %d replied %d while the subscriber has seen count=%d", i, v.Int(), got)
		}
	}
}
