package modelload

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/model"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/pace"
)

// Roles of the workload model.
const (
	RoleDisplay = model.DisplayRole
	RoleValue   = model.UserRole
)

// Roles is the role list the model is remoted with and replicas ask for.
var Roles = []int{RoleDisplay, RoleValue}

// out writes one JSON object a line.
type out struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *out) emit(fields ...any) {
	m := map[string]any{}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	b, _ := json.Marshal(m)
	o.mu.Lock()
	defer o.mu.Unlock()
	_, _ = o.w.Write(append(b, '\n'))
}

func (o *out) line(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, _ = io.WriteString(o.w, s+"\n")
}

// ints parses n integer fields of a command after its name.
func ints(w []string, n int) ([]int64, error) {
	if len(w) != n+1 {
		return nil, fmt.Errorf("%s: want %d arguments, got %d", w[0], n, len(w)-1)
	}
	v := make([]int64, n)
	for i := range v {
		x, err := strconv.ParseInt(w[i+1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: argument %d: %w", w[0], i+1, err)
		}
		v[i] = x
	}
	return v, nil
}

func row(id int64) []model.Cell {
	return []model.Cell{{RoleDisplay: "r" + strconv.FormatInt(id, 10), RoleValue: int(id)}}
}

// Host runs the model host of the protocol (see the package comment):
// it remotes the workload model under name at url and runs the commands
// read from in until in ends or ctx does.
func Host(ctx context.Context, url, name string, d node.Dialect, in io.Reader, w io.Writer) error {
	o := &out{w: w}
	h, err := node.NewHost(ctx, url, node.Config{Dialect: d})
	if err != nil {
		return err
	}
	defer h.Close()
	m := model.NewTableModel(1, map[int]string{RoleDisplay: "display", RoleValue: "value"})
	rm, err := model.Remote(h, m, name, Roles)
	if err != nil {
		return err
	}
	defer rm.Close()
	h.OnError(func(err error) { o.emit("event", "hostError", "error", err.Error()) })
	o.line("listening " + h.URL())
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		var l string
		var ok bool
		select {
		case l, ok = <-lines:
			if !ok {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
		w := strings.Fields(l)
		if len(w) == 0 {
			continue
		}
		if err := hostCommand(ctx, m, w, o); err != nil {
			o.emit("error", err.Error(), "cmd", l)
		}
	}
}

func hostCommand(ctx context.Context, m *model.TableModel, w []string, o *out) error {
	switch w[0] {
	case "reset":
		a, err := ints(w, 1)
		if err != nil {
			return err
		}
		rows := make([][]model.Cell, a[0])
		for i := range rows {
			rows[i] = row(int64(i))
		}
		if err := m.Reset(rows...); err != nil {
			return err
		}
		o.emit("event", "reset", "rows", m.RowCount(nil))
	case "insert":
		a, err := ints(w, 4)
		if err != nil {
			return err
		}
		at, n, id0, atNs := a[0], a[1], a[2], a[3]
		rows := make([][]model.Cell, n)
		for i := range rows {
			rows[i] = row(id0 + int64(i))
		}
		clock.SleepUntil(atNs)
		start := clock.Now()
		if err := m.InsertRows(int(at), rows...); err != nil {
			return err
		}
		o.emit("event", "inserted", "rows", m.RowCount(nil), "startNs", start, "endNs", clock.Now())
	case "changes":
		a, err := ints(w, 4)
		if err != nil {
			return err
		}
		first, count, rate, t0 := a[0], a[1], a[2], a[3]
		rows := int64(m.RowCount(nil))
		if rows == 0 || count <= 0 || rate <= 0 {
			return fmt.Errorf("changes: need rows, count > 0 and rate > 0")
		}
		var lagMax int64
		// Turns on a 1 ms grid, as Qt's timers (millisecond resolution)
		// pace the Qt host: a turn sends every change due by then. The
		// replicas time each change from its own intended time.
		sched := pace.Rate(t0, float64(rate))
		grid := func(i int64) (int64, bool) {
			t, ok := sched(i)
			return t0 + (t-t0+int64(time.Millisecond)-1)/int64(time.Millisecond)*int64(time.Millisecond), ok
		}
		loop := pace.Loop{At: grid, Count: count, Batch: 64}
		var ferr error
		loop.Run(ctx, func(t pace.Turn) bool {
			intended, _ := sched(t.First)
			lagMax = max(lagMax, clock.Now()-intended)
			for k := t.First; k < t.First+t.N; k++ {
				v := first + k
				if ferr = m.Set(int(v%rows), 0, RoleValue, int(v)); ferr != nil {
					return false
				}
			}
			return true
		})
		if ferr != nil {
			return ferr
		}
		o.emit("event", "changed", "count", count, "endNs", clock.Now(), "lagMaxNs", lagMax)
	default:
		return fmt.Errorf("unknown command %q", w[0])
	}
	return nil
}
