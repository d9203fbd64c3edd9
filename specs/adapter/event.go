package adapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/qtro/qtro/specs/contract"
)

// Event is one line an adapter wrote on stdout (specs/ADAPTER.md §5).
type Event struct {
	// Name is the "event" field.
	Name string
	// Mono is the adapter's CLOCK_MONOTONIC timestamp in nanoseconds ("mono").
	Mono int64
	// Wall is the adapter's wall-clock time ("wall").
	Wall time.Time
	// Seq is the event's position in the adapter's event log (0 is the first event).
	Seq int
	// Fields holds every field of the line; numbers are json.Number (exact 64-bit integers survive).
	Fields map[string]any
	// Raw is the line as received.
	Raw []byte
}

// parseEvent checks one stdout line against the event envelope of the contract.
func parseEvent(line []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return Event{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("more than one JSON value on the line")
	}
	if fields == nil {
		return Event{}, fmt.Errorf("not a JSON object")
	}
	ev := Event{Fields: fields, Raw: append([]byte(nil), line...)}
	name, ok := fields["event"].(string)
	if !ok || name == "" {
		return ev, fmt.Errorf(`missing string field "event"`)
	}
	ev.Name = name
	mono, ok := fields["mono"].(json.Number)
	if !ok {
		return ev, fmt.Errorf(`missing integer field "mono"`)
	}
	m, err := mono.Int64()
	if err != nil {
		return ev, fmt.Errorf(`"mono" is not a 64-bit integer: %v`, err)
	}
	ev.Mono = m
	wall, ok := fields["wall"].(string)
	if !ok {
		return ev, fmt.Errorf(`missing string field "wall"`)
	}
	t, err := time.Parse(time.RFC3339Nano, wall)
	if err != nil {
		return ev, fmt.Errorf(`"wall" is not RFC 3339: %v`, err)
	}
	ev.Wall = t
	return ev, nil
}

// Get returns a field by name.
func (e Event) Get(key string) (any, bool) {
	v, ok := e.Fields[key]
	return v, ok
}

// Path walks nested objects and arrays (array indices as decimal strings), e.g. Path("values", "pointProp", "x").
func (e Event) Path(path ...string) (any, bool) {
	var cur any = e.Fields
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// Str returns a string field, or "" when it is missing or not a string.
func (e Event) Str(key string) string {
	s, _ := e.Fields[key].(string)
	return s
}

// Int returns an integer field.
func (e Event) Int(key string) (int64, bool) {
	n, ok := e.Fields[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// Float returns a numeric field as float64.
func (e Event) Float(key string) (float64, bool) {
	n, ok := e.Fields[key].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// Bool returns a boolean field.
func (e Event) Bool(key string) (bool, bool) {
	b, ok := e.Fields[key].(bool)
	return b, ok
}

// Object returns an object field (nil when missing).
func (e Event) Object(key string) map[string]any {
	m, _ := e.Fields[key].(map[string]any)
	return m
}

// List returns an array field (nil when missing).
func (e Event) List(key string) []any {
	l, _ := e.Fields[key].([]any)
	return l
}

// String returns the raw line.
func (e Event) String() string { return string(e.Raw) }

// Predicate selects events.
type Predicate func(Event) bool

// Named matches events called name that satisfy every cond.
func Named(name string, conds ...Predicate) Predicate {
	return func(e Event) bool {
		if e.Name != name {
			return false
		}
		for _, c := range conds {
			if !c(e) {
				return false
			}
		}
		return true
	}
}

// Field matches events whose field key equals want in the JSON sense (see Equal).
func Field(key string, want any) Predicate {
	return func(e Event) bool {
		v, ok := e.Fields[key]
		return ok && Equal(v, want)
	}
}

// FieldPath matches events whose nested field (see Event.Path) equals want.
func FieldPath(want any, path ...string) Predicate {
	return func(e Event) bool {
		v, ok := e.Path(path...)
		return ok && Equal(v, want)
	}
}

// AnyOf matches events that satisfy at least one of ps.
func AnyOf(ps ...Predicate) Predicate {
	return func(e Event) bool {
		for _, p := range ps {
			if p(e) {
				return true
			}
		}
		return false
	}
}

// StateChanged matches a replica state change to state ("Valid", "Suspect", ...); replica "" matches any.
func StateChanged(replica, state string) Predicate {
	return Named(contract.EvStateChanged, func(e Event) bool {
		return e.Str("state") == state && (replica == "" || e.Str("replica") == replica)
	})
}

// PropertyChanged matches a propertyChanged event for property; with a value, only that value.
func PropertyChanged(property string, value ...any) Predicate {
	return Named(contract.EvPropertyChanged, func(e Event) bool {
		if e.Str("property") != property {
			return false
		}
		return len(value) == 0 || Equal(e.Fields["value"], value[0])
	})
}

// Signal matches a "signal" event of the named signal.
func Signal(name string) Predicate {
	return Named(contract.EvSignal, Field("signal", name))
}

// Normalize, Equal and Canonical are the JSON equality of specs/ADAPTER.md §7.5 (specs/contract's).
var (
	Normalize = contract.Normalize
	Equal     = contract.Equal
	Canonical = contract.Canonical
)
