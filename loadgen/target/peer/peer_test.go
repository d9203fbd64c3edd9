package peer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/internal/testadapter"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target"
	"github.com/qtro/qtro/loadgen/target/peer"
	"github.com/qtro/qtro/specs/adapter"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	testadapter.Main()
	goleak.VerifyTestMain(m)
}

// goAdapter is the Go node as an adapter process (this test binary).
func goAdapter(dialect string) *peer.Target {
	cmd, env := testadapter.Command()
	return &peer.Target{Label: "go-adapter", Command: cmd, Env: env, Args: []string{"--dialect", dialect}, Dialect: dialect}
}

// qtPeer is the real Qt peer of that major version; the test is skipped
// (and says why) where it cannot be built.
func qtPeer(t *testing.T, major int) *peer.Target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := adapter.QtPeer(ctx, major)
	if err != nil {
		t.Skipf("no Qt %d peer on this machine (unsupported here, not passed): %v", major, err)
	}
	d := "qt5"
	if major == 6 {
		d = "qt6"
	}
	return &peer.Target{Label: d, Command: []string{bin}, Dialect: d}
}

func run(t *testing.T, tg target.Target, sc scenario.Scenario) *result.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: tg})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func base(w string) scenario.Scenario {
	return scenario.Scenario{Name: "peer-" + w, Target: "adapter", Adapter: []string{"x"}, Topology: scenario.FanOut, Replicas: 4,
		Workload: w, Rate: "400", Duration: scenario.Duration(time.Second), Drain: scenario.Duration(5 * time.Second),
		Thresholds: []string{"lost==0", "duplicated==0", "reordered==0", "invalid==0", "errors==0"}}
}

// An adapter host process paces property changes, signals and payloads
// itself; loadgen's Go replicas see every one, in order.
func TestOpenModelWorkloads(t *testing.T) {
	for _, w := range []string{scenario.Props, scenario.Signals, scenario.Payload} {
		t.Run(w, func(t *testing.T) {
			sc := base(w)
			sc.Payload = 64
			s := run(t, goAdapter("qt6"), sc)
			if !s.Pass {
				t.Errorf("thresholds failed: %+v; notes %v; errors %v", s.Thresholds, s.Notes, s.Errors.Samples)
			}
			if s.Sent.Updates != 400 || s.Delivery.Delivered != 4*400 {
				t.Errorf("sent %d delivered %d, want 400 and 1600", s.Sent.Updates, s.Delivery.Delivered)
			}
			if s.Latency.Count != s.Delivery.Delivered {
				t.Errorf("%d of %d deliveries timed", s.Latency.Count, s.Delivery.Delivered)
			}
			if s.Host.RSSMax <= 0 || s.Host.Scope == "" {
				t.Errorf("host memory not measured: %+v", s.Host)
			}
		})
	}
}

// The closed model on an adapter host is one run of a fixed count as fast
// as the host goes; the load phase lasts until it is all delivered.
func TestClosedModelFixedCount(t *testing.T) {
	sc := base(scenario.Props)
	sc.Model, sc.Rate, sc.Batch = scenario.Closed, "", 10
	tg := goAdapter("qt5")
	tg.Count = 5000
	sc.Dialect = "qt5"
	s := run(t, tg, sc)
	if !s.Pass || s.Sent.Updates != 5000 || s.Delivery.Delivered != 4*5000 {
		t.Errorf("pass %v sent %d delivered %d (want 5000, 20000); thresholds %+v", s.Pass, s.Sent.Updates, s.Delivery.Delivered, s.Thresholds)
	}
	if s.Phases.LoadS <= 0 || s.Throughput.DeliveredPerS <= 0 {
		t.Errorf("no throughput: load %.3fs, %.0f/s", s.Phases.LoadS, s.Throughput.DeliveredPerS)
	}
}

// A host schedule the contract cannot express is unsupported, not run
// differently.
func TestRampUnsupported(t *testing.T) {
	sc := base(scenario.Props)
	sc.Rate = "ramp:100..400"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: goAdapter("qt6")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range s.Errors.Samples {
		found = found || strings.Contains(e, target.ErrUnsupported.Error())
	}
	if !found {
		t.Errorf("a ramp on an adapter host was not reported unsupported: errors %v", s.Errors.Samples)
	}
}

// chaos kills the host mid-run and restarts it: every replica goes
// Suspect once, is re-initialised, and nothing is lost after the re-init.
func chaos(t *testing.T, tg *peer.Target, w string) {
	sc := base(w)
	sc.Rate, sc.Duration = "200", scenario.Duration(3*time.Second)
	sc.KillAt, sc.Down = scenario.Duration(time.Second), scenario.Duration(500*time.Millisecond)
	sc.Dialect = tg.Dialect
	s := run(t, tg, sc)
	if !s.Pass {
		t.Errorf("thresholds failed: %+v; errors %v", s.Thresholds, s.Errors.Samples)
	}
	d := s.Delivery
	if d.Suspects != 4 || d.Inits != 8 {
		t.Errorf("suspects %d inits %d, want 4 and 8 (each replica dropped once, re-initialised once)", d.Suspects, d.Inits)
	}
	if s.Reinit.Count != 4 || s.Reinit.Min < int64(500*time.Millisecond) {
		t.Errorf("re-init times %+v: want 4, each at least the 500ms the host was down", s.Reinit)
	}
	if len(s.Events) != 3 {
		t.Fatalf("events %+v: want killed, restarted, all Valid again", s.Events)
	}
	if s.Events[0].T < 0.9 || s.Events[1].T-s.Events[0].T < 0.5 || s.Events[2].T < s.Events[1].T {
		t.Errorf("event times out of order: %+v", s.Events)
	}
	if s.Sent.Dropped <= 0 || s.Sent.Updates <= 300 {
		t.Errorf("sent %d, dropped %d: want the downtime's updates dropped and the rest sent", s.Sent.Updates, s.Sent.Dropped)
	}
	// After the re-init every replica saw the new host's updates to the end.
	if d.Delivered < 4*(s.Sent.Updates-int64(200)) {
		t.Errorf("delivered %d of %d sent to 4 replicas", d.Delivered, s.Sent.Updates)
	}
}

func TestChaosGoAdapterProps(t *testing.T)   { chaos(t, goAdapter("qt6"), scenario.Props) }
func TestChaosGoAdapterSignals(t *testing.T) { chaos(t, goAdapter("qt5"), scenario.Signals) }
func TestChaosQt6Props(t *testing.T)         { chaos(t, qtPeer(t, 6), scenario.Props) }
func TestChaosQt5Signals(t *testing.T)       { chaos(t, qtPeer(t, 5), scenario.Signals) }
