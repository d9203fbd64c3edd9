package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// TestConsistentArguments checks that by-index calls take Go values like
// their by-name forms, and that a void call gives a completed PendingCall.
func TestConsistentArguments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pinged := make(chan struct{}, 1)
	rig := remotedSimple(t, ctx, node.Qt6, func(src *node.Source) {
		_ = src.HandleMethod("ping", func(context.Context, []node.Variant) (node.Variant, error) {
			pinged <- struct{}{}
			return node.Variant{}, nil
		})
	})
	src, r := rig.src, rig.r
	got := make(chan node.Event, 16)
	r.Subscribe(func(ev node.Event) {
		if ev.Kind == node.SignalEmitted {
			got <- ev
		}
	})

	fired := src.Class().SignalIndex("fired")
	if err := src.EmitIndex(fired, 7, "why"); err != nil { // Go values, as Emit takes
		t.Fatal(err)
	}
	if err := src.EmitIndex(fired, "not an int", "why"); err == nil {
		t.Error("EmitIndex converted a string to int")
	}
	if err := src.EmitIndex(fired, 7); err == nil {
		t.Error("EmitIndex accepted a missing argument")
	}
	select {
	case ev := <-got:
		if ev.Args[0].Int() != 7 || ev.Args[1].Str() != "why" {
			t.Errorf("signal args %v", ev.Args)
		}
	case <-ctx.Done():
		t.Fatal("no signal")
	}

	pc, err := r.Invoke("ping")
	if err != nil || pc == nil {
		t.Fatalf("Invoke of a void slot: %v, %v", pc, err)
	}
	if v, err := pc.Wait(ctx); err != nil || v.IsValid() {
		t.Errorf("Wait of a void call: %v, %v", v, err)
	}
	pc.Cancel() // harmless
	select {
	case <-pinged:
	case <-ctx.Done():
		t.Fatal("the void slot did not run")
	}
}
