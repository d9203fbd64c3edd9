package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

// The host encodes a source's Init once and reuses the bytes for every new
// replica until something in them changes: a root property, a child's
// property, or the remoted set (which also changes the ObjectList). A
// replica initialised after any of those must see the new state, never a
// stale frame.
func TestInitCacheFollowsChanges(t *testing.T) {
	for _, d := range wire.Dialects {
		for _, dynamic := range []bool{false, true} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			h, cls, src := remoteTestObject(ctx, t, d)
			// acquire initialises a replica of name on a new node and
			// returns its root and child values at the moment it is Valid.
			acquire := func(name string) (root, child int64) {
				t.Helper()
				n := node.NewNode(node.Config{})
				defer n.Close()
				_ = n.ConnectToNode(h.URL())
				var r *node.Replica
				if dynamic {
					r, _ = n.AcquireDynamic(name)
				} else {
					r, _ = n.Acquire(name, node.StaticClass{Class: cls})
				}
				if err := r.WaitForSource(ctx); err != nil {
					t.Fatalf("%v dynamic=%v %s: %v", d, dynamic, name, err)
				}
				v, err := r.Property("intProp")
				if err != nil {
					t.Fatal(err)
				}
				ch := r.Child("child")
				if ch == nil {
					t.Fatalf("%v dynamic=%v %s: no child replica", d, dynamic, name)
				}
				cv, err := ch.Property("value")
				if err != nil {
					t.Fatal(err)
				}
				return v.Int(), cv.Int()
			}
			check := func(step, name string, wantRoot, wantChild int64) {
				t.Helper()
				for i := range 2 { // the second replica gets the cached frame
					if r, c := acquire(name); r != wantRoot || c != wantChild {
						t.Errorf("%v dynamic=%v %s, replica %d: intProp %d child value %d, want %d %d", d, dynamic, step, i, r, c, wantRoot, wantChild)
					}
				}
			}
			check("defaults", "TestObject", 42, 7)
			if err := src.SetProperty("intProp", 43); err != nil {
				t.Fatal(err)
			}
			check("root changed", "TestObject", 43, 7)
			if err := src.Child("child").SetProperty("value", 9); err != nil {
				t.Fatal(err)
			}
			check("child changed", "TestObject", 43, 9)
			// Re-remoted under another name: the cached frames carry the
			// old name, the cached greeting the old ObjectList.
			if err := h.DisableRemoting("TestObject"); err != nil {
				t.Fatal(err)
			}
			if err := h.EnableRemoting(src, "Renamed"); err != nil {
				t.Fatal(err)
			}
			check("renamed", "Renamed", 43, 9)
			h.Close()
			cancel()
		}
	}
}
