package nodeadapter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/specs/contract"
)

// Item models (contract 3, specs/ADAPTER.md §6.5): a host remotes
// model.TableModel (with child rows under column 0 for a tree) through
// model.Remote; a node acquires with model.Acquire.

// hostModel is one model a host remotes.
type hostModel struct {
	table    *model.TableModel
	tree     *treeModel // nil: a flat table
	remoted  *model.Remoted
	roles    []int // the roles the items carry
	columns  int
	children int
}

// nodeModel is one model replica of a node.
type nodeModel struct {
	key    string
	rep    *model.Replica
	cancel func()
}

// modelState holds the adapter's models (host and node role).
type modelState struct {
	mu       sync.Mutex
	hosted   map[string]*hostModel
	replicas map[string]*nodeModel
}

// ModelItemText is the value of an item for a role (§6.5): role 0 (the
// display role) "<label>c<column>", any other role R "<R>:<label>c<column>".
func ModelItemText(label string, column, role int) string {
	if role == model.DisplayRole {
		return fmt.Sprintf("%sc%d", label, column)
	}
	return fmt.Sprintf("%d:%sc%d", role, label, column)
}

// modelRoleNames names the roles of a remoted model: Qt's names of the
// standard roles, "role<R>" for the others.
func modelRoleNames(roles []int) map[int]string {
	names := map[int]string{model.DisplayRole: "display", model.DecorationRole: "decoration", model.EditRole: "edit",
		model.ToolTipRole: "toolTip", model.StatusTipRole: "statusTip", model.WhatsThisRole: "whatsThis"}
	for _, r := range roles {
		if _, ok := names[r]; !ok {
			names[r] = "role" + strconv.Itoa(r)
		}
	}
	return names
}

func modelRow(label string, columns int, roles []int) []model.Cell {
	row := make([]model.Cell, columns)
	for c := range row {
		row[c] = model.Cell{}
		for _, r := range roles {
			row[c][r] = ModelItemText(label, c, r)
		}
	}
	return row
}

func modelRows(prefix string, count, columns int, roles []int) [][]model.Cell {
	rows := make([][]model.Cell, count)
	for i := range rows {
		rows[i] = modelRow(prefix+strconv.Itoa(i), columns, roles)
	}
	return rows
}

// treeModel is a TableModel whose column-0 items each have the same
// number of child rows ("r<row>.<k>", by the parent's current row).
type treeModel struct {
	*model.TableModel
	children int
	roles    []int
}

func (t *treeModel) isParent(p model.Path) bool {
	return len(p) == 1 && p[0].Column == 0 && p[0].Row >= 0 && p[0].Row < t.TableModel.RowCount(nil)
}

// RowCount implements model.ItemModel.
func (t *treeModel) RowCount(parent model.Path) int {
	if t.isParent(parent) {
		return t.children
	}
	return t.TableModel.RowCount(parent)
}

// ColumnCount implements model.ItemModel.
func (t *treeModel) ColumnCount(parent model.Path) int {
	if t.isParent(parent) {
		return t.TableModel.ColumnCount(nil)
	}
	return t.TableModel.ColumnCount(parent)
}

func (t *treeModel) child(p model.Path) bool {
	return len(p) == 2 && t.isParent(p[:1]) && p[1].Row >= 0 && p[1].Row < t.children &&
		p[1].Column >= 0 && p[1].Column < t.TableModel.ColumnCount(nil)
}

// Data implements model.ItemModel.
func (t *treeModel) Data(index model.Path, role int) node.Variant {
	if t.child(index) {
		if !slices.Contains(t.roles, role) {
			return node.Variant{}
		}
		return qds.StringOf(ModelItemText(fmt.Sprintf("r%d.%d", index[0].Row, index[1].Row), index[1].Column, role))
	}
	return t.TableModel.Data(index, role)
}

// Flags implements model.ItemModel.
func (t *treeModel) Flags(index model.Path) model.ItemFlags {
	switch {
	case t.child(index):
		return model.DefaultFlags
	case t.isParent(index) && t.children > 0:
		return t.TableModel.Flags(index) &^ model.ItemNeverHasChildren
	}
	return t.TableModel.Flags(index)
}

// HasChildren implements model.ItemModel.
func (t *treeModel) HasChildren(index model.Path) bool {
	if t.isParent(index) {
		return t.children > 0
	}
	if len(index) > 0 {
		return false
	}
	return t.TableModel.HasChildren(index)
}

func intsOf(c contract.Command, key string) ([]int, bool) {
	l, ok := c[key].([]any)
	if !ok {
		return nil, !c.Has(key)
	}
	out := make([]int, 0, len(l))
	for i := range l {
		v := contract.Command{"x": l[i]}.Int("x", -1<<62)
		if v == -1<<62 {
			return nil, false
		}
		out = append(out, int(v))
	}
	return out, true
}

func (a *adapter) models() *modelState {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.modelSt == nil {
		a.modelSt = &modelState{hosted: map[string]*hostModel{}, replicas: map[string]*nodeModel{}}
	}
	return a.modelSt
}

// releaseModels releases the node's model replicas (their goroutines
// end; reads still waiting fail) when the adapter closes.
func (a *adapter) releaseModels() {
	a.mu.Lock()
	st := a.modelSt
	a.mu.Unlock()
	if st == nil {
		return
	}
	st.mu.Lock()
	reps := st.replicas
	st.replicas = map[string]*nodeModel{}
	st.mu.Unlock()
	for _, nm := range reps {
		nm.cancel()
		nm.rep.Release()
	}
}

// ---- host side ----

func (a *adapter) cmdRemoteModel(c contract.Command) {
	name := c.Str("name", "")
	rows, cols, children := int(c.Int("rows", 0)), int(c.Int("columns", 1)), int(c.Int("childRows", 0))
	roles, ok1 := intsOf(c, "roles")
	remoted, ok2 := intsOf(c, "remotedRoles")
	if name == "" || rows < 0 || cols < 1 || children < 0 || !ok1 || !ok2 || rows > 1_000_000 || cols > 1000 || children > 1000 {
		a.fail(c, contract.BadArgs, "remoteModel needs name, rows >= 0, columns >= 1, childRows >= 0 and integer role lists")
		return
	}
	if roles == nil {
		roles = []int{model.DisplayRole}
	}
	if remoted == nil {
		remoted = roles
	}
	st := a.models()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.hosted[name] != nil {
		a.fail(c, contract.AlreadyEnabled, "a model named "+name+" is remoted already")
		return
	}
	hm := &hostModel{table: model.NewTableModel(cols, modelRoleNames(roles)), roles: roles, columns: cols, children: children}
	if err := hm.table.Reset(modelRows("r", rows, cols, roles)...); err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	var m model.ItemModel = hm.table
	if children > 0 {
		hm.tree = &treeModel{TableModel: hm.table, children: children, roles: roles}
		m = hm.tree
	}
	if mutating("model-swap-roles") || mutating("model-insert-off-by-one") || mutating("model-no-children") {
		m = faultyModel{m}
	}
	rm, err := model.Remote(a.host, m, name, remoted)
	if err != nil {
		a.fail(c, contract.InvalidMessage, "enableRemoting: "+err.Error())
		return
	}
	hm.remoted = rm
	st.hosted[name] = hm
	a.ok(c, "name", name)
}

// hostedModel finds the model a host command names.
func (a *adapter) hostedModel(c contract.Command) *hostModel {
	st := a.models()
	st.mu.Lock()
	hm := st.hosted[c.Str("name", "")]
	st.mu.Unlock()
	if hm == nil {
		a.fail(c, contract.NoReplica, fmt.Sprintf("no model named %q is remoted", c.Str("name", "")))
	}
	return hm
}

func (a *adapter) cmdModelChange(c contract.Command) {
	hm := a.hostedModel(c)
	if hm == nil {
		return
	}
	var err error
	row, count := int(c.Int("row", -1)), int(c.Int("count", 1))
	switch c.Name() {
	case contract.CmdModelInsertRows:
		err = hm.table.InsertRows(row, modelRows(c.Str("label", "n"), count, hm.columns, hm.roles)...)
	case contract.CmdModelRemoveRows:
		err = hm.table.RemoveRows(row, count)
	case contract.CmdModelMoveRows:
		err = hm.table.MoveRows(row, count, int(c.Int("dest", -1)))
	case contract.CmdModelSetData:
		err = hm.table.Set(row, int(c.Int("column", 0)), int(c.Int("role", 0)), c.Str("value", ""))
	case contract.CmdModelSetHeader:
		o := model.Horizontal
		if c.Str("orientation", "horizontal") == "vertical" {
			o = model.Vertical
		}
		err = hm.table.SetHeaderData(int(c.Int("section", 0)), o, int(c.Int("role", 0)), c.Str("value", ""))
	case contract.CmdModelReset:
		err = hm.table.Reset(modelRows(c.Str("label", "z"), int(c.Int("rows", 0)), hm.columns, hm.roles)...)
	case contract.CmdModelSetCurrentIndex:
		r, col := int(c.Int("row", -1)), int(c.Int("column", 0))
		if r < 0 || r >= hm.table.RowCount(nil) || col < 0 || col >= hm.columns {
			err = fmt.Errorf("no item %d,%d", r, col)
		} else {
			hm.remoted.SetCurrentIndex(model.Item(r, col))
		}
	}
	if err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	a.ok(c, "rows", hm.table.RowCount(nil))
}

// ---- node side ----

func (a *adapter) cmdAcquireModel(c contract.Command) {
	name := c.Str("name", "")
	hint, ok := intsOf(c, "roles")
	action := model.FetchRootSize
	switch c.Str("action", "fetchRootSize") {
	case "fetchRootSize":
	case "prefetchData":
		action = model.PrefetchData
	default:
		ok = false
	}
	if name == "" || !ok {
		a.fail(c, contract.BadArgs, `acquireModel needs name, action "fetchRootSize" or "prefetchData" and integer roles`)
		return
	}
	st := a.models()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.replicas[name] != nil {
		a.fail(c, contract.AcquireFailed, "model "+name+" is acquired already")
		return
	}
	opts := []model.Option{model.WithInitialAction(action)}
	if len(hint) > 0 {
		opts = append(opts, model.WithRolesHint(hint...))
	}
	rep, err := model.Acquire(a.node, name, opts...)
	if err != nil {
		a.fail(c, contract.AcquireFailed, err.Error())
		return
	}
	nm := &nodeModel{key: name, rep: rep}
	nm.cancel = rep.Observe(func(ch model.Change) { a.modelChanged(nm, ch) })
	st.replicas[name] = nm
	a.ok(c, "model", name)
}

func pathJSON(p model.Path) []any {
	out := make([]any, len(p))
	for i, x := range p {
		out[i] = []any{x.Row, x.Column}
	}
	return out
}

var changeNames = map[model.ChangeKind]string{
	model.DataChanged: "dataChanged", model.RowsInserted: "rowsInserted", model.RowsRemoved: "rowsRemoved",
	model.RowsMoved: "rowsMoved", model.ColumnsInserted: "columnsInserted", model.ModelReset: "modelReset",
	model.HeaderDataChanged: "headerDataChanged", model.LayoutChanged: "layoutChanged", model.CurrentChanged: "currentChanged",
}

// modelChanged writes a replica's change (§8.1 modelChanged).
func (a *adapter) modelChanged(nm *nodeModel, ch model.Change) {
	if ch.Kind == model.RowsMoved && mutating("model-drop-moved") || ch.Kind == model.CurrentChanged && mutating("model-drop-current") {
		return
	}
	ev := event(contract.EvModelChanged, "model", nm.key, "change", changeNames[ch.Kind])
	switch ch.Kind {
	case model.DataChanged:
		first, last := 0, 0
		if len(ch.TopLeft) > 0 && len(ch.BottomRight) > 0 {
			first, last = ch.TopLeft[len(ch.TopLeft)-1].Row, ch.BottomRight[len(ch.BottomRight)-1].Row
		}
		roles := ch.Roles
		if roles == nil {
			roles = []int{}
		}
		ev = set(ev, "parent", pathJSON(ch.TopLeft[:max(len(ch.TopLeft)-1, 0)]), "first", first, "last", last, "roles", roles)
	case model.RowsInserted, model.RowsRemoved, model.ColumnsInserted:
		ev = set(ev, "parent", pathJSON(ch.Parent), "first", ch.First, "last", ch.Last)
	case model.RowsMoved:
		ev = set(ev, "parent", pathJSON(ch.Parent), "first", ch.First, "last", ch.Last,
			"destParent", pathJSON(ch.Dest), "dest", ch.DestRow)
	case model.HeaderDataChanged:
		o := "horizontal"
		if ch.Orientation == model.Vertical {
			o = "vertical"
		}
		ev = set(ev, "orientation", o, "first", ch.First, "last", ch.Last)
	case model.CurrentChanged:
		ev = set(ev, "current", currentJSON(ch.Current))
	}
	ev = set(ev, "rows", nm.rep.RowCount(), "columns", nm.rep.ColumnCount())
	a.ev.Send(ev)
}

func currentJSON(p model.Path) any {
	if len(p) != 1 {
		return nil
	}
	return map[string]any{"row": p[0].Row, "column": p[0].Column}
}

// replicaModel finds the model replica a node command names.
func (a *adapter) replicaModel(c contract.Command) *nodeModel {
	st := a.models()
	st.mu.Lock()
	defer st.mu.Unlock()
	key := c.Str("model", "")
	if key == "" && len(st.replicas) == 1 {
		for _, nm := range st.replicas {
			return nm
		}
	}
	nm := st.replicas[key]
	if nm == nil {
		a.fail(c, contract.NoReplica, fmt.Sprintf("no model replica %q", key))
	}
	return nm
}

func (a *adapter) cmdModelState(c contract.Command) {
	nm := a.replicaModel(c)
	if nm == nil {
		return
	}
	r := nm.rep
	names := map[string]any{}
	for k, v := range r.RoleNames() {
		names[strconv.Itoa(k)] = v
	}
	roles := r.AvailableRoles()
	if roles == nil {
		roles = []int{}
	}
	a.ok(c, "model", nm.key, "initialized", r.IsInitialized(), "rows", r.RowCount(), "columns", r.ColumnCount(),
		"availableRoles", roles, "roleNames", names, "current", currentJSON(r.CurrentIndex()),
		"state", r.Node().State().String())
}

func (a *adapter) cmdModelRows(c contract.Command) {
	nm := a.replicaModel(c)
	if nm == nil {
		return
	}
	if c.Has("parent") {
		a.fail(c, contract.Unsupported, "the Go model replica reads rows under the root only")
		return
	}
	first, last := int(c.Int("first", 0)), int(c.Int("last", -1))
	roles, ok := intsOf(c, "roles")
	if !ok || first < 0 || last < first {
		a.fail(c, contract.BadArgs, "modelRows needs 0 <= first <= last and integer roles")
		return
	}
	timeout := time.Duration(c.Int("timeoutMs", 5000)) * time.Millisecond
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, max(timeout, 0))
		defer cancel()
		r := nm.rep
		err := r.Fetch(ctx, first, last)
		switch {
		case a.ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded):
			a.fail(c, contract.Timeout, fmt.Sprintf("rows %d..%d not all fetched within %d ms", first, last, timeout.Milliseconds()))
			return
		case err != nil:
			a.fail(c, contract.InvalidMessage, err.Error())
			return
		}
		want := roles
		if want == nil {
			want = r.AvailableRoles()
		}
		var out []any
		for row := first; row <= min(last, r.RowCount()-1); row++ {
			var cells []any
			for col := range r.ColumnCount() {
				cell := map[string]any{}
				for _, role := range want {
					if v, ok := r.Data(row, col, role); ok {
						cell[strconv.Itoa(role)] = contract.Tagged(nil, v)
					}
				}
				cells = append(cells, cell)
			}
			out = append(out, cells)
		}
		if out == nil {
			out = []any{}
		}
		a.ok(c, "rows", out, "rowCount", r.RowCount())
	}()
}

func (a *adapter) cmdModelHeader(c contract.Command) {
	nm := a.replicaModel(c)
	if nm == nil {
		return
	}
	o := model.Horizontal
	if c.Str("orientation", "horizontal") == "vertical" {
		o = model.Vertical
	}
	section, role := int(c.Int("section", 0)), int(c.Int("role", 0))
	timeout := time.Duration(c.Int("timeoutMs", 5000)) * time.Millisecond
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, max(timeout, 0))
		defer cancel()
		v, err := nm.rep.HeaderData(ctx, section, o, role)
		switch {
		case a.ctx.Err() != nil:
		case errors.Is(err, context.DeadlineExceeded):
			a.fail(c, contract.Timeout, fmt.Sprintf("no header value within %d ms", timeout.Milliseconds()))
		case err != nil:
			a.fail(c, contract.InvalidMessage, err.Error())
		default:
			a.ok(c, "value", contract.Tagged(nil, v))
		}
	}()
}

func (a *adapter) cmdModelSetCurrent(c contract.Command) {
	if a.node == nil {
		a.cmdModelChange(c)
		return
	}
	nm := a.replicaModel(c)
	if nm == nil {
		return
	}
	row, col := int(c.Int("row", -1)), int(c.Int("column", 0))
	if row < 0 || row >= nm.rep.RowCount() || col < 0 || col >= nm.rep.ColumnCount() {
		a.fail(c, contract.BadArgs, fmt.Sprintf("no item %d,%d in the replica", row, col))
		return
	}
	if err := nm.rep.SetCurrentIndex(row, col); err != nil {
		a.fail(c, contract.InvalidMessage, err.Error())
		return
	}
	a.ok(c)
}

// modelsIn reports whether the declared capabilities have the model
// commands in role (--capabilities may narrow them away).
func (a *adapter) modelsIn(role string) bool {
	return slices.Contains(a.capabilities().Models, role)
}

// modelHandlers are the model commands (§6.5); a host command needs the
// host role, a node command the node role.
func modelHandlers() map[string]handler {
	hostCmd := func(fn func(a *adapter, c contract.Command)) handler {
		return handler{run: func(a *adapter, c contract.Command) {
			switch {
			case a.host == nil:
				a.fail(c, contract.WrongRole, c.Name()+" is a host command")
			case !a.modelsIn(contract.RoleHost):
				a.fail(c, contract.Unsupported, "model commands in the host role are outside the capabilities given with --capabilities")
			default:
				fn(a, c)
			}
		}}
	}
	nodeCmd := func(fn func(a *adapter, c contract.Command)) handler {
		return handler{node: true, run: func(a *adapter, c contract.Command) {
			if !a.modelsIn(contract.RoleNode) {
				a.fail(c, contract.Unsupported, "model commands in the node role are outside the capabilities given with --capabilities")
				return
			}
			fn(a, c)
		}}
	}
	h := map[string]handler{
		contract.CmdRemoteModel:  hostCmd((*adapter).cmdRemoteModel),
		contract.CmdAcquireModel: nodeCmd((*adapter).cmdAcquireModel),
		contract.CmdModelState:   nodeCmd((*adapter).cmdModelState),
		contract.CmdModelRows:    nodeCmd((*adapter).cmdModelRows),
		contract.CmdModelHeader:  nodeCmd((*adapter).cmdModelHeader),
		contract.CmdModelSetCurrentIndex: {run: func(a *adapter, c contract.Command) {
			role := contract.RoleHost
			if a.node != nil {
				role = contract.RoleNode
			}
			switch {
			case a.node == nil && a.host == nil:
				a.fail(c, contract.WrongRole, "modelSetCurrentIndex needs a host or node role")
			case !a.modelsIn(role):
				a.fail(c, contract.Unsupported, "model commands in the "+role+" role are outside the capabilities given with --capabilities")
			default:
				a.cmdModelSetCurrent(c)
			}
		}},
	}
	for _, n := range []string{contract.CmdModelInsertRows, contract.CmdModelRemoveRows, contract.CmdModelMoveRows,
		contract.CmdModelSetData, contract.CmdModelSetHeader, contract.CmdModelReset} {
		h[n] = hostCmd((*adapter).cmdModelChange)
	}
	return h
}

func init() { maps.Copy(handlers, modelHandlers()) }

// faultyModel is a host model with the deliberate faults of mutation_on.go.
type faultyModel struct{ model.ItemModel }

// Data implements model.ItemModel.
func (f faultyModel) Data(index model.Path, role int) node.Variant {
	if mutating("model-swap-roles") {
		switch role {
		case model.DisplayRole:
			role = model.UserRole + 1
		case model.UserRole + 1:
			role = model.DisplayRole
		}
	}
	return f.ItemModel.Data(index, role)
}

// HasChildren implements model.ItemModel.
func (f faultyModel) HasChildren(index model.Path) bool {
	if mutating("model-no-children") && len(index) > 0 {
		return false
	}
	return f.ItemModel.HasChildren(index)
}

// Observe implements model.ItemModel.
func (f faultyModel) Observe(fn func(model.Change)) (cancel func()) {
	return f.ItemModel.Observe(func(c model.Change) {
		if c.Kind == model.RowsInserted && mutating("model-insert-off-by-one") {
			c.First++
			c.Last++
		}
		fn(c)
	})
}
