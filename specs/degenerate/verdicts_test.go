package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/conformance"
)

// TestVerdicts is how we prove the suite's verdicts on implementations it
// has never seen: the conformance suite runs against every flaw of the
// degenerate host and against the Python example host, and each
// requirement's outcome must equal the golden table (testdata/verdicts/
// <flaw>.txt; specs/examples/pyqtro/expected-verdicts.txt). No case may
// panic on any of them. QTRO_UPDATE_VERDICTS=1 rewrites the tables (read
// the diff: every changed line is a changed verdict).
func TestVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds qtro and runs the conformance suite once per flaw")
	}
	root, err := checkout.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	qtro, deg := filepath.Join(dir, "qtro"), filepath.Join(dir, "degenerate")
	for _, b := range [][2]string{{qtro, "./cmd/qtro"}, {deg, "./specs/degenerate"}} {
		build := exec.Command("go", "build", "-o", b[0], b[1])
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b[1], err, out)
		}
	}
	type target struct{ name, spec, golden string }
	var targets []target
	for _, f := range FlawNames() {
		targets = append(targets, target{f, "adapter:" + deg + " --flaw " + f, filepath.Join(root, "specs", "degenerate", "testdata", "verdicts", f+".txt")})
	}
	if _, err := exec.LookPath("python3"); err == nil {
		targets = append(targets, target{"pyqtro", "adapter:python3 " + filepath.Join(root, "specs", "examples", "pyqtro", "pyqtro.py"),
			filepath.Join(root, "specs", "examples", "pyqtro", "expected-verdicts.txt")})
	} else if os.Getenv("CI") != "" {
		t.Error("python3 is missing: the Python example host is not checked")
	}
	update := os.Getenv("QTRO_UPDATE_VERDICTS") != ""
	sem := make(chan struct{}, 2) // two suites at a time on a 2-core machine
	var wg sync.WaitGroup
	for _, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(tg.name, func(t *testing.T) {
				out := filepath.Join(dir, "out-"+tg.name)
				cmd := exec.Command(qtro, "conformance", "--target", tg.spec, "--out", out, "--case-timeout", "30s")
				cmd.Dir = root
				log, runErr := cmd.CombinedOutput()
				runs, err := conformance.ReadResults(filepath.Join(out, "results.json"))
				if err != nil || len(runs) != 1 {
					t.Fatalf("no results (%v, exit %v):\n%s", err, runErr, tail(string(log), 4000))
				}
				r := runs[0]
				got := verdictTable(r)
				for _, c := range r.Results {
					if strings.Contains(c.Message, "the case panicked") {
						t.Errorf("%s panicked on %s: %s", c.ID, tg.name, firstLines(c.Message, 3))
					}
				}
				if (runErr != nil) != (r.Counts[conformance.OutcomeFail] > 0) {
					t.Errorf("exit status %v with %d failures: the exit code must be non-zero iff a MUST failed", runErr, r.Counts[conformance.OutcomeFail])
				}
				if update {
					if err := os.MkdirAll(filepath.Dir(tg.golden), 0o755); err != nil {
						t.Fatal(err)
					}
					head := fmt.Sprintf("# Conformance verdicts for %s (regenerate: QTRO_UPDATE_VERDICTS=1 go test ./specs/degenerate/ -run Verdicts)\n# %s\n", tg.name, r.Summary())
					if err := os.WriteFile(tg.golden, []byte(head+got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := readVerdicts(tg.golden)
				if err != nil {
					t.Fatalf("golden table: %v (QTRO_UPDATE_VERDICTS=1 writes it)", err)
				}
				gotMap := map[string]string{}
				msgs := map[string]string{}
				for _, c := range r.Results {
					gotMap[c.ID] = c.Outcome
					msgs[c.ID] = firstLines(c.Message, 2)
				}
				var ids []string
				for id := range want {
					ids = append(ids, id)
				}
				for id := range gotMap {
					if _, ok := want[id]; !ok {
						ids = append(ids, id)
					}
				}
				sort.Strings(ids)
				for _, id := range ids {
					if want[id] != gotMap[id] {
						t.Errorf("%s: %s is %q, golden table says %q (%s)", tg.name, id, gotMap[id], want[id], msgs[id])
					}
				}
			})
		}()
	}
	wg.Wait()
}

// verdictTable renders one outcome per requirement, in catalogue order.
func verdictTable(r conformance.TargetResults) string {
	var b strings.Builder
	for _, c := range r.Results {
		fmt.Fprintf(&b, "%-8s %s\n", c.ID, c.Outcome)
	}
	return b.String()
}

func readVerdicts(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, outcome, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		out[id] = strings.TrimSpace(outcome)
	}
	return out, sc.Err()
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, " | ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
