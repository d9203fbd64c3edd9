package node_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

func testObjectClass(t testing.TB, d wire.Dialect) *meta.Class {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "fixtures", "rep", "testobject.rep"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := meta.ParseRep("testobject.rep", src, "TestObject", d)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// remoteTestObject starts a host of dialect d on loopback TCP remoting a
// TestObject source; the caller closes the host.
func remoteTestObject(ctx context.Context, t *testing.T, d wire.Dialect) (*node.Host, *meta.Class, *node.Source) {
	t.Helper()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	cls := testObjectClass(t, d)
	src := node.NewSource(cls)
	if err := h.EnableRemoting(src, "TestObject"); err != nil {
		h.Close()
		t.Fatal(err)
	}
	return h, cls, src
}

// A CLASS member travels as a QRO_ descriptor; the child replica follows
// the child source under its dialect-specific name.
func TestChildObject(t *testing.T) {
	for _, d := range wire.Dialects {
		for _, dynamic := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			h, cls, src := remoteTestObject(ctx, t, d)
			n := node.NewNode(node.Config{})
			_ = n.ConnectToNode(h.URL())
			var r *node.Replica
			if dynamic {
				r, _ = n.AcquireDynamic("TestObject")
			} else {
				r, _ = n.Acquire("TestObject", node.StaticClass{Class: cls})
			}
			if err := r.WaitForSource(ctx); err != nil {
				t.Fatalf("%v dynamic=%v: %v", d, dynamic, err)
			}
			if r.IsDynamic() != dynamic {
				t.Errorf("%v: IsDynamic() = %v, want %v", d, r.IsDynamic(), dynamic)
			}
			child := r.Child("child")
			if child == nil {
				t.Fatalf("%v dynamic=%v: no child replica", d, dynamic)
			}
			wantName := map[wire.Dialect]string{wire.Qt5: "Class::child", wire.Qt6: "Class::TestObject::child"}[d]
			if child.Name() != wantName {
				t.Errorf("%v: child name %q, want %q", d, child.Name(), wantName)
			}
			if got, name, err := r.Resolve("child.value"); err != nil || got.Name() != wantName || name != "value" {
				t.Errorf("%v dynamic=%v: Resolve(child.value) = %v, %q, %v", d, dynamic, got, name, err)
			}
			if _, _, err := r.Resolve("nope.value"); !errors.Is(err, node.ErrNoSuchMember) {
				t.Errorf("%v dynamic=%v: Resolve(nope.value) err %v", d, dynamic, err)
			}
			if got, name, err := src.Resolve("child.value"); err != nil || got != src.Child("child") || name != "value" || got.ParentProperty() != "child" {
				t.Errorf("%v: Source.Resolve(child.value) = %v, %q, %v", d, got, name, err)
			}
			if v, err := child.Property("value"); err != nil || v.Int() != 7 {
				t.Errorf("%v dynamic=%v: child value %v %v", d, dynamic, v, err)
			}
			// The parent's subscription gets the child's changes, named.
			fromChild := make(chan node.Event, 16)
			stop := r.Subscribe(func(ev node.Event) {
				if ev.Child != "" && !ev.FromInit {
					fromChild <- ev
				}
			})
			if err := src.Child("child").SetProperty("value", 9); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-fromChild:
				if ev.Child != "child" || ev.Kind != node.PropertyChanged || ev.Name != "value" || ev.Value.Int() != 9 {
					t.Errorf("%v dynamic=%v: child event on the parent %+v", d, dynamic, ev)
				}
			case <-ctx.Done():
				t.Fatalf("%v dynamic=%v: the parent's subscription got no child event", d, dynamic)
			}
			stop()
			deadline := time.Now().Add(5 * time.Second)
			for {
				v, _ := child.Property("value")
				if v.Int() == 9 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%v dynamic=%v: child value stuck at %v", d, dynamic, v)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if _, err := child.Call(ctx, "pushValue", 11); err != nil {
				t.Fatal(err)
			}
			for deadline = time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if v, _ := src.Child("child").Property("value"); v.Int() == 11 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%v dynamic=%v: pushValue on the child did not reach the source", d, dynamic)
				}
			}
			n.Close()
			h.Close()
			cancel()
		}
	}
}

// TestWithSubscriber checks that a subscription made while acquiring a
// replica of a source the node already knows gets its first Init.
func TestWithSubscriber(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, _, _ := remoteTestObject(ctx, t, wire.Qt6)
	defer h.Close()
	n := node.NewNode(node.Config{})
	defer n.Close()
	_ = n.ConnectToNode(h.URL())
	first, _ := n.AcquireDynamic("TestObject")
	if err := first.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	first.Release() // the node knows the source now: the next Acquire binds at once
	got := make(chan node.Event, 64)
	r, err := n.AcquireDynamic("TestObject", node.WithSubscriber(func(ev node.Event) { got <- ev }))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	for {
		select {
		case ev := <-got:
			if ev.Kind == node.Initialized {
				return
			}
		case <-ctx.Done():
			t.Fatal("the subscription made by Acquire missed the Init")
		}
	}
}

// TestObserveChanged checks SourceEvent.Changed: a replica's write of a
// new value says so, a write of the value held does not.
func TestObserveChanged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, _, src := remoteTestObject(ctx, t, wire.Qt6)
	defer h.Close()
	got := make(chan node.SourceEvent, 8)
	defer src.Observe(func(ev node.SourceEvent) { got <- ev })()
	n := node.NewNode(node.Config{})
	defer n.Close()
	_ = n.ConnectToNode(h.URL())
	r, _ := n.AcquireDynamic("TestObject")
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		v       int
		changed bool
	}{{43, true}, {43, false}} {
		if err := r.SetProperty("intProp", want.v); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-got:
			if ev.Changed != want.changed || ev.Value.Int() != int64(want.v) {
				t.Errorf("write %d: Changed %v, value %v; want Changed %v", want.v, ev.Changed, ev.Value, want.changed)
			}
		case <-ctx.Done():
			t.Fatalf("write %d: no SourceEvent", want.v)
		}
	}
}
