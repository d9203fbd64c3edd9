package fuzz

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// fakeHost is an in-process QtRO host that "crashes" (stops listening and
// drops every connection, as a dead process would) on an Invoke of add
// with no arguments, like Qt does.
type fakeHost struct {
	d      wire.Dialect
	ln     net.Listener
	exited chan struct{}
	once   sync.Once
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
	// accepted counts connections; with leakKiB they make RSS grow.
	accepted        atomic.Int64
	rssKiB, leakKiB int64
}

type fakeStarter struct {
	d      wire.Dialect
	starts int
	// rssKiB, when set, is the fake host's RSS (0: unknown, as for a host
	// fuzz did not start), and leakKiB what each connection adds to it for
	// good (a host that keeps what clients made it take).
	rssKiB, leakKiB int64
}

func (s *fakeStarter) Name() string          { return "fake" }
func (s *fakeStarter) Dialect() wire.Dialect { return s.d }
func (s *fakeStarter) Restartable() bool     { return true }
func (s *fakeStarter) Start(context.Context) (Instance, error) {
	s.starts++
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &fakeHost{d: s.d, ln: ln, exited: make(chan struct{}), rssKiB: s.rssKiB, leakKiB: s.leakKiB}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

func (h *fakeHost) URL() string             { return "tcp://" + h.ln.Addr().String() }
func (h *fakeHost) Exited() <-chan struct{} { return h.exited }
func (h *fakeHost) ExitInfo() string        { return "fake crash" }
func (h *fakeHost) RSS() int64 {
	if h.rssKiB == 0 {
		return 0
	}
	return h.rssKiB + h.accepted.Load()*h.leakKiB
}
func (h *fakeHost) Close() error {
	h.die()
	h.wg.Wait()
	return nil
}

func (h *fakeHost) die() {
	h.once.Do(func() {
		h.ln.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		close(h.exited)
	})
}

func (h *fakeHost) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.accepted.Add(1)
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
		h.wg.Add(1)
		go h.serve(c)
	}
}

var fakeClass = wire.ClassDef{TypeName: qds.Str("TestObject"),
	Methods: []wire.MethodDef{{Signature: "add(int,int)", ReturnType: "int", ParamNames: []string{"a", "b"}}}}

func (h *fakeHost) serve(c net.Conn) {
	defer h.wg.Done()
	defer c.Close()
	w := wire.NewWriter(c, h.d, nil)
	send := func(p wire.Packet) {
		_ = w.WritePacket(p)
		_ = w.Flush()
	}
	send(&wire.HandshakePacket{Version: h.d.ProtocolVersion()})
	send(&wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "TestObject", TypeName: qds.Str("TestObject")}}})
	r := wire.NewReader(c, h.d, qds.NewTypes(h.d.Types()), wire.Limits{MaxFrameSize: 1 << 20})
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		p, err := wire.Decode(h.d, qds.NewTypes(h.d.Types()), qds.Limits{}, wire.Frame{Type: f.Type, Body: append([]byte(nil), f.Body...)})
		if err != nil {
			continue // a sturdy host skips a bad frame
		}
		switch p := p.(type) {
		case *wire.AddObjectPacket:
			send(&wire.InitDynamic{Name: p.Name, Class: fakeClass})
		case *wire.PingPacket:
			send(&wire.PongPacket{Name: p.Name})
		case *wire.Invoke:
			if p.Name == "TestObject" && p.Index == 0 && len(p.Args) == 0 {
				h.die()
				return
			}
		}
	}
}

func TestRunFindsAndMinimises(t *testing.T) {
	for _, d := range wire.Dialects {
		s := &fakeStarter{d: d}
		out := t.TempDir()
		rep, err := Run(context.Background(), Config{Starter: s, Seed: 1, Count: 60, Kinds: []string{KindWrongArgs, KindTruncated},
			Settle: time.Millisecond, ProbeWait: time.Second, MinimizeBudget: 60, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Inputs != 60 || len(rep.Objects) != 1 || rep.Objects[0].Name != "TestObject" {
			t.Fatalf("%v: report %+v", d, rep)
		}
		var crash *Crash
		for i := range rep.Crashes {
			if rep.Crashes[i].Kind == KindWrongArgs {
				crash = &rep.Crashes[i]
			}
		}
		if crash == nil || !crash.Reproduced || crash.Health != Crashed || crash.Reproducer == "" {
			t.Fatalf("%v: no reproduced wrong-args crash: %+v", d, rep.Crashes)
		}
		r, err := ReadReproducerFile(crash.Reproducer)
		if err != nil {
			t.Fatal(err)
		}
		// Minimised: one connection sending one Invoke of add with no args.
		if len(r.Conns) != 1 || len(r.Conns[0].Chunks) != 1 || !decodes(d, r.Conns[0].Chunks[0]) {
			t.Fatalf("%v: reproducer %+v", d, r.Conns)
		}
		res, err := Replay(context.Background(), s, r, 10*time.Millisecond, time.Second)
		if err != nil || res.Health != Crashed {
			t.Errorf("%v: replay: %+v %v", d, res, err)
		}
		if err := WriteReports(out, Results{Runs: []*Report{rep}, Replays: []ReplayResult{res}}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"fuzz.json", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestRunSameSeedSameInputs(t *testing.T) {
	var reps []*Report
	for i := 0; i < 2; i++ {
		rep, err := Run(context.Background(), Config{Starter: &fakeStarter{d: wire.Qt6}, Seed: 9, Count: 40,
			Settle: time.Millisecond, ProbeWait: time.Second, NoMinimize: true})
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	a, b := reps[0], reps[1]
	if len(a.Crashes) != len(b.Crashes) {
		t.Fatalf("crashes differ: %+v vs %+v", a.Crashes, b.Crashes)
	}
	for i := range a.Crashes {
		if a.Crashes[i].Kind != b.Crashes[i].Kind || a.Crashes[i].First != b.Crashes[i].First || a.Crashes[i].Count != b.Crashes[i].Count {
			t.Errorf("crash %d differs: %+v vs %+v", i, a.Crashes[i], b.Crashes[i])
		}
	}
}

// TestJudgeMemory: idle RSS over twice the start plus the slack is growth;
// at or under it, or unknown, it is not.
func TestJudgeMemory(t *testing.T) {
	for _, c := range []struct {
		start, idle int64
		grew        bool
	}{
		{30 << 10, 41 << 10, false},                    // the Go host after 10 s: 30 -> 41 MiB
		{30 << 10, 2*(30<<10) + growthSlackKiB, false}, // at the limit
		{30 << 10, 2*(30<<10) + growthSlackKiB + 1, true},
		{13 << 10, 160 << 10, true}, // Qt buffering garbage frames
		{0, 500 << 10, false},       // no start sample: not judged
		{30 << 10, 0, false},        // no idle sample
	} {
		r := &Report{RSSStartKiB: c.start}
		r.judgeMemory(c.idle)
		if grew := r.MemoryGrowth != ""; grew != c.grew {
			t.Errorf("start %d KiB, idle %d KiB: growth %q, want %v", c.start, c.idle, r.MemoryGrowth, c.grew)
		}
		if r.RSSIdleKiB != c.idle {
			t.Errorf("idle recorded as %d, want %d", r.RSSIdleKiB, c.idle)
		}
	}
}

// TestRunReportsMemoryGrowth: a host that never crashes but keeps 4 MiB
// per connection is reported as grown; one that keeps nothing is not.
func TestRunReportsMemoryGrowth(t *testing.T) {
	for _, leak := range []int64{0, 4 << 10} {
		rep, err := Run(context.Background(), Config{Starter: &fakeStarter{d: wire.Qt6, rssKiB: 10 << 10, leakKiB: leak}, Seed: 3, Count: 40,
			Kinds: []string{KindUnknownObject}, Settle: time.Millisecond, ProbeWait: time.Second, NoMinimize: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Crashes) != 0 {
			t.Fatalf("leak %d: the fake crashed: %+v", leak, rep.Crashes)
		}
		if rep.RSSIdleKiB == 0 {
			t.Fatalf("leak %d: no idle RSS was taken", leak)
		}
		if grew := rep.MemoryGrowth != ""; grew != (leak > 0) {
			t.Errorf("leak %d KiB a connection: memory growth %q (RSS %d -> %d KiB idle)", leak, rep.MemoryGrowth, rep.RSSStartKiB, rep.RSSIdleKiB)
		}
	}
}
