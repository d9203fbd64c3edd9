package node_test

// Shared fixtures of the Ginkgo specs: the dialect x transport matrix,
// hosts and nodes closed at the end of each spec, event recorders, a
// recording proxy ("tap") and raw wire peers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// specEnv is one cell of the matrix: a wire dialect and a transport.
type specEnv struct {
	D  wire.Dialect
	Tr string // transport.TCP, transport.Local or transport.LocalAbstract
}

func (e specEnv) String() string { return e.D.String() + " over " + e.Tr }

var specTransports = []string{transport.TCP, transport.Local, transport.LocalAbstract}

// forEachEnv declares body once per dialect and transport, each in its own
// container labelled with both.
func forEachEnv(body func(e specEnv)) {
	for _, d := range wire.Dialects {
		for _, tr := range specTransports {
			e := specEnv{D: d, Tr: tr}
			Describe(e.String(), Label(d.String(), tr), func() { body(e) })
		}
	}
}

// forEachDialect declares body once per dialect (for specs that do not
// depend on the transport); e.Tr is tcp.
func forEachDialect(body func(e specEnv)) {
	for _, d := range wire.Dialects {
		e := specEnv{D: d, Tr: transport.TCP}
		Describe(d.String(), Label(d.String()), func() { body(e) })
	}
}

func otherDialect(d wire.Dialect) wire.Dialect {
	if d == wire.Qt5 {
		return wire.Qt6
	}
	return wire.Qt5
}

var specSeq atomic.Int64

// uniqueName returns a socket name that no other spec or process uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("qtro-spec-%s-%d-%d", prefix, os.Getpid(), specSeq.Add(1))
}

// anyURL returns a URL to listen on where any free address will do.
func (e specEnv) anyURL() string {
	switch e.Tr {
	case transport.TCP:
		return "tcp://127.0.0.1:0"
	case transport.Local:
		return "local:" + uniqueName("l")
	default:
		return "localabstract:" + uniqueName("a")
	}
}

// fixedURL returns a URL that nothing listens on yet and that a host can
// take later (for clients started before their host, and restarts).
func (e specEnv) fixedURL() string {
	if e.Tr != transport.TCP {
		return e.anyURL()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	Expect(l.Close()).To(Succeed())
	return "tcp://127.0.0.1:" + strconv.Itoa(port)
}

// specCtx returns a context that ends with the spec.
func specCtx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	DeferCleanup(cancel)
	return ctx
}

// waitCtx returns a context for one wait.
func waitCtx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	DeferCleanup(cancel)
	return ctx
}

func (e specEnv) cfg(mods ...func(*node.Config)) node.Config {
	c := node.Config{Dialect: e.D}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// newHost starts a host on url in the env's dialect; it is closed when the
// spec ends.
func (e specEnv) newHost(url string, mods ...func(*node.Config)) *node.Host {
	GinkgoHelper()
	h, err := node.NewHost(specCtx(), url, e.cfg(mods...))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(h.Close)
	return h
}

// newRegistry starts a registry host on url; closed when the spec ends.
func (e specEnv) newRegistry(url string, mods ...func(*node.Config)) *node.RegistryHost {
	GinkgoHelper()
	rh, err := node.NewRegistryHost(specCtx(), url, e.cfg(mods...))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rh.Close)
	return rh
}

// newNode returns a client node that detects the dialect (Config.Dialect
// zero) unless a mod sets it; closed when the spec ends.
func newNode(mods ...func(*node.Config)) *node.Node {
	var c node.Config
	for _, m := range mods {
		m(&c)
	}
	n := node.NewNode(c)
	DeferCleanup(n.Close)
	return n
}

// connectedNode returns a node connected to url.
func connectedNode(url string, mods ...func(*node.Config)) *node.Node {
	GinkgoHelper()
	n := newNode(mods...)
	Expect(n.ConnectToNode(url)).To(Succeed())
	return n
}

func withHeartbeat(d time.Duration) func(*node.Config) {
	return func(c *node.Config) { c.HeartbeatInterval = d }
}

func withRetry(d time.Duration) func(*node.Config) {
	return func(c *node.Config) { c.RetryInterval = d }
}

func withDialect(d wire.Dialect) func(*node.Config) {
	return func(c *node.Config) { c.Dialect = d }
}

func withMaxSendQueue(n int) func(*node.Config) {
	return func(c *node.Config) { c.MaxSendQueue = n }
}

// acquireDynamic acquires a dynamic replica released when the spec ends.
func acquireDynamic(n *node.Node, name string) *node.Replica {
	GinkgoHelper()
	r, err := n.AcquireDynamic(name)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(r.Release)
	return r
}

// acquireStatic acquires a static replica of class c.
func acquireStatic(n *node.Node, name string, c *meta.Class) *node.Replica {
	GinkgoHelper()
	r, err := n.Acquire(name, node.StaticClass{Class: c})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(r.Release)
	return r
}

// waitValid waits until r is Valid.
func waitValid(r *node.Replica) {
	GinkgoHelper()
	Expect(r.WaitForSource(waitCtx(10 * time.Second))).To(Succeed())
}

// The .rep the specs remote. SpecObject covers every member kind;
// AllTypes one property of each value type QtRO carries.
const specRep = `
#include <QtCore>

POD SpecPOD(int x, QString s)

class SpecObject
{
    ENUM Mode { Off = 0, On = 1, Auto = 5 }
    PROP(int count = 0)
    PROP(QString label READONLY)
    PROP(Mode mode = Off)
    PROP(SpecPOD pod)
    PROP(double ratio = 0.5 READWRITE)
    PROP(QByteArray blob)
    PROP(int fixed = 7 CONSTANT)
    SIGNAL(fired(int code, const QString &why))
    SIGNAL(modeSet(Mode m))
    SIGNAL(podSent(SpecPOD p))
    SLOT(int add(int a, int b))
    SLOT(void ping())
    SLOT(QString echo(const QString &s))
};

class SpecOther
{
    PROP(int count = 0)
    PROP(QString label READONLY)
    PROP(int extra = 3)
};

class AllTypes
{
    ENUM Color { Red = 1, Green = 2, Blue = 4 }
    PROP(qint8 i8)
    PROP(quint8 u8)
    PROP(qint16 i16)
    PROP(quint16 u16)
    PROP(int i32)
    PROP(uint u32)
    PROP(qint64 i64)
    PROP(quint64 u64)
    PROP(bool flag)
    PROP(double dbl)
    PROP(float flt)
    PROP(QString nullStr)
    PROP(QString emptyStr)
    PROP(QString text)
    PROP(QByteArray bytes)
    PROP(QStringList strings)
    PROP(QVariantList variants)
    PROP(QVariantMap vmap)
    PROP(QDateTime when)
    PROP(QUrl url)
    PROP(QPoint point)
    PROP(QSize size)
    PROP(QRect rect)
    PROP(Color color)
    PROP(SpecPOD pod)
    PROP(QList<int> ints)
    PROP(QMap<QString,int> counts)
};

class HB
{
    PROP(int n = 3)
};
`

// specClass returns class name of specRep as dialect d's repc makes it.
func specClass(d wire.Dialect, name string) *meta.Class {
	GinkgoHelper()
	c, err := meta.ParseRep("spec.rep", []byte(specRep), name, d)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// specObject returns a SpecObject source with working slots: add(a,b)
// returns a+b, echo(s) returns s, ping() does nothing.
func specObject(d wire.Dialect) *node.Source {
	GinkgoHelper()
	src := node.NewSource(specClass(d, "SpecObject"))
	Expect(src.HandleMethod("add", func(_ context.Context, a []qds.Variant) (qds.Variant, error) {
		return qds.IntOf(int32(a[0].Int() + a[1].Int())), nil
	})).To(Succeed())
	Expect(src.HandleMethod("echo", func(_ context.Context, a []qds.Variant) (qds.Variant, error) {
		return a[0], nil
	})).To(Succeed())
	Expect(src.HandleMethod("ping", func(context.Context, []qds.Variant) (qds.Variant, error) {
		return qds.Variant{}, nil
	})).To(Succeed())
	return src
}

// remote enables src on h under name.
func remote(h *node.Host, src *node.Source, name string) {
	GinkgoHelper()
	Expect(h.EnableRemoting(src, name)).To(Succeed())
}

// prop returns a replica property, failing the spec on error.
func prop(r *node.Replica, name string) qds.Variant {
	GinkgoHelper()
	v, err := r.Property(name)
	Expect(err).NotTo(HaveOccurred())
	return v
}

func srcProp(s *node.Source, name string) qds.Variant {
	GinkgoHelper()
	v, err := s.Property(name)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// propInt polls a replica property as an int (for Eventually).
func propInt(r *node.Replica, name string) func() int64 {
	return func() int64 {
		v, err := r.Property(name)
		if err != nil {
			return -1 << 62
		}
		return v.Int()
	}
}

// recorder keeps every event of a replica, in delivery order.
type recorder struct {
	mu  sync.Mutex
	evs []node.Event
}

// record subscribes a recorder to r for the rest of the spec. Events are
// delivered after the state they describe is visible, so a recorder
// subscribed just after WaitForSource may still receive that Init's
// events: record lets them drain and forgets them (see recordAll).
func record(r *node.Replica) *recorder {
	rec := recordAll(r)
	for last, deadline := -1, time.Now().Add(time.Second); time.Now().Before(deadline); {
		n := len(rec.events())
		if n == last {
			break
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
	rec.mu.Lock()
	rec.evs = nil
	rec.mu.Unlock()
	return rec
}

// recordAll subscribes a recorder that keeps everything from now on.
func recordAll(r *node.Replica) *recorder {
	rec := &recorder{}
	cancel := r.Subscribe(func(ev node.Event) {
		rec.mu.Lock()
		rec.evs = append(rec.evs, ev)
		rec.mu.Unlock()
	})
	DeferCleanup(cancel)
	return rec
}

func (rec *recorder) events() []node.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]node.Event(nil), rec.evs...)
}

// transitions returns "Old->New" for every StateChanged event.
func (rec *recorder) transitions() []string {
	var out []string
	for _, ev := range rec.events() {
		if ev.Kind == node.StateChanged {
			out = append(out, ev.Old.String()+"->"+ev.New.String())
		}
	}
	return out
}

// kinds returns the kind of every event.
func (rec *recorder) kinds() []node.EventKind {
	var out []node.EventKind
	for _, ev := range rec.events() {
		out = append(out, ev.Kind)
	}
	return out
}

// changes returns the values of PropertyChanged events of a property.
func (rec *recorder) changes(name string) []qds.Variant {
	var out []qds.Variant
	for _, ev := range rec.events() {
		if ev.Kind == node.PropertyChanged && ev.Name == name {
			out = append(out, ev.Value)
		}
	}
	return out
}

// changedNames returns the property name of every PropertyChanged event.
func (rec *recorder) changedNames() []string {
	var out []string
	for _, ev := range rec.events() {
		if ev.Kind == node.PropertyChanged {
			out = append(out, ev.Name)
		}
	}
	return out
}

// intChanges returns the values of a property's changes as ints.
func (rec *recorder) intChanges(name string) []int64 {
	var out []int64
	for _, v := range rec.changes(name) {
		out = append(out, v.Int())
	}
	return out
}

// signals returns the argument lists of a signal's emissions.
func (rec *recorder) signals(name string) [][]qds.Variant {
	var out [][]qds.Variant
	for _, ev := range rec.events() {
		if ev.Kind == node.SignalEmitted && ev.Name == name {
			out = append(out, ev.Args)
		}
	}
	return out
}

func (rec *recorder) count(kind node.EventKind) int {
	n := 0
	for _, ev := range rec.events() {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// firstState returns the time of the first StateChanged to s after from.
func (rec *recorder) firstState(s node.State, from time.Time) (time.Time, bool) {
	for _, ev := range rec.events() {
		if ev.Kind == node.StateChanged && ev.New == s && !ev.Received.Before(from) {
			return ev.Received, true
		}
	}
	return time.Time{}, false
}

// sourceLog keeps a source's SourceEvents.
type sourceLog struct {
	mu  sync.Mutex
	evs []node.SourceEvent
}

func observe(s *node.Source) *sourceLog {
	l := &sourceLog{}
	s.Observe(func(ev node.SourceEvent) {
		l.mu.Lock()
		l.evs = append(l.evs, ev)
		l.mu.Unlock()
	})
	return l
}

func (l *sourceLog) events() []node.SourceEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]node.SourceEvent(nil), l.evs...)
}

// writes returns the indices of properties written by replicas.
func (l *sourceLog) writes() []int {
	var out []int
	for _, ev := range l.events() {
		if ev.Property >= 0 {
			out = append(out, ev.Property)
		}
	}
	return out
}

// calls returns the indices of methods invoked by replicas.
func (l *sourceLog) calls() []int {
	var out []int
	for _, ev := range l.events() {
		if ev.Method >= 0 {
			out = append(out, ev.Method)
		}
	}
	return out
}

// tapped is one packet seen by a tap, with its direction.
type tapped struct {
	ToHost bool
	Type   wire.PacketType
	Name   string      // the object name, where the packet has one
	Packet wire.Packet // nil if the body could not be decoded alone
}

// tap is a proxy in front of a host that decodes what crosses it.
type tap struct {
	url  string
	ln   net.Listener
	d    wire.Dialect
	mu   sync.Mutex
	log  []tapped
	wg   sync.WaitGroup
	done chan struct{}
}

// newTap listens on a fresh URL of the env's transport and forwards every
// connection to upstream; closed when the spec ends.
func (e specEnv) newTap(upstream string) *tap {
	GinkgoHelper()
	ln, u, err := transport.Default().Listen(specCtx(), e.anyURL())
	Expect(err).NotTo(HaveOccurred())
	t := &tap{url: u.String(), ln: ln, d: e.D, done: make(chan struct{})}
	var conns sync.Map
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := transport.Default().Dial(context.Background(), upstream)
			if err != nil {
				c.Close()
				continue
			}
			conns.Store(c, up)
			t.wg.Add(2)
			go t.pump(c, up, true)
			go t.pump(up, c, false)
		}
	}()
	DeferCleanup(func() {
		ln.Close()
		conns.Range(func(k, v any) bool {
			k.(net.Conn).Close()
			v.(net.Conn).Close()
			return true
		})
		t.wg.Wait()
	})
	return t
}

// pump copies src to dst and decodes the frames on the way.
func (t *tap) pump(src, dst net.Conn, toHost bool) {
	defer t.wg.Done()
	defer dst.Close()
	defer src.Close()
	pr, pw := io.Pipe()
	decoded := make(chan struct{})
	go func() {
		defer close(decoded)
		types := qds.NewTypes(t.d.Types())
		r := wire.NewReader(pr, t.d, types, wire.Limits{})
		for {
			f, err := r.ReadFrame()
			if err != nil {
				_, _ = io.Copy(io.Discard, pr)
				return
			}
			tp := tapped{ToHost: toHost, Type: f.Type}
			if p, err := wire.Decode(t.d, types, qds.Limits{}, f); err == nil {
				tp.Packet, tp.Name = p, p.ObjectName()
			} else if f.Type != wire.ObjectList {
				tp.Name = qds.NewDecoder(f.Body, t.d.Stream(), nil, qds.Limits{}).Name()
			}
			t.mu.Lock()
			t.log = append(t.log, tp)
			t.mu.Unlock()
		}
	}()
	_, _ = io.Copy(io.MultiWriter(dst, pw), src)
	pw.Close()
	<-decoded
}

// packets returns what the tap saw so far.
func (t *tap) packets() []tapped {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]tapped(nil), t.log...)
}

// find returns the packets of a type (and name, if not empty) in one direction.
func (t *tap) find(toHost bool, typ wire.PacketType, name string) []tapped {
	var out []tapped
	for _, p := range t.packets() {
		if p.ToHost == toHost && p.Type == typ && (name == "" || p.Name == name) {
			out = append(out, p)
		}
	}
	return out
}

// rawPeer is a hand-driven QtRO connection (a fake client or host).
type rawPeer struct {
	c net.Conn
	r *wire.Reader
	w *wire.Writer
}

func newRawPeer(c net.Conn, d wire.Dialect) *rawPeer {
	types := qds.NewTypes(d.Types())
	return &rawPeer{c: c, r: wire.NewReader(c, d, types, wire.Limits{}), w: wire.NewWriter(c, d, types)}
}

// dialRaw connects a raw client to a host URL; closed when the spec ends.
func dialRaw(url string, d wire.Dialect) *rawPeer {
	GinkgoHelper()
	c, err := transport.Default().Dial(specCtx(), url)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return newRawPeer(c, d)
}

// send writes packets and flushes them.
func (p *rawPeer) send(ps ...wire.Packet) {
	GinkgoHelper()
	for _, pk := range ps {
		Expect(p.w.WritePacket(pk)).To(Succeed())
	}
	Expect(p.w.Flush()).To(Succeed())
}

// next reads the next packet within d; the packet is a private copy only
// for the types the specs inspect (names and ObjectList entries).
func (p *rawPeer) next(d time.Duration) (wire.PacketType, string, []wire.ObjectInfo, error) {
	_ = p.c.SetReadDeadline(time.Now().Add(d))
	pk, err := p.r.ReadPacket()
	if err != nil {
		return 0, "", nil, err
	}
	var objs []wire.ObjectInfo
	if ol, ok := pk.(*wire.ObjectListPacket); ok {
		objs = append(objs, ol.Objects...)
	}
	return pk.Type(), pk.ObjectName(), objs, nil
}

// expectNext reads packets until one of type typ arrives, skipping others
// listed in skip, and fails on anything else.
func (p *rawPeer) expectNext(typ wire.PacketType, skip ...wire.PacketType) (string, []wire.ObjectInfo) {
	GinkgoHelper()
	for {
		t, name, objs, err := p.next(10 * time.Second)
		Expect(err).NotTo(HaveOccurred(), "waiting for %s", typ)
		if t == typ {
			return name, objs
		}
		skipped := false
		for _, s := range skip {
			skipped = skipped || s == t
		}
		Expect(skipped).To(BeTrue(), "got %s %q while waiting for %s", t, name, typ)
	}
}

// greet reads the Handshake and the ObjectList a host sends first.
func (p *rawPeer) greet() []wire.ObjectInfo {
	GinkgoHelper()
	p.expectNext(wire.Handshake)
	_, objs := p.expectNext(wire.ObjectList)
	return objs
}

// fakeHost is a hand-written host: it greets, answers AddObject with an
// Init (or InitDynamic) of one source and never answers a Ping, like the
// hbserver.py of the protocol notes (§7.6).
type fakeHost struct {
	url   string
	ln    net.Listener
	d     wire.Dialect
	name  string
	class *meta.Class
	pings atomic.Int64
	accs  atomic.Int64
	inits atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// newFakeHost listens on url; closed when the spec ends.
func newFakeHost(url string, d wire.Dialect, name string, class *meta.Class) *fakeHost {
	GinkgoHelper()
	ln, u, err := transport.Default().Listen(specCtx(), url)
	Expect(err).NotTo(HaveOccurred())
	f := &fakeHost{url: u.String(), ln: ln, d: d, name: name, class: class}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.accs.Add(1)
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			f.wg.Add(1)
			go f.serve(c)
		}
	}()
	DeferCleanup(f.close)
	return f
}

func (f *fakeHost) close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeHost) serve(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	p := newRawPeer(c, f.d)
	oi := wire.ObjectInfo{Name: f.name, TypeName: qds.Str(f.class.TypeName)}
	if f.class.Signature != "" {
		oi.Signature = []byte(f.class.Signature)
	}
	_ = p.w.WritePacket(&wire.HandshakePacket{Version: f.d.ProtocolVersion()})
	_ = p.w.WritePacket(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{oi}})
	if p.w.Flush() != nil {
		return
	}
	vals := make([]qds.Variant, len(f.class.Properties))
	for i := range f.class.Properties {
		vals[i] = f.class.Properties[i].Default
	}
	for {
		pk, err := p.r.ReadPacket()
		if err != nil {
			return
		}
		switch pk := pk.(type) {
		case *wire.AddObjectPacket:
			if pk.Name != f.name {
				continue
			}
			if pk.Dynamic {
				_ = p.w.WritePacket(&wire.InitDynamic{Name: f.name, Class: f.class.Definition(), Values: vals})
			} else {
				_ = p.w.WritePacket(&wire.Init{Name: f.name, Values: vals})
			}
			if p.w.Flush() != nil {
				return
			}
			f.inits.Add(1)
		case *wire.PingPacket:
			f.pings.Add(1) // and never a Pong
		}
	}
}

// isClosed reports whether the peer closed c (read returns EOF or reset)
// within d, draining whatever is still buffered.
func isClosed(c net.Conn, d time.Duration) bool {
	deadline := time.Now().Add(d)
	buf := make([]byte, 64<<10)
	for {
		_ = c.SetReadDeadline(deadline)
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false
		}
		return true
	}
}
