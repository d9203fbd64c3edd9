package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
)

// Replicas that read while the source changes fast (inserts, removes,
// moves, data changes, resets interleaved with their row requests) end
// with exactly the source's rows: replies that a change overtook are
// dropped and asked again, never applied to the wrong rows.
func TestReplicasConvergeUnderChanges(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			ctx, h := startHost(t, d, 30*time.Second)
			m := NewTableModel(2, nil)
			_ = m.AppendRows(rows(50, 0)...)
			if _, err := Remote(h, m, "Model", []int{DisplayRole, UserRole}); err != nil {
				t.Fatal(err)
			}
			var reps []*Replica
			for i := range 4 {
				n := node.NewNode(node.Config{})
				defer n.Close()
				action := FetchRootSize
				if i%2 == 1 {
					action = PrefetchData
				}
				r, err := Acquire(n, "Model", WithInitialAction(action), WithCacheSize(200))
				if err != nil {
					t.Fatal(err)
				}
				defer r.Release()
				if err := n.ConnectToNode(h.URL()); err != nil {
					t.Fatal(err)
				}
				reps = append(reps, r)
			}
			// Readers keep asking for rows while the model changes.
			stop := make(chan struct{})
			done := make(chan struct{})
			for _, r := range reps {
				go func() {
					defer func() { done <- struct{}{} }()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if n := r.RowCount(); n > 0 {
							first := rand.IntN(n)
							for row := first; row < min(first+10, n); row++ {
								r.Data(row, 0, DisplayRole)
							}
						}
						time.Sleep(200 * time.Microsecond)
					}
				}()
			}
			rng := rand.New(rand.NewPCG(1, uint64(d)))
			next := 1000
			for i := range 3000 {
				n := m.RowCount(nil)
				switch op := rng.IntN(20); {
				case op < 6 && n < 150:
					_ = m.InsertRows(rng.IntN(n+1), rows(1+rng.IntN(3), next)...)
					next += 3
				case op < 11 && n > 5:
					first := rng.IntN(n - 2)
					_ = m.RemoveRows(first, 1+rng.IntN(2))
				case op < 13 && n > 4:
					_ = m.MoveRows(0, 2, n)
				case op < 19 && n > 0:
					_ = m.Set(rng.IntN(n), rng.IntN(2), DisplayRole, fmt.Sprintf("set%d", i))
				case op == 19 && i%500 == 0:
					_ = m.Reset(rows(40, next)...)
					next += 40
				}
				if i%50 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			close(stop)
			for range reps {
				<-done
			}
			n := m.RowCount(nil)
			for k, r := range reps {
				deadline := time.Now().Add(10 * time.Second)
				for r.RowCount() != n {
					if time.Now().After(deadline) {
						t.Fatalf("replica %d: %d rows, the source %d", k, r.RowCount(), n)
					}
					time.Sleep(5 * time.Millisecond)
				}
				if err := r.Fetch(ctx, 0, n-1); err != nil {
					t.Fatal(err)
				}
				for row := range n {
					for col := range 2 {
						want := m.Data(Item(row, col), DisplayRole)
						got, ok := r.Data(row, col, DisplayRole)
						if !ok || got.Str() != want.Str() {
							t.Fatalf("replica %d row %d col %d: %v (%v), source %v", k, row, col, got, ok, want)
						}
					}
				}
			}
		})
	}
}
