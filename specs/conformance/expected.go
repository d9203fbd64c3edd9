package conformance

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// Expected failures: requirements a target is known to fail, for a
// recorded reason (real Qt crashing on hostile input is the correct
// verdict, and CI must still go red on anything else). The verdict stays
// truthful (the target is not conformant); only the exit code of `qtro
// conformance --expect-failures FILE` ignores these failures, and an
// expected failure that passes is reported, so the list cannot rot.

// Expectation is one line of an expected-failures file:
//
//	TARGETS  REQUIREMENT  REASON...
//
// TARGETS is a comma-separated list of target-name globs (path.Match:
// "qt5", "qt@*"); blank lines and lines starting with # are ignored.
type Expectation struct {
	Targets []string
	ID      string
	Reason  string
	Line    int
}

// ErrExpectations means an expected-failures file is malformed.
var ErrExpectations = errors.New("conformance: bad expected-failures file")

// ReadExpectations reads an expected-failures file.
func ReadExpectations(file string) ([]Expectation, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Expectation
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 3 {
			return nil, fmt.Errorf("%w: %s:%d: want TARGETS REQUIREMENT REASON", ErrExpectations, file, n)
		}
		if _, ok := Lookup(fs[1]); !ok {
			return nil, fmt.Errorf("%w: %s:%d: no requirement %s", ErrExpectations, file, n, fs[1])
		}
		x := Expectation{Targets: strings.Split(fs[0], ","), ID: fs[1], Line: n}
		x.Reason = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, fs[0])), fs[1]))
		for _, p := range x.Targets {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: %v", ErrExpectations, file, n, err)
			}
		}
		out = append(out, x)
	}
	return out, sc.Err()
}

// matches reports whether x is about requirement id on target.
func (x Expectation) matches(target, id string) bool {
	if x.ID != id {
		return false
	}
	for _, p := range x.Targets {
		if ok, _ := path.Match(p, target); ok {
			return true
		}
	}
	return false
}

// ApplyExpectations marks tr's results that xs expects to fail: a failed
// one as an expected failure, a passed one as an expected failure that
// now passes. The outcomes and the verdict of conformance are unchanged.
func (tr *TargetResults) ApplyExpectations(xs []Expectation) {
	for i := range tr.Results {
		c := &tr.Results[i]
		c.Expected = ""
		for _, x := range xs {
			if x.matches(tr.Target, c.ID) {
				c.Expected = x.Reason
				break
			}
		}
	}
	tr.Verdict = tr.verdict()
}

// ExpectedFailure reports whether c failed as an expectations file said.
func (c *CaseResult) ExpectedFailure() bool { return c.Expected != "" && c.Outcome == OutcomeFail }

// UnexpectedPass reports whether c passed although listed as an expected
// failure (the entry is stale: the target was fixed).
func (c *CaseResult) UnexpectedPass() bool { return c.Expected != "" && c.Outcome == OutcomePass }

// UnexpectedFailures lists the failed requirements no expectation covers;
// a run that did not pass without any failed requirement (the suite
// itself failed) counts as one.
func (tr *TargetResults) UnexpectedFailures() []string {
	var out []string
	for i := range tr.Results {
		c := &tr.Results[i]
		if c.Outcome == OutcomeFail && !c.ExpectedFailure() {
			out = append(out, c.ID)
		}
	}
	if !tr.Passed && tr.Counts[OutcomeFail] == 0 {
		out = append(out, "(suite)")
	}
	return out
}

// UnexpectedPasses lists the requirements listed as expected failures
// that passed.
func (tr *TargetResults) UnexpectedPasses() []string {
	var out []string
	for i := range tr.Results {
		if tr.Results[i].UnexpectedPass() {
			out = append(out, tr.Results[i].ID)
		}
	}
	return out
}

// expectedCount counts the expected failures of a run.
func (tr *TargetResults) expectedCount() int {
	n := 0
	for i := range tr.Results {
		if tr.Results[i].ExpectedFailure() {
			n++
		}
	}
	return n
}
