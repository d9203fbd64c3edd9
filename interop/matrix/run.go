package matrix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/interop/harness"
	"github.com/qtro/qtro/specs/adapter"
)

// Timeouts of a cell. Qt needs milliseconds for each step; containers on a
// busy 2-core machine need seconds to start.
const (
	// StepTimeout bounds every check (one observable effect or a few).
	StepTimeout = 15 * time.Second
	// ReadyTimeoutContainers bounds an adapter's start in containers
	// (docker run, then the adapter's ready event).
	ReadyTimeoutContainers = 60 * time.Second
	// ReadyTimeoutNative bounds it natively (the contract's default).
	ReadyTimeoutNative = adapter.DefaultReadyTimeout
)

// The values the script uses.
const (
	// StringValue is non-ASCII, so the UTF-16 byte order of each dialect matters.
	StringValue = "interop ✓ Grüße"
	// InitValue is set on the host before any replica connects: the replica
	// must see it in its Init, not the .rep default (42).
	InitValue = 7
	// WriteValue is written through the replica.
	WriteValue = 77
	// ReinitValue is set while remoting is disabled; the replica must see it
	// after enableRemoting.
	ReinitValue = 123
)

// object is the remoted object's name (and replica key).
const object = "TestObject"

// The checks of the script, in order, with what each asserts.
var CheckNames = []struct{ Name, Asserts string }{
	{"init", "replica Initialized with intProp=7 (set on the host before Init) and constantProp=\"const\", then Valid; every property of its Init equals the host's get"},
	{"property", "host sets stringProp to \"" + StringValue + "\"; the replica gets propertyChanged and reads it back"},
	{"signal", "replica calls fire(5); it receives multi(5, \"fire\", 2.5, true, \"fire\") then pulse() with no arguments; the host saw invoked fire [5]"},
	{"slot", "add(2, 40) = 42 (int); echo(\"" + StringValue + "\") = the same string (QString)"},
	{"write", "replica writes intProp=77 (READWRITE setter); host and replica both report the change"},
	{"suspect", "host disableRemoting; the replica goes Valid → Suspect"},
	{"revalid", "host sets intProp=123 while disabled, enableRemoting; the replica is Valid again, reads 123, and all its values equal the host's"},
	{"exit", "every adapter exits 0 on the exit command and wrote only contract events"},
	{"wire", "every captured connection opens with the dialect's Handshake and decodes without errors (wire.txt)"},
}

// Run plays the cell's script in a new harness case of r (directory
// <r.OutDir()>/<cell ID>) and returns what it observed. It never fails the
// caller: every problem is in the Result.
func (c Cell) Run(ctx context.Context, r *harness.Runner) *Result {
	res := &Result{
		Cell: c.ID(), Title: c.Title(), Scenario: c.Scenario.ID, Direction: c.Direction.ID,
		Dialect: c.Dialect.ID, Transport: string(c.Transport), Column: c.Column(),
		Mode: r.Banner(), Dir: c.ID(), Started: time.Now(), Negative: c.Negative,
	}
	defer func() { res.DurationMs = time.Since(res.Started).Milliseconds() }()
	hc, err := r.NewCase(ctx, c.ID())
	if err != nil {
		res.add(Check{Name: "setup", Status: Fail, Detail: err.Error()})
		res.settle()
		return res
	}
	res.Dir = hc.Name()
	cr := &cellRun{cell: c, hc: hc, res: res, ready: ReadyTimeoutNative}
	if r.Mode() == harness.Containers {
		cr.ready = ReadyTimeoutContainers
	}
	cr.script(ctx)
	cr.finish(ctx)
	res.settle()
	return res
}

// cellRun is one cell in progress.
type cellRun struct {
	cell  Cell
	hc    *harness.Case
	res   *Result
	ready time.Duration

	host, node, registry *adapter.Adapter
	started              []*adapter.Adapter
	peers                map[*adapter.Adapter]int // index in res.Peers
	stopped              string                   // why the behaviour checks cannot run
}

// unsupportedError marks a start that ended in exit 127.
type unsupportedError struct{ err error }

func (e unsupportedError) Error() string { return e.err.Error() }

// start runs one adapter through specs/adapter from the argv the case hands
// out (docker run -i in containers, the binary natively).
func (cr *cellRun) start(ctx context.Context, name string, side Side, role adapter.Role, args []string, opts ...harness.StartOption) (*adapter.Adapter, error) {
	d := cr.cell.dialectOf(string(role))
	f := flavor(side, d)
	if side == Go {
		args = append(args, "--dialect", d.Wire)
	}
	impl := d.ID
	if side == Go {
		impl = "go"
	}
	cr.res.Peers = append(cr.res.Peers, Peer{Name: name, Role: string(role), Impl: impl, Args: args})
	idx := len(cr.res.Peers) - 1
	argv, err := cr.hc.Command(ctx, name, f, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a, err := adapter.Start(ctx, adapter.Config{
		Command: argv, Role: role, Args: args, Name: name,
		TempDir: cr.hc.SocketDir(), Log: cr.hc.LogWriter(name), ReadyTimeout: cr.ready,
	})
	if err != nil {
		var ee *adapter.ExitError
		if errors.As(err, &ee) {
			cr.res.Peers[idx].Exit = &ee.Code
		}
		if errors.Is(err, adapter.ErrUnsupported) {
			code := 127
			cr.res.Peers[idx].Exit = &code
			return nil, unsupportedError{fmt.Errorf("%s (%s %s): %w", name, impl, role, err)}
		}
		return nil, fmt.Errorf("%s (%s %s): %w", name, impl, role, err)
	}
	rd := a.Ready()
	cr.res.Peers[idx].Version = strings.TrimSpace(fmt.Sprintf("%s %s %s", rd.Str("adapter"), rd.Str("qt"), rd.Str("protocol")))
	if cr.peers == nil {
		cr.peers = map[*adapter.Adapter]int{}
	}
	cr.peers[a] = idx
	cr.started = append(cr.started, a)
	return a, nil
}

// setup starts the peers: [registry,] host (intProp set before anyone
// connects), node. It records a failed "init" check or marks the cell
// unsupported when it cannot get that far.
func (cr *cellRun) setup(ctx context.Context) error {
	c := cr.cell
	tr := c.Transport
	var err error
	var join []harness.StartOption // localabstract: one network namespace for all
	hostURL := cr.hc.URL("host", tr)
	hostArgs := []string{"--url", hostURL}
	nodeArgs := []string{"--" + c.Scenario.Mode}
	if c.Scenario.Registry {
		regURL := cr.hc.URL("registry", tr)
		if cr.registry, err = cr.start(ctx, "registry", c.Direction.Registry, adapter.Registry, []string{"--url", regURL}); err != nil {
			return err
		}
		regConnect := cr.tap(ctx, regURL)
		if tr == harness.LocalAbstract {
			join = append(join, harness.SharingNetworkWith("registry"))
		}
		hostArgs = append(hostArgs, "--registry", regConnect)
		// The node is given only the registry: the host's address comes
		// from the registry's sourceLocations.
		nodeArgs = append(nodeArgs, "--registry", regConnect)
	}
	if cr.host, err = cr.start(ctx, "host", c.Direction.Host, adapter.Host, hostArgs, join...); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if _, err := cr.host.WaitFor(sctx, 0, adapter.Named("remoting", adapter.Field("enabled", true))); err != nil {
		return fmt.Errorf("host: remoting not enabled: %w", err)
	}
	if _, err := cr.host.Do(sctx, adapter.Set("intProp", InitValue)); err != nil {
		return fmt.Errorf("host: set intProp before Init: %w", err)
	}
	if c.Scenario.Registry && tr == harness.LocalAbstract {
		cr.res.Notes = append(cr.res.Notes, "replica↔host connection not captured: the registry hands out the host's own localabstract name, and abstract sockets cannot be renamed to put a relay in front")
	} else {
		connect := cr.tap(ctx, hostURL)
		if !c.Scenario.Registry {
			nodeArgs = append(nodeArgs, "--url", connect)
		}
	}
	if tr == harness.LocalAbstract && !c.Scenario.Registry {
		join = append(join, harness.SharingNetworkWith("host"))
	}
	if cr.node, err = cr.start(ctx, "node", c.Direction.Node, adapter.Node, nodeArgs, join...); err != nil {
		return err
	}
	return nil
}

// tap puts a capture in front of url (see harness.Case.Tap) and returns the
// URL to connect to; a capture that cannot run is noted, not fatal.
func (cr *cellRun) tap(ctx context.Context, url string) string {
	connect, err := cr.hc.Tap(ctx, url)
	if err != nil {
		cr.res.Notes = append(cr.res.Notes, "capture: "+err.Error())
	}
	if connect == "" {
		return url
	}
	return connect
}

// script runs the checks in order.
func (cr *cellRun) script(ctx context.Context) {
	t0 := time.Now()
	err := cr.setup(ctx)
	var unsup unsupportedError
	switch {
	case errors.As(err, &unsup):
		cr.res.Status = Unsupported
		cr.res.Reason = unsup.Error()
		return
	case err != nil:
		cr.res.add(Check{Name: "init", Status: Fail, Detail: "setup: " + err.Error(), DurationMs: since(t0)})
		cr.stopped = "setup failed"
		return
	}
	if cr.cell.Scenario.Model {
		cr.modelScript(ctx)
		return
	}
	cr.check(ctx, "init", cr.checkInit)
	if cr.stopped == "" && cr.res.Checks[len(cr.res.Checks)-1].Status != Pass {
		cr.stopped = "the replica never initialized"
	}
	cr.check(ctx, "property", cr.checkProperty)
	cr.check(ctx, "signal", cr.checkSignal)
	cr.check(ctx, "slot", cr.checkSlot)
	cr.check(ctx, "write", cr.checkWrite)
	cr.check(ctx, "suspect", cr.checkSuspect)
	cr.check(ctx, "revalid", cr.checkRevalid)
}

// check runs one step with its own timeout, unless the script cannot go on.
func (cr *cellRun) check(ctx context.Context, name string, f func(context.Context) error) {
	if cr.stopped == "" {
		for _, a := range cr.started {
			select {
			case <-a.Exited():
				code, _ := a.ExitCode()
				cr.stopped = fmt.Sprintf("%s exited with code %d; stderr: %s", a.Name(), code, tail(a.Stderr(), 400))
			default:
			}
		}
	}
	if cr.stopped != "" {
		cr.res.add(Check{Name: name, Status: NotReached, Detail: cr.stopped})
		return
	}
	t0 := time.Now()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	err := f(sctx)
	cancel()
	ch := Check{Name: name, Status: Pass, DurationMs: since(t0)}
	if err != nil {
		ch.Status, ch.Detail = Fail, err.Error()
	}
	cr.res.add(ch)
}

func since(t time.Time) int64 { return time.Since(t).Milliseconds() }

func (cr *cellRun) checkInit(ctx context.Context) error {
	ev, err := cr.node.WaitFor(ctx, 0, adapter.Named("initialized"))
	if err != nil {
		return fmt.Errorf("no initialized event: %w", err)
	}
	if v, _ := ev.Path("values", "intProp"); !adapter.Equal(v, InitValue) {
		return fmt.Errorf("initialized: intProp = %s, want %d (set on the host before Init)", adapter.Canonical(v), InitValue)
	}
	if v, _ := ev.Path("values", "constantProp"); !adapter.Equal(v, "const") {
		return fmt.Errorf("initialized: constantProp = %s, want \"const\"", adapter.Canonical(v))
	}
	if _, err := cr.node.WaitFor(ctx, 0, adapter.StateChanged(object, "Valid")); err != nil {
		return fmt.Errorf("initialized but never Valid: %w", err)
	}
	// A dynamic replica notifies every property right after Init; a sync
	// result comes after them, so later marks see only new changes.
	if _, err = cr.node.Do(ctx, adapter.Sync()); err != nil {
		return err
	}
	return cr.sameValues(ctx, ev.Object("values"), "initialized")
}

// sameValues compares the replica's view of every property (as of its
// initialized event, or a get) with the host's own get.
func (cr *cellRun) sameValues(ctx context.Context, replica map[string]any, what string) error {
	res, err := cr.host.Do(ctx, adapter.Get(""))
	if err != nil {
		return err
	}
	host := res.Object("values")
	var diffs []string
	for k, hv := range host {
		if rv, ok := replica[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s missing on the replica (host %s)", k, adapter.Canonical(hv)))
		} else if !adapter.Equal(rv, hv) {
			diffs = append(diffs, fmt.Sprintf("%s: replica %s, host %s", k, adapter.Canonical(rv), adapter.Canonical(hv)))
		}
	}
	for k, rv := range replica {
		if _, ok := host[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s only on the replica (%s)", k, adapter.Canonical(rv)))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("%s values differ from the host's: %s", what, strings.Join(diffs, "; "))
	}
	return nil
}

func (cr *cellRun) checkProperty(ctx context.Context) error {
	mark := cr.node.Mark()
	if _, err := cr.host.Do(ctx, adapter.Set("stringProp", StringValue)); err != nil {
		return err
	}
	if _, err := cr.node.WaitFor(ctx, mark, adapter.PropertyChanged("stringProp", StringValue)); err != nil {
		return fmt.Errorf("no propertyChanged stringProp=%q: %w", StringValue, err)
	}
	res, err := cr.node.Do(ctx, adapter.Get("stringProp"))
	if err != nil {
		return err
	}
	if v, _ := res.Get("value"); !adapter.Equal(v, StringValue) {
		return fmt.Errorf("get stringProp = %s, want %q", adapter.Canonical(v), StringValue)
	}
	return nil
}

func (cr *cellRun) checkSignal(ctx context.Context) error {
	mark, hmark := cr.node.Mark(), cr.host.Mark()
	if _, err := cr.node.Do(ctx, adapter.Call("fire", 5)); err != nil {
		return err
	}
	sig, err := cr.node.WaitFor(ctx, mark, adapter.Signal("multi"))
	if err != nil {
		return fmt.Errorf("no signal multi: %w", err)
	}
	want := []any{5, "fire", 2.5, true, "ZmlyZQ=="} // QByteArray "fire" in base64
	if got, _ := sig.Get("args"); !adapter.Equal(got, want) {
		return fmt.Errorf("multi args = %s, want %s", adapter.Canonical(got), adapter.Canonical(want))
	}
	pulse, err := cr.node.WaitFor(ctx, sig.Seq+1, adapter.Signal("pulse"))
	if err != nil {
		return fmt.Errorf("no pulse after multi: %w", err)
	}
	// pulse() declares no parameters: a replica reports none, whatever
	// else the frame carries (a Qt host sends stale trailing arguments,
	// QRemoteObjectSourceBase::marshalArgs; Qt replicas ignore them).
	if got, _ := pulse.Get("args"); !adapter.Equal(got, []any{}) {
		return fmt.Errorf("pulse() args = %s, want [] (pulse declares no parameters)", adapter.Canonical(got))
	}
	inv, err := cr.host.WaitFor(ctx, hmark, adapter.Named("invoked", adapter.Field("method", "fire")))
	if err != nil {
		return fmt.Errorf("host: no invoked fire: %w", err)
	}
	if got, _ := inv.Get("args"); !adapter.Equal(got, []any{5}) {
		return fmt.Errorf("host: invoked fire args = %s, want [5]", adapter.Canonical(got))
	}
	return nil
}

func (cr *cellRun) checkSlot(ctx context.Context) error {
	res, err := cr.node.Do(ctx, adapter.Call("add", 2, 40))
	if err != nil {
		return err
	}
	if v, _ := res.Get("value"); !adapter.Equal(v, 42) || res.Str("valueType") != "int" {
		return fmt.Errorf("add(2, 40) = %s (%s), want 42 (int)", adapter.Canonical(v), res.Str("valueType"))
	}
	res, err = cr.node.Do(ctx, adapter.Call("echo", StringValue))
	if err != nil {
		return err
	}
	if v, _ := res.Get("value"); !adapter.Equal(v, StringValue) || res.Str("valueType") != "QString" {
		return fmt.Errorf("echo = %s (%s), want %q (QString)", adapter.Canonical(v), res.Str("valueType"), StringValue)
	}
	return nil
}

func (cr *cellRun) checkWrite(ctx context.Context) error {
	mark, hmark := cr.node.Mark(), cr.host.Mark()
	if _, err := cr.node.Do(ctx, adapter.Write("intProp", WriteValue)); err != nil {
		return err
	}
	if _, err := cr.host.WaitFor(ctx, hmark, adapter.PropertyChanged("intProp", WriteValue)); err != nil {
		return fmt.Errorf("host never applied the write: %w", err)
	}
	if _, err := cr.node.WaitFor(ctx, mark, adapter.PropertyChanged("intProp", WriteValue)); err != nil {
		return fmt.Errorf("replica never saw its write come back: %w", err)
	}
	return nil
}

func (cr *cellRun) checkSuspect(ctx context.Context) error {
	mark, hmark := cr.node.Mark(), cr.host.Mark()
	if _, err := cr.host.Do(ctx, adapter.DisableRemoting()); err != nil {
		return err
	}
	if _, err := cr.host.WaitFor(ctx, hmark, adapter.Named("remoting", adapter.Field("enabled", false))); err != nil {
		return fmt.Errorf("host: no remoting disabled event: %w", err)
	}
	ev, err := cr.node.WaitFor(ctx, mark, adapter.StateChanged(object, "Suspect"))
	if err != nil {
		return fmt.Errorf("replica never went Suspect: %w", err)
	}
	if old := ev.Str("oldState"); old != "Valid" {
		return fmt.Errorf("went Suspect from %s, want from Valid", old)
	}
	return nil
}

func (cr *cellRun) checkRevalid(ctx context.Context) error {
	if _, err := cr.host.Do(ctx, adapter.Set("intProp", ReinitValue)); err != nil {
		return err
	}
	mark := cr.node.Mark()
	if _, err := cr.host.Do(ctx, adapter.EnableRemoting()); err != nil {
		return err
	}
	if _, err := cr.node.WaitFor(ctx, mark, adapter.StateChanged(object, "Valid")); err != nil {
		return fmt.Errorf("replica never Valid again: %w", err)
	}
	// Re-init notifies only some properties (ADAPTER.md §13): read the value.
	var last any
	for {
		res, err := cr.node.Do(ctx, adapter.Get("intProp"))
		if err != nil {
			return err
		}
		last, _ = res.Get("value")
		if adapter.Equal(last, ReinitValue) {
			all, err := cr.node.Do(ctx, adapter.Get(""))
			if err != nil {
				return err
			}
			return cr.sameValues(ctx, all.Object("values"), "after re-init, the replica's")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica Valid again, but intProp = %s, want %d (set while remoting was disabled)", adapter.Canonical(last), ReinitValue)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// finish stops the adapters (node first), closes the case and checks the
// exits and the capture.
func (cr *cellRun) finish(ctx context.Context) {
	var problems []string
	for i := len(cr.started) - 1; i >= 0; i-- {
		a := cr.started[i]
		_ = a.Close()
		code, _ := a.ExitCode()
		cr.res.Peers[cr.peers[a]].Exit = &code
		if code != 0 {
			problems = append(problems, fmt.Sprintf("%s exit %d; stderr: %s", a.Name(), code, tail(a.Stderr(), 400)))
		}
		if v := a.Violations(); len(v) > 0 {
			problems = append(problems, fmt.Sprintf("%s wrote %d non-event lines on stdout, first %s", a.Name(), len(v), v[0]))
		}
	}
	if cr.res.Status != Unsupported && len(cr.started) > 0 {
		ch := Check{Name: "exit", Status: Pass}
		if len(problems) > 0 {
			ch.Status, ch.Detail = Fail, strings.Join(problems, "; ")
		}
		cr.res.add(ch)
	}
	if err := cr.hc.Close(ctx); err != nil {
		cr.res.Notes = append(cr.res.Notes, "closing the case: "+err.Error())
	}
	cr.res.Notes = append(cr.res.Notes, cr.hc.Notes()...)
	wireCheck := cr.decode()
	if cr.res.Status != Unsupported && len(cr.started) > 0 {
		cr.res.add(wireCheck)
	}
	entries, _ := os.ReadDir(cr.hc.Dir())
	for _, e := range entries {
		cr.res.Files = append(cr.res.Files, e.Name())
	}
	sort.Strings(cr.res.Files)
}

// TranscriptFile is the decoded capture of a cell, as `qtro dump` prints it.
const TranscriptFile = "wire.txt"

// decode renders every pcap of the case into wire.txt and checks that each
// connection opened with the cell dialect's Handshake and decoded cleanly.
func (cr *cellRun) decode() Check {
	ch := Check{Name: "wire", Status: Pass}
	pcaps := cr.hc.Pcaps()
	if len(pcaps) == 0 {
		ch.Status, ch.Detail = Skipped, "no capture: "+strings.Join(cr.hc.Notes(), "; ")
		return ch
	}
	want := wire.Qt5
	if cr.cell.Dialect.Wire == "qt6" {
		want = wire.Qt6
	}
	opts := dump.Options{Gadgets: []dump.Gadget{testPod}}
	var out bytes.Buffer
	var problems []string
	conns, packets := 0, 0
	for _, path := range pcaps {
		fmt.Fprintf(&out, "==> %s <==\n", filepath.Base(path))
		capt, err := capture.Open(path, opts.Capture)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", filepath.Base(path), err))
			fmt.Fprintf(&out, "cannot read: %v\n\n", err)
			continue
		}
		decoded := dump.Decode(capt, opts)
		cp := Capture{File: filepath.Base(path)}
		for _, conn := range decoded {
			if len(conn.Items) == 0 {
				continue
			}
			cp.Conns++
			for _, it := range conn.Items {
				if it.Err == nil {
					cp.Packets++
				}
			}
		}
		cr.res.Captures = append(cr.res.Captures, cp)
		for _, conn := range decoded {
			if len(conn.Items) == 0 {
				continue
			}
			conns++
			if conn.DialectBy != "Handshake" || conn.Dialect != want {
				problems = append(problems, fmt.Sprintf("%s connection %d (%s→%s): dialect %v by %s, want %v by its Handshake",
					filepath.Base(path), conn.ID, conn.Client, conn.Host, conn.Dialect, conn.DialectBy, want))
			}
			for _, it := range conn.Items {
				if it.Err != nil {
					problems = append(problems, fmt.Sprintf("%s connection %d offset %d: %v", filepath.Base(path), conn.ID, it.Offset, it.Err))
					continue
				}
				packets++
			}
		}
		if err := dump.Render(&out, capt, decoded, opts); err != nil {
			problems = append(problems, err.Error())
		}
		out.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(cr.hc.Dir(), TranscriptFile), out.Bytes(), 0o644); err != nil {
		problems = append(problems, err.Error())
	}
	switch {
	case len(problems) > 0:
		ch.Status = Fail
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("... %d more", len(problems)-3))
		}
		ch.Detail = strings.Join(problems, "; ")
	case conns == 0:
		ch.Status, ch.Detail = Fail, "the capture holds no QtRO connection"
	default:
		ch.Detail = fmt.Sprintf("%d connections, %d packets", conns, packets)
	}
	return ch
}

// testPod is the POD of testobject.rep, which every peer has compiled in
// (one QVariant per field, as repc streams PODs).
var testPod = dump.Gadget{Name: "TestPod", Fields: []string{"id", "label", "weight"}}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return strings.ReplaceAll(s, "\n", " | ")
}
