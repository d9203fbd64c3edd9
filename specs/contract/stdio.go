package contract

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"
)

// The adapter's side of the streams of §5 and §6: command lines in, event
// lines out, for an adapter written in Go.

// MaxLine bounds one command line (§6); a longer one is answered with
// badJson and skipped up to its newline.
const MaxLine = 64 << 20

// Line is one command line read from stdin, or the notice that one was too
// long.
type Line struct {
	B       []byte
	TooLong bool
}

// ReadLines reads r line by line, bounded by max, into lines; it ends with
// the read error (io.EOF at the end) on eof, or when done is closed.
func ReadLines(r io.Reader, max int, lines chan<- Line, eof chan<- error, done <-chan struct{}) {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+1 { // +1: the newline
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(buf) > 0 || tooLong {
			l := Line{B: buf, TooLong: tooLong}
			buf, tooLong = nil, false
			select {
			case lines <- l:
			case <-done:
				return
			}
		}
		if err != nil {
			eof <- err
			return
		}
	}
}

// ParseCommand decodes one command line: a nil Command for an empty line,
// an error (answered with badJson) for anything but one JSON object.
// Numbers stay json.Number, so 64-bit integers are exact.
func ParseCommand(raw []byte) (Command, error) {
	line := bytes.TrimSpace(raw)
	if len(line) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON value")
	}
	if err != nil {
		return nil, err
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return nil, errors.New("a command must be a JSON object")
	}
	return Command(m), nil
}

// Event starts an event with the envelope of §5: its name, mono (the
// CLOCK_MONOTONIC nanoseconds of the adapter's clock) and wall.
func Event(name string, mono int64) Fields {
	return Fields{{Key: "event", Value: name}, {Key: "mono", Value: mono},
		{Key: "wall", Value: time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}}
}

// Result fills ev (an Event(EvResult)) as c's result (§8.2): id verbatim
// (json.Number, string, or nil), cmd, ok, error and message when errName is
// set (message defaults to the name), then fields.
func Result(ev Fields, c Command, fields Fields, errName ErrorName, message string) Fields {
	ev.Set("id", c["id"])
	ev.Set("cmd", c.Name())
	ev.Set("ok", errName == "")
	if errName != "" {
		if message == "" {
			message = string(errName)
		}
		ev.Set("error", errName)
		ev.Set("message", message)
	}
	for _, f := range fields {
		ev.Set(f.Key, f.Value)
	}
	return ev
}

// EventWriter writes an adapter's stdout: one event per line, each Send
// with one write so lines never interleave.
type EventWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	// quiet drops everything once the adapter has said "exiting".
	quiet bool
}

// NewEventWriter writes events to w.
func NewEventWriter(w io.Writer) *EventWriter { return &EventWriter{w: w} }

// Send writes events in one write: nothing written from another goroutine
// can fall between them (a sync result, for instance).
func (e *EventWriter) Send(fs ...Fields) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.quiet {
		return
	}
	e.buf = e.buf[:0]
	for _, f := range fs {
		e.buf = AppendJSON(e.buf, f)
		e.buf = append(e.buf, '\n')
	}
	// A write error means the harness is gone; SIGTERM or EOF on stdin ends
	// the adapter.
	_, _ = e.w.Write(e.buf)
}

// Silence drops every later event.
func (e *EventWriter) Silence() {
	e.mu.Lock()
	e.quiet = true
	e.mu.Unlock()
}
