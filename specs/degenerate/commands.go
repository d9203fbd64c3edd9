package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/qtro/qtro/impl/qds"
)

// maxCommandLine bounds one command line (specs/ADAPTER.md §6).
const maxCommandLine = 64 << 20

// command is one parsed command line.
type command struct {
	id     json.RawMessage
	name   string
	fields map[string]json.RawMessage
}

// str returns a string field ("" when missing or not a string).
func (c command) str(key string) (string, bool) {
	raw, ok := c.fields[key]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// commandError is a failed command's error code and message.
type commandError struct{ code, msg string }

func (e *commandError) Error() string { return e.code + ": " + e.msg }

func fail(code, format string, args ...any) *commandError {
	return &commandError{code, fmt.Sprintf(format, args...)}
}

// result writes the command's result event.
func (h *host) result(c command, fields map[string]any, err *commandError) {
	writeResult(h.ev, c, fields, err)
}

// writeResult writes a command's result event.
func writeResult(ev *emitter, c command, fields map[string]any, err *commandError) {
	f := map[string]any{"id": c.id, "cmd": c.name, "ok": err == nil}
	for k, v := range fields {
		f[k] = v
	}
	if err != nil {
		f["error"] = err.code
		f["message"] = err.msg
	}
	ev.emit("result", f)
}

// readLine returns the next line without its newline; a line longer than
// maxCommandLine is skipped up to its newline and reported as tooLong.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > maxCommandLine+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == nil:
			return bytes.TrimRight(line, "\r\n"), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case len(line) > 0 || tooLong:
			return bytes.TrimRight(line, "\r\n"), tooLong, nil // last line without a newline
		default:
			return nil, false, err
		}
	}
}

// commander is a role that answers commands (host or node).
type commander interface {
	logf(format string, args ...any)
	requestExit(code int, reason string)
	result(c command, fields map[string]any, err *commandError)
	// do runs one command and writes its result; it reports whether the
	// command loop must stop (exit).
	do(c command) bool
}

// commandLoop reads and answers commands until exit or EOF.
func (h *host) commandLoop(stdin io.Reader) { runCommands(h, stdin, h.o.IgnoreStdinEOF) }

// runCommands reads and answers commands until exit or EOF.
func runCommands(h commander, stdin io.Reader, ignoreEOF bool) {
	r := bufio.NewReaderSize(stdin, 64<<10)
	for {
		line, tooLong, err := readLine(r)
		if err != nil {
			switch {
			case !errors.Is(err, io.EOF):
				h.logf("stdin: %v", err)
				h.requestExit(1, "stdinError")
			case ignoreEOF:
				// keep serving until a signal
			default:
				h.requestExit(0, "stdinClosed")
			}
			return
		}
		if tooLong {
			h.result(command{id: json.RawMessage("null")}, nil, fail("badJson", "command line longer than %d bytes", maxCommandLine))
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		c, cerr := parseCommand(line)
		if cerr != nil {
			h.result(c, nil, cerr)
			continue
		}
		if h.do(c) {
			return
		}
	}
}

// parseCommand decodes one line; a line that is not a JSON object is badJson.
func parseCommand(line []byte) (command, *commandError) {
	c := command{id: json.RawMessage("null")}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&c.fields); err != nil || c.fields == nil {
		return c, fail("badJson", "not a JSON object: %v", err)
	}
	if dec.More() {
		return c, fail("badJson", "more than one JSON value on the line")
	}
	if id, ok := c.fields["id"]; ok {
		c.id = id
	}
	name, ok := c.str("cmd")
	if !ok {
		return c, fail("unknownCommand", `missing string field "cmd"`)
	}
	c.name = name
	return c, nil
}

// do runs one command and writes its result; it reports whether the
// command loop must stop (exit).
func (h *host) do(c command) bool {
	var fields map[string]any
	var err *commandError
	switch c.name {
	case "sync", "describe":
		// sync: every earlier event is already written. describe: the
		// dynamic source API has no fields to describe.
	case "exit":
		code := 0
		if raw, ok := c.fields["code"]; ok {
			if jerr := json.Unmarshal(raw, &code); jerr != nil {
				h.result(c, nil, fail("badArgs", "code must be an integer"))
				return false
			}
		}
		h.result(c, nil, nil)
		h.requestExit(code, "command")
		return true
	case "state":
		h.mu.Lock()
		fields = map[string]any{"role": "host", "url": h.url, "lastError": "NoError",
			"remoting": map[string]any{h.o.Object: h.enabled}}
		h.mu.Unlock()
	case "get":
		fields, err = h.cmdGet(c)
	case "set":
		fields, err = h.cmdSet(c)
	case "emit":
		err = h.cmdEmit(c)
	case "disableRemoting":
		h.mu.Lock()
		if !h.enabled {
			err = fail("notEnabled", "remoting of %s is already disabled", h.o.Object)
		} else {
			h.disableLocked()
			h.ev.emit("remoting", map[string]any{"object": h.o.Object, "enabled": false})
		}
		h.mu.Unlock()
	case "enableRemoting":
		h.mu.Lock()
		if h.enabled {
			err = fail("alreadyEnabled", "remoting of %s is already enabled", h.o.Object)
		} else {
			h.enableLocked()
			h.ev.emit("remoting", map[string]any{"object": h.o.Object, "enabled": true})
		}
		h.mu.Unlock()
	case "call", "write", "push", "acquire", "release":
		err = fail("wrongRole", "%s is a node command", c.name)
	case "load":
		err = fail("unsupported", "degenerate has no load mode")
	default:
		err = fail("unknownCommand", "unknown command %q", c.name)
	}
	h.result(c, fields, err)
	return false
}

// property resolves a property name.
func property(name string) (int, bool) {
	for i, p := range plainProps {
		if p.name == name {
			return i, true
		}
	}
	return 0, false
}

func (h *host) cmdGet(c command) (map[string]any, *commandError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, has := c.fields["property"]; !has {
		vals := map[string]any{}
		for i, p := range plainProps {
			vals[p.name] = h.state.get(i).json(p.kind)
		}
		return map[string]any{"values": vals}, nil
	}
	name, _ := c.str("property")
	i, ok := property(name)
	if !ok {
		return nil, fail("unknownProperty", "Plain has no property %q", name)
	}
	return map[string]any{"value": h.state.get(i).json(plainProps[i].kind)}, nil
}

func (h *host) cmdSet(c command) (map[string]any, *commandError) {
	name, ok := c.str("property")
	if !ok {
		return nil, fail("badArgs", `set needs a string "property"`)
	}
	i, ok := property(name)
	if !ok {
		return nil, fail("unknownProperty", "Plain has no property %q", name)
	}
	if i == propRatio {
		return nil, fail("notWritable", "ratio is CONSTANT")
	}
	raw, ok := c.fields["value"]
	if !ok {
		return nil, fail("badArgs", `set needs a "value"`)
	}
	v, err := fromJSON(plainProps[i].kind, raw)
	if err != nil {
		return nil, fail("badValue", "%s: %v", name, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setLocked(i, v)
	return map[string]any{"value": h.state.get(i).json(plainProps[i].kind)}, nil
}

func (h *host) cmdEmit(c command) *commandError {
	name, ok := c.str("signal")
	if !ok {
		return fail("badArgs", `emit needs a string "signal"`)
	}
	var args []json.RawMessage
	if raw, has := c.fields["args"]; has && string(raw) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return fail("badArgs", "args must be an array")
		}
	}
	full := strings.Contains(name, "(")
	idx := -1
	for i, s := range plainSignals {
		if (full && s.signature() == name) || (!full && s.name == name && len(s.params) == len(args)) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return fail("unknownSignal", "Plain has no signal %s with %d arguments", name, len(args))
	}
	s := plainSignals[idx]
	if len(args) != len(s.params) {
		return fail("badArgs", "%s takes %d arguments, got %d", s.signature(), len(s.params), len(args))
	}
	vs := make([]qds.Variant, len(args))
	for i, raw := range args {
		v, err := fromJSON(s.params[i], raw)
		if err != nil {
			return fail("badArgs", "argument %d of %s: %v", i, s.signature(), err)
		}
		vs[i] = v.variant(s.params[i])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.prop >= 0 {
		// Emitting a notify signal: a Qt source sends the property's
		// current value and the signal, like a change.
		h.changedLocked(s.prop, vs)
	} else {
		h.signalLocked(idx, vs)
	}
	return nil
}

// watchSignals calls fn on SIGTERM or SIGINT; the returned func stops it.
func watchSignals(fn func()) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			fn()
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
