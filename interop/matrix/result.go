package matrix

import (
	"fmt"
	"strings"
	"time"
)

// Status is the verdict of a cell or of one check.
type Status string

// Verdicts. A cell is Pass only when every check passed (a check that could
// not run, e.g. a capture without tcpdump, makes it PassPartial), Fail when
// any check failed, Unsupported when an adapter exited 127 before ready.
const (
	Pass        Status = "pass"
	PassPartial Status = "pass*"
	Fail        Status = "fail"
	Unsupported Status = "unsupported"
	NotRun      Status = "not run"
	// Skipped is a check that could not run here (not a pass).
	Skipped Status = "skipped"
	// NotReached is a check that did not run because an earlier step failed.
	NotReached Status = "not reached"
)

// Check is the outcome of one step of a cell's script.
type Check struct {
	Name       string `json:"name"`
	Status     Status `json:"status"`
	Detail     string `json:"detail,omitempty"`
	DurationMs int64  `json:"durationMs"`
}

// Peer is one adapter of a cell.
type Peer struct {
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Impl    string   `json:"impl"`              // "go" or "qt5"/"qt6"
	Args    []string `json:"args"`              // role arguments
	Version string   `json:"version,omitempty"` // from ready: adapter, qt, protocol
	Exit    *int     `json:"exit,omitempty"`
}

// Capture is one pcap of a cell.
type Capture struct {
	File    string `json:"file"`
	Conns   int    `json:"conns"`   // QtRO connections with payload
	Packets int    `json:"packets"` // frames decoded
}

// Result is what a cell observed.
type Result struct {
	Cell      string `json:"cell"`
	Title     string `json:"title"`
	Scenario  string `json:"scenario"`
	Direction string `json:"direction"`
	Dialect   string `json:"dialect"`
	Transport string `json:"transport"`
	Column    string `json:"column"`
	// Negative marks a negative control: it must come out Fail.
	Negative bool `json:"negative,omitempty"`
	// Mode is the harness banner: containers or NATIVE, and why.
	Mode   string  `json:"mode"`
	Status Status  `json:"status"`
	Reason string  `json:"reason,omitempty"`
	Checks []Check `json:"checks"`
	Peers  []Peer  `json:"peers"`
	// Dir is the cell's artifact directory, relative to the matrix directory.
	Dir string `json:"dir"`
	// Files are the artifacts in Dir.
	Files []string `json:"files"`
	// Captures are the pcaps with what they hold.
	Captures   []Capture `json:"captures,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	Started    time.Time `json:"started"`
	DurationMs int64     `json:"durationMs"`
}

// String is a compact summary: verdict, reason, and one line per check.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Cell, r.Status)
	if r.Reason != "" {
		fmt.Fprintf(&b, " (%s)", r.Reason)
	}
	fmt.Fprintf(&b, " in %s, artifacts %s", time.Duration(r.DurationMs)*time.Millisecond, r.Dir)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "\n  %-12s %-11s %s", c.Name, c.Status, c.Detail)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n  note: %s", n)
	}
	return b.String()
}

// add records a check.
func (r *Result) add(c Check) { r.Checks = append(r.Checks, c) }

// settle computes Status and Reason from the checks (unless the cell is
// already unsupported).
func (r *Result) settle() {
	if r.Status == Unsupported {
		return
	}
	status := Pass
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			if status != Fail {
				r.Reason = c.Name + ": " + c.Detail
			}
			status = Fail
		case Skipped, NotReached:
			if status == Pass {
				status = PassPartial
				r.Reason = c.Name + " " + string(c.Status) + ": " + c.Detail
			}
		}
	}
	if len(r.Checks) == 0 {
		status = Fail
		r.Reason = "no check ran"
	}
	r.Status = status
}
