package loadgen

import (
	"time"

	"github.com/qtro/qtro/loadgen/scenario"
)

// DemoRate is the demo's property changes per second: 50k deliveries/s to
// 1,000 replicas, which a 2-core machine sustains with room to spare (its
// capacity, measured right after, is printed next to it).
const DemoRate = "50"

// DemoScenario is `qtro loadgen demo`: an embedded Go host and 1,000 Go
// replicas on loopback, DemoRate property changes per second for 10 s,
// with QtRO's delivery promises as thresholds. Sends the generator could not
// make on time (dropped) are reported, not gated: on a busy machine they
// measure the machine, not the node.
func DemoScenario() scenario.Scenario {
	sc := scenario.Default()
	sc.Rate = DemoRate
	sc.Thresholds = []string{"lost==0", "duplicated==0", "reordered==0", "invalid==0"}
	return sc
}

// CapacityScenario derives the closed-model run that measures what a
// target sustains on the same mesh (as fast as possible, inflight turns
// outstanding per host) for d. The window is deep (64 turns) so that the
// target, not the window, sets the pace: by Little's law a window of W
// turns caps the rate at W / turn latency, and a fan-out turn to 1,000
// replicas takes long.
func CapacityScenario(sc scenario.Scenario, d time.Duration) scenario.Scenario {
	c := sc
	c.Name = sc.Name + "-capacity"
	c.Model = scenario.Closed
	c.Rate = ""
	if c.Inflight < 64 {
		c.Inflight = 64
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
