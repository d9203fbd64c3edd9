package adapterload

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/specs/contract"
)

// Defaults are what a replicas command leaves out: the node role's
// command line, and the configuration of the nodes a run creates.
type Defaults struct {
	Object, Type, URL, Registry string
	Dynamic                     bool
	Config                      node.Config
}

// Replicas prepares a replicas run (§9.3), an initialization storm: count
// nodes, each acquiring object, timed until every replica is valid (or
// timeoutMs). With keep the nodes stay up until r.Stop.
func (r *Runs) Replicas(c contract.Command, d Defaults) (*Run, error) {
	count := c.Int("count", 0)
	if count <= 0 || count > 100000 {
		return refuse(contract.BadArgs, "need 0 < count <= 100000")
	}
	object := c.Str("object", d.Object)
	typ := c.Str("type", d.Type)
	dynamic := c.Str("mode", contract.ModeName(d.Dynamic)) == contract.ModeDynamic
	static, hasStatic := contract.StaticClass(typ)
	if !dynamic && !hasStatic {
		return refuse(contract.BadArgs, "no static replica class for type "+typ)
	}
	url := c.Str("url", d.URL)
	registry := d.Registry
	if url == "" && registry == "" {
		return refuse(contract.BadArgs, "need a url or a registry")
	}
	keep := c.Bool("keep", false)
	timeout := timeoutOf(c, 60000)
	body := func(ctx context.Context, finish func(contract.Fields)) {
		var valid, nodeErrors, firstValid, lastValid atomic.Int64
		all := make(chan struct{})
		var allOnce sync.Once
		startNs, cpu0 := clock.Now(), cpuNs()
		nodes := make([]*node.Node, 0, count)
		reps := make([]*node.Replica, 0, count)
		for range count {
			if ctx.Err() != nil {
				break
			}
			n := node.NewNode(d.Config)
			nodes = append(nodes, n)
			n.OnError(func(error) { nodeErrors.Add(1) })
			var rep *node.Replica
			var err error
			if dynamic {
				rep, err = n.AcquireDynamic(object)
			} else {
				rep, err = n.Acquire(object, static)
			}
			if err != nil {
				nodeErrors.Add(1)
				continue
			}
			reps = append(reps, rep)
			var seen atomic.Bool
			rep.Subscribe(func(ev node.Event) {
				if ev.Kind != node.Initialized || !seen.CompareAndSwap(false, true) {
					return
				}
				now := clock.Now()
				firstValid.CompareAndSwap(0, now)
				lastValid.Store(now)
				if valid.Add(1) == count {
					allOnce.Do(func() { close(all) })
				}
			})
			// Connect only now: the subscription must precede the Init.
			if url != "" {
				_ = n.ConnectToNode(url)
			} else if _, err := n.SetRegistryURL(registry); err != nil {
				nodeErrors.Add(1)
			}
		}
		createdNs := clock.Now()
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		outcome := "complete"
		select {
		case <-all:
		case <-deadline.C:
			outcome = "timeout"
		case <-ctx.Done():
			closeNodes(nodes)
			return
		}
		last := lastValid.Load()
		if outcome != "complete" || last == 0 {
			last = clock.Now()
		}
		fv := firstValid.Load()
		if fv != 0 {
			fv -= startNs
		}
		states := map[string]any{}
		for _, r := range reps {
			st := r.State().String()
			n, _ := states[st].(int64)
			states[st] = n + 1
		}
		finish(summary("role", contract.RoleNode, "mode", contract.LoadReplicas, "outcome", outcome, "count", count,
			"valid", valid.Load(), "nodeErrors", nodeErrors.Load(), "createNs", createdNs-startNs,
			"firstValidNs", fv, "elapsedNs", last-startNs, "perSecond", perSecond(valid.Load(), last-startNs),
			"cpuNs", cpuNs()-cpu0, "states", states))
		if keep {
			r.keep(nodes)
			return
		}
		closeNodes(nodes)
	}
	return &Run{Body: body}, nil
}
