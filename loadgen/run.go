package loadgen

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target"
	"github.com/qtro/qtro/loadgen/threshold"
)

// Options configure Run.
type Options struct {
	Scenario scenario.Scenario
	Target   target.Target
	Shard    Shard
	// Control coordinates the start with other shards (nil: start as soon
	// as this process is ready).
	Control Control
	// Progress receives live status (nil: none).
	Progress Progress
	// BeforeClose runs after the drain while every host and replica is
	// still up (e.g. to take a heap profile at the run's peak).
	BeforeClose func()
}

// Control coordinates shards: each reports ready, all start at one time.
type Control interface {
	// Ready tells the coordinator this shard has connected its replicas.
	Ready(ctx context.Context, valid, replicas int64) error
	// Start waits for the agreed load start, wall-clock Unix ns.
	Start(ctx context.Context) (int64, error)
}

// Progress receives a run's live status.
type Progress interface {
	Update(Status)
}

// Status is a run's live state.
type Status struct {
	Phase     string // "connect", "load", "drain", "done"
	Elapsed   time.Duration
	Duration  time.Duration // of the load phase
	Replicas  int64         // replica streams in this process
	Valid     int64
	Sent      int64
	Delivered int64
	Errors    int64
	Dropped   int64
	SentRate  float64 // over the last interval, per second
	Rate      float64 // delivered per second over the last interval
	P99       int64   // last interval, ns
}

// ErrNoReplicasValid means not one replica became Valid: nothing to measure.
var ErrNoReplicasValid = errors.New("loadgen: no replica became Valid")

// runner is one Run's state.
type runner struct {
	opts  Options
	sc    *scenario.Scenario
	mesh  *mesh
	tl    *metrics.Timeline
	run   *metrics.Run
	reg   target.Registry
	hosts map[int]target.Host // local hosts by host index
	cl    target.Clients
	// streams[i][k]: local node i's stream for its k-th acquired object.
	streams   [][]*metrics.Stream
	nodes     []int
	sent      atomic.Int64
	phase     atomic.Value // string
	notes     []string
	notesMu   sync.Mutex
	samples   []sample
	samplesMu sync.Mutex
	lastSent  []int64 // per object, from local hosts
	t0        int64
	t0ch      chan int64
	events    []result.Event
	eventsMu  sync.Mutex
	hostCPU   time.Duration // CPU of host processes of their own during the load
}

// event records something the run did at mono time at.
func (r *runner) event(at int64, format string, a ...any) {
	r.eventsMu.Lock()
	r.events = append(r.events, result.Event{T: float64(at-r.t0) / 1e9, What: fmt.Sprintf(format, a...)})
	r.eventsMu.Unlock()
}

// fixedCount reports whether this run's hosts send a fixed count in the
// closed model (adapter hosts): the load phase then lasts until every
// update is delivered, not a set duration.
func (r *runner) fixedCount() bool {
	if r.sc.Model != scenario.Closed || r.sc.Workload == scenario.Echo || r.sc.Workload == scenario.None {
		return false
	}
	for _, h := range r.hosts {
		if f, ok := h.(target.FixedCounter); ok && f.FixedCount() {
			return true
		}
	}
	return false
}

type sample struct {
	start, end       int64 // monotonic ns
	sent, delivered  int64
	errors, inits    int64
	valid            int64
	hostRSS, procRSS int64
	cpu              float64
	hist             *hdr.Histogram
}

func (r *runner) note(format string, a ...any) {
	r.notesMu.Lock()
	r.notes = append(r.notes, fmt.Sprintf(format, a...))
	r.notesMu.Unlock()
}

// Run runs one scenario (or this process's shard of it) and returns its
// summary, thresholds applied.
func Run(ctx context.Context, opts Options) (*result.Summary, error) {
	sc := opts.Scenario
	if err := sc.Normalize(); err != nil {
		return nil, err
	}
	if opts.Shard.Count == 0 {
		opts.Shard = Shard{0, 1}
	}
	ths, err := threshold.ParseAll(sc.Thresholds)
	if err != nil {
		return nil, err
	}
	m, err := newMesh(&sc, opts.Shard)
	if err != nil {
		return nil, err
	}
	r := &runner{opts: opts, sc: &sc, mesh: m, hosts: map[int]target.Host{}, lastSent: make([]int64, len(m.objects))}
	r.phase.Store("setup")
	if err := r.checkDescriptors(); err != nil {
		return nil, err
	}
	r.tl, err = r.timeline()
	if err != nil {
		return nil, err
	}
	stripes := min(max(runtime.GOMAXPROCS(0)*4, 8), 64)
	r.run = metrics.NewRun(r.tl, stripes, len(m.objects))
	defer r.closeAll()

	env := result.Environment()
	if err := r.startHosts(ctx); err != nil {
		return nil, err
	}
	cpuUser0, cpuSys0 := result.CPUTime()
	connectStart := clock.Now()
	stopSampler := r.startSampler(connectStart)
	if err := r.startClients(ctx); err != nil {
		stopSampler()
		return nil, err
	}
	r.phase.Store("connect")
	machine0 := result.MachineCPU()
	valid := r.waitValid(ctx, connectStart)
	connectS := float64(clock.Now()-connectStart) / 1e9
	cpuUserC, cpuSysC := result.CPUTime()
	machineC := result.MachineCPU()

	// Agree on the load start.
	var t0 int64
	if opts.Control != nil {
		if err := opts.Control.Ready(ctx, valid, r.replicaStreams()); err != nil {
			stopSampler()
			return nil, err
		}
		t0Wall, err := opts.Control.Start(ctx)
		if err != nil {
			stopSampler()
			return nil, err
		}
		t0 = clock.FromWall(t0Wall)
	} else {
		t0 = clock.Now() + int64(50*time.Millisecond)
	}
	if r.replicaStreams() > 0 && valid == 0 {
		stopSampler()
		return nil, fmt.Errorf("%w within %v (%d replica streams)", ErrNoReplicasValid, sc.ConnectTimeout, r.replicaStreams())
	}
	if n := r.replicaStreams() - valid; n > 0 {
		r.note("%d of %d replicas were not Valid when the load started", n, r.replicaStreams())
	}
	clock.SleepUntil(t0 - int64(5*time.Millisecond))
	for _, ss := range r.streams {
		for _, s := range ss {
			// Valid signal replicas must see every tick from 1; property
			// replicas know their start from Init.
			s.ExpectIfValid(1)
		}
	}
	r.tl.Start(t0)
	r.setT0(t0)
	r.phase.Store("load")
	cpuUser1, cpuSys1 := result.CPUTime()
	machine1 := result.MachineCPU()
	capturing := result.CapturingLoopback()
	end := t0 + int64(sc.Duration.D())
	hostCPU0 := r.hostsCPU()
	loadStats := r.load(ctx, t0, end)
	loadS := float64(clock.Now()-t0) / 1e9
	r.hostCPU = r.hostsCPU() - hostCPU0
	cpuUser2, cpuSys2 := result.CPUTime()
	machine2 := result.MachineCPU()
	capturing = capturing || result.CapturingLoopback()

	r.phase.Store("drain")
	drainStart := clock.Now()
	r.drain(ctx, end+int64(sc.Drain.D()))
	drainS := float64(clock.Now()-drainStart) / 1e9
	stopSampler()
	r.phase.Store("done")
	if opts.BeforeClose != nil {
		opts.BeforeClose()
	}

	s := r.summarize(env, loadStats)
	for _, h := range r.hosts {
		if !h.Memory().InProcess {
			r.note("hosts run in processes of their own behind the adapter contract and pace themselves (one `load` run at a constant rate from their own start; its delay after the load start is the sender lag); signals are timed from the host's own send time, property changes from the schedule")
		}
		break
	}
	s.T0UnixNs = clock.ToWall(t0)
	s.Phases = result.Phases{ConnectS: connectS, LoadS: min(loadS, sc.Duration.D().Seconds()), DrainS: drainS}
	if r.fixedCount() {
		// A fixed count: the load phase is the time until it was delivered.
		s.Phases.LoadS = loadS
		r.note("closed model on an adapter host: one run of %d updates per object as fast as the host goes; the load phase ends when the local replicas have them all (%.2fs)", s.Sent.Updates/int64(max(len(r.hosts), 1)), loadS)
	}
	if r.hostCPU > 0 {
		s.Host.CPUS = r.hostCPU.Seconds()
	}
	s.CPU = result.CPU{UserS: (cpuUser2 - cpuUser0).Seconds(), SysS: (cpuSys2 - cpuSys0).Seconds()}
	if loadS > 0 {
		own := (cpuUser2 - cpuUser1) + (cpuSys2 - cpuSys1)
		s.CPU.Cores = own.Seconds() / loadS
		if machine1 > 0 {
			// Host processes of the run's own (adapter targets) are not
			// "other" processes.
			others := machine2 - machine1 - own - r.hostCPU
			s.CPU.Others = min(max(others.Seconds()/loadS, 0), float64(runtime.NumCPU()))
		}
	}
	if connectS >= 0.5 { // /proc/stat's 10 ms ticks cannot resolve a shorter phase
		own := (cpuUserC - cpuUser0) + (cpuSysC - cpuSys0)
		s.CPU.ConnectCores = own.Seconds() / connectS
		if machine0 > 0 {
			// /proc/stat counts in 10 ms ticks: clamp what a short phase
			// cannot resolve to what the machine has.
			s.CPU.ConnectOthers = min(max((machineC-machine0-own).Seconds()/connectS, 0), float64(runtime.NumCPU()))
		}
	}
	if s.CPU.Others > 0.25 {
		r.note("other processes used %.2f cores during the load (load average %s): this machine was shared, numbers are pessimistic", s.CPU.Others, result.LoadAvg())
	}
	if capturing {
		r.note("the loopback interface was in promiscuous mode (a packet capture was running): every packet was copied")
	}
	if procs := float64(runtime.GOMAXPROCS(0)); s.CPU.Cores >= 0.9*procs {
		r.note("this process used %.2f of %d cores during the load: the machine, not only the node, was the limit", s.CPU.Cores, int(procs))
	}
	s.Finish()
	if s.Sent.Dropped > 0 && sc.KillAt > 0 {
		r.note("chaos: %d of %d planned updates were never sent: those that fell due while the hosts were down, and any a host could not keep up with (its latency from intended times shows which)", s.Sent.Dropped, s.Sent.Planned)
	} else if s.Sent.Dropped > 0 {
		r.note("the generator could not keep the schedule: %d of %d planned updates were never sent (k6's dropped_iterations)", s.Sent.Dropped, s.Sent.Planned)
	}
	if s.Delivery.Untimed > 0 {
		r.note("%d deliveries had no known intended send time (closed model across processes, or far behind the sender)", s.Delivery.Untimed)
	}
	s.Notes = append(s.Notes, r.notes...)
	s.ApplyThresholds(ths)
	if opts.Progress != nil {
		opts.Progress.Update(r.status(0, 0, 0))
	}
	return s, nil
}

// checkDescriptors fails early when this process would need more file
// descriptors than it may open: in-process, each replica node costs one
// descriptor on each side.
func (r *runner) checkDescriptors() error {
	lim := result.Environment().FDLimit
	if lim <= 0 {
		return nil
	}
	var need int64 = 64
	nodesHere := 0
	for n := 0; n < r.mesh.nodes; n++ {
		if r.opts.Shard.runsNode(n) {
			nodesHere++
		}
	}
	conns := int64(nodesHere) * int64(r.connsPerNode())
	need += conns // client side
	remote, _ := r.opts.Target.(target.Remote)
	if r.opts.Shard.runsHosts() && (remote == nil || !remote.HostsElsewhere()) {
		need += int64(r.mesh.nodes) * int64(r.connsPerNode()) // every node connects to our hosts
	}
	if need > lim {
		return fmt.Errorf("loadgen: this process would need about %d file descriptors, the limit is %d: split the run with --procs N (or --shard i/N), which puts hosts and replicas in separate processes", need, lim)
	}
	return nil
}

func (r *runner) connsPerNode() int {
	if r.mesh.registry {
		return r.mesh.hosts + 1
	}
	return r.mesh.hosts
}

// timeline builds the run's timeline: turns per object (open model), or
// send-time rings (closed).
func (r *runner) timeline() (*metrics.Timeline, error) {
	sc := r.sc
	if sc.Workload == scenario.None {
		return metrics.NewClosedTimeline(0), nil
	}
	if sc.Model == scenario.Closed {
		if sc.Workload == scenario.Echo {
			return metrics.NewClosedTimeline(0), nil
		}
		return metrics.NewClosedTimeline(len(r.mesh.objects)), nil
	}
	sch, err := sc.Schedule()
	if err != nil {
		return nil, err
	}
	switch sc.Workload {
	case scenario.Echo:
		// The aggregate call schedule of this process's replicas.
		local := 0
		for n := 0; n < r.mesh.nodes; n++ {
			if r.opts.Shard.runsNode(n) {
				local++
			}
		}
		return metrics.NewOpenTimeline(sch.Scale(float64(max(local, 1))), 1), nil
	default:
		return metrics.NewOpenTimeline(sch.Scale(1/float64(sc.Batch)), sc.Batch), nil
	}
}

func (r *runner) hostSpec(h int) target.HostSpec {
	sc := r.sc
	spec := target.HostSpec{Listen: r.mesh.listen[h], Dialect: sc.Dialect, MaxSendQueue: sc.MaxSendQueue}
	for _, o := range r.mesh.hostObjects(h) {
		spec.Objects = append(spec.Objects, r.mesh.objects[o])
	}
	return spec
}

func (r *runner) startHosts(ctx context.Context) error {
	if !r.opts.Shard.runsHosts() {
		return nil
	}
	t := r.opts.Target
	if r.mesh.registry {
		reg, err := t.StartRegistry(ctx, r.mesh.regURL, target.HostSpec{Dialect: r.sc.Dialect, MaxSendQueue: r.sc.MaxSendQueue})
		if err != nil {
			return fmt.Errorf("loadgen: registry: %w", err)
		}
		r.reg = reg
		r.mesh.regURL = reg.URL()
	}
	for h := 0; h < r.mesh.hosts; h++ {
		spec := r.hostSpec(h)
		if r.mesh.registry {
			spec.Registry = r.mesh.regURL
		}
		host, err := t.StartHost(ctx, spec)
		if err != nil {
			return fmt.Errorf("loadgen: host %d: %w", h, err)
		}
		r.hosts[h] = host
		r.mesh.listen[h] = host.URL()
	}
	return nil
}

func (r *runner) kind() string {
	switch r.sc.Workload {
	case scenario.Props:
		return target.Props
	case scenario.Signals:
		return target.Signals
	case scenario.Payload:
		return target.Payload
	case scenario.Echo:
		return "echo"
	}
	return "none"
}

func (r *runner) startClients(ctx context.Context) error {
	m := r.mesh
	var acquire [][]int
	for n := 0; n < m.nodes; n++ {
		if !r.opts.Shard.runsNode(n) {
			continue
		}
		objs := m.acquires(n)
		ss := make([]*metrics.Stream, len(objs))
		for k, o := range objs {
			ss[k] = r.run.NewStream(n, o)
		}
		r.nodes = append(r.nodes, n)
		r.streams = append(r.streams, ss)
		acquire = append(acquire, objs)
	}
	if len(r.nodes) == 0 {
		return nil
	}
	spec := target.ClientSpec{
		Objects: m.objects, Acquire: acquire, Nodes: r.nodes, Streams: r.streams, Kind: r.kind(),
		Payload: r.sc.Payload, Dialect: r.sc.Dialect, Dynamic: r.sc.Dynamic, Heartbeat: r.sc.Heartbeat.D(),
		MaxSendQueue: r.sc.MaxSendQueue, ConnectRate: r.sc.ConnectRate, Run: r.run,
	}
	if m.registry {
		spec.Registry = m.regURL
	} else {
		for o := range m.objects {
			spec.ObjectURLs = append(spec.ObjectURLs, m.listen[m.hostOf(o)])
		}
	}
	cl, err := r.opts.Target.StartClients(ctx, spec)
	if err != nil {
		return fmt.Errorf("loadgen: replicas: %w", err)
	}
	r.cl = cl
	return nil
}

func (r *runner) replicaStreams() int64 {
	var n int64
	for _, ss := range r.streams {
		n += int64(len(ss))
	}
	return n
}

// waitValid waits until every local replica stream is Valid or the connect
// timeout passes, and returns how many are.
func (r *runner) waitValid(ctx context.Context, start int64) int64 {
	total := r.replicaStreams()
	deadline := start + int64(r.sc.ConnectTimeout.D())
	for {
		v := r.run.Valid.Load()
		if v >= total || clock.Now() >= deadline || ctx.Err() != nil {
			return v
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// loadStats is what the load phase's drivers report.
type loadStats struct {
	push  []target.PushStats
	echo  *target.EchoStats
	churn *target.ChurnStats
	err   []error
}

// load runs the workload from t0 to end.
func (r *runner) load(ctx context.Context, t0, end int64) loadStats {
	var ls loadStats
	var mu sync.Mutex
	var wg sync.WaitGroup
	fixed := r.fixedCount()
	lctx, cancel := context.WithDeadline(ctx, time.Now().Add(time.Duration(end-clock.Now())+time.Second))
	if fixed {
		// Bounded by the drain allowance on top of ten times the duration.
		lctx, cancel = context.WithDeadline(ctx, time.Now().Add(10*time.Duration(end-clock.Now())+r.sc.Drain.D()+time.Minute))
	}
	defer cancel()
	fail := func(err error) {
		mu.Lock()
		ls.err = append(ls.err, err)
		mu.Unlock()
		r.run.Error(err)
	}
	if r.sc.KillAt > 0 && len(r.hosts) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.chaos(lctx, t0); err != nil {
				fail(err)
			}
		}()
	}
	switch r.sc.Workload {
	case scenario.Props, scenario.Signals, scenario.Payload:
		for h, host := range r.hosts {
			plan := target.Plan{Kind: r.kind(), Objects: r.mesh.hostObjects(h), Timeline: r.tl, Batch: r.sc.Batch,
				Payload: r.sc.Payload, End: end, Sent: &r.sent}
			if r.sc.Model == scenario.Closed {
				if w := r.window(h); w != nil {
					plan.Window = w
				} else {
					r.note("closed model without local replicas: host %d sends as fast as it can, unbounded", h)
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := host.Push(lctx, plan)
				if err != nil {
					fail(fmt.Errorf("host %d push: %w", h, err))
				}
				mu.Lock()
				ls.push = append(ls.push, st)
				for k, o := range plan.Objects {
					if k < len(st.LastSeq) {
						r.lastSent[o] = st.LastSeq[k]
					}
				}
				mu.Unlock()
			}()
		}
	case scenario.Echo:
		if r.cl != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := r.cl.Echo(lctx, target.EchoPlan{Timeline: r.tl, Inflight: r.sc.Inflight, End: end,
					Deadline: end + int64(r.sc.Drain.D()), Sent: &r.sent})
				if err != nil {
					fail(fmt.Errorf("echo: %w", err))
				}
				mu.Lock()
				ls.echo = &st
				mu.Unlock()
			}()
		}
	}
	if r.sc.Topology == scenario.Churn && r.cl != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.cl.Churn(lctx, target.ChurnPlan{Hold: r.sc.Hold.D(), Timeout: r.sc.ConnectTimeout.D(), End: end})
			if err != nil {
				fail(fmt.Errorf("churn: %w", err))
			}
			mu.Lock()
			ls.churn = &st
			mu.Unlock()
		}()
	}
	if fixed {
		// The load phase ends when every local replica has every update.
		wg.Wait()
		r.waitDelivered(lctx)
		return ls
	}
	// Whatever the drivers do, the load phase lasts its duration (a run
	// with no workload holds its replicas, e.g. for heartbeats).
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTimer(time.Duration(end - clock.Now()))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}()
	wg.Wait()
	return ls
}

// waitDelivered waits until every Valid local stream has what its host
// sent, or deliveries stop for a second.
func (r *runner) waitDelivered(ctx context.Context) {
	last, since := r.run.Delivered.Load(), clock.Now()
	for ctx.Err() == nil && !r.caughtUp() {
		if d := r.run.Delivered.Load(); d != last {
			last, since = d, clock.Now()
		} else if clock.Now()-since > int64(time.Second) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// chaos kills every host at KillAt, restarts them Down later, and records
// when the local replicas are all Valid again.
func (r *runner) chaos(ctx context.Context, t0 int64) error {
	var rs []target.Restarter
	for h := 0; h < r.mesh.hosts; h++ {
		host, ok := r.hosts[h]
		if !ok {
			continue
		}
		x, ok := host.(target.Restarter)
		if !ok {
			return fmt.Errorf("%w: target %s cannot kill and restart its hosts (chaos)", target.ErrUnsupported, r.opts.Target.Name())
		}
		rs = append(rs, x)
	}
	clock.SleepUntil(t0 + int64(r.sc.KillAt.D()))
	if ctx.Err() != nil {
		return nil
	}
	for h, x := range rs {
		if err := x.Kill(); err != nil {
			return fmt.Errorf("chaos: kill host %d: %w", h, err)
		}
		r.event(clock.Now(), "host %d killed (SIGKILL)", h)
	}
	clock.SleepUntil(clock.Now() + int64(r.sc.Down.D()))
	for h, x := range rs {
		if err := x.Restart(ctx); err != nil {
			return fmt.Errorf("chaos: restart host %d: %w", h, err)
		}
		r.event(clock.Now(), "host %d restarted (listening, source remoted)", h)
	}
	total := r.replicaStreams()
	for ctx.Err() == nil && total > 0 {
		if r.run.Valid.Load() >= total {
			r.event(clock.Now(), "all %d replicas Valid again", total)
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// hostsCPU sums the CPU time of local hosts that run in processes of
// their own.
func (r *runner) hostsCPU() time.Duration {
	var d time.Duration
	for _, h := range r.hosts {
		if c, ok := h.(target.CPUReporter); ok {
			d += c.CPU()
		}
	}
	return d
}

// window is the closed model's flow control for host h: at most Inflight
// turns not yet delivered to every local replica of its objects.
type window struct {
	run      *metrics.Run
	objs     []int
	perTurn  int64
	inflight int64
	sent     atomic.Int64
}

var errWindowStalled = errors.New("loadgen: closed-model window stalled: no delivery for 5s")

func (r *runner) window(h int) *window {
	objs := r.mesh.hostObjects(h)
	var streams int64
	for _, ss := range r.streams {
		for _, s := range ss {
			if r.mesh.hostOf(s.Object) == h {
				streams++
			}
		}
	}
	if streams == 0 {
		return nil
	}
	return &window{run: r.run, objs: objs, perTurn: streams * int64(r.sc.Batch), inflight: int64(r.sc.Inflight)}
}

func (w *window) delivered() int64 {
	var n int64
	for _, o := range w.objs {
		n += w.run.ObjDelivered[o].Load()
	}
	return n
}

// Acquire implements target.Window: receivers wake it when deliveries
// progress, so a fast target is never held back by a timer's granularity.
func (w *window) Acquire(ctx context.Context) error {
	open := func() (bool, int64) {
		d := w.delivered()
		return w.sent.Load()-d/w.perTurn < w.inflight, d
	}
	last, since := int64(-1), clock.Now()
	for {
		ok, d := open()
		if ok {
			return nil
		}
		if d != last {
			last, since = d, clock.Now()
		} else if clock.Now()-since > int64(5*time.Second) {
			return errWindowStalled
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.run.ArmWake()
		if ok, _ := open(); ok {
			return nil
		}
		w.run.WaitWake(10*time.Millisecond, ctx.Done())
	}
}

// Sent implements target.Window.
func (w *window) Sent() { w.sent.Add(1) }

// drain waits until local replicas have everything local hosts sent, or
// deliveries stop for a second (remote hosts), or the deadline.
func (r *runner) drain(ctx context.Context, deadline int64) {
	if len(r.streams) == 0 && len(r.hosts) > 0 && r.opts.Shard.Count > 1 {
		// A host shard keeps serving until the replica shards have drained:
		// closing early would turn their stragglers into Suspect periods.
		clock.SleepUntil(deadline)
		return
	}
	if r.sc.Workload == scenario.Echo || r.sc.Workload == scenario.None || len(r.streams) == 0 {
		return
	}
	last, since := r.run.Delivered.Load(), clock.Now()
	for clock.Now() < deadline && ctx.Err() == nil {
		if r.caughtUp() {
			return
		}
		if d := r.run.Delivered.Load(); d != last {
			last, since = d, clock.Now()
		} else if clock.Now()-since > int64(time.Second) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// caughtUp reports whether every Valid local stream has seen the last
// update its (local) host sent.
func (r *runner) caughtUp() bool {
	if !r.opts.Shard.runsHosts() {
		return false
	}
	for _, ss := range r.streams {
		for _, s := range ss {
			st := s.Stats()
			if st.Valid && st.Expecting && st.Seen < r.lastSent[s.Object] {
				return false
			}
		}
	}
	return true
}

func (r *runner) closeAll() {
	if r.cl != nil {
		_ = r.cl.Close()
		r.cl = nil
	}
	for h, host := range r.hosts {
		_ = host.Close()
		delete(r.hosts, h)
	}
	if r.reg != nil {
		_ = r.reg.Close()
		r.reg = nil
	}
}
