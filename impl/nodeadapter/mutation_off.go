//go:build !qtro_mutation

package nodeadapter

// mutating reports whether a deliberate fault is switched on: never,
// without the qtro_mutation tag (see mutation_on.go).
func mutating(string) bool { return false }
