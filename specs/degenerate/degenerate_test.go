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
	if fmt.Sprint(ev.Capabilities["roles"]) != "[host node]" || fmt.Sprint(ev.Capabilities["hostTypes"]) != "[plain]" || fmt.Sprint(ev.Capabilities["nodeTypes"]) != "[plain testobject]" ||
		fmt.Sprint(ev.Capabilities["replicaModes"]) != "[dynamic]" {
		t.Errorf("capabilities = %v", ev.Capabilities)
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"host", "--url", "tcp://127.0.0.1:0"}, ExitUnsupported}, // --type defaults to testobject
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

// probes holds, for every host flaw, a check that the flaw fails and
// that none passes (node flaws: nodeProbes).
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
		if np, ok := nodeProbes[f]; ok {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				for _, target := range []Flaw{FlawNone, f} {
					why := np(t, string(target))
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

// The node role: the test plays a raw host with specs/wirepeer.

func nodeArgs(flaw, url string, extra ...string) []string {
	return append([]string{"--flaw", flaw, "node", "--url", url, "--type", "plain", "--dynamic"}, extra...)
}

// rawHost listens on a fresh loopback port.
func rawHost(t *testing.T) *wirepeer.Server {
	t.Helper()
	srv, err := wirepeer.Listen(within(t, 5*time.Second), "tcp://127.0.0.1:0", wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func acceptNode(t *testing.T, srv *wirepeer.Server, d time.Duration) *wirepeer.Conn {
	t.Helper()
	c, err := srv.Accept(within(t, d))
	if err != nil {
		t.Fatalf("the node did not connect within %s: %v", d, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func isType(pt wire.PacketType) func(wire.Packet) bool {
	return func(p wire.Packet) bool { return p.Type() == pt }
}

// plainInit is the InitDynamic a Qt host sends for Plain with values.
func plainInit(number int32, text string) *wire.InitDynamic {
	return &wire.InitDynamic{Name: "Plain", Class: plainClass(wire.Qt6),
		Values: []qds.Variant{qds.IntOf(number), qds.StringOf(text), qds.DoubleOf(0.25), qds.IntOf(1)}}
}

// validNode greets the node's connection, answers its AddObject and waits
// until the replica is Valid.
func validNode(t *testing.T, p *proc, c *wirepeer.Conn, number int32) {
	t.Helper()
	if err := c.Greet(wire.ObjectInfo{Name: "Plain"}); err != nil {
		t.Fatal(err)
	}
	add := expect(t, c, "AddObject", isType(wire.AddObject)).(*wire.AddObjectPacket)
	if add.Name != "Plain" || !add.Dynamic {
		t.Fatalf("AddObject %+v, want Plain dynamic", add)
	}
	if err := c.Send(plainInit(number, "init")); err != nil {
		t.Fatal(err)
	}
	p.waitEvent("stateChanged", func(ev map[string]any) bool { return ev["state"] == "Valid" })
	p.do(map[string]any{"cmd": "sync"})
}

func evIs(field string, want any) func(map[string]any) bool {
	return func(ev map[string]any) bool { return fmt.Sprint(ev[field]) == fmt.Sprint(want) }
}

// TestNode checks the conforming node against a raw host: acquisition,
// init, changes, signals, calls, writes, removal, release and reconnect.
func TestNode(t *testing.T) {
	srv := rawHost(t)
	p := start(t, nodeArgs("none", srv.URL())...)
	if p.ready["role"] != "node" || p.ready["mode"] != "dynamic" || p.ready["object"] != "Plain" {
		t.Errorf("ready %v", p.ready)
	}
	if acq := p.waitEvent("acquired", nil); acq["state"] != "Uninitialized" || acq["replica"] != "Plain" {
		t.Errorf("acquired %v", acq)
	}
	c := acceptNode(t, srv, 5*time.Second)
	if err := c.ExpectNone(context.Background(), 200*time.Millisecond, func(wire.Packet) bool { return true }); err != nil {
		t.Errorf("the node spoke before the greeting: %v", err)
	}
	if res := p.do(map[string]any{"cmd": "get", "property": "number"}); res["error"] != "notInitialized" {
		t.Errorf("get before Init: %v", res)
	}
	// Not listed: no AddObject; listed: AddObject(Plain, true).
	if err := c.Greet(wire.ObjectInfo{Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ExpectNone(context.Background(), 300*time.Millisecond, isType(wire.AddObject)); err != nil {
		t.Errorf("AddObject before Plain is listed: %v", err)
	}
	_ = c.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Plain"}}})
	add := expect(t, c, "AddObject", isType(wire.AddObject)).(*wire.AddObjectPacket)
	if add.Name != "Plain" || !add.Dynamic {
		t.Fatalf("AddObject %+v", add)
	}
	_ = c.Send(plainInit(3, "plain"))
	init := p.waitEvent("initialized", nil)
	vals, _ := init["values"].(map[string]any)
	if fmt.Sprint(vals["number"]) != "3" || vals["text"] != "plain" || fmt.Sprint(vals["ratio"]) != "0.25" || fmt.Sprint(vals["color"]) != "1" {
		t.Errorf("initialized values %v", vals)
	}
	if sc := p.waitEvent("stateChanged", nil); sc["state"] != "Valid" || sc["oldState"] != "Uninitialized" {
		t.Errorf("stateChanged %v", sc)
	}
	for _, prop := range []string{"number", "text", "color"} {
		p.waitEvent("propertyChanged", evIs("property", prop))
	}

	// describe: the definition, in wire order.
	mo, _ := p.do(map[string]any{"cmd": "describe"})["metaObject"].(map[string]any)
	var names []string
	for _, m := range mo["methods"].([]any) {
		names = append(names, m.(map[string]any)["signature"].(string))
	}
	if strings.Join(names, " ") != "add(int,int) echo(QString) reset()" {
		t.Errorf("describe methods %v", names)
	}

	// A change and its notify.
	_ = c.Send(&wire.PropertyChangePacket{Name: "Plain", Index: propText, Value: qds.StringOf("changed")},
		&wire.Invoke{Name: "Plain", Index: sigTextChanged, Args: []qds.Variant{qds.StringOf("changed")}, Serial: -1, PropertyIndex: propText})
	p.waitEvent("propertyChanged", func(ev map[string]any) bool { return ev["property"] == "text" && ev["value"] == "changed" })
	// A signal, rendered by its declared parameter types.
	_ = c.Send(&wire.Invoke{Name: "Plain", Index: sigPulsed, Args: []qds.Variant{qds.IntOf(5), qds.StringOf("x")}, Serial: -1, PropertyIndex: -1})
	if sig := p.waitEvent("signal", nil); sig["signal"] != "pulsed" || fmt.Sprint(sig["args"]) != "[5 x]" {
		t.Errorf("signal %v", sig)
	}

	// Calls: non-void with a serial ≥ 1 and the reply's value; void with -1.
	id := "call-add"
	_, _ = p.stdin.Write([]byte(`{"cmd":"call","id":"` + id + `","method":"add","args":[2,3]}` + "\n"))
	iv := expect(t, c, "Invoke add", isType(wire.InvokePacket)).(*wire.Invoke)
	if iv.Index != methodAdd || iv.Serial < 1 || iv.PropertyIndex != -1 || len(iv.Args) != 2 || !iv.Args[1].SameValue(qds.IntOf(3)) {
		t.Errorf("Invoke %s", wire.Describe(iv))
	}
	_ = c.Send(&wire.InvokeReply{Name: "Plain", Serial: iv.Serial + 50, Value: qds.IntOf(-1)}, &wire.InvokeReply{Name: "Plain", Serial: iv.Serial, Value: qds.IntOf(5)})
	if res := p.waitEvent("result", evIs("id", id)); res["ok"] != true || fmt.Sprint(res["value"]) != "5" || res["valueType"] != "int" {
		t.Errorf("add result %v", res)
	}
	if res := p.do(map[string]any{"cmd": "call", "method": "reset"}); res["ok"] != true || res["void"] != true {
		t.Errorf("reset result %v", res)
	}
	if iv := expect(t, c, "Invoke reset", isType(wire.InvokePacket)).(*wire.Invoke); iv.Index != methodReset || iv.Serial != -1 {
		t.Errorf("reset Invoke %s", wire.Describe(iv))
	}
	if res := p.do(map[string]any{"cmd": "call", "method": "echo", "args": []any{"late"}, "timeoutMs": 100}); res["error"] != "timeout" {
		t.Errorf("unanswered echo: %v", res)
	}
	if res := p.do(map[string]any{"cmd": "call", "method": "add", "args": []any{"x", 1}}); res["error"] != "badValue" {
		t.Errorf("add(\"x\",1): %v", res)
	}

	// write: Invoke(call=2, property index, [value], -1, -1).
	p.do(map[string]any{"cmd": "write", "property": "number", "value": 42})
	w := expect(t, c, "write", func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Call != wire.CallInvokeMethod
	}).(*wire.Invoke)
	if w.Call != wire.CallWriteProperty || w.Index != propNumber || len(w.Args) != 1 || !w.Args[0].SameValue(qds.IntOf(42)) || w.Serial != -1 || w.PropertyIndex != -1 {
		t.Errorf("write %s", wire.Describe(w))
	}
	if res := p.do(map[string]any{"cmd": "get", "property": "text"}); res["value"] != "changed" {
		t.Errorf("get text %v", res)
	}
	st := p.do(map[string]any{"cmd": "state"})
	if rep, _ := st["replicas"].(map[string]any)["Plain"].(map[string]any); rep["state"] != "Valid" || rep["mode"] != "dynamic" {
		t.Errorf("state %v", st)
	}

	// RemoveObject → Suspect; listed again → AddObject → Valid.
	_ = c.Send(&wire.RemoveObjectPacket{Name: "Plain"})
	p.waitEvent("stateChanged", evIs("state", "Suspect"))
	_ = c.Send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Plain"}}})
	expect(t, c, "AddObject again", isType(wire.AddObject))
	_ = c.Send(plainInit(7, "again"))
	p.waitEvent("stateChanged", evIs("state", "Valid"))
	p.waitEvent("propertyChanged", func(ev map[string]any) bool { return ev["property"] == "number" && fmt.Sprint(ev["value"]) == "7" })

	// The host goes away: Suspect, reconnect, re-acquire.
	c.Close()
	p.waitEvent("stateChanged", evIs("state", "Suspect"))
	c2 := acceptNode(t, srv, 5*time.Second)
	validNode(t, p, c2, 8)

	// Garbage from the host: the connection is dropped, the node lives.
	_ = c2.SendRaw(wirepeer.Frame(wire.Qt6, 77, []byte{1, 2, 3}))
	if !c2.WaitClosed(within(t, 5*time.Second)) {
		t.Errorf("the node kept a connection that sent packet type 77")
	}
	c3 := acceptNode(t, srv, 5*time.Second)
	validNode(t, p, c3, 9)

	// release → RemoveObject.
	p.do(map[string]any{"cmd": "release", "replica": "Plain"})
	expect(t, c3, "RemoveObject", isType(wire.RemoveObject))
	if res := p.do(map[string]any{"cmd": "release", "replica": "Plain"}); res["error"] != "noReplica" {
		t.Errorf("second release %v", res)
	}
	if res := p.do(map[string]any{"cmd": "set", "property": "number", "value": 1}); res["error"] != "wrongRole" {
		t.Errorf("set on a node: %v", res)
	}
	// Never a Handshake from the node.
	for _, conn := range []*wirepeer.Conn{c, c2, c3} {
		for _, ch := range conn.Transcript() {
			if !ch.FromPeer {
				continue
			}
			hs, _ := wire.Marshal(wire.Qt6, nil, &wire.HandshakePacket{Version: "QtRO 2.0"})
			if bytes.Contains(ch.Data, hs) {
				t.Errorf("the node sent a Handshake")
			}
		}
	}
}

// TestNodeGenericClass acquires a class the node has never seen (a gadget,
// an enum, containers, a QVariant) and checks the values it reports.
func TestNodeGenericClass(t *testing.T) {
	srv := rawHost(t)
	p := start(t, "node", "--url", srv.URL(), "--type", "testobject", "--object", "Thing", "--dynamic")
	c := acceptNode(t, srv, 5*time.Second)
	_ = c.Greet(wire.ObjectInfo{Name: "Thing", TypeName: qds.Str("Thing")})
	expect(t, c, "AddObject", isType(wire.AddObject))
	def := wire.ClassDef{TypeName: qds.Str("Thing"),
		Enums:   []wire.EnumDef{{Name: "Mode", Size: 4, Keys: []wire.EnumKey{{Name: "A", Value: 0}, {Name: "B", Value: 5}}}},
		Gadgets: []wire.GadgetDef{{Name: "Pod", Properties: []wire.GadgetProperty{{Name: "id", Type: "int"}, {Name: "s", Type: "QString"}}}},
		Signals: []wire.SignalDef{{Signature: "podChanged(Pod)", ParamNames: []string{"pod"}}, {Signature: "fired(Thing::Mode,QByteArray,QVariantList)", ParamNames: []string{"m", "b", "l"}}},
		Methods: []wire.MethodDef{{Signature: "make(int)", ReturnType: "Pod", ParamNames: []string{"id"}}},
		Properties: []wire.PropertyDef{{Name: "pod", Type: "Pod", Notify: "podChanged(Pod)"}, {Name: "mode", Type: "Thing::Mode"},
			{Name: "any", Type: "QVariant"}, {Name: "when", Type: "QDateTime"}, {Name: "big", Type: "qulonglong"}}}
	def.RegisterGadgets(c.Types())
	pod := qds.UserOf("Pod", qds.Gadget{Names: []string{"id", "s"}, Fields: []qds.Variant{qds.IntOf(4), qds.StringOf("four")}})
	_ = c.Send(&wire.InitDynamic{Name: "Thing", Class: def, Values: []qds.Variant{pod, qds.IntOf(5), qds.StringOf("v"),
		qds.DateTimeOf(qds.DateTime{JulianDay: 2458851, Msecs: 1000, Spec: qds.UTC}), qds.ULongLongOf(1 << 63)}})
	p.waitEvent("stateChanged", evIs("state", "Valid"))
	got, _ := json.Marshal(p.do(map[string]any{"cmd": "get"})["values"])
	want := `{"any":{"type":"QString","value":"v"},"big":9223372036854775808,"mode":5,"pod":{"id":4,"s":"four"},"when":{"jd":2458851,"ms":1000,"spec":"UTC"}}`
	if string(got) != want {
		t.Errorf("values\n got %s\nwant %s", got, want)
	}
	_ = c.Send(&wire.Invoke{Name: "Thing", Index: 1, Args: []qds.Variant{qds.IntOf(0), qds.ByteArrayOf([]byte("xyz")), qds.ListOf([]qds.Variant{qds.IntOf(1)})}, Serial: -1, PropertyIndex: -1})
	sig := p.waitEvent("signal", nil)
	if b, _ := json.Marshal(sig["args"]); string(b) != `[0,"eHl6",[{"type":"int","value":1}]]` {
		t.Errorf("fired args %s", b)
	}
	_, _ = p.stdin.Write([]byte(`{"cmd":"call","id":"mk","method":"make","args":[9]}` + "\n"))
	iv := expect(t, c, "Invoke make", isType(wire.InvokePacket)).(*wire.Invoke)
	_ = c.Send(&wire.InvokeReply{Name: "Thing", Serial: iv.Serial, Value: pod})
	res := p.waitEvent("result", evIs("id", "mk"))
	if b, _ := json.Marshal(res["value"]); string(b) != `{"id":4,"s":"four"}` || res["valueType"] != "Pod" {
		t.Errorf("make result %v", res)
	}
	p.do(map[string]any{"cmd": "write", "property": "pod", "value": map[string]any{"id": 1, "s": "one"}})
	w := expect(t, c, "write pod", func(p wire.Packet) bool {
		iv, ok := p.(*wire.Invoke)
		return ok && iv.Call == wire.CallWriteProperty
	}).(*wire.Invoke)
	if g, ok := w.Args[0].Value().(qds.Gadget); !ok || w.Args[0].TypeName() != "Pod" || !g.Fields[1].SameValue(qds.StringOf("one")) {
		t.Errorf("write pod %s", wire.Describe(w))
	}
}

func TestNodeExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "plain", "--static"}, ExitUsage},
		{[]string{"node", "--type", "plain"}, ExitUsage},
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "testobject", "--static"}, ExitUnsupported},
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "testobject"}, ExitUnsupported}, // static by default
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "tick", "--dynamic"}, ExitUnsupported},
		{[]string{"node", "--registry", "tcp://127.0.0.1:1", "--type", "plain"}, ExitUnsupported},
		{[]string{"node", "--url", "tcp://127.0.0.1:1", "--type", "plain", "--heartbeat", "100"}, ExitUnsupported},
		{[]string{"node", "--url", "localabstract:x", "--type", "plain"}, ExitUnsupported},
	} {
		cmd := adapterCmd(context.Background(), tc.args...)
		out, _ := cmd.Output()
		if got := cmd.ProcessState.ExitCode(); got != tc.code {
			t.Errorf("%v: exit %d, want %d (stdout %q)", tc.args, got, tc.code, out)
		}
	}
}

// nodeProbe checks one conformance property of the node; "" when it conforms.
type nodeProbe func(t *testing.T, flaw string) string

var nodeProbes = map[Flaw]nodeProbe{
	FlawNodeNoReconnect: func(t *testing.T, flaw string) string {
		srv := rawHost(t)
		p := start(t, nodeArgs(flaw, srv.URL())...)
		c := acceptNode(t, srv, 5*time.Second)
		validNode(t, p, c, 1)
		c.Close()
		p.waitEvent("stateChanged", evIs("state", "Suspect"))
		if _, err := srv.Accept(within(t, 2*time.Second)); err != nil {
			return "no reconnection within 2 s"
		}
		return ""
	},
	FlawNodeStaticLie: func(t *testing.T, flaw string) string {
		srv := rawHost(t)
		cmd := adapterCmd(within(t, 10*time.Second), "--flaw", flaw, "node", "--url", srv.URL(), "--type", "testobject", "--static")
		stdin, _ := cmd.StdinPipe()
		defer stdin.Close()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		c, err := srv.Accept(within(t, 2*time.Second))
		if err != nil {
			return "" // refused the static start (exit 127) and never connected
		}
		defer c.Close()
		_ = c.Greet(wire.ObjectInfo{Name: "TestObject", TypeName: qds.Str("TestObject")})
		if add := expect(t, c, "AddObject", isType(wire.AddObject)).(*wire.AddObjectPacket); add.Dynamic {
			return "a node started --static sent AddObject(name, true)"
		}
		return ""
	},
	FlawNodeSendsHandshake: func(t *testing.T, flaw string) string {
		srv := rawHost(t)
		start(t, nodeArgs(flaw, srv.URL())...)
		c := acceptNode(t, srv, 5*time.Second)
		_ = c.Greet(wire.ObjectInfo{Name: "Plain"})
		if first := next(t, c); first.Type() != wire.AddObject {
			return "first packet " + first.Type().String()
		}
		return ""
	},
	FlawNodeSerialZero: func(t *testing.T, flaw string) string {
		srv := rawHost(t)
		p := start(t, nodeArgs(flaw, srv.URL())...)
		c := acceptNode(t, srv, 5*time.Second)
		validNode(t, p, c, 1)
		_, _ = p.stdin.Write([]byte(`{"cmd":"call","method":"add","args":[1,2]}` + "\n"))
		if iv := expect(t, c, "Invoke add", isType(wire.InvokePacket)).(*wire.Invoke); iv.Serial < 1 {
			return fmt.Sprintf("add called with serial %d", iv.Serial)
		}
		return ""
	},
	FlawNodeNoRetry: probeNoRetry,
	FlawNodeIgnoresMismatch: func(t *testing.T, flaw string) string {
		srv := rawHost(t)
		p := start(t, nodeArgs(flaw, srv.URL())...)
		c := acceptNode(t, srv, 5*time.Second)
		_ = c.Send(&wire.HandshakePacket{Version: "QtRO 0.9"}, &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Plain"}}})
		if _, err := c.Expect(within(t, time.Second), isType(wire.AddObject)); err == nil {
			return "AddObject after a QtRO 0.9 Handshake"
		}
		p.waitEvent("nodeError", evIs("error", "ProtocolMismatch"))
		return ""
	},
}

// probeNoRetry starts the node before its host listens.
func probeNoRetry(t *testing.T, flaw string) string {
	srv := rawHost(t)
	url := srv.URL()
	srv.Close()
	start(t, nodeArgs(flaw, url)...)
	time.Sleep(600 * time.Millisecond)
	srv2, err := wirepeer.Listen(within(t, 5*time.Second), url, wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Close() })
	if _, err := srv2.Accept(within(t, 2*time.Second)); err != nil {
		return "the node did not connect once the host appeared"
	}
	return ""
}
