package nodeadapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/contract"
)

// replicaEntry is one acquired replica and what its events need.
type replicaEntry struct {
	a       *adapter
	key     string
	object  string
	typ     string
	dynamic bool // the mode it was acquired in
	rep     *node.Replica

	mu       sync.Mutex
	released bool
	quiet    bool             // a receive load run: no per-update events
	tap      func(node.Event) // the load run's view of every event
	// held are events that came while the replica was being acquired:
	// they are written after its result (or acquired event), when hold
	// is cleared.
	hold bool
	held []node.Event
}

func (a *adapter) startNode() int {
	o := a.opt
	if o.URL == "" && o.Registry == "" {
		return a.fatal("args", contract.Usage, "node needs --url or --registry", contract.ExitUsage)
	}
	if o.Type == contract.TypePlain && !o.Dynamic {
		if o.ModeGiven {
			return a.fatal("args", contract.Usage, "--type plain has no static replica; use --dynamic", contract.ExitUsage)
		}
		o.Dynamic = true
	}
	cfg := a.config()
	cfg.HeartbeatInterval = time.Duration(o.HeartbeatMs) * time.Millisecond
	a.node = node.NewNode(cfg)
	a.node.OnError(func(err error) {
		if code := node.CodeOf(err); code != node.NoError {
			a.nodeError("node", code)
		}
	})
	// A URL the node cannot use fails before ready, as Qt's setRegistryUrl
	// and connectToNode do (their node error comes first: impl/node delivers
	// it on its own goroutine, and Close waits for that).
	if o.Registry != "" && !a.schemes.Supports(o.Registry) {
		_, err := a.node.SetRegistryURL(o.Registry)
		_ = a.node.Close()
		return a.fatal("registry", codeName(err), fmt.Sprint(err), contract.ExitFailure)
	}
	if o.URL != "" && !a.schemes.Supports(o.URL) {
		err := a.node.ConnectToNode(o.URL)
		_ = a.node.Close()
		return a.fatal("connect", codeName(err), fmt.Sprint(err), contract.ExitFailure)
	}
	// Acquire (and subscribe) before connecting: impl/node binds a replica
	// as soon as its source is known, so an Init could otherwise overtake
	// the subscription. On the wire nothing changes: AddObject still waits
	// for the host's ObjectList.
	var first *replicaEntry
	if !o.NoAcquire {
		e, err := a.acquire(o.ObjectName(), "", o.Type, o.Dynamic)
		if err != nil {
			return a.fatal("acquire", contract.AcquireFailed, err.Error(), contract.ExitFailure)
		}
		first = e
	}
	a.ev.Send(set(a.readyEvent(o.URL), "object", o.ObjectName(), "type", o.Type, "mode", contract.ModeName(o.Dynamic),
		"heartbeatMs", o.HeartbeatMs))
	if first != nil {
		a.ev.Send(event(contract.EvAcquired, "replica", first.key, "object", first.object,
			"state", first.rep.State().String()))
		first.flushHeld()
	}
	if o.Registry != "" {
		r, err := a.node.SetRegistryURL(o.Registry)
		if err != nil {
			a.log.Error("setRegistryUrl", "url", o.Registry, "err", err)
			return -1
		}
		a.registry = r
		r.Subscribe(a.registryEvent)
	}
	if o.URL != "" {
		if err := a.node.ConnectToNode(o.URL); err != nil {
			a.log.Error("connectToNode", "url", o.URL, "err", err)
		}
	}
	return -1
}

// registryEvent turns the registry's signals into remoteObjectAdded/Removed.
func (a *adapter) registryEvent(ev node.Event) {
	if l, added, ok := node.RegistryChange(ev); ok {
		name := "remoteObjectRemoved"
		if added {
			name = "remoteObjectAdded"
		}
		a.ev.Send(event(name, "name", l.Name, "typeName", l.TypeName, "hostUrl", l.HostURL))
	}
}

// acquire acquires a replica of object under key (default: object).
func (a *adapter) acquire(object, key, typ string, dynamic bool) (*replicaEntry, error) {
	if key == "" {
		key = object
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, taken := a.replicas[key]; taken {
		return nil, fmt.Errorf("a replica with key %s already exists", key)
	}
	e := &replicaEntry{a: a, key: key, object: object, typ: typ, dynamic: dynamic, hold: true}
	var err error
	if dynamic {
		e.rep, err = a.node.AcquireDynamic(object, node.WithSubscriber(e.onEvent))
	} else {
		cp, ok := contract.StaticClass(typ)
		if !ok {
			return nil, fmt.Errorf("no static replica class for type %s", typ)
		}
		e.rep, err = a.node.Acquire(object, cp, node.WithSubscriber(e.onEvent))
	}
	if err != nil {
		return nil, fmt.Errorf("acquire failed: %w", err)
	}
	a.replicas[key] = e
	return e, nil
}

// flushHeld writes the events held during the acquisition, then lets
// events through. Events that come meanwhile join the held ones, so the
// order stays the node's.
func (e *replicaEntry) flushHeld() {
	for {
		e.mu.Lock()
		evs := e.held
		e.held = nil
		if len(evs) == 0 {
			e.hold = false
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
		for _, ev := range evs {
			e.handle(ev)
		}
	}
}

// replicaFor finds the replica a command names (§6: default the only one,
// else the one named by --object).
func (a *adapter) replicaFor(c contract.Command) (*replicaEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := c.Str("replica", "")
	if key == "" {
		if len(a.replicas) == 1 {
			for _, e := range a.replicas {
				return e, nil
			}
		}
		key = a.opt.ObjectName()
	}
	e := a.replicas[key]
	if e == nil {
		return nil, fmt.Errorf("no replica %s", key)
	}
	return e, nil
}

func (a *adapter) replicaStates() map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]any{}
	for k, e := range a.replicas {
		out[k] = map[string]any{"object": e.object, "type": e.typ, "mode": contract.ModeName(e.dynamic), "state": e.rep.State().String()}
	}
	return out
}

// ---- events ----

// base starts an event of the replica with the fields kv.
func (e *replicaEntry) base(name string, kv ...any) contract.Fields {
	return event(name, append([]any{"replica", e.key, "object", e.object}, kv...)...)
}

// onEvent runs on the connection's goroutine, in wire order.
func (e *replicaEntry) onEvent(ev node.Event) {
	e.mu.Lock()
	if e.hold {
		e.held = append(e.held, ev)
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	e.handle(ev)
}

// handle writes the event(s) ev stands for.
func (e *replicaEntry) handle(ev node.Event) {
	e.mu.Lock()
	if e.released {
		e.mu.Unlock()
		return
	}
	tap, quiet := e.tap, e.quiet
	e.mu.Unlock()
	if ev.Child != "" {
		e.childEvent(ev, quiet)
		return
	}
	if tap != nil {
		tap(ev)
	}
	switch ev.Kind {
	case node.StateChanged:
		if ev.FromInit { // written with initialized
			return
		}
		e.a.ev.Send(e.base(contract.EvStateChanged, "state", ev.New.String(), "oldState", ev.Old.String()))
	case node.Initialized:
		e.initialized(ev, quiet)
	case node.PropertyChanged:
		cls := e.rep.Class()
		if quiet || ev.FromInit || cls == nil || ev.Index < 0 || ev.Index >= len(cls.Properties) {
			return
		}
		e.a.ev.Send(e.base(contract.EvPropertyChanged, "property", cls.Properties[ev.Index].Name,
			"value", e.propertyJSON(cls, ev.Index, ev.Value, true)))
	case node.SignalEmitted:
		cls := e.rep.Class()
		if quiet || cls == nil || ev.Index < 0 || ev.Index >= len(cls.Signals) {
			return
		}
		e.a.ev.Send(e.base(contract.EvSignal, "signal", ev.Name,
			"args", contract.ArgsJSON(cls, &cls.Signals[ev.Index], ev.Args)))
	}
}

// initialized writes initialized, the stateChanged to Valid that follows
// it and the property notifications of this Init (the notifying entries of
// ev.Changed), in one write; quiet (a receive load run) leaves only the
// stateChanged.
func (e *replicaEntry) initialized(ev node.Event, quiet bool) {
	cls := e.rep.Class()
	vals := ev.Values
	if cls == nil {
		return
	}
	var valid contract.Fields
	if ev.Old != ev.New {
		valid = e.base(contract.EvStateChanged, "state", ev.New.String(), "oldState", ev.Old.String())
	}
	var batch []contract.Fields
	if !quiet {
		batch = append(batch, e.base(contract.EvInitialized, "values", e.valuesJSON(cls, vals, false)))
	}
	if valid != nil {
		batch = append(batch, valid)
	}
	for _, i := range ev.Changed {
		if !quiet && i < len(cls.Properties) && i < len(vals) && cls.Properties[i].Notify >= 0 {
			batch = append(batch, e.base(contract.EvPropertyChanged, "property", cls.Properties[i].Name,
				"value", e.propertyJSON(cls, i, vals[i])))
		}
	}
	e.a.ev.Send(batch...)
}

// childEvent reports a change or signal of a CLASS property's child as
// "child.name". The notifications of the child's Init are not reported:
// the parent's initialized carries the child's values.
func (e *replicaEntry) childEvent(ev node.Event, quiet bool) {
	ch := e.rep.Child(ev.Child)
	if quiet || ev.FromInit || ch == nil || ch.Class() == nil {
		return
	}
	cls := ch.Class()
	switch {
	case ev.Kind == node.PropertyChanged && ev.Index >= 0 && ev.Index < len(cls.Properties):
		e.a.ev.Send(e.base(contract.EvPropertyChanged, "property", ev.Child+"."+ev.Name,
			"value", contract.ToJSON(cls, cls.Properties[ev.Index].Type, ev.Value)))
	case ev.Kind == node.SignalEmitted && ev.Index >= 0 && ev.Index < len(cls.Signals):
		e.a.ev.Send(e.base(contract.EvSignal, "signal", ev.Child+"."+ev.Name,
			"args", contract.ArgsJSON(cls, &cls.Signals[ev.Index], ev.Args)))
	}
}

// valuesJSON renders all properties (a CLASS child as an object; live: as
// its replica holds it now, else as the Init carried it).
func (e *replicaEntry) valuesJSON(cls *meta.Class, vals []qds.Variant, live bool) map[string]any {
	out := make(map[string]any, len(cls.Properties))
	for i, p := range cls.Properties {
		var v qds.Variant
		if i < len(vals) {
			v = vals[i]
		}
		out[p.Name] = e.propertyJSON(cls, i, v, live)
	}
	return out
}

// propertyJSON renders property i holding v. A CLASS child renders from
// the QRO_ descriptor v carries (the values of the Init that brought it),
// or with live from the child replica, which later changes update.
func (e *replicaEntry) propertyJSON(cls *meta.Class, i int, v qds.Variant, live ...bool) any {
	p := &cls.Properties[i]
	if p.Kind != meta.ChildProp {
		return contract.ToJSON(cls, p.Type, v)
	}
	d, ok := v.Value().(wire.ChildObject)
	if !ok || d.IsNull {
		return nil
	}
	// The child's class is its replica's (impl/node parses the definition a
	// descriptor carries), else the static class's.
	switch ch := e.rep.Child(p.Name); {
	case ch == nil || ch.Class() == nil:
		return contract.ObjectJSON(p.Child, d.Parameters)
	case len(live) > 0 && live[0]:
		return contract.ObjectJSON(ch.Class(), ch.Values())
	default:
		return contract.ObjectJSON(ch.Class(), d.Parameters)
	}
}

// ---- commands ----

// property resolves the property path of command c: the replica that has
// it, its name there and its index; else it answers c (unknownProperty).
func (a *adapter) property(c contract.Command, e *replicaEntry, path string) (*node.Replica, string, int, bool) {
	rep, name, err := e.rep.Resolve(path)
	if err == nil && rep.Class().PropertyIndex(name) < 0 {
		err = fmt.Errorf("unknown property %s", path)
	}
	if err != nil {
		a.fail(c, contract.UnknownProperty, err.Error())
		return nil, "", 0, false
	}
	return rep, name, rep.Class().PropertyIndex(name), true
}

// onReplica runs fn with the replica a command names once it has its
// class; else it answers the command (noReplica, notInitialized).
func onReplica(fn func(a *adapter, c contract.Command, e *replicaEntry)) func(*adapter, contract.Command) {
	return func(a *adapter, c contract.Command) {
		e, err := a.replicaFor(c)
		switch {
		case err != nil:
			a.fail(c, contract.NoReplica, err.Error())
		case e.rep.Class() == nil:
			a.fail(c, contract.NotInitialized, fmt.Sprintf("dynamic replica %s has no metaobject yet", e.key))
		default:
			fn(a, c, e)
		}
	}
}

func (a *adapter) getReplica(c contract.Command, e *replicaEntry) {
	path := c.Str("property", "")
	if path == "" {
		cls := e.rep.Class()
		a.ok(c, "values", e.valuesJSON(cls, e.rep.Values(), true), "state", e.rep.State().String())
		return
	}
	rep, _, i, ok := a.property(c, e, path)
	if !ok {
		return
	}
	cls, vals := rep.Class(), rep.Values()
	if rep == e.rep {
		a.ok(c, "value", e.propertyJSON(cls, i, vals[i], true))
		return
	}
	a.ok(c, "value", contract.ToJSON(cls, cls.Properties[i].Type, vals[i]))
}

func (a *adapter) describeReplica(c contract.Command, e *replicaEntry) {
	cls := e.rep.Class()
	className := cls.TypeName
	if !e.rep.IsDynamic() && className != "" {
		className += "Replica"
	} else if className == "" {
		className = "QRemoteObjectDynamicReplica"
	}
	a.ok(c, "metaObject", contract.MetaObject(className, cls))
}

func (a *adapter) cmdCall(c contract.Command, e *replicaEntry) {
	rep, name, err := e.rep.Resolve(c.Str("method", ""))
	if err != nil {
		a.fail(c, contract.UnknownMethod, err.Error())
		return
	}
	cls := rep.Class()
	i := contract.FindMethod(cls.Methods, name, contract.ArgCount(c["args"]))
	if i < 0 {
		a.fail(c, contract.UnknownMethod, "unknown method "+c.Str("method", ""))
		return
	}
	m := &cls.Methods[i]
	args, err := contract.Args(cls, m, c["args"])
	if err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	if m.Void() {
		// Sent without a reply request (serial -1); answered at once.
		if _, err := rep.InvokeIndex(i, args, false); err != nil {
			a.log.Warn("call not sent", "method", m.Signature, "err", err)
		}
		a.ok(c, "void", true, "value", nil)
		return
	}
	pc, err := rep.InvokeIndex(i, args, true)
	if err != nil {
		a.fail(c, contract.InvalidMessage, fmt.Sprintf("the call was not sent: %v", err))
		return
	}
	timeout := time.Duration(c.Int("timeoutMs", int64(a.opt.CallTimeoutMs))) * time.Millisecond
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, max(timeout, 0))
		defer cancel()
		v, err := pc.Wait(ctx)
		switch {
		case err == nil:
			value, tag := contract.Reply(cls, v)
			a.ok(c, "value", value, "valueType", tag)
		case a.ctx.Err() != nil:
			// Shutting down: no more events.
		case errors.Is(err, context.DeadlineExceeded):
			a.fail(c, contract.Timeout, fmt.Sprintf("no reply within %d ms", timeout.Milliseconds()))
		default:
			a.fail(c, contract.InvalidMessage, fmt.Sprintf("the call failed: %v", err))
		}
	}()
}

// cmdWrite runs write, or push (the property's push slot).
func (a *adapter) cmdWrite(c contract.Command, e *replicaEntry) {
	push := c.Name() == "push"
	path := c.Str("property", "")
	if path == "" || !c.Has("value") {
		a.fail(c, contract.BadArgs, c.Name()+" needs property and value")
		return
	}
	rep, name, pi, ok := a.property(c, e, path)
	if !ok {
		return
	}
	cls := rep.Class()
	p := &cls.Properties[pi]
	if push {
		slot := "push" + strings.ToUpper(name[:1]) + name[1:]
		i := contract.FindMethod(cls.Methods, slot, 1)
		if i < 0 || len(cls.Methods[i].Params) != 1 {
			a.fail(c, contract.NoPushSlot, fmt.Sprintf("%s has no %s slot", path, slot))
			return
		}
		v, err := contract.FromJSON(cls, cls.Methods[i].Params[0].Type, c["value"])
		if err != nil {
			a.fail(c, contract.BadValue, err.Error())
			return
		}
		if _, err := rep.InvokeIndex(i, []qds.Variant{v}, false); err != nil {
			a.log.Warn("push not sent", "slot", slot, "err", err)
		}
		a.ok(c)
		return
	}
	if !p.Writable() {
		a.fail(c, contract.NotWritable, fmt.Sprintf("%s is not writable on this replica", path))
		return
	}
	v, err := contract.FromJSON(cls, p.Type, c["value"])
	if err != nil {
		a.fail(c, contract.BadValue, err.Error())
		return
	}
	if err := rep.SetProperty(name, v); err != nil {
		if errors.Is(err, node.ErrNotWritable) {
			a.fail(c, contract.NotWritable, err.Error())
			return
		}
		// Like a Qt replica that is not connected: the write goes nowhere.
		a.log.Warn("write not sent", "property", path, "err", err)
	}
	a.ok(c)
}

func (a *adapter) cmdAcquire(c contract.Command) {
	object := c.Str("object", a.opt.ObjectName())
	key := c.Str("as", object)
	typ := c.Str("type", a.opt.Type)
	mode := c.Str("mode", contract.ModeName(a.opt.Dynamic))
	if mode != "static" && mode != "dynamic" {
		a.fail(c, contract.BadArgs, "mode must be static or dynamic")
		return
	}
	e, err := a.acquire(object, key, typ, mode == "dynamic")
	if err != nil {
		a.fail(c, contract.AcquireFailed, err.Error())
		return
	}
	a.ok(c, "replica", e.key, "state", e.rep.State().String())
	e.flushHeld()
}

func (a *adapter) cmdRelease(c contract.Command) {
	e, err := a.replicaFor(c)
	if err != nil {
		a.fail(c, contract.NoReplica, err.Error())
		return
	}
	a.mu.Lock()
	delete(a.replicas, e.key)
	a.mu.Unlock()
	e.mu.Lock()
	e.released = true
	e.mu.Unlock()
	e.rep.Release() // ends the subscription too
	a.ok(c)
}
