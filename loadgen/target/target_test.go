package target

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEachNode(t *testing.T) {
	spec := ClientSpec{Nodes: []int{4, 5, 6}}
	var got []int
	if err := EachNode(context.Background(), spec, func(i int) error { got = append(got, i); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("opened %v, want 0 1 2", got)
	}
	if err := EachNode(context.Background(), ClientSpec{}, func(int) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatalf("no nodes: %v", err)
	}
	bad := errors.New("bad")
	n := 0
	if err := EachNode(context.Background(), spec, func(int) error { n++; return bad }); err != bad || n != 1 {
		t.Fatalf("err %v after %d calls, want bad after 1", err, n)
	}
}

func TestEachNodeRate(t *testing.T) {
	spec := ClientSpec{Nodes: make([]int, 3), ConnectRate: 50} // 20 ms apart
	begin := time.Now()
	if err := EachNode(context.Background(), spec, func(int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d < 40*time.Millisecond {
		t.Fatalf("3 nodes at 50/s took %v, want >= 40ms", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	spec.ConnectRate = 1 // a second apart: the context ends first
	n := 0
	if err := EachNode(ctx, spec, func(int) error { n++; return nil }); !errors.Is(err, context.DeadlineExceeded) || n != 1 {
		t.Fatalf("err %v after %d nodes, want the deadline after 1", err, n)
	}
}
