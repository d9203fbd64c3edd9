package model

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// stallingModel is a TableModel whose next Data call, once armed, reads
// the value and then waits (holding no lock) until released: the window
// in which a change can be made and signalled while a reply holding the
// old value is still being built.
type stallingModel struct {
	*TableModel
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (m *stallingModel) Data(index Path, role int) node.Variant {
	v := m.TableModel.Data(index, role)
	if m.armed.CompareAndSwap(true, false) {
		close(m.reached)
		<-m.release
	}
	return v
}

// A Go host never sends a reply after a signal of a change the reply does
// not reflect. Qt's adapter answers a request within the event loop, so
// a reply reflects every change signalled before it; a replica relies on
// that (Qt's ignores a dataChanged for rows it has not cached yet, so a
// stale reply arriving after it would stay). Here a row request reads the
// old value, the row is changed and dataChanged goes out, then the reply
// is sent: it must hold the new value, or have gone out before the signal.
// The same for a size request overtaken by an insert.
func TestReplyNotAfterLaterSignal(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		for _, req := range []string{"row", "size"} {
			t.Run(d.String()+"/"+req, func(t *testing.T) {
				ctx, h := startHost(t, d, 10*time.Second)
				m := &stallingModel{TableModel: NewTableModel(1, nil), reached: make(chan struct{}), release: make(chan struct{})}
				if err := m.AppendRows(rows(3, 0)...); err != nil {
					t.Fatal(err)
				}
				if _, err := Remote(h, m, "Model", []int{DisplayRole}); err != nil {
					t.Fatal(err)
				}
				n := node.NewNode(node.Config{})
				defer n.Close()
				r, err := n.Acquire("Model", adapterProvider{adapterClass()})
				if err != nil {
					t.Fatal(err)
				}
				var mu sync.Mutex
				var signals []int // signal indices, in the order they arrived
				r.Subscribe(func(ev node.Event) {
					if ev.Kind == node.SignalEmitted {
						mu.Lock()
						signals = append(signals, ev.Index)
						mu.Unlock()
					}
				})
				if err := n.ConnectToNode(h.URL()); err != nil {
					t.Fatal(err)
				}
				if err := r.WaitForSource(ctx); err != nil {
					t.Fatal(err)
				}
				var pc *node.PendingCall
				var change func()
				var wantSignal int
				if req == "row" {
					m.armed.Store(true)
					pc, err = r.InvokeIndex(methRowRequest, []node.Variant{indexList(Item(1, 0)), indexList(Item(1, 0)), intList([]int{DisplayRole})}, true)
					change = func() { _ = m.Set(1, 0, DisplayRole, "new") }
					wantSignal = sigDataChanged
				} else {
					// A cache request reads the first item's data, then the size.
					m.armed.Store(true)
					pc, err = r.InvokeIndex(methCacheRequest, []node.Variant{qds.IntegerOf(qds.ULong, 1), intList(nil)}, true)
					change = func() { _ = m.InsertRows(0, rows(1, 100)...) }
					wantSignal = sigRowsInserted
				}
				if err != nil {
					t.Fatal(err)
				}
				select {
				case <-m.reached:
				case <-ctx.Done():
					t.Fatal("the request never read the model")
				}
				changed := make(chan struct{})
				go func() { change(); close(changed) }()
				// The change's signal is queued (or waits for the reply) now.
				select {
				case <-changed:
				case <-time.After(200 * time.Millisecond):
				}
				close(m.release)
				v, err := pc.Wait(ctx)
				if err != nil {
					t.Fatal(err)
				}
				<-changed
				mu.Lock()
				signalFirst := len(signals) > 0 && signals[0] == wantSignal
				mu.Unlock()
				if req == "row" {
					got := entries(t, v)
					if len(got) != 1 || len(got[0].Data) != 1 {
						t.Fatalf("reply %v", v)
					}
					if val := got[0].Data[0].Str(); signalFirst && val != "new" {
						t.Fatalf("the reply came after dataChanged of row 1 and holds the old value %q", val)
					}
				} else {
					md, ok := v.Value().(wire.MetaAndDataEntries)
					if !ok || len(md.Data) != 1 || len(md.Data[0].Data) != 1 {
						t.Fatalf("reply %v", v)
					}
					// Before rowsInserted: 3 rows, r0 on top; after: 4, r100.
					want := struct {
						rows int32
						top  string
					}{3, "r0"}
					if signalFirst {
						want.rows, want.top = 4, "r100"
					}
					if md.Size.H != want.rows || md.Data[0].Data[0].Str() != want.top {
						t.Fatalf("the reply (after rowsInserted: %v) has %d rows, %q on top; want %d, %q",
							signalFirst, md.Size.H, md.Data[0].Data[0].Str(), want.rows, want.top)
					}
				}
				// The signal arrives in any case.
				eventually(t, "the change's signal", func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(signals) > 0
				})
			})
		}
	}
}
