package fuzz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/conformance"
)

// Instance is one running host under fuzz.
type Instance interface {
	// URL is where the host listens.
	URL() string
	// Exited is closed when a host we started has exited; nil for a host
	// we only connect to.
	Exited() <-chan struct{}
	// ExitInfo describes how the process ended ("" while it runs).
	ExitInfo() string
	// Close stops a host we started.
	Close() error
	// RSS is the resident memory of a host we started, in KiB (0 when
	// unknown: an url: host, or no /proc).
	RSS() int64
}

// Starter starts fresh instances of one target: the fuzz run, every
// minimisation step and every replay start their own.
type Starter interface {
	Start(ctx context.Context) (Instance, error)
	// Name labels the target in reports.
	Name() string
	// Dialect is the target's dialect (zero: learn it from the host).
	Dialect() wire.Dialect
	// Restartable reports whether Start gives a fresh process (false for
	// url: targets, which the fuzzer cannot restart after a crash).
	Restartable() bool
}

// TargetStarter starts a conformance target (go, qt6, adapter:..., url:...)
// as a host of its test object (Starter) or as a replica of it
// (ReplicaStarter).
type TargetStarter struct {
	T *conformance.Target
	// Log receives the adapter's output (nil: discarded; a host under
	// attack logs a lot).
	Log io.Writer

	mu  sync.Mutex
	dir string
}

var _ Starter = (*TargetStarter)(nil)

// Name implements Starter.
func (s *TargetStarter) Name() string { return s.T.Name }

// Dialect implements Starter.
func (s *TargetStarter) Dialect() wire.Dialect { return s.T.Dialect }

// Restartable implements Starter.
func (s *TargetStarter) Restartable() bool { return s.T.URL == "" }

// tempDir returns the starter's temporary directory (the adapters'
// TMPDIR), making it on first use.
func (s *TargetStarter) tempDir() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "qtro-fuzz-")
		if err != nil {
			return "", err
		}
		s.dir = dir
	}
	return s.dir, nil
}

// Start implements Starter.
func (s *TargetStarter) Start(ctx context.Context) (Instance, error) {
	dir, err := s.tempDir()
	if err != nil {
		return nil, err
	}
	a, url, err := conformance.StartHost(ctx, s.T, dir, s.Log)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return urlInstance(url), nil
	}
	return &adapterInstance{a: a, url: url}, nil
}

// Cleanup removes the starter's temporary directory.
func (s *TargetStarter) Cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}

type adapterInstance struct {
	a   *adapter.Adapter
	url string
}

func (i *adapterInstance) URL() string             { return i.url }
func (i *adapterInstance) Exited() <-chan struct{} { return i.a.Exited() }
func (i *adapterInstance) Close() error            { return i.a.Close() }
func (i *adapterInstance) RSS() int64              { return rssKiB(i.a.Pid()) }

// ExitInfo says how the host ended, with the signal that killed it
// ("was killed by SIGSEGV").
func (i *adapterInstance) ExitInfo() string { return i.a.ExitDescription() }

type urlInstance string

func (u urlInstance) URL() string             { return string(u) }
func (u urlInstance) Exited() <-chan struct{} { return nil }
func (u urlInstance) ExitInfo() string        { return "" }
func (u urlInstance) Close() error            { return nil }
func (u urlInstance) RSS() int64              { return 0 }

// Health is the verdict of a liveness probe.
type Health string

// Health values.
const (
	Alive   Health = "alive"
	Crashed Health = "crashed" // the process exited (or, for url: targets, nobody answers)
	Hung    Health = "hung"    // the process runs but no fresh client gets a Handshake and a Pong
)

// ErrHostGone means an url: host stopped answering (it crashed, or hangs:
// the fuzzer cannot tell without the process).
var ErrHostGone = errors.New("fuzz: host stopped answering")

// probe checks the host: its process still runs and a fresh client gets
// a Handshake and a Pong within wait.
func probe(ctx context.Context, inst Instance, d wire.Dialect, wait time.Duration) (Health, string) {
	if ex := inst.Exited(); ex != nil {
		select {
		case <-ex:
			return Crashed, inst.ExitInfo()
		default:
		}
	}
	fresh := func(wait time.Duration) error {
		cl, err := dial(ctx, inst.URL(), d, wait)
		if err == nil {
			err = cl.ping(ctx, wait)
			cl.close()
		}
		return err
	}
	err := fresh(wait)
	if err != nil && !exited(inst) {
		// A loaded machine can be slow: ask once more, for longer, before
		// calling a live host hung (or an url: host dead).
		err = fresh(2 * wait)
	}
	if err == nil {
		return Alive, ""
	}
	if ex := inst.Exited(); ex != nil {
		select {
		case <-ex:
			return Crashed, inst.ExitInfo()
		case <-time.After(500 * time.Millisecond):
		}
		return Hung, "no Handshake and Pong for a fresh client: " + err.Error()
	}
	return Crashed, "no Handshake and Pong for a fresh client: " + err.Error()
}

// exited reports whether a process we started has exited.
func exited(inst interface{ Exited() <-chan struct{} }) bool {
	ex := inst.Exited()
	if ex == nil {
		return false
	}
	select {
	case <-ex:
		return true
	default:
		return false
	}
}

// rssKiB reads a process's VmRSS from /proc (0 where there is none).
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
