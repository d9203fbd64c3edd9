package contract

import "encoding/json"

// Command is one JSON command line (specs/ADAPTER.md §6). "cmd" names it;
// the driver (specs/adapter) fills in "id" when it is missing. Decoded with
// UseNumber, its numbers are json.Number.
type Command map[string]any

// With returns a copy of c with extra fields set.
func (c Command) With(key string, value any) Command {
	n := make(Command, len(c)+1)
	for k, v := range c {
		n[k] = v
	}
	n[key] = value
	return n
}

// Name returns the "cmd" field.
func (c Command) Name() string {
	s, _ := c["cmd"].(string)
	return s
}

// Has reports whether the command has key.
func (c Command) Has(key string) bool { _, ok := c[key]; return ok }

// Str returns a string field, else def.
func (c Command) Str(key, def string) string {
	if s, ok := c[key].(string); ok {
		return s
	}
	return def
}

// Int returns an integral number field (2.0 counts), else def.
func (c Command) Int(key string, def int64) int64 {
	i, _, big, err := integer(c[key])
	if err != nil || big {
		return def
	}
	return i
}

// Float returns a number field, else def.
func (c Command) Float(key string, def float64) float64 {
	if _, ok := c[key].(json.Number); !ok {
		return def
	}
	f, err := floatOf(c[key])
	if err != nil {
		return def
	}
	return f
}

// Bool returns a boolean field, else def.
func (c Command) Bool(key string, def bool) bool {
	if b, ok := c[key].(bool); ok {
		return b
	}
	return def
}

// Strings returns the strings of an array field (other elements as "").
func (c Command) Strings(key string) []string {
	l, _ := c[key].([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func args(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// Sync asks for an immediate result: every event written before it has been emitted.
func Sync() Command { return Command{"cmd": CmdSync} }

// Exit asks the adapter to exit with code.
func Exit(code int) Command { return Command{"cmd": CmdExit, "code": code} }

// State asks for the adapter's state (role, URL, replicas and their states, remoting, last error).
func State() Command { return Command{"cmd": CmdState} }

// Describe asks for the remoted API (host) or a replica's metaobject (node).
func Describe() Command { return Command{"cmd": CmdDescribe} }

// Get reads one property ("" reads all of them).
func Get(property string) Command {
	if property == "" {
		return Command{"cmd": CmdGet}
	}
	return Command{"cmd": CmdGet, "property": property}
}

// Set sets a property on the host's source object.
func Set(property string, value any) Command {
	return Command{"cmd": CmdSet, "property": property, "value": value}
}

// Emit emits a signal of the host's source object.
func Emit(signal string, a ...any) Command {
	return Command{"cmd": CmdEmit, "signal": signal, "args": args(a)}
}

// Call calls a slot on the node's replica; the result carries the reply.
func Call(method string, a ...any) Command {
	return Command{"cmd": CmdCall, "method": method, "args": args(a)}
}

// Write writes a property through the replica (a READWRITE setter: Invoke with call=2).
func Write(property string, value any) Command {
	return Command{"cmd": CmdWrite, "property": property, "value": value}
}

// Push calls the replica's push<Property> slot.
func Push(property string, value any) Command {
	return Command{"cmd": CmdPush, "property": property, "value": value}
}

// DisableRemoting stops remoting the host's object.
func DisableRemoting() Command { return Command{"cmd": CmdDisableRemoting} }

// EnableRemoting remotes the host's object again.
func EnableRemoting() Command { return Command{"cmd": CmdEnableRemoting} }

// Acquire acquires a replica of object in mode "static" or "dynamic" ("" = the adapter's default).
func Acquire(object, mode string) Command {
	c := Command{"cmd": CmdAcquire, "object": object}
	if mode != "" {
		c["mode"] = mode
	}
	return c
}

// Release deletes a replica (by its key, usually the object name).
func Release(replica string) Command { return Command{"cmd": CmdRelease, "replica": replica} }

// Load starts a load run; fields are the mode's parameters (specs/ADAPTER.md §9).
func Load(mode string, fields map[string]any) Command {
	c := Command{"cmd": CmdLoad, "mode": mode}
	for k, v := range fields {
		c[k] = v
	}
	return c
}

// TagValue builds a tagged QVariant value {"type": typ, "value": value} (specs/ADAPTER.md §7.3)
// from its JSON parts; Tagged renders a qds.Variant.
func TagValue(typ string, value any) map[string]any {
	return map[string]any{"type": typ, "value": value}
}
