package fuzz

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// fakeReplica is an in-process replica that "crashes" (drops its
// connection and stops answering, as a dead process would) on a
// PropertyChange of an out-of-range index once it is Valid, like Qt 5.15
// does.
type fakeReplica struct {
	d       wire.Dialect
	m       Model
	ln      net.Listener
	exited  chan struct{}
	once    sync.Once
	mu      sync.Mutex
	state   string
	crashed bool
	conn    net.Conn
	wg      sync.WaitGroup
}

type fakeReplicaStarter struct {
	d      wire.Dialect
	modes  []bool
	starts int
}

func (s *fakeReplicaStarter) Name() string { return "fake-replica" }
func (s *fakeReplicaStarter) ReplicaModes(context.Context) ([]bool, error) {
	return s.modes, nil
}

func (s *fakeReplicaStarter) StartReplica(_ context.Context, dynamic bool) (Replica, error) {
	s.starts++
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &fakeReplica{d: s.d, m: replicaModel(s.d, "testobject", dynamic), ln: ln, exited: make(chan struct{}), state: "Default"}
	if dynamic {
		r.state = "Uninitialized"
	}
	r.wg.Add(1)
	go r.run(dynamic)
	return r, nil
}

func (r *fakeReplica) Accept(ctx context.Context) (net.Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = r.ln.(*net.TCPListener).SetDeadline(dl)
	}
	return r.ln.Accept()
}

func (r *fakeReplica) State(context.Context) (string, error) {
	select {
	case <-r.exited:
		return "", net.ErrClosed
	default:
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, nil
}

func (r *fakeReplica) Exited() <-chan struct{} { return r.exited }
func (r *fakeReplica) ExitInfo() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crashed {
		return "was killed by SIGSEGV"
	}
	return "exited with code 0"
}
func (r *fakeReplica) Dialect() wire.Dialect { return r.d }
func (r *fakeReplica) Type() string          { return "testobject" }

func (r *fakeReplica) Close() error {
	r.die()
	r.wg.Wait()
	return nil
}

func (r *fakeReplica) die() {
	r.once.Do(func() {
		r.ln.Close()
		r.mu.Lock()
		if r.conn != nil {
			r.conn.Close()
		}
		r.mu.Unlock()
		close(r.exited)
	})
}

// run is the replica: it connects, checks the Handshake, asks for the
// test object and follows what the host sends.
func (r *fakeReplica) run(dynamic bool) {
	defer r.wg.Done()
	c, err := net.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		return
	}
	r.mu.Lock()
	r.conn = c
	r.mu.Unlock()
	defer c.Close()
	types := qds.NewTypes(r.m.Types)
	rd := wire.NewReader(c, r.d, types, wire.Limits{MaxFrameSize: 1 << 20})
	w := wire.NewWriter(c, r.d, nil)
	first := true
	for {
		f, err := rd.ReadFrame()
		if err != nil {
			return
		}
		p, err := wire.Decode(r.d, types, qds.Limits{}, wire.Frame{Type: f.Type, Body: append([]byte(nil), f.Body...)})
		if first {
			if hs, ok := p.(*wire.HandshakePacket); err != nil || !ok || hs.Version != r.d.ProtocolVersion() {
				return // a protocol mismatch closes the connection
			}
			first = false
			continue
		}
		if err != nil {
			continue // a sturdy replica skips a bad frame
		}
		switch p := p.(type) {
		case *wire.ObjectListPacket:
			for _, o := range p.Objects {
				if o.Name == TestObjectName {
					_ = w.WritePacket(&wire.AddObjectPacket{Name: o.Name, Dynamic: dynamic})
					_ = w.Flush()
				}
			}
		case *wire.Init, *wire.InitDynamic:
			r.mu.Lock()
			r.state = "Valid"
			r.mu.Unlock()
		case *wire.PropertyChangePacket:
			r.mu.Lock()
			valid := r.state == "Valid"
			r.mu.Unlock()
			if valid && (p.Index < 0 || int(p.Index) >= len(r.m.Objects[0].Def.Properties)) {
				r.mu.Lock()
				r.crashed = true
				r.mu.Unlock()
				r.die()
				return
			}
		}
	}
}

func TestReplicaGenerator(t *testing.T) {
	for _, d := range wire.Dialects {
		for _, dyn := range []bool{false, true} {
			m := replicaModel(d, "testobject", dyn)
			a, b := NewGenerator(m, 7, nil), NewGenerator(m, 7, nil)
			a.MaxDepth, b.MaxDepth = 3000, 3000
			seen := map[string]bool{}
			for i := 0; i < 4*len(ReplicaKinds); i++ {
				x, y := a.Next(), b.Next()
				if x.Kind != ReplicaKinds[i%len(ReplicaKinds)] || x.Size() == 0 || x.Note == "" {
					t.Fatalf("%v: input %d: %+v", d, i, x)
				}
				if x.Kind != y.Kind || !slicesEqual(x.Chunks, y.Chunks) {
					t.Fatalf("%v: the same seed made different inputs", d)
				}
				seen[x.Kind] = true
			}
			if len(seen) != len(ReplicaKinds) {
				t.Errorf("%v: kinds made: %v", d, seen)
			}
			// The well-formed session decodes, in the model's types, as
			// what a Qt host sends: Handshake, ObjectList, then (after
			// the replica's AddObject) the Init it asked for.
			s := NewGenerator(m, 1, nil).session()
			if len(s) != 3 || s[1] != nil {
				t.Fatalf("%v: session %x", d, s)
			}
			want := []wire.PacketType{wire.Handshake, wire.ObjectList, wire.InitPacket}
			if dyn {
				want[2] = wire.InitDynamicPacket
			}
			var got []wire.PacketType
			for _, ch := range [][]byte{s[0], s[2]} {
				for _, f := range splitFrames(d, ch) {
					p, err := wire.Decode(d, qds.NewTypes(m.Types), qds.Limits{}, wire.Frame{Type: wire.PacketType(byteOrder(d).Uint16(f[4:])), Body: f[6:]})
					if err != nil {
						t.Fatalf("%v: session frame %x: %v", d, f, err)
					}
					got = append(got, p.Type())
				}
			}
			if !slicesEqualT(got, want) {
				t.Errorf("%v dynamic=%v: session sends %v, want %v", d, dyn, got, want)
			}
			for _, k := range KnownReplica(m, 50) {
				if k.Mode != modeName(dyn) || k.Input.Size() == 0 {
					t.Errorf("%v: known %+v", d, k)
				}
			}
		}
	}
}

func slicesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) || (a[i] == nil) != (b[i] == nil) {
			return false
		}
	}
	return true
}

func slicesEqualT[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReplicaReproducerRoundTrip(t *testing.T) {
	for _, d := range wire.Dialects {
		m := replicaModel(d, "testobject", true)
		g := NewGenerator(m, 3, nil)
		in := g.Make(KindBadIndex)
		r := &Reproducer{Dialect: d, Role: RoleReplica, Conns: []Input{in, {Kind: KindBadReply, Note: "second", Chunks: [][]byte{g.greeting()}}},
			Meta: map[string]string{"mode": "dynamic", "object": TestObjectName, "kind": in.Kind}}
		var buf bytes.Buffer
		if err := r.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "# role: replica\n") {
			t.Fatalf("no role line:\n%s", buf.String())
		}
		back, err := ReadReproducer(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if back.Role != RoleReplica || back.Meta["mode"] != "dynamic" || len(back.Conns) != 2 || back.Conns[0].Kind != in.Kind {
			t.Fatalf("%v: read back %+v", d, back)
		}
		for i := range r.Conns {
			if !slicesEqual(back.Conns[i].Chunks, r.Conns[i].Chunks) {
				t.Errorf("%v: connection %d: %x, want %x", d, i, back.Conns[i].Chunks, r.Conns[i].Chunks)
			}
		}
		// qtro dump decodes it: the dialect from the host's Handshake, the
		// replica's synthesized AddObject, the host's InitDynamic.
		c, err := capture.Read(bytes.NewReader(buf.Bytes()), capture.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := dump.Write(&out, c, dump.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{d.ProtocolVersion(), "AddObject", "InitDynamicPacket", "PropertyChangePacket"} {
			if !strings.Contains(out.String(), want) && !(want == "PropertyChangePacket" && strings.Contains(out.String(), "InvokePacket")) {
				t.Errorf("%v: dump lacks %s:\n%s", d, want, out.String())
			}
		}
	}
	// A reproducer without a role line is of the host role, as every one
	// written before the replica role was.
	old, err := ReadReproducerFile(filepath.Join(crashDir(), "qt6-add-noargs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if roleOf(old.Role) != RoleHost || len(old.Conns) != 1 || old.Conns[0].Chunks[0] == nil {
		t.Errorf("old reproducer: %+v", old)
	}
	if _, err := ReadReproducer(strings.NewReader("# dialect: qt6\n# role: client\n--- new connection\nS->C x\n    00\n")); err == nil {
		t.Error("an unknown role was accepted")
	}
}

func TestRunReplicaFindsAndMinimises(t *testing.T) {
	for _, d := range wire.Dialects {
		s := &fakeReplicaStarter{d: d, modes: []bool{false, true}}
		out := t.TempDir()
		rep, err := Run(context.Background(), Config{Role: RoleReplica, Replica: s, Seed: 1, Count: 40, Kinds: []string{KindBadIndex, KindTruncated, KindMissing},
			Settle: time.Millisecond, ProbeWait: time.Second, AwaitWait: 200 * time.Millisecond, MinimizeBudget: 60, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Role != RoleReplica || rep.Inputs != 40 || len(rep.Modes) != 2 || len(rep.Baseline) != 2 || !strings.HasSuffix(rep.Baseline[0], "Valid") {
			t.Fatalf("%v: report %+v", d, rep)
		}
		if rep.ByKind[KindMissing] != 0 {
			t.Errorf("%v: a kind of no role ran: %v", d, rep.ByKind)
		}
		modes := map[string]bool{}
		for _, c := range rep.Crashes {
			if c.Kind != KindBadIndex || c.Role != RoleReplica || !c.Reproduced || c.Health != Crashed || c.Detail != "was killed by SIGSEGV" || c.Reproducer == "" {
				t.Fatalf("%v: crash %+v", d, c)
			}
			modes[c.Mode] = true
			r, err := ReadReproducerFile(c.Reproducer)
			if err != nil {
				t.Fatal(err)
			}
			// Minimised: the session the fake needs (it crashes only once
			// Valid) and the PropertyChange.
			if r.Role != RoleReplica || r.Meta["mode"] != c.Mode || len(r.Conns) != 1 || c.MinimalSize > c.OriginalSize {
				t.Fatalf("%v: reproducer %+v", d, r)
			}
			res, err := Replay(context.Background(), &fakeStarter{d: d}, r, 10*time.Millisecond, time.Second)
			if err == nil || res.Role != RoleReplica {
				t.Errorf("%v: a replica-role replay on a host-only starter: %+v %v", d, res, err)
			}
			res, err = ReplayReplica(context.Background(), s, r, 10*time.Millisecond, time.Second)
			if err != nil || res.Health != Crashed {
				t.Errorf("%v: replay: %+v %v", d, res, err)
			}
		}
		if !modes["static"] || !modes["dynamic"] {
			t.Errorf("%v: crashes in modes %v, want both", d, modes)
		}
		if err := WriteReports(out, Results{Runs: []*Report{rep}}); err != nil {
			t.Fatal(err)
		}
		html, err := os.ReadFile(filepath.Join(out, "report.html"))
		if err != nil || !strings.Contains(string(html), "replica (static)") {
			t.Errorf("%v: report.html does not name the role of a finding: %v", d, err)
		}
	}
}

func TestRunNoKindOfTheRole(t *testing.T) {
	for _, cfg := range []Config{
		{Role: RoleReplica, Replica: &fakeReplicaStarter{d: wire.Qt6, modes: []bool{true}}, Kinds: []string{KindMissing}},
		{Role: RoleHost, Starter: &fakeStarter{d: wire.Qt6}, Kinds: []string{KindBadHandshake}},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrNoKinds) {
			t.Errorf("%s role with kinds %v: %v, want ErrNoKinds", cfg.Role, cfg.Kinds, err)
		}
	}
}

// KindMissing is a mutator no role has: Run skips it.
const KindMissing = "no-such-kind"

// A replica that dies of a crash signal while told to exit crashed; one
// killed because it exited too slowly did not.
func TestCrashedOnExit(t *testing.T) {
	for info, want := range map[string]bool{"was killed by SIGSEGV": true, "was killed by SIGABRT (exit code 134 from a wrapper)": true,
		"was killed by SIGKILL": false, "was killed by SIGTERM": false, "exited with code 0": false, "": false} {
		if crashedOnExit(info) != want {
			t.Errorf("crashedOnExit(%q) = %v", info, !want)
		}
	}
}
