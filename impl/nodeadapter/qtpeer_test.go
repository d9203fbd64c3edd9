package nodeadapter_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/specs/adapter"
)

// The Go adapter against the real Qt peers (fixtures/peer), driven by the
// contract's Go driver: a Go host with a Qt node and a Qt host with a Go
// node, per dialect and replica mode. The adapter runs as a separate
// process, as the harness runs it.

var (
	qtroOnce sync.Once
	qtroBin  string
	qtroErr  error
)

// qtroBinary builds cmd/qtro once (with -race when the tests run with it).
func qtroBinary(t *testing.T) string {
	t.Helper()
	qtroOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qtro-adapter-test-")
		if err != nil {
			qtroErr = err
			return
		}
		qtroBin = filepath.Join(dir, "qtro")
		args := []string{"build", "-o", qtroBin}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "github.com/qtro/qtro/cmd/qtro")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			qtroErr = fmt.Errorf("go build cmd/qtro: %v\n%s", err, out)
		}
	})
	if qtroErr != nil {
		t.Fatal(qtroErr)
	}
	return qtroBin
}

func qtPeer(t *testing.T, major int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bin, err := adapter.QtPeer(ctx, major)
	if err != nil {
		t.Fatalf("the Qt %d peer (ci/build-peers.sh): %v", major, err)
	}
	return bin
}

type side struct {
	name string
	cmd  []string
}

func startAdapter(t *testing.T, s side, role adapter.Role, tmp string, args ...string) *adapter.Adapter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := adapter.Start(ctx, adapter.Config{Command: s.cmd, Role: role, Args: args, TempDir: tmp, Name: s.name + "-" + string(role)})
	if err != nil {
		t.Fatalf("starting %s %s: %v", s.name, role, err)
	}
	t.Cleanup(func() {
		_ = a.Close()
		if v := a.Violations(); len(v) > 0 {
			t.Errorf("%s wrote non-event lines: %q", a.Name(), v)
		}
		if code, _ := a.ExitCode(); code != 0 {
			t.Errorf("%s exited with code %d after the exit command", a.Name(), code)
		}
		if strings.Contains(a.Stderr(), "DATA RACE") {
			t.Errorf("%s: data race:\n%s", a.Name(), a.Stderr())
		}
	})
	return a
}

func TestQtInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Qt peers and cmd/qtro")
	}
	bin := qtroBinary(t)
	for _, major := range []int{5, 6} {
		goSide := side{fmt.Sprintf("go%d", major), []string{bin, "adapter", "--dialect", fmt.Sprintf("qt%d", major)}}
		qtSide := side{fmt.Sprintf("qt%d", major), []string{qtPeer(t, major)}}
		for _, pair := range [][2]side{{goSide, qtSide}, {qtSide, goSide}} {
			for _, mode := range []string{"static", "dynamic"} {
				name := fmt.Sprintf("%s-host/%s-node/%s", pair[0].name, pair[1].name, mode)
				t.Run(name, func(t *testing.T) { interopScenario(t, pair[0], pair[1], mode) })
			}
		}
	}
}

func interopScenario(t *testing.T, hostSide, nodeSide side, mode string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	host := startAdapter(t, hostSide, adapter.Host, tmp, "--url", "tcp://127.0.0.1:0")
	node := startAdapter(t, nodeSide, adapter.Node, tmp, "--url", host.Ready().Str("url"), "--"+mode)
	wait := func(a *adapter.Adapter, mark int, p adapter.Predicate, what string) adapter.Event {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ev, err := a.WaitFor(wctx, mark, p)
		if err != nil {
			t.Fatalf("%s: waiting for %s: %v", a.Name(), what, err)
		}
		return ev
	}
	do := func(a *adapter.Adapter, c adapter.Command) adapter.Event {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ev, err := a.Do(wctx, c)
		if err != nil {
			var ce *adapter.CommandError
			if errors.As(err, &ce) {
				t.Fatalf("%s: %v: %s: %s", a.Name(), c, ce.Code, ce.Message)
			}
			t.Fatalf("%s: %v: %v", a.Name(), c, err)
		}
		return ev
	}
	eq := func(got, want any, what string) {
		t.Helper()
		if !adapter.Equal(got, want) {
			t.Errorf("%s: got %s, want %s", what, adapter.Canonical(got), adapter.Canonical(want))
		}
	}
	wait(node, 0, adapter.StateChanged("TestObject", "Valid"), "Valid")
	ini := wait(node, 0, adapter.Named("initialized"), "initialized")
	eq(ini.Fields["values"], do(host, adapter.Get("")).Fields["values"], "initialized values = the host's values")
	do(node, adapter.Sync())

	// A property of every kind, set on the host: both sides render the same JSON.
	bts := base64.StdEncoding.EncodeToString([]byte{0, 1, 0xfe, 0xff})
	values := []struct {
		prop  string
		value any
	}{
		{"intProp", 5},
		{"longProp", int64(9007199254740993)},
		{"doubleProp", -1.5e300},
		{"floatProp", 0.1},
		{"stringProp", "héllo ☃ 𝄞"},
		{"bytesProp", bts},
		{"stringListProp", []any{"a", "", "ü"}},
		{"variantListProp", []any{adapter.Tagged("int", 1), adapter.Tagged("QString", "x"), adapter.Tagged("QPoint", map[string]any{"x": 3, "y": 4}),
			adapter.Tagged("QVariantMap", map[string]any{"k": adapter.Tagged("double", 0.25)}), adapter.Tagged("qlonglong", int64(1)<<40)}},
		{"variantMapProp", map[string]any{"a": adapter.Tagged("bool", true), "": adapter.Tagged("QByteArray", bts)}},
		{"dateTimeProp", map[string]any{"jd": 2458852, "ms": 1000, "spec": "OffsetFromUTC", "offset": 3600}},
		{"urlProp", "tcp://127.0.0.1:1"},
		{"pointProp", map[string]any{"x": -1, "y": 2147483647}},
		{"sizeProp", map[string]any{"width": 3, "height": 4}},
		{"rectProp", map[string]any{"x": 1, "y": 2, "width": 3, "height": 4}},
		{"pointFProp", map[string]any{"x": 0.5, "y": -0.001}},
		{"colorProp", 7},
		{"podProp", map[string]any{"id": -1, "label": "π", "weight": -0.25}},
		{"child.value", -12},
	}
	for _, v := range values {
		mark := node.Mark()
		res := do(host, adapter.Set(v.prop, v.value))
		ev := wait(node, mark, adapter.PropertyChanged(v.prop), v.prop)
		eq(ev.Fields["value"], res.Fields["value"], "replica value of "+v.prop)
	}
	hostVals := do(host, adapter.Get("")).Fields["values"]
	nodeVals := do(node, adapter.Get("")).Fields["values"]
	eq(nodeVals, hostVals, "all values, host and replica")

	// A signal.
	mark := node.Mark()
	do(host, adapter.Emit("multi", 7, "sig", 2.5, true, bts))
	sig := wait(node, mark, adapter.Signal("multi"), "multi")
	eq(sig.Fields["args"], []any{7, "sig", 2.5, true, bts}, "multi args")

	// Calls with replies.
	for _, c := range []struct {
		call      adapter.Command
		value     any
		valueType string
	}{
		{adapter.Call("add", 2, 3), 5, "int"},
		{adapter.Call("makePod", 4, "q"), map[string]any{"id": 4, "label": "q", "weight": 2}, "TestPod"},
		{adapter.Call("nextColor", 1), 7, "int"},
		{adapter.Call("echoVariant", adapter.Tagged("QPoint", map[string]any{"x": 1, "y": -2})), map[string]any{"x": 1, "y": -2}, "QPoint"},
	} {
		r := do(node, c.call)
		eq(r.Fields["value"], c.value, fmt.Sprint(c.call))
		eq(r.Fields["valueType"], c.valueType, fmt.Sprint(c.call)+" valueType")
	}

	// Writes and pushes from the replica.
	mark, hmark := node.Mark(), host.Mark()
	do(node, adapter.Write("intProp", 77))
	wait(host, hmark, adapter.PropertyChanged("intProp", 77), "host sees the write")
	wait(node, mark, adapter.PropertyChanged("intProp", 77), "replica sees the write")
	do(node, adapter.Push("child.value", 11))
	wait(host, hmark, adapter.Named("invoked", adapter.Field("object", "TestObject.child"), adapter.Field("method", "pushValue")), "child push")
	wait(node, mark, adapter.PropertyChanged("child.value", 11), "child.value pushed")

	// Remoting off and on.
	mark = node.Mark()
	do(host, adapter.DisableRemoting())
	wait(node, mark, adapter.StateChanged("TestObject", "Suspect"), "Suspect")
	do(host, adapter.Set("intProp", 123))
	mark = node.Mark()
	do(host, adapter.EnableRemoting())
	wait(node, mark, adapter.StateChanged("TestObject", "Valid"), "Valid again")
	wait(node, mark, adapter.PropertyChanged("intProp", 123), "intProp after re-init")
}

// TestQtInteropPlainAndRegistry: the plain QObject through the dynamic API
// and a registry, across implementations.
func TestQtInteropPlainAndRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Qt peers and cmd/qtro")
	}
	bin := qtroBinary(t)
	for _, major := range []int{5, 6} {
		goSide := side{fmt.Sprintf("go%d", major), []string{bin, "adapter", "--dialect", fmt.Sprintf("qt%d", major)}}
		qtSide := side{fmt.Sprintf("qt%d", major), []string{qtPeer(t, major)}}
		for _, pair := range [][2]side{{goSide, qtSide}, {qtSide, goSide}} {
			t.Run(fmt.Sprintf("%s-host/%s-node", pair[0].name, pair[1].name), func(t *testing.T) {
				plainAndRegistry(t, pair[0], pair[1])
			})
		}
	}
}

func plainAndRegistry(t *testing.T, hostSide, nodeSide side) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	wait := func(a *adapter.Adapter, mark int, p adapter.Predicate, what string) adapter.Event {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ev, err := a.WaitFor(wctx, mark, p)
		if err != nil {
			t.Fatalf("%s: waiting for %s: %v", a.Name(), what, err)
		}
		return ev
	}
	do := func(a *adapter.Adapter, c adapter.Command) adapter.Event {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		ev, err := a.Do(wctx, c)
		if err != nil {
			t.Fatalf("%s: %v: %v", a.Name(), c, err)
		}
		return ev
	}
	eq := func(got, want any, what string) {
		t.Helper()
		if !adapter.Equal(got, want) {
			t.Errorf("%s: got %s, want %s", what, adapter.Canonical(got), adapter.Canonical(want))
		}
	}

	// The registry is on the host's side; the host registers with it, the
	// node finds the host through it.
	reg := startAdapter(t, hostSide, adapter.Registry, tmp, "--url", "tcp://127.0.0.1:0")
	regURL := reg.Ready().Str("url")
	node := startAdapter(t, nodeSide, adapter.Node, tmp, "--registry", regURL, "--type", "plain")
	host := startAdapter(t, hostSide, adapter.Host, tmp, "--url", "tcp://127.0.0.1:0", "--type", "plain", "--registry", regURL)
	ini := wait(node, 0, adapter.Named("initialized"), "initialized")
	// The node's ready comes before it reaches the registry, so the host may
	// register first: then Plain is in the registry's first snapshot, which
	// Qt's node does not announce (QRemoteObjectNodePrivate::onRegistryInitialized
	// only connects), and neither does ours. When it is announced, it must
	// name the host.
	if added := node.EventsSince(0, adapter.Named("remoteObjectAdded", adapter.Field("name", "Plain"))); len(added) > 0 {
		eq(added[0].Fields["hostUrl"], host.Ready().Str("url"), "registered host URL")
	}
	eq(ini.Fields["values"], map[string]any{"number": 3, "text": "plain", "ratio": 0.25, "color": 1}, "plain values")
	do(node, adapter.Sync())
	mark := node.Mark()
	do(host, adapter.Set("number", 8))
	wait(node, mark, adapter.PropertyChanged("number", 8), "number 8")
	do(host, adapter.Set("text", "ü"))
	wait(node, mark, adapter.PropertyChanged("text", "ü"), "text")
	do(host, adapter.Set("color", 7))
	wait(node, mark, adapter.PropertyChanged("color", 7), "color")
	eq(do(node, adapter.Call("add", 2, 3)).Fields["value"], 5, "add")
	eq(do(node, adapter.Call("echo", "x")).Fields["value"], "x", "echo")
	do(host, adapter.Emit("pulsed", 4, "four"))
	eq(wait(node, mark, adapter.Signal("pulsed"), "pulsed").Fields["args"], []any{4, "four"}, "pulsed args")
	mark = node.Mark()
	do(node, adapter.Call("reset"))
	wait(node, mark, adapter.PropertyChanged("number", 0), "reset number")
	eq(wait(node, mark, adapter.Signal("pulsed"), "reset pulsed").Fields["args"], []any{0, "reset"}, "reset args")
	mark = node.Mark()
	do(host, adapter.DisableRemoting())
	wait(node, mark, adapter.Named("remoteObjectRemoved", adapter.Field("name", "Plain")), "remoteObjectRemoved")
	wait(node, mark, adapter.StateChanged("Plain", "Suspect"), "Suspect")
}
