package specs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/qtro/qtro/internal/checkout"
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
	bin := mutant(t)
	cases := []mutationCase{
		{mutation: ""}, // control: the same cases pass without a fault
		{mutation: "wrong-version", catches: []string{"HS-1"}},
		{mutation: "drop-property-change", catches: []string{"PROP-1"}},
		{mutation: "wrong-serial", catches: []string{"SLOT-1"}},
		{mutation: "misorder-init", catches: []string{"INIT-2"}},
		{mutation: "no-pong", catches: []string{"HB-1"}},
		{mutation: "empty-init", catches: []string{"INIT-2", "INIT-11"}, nonStrict: []string{"PROP-2"}, panicked: []string{"INIT-2", "PROP-2"}},
	}
	runMutations(t, bin, "HS-1 || PROP-1 || SLOT-1 || INIT-2 || HB-1 || INIT-11 || PROP-2", cases)
}

// TestModelMutation is TestMutation for item models (the MODEL area): the
// Go adapter's model faults (impl/nodeadapter/mutation_on.go), on the host
// and on the node side.
func TestModelMutation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a mutated qtro and runs the suite several times")
	}
	bin := mutant(t)
	cases := []mutationCase{
		{mutation: ""},
		{mutation: "model-swap-roles", catches: []string{"MODEL-3"}},
		{mutation: "model-insert-off-by-one", catches: []string{"MODEL-7"}},
		{mutation: "model-no-children", catches: []string{"MODEL-10"}},
		{mutation: "model-drop-moved", catches: []string{"MODEL-20"}},
		{mutation: "model-drop-current", catches: []string{"MODEL-23"}},
	}
	runMutations(t, bin, "MODEL-3 || MODEL-7 || MODEL-10 || MODEL-20 || MODEL-23", cases)
}

var (
	mutantOnce sync.Once
	mutantBin  string
	mutantErr  string
)

// mutant builds qtro with the qtro_mutation tag, once per test binary.
func mutant(t *testing.T) string {
	t.Helper()
	mutantOnce.Do(func() {
		root, err := checkout.Root()
		if err != nil {
			mutantErr = err.Error()
			return
		}
		dir, err := os.MkdirTemp("", "qtro-mutant-")
		if err != nil {
			mutantErr = err.Error()
			return
		}
		bin := filepath.Join(dir, "qtro-mutant")
		build := exec.Command("go", "build", "-tags", "qtro_mutation", "-o", bin, "./cmd/qtro")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			mutantErr = "building the mutant: " + err.Error() + "\n" + string(out)
			return
		}
		mutantBin = bin
	})
	if mutantErr != "" {
		t.Fatal(mutantErr)
	}
	return mutantBin
}

// mutationCase is one run of the suite against the mutant.
type mutationCase struct {
	mutation string
	catches  []string // requirements that must fail
	// nonStrict are SHOULDs that must end non-strict (not failed), and
	// panicked the requirements whose case indexes the missing values:
	// the panic must become a failure (or, for a SHOULD, non-strict)
	// with a clear message, never crash the run.
	nonStrict, panicked []string
}

// runMutations runs the cases selected by filter once per mutation and
// checks that exactly the requirements a mutation catches fail.
func runMutations(t *testing.T, bin, filter string, cases []mutationCase) {
	selected := len(strings.Split(filter, "||"))
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
				if len(runs[0].Results) != selected {
					t.Fatalf("%d cases ran, want the %d the filter selects", len(runs[0].Results), selected)
				}
				failed := map[string]bool{}
				for _, r := range runs[0].Results {
					if r.Outcome == conformance.OutcomeFail {
						failed[r.ID] = true
					}
					for _, id := range c.nonStrict {
						if r.ID == id && r.Outcome != conformance.OutcomeNonStrict {
							t.Errorf("mutation %q: SHOULD %s is %s, want non-strict (a SHOULD never fails a non-strict run)", c.mutation, id, r.Outcome)
						}
					}
					for _, id := range c.panicked {
						if r.ID == id && !strings.Contains(r.Message, "the case panicked") {
							t.Errorf("mutation %q: %s: want the panic reported as its failure, got %s: %q", c.mutation, id, r.Outcome, r.Message)
						}
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
