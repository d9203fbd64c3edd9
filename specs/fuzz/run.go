package fuzz

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/conformance"
)

// Config bounds and aims one fuzz run.
type Config struct {
	// Starter starts the target as a host.
	Starter Starter
	// Role is the role the target is fuzzed in (zero: host).
	Role Role
	// Replica starts the target as a replica, for the replica role (nil:
	// Starter, when it can).
	Replica ReplicaStarter
	// Seed makes the run deterministic (the inputs; timing still varies).
	Seed uint64
	// Duration bounds the fuzzing (minimisation comes after, bounded by
	// MinimizeBudget); Count bounds the number of inputs (0: no bound).
	Duration time.Duration
	Count    int
	// Kinds restricts the mutators (nil: all of Kinds).
	Kinds []string
	// Settle is how long to wait after an input before probing (default 30 ms).
	Settle time.Duration
	// ProbeWait bounds a fresh client's Handshake and Pong, or a
	// replica's answer to `state` (default 3 s).
	ProbeWait time.Duration
	// AwaitWait bounds the wait for a replica's AddObject (default 1 s):
	// a replica that mistrusts the greeting never asks.
	AwaitWait time.Duration
	// ReconnectWait bounds the wait for a replica's next connection in a
	// sequence of several (default 2 s; Qt retries every 250 ms).
	ReconnectWait time.Duration
	// MinimizeBudget is the number of target starts one crash's
	// minimisation may use (default 40; 0 with NoMinimize: none).
	MinimizeBudget int
	NoMinimize     bool
	// MaxDepth bounds the deep-nesting mutator (default 200,000).
	MaxDepth int
	// Out is where reproducers go (default: not written).
	Out string
	// Logf receives progress lines (nil: none).
	Logf func(format string, args ...any)
}

// Crash is one failure kind found, with its minimised reproducer.
type Crash struct {
	Kind string `json:"kind"`
	// Role is the role the target played; Mode the replica kind
	// (static, dynamic) in the replica role.
	Role   Role   `json:"role"`
	Mode   string `json:"mode,omitempty"`
	Health Health `json:"health"`
	Detail string `json:"detail"`
	// Note describes the (minimised) input.
	Note string `json:"note"`
	// First is the number of the input that first showed it; Count how
	// many inputs of this kind did.
	First int `json:"first"`
	Count int `json:"count"`
	// Reproduced says whether the input crashed a fresh target again;
	// Minimised whether it was then shrunk.
	Reproduced   bool   `json:"reproduced"`
	OriginalSize int    `json:"originalBytes"`
	MinimalSize  int    `json:"minimalBytes"`
	Connections  int    `json:"connections"`
	Reproducer   string `json:"reproducer,omitempty"`
	Attempts     int    `json:"minimiseAttempts"`
}

// Report is the result of one fuzz run (one target in one role).
type Report struct {
	Target string `json:"target"`
	// Role is the role the target played (the fuzzer played the other).
	Role Role `json:"role"`
	// Modes are the replica kinds fuzzed in the replica role, and
	// Baseline how each went through a well-formed session first (the
	// positive control).
	Modes    []string `json:"modes,omitempty"`
	Baseline []string `json:"baseline,omitempty"`
	// Replicas counts the replica processes started (one per input).
	Replicas int            `json:"replicasStarted,omitempty"`
	Dialect  string         `json:"dialect"`
	Seed     uint64         `json:"seed"`
	Started  time.Time      `json:"started"`
	Elapsed  float64        `json:"elapsedSeconds"`
	Inputs   int            `json:"inputs"`
	ByKind   map[string]int `json:"inputsByKind"`
	Restarts int            `json:"restarts"`
	Objects  []Object       `json:"objects"`
	Crashes  []Crash        `json:"crashes"`
	// Stopped says why fuzzing ended early, if it did.
	Stopped string `json:"stopped,omitempty"`
	// Memory of the host we started (KiB, 0 when unknown): after it
	// learnt the model, the highest sample (after each input), and the
	// last sample of the last instance. A restart starts a new process,
	// so growth shows best on a target that never crashed. For image:
	// targets it is the docker client's, not the container's.
	RSSStartKiB int64 `json:"rssStartKiB,omitempty"`
	RSSPeakKiB  int64 `json:"rssPeakKiB,omitempty"`
	RSSEndKiB   int64 `json:"rssEndKiB,omitempty"`
	// RSSIdleKiB is the host's RSS a second after the last input, and
	// MemoryGrowth, when set, says it kept what the inputs made it grow
	// by (judgeMemory): a finding like a crash. Judged only when the host
	// that learnt the model lived through the whole run.
	RSSIdleKiB   int64  `json:"rssIdleKiB,omitempty"`
	MemoryGrowth string `json:"memoryGrowth,omitempty"`
}

// Memory growth: a host whose RSS, idle after the run, is more than
// twice its RSS after learning the model plus growthSlackKiB kept memory
// the hostile inputs made it take (buffers of frames it will never get,
// leaks). Generous on purpose: a garbage-collected host's heap breathes.
const growthSlackKiB = 64 << 10

// judgeMemory records the idle RSS and whether it counts as growth.
func (r *Report) judgeMemory(idleKiB int64) {
	r.RSSIdleKiB = idleKiB
	if r.RSSStartKiB <= 0 || idleKiB <= 0 {
		return
	}
	if limit := 2*r.RSSStartKiB + growthSlackKiB; idleKiB > limit {
		r.MemoryGrowth = fmt.Sprintf("RSS %d KiB a second after the last input, %d KiB after learning the model (limit: twice that plus %d MiB)",
			idleKiB, r.RSSStartKiB, growthSlackKiB>>10)
	}
}

// Failures counts the inputs that crashed or hung the target.
func (r *Report) Failures() int {
	n := 0
	for _, c := range r.Crashes {
		n += c.Count
	}
	return n
}

func (c *Config) defaults() {
	if c.Settle <= 0 {
		c.Settle = 30 * time.Millisecond
	}
	if c.ProbeWait <= 0 {
		c.ProbeWait = 3 * time.Second
	}
	if c.AwaitWait <= 0 {
		c.AwaitWait = time.Second
	}
	if c.ReconnectWait <= 0 {
		c.ReconnectWait = 2 * time.Second
	}
	if c.MinimizeBudget <= 0 && !c.NoMinimize {
		c.MinimizeBudget = 40
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 200000
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// GoldenFrames returns the real frames of dialect d from fixtures/golden
// (nil when the checkout is not at hand).
func GoldenFrames(d wire.Dialect) [][]byte { return goldenFrames(d, "") }

// goldenFrames returns the golden frames of d sent in direction dir
// ("S->C", "C->S"; "": both).
func goldenFrames(d wire.Dialect, dir string) [][]byte {
	vs, err := golden.Load()
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, v := range golden.Frames(vs) {
		if v.Dialect == d && (dir == "" || v.Dir == dir) {
			out = append(out, v.Bytes)
		}
	}
	return out
}

// dialectOf returns the starter's dialect, or asks the instance's host.
func dialectOf(ctx context.Context, s Starter, inst Instance) wire.Dialect {
	if d := s.Dialect(); d.Valid() {
		return d
	}
	return conformance.DetectDialect(ctx, inst.URL())
}

// Run fuzzes one target in one role (cfg.Role).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if roleOf(cfg.Role) == RoleReplica {
		return runReplica(ctx, cfg)
	}
	rep := &Report{Target: cfg.Starter.Name(), Role: RoleHost, Seed: cfg.Seed, Started: time.Now().UTC(), ByKind: map[string]int{}}
	kinds := kindsOf(cfg, RoleHost)
	if len(kinds) == 0 {
		return nil, fmt.Errorf("%w: %v (host: %v)", ErrNoKinds, cfg.Kinds, Kinds)
	}
	inst, err := cfg.Starter.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("fuzz: starting %s: %w", rep.Target, err)
	}
	defer func() { _ = inst.Close() }()
	d := dialectOf(ctx, cfg.Starter, inst)
	rep.Dialect = dialectName(d)
	model, err := Learn(ctx, inst.URL(), d)
	if err != nil {
		return nil, fmt.Errorf("fuzz: learning %s: %w", rep.Target, err)
	}
	rep.Objects = model.Objects
	rep.RSSStartKiB = inst.RSS()
	gen := NewGenerator(model, cfg.Seed, GoldenFrames(d))
	gen.MaxDepth = cfg.MaxDepth
	f := newFindings(rep)
	fresh := func(seq []Input) (Health, string, error) {
		return replayFresh(ctx, cfg.Starter, d, seq, cfg.Settle, cfg.ProbeWait)
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for i := 0; ctx.Err() == nil; i++ {
		if cfg.Count > 0 && i >= cfg.Count || cfg.Duration > 0 && time.Now().After(deadline) {
			break
		}
		in := gen.Make(kinds[i%len(kinds)])
		rep.Inputs++
		rep.ByKind[in.Kind]++
		h, detail := execute(ctx, inst, d, []Input{in}, cfg.Settle, cfg.ProbeWait)
		if h == Alive {
			if rss := inst.RSS(); rss > 0 {
				rep.RSSEndKiB = rss
				rep.RSSPeakKiB = max(rep.RSSPeakKiB, rss)
			}
			continue
		}
		cfg.Logf("fuzz: %s: input %d (%s: %s, %d bytes): %s (%s)", rep.Target, i, in.Kind, in.Note, in.Size(), h, detail)
		f.add(in, i, h, detail, "", fresh, cfg.Starter.Restartable(), nil)
		_ = inst.Close()
		if !cfg.Starter.Restartable() {
			rep.Stopped = "the url: host stopped answering; the fuzzer cannot restart it"
			break
		}
		rep.Restarts++
		if inst, err = cfg.Starter.Start(ctx); err != nil {
			return rep, fmt.Errorf("fuzz: restarting %s: %w", rep.Target, err)
		}
	}
	if rep.Restarts == 0 && rep.RSSStartKiB > 0 && ctx.Err() == nil {
		// The host that learnt the model lived through the run: what it
		// holds once idle is what the inputs left behind.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
		rep.judgeMemory(inst.RSS())
	}
	_ = inst.Close()
	f.finish(ctx, cfg, d)
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

// ErrNoKinds means none of the mutators asked for belongs to the role.
var ErrNoKinds = errors.New("fuzz: no mutator of the role")

// kindsOf returns the mutators of a run in role r: cfg.Kinds that belong
// to the role (all of the role's when none is asked for).
func kindsOf(cfg Config, r Role) []string {
	if len(cfg.Kinds) == 0 {
		return KindsFor(r)
	}
	var out []string
	for _, k := range cfg.Kinds {
		if slices.Contains(KindsFor(r), k) {
			out = append(out, k)
		}
	}
	return out
}

// runReplica fuzzes the target as a replica: for every replica kind it
// has (static, dynamic; the budget split between them) it learns what a
// replica asks for, then plays a hostile host to a fresh replica per
// input.
func runReplica(ctx context.Context, cfg Config) (*Report, error) {
	rs := cfg.Replica
	if rs == nil {
		s, ok := cfg.Starter.(ReplicaStarter)
		if !ok {
			return nil, ErrNoReplicaRole
		}
		rs = s
	}
	rep := &Report{Target: rs.Name(), Role: RoleReplica, Seed: cfg.Seed, Started: time.Now().UTC(), ByKind: map[string]int{}}
	modes, err := rs.ReplicaModes(ctx)
	if err != nil {
		return nil, fmt.Errorf("fuzz: %s: %w", rep.Target, err)
	}
	if len(modes) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoReplicaRole, rep.Target)
	}
	kinds := kindsOf(cfg, RoleReplica)
	if len(kinds) == 0 {
		return nil, fmt.Errorf("%w: %v (replica: %v)", ErrNoKinds, cfg.Kinds, ReplicaKinds)
	}
	var d wire.Dialect
	if s, ok := rs.(interface{ Dialect() wire.Dialect }); ok {
		d = s.Dialect()
	}
	tm := timing{settle: cfg.Settle, wait: cfg.ProbeWait, await: cfg.AwaitWait, reconnect: cfg.ReconnectWait}
	f := newFindings(rep)
	start := time.Now()
	n := 0
	for mi, dyn := range modes {
		mode := modeName(dyn)
		model, baseline, clean, err := learnReplica(ctx, rs, dyn, d, tm)
		if err != nil {
			return nil, fmt.Errorf("fuzz: learning the %s %s replica: %w", rep.Target, mode, err)
		}
		d = model.Dialect
		rep.Dialect = dialectName(d)
		rep.Modes = append(rep.Modes, mode)
		rep.Baseline = append(rep.Baseline, mode+": "+baseline)
		rep.Objects = append(rep.Objects, model.Objects...)
		v := &replicaVictim{rs: rs, dynamic: dyn, d: d, tm: tm, checkExit: clean}
		fresh := func(seq []Input) (Health, string, error) { return v.fresh(ctx, seq) }
		meta := map[string]string{"mode": mode, "object": model.Objects[0].Name}
		gen := NewGenerator(model, cfg.Seed+uint64(mi), goldenFrames(d, "S->C"))
		gen.MaxDepth = cfg.MaxDepth
		// The budget is split between the modes.
		count := 0
		if cfg.Count > 0 {
			count = cfg.Count / len(modes)
			if mi < cfg.Count%len(modes) {
				count++
			}
		}
		deadline := time.Now().Add(cfg.Duration / time.Duration(len(modes)))
		for i := 0; ctx.Err() == nil; i++ {
			if cfg.Count > 0 && i >= count || cfg.Duration > 0 && time.Now().After(deadline) {
				break
			}
			in := gen.Make(kinds[i%len(kinds)])
			rep.Inputs++
			rep.ByKind[in.Kind]++
			h, detail, err := v.fresh(ctx, []Input{in})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				return rep, fmt.Errorf("fuzz: starting a %s replica of %s: %w", mode, rep.Target, err)
			}
			if h == Alive {
				continue
			}
			cfg.Logf("fuzz: %s %s replica: input %d (%s: %s, %d bytes): %s (%s)", rep.Target, mode, n+i, in.Kind, in.Note, in.Size(), h, detail)
			f.add(in, n+i, h, detail, mode, fresh, true, meta)
		}
		n = rep.Inputs
		rep.Replicas += v.starts
	}
	f.finish(ctx, cfg, d)
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

// findings groups the failing inputs of a run by mode and kind, keeping
// the first of each for minimisation.
type findings struct {
	rep     *Report
	byKey   map[string]*Crash
	found   []*Crash
	pending []pendingCrash
}

type pendingCrash struct {
	c           *Crash
	in          Input
	fresh       func(seq []Input) (Health, string, error)
	restartable bool
	meta        map[string]string
}

func newFindings(rep *Report) *findings {
	return &findings{rep: rep, byKey: map[string]*Crash{}}
}

// add records failing input number i. fresh replays a sequence on a
// freshly started target (for the minimiser); meta goes into the
// reproducer.
func (f *findings) add(in Input, i int, h Health, detail, mode string, fresh func([]Input) (Health, string, error), restartable bool, meta map[string]string) {
	key := mode + "/" + in.Kind
	c := f.byKey[key]
	if c == nil {
		c = &Crash{Kind: in.Kind, Role: f.rep.Role, Mode: mode, Health: h, Detail: detail, Note: in.Note, First: i,
			OriginalSize: in.Size(), MinimalSize: in.Size(), Connections: 1}
		f.byKey[key] = c
		f.found = append(f.found, c)
		f.pending = append(f.pending, pendingCrash{c, in, fresh, restartable, meta})
	}
	c.Count++
}

// finish minimises every finding and puts them in the report.
func (f *findings) finish(ctx context.Context, cfg Config, d wire.Dialect) {
	for _, p := range f.pending {
		minimise(ctx, cfg, d, p, f.rep)
	}
	for _, c := range f.found {
		f.rep.Crashes = append(f.rep.Crashes, *c)
	}
}

// minimise checks that the input alone crashes a fresh target, shrinks
// it, and writes its reproducer.
func minimise(ctx context.Context, cfg Config, d wire.Dialect, p pendingCrash, rep *Report) {
	c := p.c
	seq := []Input{p.in}
	if p.restartable {
		attempts := 0
		oracle := func(seq []Input) bool {
			attempts++
			h, _, err := p.fresh(seq)
			return err == nil && h != Alive
		}
		c.Reproduced = oracle(seq)
		if c.Reproduced && !cfg.NoMinimize {
			budget := cfg.MinimizeBudget
			if c.Health == Hung {
				// Every attempt that still hangs waits out the probe (3 s,
				// then 6 s): a few attempts say enough.
				budget = min(budget, 12)
			}
			seq = Minimize(d, seq, oracle, budget)
		}
		c.Attempts = attempts
		cfg.Logf("fuzz: %s %s: %s reproduced=%v, %d -> %d bytes in %d attempts", rep.Target, rep.Role, c.Kind, c.Reproduced, c.OriginalSize, seq[0].Size(), attempts)
	}
	c.MinimalSize = 0
	for _, s := range seq {
		c.MinimalSize += s.Size()
	}
	c.Note = seq[0].Note
	if c.MinimalSize < c.OriginalSize && seq[0].regen == nil {
		// Bytes were cut: the mutator's note describes the original.
		c.Note = fmt.Sprintf("from %q, minimised to: %s", seq[0].Note, describe(d, seq))
	}
	c.Connections = len(seq)
	if cfg.Out == "" {
		return
	}
	r := &Reproducer{Dialect: d, Role: rep.Role, Conns: seq, Meta: map[string]string{
		"kind": c.Kind, "note": c.Note, "target": rep.Target, "verdict": string(c.Health) + ": " + c.Detail,
		"found": fmt.Sprintf("seed %d, input %d; reproduced on a fresh target: %v", rep.Seed, c.First, c.Reproduced),
	}}
	for k, v := range p.meta {
		r.Meta[k] = v
	}
	dir := filepath.Join(cfg.Out, "crashes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		cfg.Logf("fuzz: %v", err)
		return
	}
	name := fileName(rep.Target) + "-" + c.Kind + ".txt"
	if rep.Role == RoleReplica {
		name = fileName(rep.Target) + "-replica-" + c.Mode + "-" + c.Kind + ".txt"
	}
	path := filepath.Join(dir, name)
	if err := r.WriteFile(path); err != nil {
		cfg.Logf("fuzz: %v", err)
		return
	}
	c.Reproducer = path
}

func fileName(s string) string {
	return strings.NewReplacer("/", "-", ":", "_", " ", "_", "@", "-").Replace(s)
}

// execute sends seq (one connection per input) to a running instance and
// probes it afterwards.
func execute(ctx context.Context, inst Instance, d wire.Dialect, seq []Input, settle, wait time.Duration) (Health, string) {
	var open []*client
	defer func() {
		for _, cl := range open {
			cl.close()
		}
	}()
	for _, in := range seq {
		cl, err := dial(ctx, inst.URL(), d, wait)
		if err != nil {
			return probe(ctx, inst, d, wait)
		}
		open = append(open, cl)
		for _, ch := range in.Chunks {
			if err := cl.send(ch); err != nil {
				break // the host may close a connection on bad input
			}
		}
	}
	if ex := inst.Exited(); ex != nil {
		select {
		case <-ex:
		case <-time.After(settle):
		}
	} else {
		time.Sleep(settle)
	}
	return probe(ctx, inst, d, wait)
}

// ErrNotRestartable means replay needs a target it can start afresh.
var ErrNotRestartable = errors.New("fuzz: target cannot be restarted")

// replayFresh starts a fresh instance, replays seq and stops it.
func replayFresh(ctx context.Context, s Starter, d wire.Dialect, seq []Input, settle, wait time.Duration) (Health, string, error) {
	inst, err := s.Start(ctx)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = inst.Close() }()
	if !d.Valid() {
		d = dialectOf(ctx, s, inst)
	}
	h, detail := execute(ctx, inst, d, seq, settle, wait)
	return h, detail, nil
}

// ReplayResult is the verdict of one reproducer against one target.
type ReplayResult struct {
	File   string `json:"file"`
	Target string `json:"target"`
	Role   Role   `json:"role"`
	Health Health `json:"health"`
	Detail string `json:"detail,omitempty"`
}

// Replay re-sends a reproducer to a fresh instance (or, for url:
// targets, the running host) and says whether the host survived; a
// replica-role reproducer goes to a fresh replica (ReplayReplica). A
// reproducer of the other dialect is sent as it is: its bytes are the
// evidence.
func Replay(ctx context.Context, s Starter, r *Reproducer, settle, wait time.Duration) (ReplayResult, error) {
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if wait <= 0 {
		wait = 3 * time.Second
	}
	res := ReplayResult{Target: s.Name(), Role: roleOf(r.Role)}
	if res.Role == RoleReplica {
		rs, ok := s.(ReplicaStarter)
		if !ok {
			return res, ErrNoReplicaRole
		}
		return ReplayReplica(ctx, rs, r, settle, wait)
	}
	d := s.Dialect()
	if !d.Valid() {
		d = r.Dialect
	}
	h, detail, err := replayFresh(ctx, s, d, r.Conns, settle, wait)
	if err != nil {
		return res, err
	}
	res.Health, res.Detail = h, detail
	return res, nil
}

// describe renders what a (minimised) sequence sends, frame by frame.
func describe(d wire.Dialect, seq []Input) string {
	var parts []string
	for _, in := range seq {
		for _, ch := range in.Chunks {
			for _, f := range splitFrames(d, ch) {
				parts = append(parts, describeFrame(d, f))
			}
		}
	}
	return strings.Join(parts, " + ")
}

func describeFrame(d wire.Dialect, f []byte) string {
	if !wellFormed(d, f) {
		if len(f) >= 4 {
			return fmt.Sprintf("%d bytes announcing a %d-byte frame", len(f), byteOrder(d).Uint32(f))
		}
		return fmt.Sprintf("%d stray bytes", len(f))
	}
	typ := wire.PacketType(byteOrder(d).Uint16(f[4:]))
	if decodes(d, f) {
		p, _ := wire.Decode(d, qds.NewTypes(d.Types()), qds.Limits{}, wire.Frame{Type: typ, Body: f[6:]})
		// The first line (an InitDynamic's class follows on more), cut
		// short: a note is one line of a report.
		desc, _, _ := strings.Cut(wire.Describe(p), "\n")
		if r := []rune(desc); len(r) > 160 {
			desc = string(r[:160]) + "…"
		}
		return desc
	}
	return fmt.Sprintf("%s frame with a %d-byte body that does not decode", typ, len(f)-6)
}

// ReplayReplica plays a replica-role reproducer as the host of a freshly
// started replica of the kind it records (its "mode"), and says whether
// the replica survived.
func ReplayReplica(ctx context.Context, rs ReplicaStarter, r *Reproducer, settle, wait time.Duration) (ReplayResult, error) {
	res := ReplayResult{Target: rs.Name(), Role: RoleReplica}
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if wait <= 0 {
		wait = 3 * time.Second
	}
	dynamic := r.Meta["mode"] == "dynamic"
	modes, err := rs.ReplicaModes(ctx)
	if err != nil {
		return res, err
	}
	if !slices.Contains(modes, dynamic) {
		return res, fmt.Errorf("%w: %s has no %s replicas", ErrNoReplicaRole, rs.Name(), modeName(dynamic))
	}
	v := &replicaVictim{rs: rs, dynamic: dynamic, d: r.Dialect, checkExit: true,
		tm: timing{settle: settle, wait: wait, await: time.Second, reconnect: 2 * time.Second}}
	h, detail, err := v.fresh(ctx, r.Conns)
	if err != nil {
		return res, err
	}
	res.Health, res.Detail = h, detail
	return res, nil
}
