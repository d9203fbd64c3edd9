package model

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// rawAdapterReplica is a plain static replica of a host's "Model" adapter
// on its own node (so its own connection) and the type names of the
// signal arguments it received.
type rawAdapterReplica struct {
	r  *node.Replica
	mu sync.Mutex
	// sigTypes[i] is the first argument's type name of each signal i received.
	sigTypes map[int]string
}

func newRawAdapterReplica(t *testing.T, ctx context.Context, url string) *rawAdapterReplica {
	t.Helper()
	n := node.NewNode(node.Config{})
	t.Cleanup(func() { n.Close() })
	r, err := n.Acquire("Model", adapterProvider{adapterClass()})
	if err != nil {
		t.Fatal(err)
	}
	ra := &rawAdapterReplica{r: r, sigTypes: map[int]string{}}
	r.Subscribe(func(ev node.Event) {
		if ev.Kind == node.SignalEmitted && len(ev.Args) > 0 {
			ra.mu.Lock()
			ra.sigTypes[ev.Index] = ev.Args[0].TypeName()
			ra.mu.Unlock()
		}
	})
	if err := n.ConnectToNode(url); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	return ra
}

func (ra *rawAdapterReplica) sigType(i int) string {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return ra.sigTypes[i]
}

// A Go host answers each Qt 6 replica in the spelling of the adapter's
// types that replica sends (Qt 6.4's "QList<ModelIndex>", Qt 6.8's
// "QList<QtPrivate::ModelIndex>"), in one process and for one model: its
// replies and its signals. A replica that sent no index list yet (a
// PrefetchData replica's first replicaCacheRequest has none) is answered
// in Qt 6.4's spelling.
func TestHostAnswersEachReplicaInItsSpelling(t *testing.T) {
	ctx, h := startHost(t, node.Qt6, 10*time.Second)
	m := NewTableModel(1, nil)
	if err := m.AppendRows(rows(3, 0)...); err != nil {
		t.Fatal(err)
	}
	if _, err := Remote(h, m, "Model", []int{DisplayRole}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name            string
		indexList       string // the spelling the replica sends; "" sends none
		wantIndexList   string
		wantDataEntries string
		wantMeta        string
	}{
		{"qt68", "QList<QtPrivate::ModelIndex>", "QList<QtPrivate::ModelIndex>", "QtPrivate::DataEntries", "QtPrivate::MetaAndDataEntries"},
		{"qt64", "QList<ModelIndex>", "QList<ModelIndex>", "DataEntries", "MetaAndDataEntries"},
		{"unknown", "", "QList<ModelIndex>", "DataEntries", "MetaAndDataEntries"},
	}
	// All three connected at once: one change reaches each in its spelling.
	ras := make([]*rawAdapterReplica, len(cases))
	for i, tc := range cases {
		ra := newRawAdapterReplica(t, ctx, h.URL())
		ras[i] = ra
		list := func(p Path) node.Variant { return qds.UserOf(tc.indexList, p.toWire()) }
		// The first request carries no model type.
		meta := call(t, ra.r, methCacheRequest, qds.IntegerOf(qds.ULong, 1), intList(nil))
		if meta.TypeName() != tc.wantMeta && tc.indexList == "" {
			t.Errorf("%s: cache reply %q, want %q", tc.name, meta.TypeName(), tc.wantMeta)
		}
		if tc.indexList == "" {
			continue
		}
		call(t, ra.r, methSizeRequest, list(Path{}))
		meta = call(t, ra.r, methCacheRequest, qds.IntegerOf(qds.ULong, 1), intList(nil))
		if meta.TypeName() != tc.wantMeta {
			t.Errorf("%s: cache reply after the size request: %q, want %q", tc.name, meta.TypeName(), tc.wantMeta)
		}
		de := call(t, ra.r, methRowRequest, list(Path{{Row: 0}}), list(Path{{Row: 1}}), intList([]int{DisplayRole}))
		if de.TypeName() != tc.wantDataEntries {
			t.Errorf("%s: row reply %q, want %q", tc.name, de.TypeName(), tc.wantDataEntries)
		}
		if len(entries(t, de)) != 2 {
			t.Errorf("%s: row reply %v", tc.name, de)
		}
	}
	if err := m.Set(1, 0, DisplayRole, "changed"); err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		eventually(t, "dataChanged", func() bool { return ras[i].sigType(sigDataChanged) != "" })
		if got := ras[i].sigType(sigDataChanged); got != tc.wantIndexList {
			t.Errorf("%s: dataChanged's index list %q, want %q", tc.name, got, tc.wantIndexList)
		}
	}
}

// A Go replica takes the spelling of a host that answers in Qt 6.8's:
// its first request (a replicaCacheRequest) has no model type, and the
// row requests after the reply use the reply's spelling.
func TestReplicaLearnsHostSpelling(t *testing.T) {
	for _, tc := range []struct{ meta, data, want string }{
		{"QtPrivate::MetaAndDataEntries", "QtPrivate::DataEntries", "QList<QtPrivate::ModelIndex>"},
		{"MetaAndDataEntries", "DataEntries", "QList<ModelIndex>"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			ctx, h := startHost(t, node.Qt6, 10*time.Second)
			src := node.NewSource(adapterClass())
			var mu sync.Mutex
			var got []string // the index list type of each row request
			_ = src.HandleMethod("replicaCacheRequest", func(context.Context, []node.Variant) (node.Variant, error) {
				return qds.UserOf(tc.meta, wire.MetaAndDataEntries{Size: qds.Size{W: 1, H: 3}}), nil
			})
			_ = src.HandleMethod("replicaRowRequest", func(_ context.Context, args []node.Variant) (node.Variant, error) {
				// The handler sees the name that came (no type of the class has it).
				mu.Lock()
				got = append(got, args[0].TypeName())
				mu.Unlock()
				return qds.UserOf(tc.data, wire.DataEntries{Data: []wire.IndexValuePair{
					{Index: []wire.ModelIndex{{Row: 2, Column: 0}}, Data: []node.Variant{qds.StringOf("r2")}},
				}}), nil
			})
			if err := h.EnableRemoting(src, "Model"); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			rep, err := Acquire(n, "Model", WithRolesHint(DisplayRole))
			if err != nil {
				t.Fatal(err)
			}
			defer rep.Release()
			if err := n.ConnectToNode(h.URL()); err != nil {
				t.Fatal(err)
			}
			if err := rep.WaitForInit(ctx); err != nil {
				t.Fatal(err)
			}
			if rep.RowCount() != 3 {
				t.Fatalf("%d rows", rep.RowCount())
			}
			if err := rep.Fetch(ctx, 2, 2); err != nil {
				t.Fatal(err)
			}
			if v := data(t, rep, 2, 0, DisplayRole); v != "r2" {
				t.Fatalf("row 2 = %v", v)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) == 0 {
				t.Fatal("no row request")
			}
			for _, g := range got {
				if g != tc.want {
					t.Errorf("row request's index list %q, want %q", g, tc.want)
				}
			}
		})
	}
}

// WithQt6Spelling chooses what a replica that has not shown its spelling
// gets; a replica that shows another is still answered in its own.
func TestHostPreferredSpelling(t *testing.T) {
	ctx, h := startHost(t, node.Qt6, 10*time.Second)
	m := NewTableModel(1, nil)
	if err := m.AppendRows(rows(3, 0)...); err != nil {
		t.Fatal(err)
	}
	if _, err := Remote(h, m, "Model", []int{DisplayRole}, WithQt6Spelling(Qt68Spelling)); err != nil {
		t.Fatal(err)
	}
	unknown := newRawAdapterReplica(t, ctx, h.URL())
	if got := call(t, unknown.r, methCacheRequest, qds.IntegerOf(qds.ULong, 1), intList(nil)).TypeName(); got != "QtPrivate::MetaAndDataEntries" {
		t.Errorf("cache reply to a replica of no known spelling: %q", got)
	}
	old := newRawAdapterReplica(t, ctx, h.URL())
	call(t, old.r, methSizeRequest, qds.UserOf("QList<ModelIndex>", Path{}.toWire()))
	if got := call(t, old.r, methCacheRequest, qds.IntegerOf(qds.ULong, 1), intList(nil)).TypeName(); got != "MetaAndDataEntries" {
		t.Errorf("cache reply to a Qt 6.4 replica: %q", got)
	}
	if err := m.Set(0, 0, DisplayRole, "x"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ra   *rawAdapterReplica
		want string
	}{{unknown, "QList<QtPrivate::ModelIndex>"}, {old, "QList<ModelIndex>"}} {
		eventually(t, "dataChanged", func() bool { return c.ra.sigType(sigDataChanged) != "" })
		if got := c.ra.sigType(sigDataChanged); got != c.want {
			t.Errorf("dataChanged's index list %q, want %q", got, c.want)
		}
	}
}
