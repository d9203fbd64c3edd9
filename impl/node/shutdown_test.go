package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/node"
)

// TestNodeShutdown checks that Shutdown writes what the node queued before
// closing, ends every goroutine of the node, and makes the node unusable.
func TestNodeShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	src := node.NewSource(simpleClass(t, node.Qt6))
	if err := h.EnableRemoting(src, "Simple"); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		n := node.NewNode(node.Config{})
		if err := n.ConnectToNode(h.URL()); err != nil {
			t.Fatal(err)
		}
		r, _ := n.AcquireDynamic("Simple")
		if err := r.WaitForSource(ctx); err != nil {
			t.Fatal(err)
		}
		// Never ratio's default (0.5): a round whose value the source held
		// already would pass before its write arrived, and that write,
		// read late on its own connection, would undo the next round's.
		want := float64(round) + 1.5
		if err := r.SetProperty("ratio", want); err != nil {
			t.Fatal(err)
		}
		if err := n.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		// The write was flushed before the connection closed.
		for v, _ := src.Property("ratio"); v.Float() != want; v, _ = src.Property("ratio") {
			if ctx.Err() != nil {
				t.Fatalf("round %d: the source has ratio %v, want %v", round, v, want)
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := n.AcquireDynamic("Other"); !errors.Is(err, node.ErrClosed) {
			t.Fatalf("acquire after Shutdown: %v", err)
		}
		if err := n.Shutdown(ctx); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}
		n.Close() // after Shutdown: a no-op
	}
}

// TestNodeShutdownDeadline checks that a Shutdown whose context has ended
// still closes everything and reports the context's error.
func TestNodeShutdownDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := node.NewNode(node.Config{RetryInterval: time.Millisecond})
	// Nobody listens: the node keeps retrying until it is shut down.
	if err := n.ConnectToNode("tcp://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v", err)
	}
}
