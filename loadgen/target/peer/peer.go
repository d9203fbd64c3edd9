// Package peer is the load-test target behind the adapter contract
// (specs/ADAPTER.md): every host and registry is a separate adapter
// process — the real Qt 5/6 peers (fixtures/peer), `qtro adapter` (the Go
// reference node as its own process) or any third-party adapter — and the
// load is the host's own §9 load mode (`load props|signals|payload`).
// Replicas are loadgen's Go replicas in this process (target/gonode's
// clients), so every target is measured by the same receivers.
//
// What is measured where: the host process queues the updates at the rate
// the load command asks (the contract has no per-update pacing from
// outside, so only constant rates map onto it, and the closed model is one
// run of a fixed count as fast as the host can); the Go replicas here
// record delivery, loss, order and latency. Signals carry the host's send
// time (CLOCK_MONOTONIC, comparable on one machine); property changes are
// timed against the open model's schedule, counted from the load start, so
// the adapter's start-up delay shows up as latency (and as sender lag).
// Host CPU and memory are read from /proc for the adapter's pid.
package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/target"
	"github.com/qtro/qtro/loadgen/target/gonode"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/contract"
)

// DefaultCount is the closed model's updates per object when Target.Count
// is 0: one run of the host's load mode as fast as it goes.
const DefaultCount = 200_000

// progressMs is how often hosts report loadProgress (the live display).
const progressMs = 200

// Target runs hosts and registries as adapter processes.
type Target struct {
	// Label names the target in reports ("go-adapter", "qt6", "qt5", ...).
	Label string
	// Command is the adapter's argv prefix (e.g. ["qtro", "adapter"] or a
	// Qt peer binary, or "docker run -i --rm IMAGE").
	Command []string
	// Args follow every role's flags (e.g. --dialect qt5 for qtro adapter).
	Args []string
	// Env adds KEY=VALUE entries to the adapter's environment.
	Env []string
	// Dialect is the dialect the adapter speaks ("": whatever the scenario
	// says); replicas use it.
	Dialect string
	// Count is the closed model's updates per object (0: DefaultCount).
	Count int64
	// Log receives the adapters' event and stderr lines (nil: none).
	Log io.Writer
	// Schemes are the URL schemes loadgen's Go replicas dial (nil: the
	// built-in ones; transport.WithSecure for tls+tcp, ws and wss, with
	// the CA that signed the certificate Env gives the host).
	Schemes *node.Schemes
}

var _ target.Target = (*Target)(nil)

// Name implements target.Target.
func (t *Target) Name() string { return t.Label }

// HostsElsewhere implements target.Remote: hosts are adapter processes.
func (t *Target) HostsElsewhere() bool { return true }

func (t *Target) config(role adapter.Role, name string, args ...string) adapter.Config {
	return adapter.Config{Command: t.Command, Role: role, Args: append(args, t.Args...), Env: t.Env,
		Name: t.Label + " " + name, Log: t.Log}
}

type registry struct {
	a   *adapter.Adapter
	url string
}

func (r *registry) URL() string  { return r.url }
func (r *registry) Close() error { return r.a.Close() }

// StartRegistry implements target.Target: the adapter's registry role.
func (t *Target) StartRegistry(ctx context.Context, listen string, _ target.HostSpec) (target.Registry, error) {
	a, err := adapter.Start(ctx, t.config(adapter.Registry, "registry", "--url", listen))
	if err != nil {
		return nil, wrapStart(err)
	}
	return &registry{a: a, url: a.Ready().Str("url")}, nil
}

func wrapStart(err error) error {
	if errors.Is(err, adapter.ErrUnsupported) {
		return fmt.Errorf("%w: %v", target.ErrUnsupported, err)
	}
	return err
}

// Host is one adapter host process serving one Tick object. It implements
// target.Host and target.Restarter (chaos runs kill and restart it).
type Host struct {
	t    *Target
	spec target.HostSpec
	url  string

	mu      sync.Mutex
	a       *adapter.Adapter
	killed  bool
	revived chan struct{} // closed when a restarted process is ready
	cpuDead time.Duration // CPU of killed processes of this host
}

var (
	_ target.Host         = (*Host)(nil)
	_ target.Restarter    = (*Host)(nil)
	_ target.FixedCounter = (*Host)(nil)
	_ target.CPUReporter  = (*Host)(nil)
)

// StartHost implements target.Target. The contract's host role remotes one
// object, so a host of several objects is unsupported.
func (t *Target) StartHost(ctx context.Context, spec target.HostSpec) (target.Host, error) {
	if len(spec.Objects) != 1 {
		return nil, fmt.Errorf("%w: an adapter host remotes one object (specs/ADAPTER.md §1), asked for %d", target.ErrUnsupported, len(spec.Objects))
	}
	h := &Host{t: t, spec: spec}
	a, err := h.start(ctx, spec.Listen)
	if err != nil {
		return nil, err
	}
	h.a = a
	h.url = a.Ready().Str("url")
	return h, nil
}

// start runs the host process at listen and waits until it remotes Tick.
func (h *Host) start(ctx context.Context, listen string) (*adapter.Adapter, error) {
	args := []string{"--url", listen, "--type", contract.TypeTick, "--object", h.spec.Objects[0]}
	if h.spec.Registry != "" {
		args = append(args, "--registry", h.spec.Registry)
	}
	a, err := adapter.Start(ctx, h.t.config(adapter.Host, "host", args...))
	if err != nil {
		return nil, wrapStart(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := a.WaitFor(wctx, 0, adapter.Named(contract.EvRemoting, adapter.Field("enabled", true))); err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("host %s: remoting not enabled: %w", h.spec.Objects[0], err)
	}
	return a, nil
}

// URL implements target.Host.
func (h *Host) URL() string { return h.url }

// Pid returns the host process's id.
func (h *Host) Pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.a.Pid()
}

// Memory implements target.Host: the adapter process's RSS.
func (h *Host) Memory() target.Memory {
	return target.Memory{RSS: result.RSS(h.Pid())}
}

// CPU returns the CPU time the host's processes used so far (user +
// system, from /proc/PID/stat), killed ones included.
func (h *Host) CPU() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.killed {
		return h.cpuDead
	}
	return h.cpuDead + ProcCPU(h.a.Pid())
}

// FixedCount implements target.FixedCounter.
func (h *Host) FixedCount() bool { return true }

// Close implements target.Host.
func (h *Host) Close() error {
	h.mu.Lock()
	a := h.a
	h.mu.Unlock()
	return a.Close()
}

// Kill implements target.Restarter: SIGKILL, no goodbye on the wire.
func (h *Host) Kill() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.killed {
		return nil
	}
	h.killed = true
	h.revived = make(chan struct{})
	h.cpuDead += ProcCPU(h.a.Pid()) // its last reading: the process is about to go
	if err := h.a.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-h.a.Exited()
	_ = h.a.Close()
	return nil
}

// Restart implements target.Restarter: a new process at the same URL.
func (h *Host) Restart(ctx context.Context) error {
	h.mu.Lock()
	if !h.killed {
		h.mu.Unlock()
		return errors.New("peer: restart of a host that was not killed")
	}
	h.mu.Unlock()
	var a *adapter.Adapter
	var err error
	// The old socket may linger for a moment; retry the listen briefly.
	for try := 0; try < 20; try++ {
		if a, err = h.start(ctx, h.url); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.a = a
	h.killed = false
	close(h.revived)
	h.mu.Unlock()
	return nil
}

// current returns the live process, or a channel that is closed when a
// killed one has been restarted.
func (h *Host) current() (*adapter.Adapter, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.killed {
		return nil, h.revived
	}
	return h.a, nil
}

// Push implements target.Host with the host's own load mode. Open model:
// the schedule must be a constant rate (one stage, From == To): the host
// runs `load MODE count=planned rate=R batch=B` from the load start. Closed
// model: one run of Count updates at rate 0 (the window cannot reach into
// another process). When the process is killed mid-run (chaos), Push waits
// for its restart and runs the rest of the schedule on the new process;
// the new process's counter and tick numbers start again at 1, and the
// timeline is rebased so latency stays measured from intended times.
func (h *Host) Push(ctx context.Context, p target.Plan) (target.PushStats, error) {
	st := target.PushStats{LastSeq: make([]int64, 1), Lag: metrics.NewHistogram()}
	mode := p.Kind
	// The adapter's host load mode (specs/ADAPTER.md §9.1) of each kind.
	loadMode, ok := map[string]string{target.Props: contract.LoadProps, target.Signals: contract.LoadSignals,
		target.Payload: contract.LoadPayload}[mode]
	if !ok {
		return st, fmt.Errorf("%w: push %q", target.ErrUnsupported, mode)
	}
	tl := p.Timeline
	batch := int64(max(p.Batch, 1))
	obj := p.Objects[0]
	var rate float64 // updates/s
	var total int64  // updates the plan asks for
	if tl.Open() {
		stages := tl.Schedule().Stages()
		if len(stages) != 1 || stages[0].From != stages[0].To || stages[0].From <= 0 {
			return st, fmt.Errorf("%w: an adapter host paces itself at one constant rate (specs/ADAPTER.md §9.1); schedule %s", target.ErrUnsupported, tl.Schedule())
		}
		rate = stages[0].From * float64(batch)
		total = tl.Schedule().Total() * batch
		st.Planned = total
	} else {
		total = h.t.Count
		if total <= 0 {
			total = DefaultCount
		}
		total = (total + batch - 1) / batch * batch
	}
	for seg := 0; ; seg++ {
		a, revived := h.current()
		if a == nil {
			// Killed: wait for the restart, then go on with what is left.
			select {
			case <-revived:
			case <-ctx.Done():
				return st, nil
			}
			if a, _ = h.current(); a == nil {
				continue
			}
		}
		count := total - st.Updates
		var segStart int64 // intended time of this segment's first update
		if tl.Open() {
			segStart = tl.T0()
			if seg > 0 {
				// After a restart: what fell due while the host was down is
				// never sent (dropped); the schedule goes on from now.
				turns := max(tl.Schedule().Due(time.Duration(clock.Now()-tl.T0())), 0)
				count = total - turns*batch
				segStart, _ = tl.IntendedTurn(turns)
			}
			clock.SleepUntil(segStart)
		}
		if count <= 0 {
			return st, nil
		}
		if tl.Open() && seg > 0 {
			// Numbers restart at 1 on the new process: its update k is due
			// at segStart + (k-1)/rate. Nothing of the old process can
			// arrive any more, so everything received from now on is new.
			tl.Rebase(obj, clock.Now(), segStart)
		}
		mark := a.Mark()
		fields := map[string]any{"count": count, "batch": batch, "rate": rate, "progressMs": progressMs}
		if mode == target.Payload {
			fields["payloadBytes"] = p.Payload
		}
		res, err := a.Do(ctx, adapter.Load(loadMode, fields))
		if err != nil {
			if h.dead() {
				continue // killed while starting: wait for the restart
			}
			return st, fmt.Errorf("host %s: load %s: %w", h.spec.Objects[0], mode, err)
		}
		if tl.Open() {
			_ = st.Lag.RecordValue(max(res.Mono-segStart, 0))
		}
		firstCounter, _ := res.Int("firstCounter")
		sum, sent, err := h.follow(ctx, a, mark, p.Sent)
		st.Updates += sent
		if turns, ok := sum.Int("turns"); ok {
			st.Turns += turns
		} else {
			st.Turns += (sent + batch - 1) / batch
		}
		if sent > 0 {
			if mode == target.Props {
				st.LastSeq[0] = firstCounter + sent - 1
			} else {
				st.LastSeq[0] = sent
			}
		}
		switch {
		case err == nil:
			return st, nil
		case h.dead():
			continue // killed mid-run: wait for the restart
		case ctx.Err() != nil:
			return st, nil
		default:
			return st, err
		}
	}
}

// dead reports whether the host was killed and not yet restarted.
func (h *Host) dead() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.killed
}

// follow waits for the run's loadSummary, passing loadProgress on to sent.
// It returns the summary and the number of updates sent (from the summary,
// or the last progress when the process died or ctx ended).
func (h *Host) follow(ctx context.Context, a *adapter.Adapter, mark int, sent interface{ Add(int64) int64 }) (adapter.Event, int64, error) {
	cursor := mark
	var last int64
	isLoad := func(e adapter.Event) bool {
		return e.Name == contract.EvLoadProgress || e.Name == contract.EvLoadSummary
	}
	for {
		ev, err := a.Next(ctx, &cursor, isLoad)
		if err != nil {
			return adapter.Event{}, last, err
		}
		n, _ := ev.Int("sent")
		if sent != nil && n > last {
			sent.Add(n - last)
		}
		last = max(last, n)
		if ev.Name == contract.EvLoadSummary {
			return ev, last, nil
		}
	}
}

// StartClients implements target.Target with loadgen's own Go replicas.
func (t *Target) StartClients(ctx context.Context, spec target.ClientSpec) (target.Clients, error) {
	if t.Dialect != "" {
		spec.Dialect = t.Dialect
	}
	return gonode.Target{Schemes: t.Schemes}.StartClients(ctx, spec)
}

// ProcCPU returns the user + system CPU time of process pid from
// /proc/PID/stat (0 if unknown).
func ProcCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name (which may hold spaces) in parentheses.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+stt) * time.Second / clkTck
}

// clkTck is USER_HZ, 100 on every Linux architecture Go supports.
const clkTck = 100

// Named returns the adapter target a scenario names: "go-adapter" runs
// `QTRO adapter --dialect D` (qtro is the qtro binary, e.g.
// os.Executable()); "qt5" and "qt6" the real Qt peers (located or built by
// specs/adapter.QtPeer, $QTRO_QT5_PEER / $QTRO_QT6_PEER win); "qt@QT" the
// peer built against a newer Qt of ci/qt-versions.tsv (qt@6.8, qt@trixie,
// qt@newest; internal/checkout.QtPeerAt); "adapter" the given command.
func Named(ctx context.Context, name, dialect, qtro string, command []string) (*Target, error) {
	if at, ok := strings.CutPrefix(name, "qt@"); ok {
		q, err := checkout.QtPeerAt(ctx, at)
		if err != nil {
			return nil, fmt.Errorf("%w: %s peer: %v", target.ErrUnsupported, name, err)
		}
		return &Target{Label: name, Command: []string{q.Peer}, Dialect: "qt6"}, nil
	}
	switch name {
	case "go-adapter":
		if dialect == "" {
			dialect = "qt6"
		}
		return &Target{Label: name, Command: []string{qtro, "adapter"}, Args: []string{"--dialect", dialect}, Dialect: dialect}, nil
	case "qt5", "qt6":
		major := 5
		if name == "qt6" {
			major = 6
		}
		bin, err := adapter.QtPeer(ctx, major)
		if err != nil {
			return nil, fmt.Errorf("%w: %s peer: %v", target.ErrUnsupported, name, err)
		}
		return &Target{Label: name, Command: []string{bin}, Dialect: name}, nil
	case "adapter":
		if len(command) == 0 {
			return nil, errors.New("peer: target adapter needs a command")
		}
		return &Target{Label: "adapter", Command: command, Dialect: dialect}, nil
	}
	return nil, fmt.Errorf("%w: adapter target %q (go-adapter, qt5, qt6, qt@QT, adapter)", target.ErrUnsupported, name)
}
