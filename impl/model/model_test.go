package model

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// changeLog collects a replica's changes.
type changeLog struct {
	mu sync.Mutex
	l  []Change
}

func (c *changeLog) add(ch Change) {
	c.mu.Lock()
	c.l = append(c.l, ch)
	c.mu.Unlock()
}

func (c *changeLog) has(kind ChangeKind, first, last int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.l {
		if ch.Kind == kind && (kind == ModelReset || kind == LayoutChanged || (ch.First == first && ch.Last == last) ||
			(kind == DataChanged && len(ch.TopLeft) == 1 && ch.TopLeft[0].Row <= first && ch.BottomRight[0].Row >= last)) {
			return true
		}
	}
	return false
}

func rows(n, from int) [][]Cell {
	out := make([][]Cell, n)
	for i := range out {
		r := from + i
		out[i] = []Cell{{DisplayRole: fmt.Sprintf("r%d", r), UserRole: r}, {DisplayRole: fmt.Sprintf("r%d c1", r)}}
	}
	return out
}

// startHost starts a Go host in dialect d on a free port, closed (and
// the returned context, bounded by timeout, cancelled) when the test ends.
func startHost(t *testing.T, d node.Dialect, timeout time.Duration) (context.Context, *node.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return ctx, h
}

func setup(t *testing.T, d node.Dialect, opts ...Option) (*TableModel, *Replica, *changeLog) {
	t.Helper()
	ctx, h := startHost(t, d, 10*time.Second)
	m := NewTableModel(2, map[int]string{DisplayRole: "display", UserRole: "value"})
	if err := m.AppendRows(rows(5, 0)...); err != nil {
		t.Fatal(err)
	}
	if _, err := Remote(h, m, "Model", []int{DisplayRole, UserRole}); err != nil {
		t.Fatal(err)
	}
	n := node.NewNode(node.Config{RetryInterval: 50 * time.Millisecond})
	t.Cleanup(func() { n.Close() })
	rep, err := Acquire(n, "Model", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rep.Release)
	log := &changeLog{}
	rep.Observe(log.add)
	if err := n.ConnectToNode(h.URL()); err != nil {
		t.Fatal(err)
	}
	if err := rep.WaitForInit(ctx); err != nil {
		t.Fatal(err)
	}
	return m, rep, log
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func data(t *testing.T, r *Replica, row, col, role int) any {
	t.Helper()
	v, ok := r.Data(row, col, role)
	if !ok {
		t.Fatalf("row %d not cached", row)
	}
	return v.Any()
}

func TestGoHostGoReplica(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		for _, action := range []InitialAction{FetchRootSize, PrefetchData} {
			t.Run(fmt.Sprintf("%s/action%d", d, action), func(t *testing.T) {
				m, rep, log := setup(t, d, WithInitialAction(action))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if rep.RowCount() != 5 || rep.ColumnCount() != 2 {
					t.Fatalf("size %dx%d, want 5x2", rep.RowCount(), rep.ColumnCount())
				}
				if got := rep.RoleNames(); got[UserRole] != "value" || got[DisplayRole] != "display" {
					t.Fatalf("role names %v", got)
				}
				if got := rep.AvailableRoles(); len(got) != 2 || got[0] != DisplayRole || got[1] != UserRole {
					t.Fatalf("available roles %v", got)
				}
				if err := rep.Fetch(ctx, 0, 4); err != nil {
					t.Fatal(err)
				}
				for r := range 5 {
					if got := data(t, rep, r, 0, DisplayRole); got != fmt.Sprintf("r%d", r) {
						t.Fatalf("row %d display %v", r, got)
					}
					if got := data(t, rep, r, 0, UserRole); fmt.Sprint(got) != fmt.Sprint(r) {
						t.Fatalf("row %d user %v", r, got)
					}
					if got := data(t, rep, r, 1, DisplayRole); got != fmt.Sprintf("r%d c1", r) {
						t.Fatalf("row %d col 1 %v", r, got)
					}
				}
				if f, ok := rep.Flags(2, 1); !ok || f != DefaultFlags {
					t.Fatalf("flags %v %v", f, ok)
				}

				// dataChanged: a cached row is fetched again.
				if err := m.Set(2, 0, DisplayRole, "changed"); err != nil {
					t.Fatal(err)
				}
				eventually(t, "changed data", func() bool {
					v, ok := rep.Data(2, 0, DisplayRole)
					return ok && v.Str() == "changed"
				})
				// A role that is not available is not sent (Qt's filterRoles).
				if err := m.Set(2, 0, EditRole, "x"); err != nil {
					t.Fatal(err)
				}

				// Inserts at the top, middle and end.
				if err := m.InsertRows(0, rows(1, 100)...); err != nil {
					t.Fatal(err)
				}
				if err := m.InsertRows(3, rows(2, 200)...); err != nil {
					t.Fatal(err)
				}
				if err := m.AppendRows(rows(1, 300)...); err != nil {
					t.Fatal(err)
				}
				eventually(t, "9 rows", func() bool { return rep.RowCount() == 9 })
				for _, c := range [][2]int{{0, 0}, {3, 4}, {8, 8}} {
					if !log.has(RowsInserted, c[0], c[1]) {
						t.Fatalf("no RowsInserted %v in %+v", c, log.l)
					}
				}
				if err := rep.Fetch(ctx, 0, 8); err != nil {
					t.Fatal(err)
				}
				want := []string{"r100", "r0", "r1", "r200", "r201", "r2", "r3", "r4", "r300"}
				want[5] = "changed"
				for r, w := range want {
					if got := data(t, rep, r, 0, DisplayRole); got != w {
						t.Fatalf("after inserts row %d = %v, want %s", r, got, w)
					}
				}

				// Removes.
				if err := m.RemoveRows(3, 2); err != nil {
					t.Fatal(err)
				}
				if err := m.RemoveRows(0, 1); err != nil {
					t.Fatal(err)
				}
				eventually(t, "6 rows", func() bool { return rep.RowCount() == 6 })
				if !log.has(RowsRemoved, 3, 4) || !log.has(RowsRemoved, 0, 0) {
					t.Fatalf("no RowsRemoved in %+v", log.l)
				}
				if got := data(t, rep, 0, 0, DisplayRole); got != "r0" {
					t.Fatalf("after removes row 0 = %v", got)
				}

				// Reset.
				if err := m.Reset(rows(3, 500)...); err != nil {
					t.Fatal(err)
				}
				eventually(t, "3 rows after reset", func() bool { return rep.RowCount() == 3 })
				if err := rep.Fetch(ctx, 0, 2); err != nil {
					t.Fatal(err)
				}
				if got := data(t, rep, 2, 0, DisplayRole); got != "r502" {
					t.Fatalf("after reset row 2 = %v", got)
				}

				// Header data and replicaSetData.
				if err := m.SetHeaderData(1, Horizontal, DisplayRole, "Second"); err != nil {
					t.Fatal(err)
				}
				hv, err := rep.HeaderData(ctx, 1, Horizontal, DisplayRole)
				if err != nil || hv.Str() != "Second" {
					t.Fatalf("header %v %v", hv, err)
				}
				eventually(t, "HeaderDataChanged", func() bool { return log.has(HeaderDataChanged, 1, 1) })
				if err := rep.SetData(1, 1, "from replica", DisplayRole); err != nil {
					t.Fatal(err)
				}
				eventually(t, "replicaSetData", func() bool { return m.Data(Item(1, 1), DisplayRole).Str() == "from replica" })
				eventually(t, "set data seen by replica", func() bool {
					v, ok := rep.Data(1, 1, DisplayRole)
					return ok && v.Str() == "from replica"
				})
			})
		}
	}
}

// The current index goes both ways between a Go host and a Go replica.
func TestCurrentIndex(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			ctx, h := startHost(t, d, 10*time.Second)
			m := NewTableModel(2, nil)
			_ = m.AppendRows(rows(5, 0)...)
			rm, err := Remote(h, m, "Model", []int{DisplayRole})
			if err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			rep, err := Acquire(n, "Model")
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
			rm.SetCurrentIndex(Item(1, 1))
			eventually(t, "current 1,1 at the replica", func() bool { return slices.Equal(rep.CurrentIndex(), Item(1, 1)) })
			if err := rep.SetCurrentIndex(3, 0); err != nil {
				t.Fatal(err)
			}
			eventually(t, "current 3,0 at the host", func() bool { return slices.Equal(rm.CurrentIndex(), Item(3, 0)) })
			eventually(t, "current 3,0 back at the replica", func() bool { return slices.Equal(rep.CurrentIndex(), Item(3, 0)) })
			if err := rep.SetCurrentIndex(99, 0); err != nil { // no such item: ignored
				t.Fatal(err)
			}
			rm.SetCurrentIndex(Item(4, 1))
			eventually(t, "current 4,1", func() bool { return slices.Equal(rep.CurrentIndex(), Item(4, 1)) })
			log.mu.Lock()
			var got []Change
			for _, c := range log.l {
				if c.Kind == CurrentChanged {
					got = append(got, c)
				}
			}
			log.mu.Unlock()
			if len(got) != 3 || !slices.Equal(got[2].Previous, Item(3, 0)) {
				t.Fatalf("CurrentChanged changes %+v", got)
			}
		})
	}
}

// A replica keeps at most its cache size of rows.
func TestReplicaCacheBound(t *testing.T) {
	m, rep, _ := setup(t, node.Qt6, WithCacheSize(3))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.AppendRows(rows(20, 5)...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "25 rows", func() bool { return rep.RowCount() == 25 })
	for first := 0; first < 25; first += 3 {
		if err := rep.Fetch(ctx, first, min(first+2, 24)); err != nil {
			t.Fatal(err)
		}
		rep.mu.Lock()
		n := len(rep.cache)
		rep.mu.Unlock()
		if n > 3 {
			t.Fatalf("%d rows cached, cache size 3", n)
		}
	}
	if err := rep.Fetch(ctx, 0, 3); err == nil {
		t.Fatal("a fetch of 4 rows with a cache of 3 succeeded")
	}
	if got := data(t, rep, 24, 0, DisplayRole); got != "r24" {
		t.Fatalf("row 24 = %v", got)
	}
}
