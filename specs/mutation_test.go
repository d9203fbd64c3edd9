package specs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/conformance"
)

// TestMutation proves the suite detects real faults: a Go node built with
// the qtro_mutation tag misbehaves on purpose (QTRO_MUTATION), and the
// requirement that covers each fault must fail, while the same cases pass
// without the fault.
func TestMutation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a mutated qtro and runs the suite several times")
	}
	root, err := adapter.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "qtro-mutant")
	build := exec.Command("go", "build", "-tags", "qtro_mutation", "-o", bin, "./cmd/qtro")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the mutant: %v\n%s", err, out)
	}
	cases := []struct {
		mutation string
		catches  []string // requirements that must fail
	}{
		{"", nil}, // control: the same cases pass without a fault
		{"wrong-version", []string{"HS-1"}},
		{"drop-property-change", []string{"PROP-1"}},
		{"wrong-serial", []string{"SLOT-1"}},
		{"misorder-init", []string{"INIT-2"}},
		{"no-pong", []string{"HB-1"}},
	}
	filter := "HS-1 || PROP-1 || SLOT-1 || INIT-2 || HB-1"
	// Each fault runs in one dialect (alternating, to keep CI short); the
	// control runs in both.
	for k, c := range cases {
		dialects := []string{"qt5", "qt6"}
		if c.mutation != "" {
			dialects = dialects[k%2 : k%2+1]
		}
		for _, d := range dialects {
			name := d + "/" + c.mutation
			if c.mutation == "" {
				name = d + "/control"
			}
			t.Run(name, func(t *testing.T) {
				out := t.TempDir()
				cmd := exec.Command(bin, "conformance", "--target", "adapter:"+bin+" adapter --dialect "+d,
					"--label-filter", filter, "--out", out)
				cmd.Env = append(os.Environ(), "QTRO_MUTATION="+c.mutation)
				log, runErr := cmd.CombinedOutput()
				runs, err := conformance.ReadResults(filepath.Join(out, "results.json"))
				if err != nil || len(runs) != 1 {
					t.Fatalf("no results (%v); output:\n%s", err, log)
				}
				if len(runs[0].Results) != 5 {
					t.Fatalf("%d cases ran, want the 5 the filter selects", len(runs[0].Results))
				}
				failed := map[string]bool{}
				for _, r := range runs[0].Results {
					if r.Outcome == conformance.OutcomeFail {
						failed[r.ID] = true
					}
				}
				for _, id := range strings.Split(strings.ReplaceAll(filter, " ", ""), "||") {
					want := false
					for _, c := range c.catches {
						want = want || c == id
					}
					if want && !failed[id] {
						t.Errorf("mutation %q: %s passed; the suite missed the fault", c.mutation, id)
					}
					if !want && failed[id] && c.mutation == "" {
						t.Errorf("control run: %s failed without any fault", id)
					}
				}
				if (runErr != nil) != (len(c.catches) > 0) {
					t.Errorf("mutation %q: exit status %v, want failure iff a MUST failed", c.mutation, runErr)
				}
			})
		}
	}
}
