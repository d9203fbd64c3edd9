package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// Host is a host node (QRemoteObjectHost): it listens on one or more URLs
// and remotes sources to every replica that connects. Like Qt's, it is a
// node too: it acquires replicas (ConnectToNode, SetRegistryURL, Acquire,
// AcquireDynamic), its own sources in process.
type Host struct {
	cfg        Config
	types      wire.ByDialect[*Types] // program types per dialect
	sendBudget *sendBudget            // Config.MaxSendQueueTotal, shared by the connections' queues

	mu        sync.Mutex
	listeners []*listener
	conns     map[*hostConn]struct{}
	sources   map[string]*Source
	order     []string // names in enable order, for ObjectList
	closed    bool
	wg        sync.WaitGroup
	// node is the host's node side (Qt: a QRemoteObjectHost is a
	// QRemoteObjectNode), made on first use: its connections to other
	// hosts, its replicas, and its registry connection (SetRegistryURL).
	node     *Node
	registry *Replica // node's "Registry" replica, with SetRegistryURL
	// hooks, when set (by a RegistryHost), follows the host's sources and
	// connections; a plain host has none.
	hooks hostHooks
	errs  errorSink
	cbs   drainGroup // goroutines delivering to observers and OnError subscribers
	// gen counts changes to the remoted set (and so to the program types):
	// cached Init frames of an older generation are not reused.
	gen atomic.Uint64
	// greeting caches the Handshake + ObjectList frames per dialect for
	// generation greetGen[d], so a storm encodes them once.
	greeting wire.ByDialect[[]byte]
	greetGen wire.ByDialect[uint64]
	ctx      context.Context
	cancel   context.CancelFunc
	counters hostCounters
	// reclaiming is set while a return of freed memory to the OS is
	// scheduled (reclaimSoon).
	reclaiming   atomic.Bool
	reclaimMu    sync.Mutex
	reclaimTimer *time.Timer // guarded by reclaimMu
}

type listener struct {
	ln      net.Listener
	url     transport.URL
	dialect Dialect
}

// NewHost returns a host listening on url (Qt: QRemoteObjectHost(url)) in
// cfg's dialect (default Qt6). An empty url makes a host without a
// listener; add some with Listen.
func NewHost(ctx context.Context, url string, cfg Config) (*Host, error) {
	cfg = cfg.withDefaults()
	h := &Host{cfg: cfg, conns: map[*hostConn]struct{}{}, sources: map[string]*Source{}}
	if cfg.MemoryBudget > 0 && h.cfg.Limits.Budget == nil {
		h.cfg.Limits.Budget = wire.NewBudget(cfg.MemoryBudget)
	}
	if cfg.MaxSendQueueTotal > 0 {
		h.sendBudget = newSendBudget(cfg.MaxSendQueueTotal)
	}
	for _, d := range wire.Dialects {
		h.types.Set(d, cfg.programTypes(d))
	}
	h.errs.g, h.errs.dropped, h.errs.max = &h.cbs, &h.counters.droppedEvents, cfg.MaxQueuedEvents
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if url != "" {
		if _, err := h.Listen(ctx, url, cfg.hostDialect()); err != nil {
			h.cancel()
			return nil, err
		}
	}
	return h, nil
}

// Listen adds a listener on url serving dialect d, and returns the URL it
// actually listens on (Qt's hostUrl(): resolved address, bound port).
func (h *Host) Listen(ctx context.Context, url string, d Dialect) (string, error) {
	actual, err := h.listen(ctx, url, d)
	if CodeOf(err) != NoError {
		h.errs.set(err)
	}
	return actual, err
}

// LastError returns the code of the host's last node error (Qt:
// lastError()): listen failures, remoting misuse, and the errors of its
// registry connection.
func (h *Host) LastError() ErrorCode { return h.errs.lastError() }

// OnError calls fn for every error LastError records (Qt: the error
// signal) until the returned function is called. fn runs on the goroutine
// that hit the error and must not block. Like Qt, a host does not report a
// misbehaving client here: it logs it and drops the connection.
func (h *Host) OnError(fn func(error)) (cancel func()) { return h.errs.subscribe(fn) }

// Registry returns the replica of the registry set with SetRegistryURL
// (Qt: registry()), or nil.
func (h *Host) Registry() *Replica {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.registry
}

func (h *Host) listen(ctx context.Context, url string, d Dialect) (string, error) {
	if !d.Valid() {
		d = h.cfg.hostDialect()
	}
	u, err := transport.Parse(url)
	if errors.Is(err, transport.ErrEmptySocketName) {
		return "", &Error{Code: ListenFailed, Op: "listen", URL: url, Err: err}
	}
	if err != nil {
		return "", &Error{Code: HostUrlInvalid, Op: "listen", URL: url, Err: err}
	}
	if u.Scheme == transport.LocalAbstract && d == wire.Qt5 {
		// Qt 5.15 has no localabstract scheme; a Qt 5 peer could never reach it.
		h.cfg.Logger.Warn("localabstract: is Qt 6 only; listening anyway for Qt 5 dialect", "url", url)
	}
	t, ok := h.cfg.Schemes.Lookup(u.Scheme)
	if !ok {
		return "", &Error{Code: HostUrlInvalid, Op: "listen", URL: url, Err: transport.ErrUnknownScheme}
	}
	ln, actual, err := t.Listen(ctx, u)
	if err != nil {
		code := ListenFailed
		if errors.Is(err, transport.ErrSocketAccess) {
			code = SocketAccessError
		}
		return "", &Error{Code: code, Op: "listen", URL: url, Err: err}
	}
	l := &listener{ln: ln, url: actual, dialect: d}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ln.Close()
		return "", ErrClosed
	}
	h.listeners = append(h.listeners, l)
	h.wg.Add(1)
	h.mu.Unlock()
	go h.accept(l)
	return actual.String(), nil
}

// URL returns the URL of the first listener, as Qt's hostUrl() reports it.
func (h *Host) URL() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.listeners) == 0 {
		return ""
	}
	return h.listeners[0].url.String()
}

// URLs returns every listener's URL and dialect.
func (h *Host) URLs() map[string]Dialect {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]Dialect{}
	for _, l := range h.listeners {
		out[l.url.String()] = l.dialect
	}
	return out
}

// Accept back-off bounds: an accept error other than a closed listener
// (EMFILE, ENFILE, ENOBUFS, ECONNABORTED, ...) is retried after a delay
// that doubles from acceptDelayMin to acceptDelayMax, as net/http's
// Server does, so a host out of file descriptors serves again as soon as
// some are free instead of going deaf for good.
const (
	acceptDelayMin = 5 * time.Millisecond
	acceptDelayMax = time.Second
)

func (h *Host) accept(l *listener) {
	defer h.wg.Done()
	var delay time.Duration // 0: not in a failure episode
	failures := 0
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || h.ctx.Err() != nil {
				return
			}
			if errors.Is(err, transport.ErrHandshake) {
				// One client's failed upgrade (a WebSocket listener's),
				// not the listener's: count it and accept on.
				h.handshakeFailed(err)
				continue
			}
			failures++
			h.counters.acceptErrors.Add(1)
			shed := outOfDescriptors(err) && h.shedSilent()
			switch {
			case delay == 0:
				delay = acceptDelayMin
				h.cfg.Logger.Warn("accept failed; retrying with back-off", "url", l.url.String(), "err", err)
			case shed:
				delay = acceptDelayMin // a descriptor is free again
			default:
				if delay *= 2; delay > acceptDelayMax {
					delay = acceptDelayMax
				}
			}
			select {
			case <-time.After(delay):
			case <-h.ctx.Done():
				return
			}
			continue
		}
		if delay != 0 {
			h.cfg.Logger.Info("accepting again", "url", l.url.String(), "failedAccepts", failures)
			delay, failures = 0, 0
		}
		// Go sets TCP_NODELAY on accepted connections (Qt's backend does
		// not: see transport's tcp Dial).
		// Greet in parallel: in a connection storm the accept loop must
		// only accept (one goroutine per connection was ~100 µs of serial work).
		if max := h.cfg.MaxConnections; max > 0 && h.Stats().Open >= uint64(max) && !h.shedSilent() {
			h.counters.refused.Add(1)
			h.cfg.Logger.Warn("refusing connection: MaxConnections open", "url", l.url.String(), "max", max)
			c.Close()
			continue
		}
		h.counters.accepted.Add(1)
		h.wg.Add(1)
		go func() { defer h.wg.Done(); h.serve(c, l) }()
	}
}

// silentShedAge is how long a connection may stay silent (no complete
// frame) before the host may close it to make room: when it runs out of
// file descriptors, or holds Config.MaxConnections. A Qt node sends
// AddObject as soon as the greeting arrives if it wants anything; one
// that never sends (an idle flood, or a node that acquired nothing) is
// the cheapest to lose, and a Qt node reconnects when it is lost.
const silentShedAge = time.Second

// shedSilent closes the oldest connection that has sent no complete frame
// in silentShedAge, and reports whether there was one.
func (h *Host) shedSilent() bool {
	cutoff := mono() - int64(silentShedAge)
	h.mu.Lock()
	var oldest *hostConn
	for c := range h.conns {
		if !c.spoke.Load() && c.born <= cutoff && (oldest == nil || c.born < oldest.born) {
			oldest = c
		}
	}
	h.mu.Unlock()
	if oldest == nil {
		return false
	}
	h.counters.shed.Add(1)
	oldest.close()
	return true
}

// outOfDescriptors reports whether an accept failed for want of a file
// descriptor (the process's or the system's).
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// clientNode returns the host's node side, made on first use with the
// host's configuration and connected in process to the host itself: its
// sources, remoted now or later, are acquired there (never by dialling
// its own URL, which a registry may list), and a registry host's node
// side finds sources through its own registry, as Qt's does. Its node
// errors are the host's (LastError, OnError).
func (h *Host) clientNode() (*Node, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	n := h.node
	fresh := n == nil
	if fresh {
		n = NewNode(h.cfg)
		n.errs.forwardTo(&h.errs)
		n.own = h.listensOn
		h.node = n
	}
	registry := h.hooks != nil
	h.mu.Unlock()
	if !fresh {
		return n, nil
	}
	hostEnd, nodeEnd := net.Pipe()
	if err := h.AddHostSideConnection(hostEnd, 0); err != nil {
		nodeEnd.Close()
		return nil, err
	}
	if err := n.AddClientSideConnection(nodeEnd); err != nil {
		return nil, err
	}
	if registry {
		if _, err := n.useRegistry(h.URL(), false); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Locations returns the sources the host's registry lists, as the host's
// node side knows them (Node.Locations): those of the registry set with
// SetRegistryURL, or a RegistryHost's own.
func (h *Host) Locations() []SourceLocation {
	n, err := h.clientNode()
	if err != nil {
		return nil
	}
	return n.Locations()
}

// listensOn reports whether url is one of the host's listeners' URLs.
func (h *Host) listensOn(url string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.listeners {
		if l.url.String() == url {
			return true
		}
	}
	return false
}

// ConnectToNode connects the host's node side to another host at url (Qt:
// QRemoteObjectHost is a QRemoteObjectNode), as Node.ConnectToNode does:
// replicas the host acquires may then come from there.
func (h *Host) ConnectToNode(url string) error {
	n, err := h.clientNode()
	if err != nil {
		return err
	}
	return n.ConnectToNode(url)
}

// AddClientSideConnection gives the host's node side a connection to
// another host made by the program, as Node.AddClientSideConnection does.
func (h *Host) AddClientSideConnection(c net.Conn) error {
	n, err := h.clientNode()
	if err != nil {
		c.Close()
		return err
	}
	return n.AddClientSideConnection(c)
}

// AcquireDynamic acquires a dynamic replica through the host's node side,
// as Node.AcquireDynamic does: from the hosts it connected to, the
// registry (SetRegistryURL), or the host itself when it remotes the name
// (Qt's in-process replica; here over an in-memory connection, so the
// replica behaves as any other, only faster).
func (h *Host) AcquireDynamic(name string, opts ...AcquireOption) (*Replica, error) {
	n, err := h.clientNode()
	if err != nil {
		return nil, err
	}
	return n.AcquireDynamic(name, opts...)
}

// Acquire acquires a static replica through the host's node side, as
// AcquireDynamic does for a dynamic one.
func (h *Host) Acquire(name string, class ClassProvider, opts ...AcquireOption) (*Replica, error) {
	n, err := h.clientNode()
	if err != nil {
		return nil, err
	}
	return n.Acquire(name, class, opts...)
}

// handshakeFailed counts and logs (rate-limited) a connection lost to its
// transport handshake.
func (h *Host) handshakeFailed(err error) {
	h.counters.handshakeFailures.Add(1)
	h.cfg.Logger.Warn("transport handshake failed", "err", err)
}

// AddHostSideConnection serves c, a connection established outside the
// host (Qt: addHostSideConnection(QIODevice *)), in dialect d (zero: the
// host's): a TLS connection from a server of the program's own, a
// WebSocket, a pipe. It returns at once; the connection is served like an
// accepted one and counted in Stats. A connection with a handshake of its
// own (transport.Handshaker, such as *tls.Conn) finishes it first. A
// closed host closes c and returns ErrClosed.
func (h *Host) AddHostSideConnection(c net.Conn, d Dialect) error {
	if !d.Valid() {
		d = h.cfg.hostDialect()
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.Close()
		return ErrClosed
	}
	h.wg.Add(1)
	h.mu.Unlock()
	h.counters.accepted.Add(1)
	go func() {
		defer h.wg.Done()
		h.serve(c, &listener{url: transport.URL{Scheme: "external", Opaque: c.RemoteAddr().String()}, dialect: d})
	}()
	return nil
}

// serve starts a connection: its transport handshake (TLS) is finished,
// then Handshake and ObjectList go out first, then the connection's
// goroutines take over.
func (h *Host) serve(c net.Conn, l *listener) {
	if _, ok := c.(transport.Handshaker); ok {
		ctx, cancel := h.ctx, context.CancelFunc(func() {})
		if t := h.cfg.HandshakeTimeout; t > 0 {
			ctx, cancel = context.WithTimeout(ctx, t)
		}
		err := transport.Handshake(ctx, c)
		cancel()
		if err != nil {
			c.Close()
			h.counters.closed.Add(1)
			h.handshakeFailed(fmt.Errorf("%w (from %s)", err, c.RemoteAddr()))
			return
		}
	}
	hc := newHostConn(h, c, l.dialect)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.Close()
		h.counters.closed.Add(1)
		return
	}
	h.conns[hc] = struct{}{}
	// Queue the greeting under h.mu so a source enabled concurrently is in
	// this ObjectList or in a later broadcast, never in neither.
	_ = hc.q.enqueueRaw(h.greetingLocked(l.dialect))
	h.mu.Unlock()
	hc.q.kick(true) // outside h.mu: the greeting's write must not serialize a storm's accepts
	hc.readLoop()
}

// greetingLocked is what a new connection gets first: the Handshake and
// the ObjectList of every remoted source, encoded once per dialect and
// remoted set.
func (h *Host) greetingLocked(d Dialect) []byte {
	gen := h.gen.Load()
	if g := h.greeting.Get(d); g != nil && h.greetGen.Get(d) == gen {
		return g
	}
	version := d.ProtocolVersion()
	if mutating("wrong-version") {
		version = "QtRO 9.9"
	}
	enc := qds.NewEncoder(nil, d.Stream(), h.types.Get(d))
	wire.AppendPacket(enc, &wire.HandshakePacket{Version: version})
	wire.AppendPacket(enc, h.objectListLocked(h.order))
	h.greeting.Set(d, enc.Bytes())
	h.greetGen.Set(d, gen)
	return enc.Bytes()
}

func (h *Host) objectListLocked(names []string) *wire.ObjectListPacket {
	ol := &wire.ObjectListPacket{Objects: make([]wire.ObjectInfo, 0, len(names))}
	for _, n := range names {
		s := h.sources[n]
		if s == nil {
			continue
		}
		oi := wire.ObjectInfo{Name: n}
		if s.class.TypeName != "" {
			oi.TypeName = qds.Str(s.class.TypeName)
		}
		if s.class.Signature != "" {
			oi.Signature = []byte(s.class.Signature)
		}
		ol.Objects = append(ol.Objects, oi)
	}
	return ol
}

// EnableRemoting remotes src under name (Qt: enableRemoting(obj, name)).
// Every connected node gets an ObjectList with the new source.
func (h *Host) EnableRemoting(src *Source, name string) error {
	if name == "" {
		name = src.class.TypeName
	}
	if name == "" {
		return h.errs.set(&Error{Code: MissingObjectName, Op: "enableRemoting"})
	}
	src.mu.Lock()
	if src.host != nil {
		src.mu.Unlock()
		return errorf(NoError, "enableRemoting", "", "source already remoted as %q", src.name)
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		src.mu.Unlock()
		return ErrClosed
	}
	if _, dup := h.sources[name]; dup {
		h.mu.Unlock()
		src.mu.Unlock()
		return errorf(NoError, "enableRemoting", "", "a source named %q is already remoted", name)
	}
	src.host, src.name = h, name
	src.inits = wire.ByDialect[[2]initFrame]{}
	h.gen.Add(1)
	for _, d := range wire.Dialects {
		src.class.RegisterTypes(h.types.Get(d))
	}
	h.sources[name] = src
	h.order = append(h.order, name)
	ol := h.objectListLocked([]string{name})
	for c := range h.conns {
		if err := c.q.send(ol); err != nil {
			c.fail(err)
		}
	}
	reg := h.registry
	h.mu.Unlock()
	src.mu.Unlock()
	if reg != nil {
		h.announce(reg, name, src, 0)
	}
	if h.hooks != nil {
		h.hooks.sourceEnabled(name, src)
	}
	return nil
}

// DisableRemoting stops remoting a source (Qt: disableRemoting): nodes that
// acquired it get RemoveObject; the registry is told.
func (h *Host) DisableRemoting(name string) error {
	h.mu.Lock()
	src := h.sources[name]
	if src == nil {
		h.mu.Unlock()
		return h.errs.set(&Error{Code: SourceNotRegistered, Op: "disableRemoting", Err: fmt.Errorf("no source %q", name)})
	}
	delete(h.sources, name)
	h.gen.Add(1)
	for i, n := range h.order {
		if n == name {
			h.order = append(h.order[:i:i], h.order[i+1:]...)
			break
		}
	}
	reg := h.registry
	h.mu.Unlock()

	src.mu.Lock()
	listeners := src.listeners.take()
	src.host = nil
	src.name = ""
	src.mu.Unlock()
	for _, c := range listeners {
		c.dropSource(name)
		if err := c.q.send(&wire.RemoveObjectPacket{Name: name}); err != nil {
			c.fail(err)
		}
	}
	if reg != nil {
		h.announce(reg, name, src, 1)
	}
	if h.hooks != nil {
		h.hooks.sourceDisabled(name)
	}
	return nil
}

// Source returns the source remoted under name.
func (h *Host) Source(name string) *Source {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sources[name]
}

// lookup finds a root source by name, or a child by its wire name in d.
func (h *Host) lookup(name string, d Dialect) *Source {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.sources[name]; s != nil {
		return s
	}
	for _, s := range h.sources {
		if ch := s.findChild(d, name); ch != nil {
			return ch
		}
	}
	return nil
}

// Connections returns the number of connected nodes.
func (h *Host) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Close stops listening and drops every connection at once.
func (h *Host) Close() error {
	h.shutdown(false)
	h.wg.Wait()
	_ = h.cbs.wait(context.Background())
	return nil
}

// Shutdown stops listening, writes what is queued to each connection, then
// closes them; it returns when all goroutines have ended or ctx is done.
func (h *Host) Shutdown(ctx context.Context) error {
	h.shutdown(true)
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return h.cbs.wait(ctx)
	case <-ctx.Done():
		h.shutdown(false)
		<-done
		return ctx.Err()
	}
}

func (h *Host) shutdown(graceful bool) {
	h.mu.Lock()
	first := !h.closed
	h.closed = true
	ls := h.listeners
	conns := make([]*hostConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	reg := h.node
	h.mu.Unlock()
	if first {
		h.cancel() // before reclaimMu: a later reclaimSoon sees it and schedules nothing
		h.reclaimMu.Lock()
		if h.reclaimTimer != nil && h.reclaimTimer.Stop() {
			h.wg.Done()
		}
		h.reclaimMu.Unlock()
		for _, l := range ls {
			l.ln.Close()
		}
		if reg != nil {
			reg.Close()
		}
	}
	for _, c := range conns {
		if graceful {
			c.closeAfterFlush()
		} else {
			c.close()
		}
	}
}

// reclaimThreshold is the frame buffer a closing connection must hold for
// the host to hand freed memory back to the OS.
const reclaimThreshold = 4 << 20

// reclaimDelay batches the closes of an attack into one reclaim.
const reclaimDelay = 500 * time.Millisecond

// reclaimSoon returns freed heap to the OS shortly (at most one pending
// reclaim): after large partial frames or a slow consumer's queue die, Go's
// runtime would otherwise keep the pages for minutes, and a host that
// survived an attack would still look hundreds of MB heavier.
func (h *Host) reclaimSoon() {
	if !h.reclaiming.CompareAndSwap(false, true) {
		return
	}
	// Not h.mu: a slow consumer is dropped while a broadcast holds it.
	h.reclaimMu.Lock()
	defer h.reclaimMu.Unlock()
	if h.ctx.Err() != nil { // shut down
		return
	}
	h.wg.Add(1) // Close waits for a reclaim that has started, and stops one that has not
	h.reclaimTimer = time.AfterFunc(reclaimDelay, func() {
		defer h.wg.Done()
		h.reclaiming.Store(false)
		debug.FreeOSMemory()
	})
}

func (h *Host) removeConn(c *hostConn) {
	h.counters.closed.Add(1)
	h.mu.Lock()
	delete(h.conns, c)
	srcs := make([]*Source, 0, len(h.sources))
	for _, s := range h.sources {
		srcs = append(srcs, s)
	}
	h.mu.Unlock()
	for _, s := range srcs {
		s.mu.Lock()
		s.listeners.remove(c)
		s.mu.Unlock()
	}
	if h.hooks != nil {
		h.hooks.connClosed(c)
	}
}
