//go:build qtro_mutation

package nodeadapter

import (
	"os"
	"strings"
)

// Deliberate faults of the adapter's item models for the conformance
// suite's mutation check (specs/mutation_test.go), chosen with
// QTRO_MUTATION (comma-separated) in builds with the qtro_mutation tag:
//
//	model-swap-roles         the host's model answers role 0 with role 257's value and back
//	model-insert-off-by-one  the host signals rowsInserted one row after the rows inserted
//	model-no-children        the host's tree model says no item has children
//	model-drop-moved         the node's model replica reports no rowsMoved
//	model-drop-current       the node's model replica reports no currentChanged
var mutations = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("QTRO_MUTATION"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}()

func mutating(name string) bool { return mutations[name] }
