package node_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

// A ReplyingHandler's reply goes out where the handler sends it: after
// the signals emitted before, so a replica's subscribers have them when
// the caller gets the reply; a handler's error is an invalid reply.
func TestHandleMethodReplying(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var fail atomic.Bool
	rig := remotedSimple(t, ctx, wire.Qt6, func(src *node.Source) {
		err := src.HandleMethodReplying("add", func(_ context.Context, args []node.Variant, reply func(node.Variant)) error {
			if fail.Load() {
				return errors.New("refused")
			}
			sum := args[0].Int() + args[1].Int()
			if err := src.Emit("fired", int(sum), "before"); err != nil {
				return err
			}
			reply(mustValue(t, int32(sum)))
			reply(mustValue(t, int32(-1))) // ignored
			return src.Emit("fired", int(sum), "after")
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	var mu sync.Mutex
	var whys []string
	rig.r.Subscribe(func(ev node.Event) {
		if ev.Kind == node.SignalEmitted && ev.Name == "fired" {
			mu.Lock()
			whys = append(whys, ev.Args[1].Str())
			mu.Unlock()
		}
	})
	v, err := rig.r.Call(ctx, "add", 2, 40)
	if err != nil {
		t.Fatal(err)
	}
	if v.Int() != 42 {
		t.Fatalf("add(2, 40) = %v", v)
	}
	mu.Lock()
	got := append([]string(nil), whys...)
	mu.Unlock()
	if len(got) == 0 || got[0] != "before" {
		t.Fatalf("signals seen when the reply came: %v, want the one emitted before it", got)
	}
	fail.Store(true)
	if v, err := rig.r.Call(ctx, "add", 1, 1); err != nil || v.IsValid() {
		t.Fatalf("a failed handler's reply: %v, %v; want an invalid Variant", v, err)
	}
}

func mustValue(t *testing.T, x any) node.Variant {
	v, err := node.ValueOf(x)
	if err != nil {
		t.Error(err)
	}
	return v
}
