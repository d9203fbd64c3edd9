package node_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// TestEveryRegistrationCancels checks the one shape of every callback
// registration: it returns a function that stops the callbacks.
func TestEveryRegistrationCancels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rig := remotedSimple(t, ctx, node.Qt6, nil)
	h, n, src, r := rig.h, rig.n, rig.src, rig.r

	var obs, evs, nerrs, herrs atomic.Int32
	stopObs := src.Observe(func(node.SourceEvent) { obs.Add(1) })
	stopEvs := r.Subscribe(func(node.Event) { evs.Add(1) })
	stopNErr := n.OnError(func(error) { nerrs.Add(1) })
	stopHErr := h.OnError(func(error) { herrs.Add(1) })

	// One of each, while subscribed.
	if err := r.SetProperty("ratio", 0.75); err != nil {
		t.Fatal(err)
	}
	_ = n.ConnectToNode("bogus://x")
	_ = h.DisableRemoting("nothing")
	for obs.Load() == 0 || evs.Load() == 0 || nerrs.Load() == 0 || herrs.Load() == 0 {
		if ctx.Err() != nil {
			t.Fatalf("observe %d, events %d, node errors %d, host errors %d", obs.Load(), evs.Load(), nerrs.Load(), herrs.Load())
		}
		time.Sleep(time.Millisecond)
	}

	for _, stop := range []func(){stopObs, stopEvs, stopNErr, stopHErr} {
		stop()
		stop() // a second call does nothing
	}
	o, e, ne, he := obs.Load(), evs.Load(), nerrs.Load(), herrs.Load()
	if err := r.SetProperty("ratio", 0.25); err != nil {
		t.Fatal(err)
	}
	_ = n.ConnectToNode("bogus://x")
	_ = h.DisableRemoting("nothing")
	// The write's round trip: once the replica has the value, its events
	// would have been delivered.
	for v, _ := r.Property("ratio"); v.Float() != 0.25; v, _ = r.Property("ratio") {
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if obs.Load() != o || evs.Load() != e || nerrs.Load() != ne || herrs.Load() != he {
		t.Errorf("callbacks after cancel: observe %d->%d, events %d->%d, node errors %d->%d, host errors %d->%d",
			o, obs.Load(), e, evs.Load(), ne, nerrs.Load(), he, herrs.Load())
	}
}
