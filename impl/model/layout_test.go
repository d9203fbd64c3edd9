package model

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// A layout change (ReorderRows) reaches a Go replica as Qt's replica
// shows it: LayoutChanged (not ModelReset) once the rows are known again,
// and the rows in their new order; inserted columns as ColumnsInserted
// with the new column empty.
func TestLayoutAndColumnsToGoReplica(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		for _, a := range []InitialAction{FetchRootSize, PrefetchData} {
			t.Run(fmt.Sprintf("%s/%d", d, a), func(t *testing.T) {
				m, rep, log := setup(t, d, WithInitialAction(a))
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := rep.Fetch(ctx, 0, 4); err != nil {
					t.Fatal(err)
				}
				if err := m.ReorderRows([]int{4, 3, 2, 1, 0}); err != nil {
					t.Fatal(err)
				}
				eventually(t, "LayoutChanged", func() bool { return log.has(LayoutChanged, 0, 0) })
				if err := rep.Fetch(ctx, 0, 4); err != nil {
					t.Fatal(err)
				}
				for i, w := range []string{"r4", "r3", "r2", "r1", "r0"} {
					if got := data(t, rep, i, 0, DisplayRole); got != w {
						t.Fatalf("row %d = %v after the layout change, want %s", i, got, w)
					}
				}
				log.mu.Lock()
				resets := 0
				for _, c := range log.l {
					if c.Kind == ModelReset {
						resets++
					}
				}
				log.mu.Unlock()
				if resets != 1 {
					t.Fatalf("%d ModelReset changes, want only the first initialisation's", resets)
				}
				if err := m.InsertColumns(1, 1); err != nil {
					t.Fatal(err)
				}
				eventually(t, "ColumnsInserted", func() bool { return log.has(ColumnsInserted, 1, 1) })
				if rep.ColumnCount() != 3 {
					t.Fatalf("%d columns, want 3", rep.ColumnCount())
				}
				if err := rep.Fetch(ctx, 0, 4); err != nil {
					t.Fatal(err)
				}
				if got := data(t, rep, 0, 2, DisplayRole); got != "r4 c1" {
					t.Fatalf("row 0 column 2 = %v, want the old column 1", got)
				}
				if v, _ := rep.Data(0, 1, DisplayRole); v.IsValid() {
					t.Fatalf("the new column holds %v", v)
				}
			})
		}
	}
}
