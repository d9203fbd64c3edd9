package adapter_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/adapter"
)

// Tests of adapter.Check against real adapters (the Go reference node, the pyqtro example, the Qt 6
// peer) and against deliberately broken ones. QTRO_BIN=path uses a prebuilt qtro binary instead of
// building ./cmd/qtro; QTRO_QT6_PEER points at the Qt 6 peer as for the locator.

// checkCtx bounds one Check run.
func checkCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// runCheck runs Check, logs the report lines and returns the report.
func runCheck(t *testing.T, ctx context.Context, cfg adapter.CheckConfig) adapter.CheckReport {
	t.Helper()
	if cfg.TempDir == "" {
		// Short: local: socket paths must stay under ~100 bytes, which t.TempDir() may not.
		dir, err := os.MkdirTemp("", "qc-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		cfg.TempDir = dir
	}
	rep := adapter.Check(ctx, cfg)
	var b strings.Builder
	for _, r := range rep.Results {
		b.WriteString(r.String() + "\n")
	}
	b.WriteString(rep.Summary())
	t.Logf("adapter-check -- %s\n%s", strings.Join(cfg.Command, " "), b.String())
	return rep
}

// wantOutcomes asserts the outcome of the named items.
func wantOutcomes(t *testing.T, rep adapter.CheckReport, want map[string]adapter.CheckOutcome) {
	t.Helper()
	for name, o := range want {
		r, ok := rep.Result(name)
		switch {
		case !ok:
			t.Errorf("no item %s in the report", name)
		case r.Outcome != o:
			t.Errorf("%s: %s, want %s (%s)", name, r.Outcome, o, r.Message)
		}
	}
}

// wantNoFailures asserts that no item failed.
func wantNoFailures(t *testing.T, rep adapter.CheckReport) {
	t.Helper()
	for _, r := range rep.Results {
		if r.Outcome == adapter.CheckFail {
			t.Errorf("unexpected failure: %s", r)
		}
	}
	if rep.Failed() {
		t.Errorf("report: %s", rep.Summary())
	}
}

// qtroBinary returns $QTRO_BIN or a freshly built ./cmd/qtro.
func qtroBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("QTRO_BIN"); p != "" {
		return p
	}
	root, err := checkout.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "qtro")
	build := exec.Command("go", "build", "-o", bin, "./cmd/qtro")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building qtro: %v\n%s", err, out)
	}
	return bin
}

// TestCheckGoAdapter: the Go reference node (`qtro adapter`) passes in every role, whether it
// answers hello (contract 2) or not (contract 1).
func TestCheckGoAdapter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds qtro")
	}
	bin := qtroBinary(t)
	rep := runCheck(t, checkCtx(t, 5*time.Minute), adapter.CheckConfig{Command: []string{bin, "adapter"}})
	wantNoFailures(t, rep)
	want := map[string]adapter.CheckOutcome{"hello": adapter.CheckPass}
	if rep.Declared {
		t.Logf("the Go adapter says hello: contract %d", rep.Contract)
		for _, role := range []string{"host", "registry", "node"} {
			want[role+"/capabilities"] = adapter.CheckPass
		}
	} else if rep.Contract != 1 {
		t.Errorf("contract %d without a hello", rep.Contract)
	}
	for _, role := range []string{"host", "registry", "node"} {
		for _, item := range []string{"start", "ready", "sync", "id-string", "id-number", "id-int64", "bad-json",
			"empty-line", "unknown-command", "state", "describe", "wrong-role", "one-result-per-line",
			"exit-code", "stdin-eof", "sigterm", "hygiene"} {
			want[role+"/"+item] = adapter.CheckPass
		}
	}
	for _, item := range []string{"usage/unknown-flag", "usage/missing-value", "usage/node-without-url",
		"host/remoting", "host/get", "host/set-unknown", "node/acquired", "node/valid", "node/get"} {
		want[item] = adapter.CheckPass
	}
	wantOutcomes(t, rep, want)
}

// TestCheckPyqtro: the Python example (contract 2, host on local: with Plain only) passes what it
// declares and is unsupported for the rest.
func TestCheckPyqtro(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI has no python3: %v", err)
		}
		t.Skipf("SKIPPED, NOT PASSED: no python3: %v", err)
	}
	root, err := checkout.Root()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "specs", "examples", "pyqtro", "pyqtro.py")
	rep := runCheck(t, checkCtx(t, 3*time.Minute), adapter.CheckConfig{Command: []string{py, script}})
	wantNoFailures(t, rep)
	if rep.Contract != 2 || !rep.Declared || rep.Adapter != "pyqtro" {
		t.Errorf("contract %d, declared %v, adapter %q; want pyqtro's contract-2 hello", rep.Contract, rep.Declared, rep.Adapter)
	}
	wantOutcomes(t, rep, map[string]adapter.CheckOutcome{
		"hello":                  adapter.CheckPass,
		"usage/unknown-flag":     adapter.CheckPass,
		"usage/node-without-url": adapter.CheckUnsupported,
		"host/start":             adapter.CheckPass,
		"host/ready":             adapter.CheckPass,
		"host/capabilities":      adapter.CheckPass,
		"host/remoting":          adapter.CheckPass,
		"host/get":               adapter.CheckPass,
		"host/set-unknown":       adapter.CheckPass,
		"host/wrong-role":        adapter.CheckPass,
		"host/exit-code":         adapter.CheckPass,
		"host/stdin-eof":         adapter.CheckPass,
		"host/sigterm":           adapter.CheckPass,
		"host/hygiene":           adapter.CheckPass,
		"registry/start":         adapter.CheckUnsupported,
		"node/start":             adapter.CheckUnsupported,
	})
	if r, _ := rep.Result("host/start"); !strings.Contains(r.Message, "local:") {
		t.Errorf("pyqtro declares only local:, host/start says %q", r.Message)
	}
}

// TestCheckQt6Peer: the real Qt 6 peer passes, if it has been built (ci/build-peers.sh 6).
func TestCheckQt6Peer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Qt 6 peer")
	}
	root, err := checkout.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := checkout.Qt6Peer.Path(root)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI has no Qt 6 peer (ci/build-peers.sh 6 builds it): %v", err)
		}
		t.Skipf("SKIPPED, NOT PASSED: no Qt 6 peer at %s (run ci/build-peers.sh 6 or set %s)", bin, checkout.EnvQt6Peer)
	}
	rep := runCheck(t, checkCtx(t, 5*time.Minute), adapter.CheckConfig{Command: []string{bin}})
	wantNoFailures(t, rep)
	wantOutcomes(t, rep, map[string]adapter.CheckOutcome{
		"hello": adapter.CheckPass, "host/start": adapter.CheckPass, "node/start": adapter.CheckPass,
		"node/valid": adapter.CheckPass, "host/sigterm": adapter.CheckPass,
	})
}

// brokenAdapter is a tiny adapter in POSIX sh; its first argument selects how it breaks the contract:
//
//	banner  contract 1, host only: a banner line on stdout before ready; ready without pid, with an
//	        unbound tcp port and a protocol that does not fit qtMajor; ignores unknown flags; answers
//	        every line ok:true with the id turned into a string; ignores the exit code and SIGTERM
//	badhello  a hello line whose capabilities have the wrong types; then nothing is supported
//	liar    a valid contract-2 hello declaring host/tcp/testobject, yet host exits 127
const brokenAdapter = `#!/bin/sh
mode=$1; shift
role=$1
ev() { printf '{"event":"%s","mono":%s000000000,"wall":"%s"%s}\n' "$1" "$(date +%s)" "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)" "$2"; }
unsupported() { ev unsupported ',"feature":"'"$1"'","message":"not here"'; exit 127; }
case $mode in
badhello)
	if [ "$role" = hello ]; then
		echo '{"event":"hello","contract":2,"adapter":"broken","qtMajor":6,"protocol":"QtRO 2.0","capabilities":{"roles":["host"],"registry":"yes"}}'
		exit 0
	fi
	unsupported "role:$role" ;;
liar)
	if [ "$role" = hello ]; then
		echo '{"event":"hello","contract":2,"adapter":"liar","qtMajor":6,"protocol":"QtRO 2.0","capabilities":{"roles":["host"],"transports":["tcp"],"types":["testobject"],"sourceApis":["static"],"replicaModes":[],"registry":false,"heartbeat":false,"load":[]}}'
		exit 0
	fi
	last=
	for a in "$@"; do
		[ "$a" = --no-such-flag ] && exit 2
		last=$a
	done
	[ "$last" = --url ] && exit 2
	unsupported "role:$role" ;;
esac
# banner
case $role in
hello) exit 127 ;;
host) ;;
*) unsupported "role:$role" ;;
esac
trap '' TERM
echo "broken adapter 0.1 starting"
ev ready ',"role":"host","adapter":"broken","contract":1,"qt":"0.1","qtMajor":6,"protocol":"QtRO 1.3","url":"tcp://127.0.0.1:0","object":"TestObject","type":"testobject"'
ev remoting ',"object":"TestObject","enabled":true'
while IFS= read -r line; do
	[ -z "$line" ] && continue
	id=$(printf '%s' "$line" | sed -n 's/.*"id":\([^,}]*\).*/\1/p' | tr -d '"' | sed 's/\\/\\\\/g')
	cmd=$(printf '%s' "$line" | sed -n 's/.*"cmd":"\([^"]*\)".*/\1/p')
	ev result ',"id":"'"$id"'","cmd":"'"$cmd"'","ok":true'
	if [ "$cmd" = exit ]; then
		ev exiting ',"reason":"command","code":0'
		exit 0
	fi
done
exit 0
`

// brokenConfig writes brokenAdapter and returns a CheckConfig running it in mode.
func brokenConfig(t *testing.T, mode string) adapter.CheckConfig {
	t.Helper()
	script := filepath.Join(t.TempDir(), "broken.sh")
	if err := os.WriteFile(script, []byte(brokenAdapter), 0o755); err != nil {
		t.Fatal(err)
	}
	return adapter.CheckConfig{Command: []string{"/bin/sh", script, mode}, CommandTimeout: 3 * time.Second}
}

// TestCheckBrokenAdapter: the checker fails exactly the items a broken adapter breaks.
func TestCheckBrokenAdapter(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("SKIPPED, NOT PASSED: no /bin/sh: %v", err)
	}
	t.Run("banner", func(t *testing.T) {
		rep := runCheck(t, checkCtx(t, 2*time.Minute), brokenConfig(t, "banner"))
		wantOutcomes(t, rep, map[string]adapter.CheckOutcome{
			"hello":                    adapter.CheckPass, // contract 1: exit 127
			"usage/unknown-flag":       adapter.CheckFail, // it starts anyway
			"usage/missing-value":      adapter.CheckFail,
			"usage/node-without-url":   adapter.CheckUnsupported,
			"host/start":               adapter.CheckPass,
			"host/ready":               adapter.CheckFail, // no pid, port 0, QtRO 1.3 with qtMajor 6
			"host/remoting":            adapter.CheckPass,
			"host/sync":                adapter.CheckPass,
			"host/id-string":           adapter.CheckFail,
			"host/id-number":           adapter.CheckFail, // 4242 comes back as "4242"
			"host/id-int64":            adapter.CheckFail,
			"host/bad-json":            adapter.CheckFail,
			"host/empty-line":          adapter.CheckPass,
			"host/unknown-command":     adapter.CheckFail,
			"host/state":               adapter.CheckFail, // no role
			"host/get":                 adapter.CheckFail, // no values
			"host/set-unknown":         adapter.CheckFail,
			"host/wrong-role":          adapter.CheckFail,
			"host/one-result-per-line": adapter.CheckPass,
			"host/exit-code":           adapter.CheckFail, // exits 0, not 7
			"host/stdin-eof":           adapter.CheckPass,
			"host/stdin-eof-exiting":   adapter.CheckWarn, // SHOULD, not strict
			"host/sigterm":             adapter.CheckFail, // ignored
			"host/hygiene":             adapter.CheckFail, // the banner
			"registry/start":           adapter.CheckUnsupported,
			"node/start":               adapter.CheckUnsupported,
		})
		for _, want := range []struct{ item, text string }{
			{"host/ready", `"pid"`},
			{"host/ready", "port actually bound"},
			{"host/ready", `want "QtRO 2.0"`},
			{"host/hygiene", "broken adapter 0.1 starting"},
			{"host/id-number", `"4242"`},
		} {
			if r, _ := rep.Result(want.item); !strings.Contains(r.Message, want.text) {
				t.Errorf("%s: message %q does not mention %s", want.item, r.Message, want.text)
			}
		}
		if !rep.Failed() {
			t.Error("the report does not fail")
		}
	})
	t.Run("strict", func(t *testing.T) {
		cfg := brokenConfig(t, "banner")
		cfg.Strict = true
		rep := runCheck(t, checkCtx(t, 2*time.Minute), cfg)
		wantOutcomes(t, rep, map[string]adapter.CheckOutcome{"host/stdin-eof-exiting": adapter.CheckFail})
		if rep.Counts[adapter.CheckWarn] != 0 {
			t.Errorf("%d warnings with Strict", rep.Counts[adapter.CheckWarn])
		}
	})
	t.Run("badhello", func(t *testing.T) {
		rep := runCheck(t, checkCtx(t, time.Minute), brokenConfig(t, "badhello"))
		wantOutcomes(t, rep, map[string]adapter.CheckOutcome{
			"hello":          adapter.CheckFail,
			"host/start":     adapter.CheckUnsupported,
			"registry/start": adapter.CheckUnsupported,
			"node/start":     adapter.CheckUnsupported,
		})
		if r, _ := rep.Result("hello"); !strings.Contains(r.Message, "registry") {
			t.Errorf("hello: %q does not name the bad field", r.Message)
		}
		if rep.Declared || rep.Contract != 1 {
			t.Errorf("a broken hello must leave the contract-1 view, got contract %d declared %v", rep.Contract, rep.Declared)
		}
	})
	t.Run("liar", func(t *testing.T) {
		rep := runCheck(t, checkCtx(t, time.Minute), brokenConfig(t, "liar"))
		wantOutcomes(t, rep, map[string]adapter.CheckOutcome{
			"hello":                  adapter.CheckPass,
			"usage/unknown-flag":     adapter.CheckPass,
			"usage/missing-value":    adapter.CheckPass,
			"usage/node-without-url": adapter.CheckUnsupported,
			"host/start":             adapter.CheckFail, // declared, yet 127
			"registry/start":         adapter.CheckUnsupported,
			"node/start":             adapter.CheckUnsupported,
		})
	})
}

// TestCheckReportSummary: the summary line and the failure verdict follow the counts.
func TestCheckReportSummary(t *testing.T) {
	rep := adapter.CheckReport{Counts: map[adapter.CheckOutcome]int{
		adapter.CheckPass: 3, adapter.CheckUnsupported: 2, adapter.CheckWarn: 1,
	}}
	if got, want := rep.Summary(), "adapter-check: 3 passed, 0 failed, 2 unsupported, 1 warnings (SHOULD items; --strict fails them)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if rep.Failed() {
		t.Error("a report with warnings only must not fail")
	}
	rep.Counts[adapter.CheckFail] = 1
	if !rep.Failed() {
		t.Error("a report with a failure must fail")
	}
	r := adapter.CheckResult{Name: "hello", Outcome: adapter.CheckPass, Message: "contract 2"}
	if got := r.String(); got != "PASS hello: contract 2" {
		t.Errorf("String() = %q", got)
	}
	if rep := adapter.Check(context.Background(), adapter.CheckConfig{}); !rep.Failed() || rep.Started.IsZero() {
		t.Error("Check without a command must fail")
	}
}
