package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const yamlScenario = `
name: fanout-10k
topology: fanout
replicas: 10000
workload: props
batch: 100
rate: "steps:1k,5k,10k/2s"
duration: 6s
drain: 3s
heartbeat: 500ms
thresholds:
  - p99<2ms
  - lost==0
`

func TestParseYAML(t *testing.T) {
	s, err := Parse([]byte(yamlScenario), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	if s.Replicas != 10000 || s.Batch != 100 || s.Hosts != 1 || s.Target != "go" || s.Transport != "tcp" {
		t.Fatalf("scenario %+v", s)
	}
	if s.Duration.D() != 6*time.Second || s.Heartbeat.D() != 500*time.Millisecond || s.Drain.D() != 3*time.Second {
		t.Fatalf("durations %v %v %v", s.Duration, s.Heartbeat, s.Drain)
	}
	sch, err := s.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	if sch.Total() != 2000+10000+20000 {
		t.Fatalf("schedule total %d", sch.Total())
	}
	if len(s.Thresholds) != 2 {
		t.Fatalf("thresholds %v", s.Thresholds)
	}
}

func TestParseJSONRoundTrip(t *testing.T) {
	s := Default()
	s.Thresholds = []string{"p99<5ms"}
	back, err := FromMap(s.Map())
	if err != nil {
		t.Fatal(err)
	}
	if back.Duration != s.Duration || back.Replicas != s.Replicas || back.Rate != s.Rate || back.Thresholds[0] != "p99<5ms" {
		t.Fatalf("round trip: %+v", back)
	}
	if _, err := Parse([]byte(`{"duration": 2.5, "replicas": 3}`), true); err != nil {
		t.Fatalf("seconds as a number: %v", err)
	}
}

func TestUnknownFieldsRejected(t *testing.T) {
	if _, err := Parse([]byte("replica: 10\n"), false); !errors.Is(err, ErrInvalid) {
		t.Errorf("YAML typo accepted: %v", err)
	}
	if _, err := Parse([]byte(`{"replica": 10}`), true); !errors.Is(err, ErrInvalid) {
		t.Errorf("JSON typo accepted: %v", err)
	}
}

func TestTopologyDefaults(t *testing.T) {
	for _, c := range []struct {
		topo             string
		hosts, replicas  int
		workload         string
		heartbeatEnabled bool
	}{
		{One, 1, 1, Props, false},
		{FanOut, 1, 1000, Props, false},
		{FanIn, 10, 1, Props, false},
		{Mesh, 4, 100, Props, false},
		{Storm, 1, 1000, None, false},
		{Churn, 1, 1000, None, false},
		{Heartbeat, 1, 1000, None, true},
	} {
		s := Scenario{Topology: c.topo}
		if err := s.Normalize(); err != nil {
			t.Errorf("%s: %v", c.topo, err)
			continue
		}
		if s.Hosts != c.hosts || s.Replicas != c.replicas || s.Workload != c.workload || (s.Heartbeat > 0) != c.heartbeatEnabled {
			t.Errorf("%s: hosts %d replicas %d workload %s heartbeat %v", c.topo, s.Hosts, s.Replicas, s.Workload, s.Heartbeat)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, mod := range []func(*Scenario){
		func(s *Scenario) { s.Topology = "ring" },
		func(s *Scenario) { s.Workload = "files" },
		func(s *Scenario) { s.Rate = "ramp:1.." },
		func(s *Scenario) { s.Transport = "udp" },
		func(s *Scenario) { s.Thresholds = []string{"p99<<2ms"} },
		func(s *Scenario) { s.Target = "raw"; s.Topology = Mesh },
		func(s *Scenario) { s.Rate = "1e9"; s.Duration = Duration(10 * time.Second) },
		func(s *Scenario) { s.Target = "qt9" },
		func(s *Scenario) { s.Target = "adapter" },                // no command
		func(s *Scenario) { s.Target = "qt5"; s.Dialect = "qt6" }, // a Qt 5 peer speaks Qt 5 only
		func(s *Scenario) { s.KillAt = s.Duration },               // chaos after the load
	} {
		s := Default()
		mod(&s)
		if err := s.Normalize(); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(yamlScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil || s.Name != "fanout-10k" {
		t.Fatalf("Load: %+v %v", s, err)
	}
	// The shipped example scenarios parse and validate.
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, f := range files {
		s, err := Load(f)
		if err == nil {
			err = s.Normalize()
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Adapter targets: a Qt peer's dialect follows it, chaos gets a default
// downtime.
func TestAdapterTargets(t *testing.T) {
	s := Default()
	s.Target, s.Dialect, s.KillAt = "qt5", "", Duration(2*time.Second)
	if err := s.Normalize(); err != nil || s.Dialect != "qt5" || s.Down != Duration(time.Second) {
		t.Errorf("qt5: %v, dialect %s, down %v", err, s.Dialect, s.Down)
	}
	s = Default()
	s.Target, s.Adapter = "adapter", []string{"docker", "run", "-i", "--rm", "qtro/peer-qt6"}
	if err := s.Normalize(); err != nil {
		t.Error(err)
	}
}
