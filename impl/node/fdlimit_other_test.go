//go:build !linux && !darwin

package node_test

import "errors"

// limitFDs is not available without setrlimit.
func limitFDs(int) error { return errors.New("no setrlimit on this system") }
