// Package model_test checks item-model remoting (impl/model) against real
// Qt 5.15 and Qt 6.4 and the Qt 6 of each row of ci/qt-versions.tsv (6.8,
// 6.11), as native processes: a Go model host read by Qt's
// QAbstractItemModelReplica (qtro-qtapp --model-replica), a Qt model host
// (qtro-qtapp --model-host, a QAbstractTableModel remoted with
// enableRemoting) read by a Go replica, and, as the control that the
// script itself is right, the Qt host read by the Qt replica. Each sees
// the initial rows and then every change of one script: a data change,
// inserts in the middle, a remove at the top, a move, a reset and a header
// change, with both of Qt's initial actions. TestQtHostAbortsOnPathToNoItem
// records that a real Qt model host aborts on a request naming no item;
// TestQt6ReplicasOfOneGoHost has Qt 6.4 and newer replicas, which spell
// the model types differently, read one Go host at once;
// TestLayoutAndColumns covers layout changes and columns both ways,
// TestQtReplicaReadsGoTree a Qt replica reading a Go tree lazily and
// TestGoReplicaReadsQtTree a Go replica reading the rows under an item of
// a Qt host's tree (the Qt peer of the adapter contract, ci/build-peers.sh).
//
// The Qt programs are built by ci/build-qtapps.sh; a test is skipped, with
// the reason, only when that build fails or gives no program for its Qt.
package model_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
)

const timeout = 10 * time.Second

// qtVersion is a Qt the tests run against: the machine's Qt 5 and Qt 6
// (Debian bookworm's 5.15 and 6.4), and the Qt 6 of each row of
// ci/qt-versions.tsv (qt@trixie is Qt 6.8, qt@sid the newest), built in
// that suite's root by ci/build-qtapps.sh SUITE.
type qtVersion struct {
	name  string // "qt5", "qt6", "qt@trixie"
	which string // the ci/build-qtapps.sh argument: "5", "6", "trixie"
	major int
}

func (v qtVersion) String() string { return v.name }

// qtVersions are the Qts the tests run against, oldest first.
func qtVersions() []qtVersion {
	vs := []qtVersion{{"qt5", "5", 5}, {"qt6", "6", 6}}
	suites, _ := checkout.QtSuites() // without a checkout, qtApp skips saying so
	for _, s := range suites {
		vs = append(vs, qtVersion{"qt@" + s.Suite, s.Suite, 6})
	}
	return vs
}

// qtBuild is one ci/build-qtapps.sh run: the binary or why there is none.
type qtBuild struct {
	once sync.Once
	bin  string
	err  error
}

var qtBuilds sync.Map // which -> *qtBuild

// qtApp returns the qtro-qtapp binary of a Qt, building it with
// ci/build-qtapps.sh (which does nothing when it is up to date), or skips
// the test saying why there is none.
func qtApp(t *testing.T, v qtVersion) string {
	t.Helper()
	b, _ := qtBuilds.LoadOrStore(v.which, &qtBuild{})
	qb := b.(*qtBuild)
	qb.once.Do(func() {
		root, err := checkout.Root()
		if err != nil {
			qb.err = err
			return
		}
		cmd := exec.Command(filepath.Join(root, "ci", "build-qtapps.sh"), v.which)
		cmd.Dir = root
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			qb.err = fmt.Errorf("ci/build-qtapps.sh %s: %w\n%s", v.which, err, stderr.String())
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if k, p, ok := strings.Cut(line, " "); ok && (k == v.which || k == "qt"+v.which) {
				qb.bin = p
			}
		}
	})
	if qb.err != nil {
		t.Skipf("SKIPPED, NOT PASSED: the %s program qtro-qtapp is not built: %v", v, qb.err)
	}
	if qb.bin == "" {
		t.Skipf("SKIPPED, NOT PASSED: ci/build-qtapps.sh built no %s qtro-qtapp", v)
	}
	return qb.bin
}

func dialect(major int) node.Dialect {
	if major == 5 {
		return node.Qt5
	}
	return node.Qt6
}

// row is what the script expects of one row: column 0's display and user
// values and column 1's display value.
type row struct {
	d0   string
	user int
	d1   string
}

func initialRows() []row {
	var rs []row
	for i := range 5 {
		rs = append(rs, row{fmt.Sprintf("r%d", i), i, fmt.Sprintf("r%d c1", i)})
	}
	return rs
}

// host changes a model; Qt's and Go's hosts do the same things.
type host interface {
	url() string
	set(t *testing.T, r, c, role int, text string)
	insert(t *testing.T, at int, texts ...string)
	remove(t *testing.T, first, count int)
	move(t *testing.T, first, count, dest int)
	reset(t *testing.T, n int)
	header(t *testing.T, section int, text string)
}

// replica is a reader of the model, Qt's or Go's.
type replica interface {
	// waitInit waits for the initial size and role names.
	waitInit(t *testing.T, rows, cols int)
	// waitChange waits for a change after the previous one waited for.
	waitChange(t *testing.T, kind string, first, last int)
	// waitRows waits until every row is known and as wanted.
	waitRows(t *testing.T, want []row)
	// waitHeader waits until the replica reads text as the display-role
	// header of a column.
	waitHeader(t *testing.T, section int, text string)
}

// script runs the changes on h and checks that r sees each of them.
func script(t *testing.T, h host, r replica) {
	want := initialRows()
	r.waitInit(t, 5, 2)
	r.waitRows(t, want)

	h.set(t, 1, 0, model.DisplayRole, "hello")
	r.waitChange(t, "dataChanged", 1, 1)
	want[1].d0 = "hello"
	r.waitRows(t, want)

	h.insert(t, 2, "new1", "new2")
	r.waitChange(t, "rowsInserted", 2, 3)
	want = slices.Insert(want, 2, row{"new1", 2, "new1 c1"}, row{"new2", 3, "new2 c1"})
	r.waitRows(t, want)

	h.remove(t, 0, 1)
	r.waitChange(t, "rowsRemoved", 0, 0)
	want = want[1:]
	r.waitRows(t, want)

	h.set(t, 4, 0, model.UserRole, "77")
	r.waitChange(t, "dataChanged", 4, 4)
	want[4].user = 77
	r.waitRows(t, want)

	h.move(t, 0, 1, 3)
	r.waitChange(t, "rowsMoved", 0, 0)
	want = append(want[1:3:3], want[0], want[3], want[4], want[5])
	r.waitRows(t, want)

	h.reset(t, 3)
	r.waitChange(t, "modelReset", -1, -1)
	want = nil
	for i := range 3 {
		want = append(want, row{fmt.Sprintf("z%d", i), i, fmt.Sprintf("z%d c1", i)})
	}
	r.waitRows(t, want)

	h.header(t, 1, "H1")
	r.waitChange(t, "headerDataChanged", 1, 1)
	r.waitHeader(t, 1, "H1")
}

// ---- the Go host ----

type goHost struct {
	h       *node.Host
	m       *model.TableModel
	remoted *model.Remoted
}

func cells(text string, user int) []model.Cell {
	return []model.Cell{{model.DisplayRole: text, model.UserRole: user}, {model.DisplayRole: text + " c1"}}
}

func newGoHost(t *testing.T, d node.Dialect, opts ...model.RemoteOption) *goHost {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	m := model.NewTableModel(2, map[int]string{model.DisplayRole: "display", model.DecorationRole: "decoration",
		model.EditRole: "edit", model.ToolTipRole: "toolTip", model.StatusTipRole: "statusTip",
		model.WhatsThisRole: "whatsThis", model.UserRole: "value"})
	for i := range 5 {
		if err := m.AppendRows(cells(fmt.Sprintf("r%d", i), i)); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := model.Remote(h, m, "Model", []int{model.DisplayRole, model.UserRole}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &goHost{h, m, rm}
}

func (g *goHost) url() string { return g.h.URL() }

func (g *goHost) set(t *testing.T, r, c, role int, text string) {
	var x any = text
	if n, err := strconv.Atoi(text); err == nil {
		x = n
	}
	if err := g.m.Set(r, c, role, x); err != nil {
		t.Fatal(err)
	}
}

func (g *goHost) insert(t *testing.T, at int, texts ...string) {
	var rows [][]model.Cell
	for k, s := range texts {
		rows = append(rows, cells(s, at+k))
	}
	if err := g.m.InsertRows(at, rows...); err != nil {
		t.Fatal(err)
	}
}

func (g *goHost) remove(t *testing.T, first, count int) {
	if err := g.m.RemoveRows(first, count); err != nil {
		t.Fatal(err)
	}
}

func (g *goHost) move(t *testing.T, first, count, dest int) {
	if err := g.m.MoveRows(first, count, dest); err != nil {
		t.Fatal(err)
	}
}

func (g *goHost) reset(t *testing.T, n int) {
	var rows [][]model.Cell
	for i := range n {
		rows = append(rows, cells(fmt.Sprintf("z%d", i), i))
	}
	if err := g.m.Reset(rows...); err != nil {
		t.Fatal(err)
	}
}

func (g *goHost) header(t *testing.T, section int, text string) {
	if err := g.m.SetHeaderData(section, model.Horizontal, model.DisplayRole, text); err != nil {
		t.Fatal(err)
	}
}

// ---- a Qt process speaking JSON lines ----

// qtProc is a running qtro-qtapp: its stdout lines, in order.
type qtProc struct {
	stdin io.WriteCloser
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced on every line
	eof   bool
}

func startQt(t *testing.T, bin string, args ...string) *qtProc {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // EOF ends the program
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &qtProc{stdin: stdin, more: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.eof = true
		close(p.more)
		p.more = make(chan struct{})
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		timer := time.AfterFunc(5*time.Second, cancel)
		<-done
		_ = cmd.Wait()
		timer.Stop()
		cancel()
		// Shown with -v or when the test failed.
		p.mu.Lock()
		t.Logf("%s %v stdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, strings.Join(p.lines, "\n"), stderr.String())
		p.mu.Unlock()
	})
	return p
}

// waitLine waits for a line from index from on that match accepts, and
// returns its index.
func (p *qtProc) waitLine(t *testing.T, from int, what string, match func(string) bool) int {
	t.Helper()
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if match(p.lines[i]) {
				p.mu.Unlock()
				return i
			}
		}
		ch, eof := p.more, p.eof
		p.mu.Unlock()
		if eof {
			t.Fatalf("qtro-qtapp ended before %s", what)
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// ---- the Qt host ----

type qtHost struct {
	p    *qtProc
	addr string
	seen int
}

func newQtHost(t *testing.T, bin string) *qtHost {
	p := startQt(t, bin, "--model-host", "tcp://127.0.0.1:0", "Model")
	i := p.waitLine(t, 0, "the listening line", func(s string) bool { return strings.HasPrefix(s, "listening ") })
	p.mu.Lock()
	addr := strings.TrimPrefix(p.lines[i], "listening ")
	p.mu.Unlock()
	return &qtHost{p: p, addr: addr, seen: i + 1}
}

func (q *qtHost) url() string { return q.addr }

// command sends one command and waits for its answer.
func (q *qtHost) command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := io.WriteString(q.p.stdin, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	ok, _ := json.Marshal(map[string]string{"ok": cmd})
	bad, _ := json.Marshal(map[string]string{"error": cmd})
	i := q.p.waitLine(t, q.seen, "the answer to "+cmd, func(s string) bool { return s == string(ok) || s == string(bad) })
	q.p.mu.Lock()
	line := q.p.lines[i]
	q.p.mu.Unlock()
	if line != string(ok) {
		t.Fatalf("qtro-qtapp: %s", line)
	}
	q.seen = i + 1
}

func (q *qtHost) set(t *testing.T, r, c, role int, text string) {
	q.command(t, fmt.Sprintf("set %d %d %d %s", r, c, role, text))
}
func (q *qtHost) insert(t *testing.T, at int, texts ...string) {
	q.command(t, fmt.Sprintf("insert %d %s", at, strings.Join(texts, " ")))
}
func (q *qtHost) remove(t *testing.T, first, count int) {
	q.command(t, fmt.Sprintf("remove %d %d", first, count))
}
func (q *qtHost) move(t *testing.T, first, count, dest int) {
	q.command(t, fmt.Sprintf("move %d %d %d", first, count, dest))
}
func (q *qtHost) reset(t *testing.T, n int) { q.command(t, fmt.Sprintf("reset %d", n)) }
func (q *qtHost) header(t *testing.T, section int, text string) {
	q.command(t, fmt.Sprintf("header %d %s", section, text))
}

// ---- the Qt replica ----

// qtEvent is one line of qtro-qtapp --model-replica.
type qtEvent struct {
	Event          string                       `json:"event"`
	Rows           int                          `json:"rows"`
	Columns        int                          `json:"columns"`
	First          int                          `json:"first"`
	Last           int                          `json:"last"`
	Row            int                          `json:"row"`
	Dest           int                          `json:"dest"`
	Text           json.RawMessage              `json:"text"`
	Cells          []map[string]json.RawMessage `json:"cells"`
	RoleNames      map[string]string            `json:"roleNames"`
	AvailableRoles []int                        `json:"availableRoles"`
}

type qtReplica struct {
	p    *qtProc
	seen int // lines consumed by waitChange
}

func newQtReplica(t *testing.T, bin, url string, prefetch bool) *qtReplica {
	args := []string{"--model-replica", url, "Model"}
	if prefetch {
		args = append(args, "--prefetch")
	}
	return &qtReplica{p: startQt(t, bin, args...)}
}

func parse(t *testing.T, s string) qtEvent {
	var ev qtEvent
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatalf("qtro-qtapp printed %q: %v", s, err)
	}
	return ev
}

func (q *qtReplica) waitInit(t *testing.T, rows, cols int) {
	i := q.p.waitLine(t, 0, "init", func(s string) bool { return strings.Contains(s, `"event":"init"`) })
	q.p.mu.Lock()
	ev := parse(t, q.p.lines[i])
	q.p.mu.Unlock()
	if ev.Rows != rows || ev.Columns != cols {
		t.Fatalf("Qt replica: initial size %dx%d, want %dx%d", ev.Rows, ev.Columns, rows, cols)
	}
	if !slices.Equal(ev.AvailableRoles, []int{model.DisplayRole, model.UserRole}) || ev.RoleNames["256"] != "value" || ev.RoleNames["0"] != "display" {
		t.Fatalf("Qt replica: roles %v, names %v", ev.AvailableRoles, ev.RoleNames)
	}
	q.p.waitLine(t, i, "the initial rows", func(s string) bool { return strings.Contains(s, `"event":"ready"`) })
}

func (q *qtReplica) waitChange(t *testing.T, kind string, first, last int) {
	t.Helper()
	i := q.p.waitLine(t, q.seen, kind, func(s string) bool {
		ev := parse(t, s)
		return ev.Event == kind && (kind == "modelReset" || kind == "layoutChanged" || (ev.First == first && ev.Last == last))
	})
	q.seen = i + 1
}

func (q *qtReplica) waitHeader(t *testing.T, section int, text string) {
	t.Helper()
	want, _ := json.Marshal(text)
	q.p.waitLine(t, 0, "header "+text, func(s string) bool {
		ev := parse(t, s)
		return ev.Event == "headerDataChanged" && ev.First == section && string(ev.Text) == string(want)
	})
}

// mirror replays the replica's lines: row counts and the last values seen of each row.
func (q *qtReplica) mirror(t *testing.T) (int, map[int]qtEvent) {
	q.p.mu.Lock()
	lines := slices.Clone(q.p.lines)
	q.p.mu.Unlock()
	n, rows := 0, map[int]qtEvent{}
	shift := func(from, by int) {
		next := map[int]qtEvent{}
		for r, ev := range rows {
			if r < from {
				next[r] = ev
			} else {
				next[r+by] = ev
			}
		}
		rows = next
	}
	for _, s := range lines {
		ev := parse(t, s)
		switch ev.Event {
		case "init":
			n = ev.Rows
		case "row":
			rows[ev.Row] = ev
		case "rowsInserted":
			shift(ev.First, ev.Last-ev.First+1)
			n = ev.Rows
		case "rowsRemoved":
			for r := ev.First; r <= ev.Last; r++ {
				delete(rows, r)
			}
			shift(ev.Last+1, -(ev.Last - ev.First + 1))
			n = ev.Rows
		case "rowsMoved":
			// Rows first..last go before dest (numbered before the move).
			count := ev.Last - ev.First + 1
			order := make([]int, 0, n) // new position -> old row
			for r := range n {
				if r < ev.First || r > ev.Last {
					order = append(order, r)
				}
			}
			at := ev.Dest
			if ev.Dest > ev.First {
				at -= count
			}
			moved := make([]int, 0, count)
			for r := ev.First; r <= ev.Last; r++ {
				moved = append(moved, r)
			}
			order = slices.Insert(order, min(at, len(order)), moved...)
			next := map[int]qtEvent{}
			for to, from := range order {
				if ev, ok := rows[from]; ok {
					next[to] = ev
				}
			}
			rows = next
		case "modelReset":
			rows = map[int]qtEvent{}
			n = ev.Rows
		}
	}
	return n, rows
}

func cellString(c map[string]json.RawMessage, role int) string {
	var s string
	_ = json.Unmarshal(c[strconv.Itoa(role)], &s)
	return s
}

func cellInt(c map[string]json.RawMessage, role int) int {
	var n int
	_ = json.Unmarshal(c[strconv.Itoa(role)], &n)
	return n
}

func (q *qtReplica) waitRows(t *testing.T, want []row) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, rows := q.mirror(t)
		got := make([]row, 0, n)
		for r := range n {
			ev, ok := rows[r]
			if !ok || len(ev.Cells) != 2 {
				break
			}
			got = append(got, row{cellString(ev.Cells[0], model.DisplayRole), cellInt(ev.Cells[0], model.UserRole), cellString(ev.Cells[1], model.DisplayRole)})
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Qt replica: rows %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- the Go replica ----

type goReplica struct {
	r    *model.Replica
	mu   sync.Mutex
	log  []model.Change
	seen int
}

func newGoReplica(t *testing.T, url string, action model.InitialAction) *goReplica {
	n := node.NewNode(node.Config{RetryInterval: 50 * time.Millisecond})
	t.Cleanup(func() { n.Close() })
	r, err := model.Acquire(n, "Model", model.WithRolesHint(model.DisplayRole, model.UserRole), model.WithInitialAction(action))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	g := &goReplica{r: r}
	r.Observe(func(c model.Change) {
		g.mu.Lock()
		g.log = append(g.log, c)
		g.mu.Unlock()
	})
	if err := n.ConnectToNode(url); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *goReplica) waitInit(t *testing.T, rows, cols int) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := g.r.WaitForInit(ctx); err != nil {
		t.Fatal(err)
	}
	if g.r.RowCount() != rows || g.r.ColumnCount() != cols {
		t.Fatalf("Go replica: initial size %dx%d, want %dx%d", g.r.RowCount(), g.r.ColumnCount(), rows, cols)
	}
	names := g.r.RoleNames()
	if !slices.Equal(g.r.AvailableRoles(), []int{model.DisplayRole, model.UserRole}) || names[model.UserRole] != "value" || names[model.DisplayRole] != "display" {
		t.Fatalf("Go replica: roles %v, names %v", g.r.AvailableRoles(), names)
	}
}

var kinds = map[string]model.ChangeKind{"dataChanged": model.DataChanged, "rowsInserted": model.RowsInserted,
	"rowsRemoved": model.RowsRemoved, "rowsMoved": model.RowsMoved, "currentChanged": model.CurrentChanged, "modelReset": model.ModelReset, "headerDataChanged": model.HeaderDataChanged,
	"layoutChanged": model.LayoutChanged, "columnsInserted": model.ColumnsInserted}

func (g *goReplica) waitChange(t *testing.T, kind string, first, last int) {
	t.Helper()
	k := kinds[kind]
	deadline := time.Now().Add(timeout)
	for {
		g.mu.Lock()
		for i := g.seen; i < len(g.log); i++ {
			c := g.log[i]
			if c.Kind != k {
				continue
			}
			ok := kind == "modelReset" || kind == "layoutChanged" || (c.First == first && c.Last == last)
			if k == model.DataChanged {
				ok = len(c.TopLeft) == 1 && c.TopLeft[0].Row <= first && c.BottomRight[0].Row >= last
			}
			if ok {
				g.seen = i + 1
				g.mu.Unlock()
				return
			}
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			g.mu.Lock()
			t.Fatalf("Go replica: no %s %d..%d in %+v", kind, first, last, g.log[g.seen:])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (g *goReplica) waitHeader(t *testing.T, section int, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	v, err := g.r.HeaderData(ctx, section, model.Horizontal, model.DisplayRole)
	if err != nil || v.Str() != text {
		t.Fatalf("Go replica: header %d = %v, %v; want %s", section, v, err, text)
	}
}

func (g *goReplica) waitRows(t *testing.T, want []row) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		var got []row
		if n := g.r.RowCount(); n > 0 {
			if err := g.r.Fetch(ctx, 0, n-1); err != nil {
				t.Fatalf("Go replica: fetch: %v", err)
			}
		}
		for r := range g.r.RowCount() {
			d0, _ := g.r.Data(r, 0, model.DisplayRole)
			u, _ := g.r.Data(r, 0, model.UserRole)
			d1, _ := g.r.Data(r, 1, model.DisplayRole)
			got = append(got, row{d0.Str(), int(u.Int()), d1.Str()})
		}
		if slices.Equal(got, want) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("Go replica: rows %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- the tests ----

// actions are the replicas' initial actions: FetchRootSize (Qt's default:
// replicaSizeRequest, rows read later) and PrefetchData
// (replicaCacheRequest with the cache size as a size_t).
var actions = []struct {
	name     string
	prefetch bool
	action   model.InitialAction
}{{"FetchRootSize", false, model.FetchRootSize}, {"PrefetchData", true, model.PrefetchData}}

func TestQtReplicaOfGoHost(t *testing.T) {
	for _, v := range qtVersions() {
		for _, a := range actions {
			t.Run(v.name+"/"+a.name, func(t *testing.T) {
				bin := qtApp(t, v)
				var opts []model.RemoteOption
				if a.prefetch && strings.HasPrefix(v.name, "qt@") {
					// A prefetching Qt replica's first request (replicaCacheRequest)
					// shows no spelling; its reply must be in Qt >= 6.8's. A
					// FetchRootSize replica shows it with its first request.
					opts = append(opts, model.WithQt6Spelling(model.Qt68Spelling))
				}
				h := newGoHost(t, dialect(v.major), opts...)
				r := newQtReplica(t, bin, h.url(), a.prefetch)
				script(t, h, r)

				// The Qt replica's setData reaches the Go model (replicaSetData) and comes back.
				qh := &qtHost{p: r.p}
				qh.command(t, "set 2 1 0 from qt")
				deadline := time.Now().Add(timeout)
				for h.m.Data(model.Item(2, 1), model.DisplayRole).Str() != "from qt" {
					if time.Now().After(deadline) {
						t.Fatalf("the Go model did not get the Qt replica's setData: %v", h.m.Data(model.Item(2, 1), model.DisplayRole))
					}
					time.Sleep(5 * time.Millisecond)
				}
				r.waitChange(t, "dataChanged", 2, 2)
				r.waitRows(t, []row{{"z0", 0, "z0 c1"}, {"z1", 1, "z1 c1"}, {"z2", 2, "from qt"}})
			})
		}
	}
}

func TestGoReplicaOfQtHost(t *testing.T) {
	for _, v := range qtVersions() {
		for _, a := range actions {
			t.Run(v.name+"/"+a.name, func(t *testing.T) {
				h := newQtHost(t, qtApp(t, v))
				r := newGoReplica(t, h.url(), a.action)
				script(t, h, r)
			})
		}
	}
}

// One Go host serves Qt 6.4 and Qt >= 6.8 replicas at once, each in its
// own spelling of the adapter's types (learnt from its requests): a
// FetchRootSize replica of every Qt 6, and, with the host preferring
// Qt 6.8's spelling for replicas that show none, a prefetching newer one
// beside the Qt 6.4 ones.
func TestQt6ReplicasOfOneGoHost(t *testing.T) {
	var qt6s []qtVersion
	for _, v := range qtVersions() {
		if v.major == 6 {
			qt6s = append(qt6s, v)
		}
	}
	for _, pref := range []struct {
		name string
		opts []model.RemoteOption
	}{{"default", nil}, {"prefer68", []model.RemoteOption{model.WithQt6Spelling(model.Qt68Spelling)}}} {
		t.Run(pref.name, func(t *testing.T) {
			h := newGoHost(t, node.Qt6, pref.opts...)
			var rs []*qtReplica
			for _, v := range qt6s {
				bin := qtApp(t, v)
				rs = append(rs, newQtReplica(t, bin, h.url(), false))
				if pref.opts != nil && strings.HasPrefix(v.name, "qt@") {
					rs = append(rs, newQtReplica(t, bin, h.url(), true))
				}
			}
			if len(rs) < 2 {
				t.Fatalf("%d Qt 6 replicas: nothing to compare", len(rs))
			}
			for _, r := range rs {
				r.waitInit(t, 5, 2)
				r.waitRows(t, initialRows())
			}
			h.set(t, 1, 0, model.DisplayRole, "both")
			h.insert(t, 2, "new")
			want := initialRows()
			want[1].d0 = "both"
			want = slices.Insert(want, 2, row{"new", 2, "new c1"})
			for _, r := range rs {
				r.waitChange(t, "rowsInserted", 2, 2)
				r.waitRows(t, want)
			}
		})
	}
}

// The control: Qt's own host and replica go through the same script.
func TestQtReplicaOfQtHost(t *testing.T) {
	for _, v := range qtVersions() {
		for _, a := range actions {
			t.Run(v.name+"/"+a.name, func(t *testing.T) {
				bin := qtApp(t, v)
				h := newQtHost(t, bin)
				script(t, h, newQtReplica(t, bin, h.url(), a.prefetch))
			})
		}
	}
}

func mustValue(t *testing.T, x any) node.Variant {
	v, err := node.ValueOf(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// What real Qt does with a request naming an item it does not have: the
// Qt 5.15 and 6.4 adapters resolve the path with toQModelIndex, which
// calls qFatal, so one replicaSizeRequest or replicaSetData from any
// client aborts the host process (SIGABRT). A Go host answers an empty
// size instead and goes on (impl/model TestHostileRequests). This test
// records Qt's behaviour; it fails if Qt stops aborting.
func TestQtHostAbortsOnPathToNoItem(t *testing.T) {
	for _, v := range qtVersions() {
		for _, slot := range []string{"replicaSizeRequest", "replicaSetData"} {
			t.Run(v.name+"/"+slot, func(t *testing.T) {
				bin := qtApp(t, v)
				cmd := exec.Command(bin, "--model-host", "tcp://127.0.0.1:0", "Model")
				var stderr strings.Builder
				cmd.Stderr = &stderr
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				defer stdin.Close()
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				line, _ := bufio.NewReader(stdout).ReadString('\n')
				go func() { exited <- cmd.Wait() }()
				defer func() { _ = cmd.Process.Kill() }()
				url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
				if !ok {
					t.Fatalf("qtro-qtapp printed %q", line)
				}
				n := node.NewNode(node.Config{})
				defer n.Close()
				r, err := n.AcquireDynamic("Model")
				if err != nil {
					t.Fatal(err)
				}
				if err := n.ConnectToNode(url); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				if err := r.WaitForSource(ctx); err != nil {
					t.Fatal(err)
				}
				// A dynamic replica's class comes from Qt's definition, so
				// the arguments are converted to Qt's own parameter types.
				// "IndexList" goes out as Qt 6.4's "QList<ModelIndex>" on a Qt 6
				// connection (impl/model registers the spellings with node);
				// nothing has taught this connection Qt 6.8's spelling (only a
				// reply or signal would), so it is named here for Qt >= 6.8.
				name := "IndexList"
				if strings.HasPrefix(v.name, "qt@") {
					name = "QList<QtPrivate::ModelIndex>"
				}
				path := qds.UserOf(name, []wire.ModelIndex{{Row: 99, Column: 0}})
				switch slot {
				case "replicaSizeRequest":
					_, err = r.InvokeIndex(0, []node.Variant{path}, true)
				case "replicaSetData":
					_, err = r.InvokeIndex(4, []node.Variant{path, mustValue(t, "x"), mustValue(t, int32(0))}, false)
				}
				if err != nil {
					t.Fatal(err)
				}
				select {
				case err := <-exited:
					if err == nil || !strings.Contains(err.Error(), "aborted") {
						t.Fatalf("%s host ended with %v, want SIGABRT; stderr: %s", v, err, stderr.String())
					}
					if !strings.Contains(stderr.String(), "Internal error: invalid index=ModelIndex[row=99, column=0]") {
						t.Fatalf("%s host stderr: %s", v, stderr.String())
					}
				case <-time.After(timeout):
					t.Fatalf("%s host still runs after %s with a path to no item", v, slot)
				}
			})
		}
	}
}

// A Go replica of a large Qt model reads rows far from the top without
// fetching the rows before them, and keeps at most its cache size.
func TestGoReplicaOfLargeQtModel(t *testing.T) {
	for _, v := range qtVersions() {
		t.Run(v.name, func(t *testing.T) {
			h := newQtHost(t, qtApp(t, v))
			h.command(t, "reset 20000")
			n := node.NewNode(node.Config{RetryInterval: 50 * time.Millisecond})
			t.Cleanup(func() { n.Close() })
			r, err := model.Acquire(n, "Model", model.WithCacheSize(300))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(r.Release)
			if err := n.ConnectToNode(h.url()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if err := r.WaitForInit(ctx); err != nil {
				t.Fatal(err)
			}
			if r.RowCount() != 20000 {
				t.Fatalf("%d rows, want 20000", r.RowCount())
			}
			for _, first := range []int{15000, 19900, 0, 7777} {
				if err := r.Fetch(ctx, first, first+99); err != nil {
					t.Fatal(err)
				}
				for row := first; row < first+100 && row < 20000; row++ {
					if v, ok := r.Data(row, 1, model.DisplayRole); !ok || v.Str() != fmt.Sprintf("z%d c1", row) {
						t.Fatalf("row %d = %v, %v", row, v, ok)
					}
				}
			}
			if _, ok := r.Data(15000, 0, model.DisplayRole); ok {
				t.Fatal("row 15000 still cached after 400 more rows were read with a cache of 300")
			}
		})
	}
}

// waitCurrent waits for a line of event ev (currentChanged or
// hostCurrentChanged) naming row, column.
func (p *qtProc) waitCurrent(t *testing.T, ev string, row, column int) {
	t.Helper()
	want, _ := json.Marshal(map[string]any{"column": column, "event": ev, "row": row})
	p.waitLine(t, 0, string(want), func(s string) bool { return s == string(want) })
}

// The current index goes both ways: a Go host's current index reaches a
// Qt replica's selection model and the Qt replica's choice reaches the Go
// host; a Qt host's selection model reaches a Go replica and the Go
// replica's choice reaches the Qt host's selection model.
func TestCurrentIndex(t *testing.T) {
	for _, v := range qtVersions() {
		t.Run(v.name+"/GoHostQtReplica", func(t *testing.T) {
			bin := qtApp(t, v)
			h := newGoHost(t, dialect(v.major))
			rm := h.remoted
			r := newQtReplica(t, bin, h.url(), false)
			r.waitInit(t, 5, 2)
			rm.SetCurrentIndex(model.Item(1, 1))
			r.p.waitCurrent(t, "currentChanged", 1, 1)
			(&qtHost{p: r.p}).command(t, "current 3 0")
			deadline := time.Now().Add(timeout)
			for !slices.Equal(rm.CurrentIndex(), model.Item(3, 0)) {
				if time.Now().After(deadline) {
					t.Fatalf("Go host: current index %v, want 3,0", rm.CurrentIndex())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		t.Run(v.name+"/QtHostGoReplica", func(t *testing.T) {
			h := newQtHost(t, qtApp(t, v))
			r := newGoReplica(t, h.url(), model.FetchRootSize)
			r.waitInit(t, 5, 2)
			h.command(t, "current 1 1")
			h.p.waitCurrent(t, "hostCurrentChanged", 1, 1)
			deadline := time.Now().Add(timeout)
			for !slices.Equal(r.r.CurrentIndex(), model.Item(1, 1)) {
				if time.Now().After(deadline) {
					t.Fatalf("Go replica: current index %v, want 1,1", r.r.CurrentIndex())
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := r.r.SetCurrentIndex(4, 1); err != nil {
				t.Fatal(err)
			}
			h.p.waitCurrent(t, "hostCurrentChanged", 4, 1)
			r.waitChange(t, "currentChanged", 0, 0)
			for !slices.Equal(r.r.CurrentIndex(), model.Item(4, 1)) {
				if time.Now().After(deadline) {
					t.Fatalf("Go replica: current index %v, want 4,1", r.r.CurrentIndex())
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// reversed is rows in reverse order.
func reversed(rows []row) []row {
	out := slices.Clone(rows)
	slices.Reverse(out)
	return out
}

// A layout change (the rows sorted in reverse, layoutAboutToBeChanged/
// layoutChanged) and inserted columns go both ways as Qt's replica shows
// them: layoutChanged, then the rows in their new order; columnsInserted
// with the new column count. A removal of columns is not remoted at all
// by Qt's adapter (it connects no columnsRemoved): the replicas keep the
// old column count, a Qt replica of a Qt host as much as a Go one.
func TestLayoutAndColumns(t *testing.T) {
	for _, v := range qtVersions() {
		t.Run(v.name+"/GoHostQtReplica", func(t *testing.T) {
			bin := qtApp(t, v)
			h := newGoHost(t, dialect(v.major))
			r := newQtReplica(t, bin, h.url(), false)
			r.waitInit(t, 5, 2)
			r.waitRows(t, initialRows())
			if err := h.m.ReorderRows([]int{4, 3, 2, 1, 0}); err != nil {
				t.Fatal(err)
			}
			r.waitChange(t, "layoutChanged", 0, 0)
			r.waitRows(t, reversed(initialRows()))
			if err := h.m.InsertColumns(2, 1); err != nil {
				t.Fatal(err)
			}
			r.p.waitLine(t, r.seen, "columnsInserted 2..2", func(s string) bool {
				ev := parse(t, s)
				return ev.Event == "columnsInserted" && ev.First == 2 && ev.Last == 2 && ev.Columns == 3
			})
		})
		t.Run(v.name+"/QtHostGoReplica", func(t *testing.T) {
			h := newQtHost(t, qtApp(t, v))
			r := newGoReplica(t, h.url(), model.FetchRootSize)
			r.waitInit(t, 5, 2)
			r.waitRows(t, initialRows())
			h.command(t, "reverse")
			r.waitChange(t, "layoutChanged", 0, 0)
			r.waitRows(t, reversed(initialRows()))
			h.command(t, "insertcolumns 2 1")
			r.waitChange(t, "columnsInserted", 2, 2)
			if n := r.r.ColumnCount(); n != 3 {
				t.Fatalf("Go replica: %d columns after columnsInserted, want 3", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if err := r.r.Fetch(ctx, 0, 4); err != nil {
				t.Fatal(err)
			}
			if d, _ := r.r.Data(0, 2, model.DisplayRole); d.Str() != "x2" {
				t.Fatalf("Go replica: the new column holds %v, want x2", d)
			}
			// Removed columns are not remoted: a later change arrives, the count stays.
			h.command(t, "removecolumns 2 1")
			h.command(t, "set 1 0 0 after")
			r.waitChange(t, "dataChanged", 1, 1)
			if n := r.r.ColumnCount(); n != 3 {
				t.Fatalf("Go replica: %d columns after a removal Qt does not remote, want 3 (as Qt's replica)", n)
			}
		})
		t.Run(v.name+"/QtHostQtReplica", func(t *testing.T) {
			bin := qtApp(t, v)
			h := newQtHost(t, bin)
			r := newQtReplica(t, bin, h.url(), false)
			r.waitInit(t, 5, 2)
			r.waitRows(t, initialRows())
			h.command(t, "reverse")
			r.waitChange(t, "layoutChanged", 0, 0)
			r.waitRows(t, reversed(initialRows()))
			h.command(t, "removecolumns 1 1")
			h.command(t, "set 1 0 0 after")
			i := r.p.waitLine(t, r.seen, "dataChanged of row 1", func(s string) bool {
				ev := parse(t, s)
				return ev.Event == "dataChanged" && ev.First == 1
			})
			r.p.mu.Lock()
			defer r.p.mu.Unlock()
			for _, l := range r.p.lines[r.seen:i] {
				if strings.Contains(l, `"columnsRemoved"`) {
					t.Fatalf("the Qt replica saw columnsRemoved (%s): Qt's adapter remotes it now; update the errata", l)
				}
			}
		})
	}
}

// treeModel is a Go tree: 3 rows of 2 columns under the root, and under
// each row's column-0 item kids rows of 2 columns ("r<i>.<k>"). It counts
// how often it was asked for the number of rows under an item, to tell a
// lazy replica from an eager one.
type treeModel struct {
	kids      int
	childAsks atomic.Int32
}

func (m *treeModel) parentOK(p model.Path) bool {
	return len(p) == 1 && p[0].Row >= 0 && p[0].Row < 3 && p[0].Column == 0
}

func (m *treeModel) RowCount(p model.Path) int {
	switch {
	case len(p) == 0:
		return 3
	case m.parentOK(p):
		m.childAsks.Add(1)
		return m.kids
	}
	return 0
}

func (m *treeModel) ColumnCount(p model.Path) int {
	if len(p) == 0 || m.parentOK(p) {
		return 2
	}
	return 0
}

func (m *treeModel) Data(p model.Path, role int) node.Variant {
	var label string
	var user int
	switch {
	case len(p) == 1 && p[0].Row >= 0 && p[0].Row < 3 && p[0].Column >= 0 && p[0].Column < 2:
		label, user = fmt.Sprintf("r%d", p[0].Row), p[0].Row
	case len(p) == 2 && m.parentOK(p[:1]) && p[1].Row >= 0 && p[1].Row < m.kids && p[1].Column >= 0 && p[1].Column < 2:
		label, user = fmt.Sprintf("r%d.%d", p[0].Row, p[1].Row), 100*p[0].Row+p[1].Row
	default:
		return node.Variant{}
	}
	col := p[len(p)-1].Column
	switch {
	case role == model.DisplayRole && col == 0:
		return qds.StringOf(label)
	case role == model.DisplayRole:
		return qds.StringOf(label + " c1")
	case role == model.UserRole && col == 0:
		return qds.IntOf(int32(user))
	}
	return node.Variant{}
}

func (m *treeModel) Flags(p model.Path) model.ItemFlags {
	f := model.ItemIsSelectable | model.ItemIsEnabled
	if !m.HasChildren(p) {
		f |= model.ItemNeverHasChildren
	}
	return f
}

func (m *treeModel) HasChildren(p model.Path) bool { return m.parentOK(p) && m.kids > 0 }

func (m *treeModel) HeaderData(int, model.Orientation, int) node.Variant { return node.Variant{} }

func (m *treeModel) RoleNames() map[int]string {
	return map[int]string{model.DisplayRole: "display", model.UserRole: "value"}
}

func (m *treeModel) Observe(func(model.Change)) func() { return func() {} }

// A real Qt replica reads a Go host's tree lazily, as it reads a Qt
// host's: the top-level rows first, with no question about any row's
// children; asked for the children of a row (rowCount of its item), it
// asks the host their number (replicaSizeRequest of the item's path),
// signals them inserted, and fetches their data (row requests under the
// item).
func TestQtReplicaReadsGoTree(t *testing.T) {
	for _, v := range qtVersions() {
		t.Run(v.name, func(t *testing.T) {
			bin := qtApp(t, v)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{Dialect: dialect(v.major)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			tm := &treeModel{kids: 2}
			if _, err := model.Remote(h, tm, "Model", []int{model.DisplayRole, model.UserRole}); err != nil {
				t.Fatal(err)
			}
			r := newQtReplica(t, bin, h.URL(), false)
			r.waitInit(t, 3, 2)
			r.waitRows(t, []row{{"r0", 0, "r0 c1"}, {"r1", 1, "r1 c1"}, {"r2", 2, "r2 c1"}})
			if n := tm.childAsks.Load(); n != 0 {
				t.Fatalf("the host was asked %d times for rows under an item before the replica wanted children", n)
			}
			(&qtHost{p: r.p}).command(t, "children 1")
			i := r.p.waitLine(t, 0, "the children of row 1", func(s string) bool {
				return strings.Contains(s, `"event":"children"`) && strings.Contains(s, `"parent":1`)
			})
			r.p.mu.Lock()
			line := r.p.lines[i]
			r.p.mu.Unlock()
			var ev struct {
				Rows [][]map[string]json.RawMessage `json:"rows"`
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, cells := range ev.Rows {
				if len(cells) != 2 {
					t.Fatalf("a child row of %d columns: %s", len(cells), line)
				}
				got = append(got, row{cellString(cells[0], model.DisplayRole), cellInt(cells[0], model.UserRole), cellString(cells[1], model.DisplayRole)})
			}
			if want := []row{{"r1.0", 100, "r1.0 c1"}, {"r1.1", 101, "r1.1 c1"}}; !slices.Equal(got, want) {
				t.Fatalf("the Qt replica's children of row 1: %v, want %v", got, want)
			}
			if tm.childAsks.Load() == 0 {
				t.Fatal("the children arrived without the host being asked for their number")
			}
			r.p.waitLine(t, 0, "childrenInserted 0..1 under row 1", func(s string) bool {
				ev := parse(t, s)
				return ev.Event == "childrenInserted" && ev.First == 0 && ev.Last == 1 && strings.Contains(s, `"parent":1`) &&
					strings.Contains(s, `"children":2`)
			})
		})
	}
}

var qtPeers sync.Map // which -> *qtBuild

// qtPeer returns the real Qt peer of the adapter contract (fixtures/peer,
// ci/build-peers.sh) of a Qt, or skips the test saying why there is none.
func qtPeer(t *testing.T, v qtVersion) string {
	t.Helper()
	b, _ := qtPeers.LoadOrStore(v.which, &qtBuild{})
	qb := b.(*qtBuild)
	qb.once.Do(func() {
		root, err := checkout.Root()
		if err != nil {
			qb.err = err
			return
		}
		cmd := exec.Command(filepath.Join(root, "ci", "build-peers.sh"), v.which)
		cmd.Dir = root
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			qb.err = fmt.Errorf("ci/build-peers.sh %s: %w\n%s", v.which, err, stderr.String())
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if k, p, ok := strings.Cut(line, " "); ok && (k == v.which || k == "qt"+v.which) {
				qb.bin = p
			}
		}
	})
	if qb.err != nil {
		t.Skipf("SKIPPED, NOT PASSED: the %s peer is not built: %v", v, qb.err)
	}
	if qb.bin == "" {
		t.Skipf("SKIPPED, NOT PASSED: ci/build-peers.sh built no %s peer", v)
	}
	return qb.bin
}

// A Go replica reads the rows under an item of a real Qt host's tree (the
// Qt peer's model of contract 3 with childRows: a QAbstractItemModel whose
// every row's column-0 item has rows of its own, remoted with
// enableRemoting), asking as Qt's replica does (replicaSizeRequest of the
// item, then a row request under it).
func TestGoReplicaReadsQtTree(t *testing.T) {
	for _, v := range qtVersions() {
		t.Run(v.name, func(t *testing.T) {
			bin := qtPeer(t, v)
			ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
			defer cancel()
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			url := "tcp://" + l.Addr().String()
			l.Close()
			h, err := adapter.Start(ctx, adapter.Config{Command: []string{bin}, Role: adapter.Host, Args: []string{"--url", url}, Name: "qt host"})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = h.Close() }() // exit, then signals
			if _, err := h.Do(ctx, adapter.Command{"cmd": contract.CmdRemoteModel, "name": "Model", "rows": 3, "columns": 2,
				"roles": []int{0}, "childRows": 2}); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{RetryInterval: 50 * time.Millisecond})
			defer n.Close()
			r, err := model.Acquire(n, "Model", model.WithRolesHint(model.DisplayRole))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			if err := n.ConnectToNode(url); err != nil {
				t.Fatal(err)
			}
			if err := r.WaitForInit(ctx); err != nil {
				t.Fatal(err)
			}
			if r.RowCount() != 3 || r.ColumnCount() != 2 {
				t.Fatalf("root: %d x %d", r.RowCount(), r.ColumnCount())
			}
			// Contract 3 §6.5: child k of row i is labelled r<i>.<k>; column c's role 0 is "<label>c<c>".
			rows, cols, items, err := r.Children(ctx, model.Item(2, 0), 0, 9, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rows != 2 || cols != 2 || len(items) != 2 {
				t.Fatalf("under item 2,0: %d x %d, %d rows read", rows, cols, len(items))
			}
			for k, cells := range items {
				for c, it := range cells {
					if want := fmt.Sprintf("r2.%dc%d", k, c); it.Data[model.DisplayRole].Str() != want {
						t.Fatalf("child %d column %d = %v, want %s", k, c, it.Data[model.DisplayRole], want)
					}
					if it.HasChildren {
						t.Fatalf("child %d column %d says it has children", k, c)
					}
				}
			}
			if err := r.Fetch(ctx, 0, 2); err != nil {
				t.Fatal(err)
			}
			if d, _ := r.Data(2, 0, model.DisplayRole); d.Str() != "r2c0" {
				t.Fatalf("root row 2 = %v", d)
			}
		})
	}
}
