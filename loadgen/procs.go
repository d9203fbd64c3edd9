package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
)

// The stdio control protocol between a launcher and its shard processes,
// one JSON object per line: the shard writes {"ready":true,...} on stdout
// when its replicas are connected; the launcher answers on the shard's
// stdin with {"start_unix_ns":T}, the same T for every shard.
type readyMsg struct {
	Ready    bool  `json:"ready"`
	Shard    int   `json:"shard"`
	Valid    int64 `json:"valid"`
	Replicas int64 `json:"replicas"`
}

type startMsg struct {
	StartUnixNs int64 `json:"start_unix_ns"`
}

// StdioControl is the shard side of the control protocol.
type StdioControl struct {
	Shard int
	In    io.Reader
	Out   io.Writer
}

// Ready implements Control.
func (c *StdioControl) Ready(_ context.Context, valid, replicas int64) error {
	return json.NewEncoder(c.Out).Encode(readyMsg{Ready: true, Shard: c.Shard, Valid: valid, Replicas: replicas})
}

// Start implements Control.
func (c *StdioControl) Start(ctx context.Context) (int64, error) {
	type res struct {
		t   int64
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var m startMsg
		err := json.NewDecoder(c.In).Decode(&m)
		ch <- res{m.StartUnixNs, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return 0, fmt.Errorf("loadgen: control: %w", r.err)
		}
		return r.t, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Procs runs a scenario split over n local processes of exe (this
// program), shard i/n each, coordinated over stdio, and merges their
// summaries exactly. It is the single-machine form of a sharded run; on
// several machines, start `qtro loadgen run --shard i/n --start-at T` on
// each and merge the files.
type Procs struct {
	Exe      string   // the qtro binary
	Args     []string // arguments before the shard's own ("loadgen", "run")
	N        int
	Dir      string    // where shard summaries go
	Stderr   io.Writer // shards' progress lines
	Settle   time.Duration
	Scenario scenario.Scenario
	// ChildArgs adds arguments for shard i (e.g. its own profile file).
	ChildArgs func(i int) []string
}

// Run starts the shards and returns the merged summary (thresholds not
// applied: the caller applies them to the merged result).
func (p *Procs) Run(ctx context.Context) (*result.Summary, error) {
	if p.N < 2 {
		return nil, errors.New("loadgen: procs needs at least 2 processes (one host shard, one replica shard)")
	}
	sc := p.Scenario
	sc.Thresholds = nil
	scPath := filepath.Join(p.Dir, "scenario.json")
	b, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(scPath, b, 0o644); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type child struct {
		cmd   *exec.Cmd
		in    io.WriteCloser
		out   *bufio.Reader
		path  string
		ready chan error
	}
	kids := make([]*child, p.N)
	for i := range kids {
		path := filepath.Join(p.Dir, fmt.Sprintf("shard-%d.json", i))
		args := append(append([]string(nil), p.Args...), "--scenario", scPath, "--shard", fmt.Sprintf("%d/%d", i, p.N),
			"--control", "stdio", "--json", path, "--html", "", "--quiet")
		if p.ChildArgs != nil {
			args = append(args, p.ChildArgs(i)...)
		}
		cmd := exec.CommandContext(ctx, p.Exe, args...)
		cmd.Stderr = p.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("loadgen: start shard %d: %w", i, err)
		}
		k := &child{cmd: cmd, in: in, out: bufio.NewReader(out), path: path, ready: make(chan error, 1)}
		kids[i] = k
		go func() {
			line, err := k.out.ReadBytes('\n')
			if err != nil {
				k.ready <- fmt.Errorf("shard %d exited before it was ready: %w", i, err)
				return
			}
			var m readyMsg
			if err := json.Unmarshal(line, &m); err != nil || !m.Ready {
				k.ready <- fmt.Errorf("shard %d: bad control line %q", i, line)
				return
			}
			k.ready <- nil
			_, _ = io.Copy(io.Discard, k.out)
		}()
	}
	waitAll := func() {
		for _, k := range kids {
			_ = k.cmd.Wait()
		}
	}
	timeout := time.After(sc.ConnectTimeout.D() + 60*time.Second)
	for i, k := range kids {
		select {
		case err := <-k.ready:
			if err != nil {
				cancel()
				waitAll()
				return nil, err
			}
		case <-timeout:
			cancel()
			waitAll()
			return nil, fmt.Errorf("loadgen: shard %d not ready in time", i)
		case <-ctx.Done():
			waitAll()
			return nil, ctx.Err()
		}
	}
	settle := p.Settle
	if settle <= 0 {
		settle = 500 * time.Millisecond
	}
	start := time.Now().Add(settle).UnixNano()
	for _, k := range kids {
		_ = json.NewEncoder(k.in).Encode(startMsg{StartUnixNs: start})
	}
	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, k := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := k.cmd.Wait(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("shard %d: %w", i, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var parts []*result.Summary
	for _, k := range kids {
		s, err := result.Read(k.path)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	return result.Merge(parts...)
}

// WallControl starts at an agreed wall-clock time without a coordinator
// (shards on several machines with synchronised clocks).
type WallControl struct{ StartUnixNs int64 }

// Ready implements Control.
func (WallControl) Ready(context.Context, int64, int64) error { return nil }

// Start implements Control.
func (w WallControl) Start(context.Context) (int64, error) { return w.StartUnixNs, nil }
