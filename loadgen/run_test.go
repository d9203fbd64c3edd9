package loadgen_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/scenario"
	"github.com/qtro/qtro/loadgen/target/gonode"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runScenario(t *testing.T, sc scenario.Scenario) *result.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := loadgen.Run(ctx, loadgen.Options{Scenario: sc, Target: gonode.Target{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEndToEnd: 10 Go replicas, 1 s of property changes: nothing lost,
// every update timed, and a summary that survives a JSON round trip.
func TestEndToEnd(t *testing.T) {
	sc := scenario.Scenario{Topology: scenario.FanOut, Replicas: 10, Workload: scenario.Props, Rate: "500",
		Duration: scenario.Duration(time.Second), Drain: scenario.Duration(5 * time.Second),
		Thresholds: []string{"lost==0", "duplicated==0", "reordered==0", "invalid==0"}}
	s := runScenario(t, sc)
	if s.Sent.Updates < 400 || s.Sent.Updates > 500 {
		t.Errorf("sent %d updates, want about 500", s.Sent.Updates)
	}
	if want := s.Sent.Updates * 10; s.Delivery.Delivered != want {
		t.Errorf("delivered %d, want %d (10 replicas × %d)", s.Delivery.Delivered, want, s.Sent.Updates)
	}
	if s.Delivery.Lost != 0 || s.Delivery.Duplicated != 0 || s.Delivery.Reordered != 0 {
		t.Errorf("delivery %+v", s.Delivery)
	}
	if s.Latency.Count != s.Delivery.Delivered {
		t.Errorf("latency count %d, delivered %d: every update must be timed", s.Latency.Count, s.Delivery.Delivered)
	}
	if s.Init.Count != 10 {
		t.Errorf("init samples %d, want 10", s.Init.Count)
	}
	if !s.Pass {
		t.Errorf("thresholds failed: %+v", s.Thresholds)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("summary is not JSON: %v", err)
	}
	for _, k := range []string{"format", "env", "scenario", "latency", "delivery", "series", "thresholds"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	back, err := result.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := back.Latency.Histogram()
	if err != nil || h.TotalCount() != s.Latency.Count {
		t.Fatalf("latency histogram does not round-trip: %v", err)
	}
	if back.Env.CPUs == 0 || back.Env.GoVersion == "" {
		t.Errorf("environment missing: %+v", back.Env)
	}
}

func small(topo, workload string) scenario.Scenario {
	// A connect timeout well inside the test's 60 s, so that a replica
	// that never becomes Valid shows in the summary's notes.
	return scenario.Scenario{Topology: topo, Workload: workload, Replicas: 4, Hosts: 2, Rate: "200",
		Duration: scenario.Duration(time.Second), Drain: scenario.Duration(3 * time.Second),
		ConnectTimeout: scenario.Duration(20 * time.Second)}
}

// TestTopologiesAndWorkloads runs each shape briefly and checks QtRO's
// promises held and something was measured.
func TestTopologiesAndWorkloads(t *testing.T) {
	cases := []struct {
		name   string
		sc     scenario.Scenario
		target string
	}{
		{"one-signals", small(scenario.One, scenario.Signals), "go"},
		{"fanout-payload", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Payload)
			s.Payload = 1000
			return s
		}(), "go"},
		{"fanout-batch", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Props)
			s.Batch = 10
			s.Rate = "2000"
			return s
		}(), "go"},
		{"fanin-props", small(scenario.FanIn, scenario.Props), "go"},
		// The registry in both dialects (Qt 6 announcements were fixed in
		// impl/node).
		{"mesh-signals", small(scenario.Mesh, scenario.Signals), "go"},
		{"mesh-signals-qt5", func() scenario.Scenario { s := small(scenario.Mesh, scenario.Signals); s.Dialect = "qt5"; return s }(), "go"},
		{"fanout-closed", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Props)
			s.Model, s.Rate, s.Inflight = scenario.Closed, "", 4
			return s
		}(), "go"},
		{"echo-open", small(scenario.FanOut, scenario.Echo), "go"},
		{"echo-closed", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Echo)
			s.Model, s.Rate, s.Inflight = scenario.Closed, "", 2
			return s
		}(), "go"},
		{"raw-props", small(scenario.FanOut, scenario.Props), "raw"},
		{"raw-echo", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Echo)
			s.Model, s.Rate, s.Inflight = scenario.Closed, "", 2
			return s
		}(), "raw"},
		{"local-transport", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Signals)
			s.Transport = "local"
			return s
		}(), "go"},
		{"qt5-dynamic", func() scenario.Scenario {
			s := small(scenario.FanOut, scenario.Props)
			s.Dialect = "qt5"
			s.Dynamic = true
			return s
		}(), "go"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.sc.Target = c.target
			s := runScenario(t, c.sc)
			d := s.Delivery
			if d.Delivered == 0 || s.Sent.Updates == 0 {
				t.Fatalf("nothing measured: sent %d delivered %d; notes %q", s.Sent.Updates, d.Delivered, s.Notes)
			}
			if d.Lost != 0 || d.Duplicated != 0 || d.Reordered != 0 || d.Invalid != 0 || s.Errors.Count != 0 {
				t.Errorf("delivery %+v errors %+v", d, s.Errors)
			}
			if s.Latency.Count == 0 {
				t.Error("no latency measured")
			}
			if c.sc.Workload != scenario.Echo {
				// Every node acquires every object: each update goes to
				// streams/objects replicas (hosts may send different counts).
				if want := s.Sent.Updates * d.Replicas / int64(len(s.Objects)); d.Delivered != want {
					t.Errorf("delivered %d, want %d (sent %+v objects %+v)", d.Delivered, want, s.Sent, s.Objects)
				}
			} else if d.Delivered != s.Sent.Updates {
				t.Errorf("%d replies to %d calls", d.Delivered, s.Sent.Updates)
			}
		})
	}
}

// TestChurnAndHeartbeat: replicas come and go (init times, no loss counted
// for released replicas); heartbeats keep replicas Valid.
func TestChurnAndHeartbeat(t *testing.T) {
	ch := small(scenario.Churn, scenario.None)
	ch.Hold = scenario.Duration(50 * time.Millisecond)
	s := runScenario(t, ch)
	if s.Delivery.Inits <= s.Delivery.Replicas {
		t.Errorf("churn: %d inits for %d replicas, want several cycles each", s.Delivery.Inits, s.Delivery.Replicas)
	}
	if s.Init.Count != s.Delivery.Inits {
		t.Errorf("churn: %d init samples for %d inits", s.Init.Count, s.Delivery.Inits)
	}
	if s.Delivery.Suspects != 0 || s.Errors.Count != 0 {
		t.Errorf("churn: suspects %d errors %+v (a release is not a Suspect)", s.Delivery.Suspects, s.Errors)
	}

	hb := small(scenario.Heartbeat, scenario.Signals)
	hb.Heartbeat = scenario.Duration(100 * time.Millisecond)
	s = runScenario(t, hb)
	if s.Delivery.Suspects != 0 || s.Delivery.Lost != 0 || s.Delivery.Delivered == 0 {
		t.Errorf("heartbeat: %+v", s.Delivery)
	}
}
