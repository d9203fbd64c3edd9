package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	gtypes "github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Env is what a conformance case works with: the target, a context bounded
// by the case timeout, helpers to start the target in a role and to open raw
// connections, and assertions that honour the requirement's level.
type Env struct {
	Target *Target
	Req    Requirement
	Ctx    context.Context
	// D is the dialect of the target (the suite's raw side speaks it).
	D wire.Dialect

	cancel   context.CancelFunc
	g        gomega.Gomega
	soft     bool
	tmp      string
	mu       sync.Mutex
	conns    []*wirepeer.Conn
	adapters []*adapter.Adapter
	cleanups []func()
	observed []string
	seq      int
	tls      *caseTLS // the case's certificates (cases_transport.go), made on first use
}

// softFailure aborts a SHOULD (non-strict) or INFORMATIONAL case.
type softFailure struct{ msg string }

// Outcomes, as reports show them.
const (
	OutcomePass          = "pass"
	OutcomeFail          = "fail"
	OutcomeNonStrict     = "non-strict" // a SHOULD not met, without --strict
	OutcomeUnsupported   = "unsupported"
	OutcomeInformational = "informational"
	// OutcomeNotApplicable: the requirement needs something this target
	// does not have (the suite's test object, a source with an enum
	// property, a host the suite can start or drive). Never passes, never
	// fails; the report says why.
	OutcomeNotApplicable = "not applicable"
	// OutcomeNotTested: the case ran but could not establish its positive
	// control (e.g. "no change after RemoveObject" on a host that sent no
	// change before it either), so silence would prove nothing.
	OutcomeNotTested = "not tested"
)

// Exercised reports whether an outcome means the requirement was actually
// checked against the target (as opposed to unsupported, not applicable
// or not tested).
func Exercised(outcome string) bool {
	switch outcome {
	case OutcomePass, OutcomeFail, OutcomeNonStrict, OutcomeInformational:
		return true
	}
	return false
}

const (
	unsupportedPrefix   = "unsupported: "
	nonStrictPrefix     = "SHOULD not met: "
	infoPrefix          = "informational: "
	notApplicablePrefix = "not applicable: "
	notTestedPrefix     = "not tested: "
)

// Case declares the conformance case of requirement id.
func Case(id string, body func(e *Env)) bool {
	req, ok := Lookup(id)
	if !ok {
		panic("conformance: no requirement " + id)
	}
	labels := ginkgo.Label(req.ID, "area:"+areaOf(req.ID), "level:"+string(req.Level))
	for _, r := range req.Roles {
		labels = append(labels, "role:"+string(r))
	}
	ginkgo.It(req.ID+" "+req.Text, labels, func() { runCase(req, body) })
	return true
}

func runCase(req Requirement, body func(e *Env)) {
	t := suite.Target
	if t == nil {
		ginkgo.Fail("conformance: no target configured")
	}
	e := &Env{Target: t, Req: req, D: t.Dialect}
	if e.D == 0 {
		// The dialect an adapter declared in hello: a raw host can then
		// listen before the node starts (only URL-8 relies on the node
		// retrying).
		e.D = dialectOfProtocol(t.Caps.Protocol)
	}
	e.Ctx, e.cancel = context.WithTimeout(context.Background(), suite.caseTimeout())
	e.soft = req.Level == Informational || (req.Level == Should && !suite.Strict)
	e.g = gomega.NewGomega(e.fail)
	ginkgo.DeferCleanup(e.finish)
	if t.URL != "" && !hasRole(req, RoleHost) {
		e.NotApplicable("an url: target is a host the suite only connects to; this requirement needs the target in the " + rolesText(req) + " role")
	}
	defer func() {
		r := recover()
		if r == nil {
			if req.Level == Informational {
				ginkgo.AddReportEntry("outcome", OutcomeInformational)
			}
			return
		}
		var msg string
		switch x := r.(type) {
		case gtypes.GinkgoError:
			panic(r) // ginkgo.Fail or ginkgo.Skip: already recorded
		case softFailure:
			msg = x.msg
		default:
			// A panic in the suite itself (an index a target's packet made
			// out of range, a nil it did not expect) is a failure of this
			// requirement with the reason, never a crash of the run and
			// never a MUST-level failure of a SHOULD.
			msg = fmt.Sprintf("the case panicked: %v (a suite bug, or target input the suite did not expect)\n%s", r, debug.Stack())
			if !e.soft {
				ginkgo.Fail(msg)
			}
		}
		if req.Level == Informational {
			ginkgo.AddReportEntry("outcome", OutcomeInformational)
			ginkgo.Skip(infoPrefix + msg)
		}
		ginkgo.AddReportEntry("outcome", OutcomeNonStrict)
		ginkgo.Skip(nonStrictPrefix + msg)
	}()
	if hasRole(req, RoleHost) && !e.hostsTestObject() {
		// A host the suite has never seen: the object-agnostic form, the
		// test-object form where it needs no test-object member, else not
		// applicable.
		if f := anyForms[req.ID]; f != nil {
			f(e)
			return
		}
		if !typeAgnostic[req.ID] {
			e.NotApplicable("checked only on the suite's test object (TestObject of specs/conformance/testdata/testobject.rep, driven through the adapter contract), which this target does not host")
		}
	}
	body(e)
}

func rolesText(req Requirement) string {
	var s []string
	for _, r := range req.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, "/")
}

func hasRole(req Requirement, r Role) bool {
	for _, x := range req.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// fail is the case's Gomega fail handler.
func (e *Env) fail(message string, callerSkip ...int) {
	if e.soft {
		panic(softFailure{message})
	}
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	ginkgo.Fail(message, skip)
}

// Expect starts an assertion bound to the case's level.
func (e *Env) Expect(actual any, extra ...any) types.Assertion {
	return e.g.Expect(actual, extra...)
}

// Eventually polls like gomega.Eventually, bound to the case's level and context.
func (e *Env) Eventually(actual any, intervals ...any) types.AsyncAssertion {
	return e.g.Eventually(actual, intervals...).WithContext(e.Ctx)
}

// Consistently checks like gomega.Consistently, bound to the case's level.
func (e *Env) Consistently(actual any, intervals ...any) types.AsyncAssertion {
	return e.g.Consistently(actual, intervals...)
}

// Failf fails the case (softly for SHOULD and INFORMATIONAL).
func (e *Env) Failf(format string, args ...any) { e.fail(fmt.Sprintf(format, args...), 1) }

// NoErr fails the case if err is not nil.
func (e *Env) NoErr(err error, what string) {
	if err != nil {
		e.fail(what+": "+err.Error(), 1)
	}
}

// Unsupported ends the case as unsupported (not passed, not failed).
func (e *Env) Unsupported(reason string) {
	ginkgo.AddReportEntry("outcome", OutcomeUnsupported)
	ginkgo.Skip(unsupportedPrefix + reason)
}

// NotApplicable ends the case as not applicable to this target (it needs
// something the target does not have), with the reason.
func (e *Env) NotApplicable(reason string) {
	ginkgo.AddReportEntry("outcome", OutcomeNotApplicable)
	ginkgo.Skip(notApplicablePrefix + reason)
}

// NotTested ends the case as not tested: its positive control could not be
// established, so the negative check would prove nothing.
func (e *Env) NotTested(reason string) {
	ginkgo.AddReportEntry("outcome", OutcomeNotTested)
	ginkgo.Skip(notTestedPrefix + reason)
}

// Observe records behaviour for the report (what INFORMATIONAL cases are for).
func (e *Env) Observe(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	e.mu.Lock()
	e.observed = append(e.observed, s)
	e.mu.Unlock()
	ginkgo.AddReportEntry("observed", s)
}

// TempDir returns a directory private to the case (also the adapters'
// TMPDIR, where relative local: socket names live).
func (e *Env) TempDir() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tmp == "" {
		d, err := os.MkdirTemp("", "qtro-conf-")
		if err != nil {
			ginkgo.Fail(err.Error())
		}
		e.tmp = d
	}
	return e.tmp
}

// Defer runs fn when the case ends.
func (e *Env) Defer(fn func()) {
	e.mu.Lock()
	e.cleanups = append(e.cleanups, fn)
	e.mu.Unlock()
}

// Options of a target started in a role.
type Options struct {
	URL      string // where to listen or connect (default tcp://127.0.0.1:0 for hosts)
	Registry string // --registry
	Object   string // --object (source name)
	Type     string // --type: testobject (default), tick or plain
	Static   bool   // node role: --static instead of --dynamic
	// ExactMode keeps Static as given even when the target declares only
	// the other replica kind (the requirement is about that kind).
	ExactMode bool
	Extra     []string // more arguments
	Env       []string // more environment (KEY=VALUE), e.g. §11's QTRO_TLS_*
}

func (o Options) args(def string) []string {
	url := o.URL
	if url == "" {
		url = def
	}
	var a []string
	if url != "" { // a node may find its host through --registry alone
		a = append(a, "--url", url)
	}
	if o.Registry != "" {
		a = append(a, "--registry", o.Registry)
	}
	if o.Object != "" {
		a = append(a, "--object", o.Object)
	}
	typ := o.Type
	if typ == "" {
		typ = "testobject"
	}
	a = append(a, "--type", typ)
	return append(a, o.Extra...)
}

// start launches the target's adapter in a role; a role or feature the
// target declared it lacks, or answered with exit 127, ends the case as
// unsupported; exit 127 for something it declared it has fails the case.
func (e *Env) start(role adapter.Role, args, env []string) *adapter.Adapter {
	t := e.Target
	if t.URL != "" {
		e.NotApplicable(fmt.Sprintf("an url: target is a host the suite only connects to; it cannot be started as %s %s", role, strings.Join(args, " ")))
	}
	if err := t.resolve(e.Ctx); err != nil {
		ginkgo.Fail("conformance: " + err.Error())
	}
	needs := adapter.Needs(role, args)
	if n, missing := t.Caps.Missing(needs); missing {
		e.Unsupported(fmt.Sprintf("the %s adapter declares no %s (it declares %s)", t.Name, n, t.Caps.Describe()))
	}
	cfg := adapter.Config{Command: t.Command, Role: role, Args: args, Env: append(slices.Clip(t.Env), env...), TempDir: e.TempDir(),
		Name: fmt.Sprintf("%s %s", t.Name, role), Log: ginkgo.GinkgoWriter}
	if role != adapter.Node {
		cfg.Args = append(cfg.Args, t.HostArgs...)
	}
	a, err := adapter.Start(e.Ctx, cfg)
	if errors.Is(err, adapter.ErrUnsupported) {
		declared := t.Caps.Declared
		for _, n := range needs {
			declared = declared && t.Caps.DeclaresYes(n.Kind, n.Value)
		}
		if declared {
			e.Failf("the %s adapter declared %v but exited 127 (unsupported) for %s %s", t.Name, needs, role, strings.Join(args, " "))
		}
		e.Unsupported(fmt.Sprintf("the %s adapter does not support %s %s", t.Name, role, strings.Join(args, " ")))
	}
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("starting %s as %s: %v", t.Name, role, err), 1)
	}
	e.mu.Lock()
	e.adapters = append(e.adapters, a)
	e.mu.Unlock()
	if e.D == 0 {
		e.D = dialectOfReady(a.Ready())
	}
	return a
}

// caps is what the target declared it can do.
func (e *Env) caps() adapter.Capabilities { return e.Target.Caps }

// hostsTestObject reports whether the suite can start the target as a host
// of its test object (and so run the test-object form of a host case).
func (e *Env) hostsTestObject() bool {
	c := e.caps()
	return e.Target.URL == "" && c.Can(adapter.CapRole, string(adapter.Host)) && c.Can(adapter.CapHostType, "testobject")
}

// hostType is the object type for host cases that need some source but
// not the test object: testobject if the target can host it, else the
// first type it declares.
func (e *Env) hostType() string {
	c := e.caps()
	if c.Can(adapter.CapHostType, "testobject") {
		return "testobject"
	}
	types := c.HostTypes
	if types == nil {
		types = c.Types
	}
	if len(types) > 0 {
		return types[0]
	}
	return "testobject"
}

// transportFor picks the transport a started target listens or connects
// on: tcp when it can, else local, else localabstract (what it declares).
func (e *Env) transportFor() string {
	c := e.caps()
	for _, t := range []string{"tcp", "local", "localabstract"} {
		if c.Can(adapter.CapTransport, t) {
			return t
		}
	}
	if len(c.Transports) > 0 {
		return c.Transports[0]
	}
	return "tcp"
}

// freshURL returns a URL on the target's transport for a listener: port
// 0 for tcp, a new socket path in the case's directory for local, a new
// abstract name for localabstract.
func (e *Env) freshURL() string {
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	switch e.transportFor() {
	case "local":
		return "local:" + filepath.Join(e.TempDir(), fmt.Sprintf("s%d", n))
	case "localabstract":
		return fmt.Sprintf("localabstract:qtro-conf-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, n)
	}
	return "tcp://127.0.0.1:0"
}

// adaptMode makes a node case run with the replica kind the target has:
// a case that prefers static runs dynamic on a dynamic-only target (and the
// other way round), unless the kind is what the requirement is about.
func (e *Env) adaptMode(o *Options) {
	want, other := "dynamic", "static"
	if o.Static {
		want, other = other, want
	}
	c := e.caps()
	if o.ExactMode || c.Can(adapter.CapReplicaMode, want) || !c.Can(adapter.CapReplicaMode, other) {
		return
	}
	o.Static = !o.Static
}

// replicaModes lists the replica kinds (dynamic=false/true) the target
// may run, for cases that check both.
func (e *Env) replicaModes() []bool {
	var out []bool
	c := e.caps()
	for _, dyn := range []bool{false, true} {
		if c.Can(adapter.CapReplicaMode, modeName(dyn)) {
			out = append(out, dyn)
		}
	}
	if len(out) == 0 {
		out = []bool{false}
	}
	return out
}

// dialectOfReady reads the dialect from a ready event's protocol version.
func dialectOfReady(ev adapter.Event) wire.Dialect {
	for _, k := range []string{"protocol", "protocolVersion"} {
		if d := dialectOfProtocol(ev.Str(k)); d != 0 {
			return d
		}
	}
	return 0
}

// dialectOfProtocol maps a protocol version ("QtRO 2.0") to its dialect,
// 0 if it is neither.
func dialectOfProtocol(v string) wire.Dialect {
	for _, d := range wire.Dialects {
		if v == d.ProtocolVersion() {
			return d
		}
	}
	return 0
}

// Host starts the target as a host and returns it with the URL it listens on.
func (e *Env) Host(o Options) (*adapter.Adapter, string) {
	if e.Target.URL != "" && o.URL == "" && o.Registry == "" && o.Object == "" && o.Type == "" && len(o.Extra) == 0 {
		if e.D == 0 {
			e.D = detectDialect(e.Ctx, e.Target.URL)
		}
		return nil, e.Target.URL
	}
	if o.Type == "" {
		o.Type = e.hostType()
	}
	a := e.start(adapter.Host, o.args(e.freshURL()), o.Env)
	// The contract has the host write `remoting` once the source is
	// enabled; a client that connects before it may see an empty ObjectList.
	_, _ = a.WaitFor(e.within(5*time.Second), 0, adapter.Named("remoting"))
	return a, a.Ready().Str("url")
}

// Registry starts the target as a registry.
func (e *Env) Registry(o Options) (*adapter.Adapter, string) {
	a := e.start(adapter.Registry, o.args(e.freshURL()), o.Env)
	return a, a.Ready().Str("url")
}

// Node starts the target as a node acquiring o.Object (dynamic unless Static).
func (e *Env) Node(o Options) *adapter.Adapter {
	e.adaptMode(&o)
	if o.Static {
		o.Extra = append(o.Extra, "--static")
	} else {
		o.Extra = append(o.Extra, "--dynamic")
	}
	return e.start(adapter.Node, o.args(""), o.Env)
}

// Dial opens a raw connection to a host under test. The test object's PODs
// are registered on it, as a Qt client built from the .rep would have them.
func (e *Env) Dial(url string) *wirepeer.Conn {
	if e.D == 0 {
		e.D = detectDialect(e.Ctx, url)
	}
	c, err := wirepeer.Dial(e.Ctx, url, e.D)
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("connecting to %s: %v", url, err), 1)
	}
	registerTestTypes(c.Types(), e.D)
	e.track(c)
	return c
}

// Listen starts a raw host for a replica under test.
func (e *Env) Listen(url string) *wirepeer.Server {
	if url == "" {
		url = e.freshURL()
	}
	if e.D == 0 {
		e.D = wire.Qt6
	}
	s, err := wirepeer.Listen(e.Ctx, url, e.D)
	if err != nil {
		ginkgo.Fail(fmt.Sprintf("listening on %s: %v", url, err), 1)
	}
	e.Defer(func() { s.Close() })
	return s
}

// Accept waits for the replica under test to connect to s.
func (e *Env) Accept(s *wirepeer.Server) *wirepeer.Conn {
	c, err := s.Accept(e.Ctx)
	if err != nil {
		ginkgo.Fail("waiting for the replica to connect: "+err.Error(), 1)
	}
	registerTestTypes(c.Types(), e.D)
	e.track(c)
	return c
}

func (e *Env) track(c *wirepeer.Conn) {
	e.mu.Lock()
	e.conns = append(e.conns, c)
	e.mu.Unlock()
}

// detectDialect reads a host's first bytes to learn its dialect.
func detectDialect(ctx context.Context, url string) wire.Dialect {
	for _, d := range wire.Dialects {
		c, err := wirepeer.Dial(ctx, url, d)
		if err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		p, err := c.Next(cctx)
		cancel()
		c.Close()
		if err == nil {
			if h, ok := p.(*wire.HandshakePacket); ok && h.Version == d.ProtocolVersion() {
				return d
			}
		}
	}
	return wire.Qt6
}

// testClasses caches the parsed test classes: cases look members up per
// packet (500 changes in PROP-3), and parsing the .rep each time made a
// case CPU-bound under -race on a loaded machine.
var (
	testClassMu sync.Mutex
	testClasses = map[string]*meta.Class{}
)

// TestClass returns the test object's class as repc builds it for d. The
// class is shared: callers must not change it.
func TestClass(d wire.Dialect, class string) *meta.Class {
	key := fmt.Sprint(d, "/", class)
	testClassMu.Lock()
	defer testClassMu.Unlock()
	if c := testClasses[key]; c != nil {
		return c
	}
	c, err := meta.ParseRep("testobject.rep", testObjectRep, class, d)
	if err != nil {
		panic(err)
	}
	testClasses[key] = c
	return c
}

// TickClass returns the load-test object's class.
func TickClass(d wire.Dialect) *meta.Class {
	c, err := meta.ParseRep("tick.rep", tickRep, "Tick", d)
	if err != nil {
		panic(err)
	}
	return c
}

func registerTestTypes(t *qds.Types, d wire.Dialect) {
	TestClass(d, "TestObject").RegisterTypes(t)
}

// finish closes everything the case opened and attaches transcripts and
// adapter logs to the report of a case that did not pass.
func (e *Env) finish() {
	defer e.cancel()
	rep := ginkgo.CurrentSpecReport()
	msg := rep.Failure.Message
	keep := rep.Failed() || e.soft && msg != "" && !strings.HasPrefix(msg, unsupportedPrefix) &&
		!strings.HasPrefix(msg, notApplicablePrefix) && !strings.HasPrefix(msg, notTestedPrefix)
	e.mu.Lock()
	conns, adapters, cleanups := e.conns, e.adapters, e.cleanups
	e.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	for _, c := range conns {
		c.Close()
	}
	for i, c := range conns {
		if keep {
			attachTranscript(e, i, c)
		}
	}
	for _, a := range adapters {
		_ = a.Close()
		if keep {
			ginkgo.AddReportEntry("adapter "+a.Name(), adapterLog(a))
		}
	}
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}

func adapterLog(a *adapter.Adapter) string {
	var b strings.Builder
	for _, ev := range a.Events() {
		b.WriteString(ev.String())
		b.WriteByte('\n')
	}
	if v := a.Violations(); len(v) > 0 {
		b.WriteString("contract violations:\n  " + strings.Join(v, "\n  ") + "\n")
	}
	if s := a.Stderr(); s != "" {
		b.WriteString("stderr:\n" + s)
	}
	return b.String()
}

func pcapPath(e *Env, i int) string {
	if suite.Out == "" {
		return ""
	}
	dir := filepath.Join(suite.Out, "pcap")
	_ = os.MkdirAll(dir, 0o755)
	return filepath.Join(dir, fmt.Sprintf("%s-%s-%d.pcap", sanitize(e.Target.Name), e.Req.ID, i))
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
