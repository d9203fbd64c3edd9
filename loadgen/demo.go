package loadgen

import (
	"time"

	"github.com/qtro/qtro/loadgen/scenario"
)

// DemoScenario is `qtro loadgen demo`: an embedded Go host and 1,000 Go
// replicas on loopback, 1,000 property changes per second for 10 s, with
// QtRO's delivery promises as thresholds.
func DemoScenario() scenario.Scenario {
	sc := scenario.Default()
	sc.Thresholds = []string{"lost==0", "duplicated==0", "reordered==0", "invalid==0"}
	return sc
}

// CapacityScenario derives the closed-model run that measures what a
// target sustains on the same mesh (as fast as possible, inflight turns
// outstanding per host) for d.
func CapacityScenario(sc scenario.Scenario, d time.Duration) scenario.Scenario {
	c := sc
	c.Name = sc.Name + "-capacity"
	c.Model = scenario.Closed
	c.Rate = ""
	if c.Inflight < 8 {
		c.Inflight = 8
	}
	c.Duration = scenario.Duration(d)
	c.Thresholds = nil
	return c
}

// ReferenceScenario is CapacityScenario on the raw framed-socket target.
func ReferenceScenario(sc scenario.Scenario, d time.Duration) scenario.Scenario {
	r := CapacityScenario(sc, d)
	r.Name = sc.Name + "-raw"
	r.Target = "raw"
	r.Dynamic = false
	return r
}
