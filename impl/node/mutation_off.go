//go:build !qtro_mutation

package node

// mutating reports whether a deliberate fault is switched on. Only builds
// with the qtro_mutation tag have faults (see mutation_on.go); here it is
// constant false, so the checks compile away.
func mutating(string) bool { return false }
