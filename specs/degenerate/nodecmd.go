package main

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Node commands (specs/ADAPTER.md §6.1, §6.3).

func (n *node) commandLoop(stdin io.Reader) { runCommands(n, stdin, n.o.IgnoreStdinEOF) }

func (n *node) result(c command, fields map[string]any, err *commandError) {
	writeResult(n.ev, c, fields, err)
}

// resultLocked is result under n.mu (the emitter orders it either way).
func (n *node) resultLocked(c command, fields map[string]any, err *commandError) {
	n.result(c, fields, err)
}

// do runs one command; it reports whether the command loop must stop.
func (n *node) do(c command) bool {
	var fields map[string]any
	var err *commandError
	switch c.name {
	case "sync":
		// A barrier (ADAPTER.md §5): packets are handled under n.mu, so
		// taking it orders this result after every event of a packet
		// already being handled (an Init's notifications after Valid).
		n.mu.Lock()
		n.mu.Unlock()
	case "exit":
		code := 0
		if raw, ok := c.fields["code"]; ok {
			if jerr := json.Unmarshal(raw, &code); jerr != nil {
				n.result(c, nil, fail("badArgs", "code must be an integer"))
				return false
			}
		}
		n.result(c, nil, nil)
		n.requestExit(code, "command")
		return true
	case "state":
		fields = n.cmdState()
	case "get":
		fields, err = n.cmdGet(c)
	case "describe":
		fields, err = n.cmdDescribe(c)
	case "call":
		// A non-void call answers later (reply, timeout): cmdCall writes
		// its own result.
		n.cmdCall(c)
		return false
	case "write":
		err = n.cmdWrite(c, false)
	case "push":
		err = n.cmdWrite(c, true)
	case "acquire":
		fields, err = n.cmdAcquire(c)
	case "release":
		err = n.cmdRelease(c)
	case "set", "emit", "disableRemoting", "enableRemoting":
		err = fail("wrongRole", "%s is a host command", c.name)
	case "load":
		err = fail("unsupported", "degenerate has no load mode")
	default:
		err = fail("unknownCommand", "unknown command %q", c.name)
	}
	n.result(c, fields, err)
	return false
}

func (n *node) cmdState() map[string]any {
	n.mu.Lock()
	defer n.mu.Unlock()
	reps := map[string]any{}
	for k, r := range n.keys {
		reps[k] = map[string]any{"object": r.name, "type": r.typ, "mode": r.mode, "state": r.state}
	}
	return map[string]any{"role": "node", "url": n.o.URL, "lastError": n.lastError, "replicas": reps, "heartbeatMs": 0}
}

// replicaLocked resolves the command's replica key: given, else --object,
// else the only replica.
func (n *node) replicaLocked(c command) (*robj, *commandError) {
	key, has := c.str("replica")
	if !has {
		if r := n.keys[n.o.Object]; r != nil {
			return r, nil
		}
		if len(n.keys) == 1 {
			for _, r := range n.keys {
				return r, nil
			}
		}
		return nil, fail("noReplica", "no replica given and none named %q", n.o.Object)
	}
	r := n.keys[key]
	if r == nil {
		return nil, fail("noReplica", "no replica %q", key)
	}
	return r, nil
}

// initializedLocked is the replica with its class definition.
func (n *node) initializedLocked(c command) (*robj, *commandError) {
	r, err := n.replicaLocked(c)
	if err != nil {
		return nil, err
	}
	if r.info.def == nil {
		return nil, fail("notInitialized", "the dynamic replica of %s has no class definition yet", r.name)
	}
	return r, nil
}

func (n *node) cmdGet(c command) (map[string]any, *commandError) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.replicaLocked(c)
	if err != nil {
		return nil, err
	}
	prop, has := c.str("property")
	if !has {
		return map[string]any{"values": n.valuesLocked(r), "state": r.state}, nil
	}
	if r.info.def == nil {
		return nil, fail("notInitialized", "the dynamic replica of %s has no class definition yet", r.name)
	}
	head, sub, dotted := strings.Cut(prop, ".")
	i := r.info.def.PropertyIndex(head)
	if i < 0 {
		return nil, fail("unknownProperty", "%s has no property %q", r.name, head)
	}
	v := n.propValueLocked(r, i)
	if dotted {
		m, ok := v.(map[string]any)
		x, found := m[sub]
		if !ok || !found {
			return nil, fail("unknownProperty", "%s has no property %q", r.name, prop)
		}
		v = x
	}
	return map[string]any{"value": v}, nil
}

func (n *node) cmdDescribe(c command) (map[string]any, *commandError) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.initializedLocked(c)
	if err != nil {
		return nil, err
	}
	def := r.info.def
	props := []any{}
	for i, p := range def.Properties {
		var notify any
		if p.Notify != "" {
			notify = p.Notify
		}
		props = append(props, map[string]any{"index": i, "name": p.Name, "type": p.Type, "writable": true, "notify": notify})
	}
	names := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	sigs := []any{}
	for i, s := range def.Signals {
		sigs = append(sigs, map[string]any{"index": i, "signature": s.Signature, "returnType": "void", "parameterNames": names(s.ParamNames)})
	}
	methods := []any{}
	for i, m := range def.Methods {
		rt := m.ReturnType
		if rt == "" {
			rt = "void"
		}
		methods = append(methods, map[string]any{"index": i, "signature": m.Signature, "returnType": rt, "parameterNames": names(m.ParamNames)})
	}
	var typeName any
	if def.TypeName.Valid {
		typeName = def.TypeName.Text
	}
	className := r.name
	if def.TypeName.Valid && def.TypeName.Text != "" {
		className = def.TypeName.Text
	}
	return map[string]any{"metaObject": map[string]any{"className": className, "typeName": typeName, "signature": nil,
		"properties": props, "signals": sigs, "methods": methods}}, nil
}

// methodLocked finds a method by full signature, or by name and arity.
func methodLocked(def *wire.ClassDef, name string, nargs int) (int, bool) {
	full := strings.Contains(name, "(")
	for i, m := range def.Methods {
		if full && m.Signature == name {
			return i, true
		}
		if !full && wire.SignatureName(m.Signature) == name && len(wire.SignatureParams(m.Signature)) == nargs {
			return i, true
		}
	}
	return -1, false
}

// argsOf parses the command's args array.
func argsOf(c command) ([]any, *commandError) {
	raw, has := c.fields["args"]
	if !has || string(raw) == "null" {
		return nil, nil
	}
	x, err := decodeJSON(raw)
	l, ok := x.([]any)
	if err != nil || !ok {
		return nil, fail("badArgs", "args must be an array")
	}
	return l, nil
}

// cmdCall sends an Invoke. A void slot goes with serial -1 and is answered
// at once; a non-void one with the next serial, answered by the reply or
// the timeout. It always writes the result, now or later.
func (n *node) cmdCall(c command) {
	n.mu.Lock()
	defer n.mu.Unlock()
	failNow := func(err *commandError) { n.resultLocked(c, nil, err) }
	r, cerr := n.initializedLocked(c)
	if cerr != nil {
		failNow(cerr)
		return
	}
	name, ok := c.str("method")
	if !ok {
		failNow(fail("badArgs", `call needs a string "method"`))
		return
	}
	if strings.Contains(name, ".") && !strings.Contains(name, "(") {
		failNow(fail("unsupported", "degenerate's node does not call CLASS children"))
		return
	}
	args, cerr := argsOf(c)
	if cerr != nil {
		failNow(cerr)
		return
	}
	def := r.info.def
	mi, ok := methodLocked(def, name, len(args))
	if !ok {
		failNow(fail("unknownMethod", "%s has no method %s with %d arguments", r.name, name, len(args)))
		return
	}
	m := def.Methods[mi]
	params := wire.SignatureParams(m.Signature)
	if len(params) != len(args) {
		failNow(fail("badArgs", "%s takes %d arguments, got %d", m.Signature, len(params), len(args)))
		return
	}
	vs := make([]qds.Variant, len(args))
	for i, a := range args {
		v, err := r.info.toVariant(params[i], a)
		if err != nil {
			failNow(fail("badValue", "argument %d of %s: %v", i, m.Signature, err))
			return
		}
		vs[i] = v
	}
	timeout := n.callTimeout
	if raw, has := c.fields["timeoutMs"]; has {
		var ms int
		if err := json.Unmarshal(raw, &ms); err != nil || ms < 0 {
			failNow(fail("badArgs", "timeoutMs must be a non-negative integer"))
			return
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	if r.state != stValid || n.nc == nil {
		failNow(fail("invalidMessage", "the replica of %s is %s", r.name, r.state))
		return
	}
	void := m.ReturnType == "" || m.ReturnType == "void"
	if void {
		n.sendLocked(&wire.Invoke{Name: r.name, Call: wire.CallInvokeMethod, Index: int32(mi), Args: vs, Serial: -1, PropertyIndex: -1})
		n.resultLocked(c, map[string]any{"void": true, "value": nil}, nil)
		return
	}
	serial := int32(0)
	if n.o.Flaw != FlawNodeSerialZero {
		r.serial++
		if r.serial <= 0 {
			r.serial = 1
		}
		serial = r.serial
	}
	if old := r.pending[serial]; old != nil {
		// FlawNodeSerialZero: the earlier call can no longer be matched.
		old.timer.Stop()
		n.resultLocked(old.c, nil, fail("invalidMessage", "serial %d reused", serial))
	}
	pc := &pendingCall{c: c}
	pc.timer = time.AfterFunc(timeout, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if r.pending[serial] != pc {
			return
		}
		delete(r.pending, serial)
		n.resultLocked(c, nil, fail("timeout", "no reply within %s", timeout))
	})
	r.pending[serial] = pc
	n.sendLocked(&wire.Invoke{Name: r.name, Call: wire.CallInvokeMethod, Index: int32(mi), Args: vs, Serial: serial, PropertyIndex: -1})
}

// cmdWrite writes a property through the replica (Invoke call=2), or with
// push calls its push<Property> slot.
func (n *node) cmdWrite(c command, push bool) *commandError {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, err := n.initializedLocked(c)
	if err != nil {
		return err
	}
	prop, ok := c.str("property")
	if !ok {
		return fail("badArgs", `%s needs a string "property"`, c.name)
	}
	if strings.Contains(prop, ".") {
		return fail("unsupported", "degenerate's node does not write CLASS children")
	}
	def := r.info.def
	i := def.PropertyIndex(prop)
	if i < 0 {
		return fail("unknownProperty", "%s has no property %q", r.name, prop)
	}
	raw, has := c.fields["value"]
	if !has {
		return fail("badArgs", `%s needs a "value"`, c.name)
	}
	x, jerr := decodeJSON(raw)
	if jerr != nil {
		return fail("badValue", "%s: %v", prop, jerr)
	}
	v, verr := r.info.toVariant(def.Properties[i].Type, x)
	if verr != nil {
		return fail("badValue", "%s: %v", prop, verr)
	}
	if push {
		mi, ok := methodLocked(def, "push"+strings.ToUpper(prop[:1])+prop[1:], 1)
		if !ok {
			return fail("noPushSlot", "%s has no push slot for %s", r.name, prop)
		}
		n.sendLocked(&wire.Invoke{Name: r.name, Call: wire.CallInvokeMethod, Index: int32(mi), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1})
		return nil
	}
	n.sendLocked(&wire.Invoke{Name: r.name, Call: wire.CallWriteProperty, Index: int32(i), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: -1})
	return nil
}

func (n *node) cmdAcquire(c command) (map[string]any, *commandError) {
	n.mu.Lock()
	defer n.mu.Unlock()
	object, ok := c.str("object")
	if !ok {
		object = n.o.Object
	}
	key, ok := c.str("as")
	if !ok {
		key = object
	}
	if mode, ok := c.str("mode"); ok && mode != "dynamic" && !(mode == "static" && n.o.Flaw == FlawNodeStaticLie) {
		return nil, fail("unsupported", "degenerate's node has only dynamic replicas, not %q", mode)
	}
	typ, ok := c.str("type")
	if !ok {
		typ = n.o.Type
	}
	if n.keys[key] != nil {
		return nil, fail("acquireFailed", "replica key %q is taken", key)
	}
	r := n.acquireLocked(key, object, typ)
	n.sendAddLocked(r)
	return map[string]any{"replica": key, "state": r.state}, nil
}

// cmdRelease deletes a replica; releasing the last replica of a source
// sends RemoveObject.
func (n *node) cmdRelease(c command) *commandError {
	n.mu.Lock()
	defer n.mu.Unlock()
	key, has := c.str("replica")
	if !has {
		key = n.o.Object
	}
	r := n.keys[key]
	if r == nil {
		return fail("noReplica", "no replica %q", key)
	}
	delete(n.keys, key)
	for i, k := range r.keys {
		if k == key {
			r.keys = append(r.keys[:i], r.keys[i+1:]...)
			break
		}
	}
	if len(r.keys) > 0 {
		return nil
	}
	delete(n.objs, r.name)
	for s, pc := range r.pending {
		pc.timer.Stop()
		delete(r.pending, s)
		n.resultLocked(pc.c, nil, fail("invalidMessage", "the replica was released"))
	}
	if r.added {
		n.sendLocked(&wire.RemoveObjectPacket{Name: r.name})
	}
	return nil
}
