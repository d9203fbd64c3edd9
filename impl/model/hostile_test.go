package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// rawReplica acquires the adapter of a Go host as a plain static replica,
// to send it requests no well-behaved replica sends.
func rawReplica(t *testing.T, d node.Dialect, rows int) (*TableModel, *node.Replica) {
	t.Helper()
	m, _, r := rawReplicaOf(t, d, rows)
	return m, r
}

// rawReplicaOf is rawReplica that also returns the remoted model.
func rawReplicaOf(t *testing.T, d node.Dialect, rows int) (*TableModel, *Remoted, *node.Replica) {
	t.Helper()
	ctx, h := startHost(t, d, 10*time.Second)
	m := NewTableModel(2, nil)
	for i := range rows {
		if err := m.AppendRows([]Cell{{DisplayRole: fmt.Sprintf("r%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := Remote(h, m, "Model", []int{DisplayRole})
	if err != nil {
		t.Fatal(err)
	}
	n := node.NewNode(node.Config{})
	t.Cleanup(func() { n.Close() })
	r, err := n.Acquire("Model", adapterProvider{adapterClass()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.ConnectToNode(h.URL()); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	return m, rm, r
}

func call(t *testing.T, r *node.Replica, method int, args ...node.Variant) node.Variant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pc, err := r.InvokeIndex(method, args, true)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pc.Wait(ctx)
	if err != nil {
		t.Fatalf("method %d: %v", method, err)
	}
	return v
}

func entries(t *testing.T, v node.Variant) []wire.IndexValuePair {
	t.Helper()
	de, ok := v.Value().(wire.DataEntries)
	if !ok {
		t.Fatalf("reply %v is not DataEntries", v)
	}
	return de.Data
}

// Requests Qt's adapter would crash on (qFatal on a path to no item,
// Q_ASSERT on mismatched lists) or answer without bound get a bounded,
// empty or clamped answer from the Go host, and the host goes on serving.
func TestHostileRequests(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			m, r := rawReplica(t, d, 10)
			roles := intList([]int{DisplayRole})
			cases := []struct {
				name       string
				start, end node.Variant
				want       int
			}{
				{"rows past the end are clamped", indexList(Item(8, 0)), indexList(Item(1_000_000, 1)), 4},
				{"negative rows are clamped", indexList(Item(-5, 0)), indexList(Item(1, 0)), 2},
				{"a start after the end", indexList(Item(5, 0)), indexList(Item(2, 1)), 0},
				{"a start past the end", indexList(Item(50, 0)), indexList(Item(60, 1)), 0},
				{"a parent that does not exist", indexList(Path{{99, 0}, {0, 0}}), indexList(Path{{99, 0}, {3, 0}}), 0},
				{"lists of different lengths", indexList(Item(0, 0)), indexList(Path{{0, 0}, {1, 0}}), 0},
				{"empty lists", indexList(nil), indexList(nil), 0},
				{"not index lists", qds.IntOf(3), qds.StringOf("x"), 0},
			}
			for _, c := range cases {
				got := entries(t, call(t, r, methRowRequest, c.start, c.end, roles))
				if len(got) != c.want {
					t.Errorf("%s: %d items, want %d", c.name, len(got), c.want)
				}
			}
			// A huge range is answered with at most MaxItemsPerRequest items.
			if err := m.AppendRows(make([][]Cell, MaxItemsPerRequest)...); err != nil {
				t.Fatal(err)
			}
			got := entries(t, call(t, r, methRowRequest, indexList(Item(0, 0)), indexList(Item(1<<30, 1<<30)), roles))
			if len(got) != MaxItemsPerRequest {
				t.Errorf("huge range: %d items, want %d", len(got), MaxItemsPerRequest)
			}
			size := call(t, r, methSizeRequest, indexList(Path{{-1, -1}}))
			if s, _ := size.Value().(qds.Size); s != (qds.Size{}) {
				t.Errorf("size of a parent that does not exist: %v", s)
			}
			md, _ := call(t, r, methCacheRequest, qds.IntegerOf(qds.ULong, 1<<62), roles).Value().(wire.MetaAndDataEntries)
			if len(md.Data) != MaxItemsPerRequest || md.Size.H != int32(m.RowCount(nil)) {
				t.Errorf("huge cache request: %d items, size %v", len(md.Data), md.Size)
			}
			hd, _ := call(t, r, methHeaderRequest, qds.UserOf(typeOrientList, []node.Variant{qds.UserOf(typeOrientation, int64(Horizontal))}),
				intList([]int{0, 1, 2}), intList([]int{DisplayRole})).Value().([]node.Variant)
			if len(hd) != 1 {
				t.Errorf("header request with lists of different lengths: %d values", len(hd))
			}
			// replicaSetData on an item that does not exist changes nothing.
			if _, err := r.InvokeIndex(methSetData, []node.Variant{indexList(Item(-1, 7)), qds.StringOf("x"), qds.IntOf(0)}, false); err != nil {
				t.Fatal(err)
			}
			// The host still answers.
			s, _ := call(t, r, methSizeRequest, indexList(nil)).Value().(qds.Size)
			if s.H != int32(10+MaxItemsPerRequest) || s.W != 2 {
				t.Errorf("size after the hostile requests: %v", s)
			}
		})
	}
}

// A replica re-initialises when its source comes back, as Qt's does:
// a new host at the same address with other rows.
func TestReplicaReinitAfterHostRestart(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			h1, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			url := h1.URL()
			m1 := NewTableModel(1, nil)
			_ = m1.AppendRows(rows(3, 0)...)
			if _, err := Remote(h1, m1, "Model", []int{DisplayRole}); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{RetryInterval: 20 * time.Millisecond})
			defer n.Close()
			rep, err := Acquire(n, "Model")
			if err != nil {
				t.Fatal(err)
			}
			defer rep.Release()
			log := &changeLog{}
			rep.Observe(log.add)
			if err := n.ConnectToNode(url); err != nil {
				t.Fatal(err)
			}
			if err := rep.Fetch(ctx, 0, 2); err != nil {
				t.Fatal(err)
			}
			h1.Close()
			h2, err := node.NewHost(ctx, url, node.Config{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			defer h2.Close()
			m2 := NewTableModel(1, nil)
			_ = m2.AppendRows(rows(7, 40)...)
			if _, err := Remote(h2, m2, "Model", []int{DisplayRole}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "7 rows from the new host", func() bool { return rep.RowCount() == 7 })
			if err := rep.Fetch(ctx, 0, 6); err != nil {
				t.Fatal(err)
			}
			if got := data(t, rep, 6, 0, DisplayRole); got != "r46" {
				t.Fatalf("row 6 after the restart = %v", got)
			}
			log.mu.Lock()
			resets := 0
			for _, c := range log.l {
				if c.Kind == ModelReset {
					resets++
				}
			}
			log.mu.Unlock()
			if resets != 2 {
				t.Fatalf("%d ModelReset changes, want 2 (first init, re-init)", resets)
			}
		})
	}
}

// Moves reach a Go replica, which reads the rows again.
func TestGoReplicaMove(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			m, rep, log := setup(t, d)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := rep.Fetch(ctx, 0, 4); err != nil {
				t.Fatal(err)
			}
			if err := m.MoveRows(0, 2, 5); err != nil { // r0 r1 to the end
				t.Fatal(err)
			}
			if err := m.MoveRows(4, 1, 0); err != nil { // r1 to the top
				t.Fatal(err)
			}
			eventually(t, "RowsMoved", func() bool { return log.has(RowsMoved, 4, 4) && log.has(RowsMoved, 0, 1) })
			if err := rep.Fetch(ctx, 0, 4); err != nil {
				t.Fatal(err)
			}
			for i, w := range []string{"r1", "r2", "r3", "r4", "r0"} {
				if got := data(t, rep, i, 0, DisplayRole); got != w {
					t.Fatalf("row %d = %v, want %s", i, got, w)
				}
			}
			if err := m.MoveRows(1, 2, 2); err == nil {
				t.Fatal("a move into itself succeeded")
			}
		})
	}
}

// A Go replica of a lying host neither panics nor spins: a huge size,
// replies of the wrong type or naming rows it did not ask for, signals
// naming rows it does not have.
func TestReplicaOfHostileHost(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			ctx, h := startHost(t, d, 10*time.Second)
			src := node.NewSource(adapterClass())
			const huge = 1<<31 - 1
			_ = src.HandleMethod("replicaCacheRequest", func(context.Context, []node.Variant) (node.Variant, error) {
				return qds.UserOf(typeMetaAndData, wire.MetaAndDataEntries{Size: qds.Size{W: 3, H: huge}}), nil
			})
			_ = src.HandleMethod("replicaRowRequest", func(_ context.Context, args []node.Variant) (node.Variant, error) {
				return qds.UserOf(typeDataEntries, wire.DataEntries{Data: []wire.IndexValuePair{
					{Index: []wire.ModelIndex{{Row: -1, Column: 0}}, Data: []node.Variant{qds.StringOf("x")}},
					{Index: []wire.ModelIndex{{Row: 5, Column: 99}}, Data: []node.Variant{qds.StringOf("x")}},
					{Index: []wire.ModelIndex{{Row: 5, Column: 1}, {Row: 0, Column: 0}}},
					{Index: nil},
					{Index: []wire.ModelIndex{{Row: 5, Column: 0}}, Data: make([]node.Variant, 50)},
				}}), nil
			})
			_ = src.HandleMethod("replicaHeaderRequest", func(context.Context, []node.Variant) (node.Variant, error) {
				return qds.StringOf("not a list"), nil
			})
			if err := h.EnableRemoting(src, "Model"); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			rep, err := Acquire(n, "Model", WithCacheSize(10))
			if err != nil {
				t.Fatal(err)
			}
			defer rep.Release()
			log := &changeLog{}
			rep.Observe(log.add)
			if err := n.ConnectToNode(h.URL()); err != nil {
				t.Fatal(err)
			}
			if err := rep.WaitForInit(ctx); err != nil {
				t.Fatal(err)
			}
			if rep.RowCount() != huge {
				t.Fatalf("%d rows", rep.RowCount())
			}
			for row := range 5 {
				rep.Data(row*1000, 0, DisplayRole)
			}
			rep.Data(5, 0, DisplayRole)
			eventually(t, "row 5", func() bool { _, ok := rep.Flags(5, 0); return ok })
			signals := [][]any{
				{sigDataChanged, indexList(Item(0, 0)), indexList(Item(huge, 2)), intList(nil)},
				{sigDataChanged, indexList(Item(-3, 0)), indexList(Path{{-1, 0}, {2, 2}}), intList(nil)},
				{sigRowsRemoved, indexList(nil), 0, huge},
				{sigRowsInserted, indexList(nil), -5, 3},
				{sigRowsInserted, indexList(Path{{7, 7}}), 0, 3},
				{sigRowsMoved, indexList(nil), huge, 3, indexList(nil), -1},
				{sigColumnsInserted, indexList(nil), 0, 1 << 20},
				{sigCurrentChanged, indexList(Item(huge, huge)), indexList(nil)},
				{sigHeaderDataChanged, qds.UserOf(typeOrientation, int64(77)), -1, huge},
				{sigLayoutChanged, indexList(nil), qds.UserOf(typeLayoutHint, int64(9))},
			}
			for _, sg := range signals {
				if err := src.EmitIndex(sg[0].(int), sg[1:]...); err != nil {
					t.Fatalf("emit %v: %v", sg[0], err)
				}
			}
			if _, err := rep.HeaderData(ctx, 0, Horizontal, DisplayRole); err == nil {
				t.Fatal("a header reply that is not a list was taken")
			}
			// Still answering: the replica started over (rows it does not
			// have, then a layout change; the first restart's size reply is
			// overtaken by the second) and got the size again, columns too.
			eventually(t, "the replica after the signals", func() bool {
				log.mu.Lock()
				defer log.mu.Unlock()
				resets := 0
				for _, c := range log.l {
					if c.Kind == ModelReset {
						resets++
					}
				}
				return resets >= 2 && rep.RowCount() == huge && rep.ColumnCount() == 3
			})
		})
	}
}

// Requests the host cannot answer as asked are reported to OnError (and
// counted), each as ErrBadRequest naming the method; well-formed ones,
// rows past the end included (a replica racing a removal asks for them),
// are not.
func TestBadRequestsReported(t *testing.T) {
	_, rm, r := rawReplicaOf(t, node.Qt6, 10)
	var got []error
	var mu sync.Mutex
	cancel := rm.OnError(func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	})
	defer cancel()
	roles := intList([]int{DisplayRole})
	call(t, r, methRowRequest, indexList(Item(0, 0)), indexList(Item(3, 1)), roles)
	call(t, r, methRowRequest, indexList(Item(8, 0)), indexList(Item(1_000_000, 1)), roles)
	call(t, r, methSizeRequest, indexList(nil))
	if n := rm.BadRequests(); n != 0 {
		t.Fatalf("well-formed requests reported: %d (%v)", n, got)
	}
	bad := []struct {
		method int
		args   []node.Variant
		name   string
	}{
		{methRowRequest, []node.Variant{indexList(Path{{99, 0}, {0, 0}}), indexList(Path{{99, 0}, {3, 0}}), roles}, "replicaRowRequest"},
		{methRowRequest, []node.Variant{indexList(Item(0, 0)), indexList(Path{{0, 0}, {1, 0}}), roles}, "replicaRowRequest"},
		{methSizeRequest, []node.Variant{indexList(Item(99, 0))}, "replicaSizeRequest"},
		{methHeaderRequest, []node.Variant{intList([]int{1})}, "replicaHeaderRequest"},
		{methCacheRequest, []node.Variant{qds.IntOf(1 << 30), roles}, "replicaCacheRequest"},
	}
	for _, b := range bad {
		call(t, r, b.method, b.args...)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(bad) || rm.BadRequests() != uint64(len(bad)) {
		t.Fatalf("reported %d (counted %d), want %d: %v", len(got), rm.BadRequests(), len(bad), got)
	}
	for i, err := range got {
		if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), bad[i].name) {
			t.Errorf("report %d: %v, want ErrBadRequest naming %s", i, err, bad[i].name)
		}
	}
}
