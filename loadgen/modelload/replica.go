package modelload

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/clock"
)

// Percentiles are nearest-rank percentiles of samples (sorted in place),
// as the replica processes of both implementations report them.
func Percentiles(s []int64) map[string]any {
	if len(s) == 0 {
		return map[string]any{"n": 0}
	}
	slices.Sort(s)
	at := func(q float64) int64 {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return map[string]any{"n": len(s), "minNs": s[0], "p50Ns": at(0.5), "p90Ns": at(0.9), "p99Ns": at(0.99),
		"p999Ns": at(0.999), "maxNs": s[len(s)-1]}
}

// replicaSet is the replica process's state.
type replicaSet struct {
	url, name string
	cache     int
	o         *out
	nodes     []*node.Node
	reps      []*model.Replica
	rows0     []int                                   // row count of each replica when it was made
	handler   atomic.Pointer[func(int, model.Change)] // the running command's observer
}

// Replicas runs the model replica process of the protocol (see the
// package comment): replicas of the model name at url, each with a root
// cache of cache rows, driven by the commands read from in.
func Replicas(ctx context.Context, url, name string, cache int, in io.Reader, w io.Writer) error {
	if cache <= 0 {
		cache = model.DefaultCacheSize
	}
	rs := &replicaSet{url: url, name: name, cache: cache, o: &out{w: w}}
	defer rs.closeAll()
	rs.o.line("ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		l := sc.Text()
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if err := rs.command(ctx, f); err != nil {
			rs.o.emit("error", err.Error(), "cmd", l)
		}
	}
	return nil
}

func (rs *replicaSet) closeAll() {
	for _, r := range rs.reps {
		r.Release()
	}
	for _, n := range rs.nodes {
		_ = n.Close()
	}
	rs.nodes, rs.reps, rs.rows0 = nil, nil, nil
}

// fetchAll fetches rows first..last of r in chunks of at most the cache
// size (and 1,000), all asked for at once; it returns when they are all
// cached.
func (rs *replicaSet) fetchAll(ctx context.Context, r *model.Replica, first, last int) error {
	chunk := min(rs.cache, 1000)
	var wg sync.WaitGroup
	errs := make(chan error, (last-first)/chunk+1)
	for a := first; a <= last; a += chunk {
		wg.Add(1)
		go func(a, b int) {
			defer wg.Done()
			if err := r.Fetch(ctx, a, b); err != nil {
				errs <- err
			}
		}(a, min(a+chunk-1, last))
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (rs *replicaSet) acquire() (*node.Node, *model.Replica, error) {
	n := node.NewNode(node.Config{RetryInterval: 100 * time.Millisecond})
	r, err := model.Acquire(n, rs.name, model.WithRolesHint(Roles...), model.WithCacheSize(rs.cache))
	if err != nil {
		_ = n.Close()
		return nil, nil, err
	}
	i := len(rs.reps)
	r.Observe(func(c model.Change) {
		if h := rs.handler.Load(); h != nil {
			(*h)(i, c)
		}
	})
	if err := n.ConnectToNode(rs.url); err != nil {
		r.Release()
		_ = n.Close()
		return nil, nil, err
	}
	return n, r, nil
}

// idAt reads row's ID (UserRole) and checks its DisplayRole matches; ok
// is false when the replica does not have the row. It never fetches
// (Replica.Data would ask for a row it does not have, and from an
// observer that may block the replica's goroutine on its own queue).
func idAt(r *model.Replica, row int) (int64, bool) {
	if _, cached := r.Flags(row, 0); !cached {
		return 0, false
	}
	v, ok := r.Data(row, 0, RoleValue)
	if !ok {
		return 0, false
	}
	id := v.Int()
	d, _ := r.Data(row, 0, RoleDisplay)
	if d.Str() != "r"+strconv.FormatInt(id, 10) {
		return -1, true
	}
	return id, true
}

func (rs *replicaSet) command(ctx context.Context, w []string) error {
	switch w[0] {
	case "first":
		a, err := ints(w, 3)
		if err != nil {
			return err
		}
		return rs.first(ctx, int(a[0]), int(a[1]), time.Duration(a[2])*time.Millisecond)
	case "replicas":
		a, err := ints(w, 3)
		if err != nil {
			return err
		}
		return rs.keep(ctx, int(a[0]), int(a[1]), time.Duration(a[2])*time.Millisecond)
	case "insert":
		a, err := ints(w, 5)
		if err != nil {
			return err
		}
		return rs.insert(ctx, int(a[0]), int(a[1]), a[2], a[3], time.Duration(a[4])*time.Millisecond)
	case "changes":
		a, err := ints(w, 5)
		if err != nil {
			return err
		}
		return rs.changes(ctx, a[0], a[1], a[2], a[3], time.Duration(a[4])*time.Millisecond)
	case "close":
		rs.closeAll()
		rs.o.emit("event", "closed")
		return nil
	}
	return fmt.Errorf("unknown command %q", w[0])
}

// first: k fresh replicas one after another, each timed from its connect
// to having rows 0..rows-1.
func (rs *replicaSet) first(ctx context.Context, k, rows int, timeout time.Duration) error {
	if k <= 0 || rows <= 0 || rows > rs.cache {
		return fmt.Errorf("first: need k > 0 and 0 < rows <= cache (%d)", rs.cache)
	}
	var samples []int64
	bad, failed := 0, 0
	var firstErr string
	for range k {
		start := clock.Now()
		n := node.NewNode(node.Config{RetryInterval: 100 * time.Millisecond})
		r, err := model.Acquire(n, rs.name, model.WithRolesHint(Roles...), model.WithCacheSize(rs.cache))
		if err == nil {
			err = n.ConnectToNode(rs.url)
		}
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			err = r.Fetch(cctx, 0, rows-1)
			cancel()
		}
		end := clock.Now()
		if err == nil {
			samples = append(samples, end-start)
			for row := range min(rows, r.RowCount()) {
				if id, ok := idAt(r, row); !ok || id != int64(row) {
					bad++
				}
			}
		} else {
			failed++
			if firstErr == "" {
				firstErr = err.Error()
			}
		}
		if r != nil {
			r.Release()
		}
		_ = n.Close()
	}
	rs.o.emit("event", "first", "count", k, "done", len(samples), "failed", failed, "firstError", firstErr, "bad", bad,
		"samples", slices.Clone(samples), "latency", Percentiles(samples))
	return nil
}

// keep makes n replicas that stay up, each initialised and holding rows
// 0..fetch-1.
func (rs *replicaSet) keep(ctx context.Context, n, fetch int, timeout time.Duration) error {
	if n <= 0 || fetch > rs.cache {
		return fmt.Errorf("replicas: need n > 0 and fetch <= cache (%d)", rs.cache)
	}
	rs.handler.Store(nil)
	rs.closeAll()
	for range n {
		nd, r, err := rs.acquire()
		if err != nil {
			return err
		}
		rs.nodes, rs.reps = append(rs.nodes, nd), append(rs.reps, r)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var ready atomic.Int64
	var wg sync.WaitGroup
	rs.rows0 = make([]int, n)
	for i, r := range rs.reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.WaitForInit(cctx) != nil {
				return
			}
			rs.rows0[i] = r.RowCount()
			if fetch > 0 && rs.rows0[i] > 0 && rs.fetchAll(cctx, r, 0, min(fetch, rs.rows0[i])-1) != nil {
				return
			}
			ready.Add(1)
		}()
	}
	wg.Wait()
	rows := slices.Compact(slices.Sorted(slices.Values(rs.rows0)))
	rs.o.emit("event", "replicas", "count", n, "ready", ready.Load(), "rows", rows)
	return nil
}

// insert waits for an insertion of n rows at `at` with IDs id0.. on every
// kept replica and checks every replica's whole content after it.
func (rs *replicaSet) insert(ctx context.Context, at, n int, id0, atNs int64, timeout time.Duration) error {
	if len(rs.reps) == 0 || n <= 0 || at < 0 {
		return fmt.Errorf("insert: no replicas, or n <= 0")
	}
	type state struct {
		mu     sync.Mutex
		seen   []bool
		count  int
		doneNs int64
	}
	st := make([]*state, len(rs.reps))
	for i := range st {
		st[i] = &state{seen: make([]bool, n)}
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var complete atomic.Int64
	all := make(chan struct{})
	h := func(i int, c model.Change) {
		r, s := rs.reps[i], st[i]
		switch c.Kind {
		case model.RowsInserted:
			if len(c.Parent) == 0 && c.First == at && c.Last == at+n-1 {
				go func() { _ = rs.fetchAll(cctx, r, at, at+n-1) }()
			}
		case model.DataChanged:
			if len(c.TopLeft) != 1 || len(c.BottomRight) != 1 {
				return
			}
			now := clock.Now()
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.doneNs != 0 {
				return
			}
			for row := max(c.TopLeft[0].Row, at); row <= min(c.BottomRight[0].Row, at+n-1); row++ {
				if id, ok := idAt(r, row); ok && id == id0+int64(row-at) && !s.seen[row-at] {
					s.seen[row-at] = true
					s.count++
				}
			}
			if s.count == n {
				s.doneNs = now
				if complete.Add(1) == int64(len(rs.reps)) {
					close(all)
				}
			}
		}
	}
	rs.handler.Store(&h)
	defer rs.handler.Store(nil)
	rs.o.emit("event", "armed")
	select {
	case <-all:
	case <-cctx.Done():
	}
	rs.handler.Store(nil)
	// The content of every replica: IDs lost, duplicated, misplaced.
	var lost, dup, misplaced, rowsBad int64
	var samples []int64
	for i, r := range rs.reps {
		want := rs.rows0[i] + n
		if r.RowCount() != want {
			rowsBad++
		}
		expect := func(p int) int64 {
			switch {
			case p < at:
				return int64(p)
			case p < at+n:
				return id0 + int64(p-at)
			}
			return int64(p - n)
		}
		counts := map[int64]int{}
		for p := range r.RowCount() {
			id, ok := idAt(r, p)
			if !ok {
				continue
			}
			counts[id]++
			if id != expect(p) {
				misplaced++
			}
		}
		for p := range want {
			if counts[expect(p)] == 0 {
				lost++
			}
		}
		for _, c := range counts {
			if c > 1 {
				dup += int64(c - 1)
			}
		}
		st[i].mu.Lock()
		if st[i].doneNs != 0 {
			samples = append(samples, st[i].doneNs-atNs)
		}
		st[i].mu.Unlock()
	}
	rs.o.emit("event", "insert", "replicas", len(rs.reps), "complete", complete.Load(), "lost", lost, "duplicated", dup,
		"misplaced", misplaced, "rowsBad", rowsBad, "samples", slices.Clone(samples), "latency", Percentiles(samples))
	return nil
}

// changes records the changes FIRST..FIRST+COUNT-1 every kept replica
// sees, with their latency from the intended time T0 + j/RATE.
func (rs *replicaSet) changes(ctx context.Context, first, count, rate, t0 int64, timeout time.Duration) error {
	if len(rs.reps) == 0 || count <= 0 || rate <= 0 {
		return fmt.Errorf("changes: no replicas, or count or rate <= 0")
	}
	type state struct {
		mu       sync.Mutex
		seen     []bool
		n        int64
		finals   int64
		need     int64
		rows     int64
		lastNs   int64
		samples  []int64
		misplace int64
	}
	st := make([]*state, len(rs.reps))
	for i, r := range rs.reps {
		rows := int64(r.RowCount())
		st[i] = &state{seen: make([]bool, count), rows: rows, need: min(count, rows), samples: make([]int64, 0, count)}
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var complete atomic.Int64
	all := make(chan struct{})
	h := func(i int, c model.Change) {
		if c.Kind != model.DataChanged || len(c.TopLeft) != 1 || len(c.BottomRight) != 1 {
			return
		}
		now := clock.Now()
		r, s := rs.reps[i], st[i]
		s.mu.Lock()
		defer s.mu.Unlock()
		for row := c.TopLeft[0].Row; row <= c.BottomRight[0].Row; row++ {
			if _, cached := r.Flags(row, 0); !cached {
				continue // dropped by a dataChanged since: refetched
			}
			v, ok := r.Data(row, 0, RoleValue)
			if !ok {
				continue
			}
			j := v.Int() - first
			if j < 0 || j >= count || s.seen[j] {
				continue
			}
			if s.rows == 0 || (first+j)%s.rows != int64(row) {
				s.misplace++
				continue
			}
			s.seen[j] = true
			s.n++
			s.lastNs = now
			s.samples = append(s.samples, now-(t0+int64(float64(j)*1e9/float64(rate))))
			if j >= count-s.need {
				s.finals++
				if s.finals == s.need && complete.Add(1) == int64(len(rs.reps)) {
					close(all)
				}
			}
		}
	}
	rs.handler.Store(&h)
	defer rs.handler.Store(nil)
	rs.o.emit("event", "armed")
	select {
	case <-all:
	case <-cctx.Done():
	}
	rs.handler.Store(nil)
	var seen, misplaced, last int64
	var samples []int64
	for _, s := range st {
		s.mu.Lock()
		seen += s.n
		misplaced += s.misplace
		last = max(last, s.lastNs)
		samples = append(samples, s.samples...)
		s.mu.Unlock()
	}
	if last != 0 {
		last -= t0
	}
	rs.o.emit("event", "changes", "replicas", len(rs.reps), "complete", complete.Load(), "seen", seen,
		"expected", count*int64(len(rs.reps)), "misplaced", misplaced, "lastNs", last, "latency", Percentiles(samples))
	return nil
}
