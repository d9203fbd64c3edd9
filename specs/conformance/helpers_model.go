package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Helpers of the MODEL area (item models, contract 3: specs/ADAPTER.md
// §6.5). In the host role the suite is a raw model replica (modelClient:
// the adapter source's slots called with Qt's argument types, its signals
// read from the wire); in the replica role the suite hosts a model with
// impl/model (modelServer) and reads what the target's replica reports.

// ModelName is the name the MODEL cases remote their models under.
const ModelName = "Model"

// Item roles the MODEL cases use: Qt::DisplayRole and two user roles.
const (
	roleDisplay = 0
	roleUser1   = 0x0101
	roleUser2   = 0x0102
)

// itemText is an item's value for a role, as §6.5 defines the content of
// a model made with remoteModel.
func itemText(label string, column, role int) string {
	if role == roleDisplay {
		return fmt.Sprintf("%sc%d", label, column)
	}
	return fmt.Sprintf("%d:%sc%d", role, label, column)
}

// Signal and slot indices of the model adapter source (Qt's
// QAbstractItemAdapterSourceAPI, the same in Qt 5.15 and 6.x).
const (
	msigDataChanged       = 1
	msigRowsInserted      = 2
	msigRowsRemoved       = 3
	msigRowsMoved         = 4
	msigCurrentChanged    = 5
	msigModelReset        = 6
	msigHeaderDataChanged = 7

	mslotSize            = 0
	mslotRows            = 1
	mslotHeader          = 2
	mslotSetCurrentIndex = 3
	mslotCache           = 5
)

// needModels ends the case as unsupported when the target has no model
// commands in role ("host" or "node"): contract 1 and 2 adapters have none,
// and a contract 3 adapter declares the roles it has them in.
func (e *Env) needModels(role string) {
	c := e.caps()
	if !c.Can(adapter.CapModel, role) {
		e.Unsupported(fmt.Sprintf("the %s adapter declares no item-model commands in the %s role (contract %d; %s)",
			e.Target.Name, role, c.Contract, c.Describe()))
	}
	if e.Target.URL != "" {
		e.NotApplicable("an url: target is a host the suite only connects to; the MODEL cases drive the target's model through the adapter contract")
	}
}

// modelDo runs a model command: an adapter that answers "unsupported", or
// "unknownCommand" without having declared the model commands, makes the
// case unsupported; every other error fails it.
func (e *Env) modelDo(a *adapter.Adapter, role string, c adapter.Command) adapter.Event {
	ev, err := a.Do(e.Ctx, c)
	var ce *adapter.CommandError
	if errors.As(err, &ce) {
		switch {
		case ce.Code == string(contract.Unsupported):
			e.Unsupported(fmt.Sprintf("the adapter answered %s with \"unsupported\": %s", c.Name(), ce.Message))
		case ce.Code == string(contract.UnknownCommand) && !e.caps().DeclaresYes(adapter.CapModel, role):
			e.Unsupported(fmt.Sprintf("the adapter does not know %s (it declares no model commands in the %s role)", c.Name(), role))
		}
	}
	e.NoErr(err, fmt.Sprintf("adapter command %s", c.Name()))
	return ev
}

// ---- host role: the suite is the replica ----

// modelSpec is a model remoteModel makes.
type modelSpec struct {
	Rows, Columns, ChildRows int
	Roles, Remoted           []int
}

func (s modelSpec) command() adapter.Command {
	c := adapter.Command{"cmd": contract.CmdRemoteModel, "name": ModelName, "rows": s.Rows, "columns": max(s.Columns, 1)}
	roles := s.Roles
	if roles == nil {
		roles = []int{roleDisplay}
	}
	c["roles"] = roles
	if s.Remoted != nil {
		c["remotedRoles"] = s.Remoted
	}
	if s.ChildRows > 0 {
		c["childRows"] = s.ChildRows
	}
	return c
}

// modelHost starts the target as a host, remotes a model of spec on it and
// connects a raw model replica to it.
func (e *Env) modelHost(spec modelSpec) (*adapter.Adapter, *modelClient) {
	e.needModels("host")
	a, url := e.Host(Options{})
	e.modelDo(a, "host", spec.command())
	return a, e.dialModel(url)
}

// change runs a model change command on the host (name filled in).
func (e *Env) change(a *adapter.Adapter, cmd string, kv ...any) {
	c := adapter.Command{"cmd": cmd, "name": ModelName}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	e.modelDo(a, "host", c)
}

// modelClient is a raw replica of a model adapter source.
type modelClient struct {
	e    *Env
	c    *wirepeer.Conn
	url  string
	Init *wire.Init
	// TypeName is the model's type name in the host's ObjectList.
	TypeName string
	// type names of the dialect (and Qt version) of the host
	idxList, intList, orientList string

	mu      sync.Mutex
	serial  int32
	replies map[int32]qds.Variant
	signals []*wire.Invoke
	other   []wire.Packet
	closed  bool
	wake    chan struct{}
}

// modelTypeNames are the adapter's container type names a host of the
// target's dialect and Qt version loads (docs/PROTOCOL-ERRATA.md, Item
// models): Qt 5.15, Qt 6.0-6.7 (and qtro's Qt 6 dialect), Qt >= 6.8.
func (e *Env) modelTypeNames() (idxList, intList, orientList string) {
	if e.D == wire.Qt5 {
		return "IndexList", "QVector<int>", "QVector<Qt::Orientation>"
	}
	if qtAtLeast(e.caps().Qt, 6, 8) {
		return "QList<QtPrivate::ModelIndex>", "QList<int>", "QList<Qt::Orientation>"
	}
	return "QList<ModelIndex>", "QList<int>", "QList<Qt::Orientation>"
}

// qtAtLeast reports whether a Qt version string ("6.8.2") is at least major.minor.
func qtAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// dialModel connects to a host that remotes ModelName and acquires it as
// Qt's QAbstractItemModelReplica does (AddObject, not dynamic).
func (e *Env) dialModel(url string) *modelClient {
	c := e.Dial(url)
	ol := e.greeting(c)
	typeName, found := "", false
	find := func(l *wire.ObjectListPacket) bool {
		for _, o := range l.Objects {
			if o.Name == ModelName {
				typeName, found = o.TypeName.Text, true
			}
		}
		return found
	}
	if !find(ol) {
		// A host may announce a newly enabled source in a later ObjectList.
		_, err := c.Expect(e.within(5*time.Second), func(p wire.Packet) bool {
			l, ok := p.(*wire.ObjectListPacket)
			return ok && find(l)
		})
		e.NoErr(err, "waiting for the model in an ObjectList")
	}
	p := e.acquireRaw(c, ModelName, false)
	m := &modelClient{e: e, c: c, url: url, TypeName: typeName, Init: p.(*wire.Init), replies: map[int32]qds.Variant{}, wake: make(chan struct{})}
	m.idxList, m.intList, m.orientList = e.modelTypeNames()
	go m.read()
	return m
}

func (m *modelClient) read() {
	for {
		p, err := m.c.Next(m.e.Ctx)
		m.mu.Lock()
		if err != nil {
			m.closed = true
			close(m.wake)
			m.mu.Unlock()
			return
		}
		switch x := p.(type) {
		case *wire.InvokeReply:
			if x.Name == ModelName {
				m.replies[x.Serial] = x.Value
			}
		case *wire.Invoke:
			if x.Name == ModelName && x.Call == 0 {
				m.signals = append(m.signals, x)
			}
		default:
			m.other = append(m.other, p)
		}
		close(m.wake)
		m.wake = make(chan struct{})
		m.mu.Unlock()
	}
}

// waitFor waits until cond (called with m.mu held) holds; false on timeout or close.
func (m *modelClient) waitFor(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(m.e.Ctx, d)
	defer cancel()
	for {
		m.mu.Lock()
		ok, closed, ch := cond(), m.closed, m.wake
		m.mu.Unlock()
		if ok {
			return true
		}
		if closed {
			return false
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (m *modelClient) index(p ...int) qds.Variant {
	l := make([]wire.ModelIndex, 0, len(p)/2)
	for i := 0; i+1 < len(p); i += 2 {
		l = append(l, wire.ModelIndex{Row: int32(p[i]), Column: int32(p[i+1])})
	}
	return qds.UserOf(m.idxList, l)
}

func (m *modelClient) ints(l []int) qds.Variant {
	vs := make([]qds.Variant, len(l))
	for i, x := range l {
		vs[i] = qds.IntOf(int32(x))
	}
	return qds.UserOf(m.intList, vs)
}

// send calls slot i; with a reply, it waits up to 10 s for it (ok false: none came).
func (m *modelClient) send(slot int32, reply bool, args ...qds.Variant) (qds.Variant, bool) {
	serial := int32(-1)
	if reply {
		m.mu.Lock()
		m.serial++
		serial = m.serial
		m.mu.Unlock()
	}
	m.e.NoErr(m.c.Send(&wire.Invoke{Name: ModelName, Call: 0, Index: slot, Args: args, Serial: serial, PropertyIndex: -1}),
		"sending a model request")
	if !reply {
		return qds.Variant{}, true
	}
	var v qds.Variant
	ok := m.waitFor(10*time.Second, func() bool {
		x, ok := m.replies[serial]
		v = x
		return ok
	})
	return v, ok
}

// call calls slot i and fails the case without a reply.
func (m *modelClient) call(what string, slot int32, args ...qds.Variant) qds.Variant {
	v, ok := m.send(slot, true, args...)
	if !ok {
		m.e.Failf("no reply to %s within 10 s (the host closed the connection or ignored the request)", what)
	}
	return v
}

// size asks for the size under parent (a path as row, column pairs).
func (m *modelClient) size(parent ...int) (rows, columns int) {
	v := m.call("replicaSizeRequest", mslotSize, m.index(parent...))
	s, ok := v.Value().(qds.Size)
	if !ok {
		m.e.Failf("replicaSizeRequest was answered with %s, not a QSize", v.Type())
	}
	return int(s.H), int(s.W)
}

// item is one item of a row request's reply.
type item struct {
	Path        []wire.ModelIndex
	Data        []qds.Variant
	HasChildren bool
	Flags       int32
}

// rowsUnder asks for the items from (first, 0) to (last, lastCol) under parent with roles.
func (m *modelClient) rowsUnder(parent []int, first, last, lastCol int, roles []int) []item {
	start := append(slices.Clone(parent), first, 0)
	end := append(slices.Clone(parent), last, lastCol)
	v := m.call("replicaRowRequest", mslotRows, m.index(start...), m.index(end...), m.ints(roles))
	de, ok := v.Value().(wire.DataEntries)
	if !ok {
		m.e.Failf("replicaRowRequest was answered with %s, not DataEntries", v.Type())
	}
	out := make([]item, len(de.Data))
	for i, d := range de.Data {
		out[i] = item{Path: d.Index, Data: d.Data, HasChildren: d.HasChildren, Flags: d.Flags}
	}
	return out
}

// rows asks for root rows first..last, columns 0..lastCol.
func (m *modelClient) rows(first, last, lastCol int, roles []int) []item {
	return m.rowsUnder(nil, first, last, lastCol, roles)
}

// texts renders the items' data (each item's values joined by "|") for comparison.
func texts(items []item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		var s []string
		for _, v := range it.Data {
			s = append(s, variantText(v))
		}
		out[i] = strings.Join(s, "|")
	}
	return out
}

// variantText renders a value for comparisons: a string as itself,
// anything else as type:value.
func variantText(v qds.Variant) string {
	if v.Type() == qds.QString {
		return v.Str()
	}
	if !v.IsValid() {
		return "<invalid>"
	}
	return fmt.Sprintf("%s:%v", v.Type(), v.Value())
}

// want builds the expected texts of rows labelled labels, columns 0..cols-1, roles.
func want(labels []string, cols int, roles []int) []string {
	var out []string
	for _, l := range labels {
		for c := range cols {
			var s []string
			for _, r := range roles {
				s = append(s, itemText(l, c, r))
			}
			out = append(out, strings.Join(s, "|"))
		}
	}
	return out
}

// labels returns prefix+i for i in from..to.
func labels(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

// signal is a model signal as read from the wire.
type signal struct {
	Index int32
	Args  []qds.Variant
}

// nextSignals waits until n signals of the model arrived after the first
// skip ones, and returns them (fewer on timeout).
func (m *modelClient) signalsAfter(skip, n int, d time.Duration) []signal {
	m.waitFor(d, func() bool { return len(m.signals) >= skip+n })
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []signal
	for _, s := range m.signals[min(skip, len(m.signals)):] {
		out = append(out, signal{s.Index, s.Args})
	}
	return out
}

// signalCount is the number of signals read so far.
func (m *modelClient) signalCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.signals)
}

var modelSignalNames = map[int32]string{0: "availableRolesChanged", msigDataChanged: "dataChanged", msigRowsInserted: "rowsInserted",
	msigRowsRemoved: "rowsRemoved", msigRowsMoved: "rowsMoved", msigCurrentChanged: "currentChanged", msigModelReset: "resetModel",
	msigHeaderDataChanged: "headerDataChanged", 8: "columnsInserted", 9: "layoutChanged"}

// String renders a signal with the arguments it is checked by.
func (s signal) String() string {
	var a []string
	n := map[int32]int{msigDataChanged: 3, msigRowsInserted: 3, msigRowsRemoved: 3, msigRowsMoved: 5,
		msigCurrentChanged: 2, msigModelReset: 0, msigHeaderDataChanged: 3}[s.Index]
	for i := 0; i < n && i < len(s.Args); i++ {
		a = append(a, argText(s.Args[i]))
	}
	name := modelSignalNames[s.Index]
	if name == "" {
		name = fmt.Sprintf("signal%d", s.Index)
	}
	return name + "(" + strings.Join(a, ",") + ")"
}

// argText renders a signal argument: an index list as [r.c ...], an int
// list as {..}, an int or enum as its number.
func argText(v qds.Variant) string {
	switch x := v.Value().(type) {
	case []wire.ModelIndex:
		var s []string
		for _, i := range x {
			s = append(s, fmt.Sprintf("%d.%d", i.Row, i.Column))
		}
		return "[" + strings.Join(s, " ") + "]"
	case []qds.Variant:
		var s []string
		for _, e := range x {
			s = append(s, argText(e))
		}
		return "{" + strings.Join(s, " ") + "}"
	case int64:
		return strconv.FormatInt(x, 10)
	}
	if v.Type() == qds.Int || v.Type() == qds.UInt || v.Type() == qds.LongLong {
		return strconv.FormatInt(v.Int(), 10)
	}
	return variantText(v)
}

func signalTexts(l []signal) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = s.String()
	}
	return out
}

// alive checks that the host still serves: a fresh connection gets its
// greeting, acquires the model and is answered a size request.
func (e *Env) modelHostAlive(a *adapter.Adapter, url string, what string) {
	if a != nil {
		select {
		case <-a.Exited():
			e.Failf("the host %s after %s", a.ExitDescription(), what)
		case <-time.After(100 * time.Millisecond):
		}
	}
	ctx, cancel := context.WithTimeout(e.Ctx, 10*time.Second)
	defer cancel()
	c, err := wirepeer.Dial(ctx, url, e.D)
	if err != nil {
		e.Failf("after %s the host accepts no connection: %v", what, err)
	}
	e.track(c)
	p, err := c.Next(ctx)
	if err != nil {
		e.Failf("after %s a fresh connection gets no Handshake: %v", what, err)
	}
	if _, ok := p.(*wire.HandshakePacket); !ok {
		e.Failf("after %s a fresh connection gets %s first", what, wire.Describe(p))
	}
	m := e.dialModel(url)
	if rows, _ := m.size(); rows < 0 {
		e.Failf("after %s the size is %d", what, rows)
	}
}

// ---- replica role: the suite hosts ----

// spyModel is a TableModel that records which rows and roles a host read
// for replicas (the rows a replica requested).
type spyModel struct {
	*model.TableModel
	mu    sync.Mutex
	reads map[[2]int]int // (root row, role) -> reads
}

// Data implements model.ItemModel.
func (s *spyModel) Data(index model.Path, role int) node.Variant {
	if len(index) == 1 {
		s.mu.Lock()
		s.reads[[2]int{index[0].Row, role}]++
		s.mu.Unlock()
	}
	return s.TableModel.Data(index, role)
}

// readRows returns the rows read (any role), sorted, and the roles read.
func (s *spyModel) readRows() (rows, roles []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.reads {
		if !slices.Contains(rows, k[0]) {
			rows = append(rows, k[0])
		}
		if !slices.Contains(roles, k[1]) {
			roles = append(roles, k[1])
		}
	}
	slices.Sort(rows)
	slices.Sort(roles)
	return rows, roles
}

func (s *spyModel) clearReads() {
	s.mu.Lock()
	s.reads = map[[2]int]int{}
	s.mu.Unlock()
}

// modelServer is the suite's model host for a replica under test.
type modelServer struct {
	e     *Env
	H     *node.Host
	URL   string
	M     *spyModel
	R     *model.Remoted
	roles []int
	cols  int
}

// cells builds rows labelled labels.
func modelCells(labels []string, cols int, roles []int) [][]model.Cell {
	out := make([][]model.Cell, len(labels))
	for i, l := range labels {
		row := make([]model.Cell, cols)
		for c := range row {
			row[c] = model.Cell{}
			for _, r := range roles {
				row[c][r] = itemText(l, c, r)
			}
		}
		out[i] = row
	}
	return out
}

// serveModel hosts a model of rows "r0".. with cols columns and roles
// (remoted with remoted, nil: roles) on url ("" a fresh one).
func (e *Env) serveModel(url string, rows, cols int, roles, remoted []int, label string) *modelServer {
	if url == "" {
		url = e.freshURL()
	}
	d := e.D
	if d == 0 {
		d = wire.Qt6
		e.D = d
	}
	h, err := node.NewHost(e.Ctx, url, node.Config{Dialect: d})
	e.NoErr(err, "starting the suite's model host on "+url)
	s := &modelServer{e: e, H: h, URL: h.URL(), roles: roles, cols: cols}
	e.Defer(func() { h.Close() })
	names := map[int]string{roleDisplay: "display", roleUser1: "role257", roleUser2: "role258"}
	s.M = &spyModel{TableModel: model.NewTableModel(cols, names), reads: map[[2]int]int{}}
	e.NoErr(s.M.Reset(modelCells(labels(label, 0, rows-1), cols, roles)...), "filling the model")
	if remoted == nil {
		remoted = roles
	}
	// A Qt >= 6.8 replica that prefetches asks replicaCacheRequest before
	// it shows its spelling of the adapter's types: answer it in its
	// Qt version's spelling, as a host of that version would.
	spelling := model.Qt64Spelling
	if qtAtLeast(e.caps().Qt, 6, 8) {
		spelling = model.Qt68Spelling
	}
	s.R, err = model.Remote(h, s.M, ModelName, remoted, model.WithQt6Spelling(spelling))
	e.NoErr(err, "remoting the model")
	return s
}

// modelNode starts the target as a node connected to the suite's model
// host and acquires the model with action and roles hint.
func (e *Env) modelNode(s *modelServer, action string, hint []int) *adapter.Adapter {
	e.needModels("node")
	// --no-acquire: the node acquires nothing at start, so any object type
	// it declares will do.
	typ, caps := "testobject", e.caps()
	if !caps.Can(adapter.CapNodeType, typ) {
		types := caps.NodeTypes
		if types == nil {
			types = caps.Types
		}
		if len(types) > 0 {
			typ = types[0]
		}
	}
	a := e.Node(Options{URL: s.URL, Type: typ, Extra: []string{"--no-acquire"}})
	c := adapter.Command{"cmd": contract.CmdAcquireModel, "name": ModelName, "action": action}
	if hint != nil {
		c["roles"] = hint
	}
	e.modelDo(a, "node", c)
	return a
}

// modelState asks the node for its replica's state.
func (e *Env) modelState(a *adapter.Adapter) adapter.Event {
	return e.modelDo(a, "node", adapter.Command{"cmd": contract.CmdModelState, "model": ModelName})
}

// waitModelRows waits until the replica is initialised with rows rows.
func (e *Env) waitModelRows(a *adapter.Adapter, rows int, d time.Duration) adapter.Event {
	deadline := time.Now().Add(d)
	for {
		st := e.modelState(a)
		init, _ := st.Bool("initialized")
		n, _ := st.Int("rows")
		if init && int(n) == rows {
			return st
		}
		if time.Now().After(deadline) {
			e.Failf("the replica did not reach %d rows within %s: initialized %v, rows %d", rows, d, init, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readRows reads rows first..last through the replica (modelRows) and
// renders them as texts() does, for roles.
func (e *Env) readRows(a *adapter.Adapter, first, last int, roles []int) []string {
	ev := e.modelDo(a, "node", adapter.Command{"cmd": contract.CmdModelRows, "model": ModelName, "first": first, "last": last,
		"roles": roles, "timeoutMs": 10000})
	rows, _ := ev.Fields["rows"].([]any)
	var out []string
	for _, r := range rows {
		cells, _ := r.([]any)
		for _, c := range cells {
			cell, _ := c.(map[string]any)
			var s []string
			for _, role := range roles {
				s = append(s, taggedText(cell[strconv.Itoa(role)]))
			}
			out = append(out, strings.Join(s, "|"))
		}
	}
	return out
}

// taggedText renders a tagged value (§7.3) as variantText does.
func taggedText(j any) string {
	m, ok := j.(map[string]any)
	if !ok {
		return "<none>"
	}
	if m["type"] == "QString" {
		if s, ok := m["value"].(string); ok {
			return s
		}
	}
	if m["type"] == "Invalid" {
		return "<invalid>"
	}
	return fmt.Sprintf("%v:%v", m["type"], m["value"])
}

// modelEvents returns the modelChanged events after seq, rendered as
// "change first-last" (and "->dest" for moves).
func modelEvents(a *adapter.Adapter, after int, kinds ...string) []string {
	var out []string
	for _, ev := range a.Events() {
		if ev.Name != contract.EvModelChanged || ev.Seq <= after {
			continue
		}
		k := ev.Str("change")
		if len(kinds) > 0 && !slices.Contains(kinds, k) {
			continue
		}
		first, _ := ev.Int("first")
		last, _ := ev.Int("last")
		s := fmt.Sprintf("%s %d-%d", k, first, last)
		switch k {
		case "rowsMoved":
			d, _ := ev.Int("dest")
			s += fmt.Sprintf("->%d", d)
		case "modelReset":
			s = k
		case "currentChanged":
			s = k + " " + adapter.Canonical(ev.Fields["current"])
		}
		out = append(out, s)
	}
	return out
}

// lastSeq is the sequence number of the adapter's newest event.
func lastSeq(a *adapter.Adapter) int {
	evs := a.Events()
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}
