package nodeadapter

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	spec "github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// proc runs Main in-process with pipes, the way the harness runs the binary.
type proc struct {
	t      *testing.T
	name   string
	stdin  *io.PipeWriter
	sig    chan os.Signal
	stderr *lockedBuffer
	exit   chan int

	mu     sync.Mutex
	wake   chan struct{}
	events []map[string]any
	bad    []string
	nextID int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const waitTimeout = 10 * time.Second

// run starts an adapter; it fails the test if no ready event comes.
func run(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := startProc(t, name, args...)
	if _, ok := p.waitFor(named("ready"), waitTimeout); !ok {
		t.Fatalf("%s: no ready event; stderr:\n%s", name, p.stderr.String())
	}
	return p
}

func startProc(t *testing.T, name string, args ...string) *proc {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &proc{t: t, name: name, stdin: inW, sig: make(chan os.Signal, 1), stderr: &lockedBuffer{}, exit: make(chan int, 1),
		wake: make(chan struct{})}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Text()
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			var m map[string]any
			err := dec.Decode(&m)
			p.mu.Lock()
			if err != nil || m["event"] == nil || m["mono"] == nil || m["wall"] == nil {
				p.bad = append(p.bad, line)
			} else {
				p.events = append(p.events, m)
			}
			close(p.wake)
			p.wake = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	go func() {
		code := Main(args, IO{Stdin: inR, Stdout: outW, Stderr: p.stderr, Signals: p.sig, Getenv: func(string) string { return "" }})
		_ = outW.Close()
		_ = inR.Close()
		<-readerDone
		p.mu.Lock()
		close(p.wake)
		p.wake = make(chan struct{})
		p.mu.Unlock()
		p.exit <- code
	}()
	t.Cleanup(func() { p.close() })
	return p
}

// close ends the adapter (exit command, else EOF) and checks its stdout.
func (p *proc) close() int {
	_, _ = fmt.Fprintln(p.stdin, `{"cmd":"exit","id":"close"}`)
	_ = p.stdin.Close()
	select {
	case code := <-p.exit:
		p.exit <- code
		p.mu.Lock()
		bad := p.bad
		p.mu.Unlock()
		if len(bad) > 0 {
			p.t.Errorf("%s wrote non-event lines: %q", p.name, bad)
		}
		return code
	case <-time.After(waitTimeout):
		p.t.Fatalf("%s did not exit", p.name)
		return -1
	}
}

func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events)
}

type pred func(map[string]any) bool

func named(name string, conds ...pred) pred {
	return func(m map[string]any) bool {
		if m["event"] != name {
			return false
		}
		for _, c := range conds {
			if !c(m) {
				return false
			}
		}
		return true
	}
}

func field(key string, want any) pred {
	return func(m map[string]any) bool { v, ok := m[key]; return ok && spec.Equal(v, want) }
}

func (p *proc) waitFrom(from int, f pred, d time.Duration) (map[string]any, bool) {
	deadline := time.After(d)
	for {
		p.mu.Lock()
		for i := from; i < len(p.events); i++ {
			if f(p.events[i]) {
				ev := p.events[i]
				p.mu.Unlock()
				return ev, true
			}
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			return nil, false
		}
	}
}

func (p *proc) waitFor(f pred, d time.Duration) (map[string]any, bool) { return p.waitFrom(0, f, d) }

// expect waits for an event from mark on.
func (p *proc) expect(mark int, f pred, what string) map[string]any {
	p.t.Helper()
	ev, ok := p.waitFrom(mark, f, waitTimeout)
	if !ok {
		p.t.Fatalf("%s: no %s; last events:\n%s", p.name, what, p.tail(6))
	}
	return ev
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for i := max(0, len(p.events)-n); i < len(p.events); i++ {
		b.Write(contract.AppendJSON(nil, p.events[i]))
		b.WriteByte('\n')
	}
	return b.String()
}

func (p *proc) send(cmd map[string]any) string {
	p.t.Helper()
	p.mu.Lock()
	p.nextID++
	id := fmt.Sprintf("c%d", p.nextID)
	p.mu.Unlock()
	if _, ok := cmd["id"]; !ok {
		cmd["id"] = id
	}
	line, err := json.Marshal(cmd)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		p.t.Fatalf("%s: writing %s: %v", p.name, line, err)
	}
	if s, ok := cmd["id"].(string); ok {
		return s
	}
	return id
}

// result sends a command and returns its result event.
func (p *proc) result(cmd map[string]any) map[string]any {
	p.t.Helper()
	m := p.mark()
	id := p.send(cmd)
	return p.expect(m, named("result", field("id", id)), fmt.Sprintf("result of %v", cmd))
}

// do sends a command that must succeed.
func (p *proc) do(cmd map[string]any) map[string]any {
	p.t.Helper()
	r := p.result(cmd)
	if r["ok"] != true {
		p.t.Fatalf("%s: %v failed: %v %v", p.name, cmd, r["error"], r["message"])
	}
	return r
}

// doFail sends a command that must fail with code.
func (p *proc) doFail(cmd map[string]any, code string) map[string]any {
	p.t.Helper()
	r := p.result(cmd)
	if r["ok"] != false || r["error"] != code {
		p.t.Fatalf("%s: %v: got ok=%v error=%v (%v), want %s", p.name, cmd, r["ok"], r["error"], r["message"], code)
	}
	if msg, _ := r["message"].(string); msg == "" {
		p.t.Errorf("%s: %v: empty message", p.name, cmd)
	}
	return r
}

func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[k]
	}
	return cur
}

func eq(t *testing.T, got, want any, what string) {
	t.Helper()
	if !spec.Equal(got, want) {
		t.Errorf("%s: got %s, want %s", what, spec.Canonical(got), spec.Canonical(want))
	}
}

// sigterm simulates SIGTERM.
func (p *proc) sigterm() { p.sig <- syscall.SIGTERM }

// decodeJSON decodes one JSON text as the harness reads an event.
func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}
