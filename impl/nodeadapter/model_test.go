package nodeadapter

import (
	"testing"
	"time"

	spec "github.com/qtro/qtro/specs/adapter"
)

// same reports whether a JSON value equals want (numbers compared exactly).
func same(got, want any) bool { return spec.Equal(got, want) }

// TestModelCommands drives a Go model host and a Go model replica through
// the contract 3 model commands (specs/ADAPTER.md §6.5), in both dialects.
func TestModelCommands(t *testing.T) {
	for _, d := range []string{"qt5", "qt6"} {
		t.Run(d, func(t *testing.T) {
			host := run(t, "host", "host", "--url", "tcp://127.0.0.1:0", "--dialect", d)
			url, _ := host.expect(0, named("ready"), "ready")["url"].(string)
			host.do(cmd("remoteModel", "name", "M", "rows", 3, "columns", 2, "roles", []any{0, 257}))
			host.doFail(cmd("remoteModel", "name", "M", "rows", 1), "alreadyEnabled")
			host.doFail(cmd("remoteModel", "name", "X", "rows", -1), "badArgs")
			host.doFail(cmd("modelRemoveRows", "name", "nope", "row", 0), "noReplica")

			node := run(t, "node", "node", "--url", url, "--no-acquire", "--dialect", d)
			node.doFail(cmd("modelState", "model", "M"), "noReplica")
			node.do(cmd("acquireModel", "name", "M"))
			deadline := time.Now().Add(waitTimeout)
			for {
				st := node.do(cmd("modelState", "model", "M"))
				if st["initialized"] == true && same(st["rows"], 3) {
					eq(t, st["availableRoles"], []any{0, 257}, "availableRoles")
					eq(t, st["roleNames"].(map[string]any)["257"], "role257", "role name")
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the replica did not initialise with 3 rows: %v", st)
				}
				time.Sleep(10 * time.Millisecond)
			}
			rows := node.do(cmd("modelRows", "model", "M", "first", 1, "last", 1, "roles", []any{257}))["rows"]
			eq(t, rows, []any{[]any{
				map[string]any{"257": map[string]any{"type": "QString", "value": "257:r1c0"}},
				map[string]any{"257": map[string]any{"type": "QString", "value": "257:r1c1"}},
			}}, "row 1, role 257")

			m := node.mark()
			eq(t, host.do(cmd("modelInsertRows", "name", "M", "row", 0, "count", 2, "label", "a"))["rows"], 5, "rows after insert")
			node.expect(m, named("modelChanged", field("change", "rowsInserted"), field("first", 0), field("last", 1)), "rowsInserted")
			host.do(cmd("modelMoveRows", "name", "M", "row", 0, "count", 1, "dest", 5))
			node.expect(m, named("modelChanged", field("change", "rowsMoved"), field("dest", 5)), "rowsMoved")
			host.doFail(cmd("modelMoveRows", "name", "M", "row", 0, "count", 2, "dest", 1), "badArgs")
			host.do(cmd("modelSetCurrentIndex", "name", "M", "row", 2, "column", 1))
			node.expect(m, named("modelChanged", field("change", "currentChanged"),
				field("current", map[string]any{"row": 2, "column": 1})), "currentChanged")
			host.do(cmd("modelSetHeader", "name", "M", "section", 1, "value", "H"))
			eq(t, node.do(cmd("modelHeader", "model", "M", "section", 1))["value"], map[string]any{"type": "QString", "value": "H"}, "header")
			host.do(cmd("modelReset", "name", "M", "rows", 1, "label", "z"))
			node.expect(m, named("modelChanged", field("change", "modelReset"), field("rows", 1)), "modelReset")
			rows = node.do(cmd("modelRows", "model", "M", "first", 0, "last", 9, "roles", []any{0}))["rows"]
			eq(t, rows, []any{[]any{
				map[string]any{"0": map[string]any{"type": "QString", "value": "z0c0"}},
				map[string]any{"0": map[string]any{"type": "QString", "value": "z0c1"}},
			}}, "the rows after the reset")
			node.doFail(cmd("modelRows", "model", "M", "first", 0, "last", 0, "parent", []any{}), "unsupported")
			node.doFail(cmd("remoteModel", "name", "N"), "wrongRole")
			host.doFail(cmd("acquireModel", "name", "M"), "wrongRole")
			node.close()
			host.close()
		})
	}
}
