package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// Node is a client node (QRemoteObjectNode): it connects to hosts directly
// or through a registry and acquires replicas of their sources.
type Node struct {
	cfg   Config
	types wire.ByDialect[*Types]
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[string]*clientConn // by URL
	external int                    // AddClientSideConnection calls, to name them
	// own, on a host's node side, tells the host's own URLs: a source the
	// registry locates there is acquired in process, not by dialling itself.
	own           func(url string) bool
	sources       map[string]sourceInfo     // connectedSources: first connection offering a name wins
	impls         map[string]*replicaImpl   // replicas by source name
	registryURL   string                    // set by SetRegistryURL
	registry      *Replica                  // the "Registry" replica
	locations     map[string]SourceLocation // the registry's table, kept current
	errs          errorSink
	cbs           drainGroup    // goroutines delivering to subscribers
	dropCount     atomic.Uint64 // events dropped by full subscription queues
	slowCallbacks atomic.Uint64 // callbacks that stalled a connection (takeOver)
}

type sourceInfo struct {
	conn *clientConn
	info wire.ObjectInfo
}

// NewNode returns a node with no connections.
func NewNode(cfg Config) *Node {
	cfg = cfg.withDefaults()
	n := &Node{cfg: cfg, conns: map[string]*clientConn{}, sources: map[string]sourceInfo{},
		impls: map[string]*replicaImpl{}, locations: map[string]SourceLocation{}}
	for _, d := range wire.Dialects {
		n.types.Set(d, cfg.programTypes(d))
	}
	n.errs.g, n.errs.dropped, n.errs.max = &n.cbs, &n.dropCount, cfg.MaxQueuedEvents
	n.ctx, n.stop = context.WithCancel(context.Background())
	return n
}

// ConnectToNode connects to a host at url (Qt: connectToNode). It returns at
// once; the connection is made in the background and retried every
// Config.RetryInterval while it fails or after it drops.
func (n *Node) ConnectToNode(url string) error {
	if err := n.checkURL(url); err != nil {
		return err
	}
	n.connect(url, true)
	return nil
}

// checkURL reports an URL a node cannot connect to as RegistryNotAcquired,
// as Qt does.
func (n *Node) checkURL(url string) error {
	u, err := transport.Parse(url)
	if err != nil {
		return n.setErr(&Error{Code: RegistryNotAcquired, Op: "connectToNode", URL: url, Err: err})
	}
	if _, ok := n.cfg.Schemes.Lookup(u.Scheme); !ok {
		return n.setErr(&Error{Code: RegistryNotAcquired, Op: "connectToNode", URL: url, Err: transport.ErrUnknownScheme})
	}
	return nil
}

// connect starts a connection to url unless one exists.
func (n *Node) connect(url string, direct bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	if c := n.conns[url]; c != nil {
		if direct {
			c.direct = true
		}
		return
	}
	c := &clientConn{n: n, url: url, direct: direct}
	n.conns[url] = c
	n.wg.Add(1)
	go c.run()
}

// AddClientSideConnection uses c, a connection to a host established
// outside the node (Qt: addClientSideConnection(QIODevice *)), as the
// node's connection to that host: a TLS or WebSocket connection of the
// program's own, a pipe. It returns at once; the host's Handshake and
// ObjectList are read in the background and replicas acquired by name
// bind to its sources like those of ConnectToNode's hosts. Unlike those,
// a lost external connection is not redialled (the node cannot): the
// program hands a new one over, as in Qt. A closed node closes c and
// returns ErrClosed.
func (n *Node) AddClientSideConnection(c net.Conn) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		c.Close()
		return ErrClosed
	}
	n.external++
	url := fmt.Sprintf("external:%d/%s", n.external, c.RemoteAddr())
	cc := &clientConn{n: n, url: url, pre: c}
	n.conns[url] = cc
	n.wg.Add(1)
	go cc.run()
	return nil
}

// setErr records err as the node's last error and tells subscribers.
func (n *Node) setErr(err error) error { return n.errs.set(err) }

// LastError returns the code of the last node error (Qt: lastError()).
func (n *Node) LastError() ErrorCode { return n.errs.lastError() }

// OnError calls fn for every node error (Qt: the error signal) until the
// returned function is called. fn runs on the goroutine that hit the error
// and must not block.
func (n *Node) OnError(fn func(error)) (cancel func()) { return n.errs.subscribe(fn) }

// AcquireOption configures Acquire and AcquireDynamic.
type AcquireOption func(*acquireOptions)

type acquireOptions struct {
	subscribers []func(Event)
}

// WithSubscriber subscribes fn to the replica as part of acquiring it, as
// Replica.Subscribe does, but before the replica can bind to a known
// source: fn gets every event of the handle, including an Init that
// arrives while Acquire runs. Release cancels the subscription.
func WithSubscriber(fn func(Event)) AcquireOption {
	return func(o *acquireOptions) { o.subscribers = append(o.subscribers, fn) }
}

// AcquireDynamic acquires a dynamic replica of the named source (Qt:
// acquireDynamic): its class comes from the source's definition.
func (n *Node) AcquireDynamic(name string, opts ...AcquireOption) (*Replica, error) {
	return n.acquire(name, nil, opts)
}

// Acquire acquires a static replica whose class is known in advance (Qt:
// acquire<T>()); a source with a different signature leaves it in
// SignatureMismatch.
func (n *Node) Acquire(name string, class ClassProvider, opts ...AcquireOption) (*Replica, error) {
	if class == nil {
		return nil, errors.New("qtro node: Acquire needs a class")
	}
	return n.acquire(name, class, opts)
}

func (n *Node) acquire(name string, class ClassProvider, opts []AcquireOption) (*Replica, error) {
	var o acquireOptions
	for _, opt := range opts {
		opt(&o)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	ri := n.impls[name]
	fresh := ri == nil
	if fresh {
		ri = newReplicaImpl(n, name, class)
		n.impls[name] = ri
	}
	ri.mu.Lock()
	ri.handles++
	ri.mu.Unlock()
	src, known := n.sources[name]
	loc, located := n.locations[name]
	n.mu.Unlock()
	r := &Replica{impl: ri}
	for _, fn := range o.subscribers {
		r.Subscribe(fn)
	}
	switch {
	case known:
		ri.bind(src.conn, src.info)
	case located && !(n.own != nil && n.own(loc.HostURL)):
		n.connect(loc.HostURL, true)
	}
	return r, nil
}

// release drops a handle; the last one removes the replica.
func (n *Node) release(ri *replicaImpl, subs []int) {
	n.mu.Lock()
	ri.mu.Lock()
	for _, id := range subs {
		if d := ri.subs[id]; d != nil {
			defer d.cancel() // after the locks: it may run call barriers
			delete(ri.subs, id)
		}
	}
	ri.rebuildSubsLocked()
	ri.handles--
	last := ri.handles == 0
	var c *clientConn
	if last {
		c = ri.conn
		ri.conn = nil
		ri.stopHeartbeatLocked()
		if n.impls[ri.name] == ri {
			delete(n.impls, ri.name)
		}
	}
	ri.mu.Unlock()
	n.mu.Unlock()
	if last && c != nil {
		if q, _ := c.queue(); q != nil {
			_ = q.send(&wire.RemoveObjectPacket{Name: ri.name})
		}
	}
}

// Close drops every connection at once and returns when the node's
// goroutines have ended, subscription deliveries included (so a callback
// that never returns makes Close wait for ever; Shutdown takes a
// deadline). Packets not yet written are lost; Shutdown writes them first.
func (n *Node) Close() error {
	n.shutdown(false)
	n.wg.Wait()
	_ = n.cbs.wait(context.Background())
	return nil
}

// Shutdown stops reconnecting, writes what is queued to each connection
// (a last property write or call), then closes them; it returns when all
// goroutines have ended, or with ctx's error after closing everything at
// once when ctx ends first. Subscriptions get the events queued for them
// before it returns nil. Like Host.Shutdown, it may be called after
// Close or again; the node cannot be used afterwards (ErrClosed).
func (n *Node) Shutdown(ctx context.Context) error {
	n.shutdown(true)
	done := make(chan struct{})
	go func() { n.wg.Wait(); close(done) }()
	select {
	case <-done:
		// Subscribers get what was queued for them.
		return n.cbs.wait(ctx)
	case <-ctx.Done():
		n.shutdown(false)
		<-done
		return ctx.Err()
	}
}

func (n *Node) shutdown(graceful bool) {
	n.mu.Lock()
	n.closed = true
	conns := make([]*clientConn, 0, len(n.conns))
	for _, c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	n.stop()
	for _, c := range conns {
		if graceful {
			c.closeAfterFlush()
		} else {
			c.close()
		}
	}
}

// objectList records the sources a connection offers and binds waiting replicas.
func (n *Node) objectList(c *clientConn, objs []wire.ObjectInfo) {
	type bindReq struct {
		ri   *replicaImpl
		info wire.ObjectInfo
	}
	var binds []bindReq
	n.mu.Lock()
	for _, o := range objs {
		if _, ok := n.sources[o.Name]; !ok {
			n.sources[o.Name] = sourceInfo{conn: c, info: o}
		}
	}
	for _, o := range objs {
		if s := n.sources[o.Name]; s.conn == c {
			if ri := n.impls[o.Name]; ri != nil {
				binds = append(binds, bindReq{ri, s.info})
			}
		}
	}
	n.mu.Unlock()
	// The registry first, as Qt does, so a host's announcements can start.
	for _, b := range binds {
		if b.ri.name == registryName {
			b.ri.bind(c, b.info)
		}
	}
	for _, b := range binds {
		if b.ri.name != registryName {
			b.ri.bind(c, b.info)
		}
	}
}

// sourceRemoved handles RemoveObject from a host.
func (n *Node) sourceRemoved(c *clientConn, name string) {
	n.mu.Lock()
	if s, ok := n.sources[name]; ok && s.conn == c {
		delete(n.sources, name)
	}
	ri := n.impls[name]
	n.mu.Unlock()
	if ri != nil {
		ri.unbind(c)
	}
}

// connLost forgets a connection's sources and suspends its replicas.
func (n *Node) connLost(c *clientConn) {
	n.mu.Lock()
	var affected []*replicaImpl
	for name, s := range n.sources {
		if s.conn == c {
			delete(n.sources, name)
		}
	}
	for _, ri := range n.impls {
		affected = append(affected, ri)
	}
	n.mu.Unlock()
	for _, ri := range affected {
		ri.unbind(c)
	}
}

// forget removes a connection that will not be retried.
func (n *Node) forget(c *clientConn) {
	n.mu.Lock()
	if n.conns[c.url] == c {
		delete(n.conns, c.url)
	}
	n.mu.Unlock()
}

func (n *Node) impl(name string) *replicaImpl {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.impls[name]
}

func (n *Node) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-n.ctx.Done():
		return false
	}
}

// dropped counts events a full subscription queue refused and reports the
// first of an overflow episode to OnError.
func (n *Node) dropped(count int, first bool, of, name string, limit int) {
	n.dropCount.Add(uint64(count))
	if first {
		n.errs.report(&OverflowError{Of: of, Name: name, Limit: limit})
	}
}

// NodeStats counts what a node's subscriptions did.
type NodeStats struct {
	// DroppedEvents were not delivered because a subscription's queue held
	// Config.MaxQueuedEvents undelivered events (a callback too slow).
	DroppedEvents uint64
	// SlowCallbacks ran so long that the connection went on without them
	// (SlowCallbackError).
	SlowCallbacks uint64
}

// Stats returns the node's counters.
func (n *Node) Stats() NodeStats {
	return NodeStats{DroppedEvents: n.dropCount.Load(), SlowCallbacks: n.slowCallbacks.Load()}
}
