package conformance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
)

// The MODEL area: item models (contract 3). Host cases drive the target's
// model with the adapter's model commands and read it as a raw replica;
// replica cases host the model with impl/model and read what the target's
// replica reports (specs/conformance/helpers_model.go).

func init() {
	// The host cases need a host that remotes a model, not the test object.
	for i := 1; i <= 16; i++ {
		typeAgnostic["MODEL-"+strconv.Itoa(i)] = true
	}
}

// expectSignals waits for the n signals after skip and compares them.
func (e *Env) expectSignals(m *modelClient, skip int, want ...string) {
	got := signalTexts(m.signalsAfter(skip, len(want), 10*time.Second))
	e.Expect(got).To(equal(want), "the model's signals, in order")
}

// intsOfVariant reads an int list value.
func intsOfVariant(v qds.Variant) []int {
	l, _ := v.Value().([]qds.Variant)
	out := make([]int, 0, len(l))
	for _, x := range l {
		out = append(out, int(x.Int()))
	}
	return out
}

var _ = ginkgo.Describe("Item models (host)", func() {
	Case("MODEL-1", func(e *Env) {
		roles := []int{roleDisplay, roleUser1}
		_, m := e.modelHost(modelSpec{Rows: 3, Columns: 1, Roles: []int{roleDisplay, roleUser1, roleUser2}, Remoted: roles})
		e.Expect(m.TypeName).To(equal(model.AdapterTypeName), "the model's type name in ObjectList")
		e.Expect(len(m.Init.Values)).To(equal(2), "values in the model's Init (availableRoles, roleNames)")
		e.Expect(intsOfVariant(m.Init.Values[0])).To(equal(roles), "availableRoles")
		names := map[int]string{}
		if ps, ok := m.Init.Values[1].Value().([]qds.Pair); ok {
			for _, p := range ps {
				names[int(p.First.Int())] = string(p.Second.Bytes())
			}
		}
		for _, r := range []int{roleDisplay, roleUser1, roleUser2} {
			if names[r] == "" {
				e.Failf("roleNames %v does not name role %d (the model's roles are %d, %d, %d)", names, r, roleDisplay, roleUser1, roleUser2)
			}
		}
	})

	Case("MODEL-2", func(e *Env) {
		_, m := e.modelHost(modelSpec{Rows: 7, Columns: 3})
		rows, cols := m.size()
		e.Expect([]int{rows, cols}).To(equal([]int{7, 3}), "rows and columns from replicaSizeRequest(root)")
		_, m0 := e.modelHost(modelSpec{Rows: 0, Columns: 2})
		rows, cols = m0.size()
		e.Expect([]int{rows, cols}).To(equal([]int{0, 2}), "rows and columns of an empty model")
	})

	Case("MODEL-3", func(e *Env) {
		roles := []int{roleDisplay, roleUser1}
		_, m := e.modelHost(modelSpec{Rows: 5, Columns: 2, Roles: roles})
		items := m.rows(1, 3, 1, []int{roleUser1, roleDisplay})
		e.Expect(texts(items)).To(equal(want(labels("r", 1, 3), 2, []int{roleUser1, roleDisplay})), "rows 1..3, roles 257 and 0 in that order")
		var paths []string
		for _, it := range items {
			paths = append(paths, argText(qds.UserOf("IndexList", it.Path)))
			if model.ItemFlags(it.Flags)&model.ItemIsEnabled == 0 {
				e.Failf("item %v has flags %#x, without ItemIsEnabled", it.Path, it.Flags)
			}
		}
		e.Expect(paths).To(equal([]string{"[1.0]", "[1.1]", "[2.0]", "[2.1]", "[3.0]", "[3.1]"}), "index paths, row by row")
		e.Expect(texts(m.rows(4, 4, 1, nil))).To(equal(want([]string{"r4"}, 2, roles)), "row 4 with no roles asked: the available roles")
	})

	Case("MODEL-4", func(e *Env) {
		_, m := e.modelHost(modelSpec{Rows: 1000, Columns: 1})
		time.Sleep(time.Second)
		m.mu.Lock()
		unasked := len(m.signals) + len(m.replies)
		var other []string
		for _, p := range m.other {
			if p.Type() != wire.ObjectList && p.Type() != wire.Pong {
				other = append(other, wire.Describe(p))
			}
		}
		m.mu.Unlock()
		e.Expect(unasked).To(equal(0), "model signals or replies sent within 1 s of the Init, unasked")
		e.Expect(other).To(equal([]string(nil)), "other packets sent within 1 s of the Init, unasked")
		e.Expect(texts(m.rows(995, 999, 0, nil))).To(equal(want(labels("r", 995, 999), 1, []int{roleDisplay})), "the last 5 rows, asked for")
	})

	Case("MODEL-5", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 4, Columns: 2, Roles: []int{roleDisplay, roleUser1, roleUser2}, Remoted: []int{roleDisplay, roleUser1}})
		n := m.signalCount()
		e.change(a, contract.CmdModelSetData, "row", 2, "column", 1, "role", roleUser2, "value", "x")
		e.change(a, contract.CmdModelSetData, "row", 2, "column", 1, "role", roleUser1, "value", "y")
		// Changes arrive in order: had the first (a role not available)
		// been sent, it would come first.
		e.expectSignals(m, n, "dataChanged([2.1],[2.1],{257})")
		e.Expect(texts(m.rows(2, 2, 1, []int{roleUser1, roleUser2}))[1]).To(equal("y|x"), "row 2, column 1 after the changes (roles 257, 258)")
	})

	Case("MODEL-6", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 4, Columns: 1})
		n := m.signalCount()
		e.change(a, contract.CmdModelSetData, "row", 0, "column", 0, "role", 0, "value", "x")
		e.change(a, contract.CmdModelInsertRows, "row", 1, "count", 1, "label", "n")
		e.change(a, contract.CmdModelSetData, "row", 3, "column", 0, "role", 0, "value", "y")
		e.change(a, contract.CmdModelRemoveRows, "row", 0, "count", 1)
		e.expectSignals(m, n, "dataChanged([0.0],[0.0],{0})", "rowsInserted([],1,1)", "dataChanged([3.0],[3.0],{0})", "rowsRemoved([],0,0)")
		e.Expect(texts(m.rows(0, 3, 0, []int{roleDisplay}))).To(equal([]string{"n0c0", "r1c0", "y", "r3c0"}), "the rows after the changes")
	})

	Case("MODEL-7", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 4, Columns: 2})
		n := m.signalCount()
		e.change(a, contract.CmdModelInsertRows, "row", 0, "count", 2, "label", "a")
		e.change(a, contract.CmdModelInsertRows, "row", 3, "count", 1, "label", "b")
		e.change(a, contract.CmdModelInsertRows, "row", 7, "count", 2, "label", "c")
		e.expectSignals(m, n, "rowsInserted([],0,1)", "rowsInserted([],3,3)", "rowsInserted([],7,8)")
		rows, _ := m.size()
		e.Expect(rows).To(equal(9), "rows after inserting 5 into 4")
		e.Expect(texts(m.rows(0, 8, 1, []int{roleDisplay}))).To(equal(want([]string{"a0", "a1", "r0", "b0", "r1", "r2", "r3", "c0", "c1"}, 2, []int{roleDisplay})), "the rows after the inserts")
	})

	Case("MODEL-8", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 8, Columns: 1})
		n := m.signalCount()
		e.change(a, contract.CmdModelRemoveRows, "row", 0, "count", 1)
		e.change(a, contract.CmdModelRemoveRows, "row", 3, "count", 2)
		e.change(a, contract.CmdModelRemoveRows, "row", 4, "count", 1)
		e.expectSignals(m, n, "rowsRemoved([],0,0)", "rowsRemoved([],3,4)", "rowsRemoved([],4,4)")
		rows, _ := m.size()
		e.Expect(rows).To(equal(4), "rows after removing 4 of 8")
		e.Expect(texts(m.rows(0, 10, 0, []int{roleDisplay}))).To(equal(want([]string{"r1", "r2", "r3", "r6"}, 1, []int{roleDisplay})), "the rows after the removals")
	})

	Case("MODEL-9", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 6, Columns: 1})
		n := m.signalCount()
		e.change(a, contract.CmdModelMoveRows, "row", 0, "count", 1, "dest", 3)
		e.change(a, contract.CmdModelMoveRows, "row", 4, "count", 2, "dest", 0)
		e.change(a, contract.CmdModelMoveRows, "row", 2, "count", 1, "dest", 6)
		e.expectSignals(m, n, "rowsMoved([],0,0,[],3)", "rowsMoved([],4,5,[],0)", "rowsMoved([],2,2,[],6)")
		e.Expect(texts(m.rows(0, 5, 0, []int{roleDisplay}))).To(equal(want([]string{"r4", "r5", "r2", "r0", "r3", "r1"}, 1, []int{roleDisplay})), "the rows after the moves")
	})

	Case("MODEL-10", func(e *Env) {
		_, m := e.modelHost(modelSpec{Rows: 3, Columns: 2, ChildRows: 2})
		top := m.rows(0, 2, 1, []int{roleDisplay})
		e.Expect(texts(top)).To(equal(want(labels("r", 0, 2), 2, []int{roleDisplay})), "the top-level rows")
		for _, it := range top {
			if len(it.Path) == 1 && it.Path[0].Column == 0 && !it.HasChildren {
				e.Failf("item %v has children but hasChildren is false", it.Path)
			}
		}
		rows, cols := m.size(1, 0)
		e.Expect([]int{rows, cols}).To(equal([]int{2, 2}), "rows and columns under item 1,0")
		kids := m.rowsUnder([]int{1, 0}, 0, 1, 1, []int{roleDisplay})
		e.Expect(texts(kids)).To(equal(want([]string{"r1.0", "r1.1"}, 2, []int{roleDisplay})), "the children of item 1,0")
		var paths []string
		for _, it := range kids {
			paths = append(paths, argText(qds.UserOf("IndexList", it.Path)))
		}
		e.Expect(paths).To(equal([]string{"[1.0 0.0]", "[1.0 0.1]", "[1.0 1.0]", "[1.0 1.1]"}), "the children's index paths")
	})

	Case("MODEL-11", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 3, Columns: 3})
		n := m.signalCount()
		e.change(a, contract.CmdModelSetHeader, "section", 1, "orientation", "horizontal", "role", 0, "value", "H1")
		e.change(a, contract.CmdModelSetHeader, "section", 2, "orientation", "vertical", "role", 0, "value", "V2")
		e.expectSignals(m, n, "headerDataChanged(1,1,1)", "headerDataChanged(2,2,2)")
		orient := func(o int) qds.Variant { return qds.UserOf("Qt::Orientation", int64(o)) }
		v := m.call("replicaHeaderRequest", mslotHeader, qds.UserOf(m.orientList, []qds.Variant{orient(1), orient(2)}),
			m.ints([]int{1, 2}), m.ints([]int{0, 0}))
		l, _ := v.Value().([]qds.Variant)
		var got []string
		for _, x := range l {
			got = append(got, variantText(x))
		}
		e.Expect(got).To(equal([]string{"H1", "V2"}), "header values of horizontal section 1 and vertical section 2")
	})

	Case("MODEL-12", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 4, Columns: 2})
		m2 := e.dialModel(m.url)
		n, n2 := m.signalCount(), m2.signalCount()
		e.change(a, contract.CmdModelSetCurrentIndex, "row", 2, "column", 0)
		e.expectSignals(m, n, "currentChanged([2.0],[])")
		// Qt's replica sends ClearAndSelect|Current (QItemSelectionModel flags 0x13).
		_, _ = m.send(mslotSetCurrentIndex, false, m.index(1, 1), qds.UserOf("QItemSelectionModel::SelectionFlags", int64(0x13)))
		e.expectSignals(m, n+1, "currentChanged([1.1],[2.0])")
		e.expectSignals(m2, n2, "currentChanged([2.0],[])", "currentChanged([1.1],[2.0])")
	})

	Case("MODEL-13", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 5, Columns: 1})
		n := m.signalCount()
		e.change(a, contract.CmdModelReset, "rows", 3, "label", "z")
		e.expectSignals(m, n, "resetModel()")
		rows, _ := m.size()
		e.Expect(rows).To(equal(3), "rows after the reset")
		e.Expect(texts(m.rows(0, 2, 0, []int{roleDisplay}))).To(equal(want(labels("z", 0, 2), 1, []int{roleDisplay})), "the rows after the reset")
	})

	Case("MODEL-14", func(e *Env) {
		_, m := e.modelHost(modelSpec{Rows: 5, Columns: 2, Roles: []int{roleDisplay, roleUser1}})
		v := m.call("replicaCacheRequest", mslotCache, qds.IntegerOf(qds.ULong, 6), m.ints([]int{roleUser1}))
		md, ok := v.Value().(wire.MetaAndDataEntries)
		if !ok {
			e.Failf("replicaCacheRequest was answered with %s, not MetaAndDataEntries", v.Type())
		}
		var items []item
		for _, d := range md.Data {
			items = append(items, item{Path: d.Index, Data: d.Data})
		}
		e.Expect(texts(items)).To(equal(want(labels("r", 0, 2), 2, []int{roleUser1})), "the first 6 items, role 257")
		var roles []int
		for _, r := range md.Roles {
			roles = append(roles, int(r))
		}
		e.Expect(roles).To(equal([]int{roleUser1}), "the roles of the reply")
		e.Expect([]int32{md.Size.H, md.Size.W}).To(equal([]int32{5, 2}), "the root's rows and columns")
	})

	Case("MODEL-15", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 5, Columns: 1})
		e.Expect(texts(m.rows(3, 1<<31-1, 0, []int{roleDisplay}))).To(equal(want(labels("r", 3, 4), 1, []int{roleDisplay})), "rows 3..2^31-1 of a 5-row model")
		e.Expect(m.rows(10, 20, 0, []int{roleDisplay})).To(equal([]item{}), "rows 10..20 of a 5-row model")
		e.modelHostAlive(a, m.url, "the out-of-range row requests")
	})

	Case("MODEL-16", func(e *Env) {
		a, m := e.modelHost(modelSpec{Rows: 5, Columns: 1})
		_, _ = m.send(mslotSize, true, m.index(99, 0))
		time.Sleep(200 * time.Millisecond)
		e.modelHostAlive(a, m.url, "a size request for row 99 of 5")
	})
})

var _ = ginkgo.Describe("Item models (replica)", func() {
	Case("MODEL-17", func(e *Env) {
		roles := []int{roleDisplay, roleUser1}
		s := e.serveModel("", 20, 2, roles, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		st := e.waitModelRows(a, 20, 15*time.Second)
		cols, _ := st.Int("columns")
		e.Expect(int(cols)).To(equal(2), "columns")
		var avail []int
		for _, x := range st.List("availableRoles") {
			i, _ := strconv.Atoi(fmt.Sprint(x))
			avail = append(avail, i)
		}
		e.Expect(avail).To(equal(roles), "availableRoles")
		e.Expect(st.Object("roleNames")["257"]).To(equal("role257"), "the name of role 257")
		e.Expect(e.readRows(a, 0, 2, roles)).To(equal(want(labels("r", 0, 2), 2, roles)), "rows 0..2 read through the replica")
		e.Expect(e.readRows(a, 17, 19, roles)).To(equal(want(labels("r", 17, 19), 2, roles)), "rows 17..19 read through the replica")
	})

	Case("MODEL-18", func(e *Env) {
		s := e.serveModel("", 500, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 500, 15*time.Second)
		time.Sleep(300 * time.Millisecond)
		rows, _ := s.M.readRows()
		e.Expect(rows).To(equal([]int(nil)), "rows the replica asked for before any was read")
		e.Expect(e.readRows(a, 200, 204, []int{roleDisplay})).To(equal(want(labels("r", 200, 204), 1, []int{roleDisplay})), "rows 200..204")
		rows, _ = s.M.readRows()
		e.Observe("rows the replica asked for to read rows 200..204 of 500: %v", rows)
		for _, r := range []int{200, 204} {
			if !slices.Contains(rows, r) {
				e.Failf("row %d was read through the replica but not asked for (asked: %v)", r, rows)
			}
		}
		if len(rows) > 0 && (rows[0] < 100 || rows[len(rows)-1] > 304 || len(rows) > 100) {
			e.Failf("reading rows 200..204 made the replica ask for %d rows, %d..%d (of 500)", len(rows), rows[0], rows[len(rows)-1])
		}
	})

	Case("MODEL-19", func(e *Env) {
		all := []int{roleDisplay, roleUser1, roleUser2}
		s := e.serveModel("", 50, 1, all, nil, "r")
		a := e.modelNode(s, "prefetchData", []int{roleUser1})
		e.waitModelRows(a, 50, 15*time.Second)
		rows, roles := s.M.readRows()
		e.Observe("with PrefetchData and roles hint [257] the replica asked for %d rows, roles %v, when it initialised", len(rows), roles)
		e.Expect(roles).To(equal([]int{roleUser1}), "roles the replica asked for when it initialised")
		if !slices.Contains(rows, 0) || !slices.Contains(rows, 2) {
			e.Failf("with PrefetchData the replica did not ask for rows 0..2 when it initialised (asked: %v)", rows)
		}
		s.M.clearReads()
		e.Expect(e.readRows(a, 0, 2, []int{roleUser1})).To(equal(want(labels("r", 0, 2), 1, []int{roleUser1})), "rows 0..2, role 257")
		rows, _ = s.M.readRows()
		e.Expect(rows).To(equal([]int(nil)), "rows asked for again to read prefetched rows")
	})

	Case("MODEL-20", func(e *Env) {
		s := e.serveModel("", 6, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 6, 15*time.Second)
		e.readRows(a, 0, 5, []int{roleDisplay})
		seq := lastSeq(a)
		cell := func(l string) []model.Cell { return modelCells([]string{l}, 1, []int{roleDisplay})[0] }
		e.NoErr(s.M.InsertRows(0, cell("a0")), "insert at the top")
		e.NoErr(s.M.InsertRows(3, cell("b0")), "insert in the middle")
		e.NoErr(s.M.InsertRows(8, cell("c0")), "insert at the end")
		e.NoErr(s.M.RemoveRows(0, 1), "remove at the top")
		e.NoErr(s.M.RemoveRows(3, 1), "remove in the middle")
		e.NoErr(s.M.RemoveRows(6, 1), "remove at the end")
		wantEv := []string{"rowsInserted 0-0", "rowsInserted 3-3", "rowsInserted 8-8", "rowsRemoved 0-0", "rowsRemoved 3-3", "rowsRemoved 6-6"}
		e.Eventually(func() []string {
			return modelEvents(a, seq, "rowsInserted", "rowsRemoved", "rowsMoved")
		}, 10*time.Second, 50*time.Millisecond).Should(equal(wantEv), "the replica's row changes, in order")
		e.waitModelRows(a, 6, 5*time.Second)
		e.Expect(e.readRows(a, 0, 5, []int{roleDisplay})).To(equal(want([]string{"r0", "r1", "b0", "r3", "r4", "r5"}, 1, []int{roleDisplay})), "rows read after the inserts and removals")
		seq = lastSeq(a)
		e.NoErr(s.M.MoveRows(0, 1, 6), "move the first row to the end")
		e.NoErr(s.M.MoveRows(4, 2, 0), "move the last two rows to the top")
		e.Eventually(func() []string { return modelEvents(a, seq, "rowsInserted", "rowsRemoved", "rowsMoved") }, 10*time.Second, 50*time.Millisecond).
			Should(equal([]string{"rowsMoved 0-0->6", "rowsMoved 4-5->0"}), "the replica's moves, in order")
		e.waitModelRows(a, 6, 5*time.Second)
	})

	Case("MODEL-26", func(e *Env) {
		s := e.serveModel("", 6, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 6, 15*time.Second)
		e.readRows(a, 0, 5, []int{roleDisplay})
		seq := lastSeq(a)
		e.NoErr(s.M.MoveRows(0, 1, 6), "move the first row to the end")
		e.Eventually(func() []string { return modelEvents(a, seq, "rowsMoved") }, 10*time.Second, 50*time.Millisecond).
			Should(equal([]string{"rowsMoved 0-0->6"}), "the replica's rowsMoved")
		e.Expect(e.readRows(a, 0, 5, []int{roleDisplay})).To(equal(want([]string{"r1", "r2", "r3", "r4", "r5", "r0"}, 1, []int{roleDisplay})), "rows read after moving row 0 to the end")
	})

	Case("MODEL-21", func(e *Env) {
		s := e.serveModel("", 5, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 5, 15*time.Second)
		e.readRows(a, 0, 4, []int{roleDisplay})
		seq := lastSeq(a)
		e.NoErr(s.M.Set(2, 0, roleDisplay, "changed"), "changing row 2")
		e.Eventually(func() bool {
			for _, ev := range modelEvents(a, seq, "dataChanged") {
				var f, l int
				if _, err := fmt.Sscanf(ev, "dataChanged %d-%d", &f, &l); err == nil && f <= 2 && l >= 2 {
					return true
				}
			}
			return false
		}, 10*time.Second, 50*time.Millisecond).Should(equal(true), "a dataChanged covering row 2")
		e.Expect(e.readRows(a, 2, 2, []int{roleDisplay})).To(equal([]string{"changed"}), "row 2 read after the change")
	})

	Case("MODEL-22", func(e *Env) {
		s := e.serveModel("", 3, 2, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 3, 15*time.Second)
		seq := lastSeq(a)
		e.NoErr(s.M.SetHeaderData(1, model.Horizontal, roleDisplay, "H1"), "setting a header")
		e.Eventually(func() []string { return modelEvents(a, seq, "headerDataChanged") }, 10*time.Second, 50*time.Millisecond).
			Should(gomega.ContainElement("headerDataChanged 1-1"), "the replica's headerDataChanged")
		ev := e.modelDo(a, "node", adapter.Command{"cmd": contract.CmdModelHeader, "model": ModelName, "section": 1,
			"orientation": "horizontal", "role": roleDisplay, "timeoutMs": 10000})
		e.Expect(taggedText(ev.Fields["value"])).To(equal("H1"), "horizontal header 1 read through the replica")
	})

	Case("MODEL-23", func(e *Env) {
		s := e.serveModel("", 5, 2, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 5, 15*time.Second)
		seq := lastSeq(a)
		s.R.SetCurrentIndex(model.Item(3, 1))
		e.Eventually(func() []string { return modelEvents(a, seq, "currentChanged") }, 10*time.Second, 50*time.Millisecond).
			Should(gomega.ContainElement(`currentChanged {"column":1,"row":3}`), "the replica's currentChanged")
		e.modelDo(a, "node", adapter.Command{"cmd": contract.CmdModelSetCurrentIndex, "model": ModelName, "row": 1, "column": 0})
		e.Eventually(func() string { return fmt.Sprint(s.R.CurrentIndex()) }, 10*time.Second, 50*time.Millisecond).
			Should(equal(fmt.Sprint(model.Item(1, 0))), "the host's current index after the replica set it")
	})

	Case("MODEL-24", func(e *Env) {
		s := e.serveModel("", 5, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 5, 15*time.Second)
		e.readRows(a, 0, 4, []int{roleDisplay})
		seq := lastSeq(a)
		e.NoErr(s.M.Reset(modelCells(labels("z", 0, 2), 1, []int{roleDisplay})...), "resetting the model")
		e.Eventually(func() []string { return modelEvents(a, seq, "modelReset") }, 10*time.Second, 50*time.Millisecond).
			ShouldNot(gomega.BeEmpty(), "the replica's modelReset")
		e.waitModelRows(a, 3, 10*time.Second)
		e.Expect(e.readRows(a, 0, 2, []int{roleDisplay})).To(equal(want(labels("z", 0, 2), 1, []int{roleDisplay})), "rows after the reset")
	})

	Case("MODEL-25", func(e *Env) {
		url := reserveURL(e)
		s := e.serveModel(url, 5, 1, []int{roleDisplay}, nil, "r")
		a := e.modelNode(s, "fetchRootSize", nil)
		e.waitModelRows(a, 5, 15*time.Second)
		e.readRows(a, 0, 4, []int{roleDisplay})
		e.NoErr(s.H.Close(), "stopping the first host")
		time.Sleep(300 * time.Millisecond)
		e.serveModel(url, 3, 1, []int{roleDisplay}, nil, "s")
		e.waitModelRows(a, 3, 20*time.Second)
		e.Expect(e.readRows(a, 0, 2, []int{roleDisplay})).To(equal(want(labels("s", 0, 2), 1, []int{roleDisplay})), "rows read from the restarted host")
	})
	Case("MODEL-27", func(e *Env) {
		hostileModelSignal(e, "rowsRemoved of rows 50..60 of 5", func(s *modelServer) error {
			return s.R.Source().EmitIndex(msigRowsRemoved, qds.UserOf("IndexList", []wire.ModelIndex{}), 50, 60)
		})
	})

	Case("MODEL-28", func(e *Env) {
		hostileModelSignal(e, "dataChanged of rows 0..2^31-1 of 5", func(s *modelServer) error {
			return s.R.Source().EmitIndex(msigDataChanged, qds.UserOf("IndexList", []wire.ModelIndex{{Row: 0, Column: 0}}),
				qds.UserOf("IndexList", []wire.ModelIndex{{Row: 1<<31 - 1, Column: 0}}),
				qds.UserOf("QVector<int>", []qds.Variant{qds.IntOf(roleDisplay)}))
		})
	})
})

// hostileModelSignal sends a replica that has read every row of a 5-row
// model a signal naming rows it does not have, then checks it survives:
// its adapter answers, and after a model reset it reads the host's rows.
func hostileModelSignal(e *Env, what string, send func(s *modelServer) error) {
	s := e.serveModel("", 5, 1, []int{roleDisplay}, nil, "r")
	a := e.modelNode(s, "fetchRootSize", nil)
	e.waitModelRows(a, 5, 15*time.Second)
	e.readRows(a, 0, 4, []int{roleDisplay})
	e.NoErr(send(s), "sending "+what)
	select {
	case <-a.Exited():
		e.Failf("the node %s after %s", a.ExitDescription(), what)
	case <-time.After(500 * time.Millisecond):
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 10*time.Second)
	defer cancel()
	if _, err := a.Do(ctx, adapter.Command{"cmd": contract.CmdModelState, "model": ModelName}); err != nil {
		e.Failf("after %s the node does not answer modelState within 10 s: %v (%s)", what, err, a.ExitDescription())
	}
	e.NoErr(s.M.Reset(modelCells(labels("z", 0, 2), 1, []int{roleDisplay})...), "resetting the model")
	e.waitModelRows(a, 3, 10*time.Second)
	e.Expect(e.readRows(a, 0, 2, []int{roleDisplay})).To(equal(want(labels("z", 0, 2), 1, []int{roleDisplay})), "rows after "+what+" and a reset")
}
