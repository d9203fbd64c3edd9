package fuzz

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
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
}

type fakeStarter struct {
	d      wire.Dialect
	starts int
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
	h := &fakeHost{d: s.d, ln: ln, exited: make(chan struct{})}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

func (h *fakeHost) URL() string             { return "tcp://" + h.ln.Addr().String() }
func (h *fakeHost) Exited() <-chan struct{} { return h.exited }
func (h *fakeHost) ExitInfo() string        { return "fake crash" }
func (h *fakeHost) RSS() int64              { return 0 }
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
