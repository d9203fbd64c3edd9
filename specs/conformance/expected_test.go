package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpectations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.txt")
	if err := os.WriteFile(file, []byte("# comment\n\nqt5,qt@*  HI-7  known Qt crash: Registry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xs, err := ReadExpectations(file)
	if err != nil || len(xs) != 1 || xs[0].Reason != "known Qt crash: Registry" || xs[0].ID != "HI-7" {
		t.Fatalf("ReadExpectations = %+v, %v", xs, err)
	}
	run := func(target, outcome string) TargetResults {
		tr := TargetResults{Target: target, Counts: map[string]int{outcome: 1}, Passed: outcome != OutcomeFail,
			Results: []CaseResult{{ID: "HI-7", Level: Must, Outcome: outcome}}}
		tr.ApplyExpectations(xs)
		return tr
	}
	if tr := run("qt@sid", OutcomeFail); len(tr.UnexpectedFailures()) != 0 || !tr.Results[0].ExpectedFailure() ||
		!strings.Contains(tr.Verdict, "NOT conformant") || !strings.Contains(tr.Verdict, "1 of the failures expected") {
		t.Errorf("an expected failure: %+v (verdict %q)", tr.UnexpectedFailures(), tr.Verdict)
	}
	if tr := run("go/qt5", OutcomeFail); len(tr.UnexpectedFailures()) != 1 {
		t.Errorf("a failure of an unlisted target must stay unexpected")
	}
	if tr := run("qt5", OutcomePass); len(tr.UnexpectedPasses()) != 1 || len(tr.UnexpectedFailures()) != 0 {
		t.Errorf("a listed requirement that passes must be reported: %v", tr.UnexpectedPasses())
	}
	if tr := (TargetResults{Target: "qt5", Passed: false, Counts: map[string]int{}}); len(tr.UnexpectedFailures()) != 1 {
		t.Errorf("a suite that failed without a failed requirement must count")
	}
	for _, bad := range []string{"qt5 HI-7\n", "qt5 NO-1 reason\n", "[ HI-7 reason\n"} {
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadExpectations(file); err == nil {
			t.Errorf("ReadExpectations(%q) accepted it", bad)
		}
	}
}

// The committed file must parse (CI passes it to every matrix run).
func TestCIExpectations(t *testing.T) {
	if _, err := ReadExpectations(filepath.Join("..", "..", "ci", "expected-failures.txt")); err != nil {
		t.Fatal(err)
	}
}
