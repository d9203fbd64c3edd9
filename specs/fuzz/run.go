package fuzz

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/conformance"
)

// Config bounds and aims one fuzz run.
type Config struct {
	Starter Starter
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
	// ProbeWait bounds a fresh client's Handshake and Pong (default 3 s).
	ProbeWait time.Duration
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
	Kind   string `json:"kind"`
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

// Report is the result of one fuzz run (one target).
type Report struct {
	Target   string         `json:"target"`
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
func GoldenFrames(d wire.Dialect) [][]byte {
	vs, err := golden.Load()
	if err != nil {
		return nil
	}
	var out [][]byte
	for _, v := range golden.Frames(vs) {
		if v.Dialect == d {
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

// Run fuzzes one target.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	rep := &Report{Target: cfg.Starter.Name(), Seed: cfg.Seed, Started: time.Now().UTC(), ByKind: map[string]int{}}
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
	kinds := cfg.Kinds
	if len(kinds) == 0 {
		kinds = Kinds
	}
	byKind := map[string]*Crash{}
	var found []*Crash
	var pending []struct {
		c  *Crash
		in Input
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
		cfg.Logf("fuzz: %s: input %d (%s: %s, %d bytes): %s %s", rep.Target, i, in.Kind, in.Note, in.Size(), h, detail)
		c := byKind[in.Kind]
		if c == nil {
			c = &Crash{Kind: in.Kind, Health: h, Detail: detail, Note: in.Note, First: i, OriginalSize: in.Size(), MinimalSize: in.Size(), Connections: 1}
			byKind[in.Kind] = c
			found = append(found, c)
			pending = append(pending, struct {
				c  *Crash
				in Input
			}{c, in})
		}
		c.Count++
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
	_ = inst.Close()
	for _, p := range pending {
		minimise(ctx, cfg, d, p.c, p.in, rep)
	}
	for _, c := range found {
		rep.Crashes = append(rep.Crashes, *c)
	}
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

// minimise checks that in alone crashes a fresh target, shrinks it, and
// writes its reproducer.
func minimise(ctx context.Context, cfg Config, d wire.Dialect, c *Crash, in Input, rep *Report) {
	seq := []Input{in}
	if cfg.Starter.Restartable() {
		attempts := 0
		oracle := func(seq []Input) bool {
			attempts++
			h, _, err := replayFresh(ctx, cfg.Starter, d, seq, cfg.Settle, cfg.ProbeWait)
			return err == nil && h != Alive
		}
		c.Reproduced = oracle(seq)
		if c.Reproduced && !cfg.NoMinimize {
			seq = Minimize(d, seq, oracle, cfg.MinimizeBudget)
		}
		c.Attempts = attempts
		cfg.Logf("fuzz: %s: %s reproduced=%v, %d -> %d bytes in %d attempts", rep.Target, c.Kind, c.Reproduced, c.OriginalSize, seq[0].Size(), attempts)
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
	r := &Reproducer{Dialect: d, Conns: seq, Meta: map[string]string{
		"kind": c.Kind, "note": c.Note, "target": rep.Target, "verdict": string(c.Health) + ": " + c.Detail,
		"found": fmt.Sprintf("seed %d, input %d; reproduced on a fresh target: %v", rep.Seed, c.First, c.Reproduced),
	}}
	dir := filepath.Join(cfg.Out, "crashes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		cfg.Logf("fuzz: %v", err)
		return
	}
	path := filepath.Join(dir, fileName(rep.Target)+"-"+c.Kind+".txt")
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
	Health Health `json:"health"`
	Detail string `json:"detail,omitempty"`
}

// Replay re-sends a reproducer to a fresh instance (or, for url:
// targets, the running host) and says whether the host survived. A
// reproducer of the other dialect is sent as it is: its bytes are the
// evidence.
func Replay(ctx context.Context, s Starter, r *Reproducer, settle, wait time.Duration) (ReplayResult, error) {
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if wait <= 0 {
		wait = 3 * time.Second
	}
	res := ReplayResult{Target: s.Name()}
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
		return wire.Describe(p)
	}
	return fmt.Sprintf("%s frame with a %d-byte body that does not decode", typ, len(f)-6)
}
