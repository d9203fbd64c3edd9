package model

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// MaxItemsPerRequest bounds the items one row or cache request of a
// replica is answered with, so that a replica asking for a huge range
// cannot make the host build a huge reply (Qt answers any range in
// full). A Qt replica asks for at most its cache size (1000 rows by
// default) at a time.
const MaxItemsPerRequest = 1 << 16

// ErrBadRequest is what Remoted.OnError reports for a replica's request
// the host could not answer as asked: arguments of the wrong shape, a
// path to no item (Qt's adapter stops the host process on one), or more
// than MaxItemsPerRequest items (the answer is cut there). The replica
// still gets an answer (empty, or cut), and the connection stays.
var ErrBadRequest = errors.New("qtro model: bad replica request")

// Remoted is an item model remoted by a Host (Remote).
type Remoted struct {
	h      *node.Host
	m      ItemModel
	name   string
	src    *node.Source
	cancel func()

	mu      sync.Mutex
	roles   []int
	current Path // the current index (Qt: of the selection model remoted with the model)

	// order places replies among signals (answer): changed emits under
	// it and counts the changes in gen.
	order sync.Mutex
	gen   uint64

	bad    atomic.Uint64 // requests reported to OnError
	errMu  sync.Mutex
	onErr  map[int]func(error)
	nextID int
}

// OnError calls fn with an error wrapping ErrBadRequest for every request
// of a replica the host could not answer as asked, until the returned
// function is called. fn runs on the connection's goroutine and must not
// block. BadRequests counts them whether anyone listens or not.
func (rm *Remoted) OnError(fn func(error)) (cancel func()) {
	rm.errMu.Lock()
	defer rm.errMu.Unlock()
	if rm.onErr == nil {
		rm.onErr = map[int]func(error){}
	}
	id := rm.nextID
	rm.nextID++
	rm.onErr[id] = fn
	return func() {
		rm.errMu.Lock()
		delete(rm.onErr, id)
		rm.errMu.Unlock()
	}
}

// BadRequests is how many replica requests OnError reported.
func (rm *Remoted) BadRequests() uint64 { return rm.bad.Load() }

// badRequest counts and reports a request of method the host could not
// answer as asked.
func (rm *Remoted) badRequest(method, format string, args ...any) {
	rm.bad.Add(1)
	err := fmt.Errorf("%w: %s: %s", ErrBadRequest, method, fmt.Sprintf(format, args...))
	rm.errMu.Lock()
	fns := make([]func(error), 0, len(rm.onErr))
	for _, fn := range rm.onErr {
		fns = append(fns, fn)
	}
	rm.errMu.Unlock()
	for _, fn := range fns {
		fn(err)
	}
}

// maxAnswerTries bounds how often answer computes a reply again because
// the model changed meanwhile; after that the reply goes out as it is
// (a model changing faster than a reply can be built).
const maxAnswerTries = 100

// answer sends the reply compute builds so that it reflects exactly the
// changes whose signals went out before it, as Qt's adapter, which
// answers within the event loop, does: it computes without holding the
// model, and sends only if no change was signalled meanwhile (else it
// computes again), with order held so that no change is signalled while
// the reply is queued.
func (rm *Remoted) answer(compute func() node.Variant, reply func(node.Variant)) {
	for try := 0; ; try++ {
		rm.order.Lock()
		gen := rm.gen
		rm.order.Unlock()
		v := compute()
		rm.order.Lock()
		if rm.gen == gen || try >= maxAnswerTries {
			reply(v)
			rm.order.Unlock()
			return
		}
		rm.order.Unlock()
	}
}

// replying adapts a request handler to a node.ReplyingHandler that
// answers through answer.
func (rm *Remoted) replying(h node.MethodHandler) node.ReplyingHandler {
	return func(ctx context.Context, args []node.Variant, reply func(node.Variant)) error {
		rm.answer(func() node.Variant { v, _ := h(ctx, args); return v }, reply)
		return nil
	}
}

// Qt6Spelling is one of the names Qt 6 gives the adapter's types.
type Qt6Spelling int

// The spellings, as a GCC-built Qt sends them (Qt 5.15 has one spelling).
const (
	// Qt64Spelling: "QList<ModelIndex>", "DataEntries",
	// "MetaAndDataEntries" (Qt 6.4).
	Qt64Spelling Qt6Spelling = iota
	// Qt68Spelling: "QList<QtPrivate::ModelIndex>",
	// "QtPrivate::DataEntries", "QtPrivate::MetaAndDataEntries" (Qt 6.8
	// and later).
	Qt68Spelling
)

// RemoteOption configures Remote.
type RemoteOption func(*node.Source)

// WithQt6Spelling sets the spelling the host uses towards a Qt 6 replica
// that has not shown its own yet (default Qt64Spelling). A replica shows
// it with its first request naming an index (every request but
// replicaCacheRequest and replicaHeaderRequest), and is answered in it
// from then on; a Qt replica with PrefetchData asks replicaCacheRequest
// first and needs the reply in its spelling, which the host cannot know:
// it gets this one.
func WithQt6Spelling(s Qt6Spelling) RemoteOption {
	return func(src *node.Source) { src.SetQt6Spelling(int(s)) }
}

// Remote remotes m under name on h as Qt's
// QRemoteObjectHostBase::enableRemoting(model, name, roles) does, so that
// Qt's QAbstractItemModelReplica (acquireModel) and Acquire can read it.
// roles are the roles replicas get when they ask for none and that
// dataChanged is filtered by (Qt's availableRoles); nil means every role
// m names, in ascending order (Qt would remote no roles).
//
// On Qt 6 connections the host answers each replica in the spelling of
// the adapter's types that replica uses (Qt 6.4's or Qt 6.8's, see
// Qt6Spelling), learnt from its requests.
func Remote(h *node.Host, m ItemModel, name string, roles []int, opts ...RemoteOption) (*Remoted, error) {
	if h == nil || m == nil {
		return nil, errors.New("qtro model: Remote needs a host and a model")
	}
	if roles == nil {
		for r := range m.RoleNames() {
			roles = append(roles, r)
		}
		slices.Sort(roles)
	}
	rm := &Remoted{h: h, m: m, name: name, roles: slices.Clone(roles)}
	src := node.NewSource(adapterClass())
	rm.src = src
	for _, o := range opts {
		o(src)
	}
	if err := src.SetProperty("availableRoles", intList(roles)); err != nil {
		return nil, err
	}
	if err := src.SetProperty("roleNames", roleNamesVariant(m.RoleNames())); err != nil {
		return nil, err
	}
	handlers := map[string]node.MethodHandler{
		"replicaSetCurrentIndex": rm.setCurrentIndex,
		"replicaSetData":         rm.setData,
	}
	for n, fn := range handlers {
		if err := src.HandleMethod(n, fn); err != nil {
			return nil, err
		}
	}
	// The requests whose replies carry the model's state.
	requests := map[string]node.MethodHandler{
		"replicaSizeRequest":   rm.sizeRequest,
		"replicaRowRequest":    rm.rowRequest,
		"replicaHeaderRequest": rm.headerRequest,
		"replicaCacheRequest":  rm.cacheRequest,
	}
	for n, fn := range requests {
		if err := src.HandleMethodReplying(n, rm.replying(fn)); err != nil {
			return nil, err
		}
	}
	rm.cancel = m.Observe(rm.changed)
	if err := h.EnableRemoting(src, name); err != nil {
		rm.cancel()
		return nil, err
	}
	return rm, nil
}

// CurrentIndex is the model's current index (an empty Path: none).
//
// A Remoted keeps a current index as Qt's adapter does when the model is
// remoted with a QItemSelectionModel: replicas set it
// (replicaSetCurrentIndex, Replica.SetCurrentIndex) and get its changes
// (currentChanged). Selections other than the current index are not
// remoted, as in Qt.
func (rm *Remoted) CurrentIndex() Path {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return slices.Clone(rm.current)
}

// SetCurrentIndex makes p the current index and, when that changes it,
// sends currentChanged(current, previous) to every replica, as Qt's
// QItemSelectionModel::setCurrentIndex does.
func (rm *Remoted) SetCurrentIndex(p Path) {
	rm.mu.Lock()
	prev := rm.current
	if slices.Equal(prev, p) {
		rm.mu.Unlock()
		return
	}
	rm.current = slices.Clone(p)
	// Emitted under mu, so that replicas get the changes in the order
	// they were made.
	_ = rm.src.EmitIndex(sigCurrentChanged, indexList(p), indexList(prev))
	rm.mu.Unlock()
}

func (rm *Remoted) setCurrentIndex(_ context.Context, args []node.Variant) (node.Variant, error) {
	if len(args) < 1 {
		return node.Variant{}, nil
	}
	p, ok := pathArg(args[0])
	if !ok || !valid(rm.m, p) {
		// Qt's adapter would stop the host process (qFatal); an empty list
		// (no current index) is fine.
		return node.Variant{}, nil
	}
	rm.SetCurrentIndex(p)
	return node.Variant{}, nil
}

// Source is the adapter source that carries the model.
func (rm *Remoted) Source() *node.Source { return rm.src }

// Close stops remoting the model (disableRemoting): replicas get
// RemoveObject and changes of the model are no longer sent.
func (rm *Remoted) Close() error {
	rm.cancel()
	return rm.h.DisableRemoting(rm.name)
}

func (rm *Remoted) availableRoles() []int {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.roles
}

// changed sends a change of the model as Qt's adapter does.
func (rm *Remoted) changed(c Change) {
	rm.order.Lock()
	defer rm.order.Unlock()
	rm.gen++
	var err error
	switch c.Kind {
	case DataChanged:
		// Qt's filterRoles: the changed roles that are available (all
		// available roles when the model names none); nothing is sent
		// when none is left.
		roles := rm.availableRoles()
		if len(c.Roles) > 0 {
			var keep []int
			for _, r := range c.Roles {
				if slices.Contains(roles, r) {
					keep = append(keep, r)
				}
			}
			roles = keep
		}
		if len(roles) == 0 {
			return
		}
		err = rm.src.EmitIndex(sigDataChanged, indexList(c.TopLeft), indexList(c.BottomRight), intList(roles))
	case RowsInserted:
		err = rm.src.EmitIndex(sigRowsInserted, indexList(c.Parent), c.First, c.Last)
	case RowsRemoved:
		err = rm.src.EmitIndex(sigRowsRemoved, indexList(c.Parent), c.First, c.Last)
	case RowsMoved:
		// Qt connects QAbstractItemModel::rowsMoved(parent, start, end, ...)
		// to a slot whose third parameter is named count: what travels is
		// the last row moved, and Qt's replica reads it as such.
		err = rm.src.EmitIndex(sigRowsMoved, indexList(c.Parent), c.First, c.Last, indexList(c.Dest), c.DestRow)
	case ColumnsInserted:
		err = rm.src.EmitIndex(sigColumnsInserted, indexList(c.Parent), c.First, c.Last)
	case ModelReset:
		err = rm.src.EmitIndex(sigModelReset)
	case HeaderDataChanged:
		err = rm.src.EmitIndex(sigHeaderDataChanged, int(c.Orientation), c.First, c.Last)
	case LayoutChanged:
		var l []wire.ModelIndex
		for _, p := range c.Parents {
			l = append(l, p.toWire()...) // as Qt: the parents' lists concatenated
		}
		err = rm.src.EmitIndex(sigLayoutChanged, qds.UserOf(typeIndexList, l), 0) // NoLayoutChangeHint
	case CurrentChanged:
		err = rm.src.EmitIndex(sigCurrentChanged, indexList(c.Current), indexList(c.Previous))
	}
	_ = err // only a programming error here (the arguments are built to the signal's types)
}

// valid reports whether every step of p names an item of m.
func valid(m ItemModel, p Path) bool {
	for i := range p {
		parent := p[:i]
		if p[i].Row < 0 || p[i].Column < 0 || p[i].Row >= m.RowCount(parent) || p[i].Column >= m.ColumnCount(parent) {
			return false
		}
	}
	return true
}

func (rm *Remoted) sizeRequest(_ context.Context, args []node.Variant) (node.Variant, error) {
	if len(args) < 1 {
		rm.badRequest("replicaSizeRequest", "%d arguments", len(args))
		return qds.SizeOf(qds.Size{}), nil
	}
	parent, ok := pathArg(args[0])
	if !ok || !valid(rm.m, parent) {
		// Qt's adapter stops the host process (qFatal) on a path to no item.
		rm.badRequest("replicaSizeRequest", "no item at %v", args[0])
		return qds.SizeOf(qds.Size{}), nil
	}
	return qds.SizeOf(qds.Size{W: int32(rm.m.ColumnCount(parent)), H: int32(rm.m.RowCount(parent))}), nil
}

func (rm *Remoted) item(p Path, roles []int) wire.IndexValuePair {
	data := make([]node.Variant, len(roles))
	for i, r := range roles {
		data[i] = rm.m.Data(p, r)
	}
	return wire.IndexValuePair{Index: p.toWire(), Data: data, HasChildren: rm.m.HasChildren(p),
		Flags: int32(rm.m.Flags(p)), Size: qds.Size{W: -1, H: -1}}
}

func (rm *Remoted) rowRequest(_ context.Context, args []node.Variant) (node.Variant, error) {
	var entries wire.DataEntries
	reply := func() (node.Variant, error) { return qds.UserOf(typeDataEntries, entries), nil }
	if len(args) < 3 {
		rm.badRequest("replicaRowRequest", "%d arguments", len(args))
		return reply()
	}
	start, ok1 := pathArg(args[0])
	end, ok2 := pathArg(args[1])
	if !ok1 || !ok2 || len(start) == 0 || len(start) != len(end) {
		rm.badRequest("replicaRowRequest", "start %v and end %v are no range", args[0], args[1])
		return reply()
	}
	roles := ints(args[2])
	if len(roles) == 0 {
		roles = rm.availableRoles()
	}
	parent := start[:len(start)-1]
	if !valid(rm.m, parent) {
		rm.badRequest("replicaRowRequest", "no item at the parent of %v", args[0])
		return reply()
	}
	rows, cols := rm.m.RowCount(parent), rm.m.ColumnCount(parent)
	first, last := start[len(start)-1], end[len(end)-1]
	endRow, endCol := min(last.Row, rows-1), min(last.Column, cols-1)
	firstRow, firstCol := max(first.Row, 0), max(first.Column, 0)
	n := 0
	for row := firstRow; row <= endRow; row++ {
		for col := firstCol; col <= endCol; col++ {
			if n >= MaxItemsPerRequest {
				rm.badRequest("replicaRowRequest", "rows %d..%d, columns %d..%d: more than %d items, answered with the first", firstRow, endRow, firstCol, endCol, MaxItemsPerRequest)
				return reply()
			}
			n++
			p := append(slices.Clip(parent), Index{row, col})
			entries.Data = append(entries.Data, rm.item(p, roles))
		}
	}
	return reply()
}

func (rm *Remoted) headerRequest(_ context.Context, args []node.Variant) (node.Variant, error) {
	if len(args) < 3 {
		rm.badRequest("replicaHeaderRequest", "%d arguments", len(args))
		return qds.ListOf(nil), nil
	}
	orients := ints(args[0])
	sections, roles := ints(args[1]), ints(args[2])
	n := min(len(orients), len(sections), len(roles), MaxItemsPerRequest)
	out := make([]node.Variant, n)
	for i := range n {
		out[i] = rm.m.HeaderData(sections[i], Orientation(orients[i]), roles[i])
	}
	return qds.ListOf(out), nil
}

func (rm *Remoted) setData(_ context.Context, args []node.Variant) (node.Variant, error) {
	if len(args) < 3 {
		return node.Variant{}, nil
	}
	p, ok := pathArg(args[0])
	e, editable := rm.m.(Editable)
	if !ok || !editable || len(p) == 0 || !valid(rm.m, p) {
		return node.Variant{}, nil
	}
	e.SetData(p, args[1], int(args[2].Int()))
	return node.Variant{}, nil
}

// cacheRequest answers replicaCacheRequest(size, roles): the first size
// items of the tree, depth first, with their children's sizes (Qt's
// fetchTree), the roles they carry and the size of the root.
func (rm *Remoted) cacheRequest(_ context.Context, args []node.Variant) (node.Variant, error) {
	var res wire.MetaAndDataEntries
	if len(args) < 2 {
		rm.badRequest("replicaCacheRequest", "%d arguments", len(args))
	} else {
		size := args[0].Uint()
		if args[0].Type() == qds.Int || args[0].Type() == qds.LongLong {
			size = uint64(max(args[0].Int(), 0))
		}
		if size > MaxItemsPerRequest {
			rm.badRequest("replicaCacheRequest", "%d items: more than %d, answered with the first", size, MaxItemsPerRequest)
			size = MaxItemsPerRequest
		}
		roles := ints(args[1])
		if len(roles) == 0 {
			roles = rm.availableRoles()
		}
		for _, r := range roles {
			res.Roles = append(res.Roles, int32(r))
		}
		res.Data = rm.fetchTree(Path{}, &size, roles, 0)
	}
	res.Size = qds.Size{W: int32(rm.m.ColumnCount(nil)), H: int32(rm.m.RowCount(nil))}
	return qds.UserOf(typeMetaAndData, res), nil
}

// maxDepth bounds the recursion of fetchTree (a model is not trusted to be finite).
const maxDepth = 64

func (rm *Remoted) fetchTree(parent Path, size *uint64, roles []int, depth int) []wire.IndexValuePair {
	rows, cols := rm.m.RowCount(parent), rm.m.ColumnCount(parent)
	var out []wire.IndexValuePair
	for row := 0; row < rows && *size > 0; row++ {
		for col := 0; col < cols && *size > 0; col++ {
			p := append(slices.Clip(parent), Index{row, col})
			it := rm.item(p, roles)
			it.Size = qds.Size{W: int32(rm.m.ColumnCount(p)), H: int32(rm.m.RowCount(p))}
			*size--
			if it.HasChildren && depth < maxDepth {
				it.Children = rm.fetchTree(p, size, roles, depth+1)
			}
			out = append(out, it)
		}
	}
	return out
}
