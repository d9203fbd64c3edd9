package adapter

// Command is one JSON command line (specs/ADAPTER.md §6). "cmd" names it; "id" is filled in by
// Adapter.Send when missing.
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

func args(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// Sync asks for an immediate result: every event written before it has been emitted.
func Sync() Command { return Command{"cmd": "sync"} }

// Exit asks the adapter to exit with code.
func Exit(code int) Command { return Command{"cmd": "exit", "code": code} }

// State asks for the adapter's state (role, URL, replicas and their states, remoting, last error).
func State() Command { return Command{"cmd": "state"} }

// Describe asks for the remoted API (host) or a replica's metaobject (node).
func Describe() Command { return Command{"cmd": "describe"} }

// Get reads one property ("" reads all of them).
func Get(property string) Command {
	if property == "" {
		return Command{"cmd": "get"}
	}
	return Command{"cmd": "get", "property": property}
}

// Set sets a property on the host's source object.
func Set(property string, value any) Command {
	return Command{"cmd": "set", "property": property, "value": value}
}

// Emit emits a signal of the host's source object.
func Emit(signal string, a ...any) Command {
	return Command{"cmd": "emit", "signal": signal, "args": args(a)}
}

// Call calls a slot on the node's replica; the result carries the reply.
func Call(method string, a ...any) Command {
	return Command{"cmd": "call", "method": method, "args": args(a)}
}

// Write writes a property through the replica (a READWRITE setter: Invoke with call=2).
func Write(property string, value any) Command {
	return Command{"cmd": "write", "property": property, "value": value}
}

// Push calls the replica's push<Property> slot.
func Push(property string, value any) Command {
	return Command{"cmd": "push", "property": property, "value": value}
}

// DisableRemoting stops remoting the host's object.
func DisableRemoting() Command { return Command{"cmd": "disableRemoting"} }

// EnableRemoting remotes the host's object again.
func EnableRemoting() Command { return Command{"cmd": "enableRemoting"} }

// Acquire acquires a replica of object in mode "static" or "dynamic" ("" = the adapter's default).
func Acquire(object, mode string) Command {
	c := Command{"cmd": "acquire", "object": object}
	if mode != "" {
		c["mode"] = mode
	}
	return c
}

// Release deletes a replica (by its key, usually the object name).
func Release(replica string) Command { return Command{"cmd": "release", "replica": replica} }

// Load starts a load run; fields are the mode's parameters (specs/ADAPTER.md §9).
func Load(mode string, fields map[string]any) Command {
	c := Command{"cmd": "load", "mode": mode}
	for k, v := range fields {
		c[k] = v
	}
	return c
}

// Tagged builds a tagged QVariant value {"type": typ, "value": value} (specs/ADAPTER.md §7.3).
func Tagged(typ string, value any) map[string]any {
	return map[string]any{"type": typ, "value": value}
}
