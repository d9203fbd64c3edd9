package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// emitter writes events (specs/ADAPTER.md §5, §8): one JSON object per
// line, each line in one Write, in the order emit is called.
type emitter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func newEmitter(w io.Writer) *emitter { return &emitter{w: w} }

// emit writes one event with the envelope (event, mono, wall) and fields.
func (e *emitter) emit(name string, fields map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.writeLocked(name, fields)
}

// emitLast writes a final event; nothing is written after it.
func (e *emitter) emitLast(name string, fields map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.writeLocked(name, fields)
	e.closed = true
}

// stop drops every later event.
func (e *emitter) stop() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
}

func (e *emitter) writeLocked(name string, fields map[string]any) {
	now := time.Now()
	m := make(map[string]any, len(fields)+3)
	for k, v := range fields {
		m[k] = v
	}
	m["event"] = name
	m["mono"] = monoNow()
	m["wall"] = now.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode appends the newline
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		buf.Reset()
		enc.Encode(map[string]any{"event": "fatal", "mono": m["mono"], "wall": m["wall"],
			"stage": "output", "error": "internal", "message": err.Error()})
	}
	_, _ = e.w.Write(buf.Bytes())
}
