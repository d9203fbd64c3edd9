package adapter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeEnv selects a fake adapter behaviour when the test binary re-executes itself.
const fakeEnv = "QTRO_FAKE_ADAPTER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(runFake(mode))
	}
	// Ginkgo's interrupt handler (started by RunSpecs for the Qt peer specs) lives for the whole process.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"))
}

// runFake is a tiny adapter used to test the driver without Qt.
func runFake(mode string) int {
	emit := func(name string, fields map[string]any) {
		ev := map[string]any{"event": name, "mono": time.Now().UnixNano(), "wall": time.Now().UTC().Format(time.RFC3339Nano)}
		for k, v := range fields {
			ev[k] = v
		}
		b, _ := json.Marshal(ev)
		fmt.Println(string(b))
	}
	switch mode {
	case "unsupported":
		emit("unsupported", map[string]any{"feature": "role:" + os.Args[len(os.Args)-1]})
		return 127
	case "fatal":
		emit("fatal", map[string]any{"stage": "listen", "error": "ListenFailed", "message": "port in use"})
		return 1
	case "noready":
		time.Sleep(time.Minute)
		return 0
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		emit("ready", map[string]any{"role": "host"})
		time.Sleep(time.Minute)
		return 0
	case "grandchild":
		// A child that inherits stdout and outlives us, as a container runner might leave behind.
		c := exec.Command("sleep", "60")
		c.Stdout = os.Stdout
		_ = c.Start()
		emit("ready", map[string]any{"role": "host"})
	default:
		emit("ready", map[string]any{"role": "host", "tz": os.Getenv("TZ")})
	}
	fmt.Fprintln(os.Stderr, "fake adapter: log line")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var c map[string]any
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			emit("result", map[string]any{"id": nil, "ok": false, "error": "badJson", "message": err.Error()})
			continue
		}
		switch c["cmd"] {
		case "exit":
			emit("result", map[string]any{"id": c["id"], "cmd": "exit", "ok": true})
			code, _ := c["code"].(float64)
			return int(code)
		case "fail":
			emit("result", map[string]any{"id": c["id"], "cmd": "fail", "ok": false, "error": "boom", "message": "it failed"})
		case "garbage":
			fmt.Println("this is not JSON")
			emit("result", map[string]any{"id": c["id"], "cmd": "garbage", "ok": true})
		case "big":
			emit("result", map[string]any{"id": c["id"], "cmd": "big", "ok": true, "n": json.Number("9007199254740993")})
		case "crash":
			return 3
		default:
			emit("result", map[string]any{"id": c["id"], "cmd": c["cmd"], "ok": true})
		}
	}
	return 0
}

func fakeConfig(t *testing.T, mode string) Config {
	t.Helper()
	return Config{
		Command:      []string{os.Args[0]},
		Role:         Host,
		Env:          []string{fakeEnv + "=" + mode},
		Name:         "fake-" + mode,
		ReadyTimeout: 10 * time.Second,
		ExitTimeout:  500 * time.Millisecond,
		KillTimeout:  500 * time.Millisecond,
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStartDoAndExit(t *testing.T) {
	ctx := testCtx(t)
	a, err := Start(ctx, fakeConfig(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Ready().Str("tz"); got != "UTC" {
		t.Errorf("adapter environment TZ = %q, want UTC", got)
	}
	ev, err := a.Do(ctx, Sync())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "result" || ev.Str("cmd") != "sync" {
		t.Errorf("Do(sync) = %s", ev)
	}
	ev, err = a.Do(ctx, Command{"cmd": "sync", "id": 7})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := ev.Int("id"); !ok || n != 7 {
		t.Errorf("numeric id not kept: %s", ev)
	}
	ev, err = a.Do(ctx, Command{"cmd": "big"})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := ev.Int("n"); !ok || n != 9007199254740993 {
		t.Errorf("64-bit integer lost: %v %v", n, ok)
	}
	_, err = a.Do(ctx, Command{"cmd": "fail"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Code != "boom" || ce.Message != "it failed" {
		t.Errorf("Do(fail) error = %v, want CommandError boom", err)
	}
	if _, err := a.Do(ctx, Exit(4)); err != nil {
		t.Fatal(err)
	}
	code, err := a.Wait(ctx)
	if err != nil || code != 4 {
		t.Errorf("exit code = %d, %v; want 4", code, err)
	}
	if !strings.Contains(a.Stderr(), "fake adapter: log line") {
		t.Errorf("stderr not collected: %q", a.Stderr())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(Sync()); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestUnsupportedIsTyped(t *testing.T) {
	_, err := Start(testCtx(t), fakeConfig(t, "unsupported"))
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Start = %v, want ErrUnsupported", err)
	}
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Feature != "role:host" {
		t.Errorf("UnsupportedError = %#v", ue)
	}
}

func TestFatalExitIsExitError(t *testing.T) {
	_, err := Start(testCtx(t), fakeConfig(t, "fatal"))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || ee.Fatal == nil || ee.Fatal.Str("error") != "ListenFailed" {
		t.Fatalf("Start = %v, want ExitError code 1 with the fatal event", err)
	}
	if errors.Is(err, ErrUnsupported) {
		t.Error("exit 1 must not count as unsupported")
	}
}

func TestReadyTimeout(t *testing.T) {
	cfg := fakeConfig(t, "noready")
	cfg.ReadyTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := Start(testCtx(t), cfg)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ready timeout and cleanup took %v", d)
	}
}

func TestCloseEscalatesToKill(t *testing.T) {
	a, err := Start(testCtx(t), fakeConfig(t, "stubborn"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _ := a.ExitCode(); code != -1 {
		t.Errorf("exit code = %d, want -1 (killed)", code)
	}
	if d := a.ExitDescription(); d != "was killed by SIGKILL" {
		t.Errorf("ExitDescription = %q, want was killed by SIGKILL", d)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
}

// TestExitDescription: how an adapter ended reads as a user needs it, for
// a plain exit code and for a wrapper shell that reports a signal as 128+N.
func TestExitDescription(t *testing.T) {
	for _, c := range []struct {
		code float64
		want string
	}{{3, "exited with code 3"}, {139, "was killed by SIGSEGV (exit code 139 from a wrapper)"}} {
		a, err := Start(testCtx(t), fakeConfig(t, "ok"))
		if err != nil {
			t.Fatal(err)
		}
		if d := a.ExitDescription(); d != "" {
			t.Errorf("while running: %q", d)
		}
		_, _ = a.Do(testCtx(t), Command{"cmd": "exit", "code": c.code})
		if _, err := a.Wait(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if d := a.ExitDescription(); d != c.want {
			t.Errorf("exit %v: %q, want %q", c.code, d, c.want)
		}
		_ = a.Close()
	}
}

func TestCloseKillsGrandchildren(t *testing.T) {
	a, err := Start(testCtx(t), fakeConfig(t, "grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung on a grandchild holding stdout")
	}
}

func TestWaitForReportsExitAndViolations(t *testing.T) {
	ctx := testCtx(t)
	a, err := Start(ctx, fakeConfig(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Do(ctx, Command{"cmd": "garbage"}); err != nil {
		t.Fatal(err)
	}
	if v := a.Violations(); len(v) != 1 || !strings.Contains(v[0], "this is not JSON") {
		t.Errorf("Violations = %q", v)
	}
	mark := a.Mark()
	if _, err := a.Send(Command{"cmd": "crash"}); err != nil {
		t.Fatal(err)
	}
	_, err = a.WaitFor(ctx, mark, Named("never"))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || !errors.Is(err, ErrExited) {
		t.Errorf("WaitFor after crash = %v, want ExitError code 3", err)
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	a, err := Start(testCtx(t), fakeConfig(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = a.WaitFor(ctx, 0, Named("never"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "ready") {
		t.Errorf("WaitFor = %v, want deadline error naming the last events", err)
	}
}

func TestStdinEOFExits(t *testing.T) {
	ctx := testCtx(t)
	a, err := Start(ctx, fakeConfig(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CloseStdin(); err != nil {
		t.Fatal(err)
	}
	if code, err := a.Wait(ctx); err != nil || code != 0 {
		t.Errorf("exit after stdin EOF = %d, %v", code, err)
	}
}

func TestParseEventEnvelope(t *testing.T) {
	good := `{"event":"ready","mono":123,"wall":"2026-01-02T03:04:05.123456Z","role":"host"}`
	ev, err := parseEvent([]byte(good))
	if err != nil || ev.Name != "ready" || ev.Mono != 123 || ev.Wall.Year() != 2026 {
		t.Fatalf("parseEvent(good) = %+v, %v", ev, err)
	}
	for _, bad := range []string{
		`not json`,
		`[1,2]`,
		`{"mono":1,"wall":"2026-01-02T03:04:05Z"}`,
		`{"event":"x","wall":"2026-01-02T03:04:05Z"}`,
		`{"event":"x","mono":1.5,"wall":"2026-01-02T03:04:05Z"}`,
		`{"event":"x","mono":1,"wall":"yesterday"}`,
		`{"event":"x","mono":1,"wall":"2026-01-02T03:04:05Z"} {}`,
	} {
		if _, err := parseEvent([]byte(bad)); err == nil {
			t.Errorf("parseEvent(%s) accepted a malformed event", bad)
		}
	}
}

func TestEqualAndCanonical(t *testing.T) {
	dec := func(s string) any {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		a, b any
		eq   bool
	}{
		{dec(`2`), 2, true},
		{dec(`2.0`), 2, true},
		{dec(`2.5`), 2.5, true},
		{dec(`9007199254740993`), int64(9007199254740993), true},
		{dec(`9007199254740993`), int64(9007199254740992), false},
		{dec(`18446744073709551615`), uint64(18446744073709551615), true},
		{dec(`{"x":1,"y":[true,null,"s"]}`), map[string]any{"y": []any{true, nil, "s"}, "x": 1}, true},
		{dec(`{"x":1}`), map[string]any{"x": 1, "y": 2}, false},
		{dec(`null`), nil, true},
		{dec(`""`), nil, false},
		{dec(`[1,2]`), []any{2, 1}, false},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.eq {
			t.Errorf("Equal(%v, %v) = %v, want %v", c.a, c.b, got, c.eq)
		}
		if got := Canonical(c.a) == Canonical(c.b); got != c.eq {
			t.Errorf("Canonical(%v)=%s vs Canonical(%v)=%s: equal=%v, want %v", c.a, Canonical(c.a), c.b, Canonical(c.b), got, c.eq)
		}
	}
	if got := Canonical(dec(`{"b":2.50,"a":[1e2]}`)); got != `{"a":[100],"b":2.5}` {
		t.Errorf("Canonical = %s", got)
	}
}

func TestPredicates(t *testing.T) {
	ev, err := parseEvent([]byte(`{"event":"propertyChanged","mono":1,"wall":"2026-01-02T03:04:05Z","replica":"R","property":"pointProp","value":{"x":1,"y":-2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !PropertyChanged("pointProp", map[string]any{"x": 1, "y": -2})(ev) {
		t.Error("PropertyChanged with value did not match")
	}
	if PropertyChanged("pointProp", map[string]any{"x": 1, "y": 2})(ev) {
		t.Error("PropertyChanged matched a different value")
	}
	if !Named("propertyChanged", FieldPath(-2, "value", "y"))(ev) {
		t.Error("FieldPath did not match")
	}
	if StateChanged("R", "Valid")(ev) {
		t.Error("StateChanged matched a propertyChanged event")
	}
}
