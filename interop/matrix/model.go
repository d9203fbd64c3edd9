package matrix

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
)

// modelName is the item model the model row remotes and acquires.
const modelName = "Model"

// modelRoles are the roles the model row's items carry: Qt::DisplayRole
// and a user role (contract §6.5: role R of the item of a row labelled L
// in column c holds "L" + "c<c>", prefixed "R:" for R other than 0).
var modelRoles = []int{0, 257}

// ModelCheckNames are the checks of the model row, in order (the exit and
// wire checks of CheckNames follow them).
var ModelCheckNames = []struct{ Name, Asserts string }{
	{"model-init", "host remoteModel \"Model\" (5 rows × 2 columns, roles 0 and 257, with a selection model); node acquireModel (FetchRootSize): initialized with 5 × 2 and available roles [0, 257]"},
	{"model-move", "host moves row 0 before row 3 before the replica has read any row: rowsMoved, 5 rows, and the replica reads r1 r2 r0 r3 r4, every item's roles 0 and 257 (\"r<i>c<c>\", \"257:r<i>c<c>\") fetched through it (a move after the rows are cached leaves Qt's own replica stale: errata, Item models)"},
	{"model-insert", "host inserts 2 rows before row 2: the replica signals rowsInserted 2..3 with 7 rows, and reads r1 r2 n0 n1 r0 r3 r4"},
	{"model-data", "host sets row 0 column 1 (role 0) to \"x\": the replica signals dataChanged for row 0 and reads \"x\""},
	{"model-remove", "host removes row 0: rowsRemoved 0..0 with 6 rows, and the replica reads r2 n0 n1 r0 r3 r4"},
	{"model-reset", "host resets to 3 rows labelled z: modelReset, 3 rows, z0 z1 z2"},
}

// modelScript plays the model row: its checks in place of init … revalid.
func (cr *cellRun) modelScript(ctx context.Context) {
	cr.check(ctx, "model-init", cr.checkModelInit)
	if cr.stopped == "" && cr.res.Checks[len(cr.res.Checks)-1].Status != Pass {
		cr.stopped = "the model replica never initialized"
	}
	cr.check(ctx, "model-move", func(ctx context.Context) error {
		mark := cr.node.Mark()
		if err := cr.modelHost(ctx, contract.CmdModelMoveRows, "row", 0, "count", 1, "dest", 3); err != nil {
			return err
		}
		if err := cr.modelChange(ctx, mark, "rowsMoved", "first", 0, "last", 0, "rows", 5); err != nil {
			return err
		}
		return cr.modelRowsAre(ctx, []string{"r1", "r2", "r0", "r3", "r4"}, nil)
	})
	cr.check(ctx, "model-insert", func(ctx context.Context) error {
		mark := cr.node.Mark()
		if err := cr.modelHost(ctx, contract.CmdModelInsertRows, "row", 2, "count", 2, "label", "n"); err != nil {
			return err
		}
		if err := cr.modelChange(ctx, mark, "rowsInserted", "first", 2, "last", 3, "rows", 7); err != nil {
			return err
		}
		return cr.modelRowsAre(ctx, []string{"r1", "r2", "n0", "n1", "r0", "r3", "r4"}, nil)
	})
	cr.check(ctx, "model-data", func(ctx context.Context) error {
		mark := cr.node.Mark()
		if err := cr.modelHost(ctx, contract.CmdModelSetData, "row", 0, "column", 1, "role", 0, "value", "x"); err != nil {
			return err
		}
		// The replica refetches the rows it has cached and signals when
		// the data arrives (errata, Item models).
		if err := cr.modelChange(ctx, mark, "dataChanged", "first", 0, "last", 0); err != nil {
			return err
		}
		return cr.modelRowsAre(ctx, []string{"r1", "r2", "n0", "n1", "r0", "r3", "r4"}, map[int]string{0: "x"})
	})
	cr.check(ctx, "model-remove", func(ctx context.Context) error {
		mark := cr.node.Mark()
		if err := cr.modelHost(ctx, contract.CmdModelRemoveRows, "row", 0, "count", 1); err != nil {
			return err
		}
		if err := cr.modelChange(ctx, mark, "rowsRemoved", "first", 0, "last", 0, "rows", 6); err != nil {
			return err
		}
		return cr.modelRowsAre(ctx, []string{"r2", "n0", "n1", "r0", "r3", "r4"}, nil)
	})
	cr.check(ctx, "model-reset", func(ctx context.Context) error {
		mark := cr.node.Mark()
		if err := cr.modelHost(ctx, contract.CmdModelReset, "rows", 3, "label", "z"); err != nil {
			return err
		}
		if err := cr.modelChange(ctx, mark, "modelReset"); err != nil {
			return err
		}
		if _, err := cr.waitModelSize(ctx, 3, 2); err != nil {
			return err
		}
		return cr.modelRowsAre(ctx, []string{"z0", "z1", "z2"}, nil)
	})
}

// modelHost sends a host model command on the model row's model.
func (cr *cellRun) modelHost(ctx context.Context, cmd string, kv ...any) error {
	c := adapter.Command{"cmd": cmd, "name": modelName}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i].(string)] = kv[i+1]
	}
	if _, err := cr.host.Do(ctx, c); err != nil {
		return fmt.Errorf("host %s: %w", cmd, err)
	}
	return nil
}

// modelChange waits for the node's modelChanged event of a kind after
// mark, with the fields given.
func (cr *cellRun) modelChange(ctx context.Context, mark int, change string, kv ...any) error {
	conds := []adapter.Predicate{adapter.Field("change", change)}
	var want []string
	for i := 0; i+1 < len(kv); i += 2 {
		conds = append(conds, adapter.Field(kv[i].(string), kv[i+1]))
		want = append(want, fmt.Sprintf("%s=%v", kv[i], kv[i+1]))
	}
	if _, err := cr.node.WaitFor(ctx, mark, adapter.Named(contract.EvModelChanged, conds...)); err != nil {
		return fmt.Errorf("no modelChanged %s %s: %w", change, strings.Join(want, " "), err)
	}
	return nil
}

func (cr *cellRun) checkModelInit(ctx context.Context) error {
	if _, err := cr.host.Do(ctx, adapter.Command{"cmd": contract.CmdRemoteModel, "name": modelName, "rows": 5, "columns": 2,
		"roles": modelRoles}); err != nil {
		return fmt.Errorf("host remoteModel: %w", err)
	}
	if _, err := cr.node.Do(ctx, adapter.Command{"cmd": contract.CmdAcquireModel, "name": modelName}); err != nil {
		return fmt.Errorf("node acquireModel: %w", err)
	}
	st, err := cr.waitModelSize(ctx, 5, 2)
	if err != nil {
		return err
	}
	var roles []int
	for _, r := range st.List("availableRoles") {
		if n, err := strconv.Atoi(fmt.Sprint(r)); err == nil { // a JSON number, however decoded
			roles = append(roles, n)
		}
	}
	slices.Sort(roles)
	if !slices.Equal(roles, modelRoles) {
		return fmt.Errorf("available roles %v, want %v", roles, modelRoles)
	}
	return nil
}

// waitModelSize polls the node's modelState until the replica is
// initialised with rows × columns.
func (cr *cellRun) waitModelSize(ctx context.Context, rows, columns int) (adapter.Event, error) {
	for {
		st, err := cr.node.Do(ctx, adapter.Command{"cmd": contract.CmdModelState, "model": modelName})
		if err != nil {
			return st, fmt.Errorf("node modelState: %w", err)
		}
		init, _ := st.Bool("initialized")
		r, _ := st.Int("rows")
		c, _ := st.Int("columns")
		if init && int(r) == rows && int(c) == columns {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("the replica is not initialized with %d × %d: initialized %v, %d × %d", rows, columns, init, r, c)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// modelRowsAre reads every row through the replica and compares each
// item's roles with the contract's content of rows labelled labels;
// column1 overrides role 0 of column 1 of some rows.
func (cr *cellRun) modelRowsAre(ctx context.Context, labels []string, column1 map[int]string) error {
	ev, err := cr.node.Do(ctx, adapter.Command{"cmd": contract.CmdModelRows, "model": modelName, "first": 0,
		"last": len(labels) - 1, "roles": modelRoles, "timeoutMs": int(StepTimeout / time.Millisecond / 2)})
	if err != nil {
		return fmt.Errorf("node modelRows: %w", err)
	}
	rows := ev.List("rows")
	if len(rows) != len(labels) {
		return fmt.Errorf("modelRows gave %d rows, want %d: %s", len(rows), len(labels), tail(ev.String(), 300))
	}
	var diffs []string
	for i, r := range rows {
		cells, _ := r.([]any)
		if len(cells) != 2 {
			diffs = append(diffs, fmt.Sprintf("row %d: %d columns", i, len(cells)))
			continue
		}
		for c, cell := range cells {
			m, _ := cell.(map[string]any)
			for _, role := range modelRoles {
				want := fmt.Sprintf("%sc%d", labels[i], c)
				if role != 0 {
					want = fmt.Sprintf("%d:%s", role, want)
				} else if v, ok := column1[i]; ok && c == 1 {
					want = v
				}
				got := m[strconv.Itoa(role)]
				if !adapter.Equal(got, map[string]any{"type": "QString", "value": want}) {
					diffs = append(diffs, fmt.Sprintf("row %d column %d role %d: %s, want %q", i, c, role, adapter.Canonical(got), want))
				}
			}
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 4 {
			diffs = append(diffs[:4], fmt.Sprintf("... %d more", len(diffs)-4))
		}
		return fmt.Errorf("the replica's rows differ from the host's: %s", strings.Join(diffs, "; "))
	}
	return nil
}
