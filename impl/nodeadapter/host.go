package nodeadapter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/specs/contract"
)

// source is the remoted test object with the behaviour of §10.
type source struct {
	a    *adapter
	typ  string
	name string
	cls  *meta.Class
	root *node.Source

	// mu orders each property change with its propertyChanged event.
	mu       sync.Mutex
	remoting atomic.Bool
	// quiet is set during a host load run: no propertyChanged events.
	quiet atomic.Bool
}

func (a *adapter) newSource() (*source, error) {
	cls, err := contract.SourceClass(a.opt.Type, a.opt.Dialect)
	if err != nil {
		return nil, err
	}
	s := &source{a: a, typ: a.opt.Type, name: a.opt.ObjectName(), cls: cls, root: node.NewSource(cls)}
	s.install()
	return s, nil
}

// watch reports writes from replicas (call=2) that change a value as
// host-side propertyChanged.
func (s *source) watch(obj *node.Source) {
	obj.Observe(func(ev node.SourceEvent) {
		if ev.Property < 0 || !ev.Changed {
			return // slot calls report themselves (invoked)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.changedLocked(obj, ev.Property)
	})
}

// changedLocked writes propertyChanged for property i of obj.
func (s *source) changedLocked(obj *node.Source, i int) {
	if !s.quiet.Load() {
		s.a.ev.Send(event(contract.EvPropertyChanged, "object", s.name, "property", s.path(obj, i),
			"value", s.propertyJSON(obj, i)))
	}
}

// setProp sets property i of obj as the source's own setter does.
func (s *source) setProp(obj *node.Source, i int, v qds.Variant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := obj.Values()[i]
	if err := obj.SetPropertyIndex(i, v); err != nil {
		return err
	}
	if !old.SameValue(obj.Values()[i]) {
		s.changedLocked(obj, i)
	}
	return nil
}

// path is the contract's property path: "name" or "child.name".
func (s *source) path(obj *node.Source, i int) string {
	if child := obj.ParentProperty(); child != "" {
		return child + "." + obj.Class().Properties[i].Name
	}
	return obj.Class().Properties[i].Name
}

// objectName is the "object" of invoked events: the child is "<name>.child".
func (s *source) objectName(obj *node.Source) string {
	if child := obj.ParentProperty(); child != "" {
		return s.name + "." + child
	}
	return s.name
}

func (s *source) propertyJSON(obj *node.Source, i int) any {
	cls := obj.Class()
	p := &cls.Properties[i]
	if p.Kind == meta.ChildProp {
		ch := obj.Child(p.Name)
		if ch == nil {
			return nil
		}
		return s.values(ch)
	}
	return contract.ToJSON(cls, p.Type, obj.Values()[i])
}

// values renders every property of obj (a CLASS child as an object).
func (s *source) values(obj *node.Source) map[string]any {
	out := map[string]any{}
	for i, p := range obj.Class().Properties {
		out[p.Name] = s.propertyJSON(obj, i)
	}
	return out
}

// resolve finds "name" or "child.name".
func (s *source) resolve(path string) (*node.Source, int, error) {
	obj, name, err := s.root.Resolve(path)
	if err != nil {
		return nil, 0, err
	}
	i := obj.Class().PropertyIndex(name)
	if i < 0 {
		return nil, 0, fmt.Errorf("unknown property %s", path)
	}
	return obj, i, nil
}

// invoked reports a slot call from a replica, before the slot's effects
// (as the Qt peer's sources do).
func (s *source) invoked(obj *node.Source, m *meta.Method, args []qds.Variant) {
	s.a.ev.Send(event(contract.EvInvoked, "object", s.objectName(obj), "method", m.Name,
		"args", contract.ArgsJSON(obj.Class(), m, args)))
}

// handle installs a slot; report says whether it writes an invoked event.
func (s *source) handle(obj *node.Source, sig string, report bool, fn func(args []qds.Variant) (qds.Variant, error)) {
	cls := obj.Class()
	i := cls.MethodIndex(sig)
	if i < 0 {
		panic("nodeadapter: no method " + sig) // the embedded classes have them
	}
	m := &cls.Methods[i]
	if err := obj.HandleMethod(sig, func(_ context.Context, args []qds.Variant) (qds.Variant, error) {
		if len(args) != len(m.Params) {
			return qds.Variant{}, fmt.Errorf("%s: %d arguments", m.Signature, len(args))
		}
		if report {
			s.invoked(obj, m, args)
		}
		return fn(args)
	}); err != nil {
		panic(err)
	}
}

// install gives the source the behaviour of §10: writes from replicas are
// reported, its push slots set their property, the others are
// contract.Slots.
func (s *source) install() {
	objs := []*node.Source{s.root}
	for _, p := range s.cls.Properties {
		if ch := s.root.Child(p.Name); ch != nil {
			objs = append(objs, ch)
		}
	}
	// Push slots set their property (and report the call even when the value
	// does not change).
	for _, obj := range objs {
		s.watch(obj)
		for i, m := range obj.Class().Methods {
			if m.Property < 0 {
				continue
			}
			obj, prop := obj, m.Property
			s.handle(obj, obj.Class().Methods[i].Signature, true, func(args []qds.Variant) (qds.Variant, error) {
				return qds.Variant{}, s.setProp(obj, prop, args[0])
			})
		}
	}
	for _, sl := range contract.Slots(s.typ, s.cls) {
		s.handle(s.root, sl.Signature, !sl.Quiet, func(args []qds.Variant) (qds.Variant, error) {
			return sl.Run(rootObject{s}, args)
		})
	}
}

// rootObject is the source's root object as a test object's slots act on
// it (contract.Object).
type rootObject struct{ s *source }

func (r rootObject) Set(property string, v qds.Variant) error {
	return r.s.setProp(r.s.root, r.s.cls.PropertyIndex(property), v)
}

func (r rootObject) Emit(signal string, args ...any) {
	if err := r.s.root.EmitIndex(r.s.cls.SignalIndex(signal), args...); err != nil {
		r.s.a.log.Warn("emit", "signal", signal, "err", err)
	}
}

// ---- start-up ----

// listenFailed reports a host or registry that cannot listen as Qt does:
// the node error (ListenFailed, HostUrlInvalid for an unknown scheme, ...),
// then fatal. Every QtRO scheme is supported in both dialects, so no URL is
// "unsupported" (127) here.
func (a *adapter) listenFailed(which string, err error) int {
	code := node.CodeOf(err)
	if code == node.NoError {
		code = node.ListenFailed
	}
	a.nodeError(which, code)
	return a.fatal("listen", contract.ErrorName(code.String()), err.Error(), contract.ExitFailure)
}

// startHost starts the host and registry roles (§2.1): listen, remote the
// object (a registry only with --type or --object), ready, remoting.
func (a *adapter) startHost() int {
	role := a.opt.Role
	if a.opt.URL == "" {
		return a.fatal("args", contract.Usage, role+" needs --url", contract.ExitUsage)
	}
	withObject := role == contract.RoleHost || a.opt.TypeGiven || a.opt.Object != ""
	if withObject && a.opt.SourceAPI == "dynamic" && a.opt.Type != contract.TypePlain {
		return a.unsupported("source-api:dynamic",
			"the Go node remotes a .rep class only through its static API (repc's SourceAPI)")
	}
	var err error
	if role == contract.RoleRegistry {
		var rh *node.RegistryHost
		if rh, err = node.NewRegistryHost(a.ctx, a.opt.URL, a.config()); err == nil {
			a.host = rh.Host
		}
	} else {
		a.host, err = node.NewHost(a.ctx, a.opt.URL, a.config())
	}
	if err != nil {
		return a.listenFailed(role, err)
	}
	if role == contract.RoleHost {
		// Every later host error as a nodeError, like the Qt peer's watchNode.
		a.host.OnError(func(err error) { a.nodeError("host", node.CodeOf(err)) })
		if a.opt.Registry != "" {
			if err := a.host.SetRegistryURL(a.opt.Registry); err != nil {
				return a.fatal("registry", codeName(err), err.Error(), contract.ExitFailure)
			}
		}
	}
	if withObject {
		if a.src, err = a.newSource(); err != nil {
			return a.fatal("args", contract.Usage, err.Error(), contract.ExitUsage)
		}
		// Remote before ready, report after it: the Qt peer does both in one
		// event-loop turn, so no client that connects after ready can find
		// the host without the object; here the listener already accepts.
		err = a.remote()
	}
	ready := a.readyEvent(a.host.URL())
	if withObject {
		ready = set(ready, "object", a.src.name, "type", a.src.typ)
	}
	a.ev.Send(ready)
	if withObject {
		a.remotingEvent(err)
	}
	return -1
}

// remote enables remoting of the object.
func (a *adapter) remote() error {
	s := a.src
	err := a.host.EnableRemoting(s.root, s.name)
	if err == nil {
		s.remoting.Store(true)
	}
	return err
}

// remotingEvent reports the outcome of remote.
func (a *adapter) remotingEvent(err error) {
	s := a.src
	e := event(contract.EvRemoting, "object", s.name, "enabled", s.remoting.Load())
	if err != nil {
		code := node.CodeOf(err)
		a.mu.Lock()
		a.lastError = code
		a.mu.Unlock()
		e.Set("error", code.String())
		a.log.Warn("enableRemoting", "err", err)
	}
	a.ev.Send(e)
}

// ---- commands ----

func (a *adapter) cmdSet(c contract.Command) {
	path := c.Str("property", "")
	if path == "" || !c.Has("value") {
		a.fail(c, contract.BadArgs, "set needs property and value")
		return
	}
	obj, i, err := a.src.resolve(path)
	if err != nil {
		a.fail(c, contract.UnknownProperty, err.Error())
		return
	}
	p := &obj.Class().Properties[i]
	if p.Modifier == meta.Constant || p.Kind != meta.PlainProp {
		a.fail(c, contract.NotWritable, fmt.Sprintf("%s is %s", path, modifierName(p)))
		return
	}
	v, err := contract.FromJSON(obj.Class(), p.Type, c["value"])
	if err != nil {
		a.fail(c, contract.BadValue, err.Error())
		return
	}
	if err := a.src.setProp(obj, i, v); err != nil {
		a.fail(c, contract.BadValue, err.Error())
		return
	}
	a.ok(c, "value", a.src.propertyJSON(obj, i))
}

func modifierName(p *meta.Property) string {
	switch {
	case p.Kind == meta.ChildProp:
		return "a CLASS member"
	case p.Kind == meta.ModelProp:
		return "a MODEL member"
	case p.Modifier == meta.Constant:
		return "CONSTANT"
	}
	return "not writable"
}

func (a *adapter) cmdEmit(c contract.Command) {
	name := c.Str("signal", "")
	obj, sig, err := a.src.root.Resolve(name)
	if err != nil {
		a.fail(c, contract.UnknownSignal, err.Error())
		return
	}
	cls := obj.Class()
	i := contract.FindMethod(cls.Signals, sig, contract.ArgCount(c["args"]))
	if i < 0 {
		a.fail(c, contract.UnknownSignal, "unknown signal "+name)
		return
	}
	args, err := contract.Args(cls, &cls.Signals[i], c["args"])
	if err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	vs := make([]any, len(args))
	for k, v := range args {
		vs[k] = v
	}
	if err := obj.EmitIndex(i, vs...); err != nil {
		a.fail(c, contract.BadArgs, err.Error())
		return
	}
	a.ok(c)
}

func (a *adapter) cmdRemoting(c contract.Command, enable bool) {
	s := a.src
	if s.remoting.Load() == enable {
		code, state := contract.NotEnabled, "disabled"
		if enable {
			code, state = contract.AlreadyEnabled, "enabled"
		}
		a.fail(c, code, fmt.Sprintf("remoting of %s is already %s", s.name, state))
		return
	}
	var err error
	if enable {
		err = a.remote()
		a.remotingEvent(err)
	} else if err = a.host.DisableRemoting(s.name); err == nil {
		s.remoting.Store(false)
		a.ev.Send(event(contract.EvRemoting, "object", s.name, "enabled", false))
	}
	if err != nil {
		a.fail(c, codeName(err), c.Name()+" failed: "+err.Error())
		return
	}
	a.ok(c)
}
