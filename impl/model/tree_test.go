package model

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
)

// goTree is 3 rows of 2 columns under the root, each row's column-0 item
// with 2 rows of 2 columns under it ("r<i>.<k>"), and nothing deeper.
type goTree struct{}

func (goTree) parent(p Path) bool {
	return len(p) == 1 && p[0].Row >= 0 && p[0].Row < 3 && p[0].Column == 0
}

func (t goTree) RowCount(p Path) int {
	switch {
	case len(p) == 0:
		return 3
	case t.parent(p):
		return 2
	}
	return 0
}

func (t goTree) ColumnCount(p Path) int {
	if len(p) == 0 || t.parent(p) {
		return 2
	}
	return 0
}

func (t goTree) Data(p Path, role int) node.Variant {
	if role != DisplayRole {
		return node.Variant{}
	}
	switch {
	case len(p) == 1 && p[0].Row >= 0 && p[0].Row < 3 && p[0].Column >= 0 && p[0].Column < 2:
		return qds.StringOf(fmt.Sprintf("r%d c%d", p[0].Row, p[0].Column))
	case len(p) == 2 && t.parent(p[:1]) && p[1].Row >= 0 && p[1].Row < 2 && p[1].Column >= 0 && p[1].Column < 2:
		return qds.StringOf(fmt.Sprintf("r%d.%d c%d", p[0].Row, p[1].Row, p[1].Column))
	}
	return node.Variant{}
}

func (t goTree) Flags(Path) ItemFlags                        { return ItemIsSelectable | ItemIsEnabled }
func (t goTree) HasChildren(p Path) bool                     { return t.parent(p) }
func (goTree) HeaderData(int, Orientation, int) node.Variant { return node.Variant{} }
func (goTree) RoleNames() map[int]string                     { return map[int]string{DisplayRole: "display"} }
func (goTree) Observe(func(Change)) func()                   { return func() {} }

// A Go replica reads the rows under an item of a Go host's tree.
func TestChildrenOfGoTree(t *testing.T) {
	for _, d := range []node.Dialect{node.Qt5, node.Qt6} {
		t.Run(d.String(), func(t *testing.T) {
			ctx, h := startHost(t, d, 10*time.Second)
			if _, err := Remote(h, goTree{}, "Model", []int{DisplayRole}); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			rep, err := Acquire(n, "Model")
			if err != nil {
				t.Fatal(err)
			}
			defer rep.Release()
			if err := n.ConnectToNode(h.URL()); err != nil {
				t.Fatal(err)
			}
			ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			rows, cols, items, err := rep.Children(ctx2, Item(1, 0), 0, 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rows != 2 || cols != 2 || len(items) != 2 {
				t.Fatalf("under item 1,0: %d x %d, %d rows read", rows, cols, len(items))
			}
			for k, cells := range items {
				for c, it := range cells {
					if want := fmt.Sprintf("r1.%d c%d", k, c); it.Data[DisplayRole].Str() != want {
						t.Fatalf("child %d column %d = %v, want %s", k, c, it.Data[DisplayRole], want)
					}
				}
			}
			if !rep.IsInitialized() || rep.RowCount() != 3 {
				t.Fatalf("root rows %d", rep.RowCount())
			}
			// A leaf has no rows under it.
			if rows, _, items, err := rep.Children(ctx2, Path{{1, 0}, {0, 0}}, 0, 5, nil); err != nil || rows != 0 || items != nil {
				t.Fatalf("under a leaf: %d rows, %v, %v", rows, items, err)
			}
		})
	}
}
