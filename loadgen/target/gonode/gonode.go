// Package gonode is the load-test target made of qtro's Go reference node
// (impl/node): hosts serving Tick sources and replica nodes acquiring
// them, all in this process, over any transport the node speaks.
//
// It owns the glue between node events and loadgen's streams; pacing and
// measurement rules are loadgen's.
package gonode

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/pace"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/target"
)

// TickRep is the load-test object's .rep text (a copy of
// fixtures/rep/tick.rep; a test keeps the two in step).
//
//go:embed tick.rep
var TickRep []byte

// Tick's wire indices (see tick.rep).
const (
	propCounter = 0
	sigTick     = 1
	sigPayload  = 2
	methEcho    = 1
)

var (
	classOnce sync.Once
	classes   map[wire.Dialect]*meta.Class
	classErr  error
)

// TickClass returns Tick's static API in dialect d.
func TickClass(d wire.Dialect) (*meta.Class, error) {
	classOnce.Do(func() {
		classes = map[wire.Dialect]*meta.Class{}
		for _, dd := range wire.Dialects {
			c, err := meta.ParseRep("tick.rep", TickRep, "Tick", dd)
			if err != nil {
				classErr = err
				return
			}
			classes[dd] = c
		}
	})
	if classErr != nil {
		return nil, classErr
	}
	return classes[d], nil
}

// tickProvider gives a static replica Tick's class for the connection's dialect.
type tickProvider struct{}

func (tickProvider) ForDialect(d wire.Dialect) (*meta.Class, error) { return TickClass(d) }

// Dialect maps "qt5"/"qt6" to the wire dialect (Qt 6 if s names none).
func Dialect(s string) wire.Dialect {
	if d, ok := wire.ParseDialect(s); ok {
		return d
	}
	return wire.Qt6
}

// Target is the Go reference node as a load-test target.
type Target struct {
	// Schemes are the URL schemes its replica nodes dial (nil: the
	// built-in ones; transport.WithSecure adds tls+tcp, ws and wss).
	Schemes *node.Schemes
}

var _ target.Target = Target{}

// Name implements target.Target.
func (Target) Name() string { return "go" }

func config(spec target.HostSpec) node.Config {
	return node.Config{Dialect: Dialect(spec.Dialect), MaxSendQueue: spec.MaxSendQueue}
}

type registry struct{ rh *node.RegistryHost }

func (r registry) URL() string  { return r.rh.URL() }
func (r registry) Close() error { return r.rh.Close() }

// StartRegistry implements target.Target.
func (Target) StartRegistry(ctx context.Context, listen string, spec target.HostSpec) (target.Registry, error) {
	rh, err := node.NewRegistryHost(ctx, listen, config(spec))
	if err != nil {
		return nil, err
	}
	return registry{rh}, nil
}

type host struct {
	h    *node.Host
	srcs []*node.Source
}

// StartHost implements target.Target.
func (Target) StartHost(ctx context.Context, spec target.HostSpec) (target.Host, error) {
	d := Dialect(spec.Dialect)
	cls, err := TickClass(d)
	if err != nil {
		return nil, err
	}
	h, err := node.NewHost(ctx, spec.Listen, config(spec))
	if err != nil {
		return nil, err
	}
	out := &host{h: h}
	for _, name := range spec.Objects {
		src := node.NewSource(cls)
		_ = src.HandleMethod("echo", func(_ context.Context, args []qds.Variant) (qds.Variant, error) {
			if len(args) != 1 {
				return qds.Variant{}, fmt.Errorf("echo takes one argument, got %d", len(args))
			}
			return qds.LongLongOf(args[0].Int()), nil
		})
		if err := h.EnableRemoting(src, name); err != nil {
			h.Close()
			return nil, err
		}
		out.srcs = append(out.srcs, src)
	}
	if spec.Registry != "" {
		if err := h.SetRegistryURL(spec.Registry); err != nil {
			h.Close()
			return nil, err
		}
	}
	return out, nil
}

func (h *host) URL() string { return h.h.URL() }

func (h *host) Close() error { return h.h.Close() }

func (h *host) Memory() target.Memory { return target.Memory{RSS: result.RSS(0), InProcess: true} }

// Push implements target.Host: one goroutine, like a Qt host's event loop,
// doing each turn's Batch changes of every object back to back.
func (h *host) Push(ctx context.Context, p target.Plan) (target.PushStats, error) {
	st := target.PushStats{LastSeq: make([]int64, len(h.srcs)), Lag: metrics.NewHistogram()}
	if p.Kind != target.Props && p.Kind != target.Signals && p.Kind != target.Payload {
		return st, fmt.Errorf("%w: push %q", target.ErrUnsupported, p.Kind)
	}
	tl := p.Timeline
	batch := int64(max(p.Batch, 1))
	var payload qds.Variant
	if p.Kind == target.Payload {
		payload = qds.ByteArrayOf(make([]byte, p.Payload))
	}
	if sch := tl.Schedule(); sch != nil {
		st.Planned = sch.Total() * batch * int64(len(h.srcs))
	}
	args := make([]qds.Variant, 3)
	// A pace unit is one turn of Batch changes per object.
	loop := pace.Loop{End: p.End, Window: p.Window, Lag: st.Lag}
	if tl.Open() {
		loop.At = tl.IntendedTurn
	}
	ps := loop.Run(ctx, func(t pace.Turn) bool {
		k, sent := t.First, t.At
		for j := int64(0); j < batch; j++ {
			seq := k*batch + j + 1
			for o, src := range h.srcs {
				var err error
				switch p.Kind {
				case target.Props:
					if !tl.Open() {
						tl.Stamp(p.Objects[o], seq, sent)
					}
					err = src.SetPropertyValue(propCounter, qds.IntOf(int32(seq)))
				case target.Signals:
					args[0], args[1] = qds.LongLongOf(seq), qds.LongLongOf(sent)
					err = src.EmitValues(sigTick, args[:2]...)
				case target.Payload:
					args[0], args[1], args[2] = qds.LongLongOf(seq), qds.LongLongOf(sent), payload
					err = src.EmitValues(sigPayload, args...)
				}
				if err != nil {
					st.Errors++
					continue
				}
				st.LastSeq[o] = seq
				st.Updates++
			}
		}
		if p.Sent != nil {
			p.Sent.Add(batch * int64(len(h.srcs)))
		}
		return true
	})
	st.Turns = ps.Turns
	return st, nil
}

// clients is a set of Go replica nodes in this process.
type clients struct {
	spec    target.ClientSpec
	schemes *node.Schemes // nil: the built-in ones
	mu      sync.Mutex
	nodes   []*replicaNode // by local index
	wg      sync.WaitGroup
	stop    context.CancelFunc
}

// replicaNode is one node and its replicas.
type replicaNode struct {
	n    *node.Node
	reps []*node.Replica
}

// StartClients implements target.Target.
func (t Target) StartClients(ctx context.Context, spec target.ClientSpec) (target.Clients, error) {
	if _, err := TickClass(Dialect(spec.Dialect)); err != nil {
		return nil, err
	}
	c := &clients{spec: spec, schemes: t.Schemes, nodes: make([]*replicaNode, len(spec.Nodes))}
	err := target.EachNode(ctx, spec, func(i int) error {
		rn, err := c.open(i)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.nodes[i] = rn
		c.mu.Unlock()
		return nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// open creates local node i, acquires its replicas, subscribes their
// streams and starts connecting.
func (c *clients) open(i int) (*replicaNode, error) {
	spec := &c.spec
	// No handshake timeout: a storm's connections wait in a slow host's
	// accept queue as long as Qt's nodes would, instead of reconnecting
	// to the back of it (the host under test would then accept dead ones).
	n := node.NewNode(node.Config{Dialect: Dialect(spec.Dialect), HeartbeatInterval: spec.Heartbeat, MaxSendQueue: spec.MaxSendQueue,
		HandshakeTimeout: -1, Schemes: c.schemes})
	n.OnError(spec.Run.Error)
	rn := &replicaNode{n: n}
	if spec.Registry != "" {
		if _, err := n.SetRegistryURL(spec.Registry); err != nil {
			n.Close()
			return nil, err
		}
	}
	for k, o := range spec.Acquire[i] {
		name := spec.Objects[o]
		// Subscribed as part of Acquire: through a registry that already
		// located the source, Acquire connects at once, and an Init that
		// beat a later Subscribe would leave the stream never Valid.
		sub := node.WithSubscriber(handler(spec, name, spec.Streams[i][k]))
		var r *node.Replica
		var err error
		if spec.Dynamic {
			r, err = n.AcquireDynamic(name, sub)
		} else {
			r, err = n.Acquire(name, tickProvider{}, sub)
		}
		if err != nil {
			n.Close()
			return nil, err
		}
		rn.reps = append(rn.reps, r)
	}
	now := clock.Now()
	for _, s := range spec.Streams[i] {
		s.Connecting(now)
	}
	if spec.Registry == "" {
		seen := map[string]bool{}
		for _, o := range spec.Acquire[i] {
			u := spec.ObjectURLs[o]
			if !seen[u] {
				seen[u] = true
				if err := n.ConnectToNode(u); err != nil {
					n.Close()
					return nil, err
				}
			}
		}
	}
	return rn, nil
}

// handler turns one replica's events into its stream's records. It runs on
// the replica's connection goroutine and must not block.
func handler(spec *target.ClientSpec, name string, s *metrics.Stream) func(node.Event) {
	kind, payload, run := spec.Kind, spec.Payload, spec.Run
	return func(ev node.Event) {
		switch ev.Kind {
		case node.StateChanged:
			if ev.Old == node.Valid && ev.New != node.Valid {
				s.SuspectAt(clock.Of(ev.Received))
			}
			if ev.New == node.SignatureMismatch {
				run.Error(fmt.Errorf("replica %s: signature mismatch", name))
			}
		case node.Initialized:
			base := int64(-1)
			if kind == target.Props && propCounter < len(ev.Values) {
				base = ev.Values[propCounter].Int()
			}
			s.Valid(clock.Of(ev.Received), base)
		case node.PropertyChanged:
			if kind == target.Props && ev.Index == propCounter {
				s.PropertyChanged(ev.Value.Int(), clock.Of(ev.Received))
			}
		case node.SignalEmitted:
			switch {
			case kind == target.Signals && ev.Index == sigTick && len(ev.Args) == 2:
				s.Update(ev.Args[0].Int(), ev.Args[1].Int(), clock.Of(ev.Received))
			case kind == target.Payload && ev.Index == sigPayload && len(ev.Args) == 3:
				if got := len(ev.Args[2].Bytes()); got != payload {
					run.Error(fmt.Errorf("payload of %d bytes, want %d", got, payload))
				}
				s.Update(ev.Args[0].Int(), ev.Args[1].Int(), clock.Of(ev.Received))
			}
		}
	}
}

func (rn *replicaNode) close() {
	rn.n.Close()
}

// release drops the replicas (RemoveObject) and closes the node.
func (rn *replicaNode) release() {
	for _, r := range rn.reps {
		r.Release()
	}
	rn.n.Close()
}

func (c *clients) Close() error {
	if c.stop != nil {
		c.stop()
	}
	c.wg.Wait()
	c.mu.Lock()
	nodes := append([]*replicaNode(nil), c.nodes...)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, rn := range nodes {
		if rn != nil {
			wg.Add(1)
			go func() { defer wg.Done(); rn.close() }()
		}
	}
	wg.Wait()
	return nil
}

func (c *clients) node(i int) *replicaNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Echo implements target.Clients.
func (c *clients) Echo(ctx context.Context, p target.EchoPlan) (target.EchoStats, error) {
	var mu sync.Mutex
	st := target.EchoStats{Lag: metrics.NewHistogram()}
	run := c.spec.Run
	waitCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deadline := time.Duration(p.Deadline - clock.Now())
	go func() {
		select {
		case <-time.After(deadline):
		case <-waitCtx.Done():
		}
		cancel()
	}()
	// wait collects one reply; intended is when the call was meant to go.
	var wg sync.WaitGroup
	wait := func(i int, pc *node.PendingCall, seq, intended int64) {
		v, err := pc.Wait(waitCtx)
		now := clock.Now()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && errors.Is(err, context.Canceled):
			st.Lost++
		case err != nil:
			st.Errors++
			run.Error(err)
		case v.Int() != seq:
			st.Mismatched++
			run.Error(fmt.Errorf("echo(%d) returned %d", seq, v.Int()))
		default:
			st.Replies++
			run.Delivered.Add(1)
			run.Latency.Record(c.spec.Nodes[i], now-intended)
		}
	}
	// call issues echo(seq) on replica i and counts it; nil: it failed.
	call := func(i int, seq int64) *node.PendingCall {
		var pc *node.PendingCall
		err := node.ErrNotValid
		if rn := c.node(i); rn != nil && len(rn.reps) > 0 {
			pc, err = rn.reps[0].InvokeIndex(methEcho, []qds.Variant{qds.LongLongOf(seq)}, true)
		}
		mu.Lock()
		st.Calls++
		if err != nil {
			st.Errors++
		}
		mu.Unlock()
		if p.Sent != nil {
			p.Sent.Add(1)
		}
		if err != nil {
			run.Error(err)
			return nil
		}
		return pc
	}
	n := len(c.spec.Nodes)
	if tl := p.Timeline; tl.Open() {
		// One pacer issues every replica's calls from the aggregate
		// schedule: call j goes to replica j mod N.
		if sch := tl.Schedule(); sch != nil {
			st.Planned = sch.Total()
		}
		seqs := make([]int64, n)
		loop := pace.Loop{At: tl.IntendedTurn, End: p.End, Lag: st.Lag}
		loop.Run(ctx, func(t pace.Turn) bool {
			i := int(t.First % int64(n))
			seqs[i]++
			pc := call(i, seqs[i])
			if pc == nil {
				return true
			}
			seq, at := seqs[i], t.At
			wg.Add(1)
			go func() { defer wg.Done(); wait(i, pc, seq, at) }()
			return true
		})
	} else {
		// Inflight callers per replica, each waiting for its reply before
		// its next call.
		inflight := max(p.Inflight, 1)
		for i := 0; i < n; i++ {
			for w := 0; w < inflight; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					loop := pace.Loop{End: p.End}
					loop.Run(ctx, func(t pace.Turn) bool {
						seq := int64(w+1) + t.First*int64(inflight)
						pc := call(i, seq)
						if pc == nil {
							return false
						}
						wait(i, pc, seq, t.At)
						return true
					})
				}()
			}
		}
	}
	wg.Wait()
	return st, nil
}

// Churn implements target.Clients: every node cycles connect → Valid →
// hold → release → close until the plan ends.
func (c *clients) Churn(ctx context.Context, p target.ChurnPlan) (target.ChurnStats, error) {
	var st target.ChurnStats
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range c.spec.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && clock.Now() < p.End {
				rn := c.node(i)
				if rn != nil {
					// Wait (bounded) for this incarnation to be Valid, hold it.
					limit := p.End
					if p.Timeout > 0 {
						limit = min(limit, clock.Now()+int64(p.Timeout))
					}
					ok := waitValid(ctx, rn, limit)
					mu.Lock()
					switch {
					case ok:
						st.Cycles++
					case clock.Now() >= p.End || ctx.Err() != nil:
						st.Cut++
					default:
						st.Timeouts++
					}
					mu.Unlock()
					if !sleepCtx(ctx, p.Hold) {
						return
					}
					for _, s := range c.spec.Streams[i] {
						s.Released()
					}
					rn.release()
				}
				if ctx.Err() != nil || clock.Now() >= p.End {
					c.mu.Lock()
					c.nodes[i] = nil
					c.mu.Unlock()
					return
				}
				next, err := c.open(i)
				if err != nil {
					c.spec.Run.Error(err)
					return
				}
				c.mu.Lock()
				c.nodes[i] = next
				c.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return st, nil
}

func waitValid(ctx context.Context, rn *replicaNode, end int64) bool {
	wctx, cancel := context.WithTimeout(ctx, time.Duration(end-clock.Now()))
	defer cancel()
	for _, r := range rn.reps {
		if err := r.WaitForSource(wctx); err != nil {
			return false
		}
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
