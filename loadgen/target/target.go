// Package target is the seam between loadgen and what it drives: a Host
// side that serves Tick objects and pushes updates on a plan, and a Clients
// side of replica nodes that acquire them and report what they observe
// into loadgen's metrics. qtro's Go reference node implements it
// (target/gonode); so does a raw framed-socket reference with no QtRO at
// all (target/raw); real Qt peers and third-party stacks plug in the same
// way.
//
// The interfaces are small on purpose: anything that can start a host at a
// URL, change a property / emit a signal on a schedule, answer echo(seq)
// and report its memory can be load-tested. An implementation that cannot
// do something returns ErrUnsupported, which loadgen reports as
// unsupported, never as a pass.
package target

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/pace"
)

// ErrUnsupported means the target cannot do what was asked.
var ErrUnsupported = errors.New("target: unsupported")

// Target makes hosts, registries and replica clients.
type Target interface {
	// Name identifies the target in reports ("go", "raw", "qt6", ...).
	Name() string
	// StartRegistry starts a registry listening on listen and returns it.
	StartRegistry(ctx context.Context, listen string, spec HostSpec) (Registry, error)
	// StartHost starts a host serving spec.Objects.
	StartHost(ctx context.Context, spec HostSpec) (Host, error)
	// StartClients starts replica nodes. It returns once they are
	// connecting; each reports Valid through its streams.
	StartClients(ctx context.Context, spec ClientSpec) (Clients, error)
}

// Registry is a running registry (QRemoteObjectRegistryHost).
type Registry interface {
	URL() string
	Close() error
}

// HostSpec describes a host: where it listens and what it serves.
type HostSpec struct {
	Listen       string   // URL to listen on; a port 0 picks one
	Objects      []string // Tick source names, in run-wide object order
	Registry     string   // registry URL to register the sources with ("": none)
	Dialect      string   // "qt6" or "qt5"
	MaxSendQueue int      // per-connection send bound (0: the implementation's default)
}

// Host is a running host.
type Host interface {
	// URL is where replicas connect.
	URL() string
	// Push sends updates following plan until it is done or ctx ends.
	Push(ctx context.Context, plan Plan) (PushStats, error)
	// Memory reports the host's memory now.
	Memory() Memory
	// Close stops the host.
	Close() error
}

// Restarter is a Host whose process can be killed and started again at
// the same URL (chaos runs). A Push in progress survives it: it waits for
// the restart and carries on with the rest of its plan.
type Restarter interface {
	// Kill ends the host abruptly (SIGKILL: no goodbye on the wire).
	Kill() error
	// Restart starts the host again at the same URL after Kill.
	Restart(ctx context.Context) error
}

// Remote is a Target whose hosts and registries run in processes of
// their own: this process then holds only the replicas' descriptors.
type Remote interface {
	HostsElsewhere() bool
}

// FixedCounter is a Host that, in the closed model, sends a fixed number
// of updates as fast as it can instead of following a window (an adapter
// host's load mode cannot be flow-controlled from another process).
type FixedCounter interface {
	FixedCount() bool
}

// CPUReporter is a Host in its own process that reports that process's
// CPU time (user + system) so far.
type CPUReporter interface {
	CPU() time.Duration
}

// Memory is a host's memory use.
type Memory struct {
	RSS int64 // resident set, bytes (0: unknown)
	// InProcess is true when the host shares its process with other parts
	// of the run (replicas, the generator): RSS then covers them too.
	InProcess bool
}

// Kinds of pushed updates.
const (
	Props   = "props"   // Tick.counter = seq (PropertyChange + notify)
	Signals = "signals" // tick(seq, sentNs)
	Payload = "payload" // payload(seq, sentNs, data)
)

// Plan is what a host pushes: turns of Batch updates per object, turn k at
// the timeline's intended time (open model) or as fast as Window allows
// (closed model). Update seq of a turn k is k·Batch + j + 1, j < Batch;
// sentNs carried by signals is the intended send time (open model) or the
// actual one (closed), in CLOCK_MONOTONIC ns (package clock).
type Plan struct {
	Kind     string
	Objects  []int             // run-wide index of each of the host's objects (timeline rings)
	Timeline *metrics.Timeline // started (T0 set) before Push
	Batch    int
	Payload  int           // payload bytes
	End      int64         // monotonic ns: stop sending at this time
	Window   Window        // closed model flow control; nil: open model
	Sent     *atomic.Int64 // incremented by the updates sent, for progress
}

// Window bounds a closed-model sender (pace.Window: the one sending loop,
// package pace, acquires it).
type Window = pace.Window

// PushStats is a host's account of a Push.
type PushStats struct {
	LastSeq []int64 // per object (HostSpec.Objects order): last seq sent
	Turns   int64
	Updates int64          // Σ over objects
	Planned int64          // updates the schedule intended (open model)
	Lag     *hdr.Histogram // per turn: actual − intended send time (open model)
	Errors  int64
}

// ClientSpec describes a set of replica nodes.
type ClientSpec struct {
	// Hosts lists each object's host URL (ObjectURLs[i] serves Objects[i]);
	// empty with Registry set: objects are found through the registry.
	ObjectURLs []string
	Registry   string
	Objects    []string // source names; index = run-wide object index
	// Acquire lists, per local node, the object indices it acquires.
	Acquire [][]int
	// Nodes are the run-wide numbers of the local nodes (stripe choice).
	Nodes []int
	// Streams holds, per local node, one stream per acquired object.
	Streams      [][]*metrics.Stream
	Kind         string // what to observe: props, signals, payload, echo or none
	Payload      int    // expected payload bytes
	Dialect      string
	Dynamic      bool
	Heartbeat    time.Duration
	MaxSendQueue int
	ConnectRate  float64 // new nodes per second (0: all at once)
	Run          *metrics.Run
}

// Clients is a running set of replica nodes.
type Clients interface {
	// Echo makes echo(seq) calls until the plan ends.
	Echo(ctx context.Context, plan EchoPlan) (EchoStats, error)
	// Churn repeatedly releases and re-creates each node until ctx ends.
	Churn(ctx context.Context, plan ChurnPlan) (ChurnStats, error)
	// Close closes every node.
	Close() error
}

// EchoPlan drives echo(seq) round trips. Open model: the timeline's
// schedule is the aggregate call schedule (every replica's rate × replica
// count), call j going to replica j mod N; closed model: Inflight calls
// outstanding per replica. Round trips are recorded in Run.Latency from the
// intended (open) or actual (closed) call time.
type EchoPlan struct {
	Timeline *metrics.Timeline
	Inflight int
	End      int64 // monotonic ns: issue no call after this
	Deadline int64 // monotonic ns: calls unanswered by then are lost
	Sent     *atomic.Int64
}

// EchoStats is the account of an Echo.
type EchoStats struct {
	Calls, Replies, Lost, Errors, Mismatched int64
	Planned                                  int64
	Lag                                      *hdr.Histogram
}

// ChurnPlan drives connection churn: each node connects, waits for its
// replicas to be Valid, holds them Hold, releases them, closes, repeats.
type ChurnPlan struct {
	Hold    time.Duration
	Timeout time.Duration // a cycle not Valid within this is a timeout
	End     int64         // monotonic ns
}

// ChurnStats is the account of a Churn: completed cycles, cycles that
// timed out, and cycles still connecting when the plan ended.
type ChurnStats struct {
	Cycles, Timeouts, Cut int64
}

// EachNode calls open for each local node of spec in order, spec.ConnectRate
// per second (0: back to back), until open fails or ctx ends; it returns
// open's error or ctx's.
func EachNode(ctx context.Context, spec ClientSpec, open func(i int) error) error {
	n := int64(len(spec.Nodes))
	if n == 0 {
		return ctx.Err()
	}
	loop := pace.Loop{Count: n}
	if spec.ConnectRate > 0 {
		loop.At = pace.Rate(clock.Now(), spec.ConnectRate)
	}
	var err error
	st := loop.Run(ctx, func(t pace.Turn) bool {
		err = open(int(t.First))
		return err == nil
	})
	if err == nil && st.Units < n {
		err = ctx.Err()
	}
	return err
}
