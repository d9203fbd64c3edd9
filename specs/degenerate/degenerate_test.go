package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/wirepeer"
)

// The test binary doubles as the adapter: with this variable set it runs
// main's logic instead of the tests, so the adapter runs as a real process
// (real exit codes, real stdin/stdout) without a separate go build.
const asAdapterEnv = "DEGENERATE_TEST_AS_ADAPTER"

func TestMain(m *testing.M) {
	if os.Getenv(asAdapterEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// proc is a running degenerate adapter.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	events chan map[string]any
	exited chan struct{}
	ready  map[string]any

	mu  sync.Mutex
	all []map[string]any
}

// adapterCmd returns an exec.Cmd running the adapter with args.
func adapterCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asAdapterEnv+"=1", "TZ=UTC", "LC_ALL=C.UTF-8", "TMPDIR="+os.TempDir())
	return cmd
}

// start launches the adapter and waits for ready.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, events: make(chan map[string]any, 1024), exited: make(chan struct{})}
	p.cmd = adapterCmd(context.Background(), args...)
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.events)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			var ev map[string]any
			if err := dec.Decode(&ev); err != nil {
				t.Errorf("stdout line is not an event: %q", sc.Text())
				continue
			}
			p.mu.Lock()
			p.all = append(p.all, ev)
			p.mu.Unlock()
			p.events <- ev
		}
	}()
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.stop)
	p.ready = p.waitEvent("ready", nil)
	return p
}

// stop closes stdin and waits for the process (killing it after 5 s).
func (p *proc) stop() {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	if p.t.Failed() {
		p.t.Logf("adapter stderr:\n%s", p.stderr.String())
	}
}

// waitEvent returns the next event called name (satisfying match).
func (p *proc) waitEvent(name string, match func(map[string]any) bool) map[string]any {
	p.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				p.t.Fatalf("adapter stdout closed while waiting for %s (stderr: %s)", name, p.stderr.String())
			}
			if ev["event"] == name && (match == nil || match(ev)) {
				return ev
			}
		case <-timeout:
			p.t.Fatalf("no %s event within 10 s", name)
		}
	}
}

// do sends a command and returns its result.
func (p *proc) do(cmd map[string]any) map[string]any {
	p.t.Helper()
	id := fmt.Sprintf("c%d", time.Now().UnixNano())
	cmd["id"] = id
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatal(err)
	}
	return p.waitEvent("result", func(ev map[string]any) bool { return ev["id"] == id })
}

// exitCode waits for the process to end and returns its exit code.
func (p *proc) exitCode(d time.Duration) (int, bool) {
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

func hostArgs(flaw string, extra ...string) []string {
	return append([]string{"--flaw", flaw, "host", "--url", "tcp://127.0.0.1:0", "--type", "plain"}, extra...)
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, url string) *wirepeer.Conn {
	t.Helper()
	c, err := wirepeer.Dial(within(t, 5*time.Second), url, wire.Qt6)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func next(t *testing.T, c *wirepeer.Conn) wire.Packet {
	t.Helper()
	p, err := c.Next(within(t, 5*time.Second))
	if err != nil {
		t.Fatalf("reading a packet: %v", err)
	}
	return p
}

func expect(t *testing.T, c *wirepeer.Conn, what string, match func(wire.Packet) bool) wire.Packet {
	t.Helper()
	p, err := c.Expect(within(t, 5*time.Second), match)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return p
}

func isReply(serial int32) func(wire.Packet) bool {
	return func(p wire.Packet) bool {
		r, ok := p.(*wire.InvokeReply)
		return ok && r.Serial == serial
	}
}

// greet reads the greeting of a conforming host.
func greet(t *testing.T, c *wirepeer.Conn) *wire.ObjectListPacket {
	t.Helper()
	hs, ok := next(t, c).(*wire.HandshakePacket)
	if !ok || hs.Version != "QtRO 2.0" {
		t.Fatalf("first packet %v, want Handshake QtRO 2.0", hs)
	}
	ol, ok := next(t, c).(*wire.ObjectListPacket)
	if !ok {
		t.Fatalf("second packet is not an ObjectList")
	}
	return ol
}

func acquire(t *testing.T, c *wirepeer.Conn, dynamic bool) wire.Packet {
	t.Helper()
	if err := c.Send(&wire.AddObjectPacket{Name: "Plain", Dynamic: dynamic}); err != nil {
		t.Fatal(err)
	}
	want := wire.InitPacket
	if dynamic {
		want = wire.InitDynamicPacket
	}
	return expect(t, c, want.String(), func(p wire.Packet) bool { return p.Type() == want })
}

func sameValues(got, want []qds.Variant) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].SameValue(want[i]) {
			return false
		}
	}
	return true
}

var initialValues = []qds.Variant{qds.IntOf(3), qds.StringOf("plain"), qds.DoubleOf(0.25), qds.IntOf(1)}

func TestHello(t *testing.T) {
	out, err := adapterCmd(context.Background(), "--flaw", "short-init", "hello").Output()
	if err != nil {
		t.Fatalf("hello: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("hello wrote %d lines, want 1: %q", len(lines), out)
	}
	var ev struct {
		Event, Adapter, Protocol, Wall string
		Mono                           int64
		Contract, QtMajor              int
		Capabilities                   map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != "hello" || ev.Contract != 2 || ev.Adapter != "degenerate/short-init" || ev.QtMajor != 6 ||
		ev.Protocol != "QtRO 2.0" || ev.Mono == 0 || ev.Wall == "" {
		t.Errorf("hello = %s", lines[0])
	}
	if fmt.Sprint(ev.Capabilities["roles"]) != "[host]" || fmt.Sprint(ev.Capabilities["types"]) != "[plain]" {
		t.Errorf("capabilities = %v", ev.Capabilities)
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"host", "--url", "tcp://127.0.0.1:0"}, ExitUnsupported}, // --type defaults to testobject
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "plain"}, ExitUnsupported},
		{[]string{"registry", "--url", "tcp://127.0.0.1:0"}, ExitUnsupported},
		{hostArgs("none", "--registry", "tcp://127.0.0.1:1"), ExitUnsupported},
		{hostArgs("none", "--source-api", "static"), ExitUnsupported},
		{[]string{"host", "--url", "localabstract:x", "--type", "plain"}, ExitUnsupported},
		{[]string{"host", "--url", "tcp://127.0.0.1:0", "--type", "plain", "--bogus"}, ExitUsage},
		{[]string{"host", "--url"}, ExitUsage},
		{[]string{"--flaw", "nonsense", "host", "--url", "tcp://127.0.0.1:0", "--type", "plain"}, ExitUsage},
	} {
		cmd := adapterCmd(context.Background(), tc.args...)
		out, _ := cmd.Output()
		if got := cmd.ProcessState.ExitCode(); got != tc.code {
			t.Errorf("%v: exit %d, want %d (stdout %q)", tc.args, got, tc.code, out)
		}
		if bytes.Contains(out, []byte(`"ready"`)) {
			t.Errorf("%v: ready before a failing exit", tc.args)
		}
	}
}

// TestNone checks the conforming host: greeting, dynamic and static
// acquisition, a write, calls with and without a serial, Ping/Pong, set,
// emit, RemoveObject, disable/enable and a malformed frame.
func TestNone(t *testing.T) {
	p := start(t, hostArgs("none")...)
	url, _ := p.ready["url"].(string)
	if !strings.HasPrefix(url, "tcp://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("ready url %q", url)
	}
	p.waitEvent("remoting", func(ev map[string]any) bool { return ev["enabled"] == true })

	c := dial(t, url)
	ol := greet(t, c)
	if len(ol.Objects) != 1 || ol.Objects[0].Name != "Plain" || ol.Objects[0].TypeName.Valid || ol.Objects[0].Signature != nil {
		t.Fatalf("ObjectList %+v, want Plain with null type name and null signature", ol.Objects)
	}

	// Dynamic acquisition: class definition and values.
	dyn := acquire(t, c, true).(*wire.InitDynamic)
	def := dyn.Class
	var props, sigs, methods []string
	for _, pd := range def.Properties {
		props = append(props, pd.Name+":"+pd.Type+":"+pd.Notify)
	}
	for _, s := range def.Signals {
		sigs = append(sigs, s.Signature)
	}
	for _, m := range def.Methods {
		methods = append(methods, m.ReturnType+" "+m.Signature)
	}
	if got, want := strings.Join(props, " "), "number:int:numberChanged(int) text:QString:textChanged(QString) ratio:double: color:PlainObject::Color:colorChanged(Color)"; got != want {
		t.Errorf("properties %q, want %q", got, want)
	}
	if got, want := strings.Join(sigs, " "), "numberChanged(int) textChanged(QString) colorChanged(Color) pulsed(int,QString)"; got != want {
		t.Errorf("signals %q, want %q", got, want)
	}
	if got, want := strings.Join(methods, " "), "int add(int,int) QString echo(QString) void reset()"; got != want {
		t.Errorf("methods %q, want %q", got, want)
	}
	if def.TypeName.Valid || len(def.Enums) != 1 || len(def.Enums[0].Keys) != 3 || def.Enums[0].Keys[2].Value != 7 {
		t.Errorf("type name %+v, enums %+v", def.TypeName, def.Enums)
	}
	if !sameValues(dyn.Values, initialValues) {
		t.Errorf("InitDynamic values %v, want %v", dyn.Values, initialValues)
	}

	// Static acquisition on a second connection.
	c2 := dial(t, url)
	greet(t, c2)
	if st := acquire(t, c2, false).(*wire.Init); !sameValues(st.Values, initialValues) {
		t.Errorf("Init values %v, want %v", st.Values, initialValues)
	}

	// Unknown name: no reply, connection still usable (checked by the Ping below).
	if err := c.Send(&wire.AddObjectPacket{Name: "NoSuchObject", Dynamic: true}); err != nil {
		t.Fatal(err)
	}

	// A write through the replica comes back to both as PropertyChange + notify, in one write.
	before := len(c.Transcript())
	if err := c.Send(&wire.Invoke{Name: "Plain", Call: wire.CallWriteProperty, Index: propNumber,
		Args: []qds.Variant{qds.IntOf(9)}, Serial: -1, PropertyIndex: -1}); err != nil {
		t.Fatal(err)
	}
	for _, conn := range []*wirepeer.Conn{c, c2} {
		pc := expect(t, conn, "PropertyChange", func(p wire.Packet) bool { return p.Type() == wire.PropertyChange }).(*wire.PropertyChangePacket)
		if pc.Index != propNumber || !pc.Value.SameValue(qds.IntOf(9)) {
			t.Errorf("PropertyChange %s", wire.Describe(pc))
		}
		iv, ok := next(t, conn).(*wire.Invoke)
		if !ok || iv.Index != sigNumberChanged || iv.PropertyIndex != propNumber || iv.Serial != -1 || len(iv.Args) != 1 || !iv.Args[0].SameValue(qds.IntOf(9)) {
			t.Errorf("notify after PropertyChange: %v", iv)
		}
	}
	for _, ch := range c.Transcript()[before:] {
		if ch.FromPeer {
			pc, _ := wire.Marshal(wire.Qt6, nil, &wire.PropertyChangePacket{Name: "Plain", Index: propNumber, Value: qds.IntOf(9)})
			if len(ch.Data) <= len(pc) {
				t.Errorf("PropertyChange and notify did not arrive in one write (first chunk %d bytes)", len(ch.Data))
			}
			break
		}
	}
	p.waitEvent("propertyChanged", func(ev map[string]any) bool { return ev["property"] == "number" && fmt.Sprint(ev["value"]) == "9" })
	// A write to CONSTANT ratio is ignored.
	_ = c.Send(&wire.Invoke{Name: "Plain", Call: wire.CallWriteProperty, Index: propRatio, Args: []qds.Variant{qds.DoubleOf(2)}, Serial: -1, PropertyIndex: -1})

	// Calls: add with a serial, add with -1 (no reply), reset (void reply), echo.
	_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodAdd, Args: []qds.Variant{qds.IntOf(2), qds.IntOf(3)}, Serial: -1, PropertyIndex: -1})
	_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodAdd, Args: []qds.Variant{qds.IntOf(2), qds.IntOf(3)}, Serial: 7, PropertyIndex: -1})
	r := expect(t, c, "InvokeReply 7", func(p wire.Packet) bool {
		if r, ok := p.(*wire.InvokeReply); ok && r.Serial != 7 {
			t.Errorf("unexpected reply %s", wire.Describe(r))
		}
		return isReply(7)(p)
	}).(*wire.InvokeReply)
	if !r.Value.SameValue(qds.IntOf(5)) {
		t.Errorf("add(2,3) = %v", r.Value)
	}
	p.waitEvent("invoked", func(ev map[string]any) bool { return ev["method"] == "add" })
	_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodReset, Serial: 8, PropertyIndex: -1})
	pulsed := expect(t, c, "pulsed", func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Index == sigPulsed
	}).(*wire.Invoke)
	if pulsed.PropertyIndex != -1 || len(pulsed.Args) != 2 || !pulsed.Args[1].SameValue(qds.StringOf("reset")) {
		t.Errorf("pulsed %s", wire.Describe(pulsed))
	}
	if r := expect(t, c, "InvokeReply 8", isReply(8)).(*wire.InvokeReply); r.Value.IsValid() {
		t.Errorf("reset() reply %v, want an invalid QVariant", r.Value)
	}
	_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodEcho, Args: []qds.Variant{qds.StringOf("ü ✓")}, Serial: 9, PropertyIndex: -1})
	if r := expect(t, c, "InvokeReply 9", isReply(9)).(*wire.InvokeReply); !r.Value.SameValue(qds.StringOf("ü ✓")) {
		t.Errorf("echo reply %v", r.Value)
	}

	// Ping with any name.
	for _, name := range []string{"Plain", "NoSuchObject", ""} {
		_ = c.Send(&wire.PingPacket{Name: name})
		if pong := expect(t, c, "Pong", func(p wire.Packet) bool { return p.Type() == wire.Pong }); pong.ObjectName() != name {
			t.Errorf("Pong %q for Ping %q", pong.ObjectName(), name)
		}
	}

	// set from the harness; an equal value changes nothing.
	if res := p.do(map[string]any{"cmd": "set", "property": "text", "value": "hi"}); res["ok"] != true || res["value"] != "hi" {
		t.Errorf("set result %v", res)
	}
	pc := expect(t, c2, "PropertyChange text", func(p wire.Packet) bool {
		pc, ok := p.(*wire.PropertyChangePacket)
		return ok && pc.Index == propText
	}).(*wire.PropertyChangePacket)
	if !pc.Value.SameValue(qds.StringOf("hi")) {
		t.Errorf("PropertyChange %s", wire.Describe(pc))
	}
	if res := p.do(map[string]any{"cmd": "set", "property": "ratio", "value": 1}); res["error"] != "notWritable" {
		t.Errorf("set ratio: %v", res)
	}
	p.do(map[string]any{"cmd": "set", "property": "text", "value": "hi"})
	if err := c2.ExpectNone(context.Background(), 200*time.Millisecond, func(p wire.Packet) bool { return p.Type() == wire.PropertyChange }); err != nil {
		t.Errorf("setting an equal value: %v", err)
	}

	// RemoveObject from c2 stops its changes; c still gets them.
	_ = c2.Send(&wire.RemoveObjectPacket{Name: "Plain"}, &wire.PingPacket{Name: "Plain"})
	expect(t, c2, "Pong", func(p wire.Packet) bool { return p.Type() == wire.Pong })
	p.do(map[string]any{"cmd": "set", "property": "color", "value": 7})
	expect(t, c, "PropertyChange color", func(p wire.Packet) bool { return p.Type() == wire.PropertyChange })
	if err := c2.ExpectNone(context.Background(), 200*time.Millisecond, func(p wire.Packet) bool { return p.Type() == wire.PropertyChange }); err != nil {
		t.Errorf("after RemoveObject: %v", err)
	}

	// disable: RemoveObject to c only (c2 removed it); enable: ObjectList to both.
	p.do(map[string]any{"cmd": "disableRemoting"})
	expect(t, c, "RemoveObject", func(p wire.Packet) bool { return p.Type() == wire.RemoveObject })
	if res := p.do(map[string]any{"cmd": "disableRemoting"}); res["error"] != "notEnabled" {
		t.Errorf("second disable: %v", res)
	}
	p.do(map[string]any{"cmd": "enableRemoting"})
	for _, conn := range []*wirepeer.Conn{c, c2} {
		ol := expect(t, conn, "ObjectList", func(p wire.Packet) bool { return p.Type() == wire.ObjectList }).(*wire.ObjectListPacket)
		if len(ol.Objects) != 1 || ol.Objects[0].Name != "Plain" {
			t.Errorf("ObjectList after enable: %+v", ol.Objects)
		}
	}

	// A malformed frame closes only its own connection.
	bad := dial(t, url)
	greet(t, bad)
	_ = bad.SendRaw(wirepeer.Frame(wire.Qt6, 77, []byte{1, 2, 3}))
	if !bad.WaitClosed(within(t, 5*time.Second)) {
		t.Errorf("the connection that sent an unknown packet type stays open")
	}
	_ = c.Send(&wire.PingPacket{Name: "still"})
	expect(t, c, "Pong after another connection's garbage", func(p wire.Packet) bool { return p.Type() == wire.Pong })

	// Commands the host does not know, and bad JSON.
	if res := p.do(map[string]any{"cmd": "frobnicate"}); res["error"] != "unknownCommand" {
		t.Errorf("unknown command: %v", res)
	}
	_, _ = p.stdin.Write([]byte("{nope\n"))
	if res := p.waitEvent("result", nil); res["error"] != "badJson" || res["id"] != nil {
		t.Errorf("bad JSON: %v", res)
	}

	// exit with a code.
	p.do(map[string]any{"cmd": "exit", "code": 5})
	p.waitEvent("exiting", nil)
	if code, ok := p.exitCode(5 * time.Second); !ok || code != 5 {
		t.Errorf("exit code %d (exited %v), want 5", code, ok)
	}
}

// TestQt5Local runs the Qt 5 dialect on a local: socket.
func TestQt5Local(t *testing.T) {
	name := fmt.Sprintf("degenerate-test-%d", os.Getpid())
	p := start(t, "--dialect", "qt5", "host", "--url", "local:"+name, "--type", "plain")
	if p.ready["url"] != "local:"+name || p.ready["protocol"] != "QtRO 1.3" {
		t.Fatalf("ready %v", p.ready)
	}
	c, err := wirepeer.Dial(within(t, 5*time.Second), "local:"+os.TempDir()+"/"+name, wire.Qt5)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if hs, ok := next(t, c).(*wire.HandshakePacket); !ok || hs.Version != "QtRO 1.3" {
		t.Fatalf("Qt 5 handshake: %v", hs)
	}
	next(t, c)
	if err := c.Send(&wire.AddObjectPacket{Name: "Plain", Dynamic: true}); err != nil {
		t.Fatal(err)
	}
	dyn := expect(t, c, "InitDynamic", func(p wire.Packet) bool { return p.Type() == wire.InitDynamicPacket }).(*wire.InitDynamic)
	if dyn.Class.Properties[propColor].Type != "Color" || !sameValues(dyn.Values, initialValues) {
		t.Errorf("Qt 5 InitDynamic: %s", wire.Describe(dyn))
	}
}

// probe checks one conformance property of a host; it returns "" when the
// host conforms, else what is wrong.
type probe func(t *testing.T, p *proc, url string) string

func greetAny(t *testing.T, c *wirepeer.Conn) (handshake bool, ol *wire.ObjectListPacket) {
	first := next(t, c)
	if first.Type() == wire.Handshake {
		handshake = true
		first = next(t, c)
	}
	ol, _ = first.(*wire.ObjectListPacket)
	return handshake, ol
}

// connected dials, reads the greeting (with or without a Handshake) and
// acquires Plain.
func connected(t *testing.T, url string, dynamic bool) (*wirepeer.Conn, wire.Packet) {
	c := dial(t, url)
	greetAny(t, c)
	return c, acquire(t, c, dynamic)
}

func initValues(p wire.Packet) []qds.Variant {
	switch p := p.(type) {
	case *wire.Init:
		return p.Values
	case *wire.InitDynamic:
		return p.Values
	}
	return nil
}

// probes holds, for every flaw but none, a check that the flaw fails and
// that none passes.
var probes = map[Flaw]probe{
	FlawEmptyInit: func(t *testing.T, _ *proc, url string) string {
		_, init := connected(t, url, true)
		if n := len(initValues(init)); n != 4 {
			return fmt.Sprintf("InitDynamic carries %d values", n)
		}
		return ""
	},
	FlawShortInit: func(t *testing.T, _ *proc, url string) string {
		_, init := connected(t, url, false)
		if n := len(initValues(init)); n != 4 {
			return fmt.Sprintf("Init carries %d values", n)
		}
		return ""
	},
	FlawWrongType: func(t *testing.T, _ *proc, url string) string {
		_, init := connected(t, url, false)
		if v := initValues(init); len(v) == 0 || v[0].Type() != qds.Int {
			return fmt.Sprintf("Init values %v", v)
		}
		return ""
	},
	FlawNoChanges: func(t *testing.T, p *proc, url string) string {
		c, _ := connected(t, url, false)
		p.do(map[string]any{"cmd": "set", "property": "number", "value": 11})
		if _, err := c.Expect(within(t, 500*time.Millisecond), func(p wire.Packet) bool { return p.Type() == wire.PropertyChange }); err != nil {
			return "no PropertyChange after set"
		}
		return ""
	},
	FlawNoNotify: func(t *testing.T, p *proc, url string) string {
		c, _ := connected(t, url, false)
		p.do(map[string]any{"cmd": "set", "property": "number", "value": 11})
		expect(t, c, "PropertyChange", func(p wire.Packet) bool { return p.Type() == wire.PropertyChange })
		if iv, err := c.Next(within(t, 500*time.Millisecond)); err != nil || iv.Type() != wire.InvokePacket {
			return "no notify Invoke after PropertyChange"
		}
		return ""
	},
	FlawNotifySeparate: func(t *testing.T, p *proc, url string) string {
		c, _ := connected(t, url, false)
		before := len(c.Transcript())
		p.do(map[string]any{"cmd": "set", "property": "number", "value": 11})
		expect(t, c, "notify", func(p wire.Packet) bool { return p.Type() == wire.InvokePacket })
		for _, ch := range c.Transcript()[before:] {
			if ch.FromPeer {
				pc, _ := wire.Marshal(wire.Qt6, nil, &wire.PropertyChangePacket{Name: "Plain", Index: propNumber, Value: qds.IntOf(11)})
				if len(ch.Data) <= len(pc) {
					return "PropertyChange and notify in separate writes"
				}
				break
			}
		}
		return ""
	},
	FlawEmptySignature: func(t *testing.T, _ *proc, url string) string {
		_, ol := greetAny(t, dial(t, url))
		if ol == nil || len(ol.Objects) != 1 || ol.Objects[0].Signature != nil {
			return "signature is not null"
		}
		return ""
	},
	FlawVoidNoReply: func(t *testing.T, _ *proc, url string) string {
		c, _ := connected(t, url, false)
		_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodReset, Serial: 4, PropertyIndex: -1})
		if _, err := c.Expect(within(t, time.Second), isReply(4)); err != nil {
			return "no reply to reset() with serial 4"
		}
		return ""
	},
	FlawReplyToMinus1: func(t *testing.T, _ *proc, url string) string {
		c, _ := connected(t, url, false)
		_ = c.Send(&wire.Invoke{Name: "Plain", Index: methodAdd, Args: []qds.Variant{qds.IntOf(1), qds.IntOf(1)}, Serial: -1, PropertyIndex: -1})
		if c.ExpectNone(context.Background(), 300*time.Millisecond, func(p wire.Packet) bool { return p.Type() == wire.InvokeReplyPacket }) != nil {
			return "a reply to serial -1"
		}
		return ""
	},
	FlawPongKnownOnly: func(t *testing.T, _ *proc, url string) string {
		c := dial(t, url)
		greetAny(t, c)
		_ = c.Send(&wire.PingPacket{Name: "NoSuchObject"})
		if _, err := c.Expect(within(t, time.Second), func(p wire.Packet) bool { return p.Type() == wire.Pong }); err != nil {
			return "no Pong for an unknown name"
		}
		return ""
	},
	FlawNoHandshake: func(t *testing.T, _ *proc, url string) string {
		if hs, _ := greetAny(t, dial(t, url)); !hs {
			return "no Handshake"
		}
		return ""
	},
	FlawCrashOnGarbage: func(t *testing.T, p *proc, url string) string {
		c := dial(t, url)
		greetAny(t, c)
		_ = c.SendRaw([]byte{0xff, 0xff, 0xff, 0xff, 1, 0})
		if code, exited := p.exitCode(500 * time.Millisecond); exited {
			return fmt.Sprintf("the process exited with %d", code)
		}
		c2 := dial(t, url)
		if hs, _ := greetAny(t, c2); !hs {
			return "no greeting after garbage"
		}
		return ""
	},
}

// TestFlawsAreVisible runs each flaw's probe against none (must conform)
// and against the flaw (must not).
func TestFlawsAreVisible(t *testing.T) {
	for _, name := range FlawNames() {
		f := Flaw(name)
		if f == FlawNone {
			continue
		}
		pr, ok := probes[f]
		if !ok {
			t.Errorf("flaw %s has no probe", f)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, target := range []Flaw{FlawNone, f} {
				p := start(t, hostArgs(string(target))...)
				url, _ := p.ready["url"].(string)
				why := pr(t, p, url)
				switch {
				case target == FlawNone && why != "":
					t.Errorf("flaw none fails the %s probe: %s", f, why)
				case target == f && why == "":
					t.Errorf("flaw %s is not visible", f)
				case target == f:
					t.Logf("%s: %s", f, why)
				}
			}
		})
	}
}

// TestCrashExitCode checks the crash-on-garbage exit code and that no
// event follows the crash.
func TestCrashExitCode(t *testing.T) {
	p := start(t, hostArgs(string(FlawCrashOnGarbage))...)
	c := dial(t, p.ready["url"].(string))
	greetAny(t, c)
	_ = c.SendRaw(wirepeer.Frame(wire.Qt6, 2, nil)) // an Init without a name: short body
	code, ok := p.exitCode(5 * time.Second)
	if !ok || code != ExitCrash {
		t.Fatalf("exit code %d (exited %v), want %d", code, ok, ExitCrash)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range p.all {
		if ev["event"] == "exiting" {
			t.Errorf("a crash wrote exiting: %v", ev)
		}
	}
}
