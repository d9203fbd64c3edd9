package nodeadapter

import (
	"io"
	"sync"
	"time"

	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// events writes the adapter's stdout: one event per line, each written with
// one call so lines never interleave.
type events struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	// quiet drops everything once the adapter has said "exiting".
	quiet bool
}

// event starts an event with the contract's envelope.
func event(name string) contract.Fields {
	return contract.Fields{{Key: "event", Value: name}, {Key: "mono", Value: clock.Now()},
		{Key: "wall", Value: time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}}
}

// send writes one event.
func (e *events) send(f contract.Fields) { e.sendAll(f) }

// sendAll writes several events in one write: nothing the adapter writes from
// another goroutine can fall between them (a sync result, for instance).
func (e *events) sendAll(fs ...contract.Fields) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.quiet {
		return
	}
	e.buf = e.buf[:0]
	for _, f := range fs {
		e.buf = contract.AppendJSON(e.buf, f)
		e.buf = append(e.buf, '\n')
	}
	// A write error means the harness is gone; SIGTERM or EOF on stdin ends us.
	_, _ = e.w.Write(e.buf)
}

// silence drops every later event.
func (e *events) silence() {
	e.mu.Lock()
	e.quiet = true
	e.mu.Unlock()
}
