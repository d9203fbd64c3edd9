package model

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// InitialAction is what a replica asks for once it is connected (Qt's
// QtRemoteObjects::InitialAction).
type InitialAction int

// Initial actions, with Qt's values.
const (
	// FetchRootSize asks for the root's size only; rows are fetched when
	// they are read. Qt's default. (Qt asks with replicaSizeRequest, this
	// package with a replicaCacheRequest for no items: see Replica.)
	FetchRootSize InitialAction = iota
	// PrefetchData asks for the first cache-size items with their data
	// (replicaCacheRequest).
	PrefetchData
)

// DefaultCacheSize is how many rows a replica keeps (Qt's
// DefaultNodesCacheSize; Qt also reads QTRO_NODES_CACHE_SIZE).
const DefaultCacheSize = 1000

// Option configures Acquire.
type Option func(*Replica)

// WithInitialAction sets the initial action (default FetchRootSize).
func WithInitialAction(a InitialAction) Option { return func(r *Replica) { r.action = a } }

// WithRolesHint sets the roles the replica asks for (Qt's rolesHint);
// empty means the host's available roles.
func WithRolesHint(roles ...int) Option { return func(r *Replica) { r.hint = slices.Clone(roles) } }

// WithCacheSize bounds the rows the replica keeps (least recently used
// rows are dropped first) and the items a PrefetchData asks for.
func WithCacheSize(rows int) Option {
	return func(r *Replica) {
		if rows > 0 {
			r.cacheSize = rows
		}
	}
}

// Replica is a remote item model (Qt's QAbstractItemModelReplica): the
// rows under the root, and those under an item on request (Children). It
// mirrors the source's row and column counts,
// keeps up to the cache size of rows, fetches the rows that are read and
// not cached, refetches cached rows the source changes, and tells
// observers about changes as Qt's replica signals them: RowsInserted,
// RowsRemoved, RowsMoved, ColumnsInserted, HeaderDataChanged at once,
// ModelReset once the new size is known (also after the first
// initialisation and after each re-initialisation), LayoutChanged once the
// rows after a layout change are known (Qt's replica asks for the first
// cache-size items again), and DataChanged when
// fetched data has arrived (the first fetch of rows too, as Qt).
//
// Its first request after each initialisation is a replicaCacheRequest
// (for no items with FetchRootSize), whose reply teaches the connection
// which Qt 6 spelling of the adapter's types the host uses; requests go
// out in that spelling from then on.
//
// Its methods are safe for concurrent use. Observers run one at a time
// on the replica's goroutine and must not block on the replica (Fetch,
// WaitForInit, HeaderData).
type Replica struct {
	rep       *node.Replica
	action    InitialAction
	hint      []int
	cacheSize int

	queue    chan any
	done     chan struct{}
	stopOnce sync.Once
	ctx      context.Context // ends with the replica: calls still waited for are given up
	cancel   context.CancelFunc

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change of state
	inited  bool
	rows    int
	cols    int
	roles   []int // available roles (the property)
	names   map[int]string
	gen     uint64         // bumped by every change of the source's shape (rows, columns, reset)
	seq     uint64         // numbers row requests
	minSeq  map[int]uint64 // row -> the first request whose reply may fill it (after a dataChanged)
	sizeGen uint64         // gen of the size or cache request in flight (0: none)
	// resetPending: the request in flight is a reset's (ModelReset follows), not a layout change's
	resetPending bool
	cache        map[int]*cachedRow
	tick         uint64 // LRU clock
	inflight     map[int]bool
	refetch      []int // rows dataChanged dropped, asked for when the queue is drained (Qt's fetchPendingData)
	obs          observers
	lastError    error
	current      Path
}

type cachedRow struct {
	cells []cachedCell
	used  uint64
}

type cachedCell struct {
	data  map[int]node.Variant
	flags ItemFlags
}

// Results of calls, sent to the replica's goroutine.
type (
	sizeResult struct {
		gen    uint64
		v      node.Variant
		err    error
		layout bool // after layoutChanged
	}
	rowsResult struct {
		gen         uint64
		first, last int
		seq         uint64
		roles       []int
		v           node.Variant
		err         error
	}
	fetchRequest struct{ first, last int }
)

// Acquire acquires the model remoted under name (Qt:
// QRemoteObjectNode::acquireModel(name, action, rolesHint)). The replica
// initialises when the node is connected to a host that has it, and
// again whenever the source comes back.
func Acquire(n *node.Node, name string, opts ...Option) (*Replica, error) {
	r := &Replica{cacheSize: DefaultCacheSize, queue: make(chan any, 1024), done: make(chan struct{}),
		changed: make(chan struct{}), cache: map[int]*cachedRow{}, inflight: map[int]bool{}, minSeq: map[int]uint64{}}
	for _, o := range opts {
		o(r)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	rep, err := n.Acquire(name, adapterProvider{adapterClass()}, node.WithSubscriber(func(ev node.Event) { r.post(ev) }))
	if err != nil {
		r.stop()
		return nil, err
	}
	r.rep = rep
	return r, nil
}

// post queues an item for the replica's goroutine, in order.
func (r *Replica) post(x any) {
	select {
	case r.queue <- x:
	case <-r.done:
	}
}

func (r *Replica) stop() {
	r.stopOnce.Do(func() {
		close(r.done)
		r.cancel()
	})
}

// Release releases the replica.
func (r *Replica) Release() {
	if r.rep != nil {
		r.rep.Release()
	}
	r.stop()
}

// Node is the underlying replica of the adapter source.
func (r *Replica) Node() *node.Replica { return r.rep }

// Observe calls fn for each change, in order, until cancel is called.
func (r *Replica) Observe(fn func(Change)) (cancel func()) {
	r.mu.Lock()
	id := r.obs.add(fn)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.obs.remove(id)
		r.mu.Unlock()
	}
}

// wakeLocked tells waiters that the state changed.
func (r *Replica) wakeLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Replica) notify(c Change) {
	r.mu.Lock()
	list := r.obs.list
	r.mu.Unlock()
	for _, fn := range list {
		fn(c)
	}
}

// wait waits until cond (called under r.mu) holds.
func (r *Replica) wait(ctx context.Context, cond func() bool) error {
	for {
		r.mu.Lock()
		ok, ch, err := cond(), r.changed, r.lastError
		r.mu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
			return errors.New("qtro model: replica released")
		}
	}
}

// WaitForInit waits until the replica knows the source's size (and, with
// PrefetchData, has the first items).
func (r *Replica) WaitForInit(ctx context.Context) error {
	return r.wait(ctx, func() bool { return r.inited })
}

// IsInitialized says whether the replica knows the source's size.
func (r *Replica) IsInitialized() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inited
}

// RowCount is the number of rows under the root.
func (r *Replica) RowCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows
}

// ColumnCount is the number of columns under the root.
func (r *Replica) ColumnCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cols
}

// AvailableRoles are the roles the source offers (its availableRoles).
func (r *Replica) AvailableRoles() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.roles)
}

// RoleNames are the source model's role names.
func (r *Replica) RoleNames() map[int]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.names)
}

// Data returns the cached value of an item for a role; ok is false when
// the row is not cached, and then the row is fetched (a DataChanged
// follows when it has arrived), as Qt's replica does.
func (r *Replica) Data(row, column, role int) (v node.Variant, ok bool) {
	r.mu.Lock()
	c := r.cellLocked(row, column)
	if c != nil {
		v, ok = c.data[role]
	}
	fetch := c == nil && r.inited && row >= 0 && row < r.rows
	r.mu.Unlock()
	if fetch {
		r.post(fetchRequest{row, row})
	}
	return v, ok
}

// Flags returns the cached flags of an item; ok as for Data.
func (r *Replica) Flags(row, column int) (f ItemFlags, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cellLocked(row, column); c != nil {
		return c.flags, true
	}
	return 0, false
}

func (r *Replica) cellLocked(row, column int) *cachedCell {
	cr := r.cache[row]
	if cr == nil || column < 0 || column >= len(cr.cells) {
		return nil
	}
	r.tick++
	cr.used = r.tick
	return &cr.cells[column]
}

// Fetch fetches rows first..last (clamped to the row count) and waits
// until they are all cached. Asking for more rows than the cache holds
// fails, since they could not all stay.
func (r *Replica) Fetch(ctx context.Context, first, last int) error {
	if last-first+1 > r.cacheSize {
		return fmt.Errorf("qtro model: fetch of %d rows, more than the cache size %d", last-first+1, r.cacheSize)
	}
	if err := r.WaitForInit(ctx); err != nil {
		return err
	}
	for {
		var missing []int
		r.mu.Lock()
		for row := max(first, 0); row <= min(last, r.rows-1); row++ {
			if r.cache[row] == nil {
				missing = append(missing, row)
			}
		}
		ch := r.changed
		r.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		r.post(fetchRequest{missing[0], missing[len(missing)-1]})
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
			return errors.New("qtro model: replica released")
		}
	}
}

// HeaderData asks the source for a header section's value for a role.
func (r *Replica) HeaderData(ctx context.Context, section int, o Orientation, role int) (node.Variant, error) {
	orient := qds.UserOf(typeOrientList, []node.Variant{qds.UserOf(typeOrientation, int64(o))})
	pc, err := r.rep.InvokeIndex(methHeaderRequest, []node.Variant{orient, intList([]int{section}), intList([]int{role})}, true)
	if err != nil {
		return node.Variant{}, err
	}
	v, err := pc.Wait(ctx)
	if err != nil {
		return node.Variant{}, err
	}
	l, _ := v.Value().([]node.Variant)
	if len(l) != 1 {
		return node.Variant{}, fmt.Errorf("qtro model: header reply of %d values", len(l))
	}
	return l[0], nil
}

// SetData asks the source to set an item's value for a role
// (replicaSetData); the change comes back as a DataChanged.
func (r *Replica) SetData(row, column int, x any, role int) error {
	v, err := node.ValueOf(x)
	if err != nil {
		return err
	}
	_, err = r.rep.InvokeIndex(methSetData, []node.Variant{indexList(Item(row, column)), v, qds.IntOf(int32(role))}, false)
	return err
}

// CurrentIndex is the source's current index as the replica last heard
// of it (currentChanged); an empty Path when none or not heard of yet.
func (r *Replica) CurrentIndex() Path {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.current)
}

// selectCurrent is QItemSelectionModel::Clear|Select|Current, the command
// Qt's replica sends with replicaSetCurrentIndex.
const selectCurrent = 0x0001 | 0x0002 | 0x0010

// SetCurrentIndex asks the source to make an item its current index
// (replicaSetCurrentIndex, as Qt's replica does when its selection
// model's current index changes); the change comes back as a
// CurrentChanged. Qt's source ignores it unless the model was remoted
// with a selection model.
func (r *Replica) SetCurrentIndex(row, column int) error {
	_, err := r.rep.InvokeIndex(methSetCurrentIndex, []node.Variant{indexList(Item(row, column)), qds.UserOf(typeSelectFlags, int64(selectCurrent))}, false)
	return err
}

// run is the replica's goroutine: it applies events and replies in order.
func (r *Replica) run() {
	for {
		select {
		case <-r.done:
			return
		case x := <-r.queue:
			if len(r.refetch) > 0 && !coalesces(x) {
				r.flushRefetch()
			}
			r.handle(x)
			if len(r.refetch) > 0 && len(r.queue) == 0 {
				r.flushRefetch()
			}
		}
	}
}

// coalesces says whether x may be handled before the rows dataChanged
// dropped are asked for again: another dataChanged (its rows join the same
// requests, as Qt's replica merges the requests of one event-loop turn),
// a reply or a read. Anything that may change the shape flushes first.
func coalesces(x any) bool {
	switch x := x.(type) {
	case node.Event:
		return x.Kind == node.SignalEmitted && x.Child == "" && x.Index == sigDataChanged
	case rowsResult, fetchRequest:
		return true
	}
	return false
}

// flushRefetch asks for the rows dataChanged dropped, one request per
// run of consecutive rows.
func (r *Replica) flushRefetch() {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := r.refetch
	r.refetch = nil
	slices.Sort(rows)
	rows = slices.Compact(rows)
	for k := 0; k < len(rows); {
		end := k
		for end+1 < len(rows) && rows[end+1] == rows[end]+1 {
			end++
		}
		r.requestLocked(rows[k], rows[end])
		k = end + 1
	}
}

func (r *Replica) handle(x any) {
	switch x := x.(type) {
	case node.Event:
		r.event(x)
	case sizeResult:
		r.sized(x)
	case rowsResult:
		r.rowsArrived(x)
	case fetchRequest:
		r.fetch(x.first, x.last)
	}
}

func (r *Replica) event(ev node.Event) {
	switch ev.Kind {
	case node.Initialized:
		r.mu.Lock()
		if len(ev.Values) >= 2 {
			r.roles = ints(ev.Values[0])
			r.names = roleNamesOf(ev.Values[1])
		}
		r.mu.Unlock()
		r.reset()
	case node.PropertyChanged:
		if ev.Index == 0 && ev.Child == "" && !ev.FromInit {
			r.mu.Lock()
			r.roles = ints(ev.Value)
			r.mu.Unlock()
		}
	case node.SignalEmitted:
		if ev.Child == "" {
			r.signal(ev.Index, ev.Args)
		}
	}
}

// reset drops everything and asks for the size (or the first items) again.
func (r *Replica) reset() { r.reinit(false) }

// reinit drops everything and asks for the size and items again: after
// a reset (ModelReset follows), or after layoutChanged (LayoutChanged
// follows; Qt's replica asks for the first cache-size items then, with
// either initial action).
func (r *Replica) reinit(layout bool) {
	r.mu.Lock()
	// A reset still unanswered stays a reset: the layout change is part
	// of what its reply will show.
	if r.resetPending {
		layout = false
	}
	r.resetPending = !layout
	r.gen++
	gen := r.gen
	r.sizeGen = gen
	r.cache = map[int]*cachedRow{}
	r.inflight = map[int]bool{}
	r.minSeq = map[int]uint64{}
	r.wakeLocked()
	r.mu.Unlock()
	// Unlike Qt's replica, which asks FetchRootSize's size with
	// replicaSizeRequest, ask with replicaCacheRequest for no items
	// (Qt's adapter answers the root's size, and no data): its arguments
	// carry no model type, so the request is read whatever spelling the
	// host has, and its reply's MetaAndDataEntries teaches the connection
	// the host's spelling before any request with an index list goes out
	// (node.RegisterQt6Spellings).
	items := 0
	if r.action == PrefetchData || layout {
		items = r.cacheSize
	}
	pc, err := r.rep.InvokeIndex(methCacheRequest, []node.Variant{qds.IntegerOf(qds.ULong, int64(items)), intList(r.hint)}, true)
	if err != nil {
		return // not Valid: the next Init resets again
	}
	go func() {
		v, err := pc.Wait(r.ctx)
		r.post(sizeResult{gen: gen, v: v, err: err, layout: layout})
	}()
}

func (r *Replica) sized(s sizeResult) {
	r.mu.Lock()
	if s.gen != r.gen || s.err != nil {
		stale := s.gen == r.sizeGen // our request, overtaken: ask again
		r.mu.Unlock()
		if stale && s.err == nil {
			r.reinit(s.layout)
		}
		return
	}
	kind := ModelReset
	if s.layout && r.inited {
		kind = LayoutChanged
	}
	r.sizeGen = 0
	r.resetPending = false
	md, _ := s.v.Value().(wire.MetaAndDataEntries)
	size := md.Size
	r.rows, r.cols = max(int(size.H), 0), max(int(size.W), 0)
	roles := make([]int, len(md.Roles))
	for i, x := range md.Roles {
		roles[i] = int(x)
	}
	for _, it := range md.Data {
		r.fillLocked(it, roles, r.seq)
	}
	r.inited = true
	r.wakeLocked()
	r.mu.Unlock()
	r.notify(Change{Kind: kind})
}

// fillLocked stores one item of a reply (root rows only).
func (r *Replica) fillLocked(it wire.IndexValuePair, roles []int, seq uint64) {
	if len(it.Index) != 1 {
		return
	}
	row, col := int(it.Index[0].Row), int(it.Index[0].Column)
	if row < 0 || row >= r.rows || col < 0 || col >= r.cols {
		return
	}
	if seq < r.minSeq[row] {
		return // asked for before the row changed: a newer request is under way
	}
	cr := r.cache[row]
	if cr == nil {
		r.evictLocked()
		cr = &cachedRow{}
		r.cache[row] = cr
	}
	// Cells up to the last one filled: a host may claim any number of columns.
	for len(cr.cells) <= col {
		cr.cells = append(cr.cells, cachedCell{})
	}
	r.tick++
	cr.used = r.tick
	c := &cr.cells[col]
	if c.data == nil {
		c.data = map[int]node.Variant{}
	}
	c.flags = ItemFlags(it.Flags)
	for i, v := range it.Data {
		if i < len(roles) {
			c.data[roles[i]] = v
		}
	}
}

// evictLocked makes room for one more row.
func (r *Replica) evictLocked() {
	for len(r.cache) >= r.cacheSize {
		oldest, at := -1, uint64(0)
		for row, cr := range r.cache {
			if oldest < 0 || cr.used < at {
				oldest, at = row, cr.used
			}
		}
		delete(r.cache, oldest)
	}
}

// fetch asks for rows first..last not cached nor asked for already.
func (r *Replica) fetch(first, last int) {
	r.mu.Lock()
	if !r.inited || r.cols == 0 {
		r.mu.Unlock()
		return
	}
	first, last = max(first, 0), min(last, r.rows-1, first+r.cacheSize-1)
	for first <= last && (r.inflight[first] || r.cache[first] != nil) {
		first++
	}
	for last >= first && (r.inflight[last] || r.cache[last] != nil) {
		last--
	}
	if first > last {
		r.mu.Unlock()
		return
	}
	r.requestLocked(first, last)
	r.mu.Unlock()
}

// requestLocked sends a row request for rows first..last, all columns.
func (r *Replica) requestLocked(first, last int) {
	for row := first; row <= last; row++ {
		r.inflight[row] = true
	}
	roles := r.hint
	if len(roles) == 0 {
		roles = r.roles
	}
	r.seq++
	gen, cols, seq := r.gen, r.cols, r.seq
	pc, err := r.rep.InvokeIndex(methRowRequest, []node.Variant{indexList(Item(first, 0)), indexList(Item(last, cols-1)), intList(roles)}, true)
	if err != nil {
		for row := first; row <= last; row++ {
			delete(r.inflight, row)
		}
		return
	}
	go func() {
		v, err := pc.Wait(r.ctx)
		r.post(rowsResult{gen: gen, seq: seq, first: first, last: last, roles: roles, v: v, err: err})
	}()
}

func (r *Replica) rowsArrived(x rowsResult) {
	r.mu.Lock()
	if x.gen != r.gen {
		// The source changed since the request: its rows may be other
		// rows now. Drop the reply; waiters ask again.
		r.wakeLocked()
		r.mu.Unlock()
		return
	}
	for row := x.first; row <= x.last; row++ {
		if x.seq >= r.minSeq[row] {
			delete(r.inflight, row)
		}
	}
	if x.err != nil {
		r.wakeLocked()
		r.mu.Unlock()
		return
	}
	de, _ := x.v.Value().(wire.DataEntries)
	for _, it := range de.Data {
		r.fillLocked(it, x.roles, x.seq)
	}
	for row := x.first; row <= x.last; row++ {
		if m, ok := r.minSeq[row]; ok && x.seq >= m {
			delete(r.minSeq, row)
		}
	}
	last := min(x.last, r.rows-1)
	cols := r.cols
	r.wakeLocked()
	r.mu.Unlock()
	if x.first <= last && cols > 0 {
		r.notify(Change{Kind: DataChanged, TopLeft: Item(x.first, 0), BottomRight: Item(last, cols-1), Roles: x.roles})
	}
}

// signal applies a signal of the source.
func (r *Replica) signal(i int, args []node.Variant) {
	arg := func(k int) node.Variant {
		if k < len(args) {
			return args[k]
		}
		return node.Variant{}
	}
	argInt := func(k int) int { return intOf(arg(k)) }
	parent, _ := pathArg(arg(0))
	switch i {
	case sigDataChanged:
		tl, ok1 := pathArg(arg(0))
		br, ok2 := pathArg(arg(1))
		if !ok1 || !ok2 || len(tl) != 1 || len(br) != 1 {
			return
		}
		r.mu.Lock()
		// Drop the cached rows in range and fetch again those that were
		// cached or asked for; replies to earlier requests no longer fill them.
		var refetch []int
		lo, hi := max(tl[0].Row, 0), min(br[0].Row, r.rows-1)
		if hi-lo+1 > len(r.cache)+len(r.inflight) {
			// A range wider than what is kept (a hostile host may name
			// 2^31 rows): look at the kept rows instead of the range.
			for row := range r.cache {
				refetch = append(refetch, row)
			}
			for row := range r.inflight {
				refetch = append(refetch, row)
			}
			slices.Sort(refetch)
			refetch = slices.Compact(refetch)
			refetch = slices.DeleteFunc(refetch, func(row int) bool { return row < lo || row > hi })
		} else {
			for row := lo; row <= hi; row++ {
				if r.cache[row] != nil || r.inflight[row] {
					refetch = append(refetch, row)
				}
			}
		}
		// Asked for again once the queue is drained (flushRefetch), with
		// the rows of the dataChanged signals queued behind this one. In
		// flight meanwhile, so that reads do not ask for them too.
		for _, row := range refetch {
			delete(r.cache, row)
			r.minSeq[row] = r.seq + 1
			r.inflight[row] = true
		}
		r.refetch = append(r.refetch, refetch...)
		r.wakeLocked()
		r.mu.Unlock()
	case sigRowsInserted, sigRowsRemoved:
		first, last := argInt(1), argInt(2)
		if len(parent) != 0 || first < 0 || last < first {
			return
		}
		n := last - first + 1
		r.mu.Lock()
		if !r.inited {
			// The size asked for may or may not count this change: ask again.
			r.gen++
			r.mu.Unlock()
			return
		}
		if i == sigRowsRemoved {
			n = -n
		}
		if (i == sigRowsRemoved && last >= r.rows) || (i == sigRowsInserted && first > r.rows) {
			// Rows this replica does not have: it lost track; start over.
			r.mu.Unlock()
			r.reset()
			return
		}
		r.gen++
		r.rows += n
		shifted := make(map[int]*cachedRow, len(r.cache))
		for row, cr := range r.cache {
			switch {
			case row < first:
				shifted[row] = cr
			case i == sigRowsRemoved && row <= last:
			default:
				shifted[row+n] = cr
			}
		}
		r.cache = shifted
		r.inflight = map[int]bool{}
		r.minSeq = map[int]uint64{}
		r.wakeLocked()
		r.mu.Unlock()
		kind := RowsInserted
		if i == sigRowsRemoved {
			kind = RowsRemoved
		}
		r.notify(Change{Kind: kind, Parent: Path{}, First: first, Last: last})
	case sigRowsMoved:
		dest, _ := pathArg(arg(3))
		r.mu.Lock()
		r.gen++
		if !r.inited {
			r.mu.Unlock()
			return
		}
		r.cache = map[int]*cachedRow{} // Qt's replica clears the rows involved; this one all
		r.inflight = map[int]bool{}
		r.minSeq = map[int]uint64{}
		r.wakeLocked()
		r.mu.Unlock()
		r.notify(Change{Kind: RowsMoved, Parent: parent, First: argInt(1), Last: argInt(2), Dest: dest, DestRow: argInt(4)})
	case sigColumnsInserted:
		first, last := argInt(1), argInt(2)
		if len(parent) != 0 || first < 0 || last < first {
			return
		}
		r.mu.Lock()
		r.gen++
		if !r.inited {
			r.mu.Unlock()
			return
		}
		r.cols += last - first + 1
		r.cache = map[int]*cachedRow{}
		r.inflight = map[int]bool{}
		r.minSeq = map[int]uint64{}
		r.wakeLocked()
		r.mu.Unlock()
		r.notify(Change{Kind: ColumnsInserted, Parent: Path{}, First: first, Last: last})
	case sigModelReset:
		r.reset()
	case sigLayoutChanged:
		r.reinit(true)
	case sigHeaderDataChanged:
		r.notify(Change{Kind: HeaderDataChanged, Orientation: Orientation(argInt(0)), First: argInt(1), Last: argInt(2)})
	case sigCurrentChanged:
		prev, _ := pathArg(arg(1))
		r.mu.Lock()
		r.current = parent
		r.wakeLocked()
		r.mu.Unlock()
		r.notify(Change{Kind: CurrentChanged, Current: parent, Previous: prev})
	}
}

// A ChildItem is one item that Children read: its data by role, flags, and
// whether it has rows under it.
type ChildItem struct {
	Data        map[int]node.Variant
	Flags       ItemFlags
	HasChildren bool
}

// Children reads rows first..last (clamped) of the rows under the item
// at parent, a path from the root (a tree's children), as Qt's replica
// does when a view expands an item: it asks the source for the size
// under parent (replicaSizeRequest of its path), then for the items
// (replicaRowRequest from parent's row first to its row last, with roles;
// none: the available roles). It returns the rows and columns under
// parent and one []ChildItem per row read. Unlike Qt's replica it keeps no
// children: every call asks the source, and changes under an item are
// not followed (the rows under the root are).
func (r *Replica) Children(ctx context.Context, parent Path, first, last int, roles []int) (rows, columns int, items [][]ChildItem, err error) {
	if len(parent) == 0 {
		return 0, 0, nil, errors.New("qtro model: Children needs an item (the root's rows are Data's)")
	}
	if err := r.WaitForInit(ctx); err != nil {
		return 0, 0, nil, err
	}
	call := func(method int, args ...node.Variant) (node.Variant, error) {
		pc, err := r.rep.InvokeIndex(method, args, true)
		if err != nil {
			return node.Variant{}, err
		}
		return pc.Wait(ctx)
	}
	v, err := call(methSizeRequest, indexList(parent))
	if err != nil {
		return 0, 0, nil, err
	}
	size, _ := v.Value().(qds.Size)
	rows, columns = max(int(size.H), 0), max(int(size.W), 0)
	first, last = max(first, 0), min(last, rows-1)
	if first > last || columns == 0 {
		return rows, columns, nil, nil
	}
	if len(roles) == 0 {
		roles = r.AvailableRoles()
	}
	from := append(slices.Clone(parent), Index{first, 0})
	to := append(slices.Clone(parent), Index{last, columns - 1})
	v, err = call(methRowRequest, indexList(from), indexList(to), intList(roles))
	if err != nil {
		return rows, columns, nil, err
	}
	de, _ := v.Value().(wire.DataEntries)
	items = make([][]ChildItem, last-first+1)
	for i := range items {
		items[i] = make([]ChildItem, columns)
	}
	for _, it := range de.Data {
		p := pathOf(it.Index)
		if len(p) != len(parent)+1 || !slices.Equal(p[:len(parent)], parent) {
			continue
		}
		row, col := p[len(parent)].Row, p[len(parent)].Column
		if row < first || row > last || col < 0 || col >= columns {
			continue
		}
		data := make(map[int]node.Variant, len(roles))
		for k, role := range roles {
			if k < len(it.Data) && it.Data[k].IsValid() {
				data[role] = it.Data[k]
			}
		}
		items[row-first][col] = ChildItem{Data: data, Flags: ItemFlags(it.Flags), HasChildren: it.HasChildren}
	}
	return rows, columns, items, nil
}
