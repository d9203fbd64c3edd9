// Package proc holds what qtro's drivers and tests do with the processes they
// start: a process group per child so that everything it started can be
// signalled, a liveness check by pid, dying with the parent, and a bounded
// tail of a child's output for error messages. It does not start processes.
package proc

import (
	"errors"
	"sync"
)

// ErrUnsupported is returned where this operating system lacks the facility
// (process-death signals outside Linux, for one).
var ErrUnsupported = errors.New("proc: unsupported on this operating system")

// Tail keeps the last Max bytes written to it. It is safe for concurrent
// use; the zero value keeps nothing, so set Max or use NewTail.
type Tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

// NewTail returns a Tail that keeps the last max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

// Write appends p, dropping the oldest bytes beyond the bound. It never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		// A fresh slice: the dropped head is not kept alive.
		t.b = append(t.b[:0:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// WriteLine appends s and a newline.
func (t *Tail) WriteLine(s string) { _, _ = t.Write([]byte(s + "\n")) }

// String returns what is kept.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
