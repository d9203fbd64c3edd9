package nodeadapter

import (
	"errors"
	"fmt"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/adapterload"
	"github.com/qtro/qtro/specs/contract"
)

// cmdLoad starts a load run (§9): loadgen/adapterload runs it over the
// role's source or replicas, one run at a time per kind.
func (a *adapter) cmdLoad(c contract.Command) {
	mode := c.Str("mode", "")
	replica := func(run func(contract.Command, adapterload.Replica) (*adapterload.Run, error)) func() (*adapterload.Run, error) {
		return func() (*adapterload.Run, error) {
			e, err := a.replicaFor(c)
			if err != nil {
				return nil, &adapterload.Error{Name: contract.BadArgs, Message: err.Error()}
			}
			return run(c, adapterload.Replica{Key: e.key, Rep: e.rep, SetTap: e.setTap})
		}
	}
	kind := mode
	var prepare func() (*adapterload.Run, error)
	switch {
	case a.src != nil && adapterload.IsHostMode(mode):
		s := a.src
		kind, prepare = "host", func() (*adapterload.Run, error) {
			return adapterload.Host(c, mode, adapterload.Source{Type: s.typ, Object: s.root, Quiet: s.quiet.Store}, a.loadEvent)
		}
	case a.node != nil && mode == contract.LoadReceive:
		prepare = replica(adapterload.Receive)
	case a.node != nil && mode == contract.LoadCalls:
		prepare = replica(adapterload.Calls)
	case a.node != nil && mode == contract.LoadReplicas:
		prepare = func() (*adapterload.Run, error) {
			return a.loads.Replicas(c, adapterload.Defaults{Object: a.opt.ObjectName(), Type: a.opt.Type,
				URL: a.opt.URL, Registry: a.opt.Registry, Dynamic: a.opt.Dynamic, Config: a.config()})
		}
	default:
		a.fail(c, contract.Unsupported, fmt.Sprintf("load mode %q is not available in role %s", mode, a.opt.Role))
		return
	}
	err := a.loads.Start(a.ctx, kind, prepare, func(result []any) { a.ok(c, result...) })
	if e := (*adapterload.Error)(nil); errors.As(err, &e) {
		a.fail(c, e.Name, e.Message)
	}
}

// loadEvent writes an event of a load run.
func (a *adapter) loadEvent(name string, f contract.Fields) {
	a.ev.Send(append(event(name), f...))
}

// setTap gives a receive load run every event of the replica (nil ends
// it); while it runs, no per-update events are written (§9).
func (e *replicaEntry) setTap(tap func(node.Event)) {
	e.mu.Lock()
	e.quiet, e.tap = tap != nil, tap
	e.mu.Unlock()
}
