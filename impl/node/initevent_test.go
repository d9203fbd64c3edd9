package node_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

// initLog collects a replica's events and splits them into Inits.
type initLog struct {
	mu  sync.Mutex
	evs []node.Event
}

func (l *initLog) add(ev node.Event) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

// inits returns each Initialized event with the PropertyChanged events
// delivered after it and before the next Initialized or SignalEmitted.
func (l *initLog) inits() (inits []node.Event, notes [][]node.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range l.evs {
		switch ev.Kind {
		case node.Initialized:
			inits = append(inits, ev)
			notes = append(notes, nil)
		case node.PropertyChanged:
			if len(notes) > 0 {
				notes[len(notes)-1] = append(notes[len(notes)-1], ev)
			}
		}
	}
	return inits, notes
}

func (l *initLog) count() int {
	i, _ := l.inits()
	return len(i)
}

// TestInitializedSaysWhatChanged checks the rule documented on Event:
// Changed lists every property for an Init carrying the class (a dynamic
// replica's first), the differing ones otherwise; Values is the snapshot;
// the PropertyChanged events that follow are Changed's notifying entries,
// in order, with Values' values.
func TestInitializedSaysWhatChanged(t *testing.T) {
	for _, d := range wire.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cls := simpleClass(t, d)
			h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			src := node.NewSource(cls)
			if err := src.SetProperty("count", 7); err != nil {
				t.Fatal(err)
			}
			if err := h.EnableRemoting(src, "Simple"); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			// Two nodes: on one node, every handle of a name shares one replica.
			n2 := node.NewNode(node.Config{})
			defer n2.Close()
			var dynLog, statLog initLog
			dyn, _ := n.AcquireDynamic("Simple")
			stat, _ := n2.Acquire("Simple", node.StaticClass{Class: cls})
			dyn.Subscribe(dynLog.add)
			stat.Subscribe(statLog.add)
			for _, n := range []*node.Node{n, n2} {
				if err := n.ConnectToNode(h.URL()); err != nil {
					t.Fatal(err)
				}
			}
			wait := func(l *initLog, want int) {
				t.Helper()
				for l.count() < want {
					if ctx.Err() != nil {
						t.Fatalf("%d Inits seen, want %d", l.count(), want)
					}
					time.Sleep(time.Millisecond)
				}
			}
			wait(&dynLog, 1)
			wait(&statLog, 1)

			all := make([]int, len(cls.Properties))
			for i := range all {
				all[i] = i
			}
			countIdx := cls.PropertyIndex("count")
			check := func(l *initLog, k int, wantChanged []int) {
				t.Helper()
				inits, notes := l.inits()
				srcCount, _ := src.Property("count")
				ev := inits[k]
				if !reflect.DeepEqual(ev.Changed, wantChanged) {
					t.Errorf("Init %d: Changed = %v, want %v", k, ev.Changed, wantChanged)
				}
				if len(ev.Values) != len(cls.Properties) || !ev.Values[countIdx].SameValue(srcCount) {
					t.Errorf("Init %d: Values = %v", k, ev.Values)
				}
				var want []int
				for _, i := range ev.Changed {
					if cls.Properties[i].Notify >= 0 {
						want = append(want, i)
					}
				}
				if ev.New != node.Valid || ev.Old == node.Valid {
					t.Errorf("Init %d: Old, New = %v, %v, want a change to Valid", k, ev.Old, ev.New)
				}
				var got []int
				for _, pc := range notes[k] {
					if !pc.FromInit {
						t.Errorf("Init %d: PropertyChanged %s without FromInit", k, pc.Name)
					}
					got = append(got, pc.Index)
					if !pc.Value.SameValue(ev.Values[pc.Index]) {
						t.Errorf("Init %d: PropertyChanged %s = %v, snapshot %v", k, pc.Name, pc.Value, ev.Values[pc.Index])
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Init %d: PropertyChanged for %v, want %v", k, got, want)
				}
			}
			check(&dynLog, 0, all)              // first dynamic Init: all of them
			check(&statLog, 0, []int{countIdx}) // static: only what differs from the .rep defaults

			// A re-Init (the source re-enabled) reports only differences, for both.
			if err := h.DisableRemoting("Simple"); err != nil {
				t.Fatal(err)
			}
			if err := dyn.WaitForState(ctx, node.Suspect); err != nil {
				t.Fatal(err)
			}
			if err := stat.WaitForState(ctx, node.Suspect); err != nil {
				t.Fatal(err)
			}
			if err := src.SetProperty("ratio", 0.25); err != nil {
				t.Fatal(err)
			}
			if err := h.EnableRemoting(src, "Simple"); err != nil {
				t.Fatal(err)
			}
			wait(&dynLog, 2)
			wait(&statLog, 2)
			ratio := []int{cls.PropertyIndex("ratio")}
			check(&dynLog, 1, ratio)
			check(&statLog, 1, ratio)
		})
	}
}
