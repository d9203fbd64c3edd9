package nodeadapter

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/specs/contract"
)

// TestMainStartFailures checks exit codes and the events before them (§3).
func TestMainStartFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name   string
		args   []string
		env    string
		code   int
		events []string // event names in order, with "name:key=value" checks
	}{
		{name: "no role", args: nil, code: contract.ExitUsage},
		{name: "unknown flag", args: []string{"host", "--url", "tcp://127.0.0.1:0", "--bogus"}, code: contract.ExitUsage},
		{name: "missing value", args: []string{"host", "--url"}, code: contract.ExitUsage},
		{name: "bad heartbeat", args: []string{"node", "--url", "tcp://127.0.0.1:1", "--heartbeat", "x"}, code: contract.ExitUsage},
		{name: "bad type", args: []string{"host", "--url", "tcp://127.0.0.1:0", "--type", "widget"}, code: contract.ExitUsage},
		{name: "bad dialect", args: []string{"host", "--url", "tcp://127.0.0.1:0", "--dialect", "qt4"}, code: contract.ExitUsage},
		{name: "bad dialect env", args: []string{"host", "--url", "tcp://127.0.0.1:0"}, env: "qt4", code: contract.ExitUsage},
		{name: "two roles", args: []string{"host", "node"}, code: contract.ExitUsage},
		{name: "help", args: []string{"--help"}, code: contract.ExitOK},
		{name: "unsupported role", args: []string{"proxy", "--url", "tcp://127.0.0.1:0"}, code: contract.ExitUnsupported,
			events: []string{"unsupported:feature=role:proxy"}},
		{name: "node without url", args: []string{"node"}, code: contract.ExitUsage, events: []string{"fatal:stage=args"}},
		{name: "host without url", args: []string{"host"}, code: contract.ExitUsage, events: []string{"fatal:stage=args"}},
		{name: "static plain", args: []string{"node", "--url", "tcp://127.0.0.1:1", "--type", "plain", "--static"}, code: contract.ExitUsage,
			events: []string{"fatal:stage=args"}},
		{name: "dynamic source API", args: []string{"host", "--url", "tcp://127.0.0.1:0", "--source-api", "dynamic"},
			code: contract.ExitUnsupported, events: []string{"unsupported:feature=source-api:dynamic"}},
		{name: "port in use", args: []string{"host", "--url", "tcp://" + busy.Addr().String()}, code: contract.ExitFailure,
			events: []string{"nodeError:error=ListenFailed", "fatal:stage=listen"}},
		{name: "registry port in use", args: []string{"registry", "--url", "tcp://" + busy.Addr().String()}, code: contract.ExitFailure,
			events: []string{"nodeError:node=registry", "fatal:error=ListenFailed"}},
		{name: "unknown scheme", args: []string{"host", "--url", "foo://bar"}, code: contract.ExitFailure,
			events: []string{"nodeError:error=HostUrlInvalid", "fatal:stage=listen"}},
		{name: "node unknown scheme", args: []string{"node", "--url", "foo://bar"}, code: contract.ExitFailure,
			events: []string{"nodeError:node=node", "fatal:stage=connect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := func(k string) string {
				if k == EnvDialect {
					return tc.env
				}
				return ""
			}
			code := Main(tc.args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: env})
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stdout %s; stderr %s", code, tc.code, out.String(), errOut.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if out.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.events) {
				t.Fatalf("events %q, want %v", lines, tc.events)
			}
			for i, want := range tc.events {
				ev := decodeJSON(t, lines[i]).(map[string]any)
				name, check, _ := strings.Cut(want, ":")
				if ev["event"] != name {
					t.Errorf("event %d is %v, want %s", i, ev["event"], name)
				}
				if k, v, ok := strings.Cut(check, "="); ok && ev[k] != v {
					t.Errorf("event %s: %s=%v, want %s", name, k, ev[k], v)
				}
				if _, ok := ev["message"]; (name == "fatal" || name == "unsupported") && !ok {
					t.Errorf("event %s without message", name)
				}
			}
		})
	}
}

// TestLifecycle: exit codes of the exit command, SIGTERM and stdin EOF.
func TestLifecycle(t *testing.T) {
	a := run(t, "host", "host", "--url", "tcp://127.0.0.1:0")
	m := a.mark()
	a.send(map[string]any{"cmd": "exit", "code": 3})
	ev := a.expect(m, named("exiting"), "exiting")
	eq(t, ev["reason"], "command", "exit reason")
	if code := a.close(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}

	b := run(t, "node", "node", "--url", "tcp://127.0.0.1:1")
	b.sigterm()
	ev = b.expect(0, named("exiting"), "exiting")
	eq(t, ev["reason"], "signal", "SIGTERM reason")
	if code := b.close(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}

	c := run(t, "registry", "registry", "--url", "tcp://127.0.0.1:0")
	_ = c.stdin.Close()
	ev = c.expect(0, named("exiting"), "exiting")
	eq(t, ev["reason"], "stdinClosed", "EOF reason")
	if code := c.close(); code != 0 {
		t.Errorf("exit code %d after EOF", code)
	}
}

func cmd(name string, kv ...any) map[string]any {
	m := map[string]any{"cmd": name}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func tagged(typ string, v any) map[string]any { return map[string]any{"type": typ, "value": v} }

func pod(id int, label any, weight float64) map[string]any {
	return map[string]any{"id": id, "label": label, "weight": weight}
}

// TestGoHostGoNode drives a Go host and a Go node through every command of
// §6 and the events of §8, in both dialects and both replica modes.
func TestGoHostGoNode(t *testing.T) {
	for _, d := range []string{"qt5", "qt6"} {
		for _, mode := range []string{"static", "dynamic"} {
			t.Run(d+"/"+mode, func(t *testing.T) { hostNodeScenario(t, d, mode) })
		}
	}
}

func hostNodeScenario(t *testing.T, dialect, mode string) {
	host := run(t, "host", "host", "--url", "tcp://127.0.0.1:0", "--dialect", dialect)
	ready := host.expect(0, named("ready"), "ready")
	url, _ := ready["url"].(string)
	eq(t, ready["qtMajor"], map[string]int{"qt5": 5, "qt6": 6}[dialect], "qtMajor")
	eq(t, ready["protocol"], map[string]string{"qt5": "QtRO 1.3", "qt6": "QtRO 2.0"}[dialect], "protocol")
	eq(t, ready["adapter"], AdapterName, "adapter")
	host.expect(0, named("remoting", field("enabled", true)), "remoting")
	node := run(t, "node", "node", "--url", url, "--"+mode, "--dialect", dialect)
	initial := map[string]string{"static": "Default", "dynamic": "Uninitialized"}[mode]
	eq(t, node.expect(0, named("acquired"), "acquired")["state"], initial, "state at acquisition")
	valid := node.expect(0, named("stateChanged", field("state", "Valid")), "Valid")
	eq(t, valid["oldState"], initial, "oldState")
	ini := node.expect(0, named("initialized"), "initialized")
	vals, _ := ini["values"].(map[string]any)
	eq(t, len(vals), 22, "property count")
	for k, v := range map[string]any{"constantProp": "const", "intProp": 42, "uintProp": 7, "floatProp": 1.5, "colorProp": 1,
		"stringProp": nil, "podProp": pod(0, nil, 0), "child": map[string]any{"value": 7}, "sourceOnlyProp": 3,
		"sizeProp": map[string]any{"width": -1, "height": -1}, "dateTimeProp": nil} {
		eq(t, vals[k], v, "initial "+k)
	}
	node.do(cmd("sync"))

	// Host-side changes reach the replica.
	m, hm := node.mark(), host.mark()
	eq(t, host.do(cmd("set", "property", "intProp", "value", 5))["value"], 5, "set result")
	host.expect(hm, named("propertyChanged", field("property", "intProp"), field("value", 5)), "host propertyChanged")
	node.expect(m, named("propertyChanged", field("property", "intProp"), field("value", 5)), "node propertyChanged")
	host.do(cmd("set", "property", "child.value", "value", 9))
	node.expect(m, named("propertyChanged", field("property", "child.value"), field("value", 9)), "child.value")
	host.do(cmd("set", "property", "podProp", "value", pod(3, "x", 1.5)))
	node.expect(m, named("propertyChanged", field("property", "podProp"), field("value", pod(3, "x", 1.5))), "podProp")
	host.do(cmd("set", "property", "uintProp", "value", 4294967295)) // READONLY: the source's own setter
	node.expect(m, named("propertyChanged", field("property", "uintProp"), field("value", 4294967295)), "uintProp")
	eq(t, node.do(cmd("get", "property", "child.value"))["value"], 9, "get child.value")

	// Signals, in order, with arguments by declared type.
	m = node.mark()
	bts := base64.StdEncoding.EncodeToString([]byte{0, 0xff, 'x'})
	host.do(cmd("emit", "signal", "multi", "args", []any{7, "sig", 2.5, true, bts}))
	host.do(cmd("emit", "signal", "colorPod", "args", []any{7, pod(1, "p", 0.5)}))
	host.do(cmd("emit", "signal", "containers", "args", []any{[]any{"a", ""}, []any{tagged("int", 1)},
		map[string]any{"k": tagged("QString", "v")}}))
	host.do(cmd("emit", "signal", "pulse()"))
	sig := node.expect(m, named("signal", field("signal", "multi")), "multi")
	eq(t, sig["args"], []any{7, "sig", 2.5, true, bts}, "multi args")
	sig = node.expect(m, named("signal", field("signal", "colorPod")), "colorPod")
	eq(t, sig["args"], []any{7, pod(1, "p", 0.5)}, "colorPod args")
	sig = node.expect(m, named("signal", field("signal", "containers")), "containers")
	eq(t, sig["args"], []any{[]any{"a", ""}, []any{tagged("int", 1)}, map[string]any{"k": tagged("QString", "v")}}, "containers args")
	node.expect(m, named("signal", field("signal", "pulse")), "pulse")

	// Slots with replies rendered by the wire type.
	for _, c := range []struct {
		method  string
		args    []any
		value   any
		valType string
	}{
		{"add", []any{2, 3}, 5, "int"},
		{"add", []any{2147483647, 1}, -2147483648, "int"},
		{"echo", []any{"héllo ☃"}, "héllo ☃", "QString"},
		{"echo", []any{nil}, nil, "QString"},
		{"makePod", []any{4, "q"}, pod(4, "q", 2), "TestPod"},
		{"nextColor", []any{1}, 7, "int"},
		{"nextColor", []any{7}, 0, "int"},
		{"echoVariant", []any{tagged("QPoint", map[string]any{"x": 1, "y": -2})}, map[string]any{"x": 1, "y": -2}, "QPoint"},
		{"echoVariant(QVariant)", []any{tagged("Invalid", nil)}, nil, "Invalid"},
	} {
		r := node.do(cmd("call", "method", c.method, "args", c.args))
		eq(t, r["value"], c.value, c.method+" value")
		eq(t, r["valueType"], c.valType, c.method+" valueType")
	}
	m, hm = node.mark(), host.mark()
	r := node.do(cmd("call", "method", "reset", "args", []any{}))
	eq(t, r["void"], true, "void")
	inv := host.expect(hm, named("invoked", field("method", "reset")), "reset invoked")
	eq(t, inv["args"], []any{}, "reset args")
	node.expect(m, named("propertyChanged", field("property", "intProp"), field("value", 0)), "reset -> intProp 0")
	node.expect(m, named("signal", field("signal", "pulse")), "reset -> pulse")
	inv = host.expect(0, named("invoked", field("method", "echoVariant")), "echoVariant invoked")
	eq(t, inv["args"], []any{tagged("QPoint", map[string]any{"x": 1, "y": -2})}, "echoVariant args")

	// Writes and pushes from the replica.
	m, hm = node.mark(), host.mark()
	node.do(cmd("write", "property", "intProp", "value", 77))
	host.expect(hm, named("propertyChanged", field("property", "intProp"), field("value", 77)), "host sees the write")
	node.expect(m, named("propertyChanged", field("property", "intProp"), field("value", 77)), "node sees the write")
	eq(t, path(host.do(cmd("get")), "values", "intProp"), 77, "host get")
	node.do(cmd("push", "property", "boolProp", "value", true))
	inv = host.expect(hm, named("invoked", field("method", "pushBoolProp")), "pushBoolProp invoked")
	eq(t, inv["args"], []any{true}, "push args")
	node.expect(m, named("propertyChanged", field("property", "boolProp"), field("value", true)), "boolProp pushed")
	node.do(cmd("push", "property", "child.value", "value", 11))
	host.expect(hm, named("invoked", field("object", "TestObject.child"), field("method", "pushValue")), "child push")
	node.expect(m, named("propertyChanged", field("property", "child.value"), field("value", 11)), "child.value pushed")
	node.do(cmd("call", "method", "child.pushValue", "args", []any{13}))
	node.expect(m, named("propertyChanged", field("property", "child.value"), field("value", 13)), "child.value via call")
	if mode == "static" {
		node.doFail(cmd("write", "property", "boolProp", "value", false), "notWritable")
	}

	// Command errors.
	host.doFail(cmd("frobnicate"), "unknownCommand")
	host.doFail(cmd("set", "property", "noSuchProp", "value", 1), "unknownProperty")
	host.doFail(cmd("set", "property", "intProp", "value", "five"), "badValue")
	host.doFail(cmd("set", "property", "intProp", "value", int64(1)<<40), "badValue")
	host.doFail(cmd("set", "property", "constantProp", "value", "x"), "notWritable")
	host.doFail(cmd("set", "property", "intProp"), "badArgs")
	host.doFail(cmd("emit", "signal", "noSuchSignal"), "unknownSignal")
	host.doFail(cmd("emit", "signal", "multi", "args", []any{1}), "badArgs")
	host.doFail(cmd("call", "method", "add", "args", []any{1, 2}), "wrongRole")
	host.doFail(cmd("enableRemoting"), "alreadyEnabled")
	host.doFail(cmd("load", "mode", "props", "count", 10), "badArgs") // not a Tick host
	node.doFail(cmd("set", "property", "intProp", "value", 1), "wrongRole")
	node.doFail(cmd("call", "method", "noSuchSlot"), "unknownMethod")
	node.doFail(cmd("call", "method", "add", "args", []any{1}), "badArgs")
	node.doFail(cmd("call", "method", "add", "args", []any{"a", "b"}), "badArgs")
	node.doFail(cmd("push", "property", "intProp", "value", 1), "noPushSlot")
	node.doFail(cmd("get", "property", "nope"), "unknownProperty")
	node.doFail(cmd("call", "replica", "Other", "method", "add", "args", []any{1, 2}), "noReplica")
	node.doFail(cmd("load", "mode", "nonsense"), "unsupported")
	node.doFail(cmd("acquire", "object", "TestObject"), "acquireFailed")
	node.doFail(cmd("acquire", "object", "X", "mode", "sideways"), "badArgs")
	m = host.mark()
	_, _ = host.stdin.Write([]byte("{this is not json\n\n"))
	bad := host.expect(m, named("result", field("ok", false)), "badJson")
	eq(t, bad["error"], "badJson", "badJson error")
	if v, ok := bad["id"]; !ok || v != nil {
		t.Errorf("badJson id = %v, want null", v)
	}
	host.send(map[string]any{"cmd": "sync", "id": 42})
	host.expect(m, named("result", field("id", 42)), "numeric id echoed")
	host.send(map[string]any{"cmd": "sync", "id": "my-id"})
	host.expect(m, named("result", field("id", "my-id")), "string id echoed")

	// State and describe.
	st := host.do(cmd("state"))
	eq(t, st["url"], url, "host state url")
	eq(t, path(st, "remoting", "TestObject"), true, "remoting state")
	eq(t, st["lastError"], "NoError", "lastError")
	st = node.do(cmd("state"))
	eq(t, path(st, "replicas", "TestObject", "state"), "Valid", "replica state")
	eq(t, path(st, "replicas", "TestObject", "mode"), mode, "replica mode")
	api := host.do(cmd("describe"))
	props, _ := path(api, "api", "properties").([]any)
	sigs, _ := path(api, "api", "signals").([]any)
	methods, _ := path(api, "api", "methods").([]any)
	if len(props) != 22 || len(sigs) != 25 || len(methods) != 16 {
		t.Fatalf("api sizes %d/%d/%d", len(props), len(sigs), len(methods))
	}
	eq(t, path(sigs[0].(map[string]any), "signature"), "boolPropChanged(bool)", "signal 0")
	eq(t, path(sigs[0].(map[string]any), "propertyIndex"), 1, "signal 0 property")
	eq(t, path(sigs[21].(map[string]any), "propertyIndex"), -1, "pulse property")
	eq(t, path(methods[11].(map[string]any), "returnType"), "int", "add returns int")
	sigHex, _ := path(api, "api", "signature").(string)
	eq(t, len(sigHex), 40, "signature length")
	eq(t, path(api, "childApi", "signature"), "4f7f456a145fd14108e94728d34fd7b5adbc959e", "child signature")
	mo := node.do(cmd("describe"))
	nprops, _ := path(mo, "metaObject", "properties").([]any)
	eq(t, path(nprops[18].(map[string]any), "name"), "colorProp", "property 18")
	nmethods, _ := path(mo, "metaObject", "methods").([]any)
	eq(t, path(nmethods[15].(map[string]any), "signature"), "echoVariant(QVariant)", "method 15")
	if mode == "static" {
		eq(t, path(mo, "metaObject", "signature"), sigHex, "static replica signature")
	} else {
		eq(t, path(mo, "metaObject", "signature"), nil, "dynamic replica signature")
		eq(t, path(mo, "metaObject", "typeName"), "TestObject", "dynamic replica typeName")
	}

	// A second replica of the same object, then release.
	other := map[string]string{"static": "dynamic", "dynamic": "static"}[mode]
	r = node.do(cmd("acquire", "object", "TestObject", "mode", other, "as", "second"))
	eq(t, r["state"], "Valid", "shared replica state")
	eq(t, node.do(cmd("call", "replica", "second", "method", "add", "args", []any{1, 2}))["value"], 3, "call via second")
	m = node.mark()
	host.do(cmd("set", "property", "intProp", "value", 8))
	node.expect(m, named("propertyChanged", field("replica", "second"), field("value", 8)), "second sees 8")
	node.expect(m, named("propertyChanged", field("replica", "TestObject"), field("value", 8)), "first sees 8")
	node.do(cmd("release", "replica", "second"))
	node.doFail(cmd("release", "replica", "second"), "noReplica")

	// disableRemoting -> Suspect; enableRemoting -> Valid with current values.
	m, hm = node.mark(), host.mark()
	host.do(cmd("disableRemoting"))
	eq(t, host.expect(hm, named("remoting"), "remoting disabled")["enabled"], false, "remoting event")
	eq(t, node.expect(m, named("stateChanged", field("state", "Suspect")), "Suspect")["oldState"], "Valid", "Suspect from")
	host.doFail(cmd("disableRemoting"), "notEnabled")
	host.do(cmd("set", "property", "intProp", "value", 123))
	m = node.mark()
	host.do(cmd("enableRemoting"))
	node.expect(m, named("stateChanged", field("state", "Valid")), "Valid again")
	ini = node.expect(m, named("initialized"), "initialized again")
	eq(t, path(ini, "values", "intProp"), 123, "re-initialized value")
	node.do(cmd("sync"))
	changed := node.eventsSince(m, named("propertyChanged"))
	if mode == "static" && !containsProperty(changed, "intProp") {
		t.Errorf("static re-init did not notify intProp: %v", changed)
	}
	eq(t, node.do(cmd("get", "property", "intProp"))["value"], 123, "get after re-init")
}

func (p *proc) eventsSince(from int, f pred) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for i := from; i < len(p.events); i++ {
		if f(p.events[i]) {
			out = append(out, p.events[i])
		}
	}
	return out
}

func containsProperty(evs []map[string]any, prop string) bool {
	for _, e := range evs {
		if e["property"] == prop {
			return true
		}
	}
	return false
}

// TestPlainAndTick covers the other test objects and the registry.
func TestPlainAndTick(t *testing.T) {
	host := run(t, "plain host", "host", "--url", "tcp://127.0.0.1:0", "--type", "plain")
	eq(t, host.expect(0, named("ready"), "ready")["object"], "Plain", "plain object")
	url, _ := host.expect(0, named("ready"), "ready")["url"].(string)
	if d := host.do(cmd("describe")); d["api"] != nil || d["childApi"] != nil {
		t.Errorf("describe of a plain host has an API: %v", d)
	}
	node := run(t, "plain node", "node", "--url", url, "--type", "plain")
	eq(t, node.expect(0, named("ready"), "ready")["mode"], "dynamic", "plain mode")
	ini := node.expect(0, named("initialized"), "initialized")
	eq(t, ini["values"], map[string]any{"number": 3, "text": "plain", "ratio": 0.25, "color": 1}, "plain values")
	eq(t, path(node.do(cmd("describe")), "metaObject", "signature"), nil, "plain signature")
	node.do(cmd("sync"))
	m := node.mark()
	host.do(cmd("set", "property", "number", "value", 8))
	node.expect(m, named("propertyChanged", field("property", "number"), field("value", 8)), "number 8")
	host.doFail(cmd("set", "property", "ratio", "value", 1), "notWritable")
	eq(t, node.do(cmd("call", "method", "add", "args", []any{2, 3}))["value"], 5, "plain add")
	host.do(cmd("emit", "signal", "pulsed", "args", []any{4, "four"}))
	eq(t, node.expect(m, named("signal", field("signal", "pulsed")), "pulsed")["args"], []any{4, "four"}, "pulsed args")
	node.do(cmd("call", "method", "reset"))
	eq(t, node.expect(m, named("signal", field("signal", "pulsed"), field("args", []any{0, "reset"})), "reset")["args"],
		[]any{0, "reset"}, "reset pulsed")

	// A registry that remotes Tick; a static Tick node finds it there.
	reg := run(t, "registry", "registry", "--url", "tcp://127.0.0.1:0", "--type", "tick")
	regURL, _ := reg.expect(0, named("ready"), "ready")["url"].(string)
	n2 := run(t, "tick node", "node", "--registry", regURL, "--type", "tick", "--static")
	n2.expect(0, named("stateChanged", field("state", "Valid")), "Tick Valid via the registry")
	eq(t, path(n2.do(cmd("state")), "sourceLocations", "Tick", "typeName"), "Tick", "sourceLocations")

	// A host that registers: the node sees remoteObjectAdded/Removed.
	h2 := run(t, "registered host", "host", "--url", "tcp://127.0.0.1:0", "--registry", regURL, "--object", "Other")
	h2URL, _ := h2.expect(0, named("ready"), "ready")["url"].(string)
	added := n2.expect(0, named("remoteObjectAdded", field("name", "Other")), "remoteObjectAdded")
	eq(t, added["hostUrl"], h2URL, "added hostUrl")
	eq(t, added["typeName"], "TestObject", "added typeName")
	m = n2.mark()
	h2.do(cmd("disableRemoting"))
	n2.expect(m, named("remoteObjectRemoved", field("name", "Other")), "remoteObjectRemoved")

	// SignatureMismatch: a static TestObject replica of a Tick source.
	n3 := run(t, "mismatch node", "node", "--registry", regURL, "--object", "Tick", "--static")
	ev := n3.expect(0, named("stateChanged", field("state", "SignatureMismatch")), "SignatureMismatch")
	eq(t, ev["oldState"], "Default", "mismatch from")
}

// TestLoadModes runs every load mode briefly and checks the accounting.
func TestLoadModes(t *testing.T) {
	host := run(t, "tick host", "host", "--url", "tcp://127.0.0.1:0", "--type", "tick")
	url, _ := host.expect(0, named("ready"), "ready")["url"].(string)
	node := run(t, "tick node", "node", "--url", url, "--type", "tick")
	node.expect(0, named("stateChanged", field("state", "Valid")), "Valid")
	const n = 2000
	nm := node.mark()
	eq(t, node.do(cmd("load", "mode", "receive", "count", n, "streams", []any{"props", "signals"}))["baseline"], 0, "baseline")
	node.doFail(cmd("load", "mode", "receive", "count", n), "busy")
	hm := host.mark()
	eq(t, host.do(cmd("load", "mode", "both", "count", n, "batch", 100))["firstCounter"], 1, "firstCounter")
	hs := host.expect(hm, named("loadSummary"), "host summary")
	eq(t, hs["sent"], n, "sent")
	eq(t, hs["turns"], n/100, "turns")
	ns := node.expect(nm, named("loadSummary"), "node summary")
	eq(t, ns["outcome"], "complete", "outcome")
	for _, s := range []string{"props", "signals"} {
		for k, v := range map[string]any{"unique": n, "missing": 0, "duplicates": 0, "reordered": 0, "outOfRange": 0} {
			eq(t, path(ns, "streams", s, k), v, s+" "+k)
		}
	}
	eq(t, path(ns, "streams", "signals", "latency", "count"), n, "latency count")
	if len(node.eventsSince(nm, named("propertyChanged"))) != 0 {
		t.Error("propertyChanged events during a receive run")
	}
	if len(host.eventsSince(hm, named("propertyChanged"))) != 0 {
		t.Error("host propertyChanged events during a load run")
	}

	nm = node.mark()
	eq(t, node.do(cmd("load", "mode", "receive", "count", 50, "streams", []any{"payload"}))["baseline"], n, "baseline after a run")
	hm = host.mark()
	host.do(cmd("load", "mode", "payload", "count", 50, "rate", 500, "payloadBytes", 4096, "progressMs", 10))
	hs = host.expect(hm, named("loadSummary"), "paced summary")
	if el, _ := hs["elapsedNs"].(json.Number).Int64(); el < int64(80*time.Millisecond) {
		t.Errorf("50 steps at 500/s took %d ns", el)
	}
	if len(host.eventsSince(hm, named("loadProgress"))) == 0 {
		t.Error("no loadProgress in a 100 ms run with progressMs 10")
	}
	ns = node.expect(nm, named("loadSummary"), "payload summary")
	eq(t, path(ns, "streams", "payload", "unique"), 50, "payload unique")

	nm = node.mark()
	node.do(cmd("load", "mode", "calls", "count", 200, "inflight", 4))
	cs := node.expect(nm, named("loadSummary", field("mode", "calls")), "calls summary")
	eq(t, cs["completed"], 200, "completed")
	eq(t, cs["mismatches"], 0, "mismatches")
	eq(t, path(cs, "rtt", "count"), 200, "rtt count")

	nm = node.mark()
	node.do(cmd("load", "mode", "replicas", "count", 20))
	rs := node.expect(nm, named("loadSummary", field("mode", "replicas")), "replicas summary")
	eq(t, rs["outcome"], "complete", "replicas outcome")
	eq(t, rs["valid"], 20, "valid")
	eq(t, rs["nodeErrors"], 0, "nodeErrors")
	eq(t, rs["states"], map[string]any{"Valid": 20}, "replica states at the end")
	for _, sum := range []map[string]any{hs, ns, cs, rs} {
		if n, _ := sum["cpuNs"].(json.Number); n == "" || n[0] == '-' {
			t.Errorf("%s summary: cpuNs %v", sum["mode"], sum["cpuNs"])
		}
	}

	// After the runs the host reports property changes again.
	hm = host.mark()
	host.do(cmd("set", "property", "counter", "value", 1))
	host.expect(hm, named("propertyChanged", field("property", "counter")), "counter after the runs")
	host.doFail(cmd("load", "mode", "props", "count", 0), "badArgs")
}

// TestAcquireCycles acquires and releases replicas of a source the node
// already knows (AddObject goes out inside impl/node's Acquire): every
// acquisition reports exactly one Valid and one initialized.
func TestAcquireCycles(t *testing.T) {
	host := run(t, "host", "host", "--url", "tcp://127.0.0.1:0")
	url, _ := host.expect(0, named("ready"), "ready")["url"].(string)
	node := run(t, "node", "node", "--url", url, "--no-acquire")
	node.do(cmd("acquire", "as", "probe"))
	node.expect(0, named("stateChanged", field("replica", "probe"), field("state", "Valid")), "probe Valid")
	node.do(cmd("release", "replica", "probe"))
	const n = 20
	for i := range n {
		key := fmt.Sprintf("k%d", i)
		mode := []string{"static", "dynamic"}[i%2]
		m := node.mark()
		node.do(cmd("acquire", "as", key, "mode", mode))
		node.expect(m, named("stateChanged", field("replica", key), field("state", "Valid")), key+" Valid")
		node.do(cmd("release", "replica", key))
	}
	node.do(cmd("sync"))
	for i := range n {
		key := fmt.Sprintf("k%d", i)
		valid := len(node.eventsSince(0, named("stateChanged", field("replica", key), field("state", "Valid"))))
		inits := len(node.eventsSince(0, named("initialized", field("replica", key))))
		if valid != 1 || inits != 1 {
			var b strings.Builder
			for _, ev := range node.eventsSince(0, func(m map[string]any) bool { return m["replica"] == key }) {
				b.Write(contract.AppendJSON(nil, ev))
				b.WriteByte('\n')
			}
			t.Errorf("%s: %d Valid and %d initialized events; its events:\n%s", key, valid, inits, b.String())
		}
	}
}
