package conformance

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every requirement has exactly one case, and every case names a
// requirement: the catalogue and the suite cannot drift apart.
func TestEveryRequirementHasOneCase(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	caseRe := regexp.MustCompile(`\bCase\("([A-Z]+-[0-9]+)"`)
	count := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range caseRe.FindAllStringSubmatch(string(b), -1) {
			count[m[1]]++
		}
	}
	ids := map[string]bool{}
	for _, r := range Catalogue {
		if ids[r.ID] {
			t.Errorf("requirement %s is in the catalogue twice", r.ID)
		}
		ids[r.ID] = true
		if count[r.ID] != 1 {
			t.Errorf("requirement %s has %d cases, want 1", r.ID, count[r.ID])
		}
		if r.Text == "" || r.Source == "" || len(r.Roles) == 0 {
			t.Errorf("requirement %s lacks text, source or roles", r.ID)
		}
		if !strings.Contains(strings.Join(areaPrefixes(), " "), areaOf(r.ID)) {
			t.Errorf("requirement %s has no area", r.ID)
		}
	}
	var unknown []string
	for id := range count {
		if !ids[id] {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("cases for requirements not in the catalogue: %v", unknown)
	}
}

func areaPrefixes() []string {
	var out []string
	for _, a := range Areas {
		out = append(out, a.Prefix)
	}
	return out
}

// specs/REQUIREMENTS.md is generated from the catalogue and must be current.
func TestRequirementsFileIsCurrent(t *testing.T) {
	path := filepath.Join("..", "REQUIREMENTS.md")
	want := Markdown()
	if os.Getenv("QTRO_UPDATE_REQUIREMENTS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate: QTRO_UPDATE_REQUIREMENTS=1 go test ./specs/conformance/ -run Requirements)", err)
	}
	if string(got) != want {
		t.Fatal("specs/REQUIREMENTS.md is stale; regenerate: QTRO_UPDATE_REQUIREMENTS=1 go test ./specs/conformance/ -run Requirements")
	}
}

// The embedded test objects are the fixtures' .rep files.
func TestEmbeddedRepFilesMatchFixtures(t *testing.T) {
	for name, emb := range map[string][]byte{"testobject.rep": testObjectRep, "tick.rep": tickRep} {
		b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "rep", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(emb) {
			t.Errorf("specs/conformance/testdata/%s differs from fixtures/rep/%s; copy it", name, name)
		}
	}
}

func TestDifferences(t *testing.T) {
	runs := []TargetResults{
		{Target: "a", Results: []CaseResult{{ID: "HI-3", Outcome: OutcomeInformational, Observed: []string{"skipped"}}, {ID: "HS-1", Outcome: OutcomePass}}},
		{Target: "b", Results: []CaseResult{{ID: "HI-3", Outcome: OutcomeInformational, Observed: []string{"desynchronised"}}, {ID: "HS-1", Outcome: OutcomePass}}},
	}
	d := Differences(runs)
	if len(d) != 1 || d[0].Req.ID != "HI-3" || len(d[0].Cells) != 2 || d[0].Cells[1].Reason() != "desynchronised" {
		t.Fatalf("differences: %+v", d)
	}
	dir := t.TempDir()
	if err := WriteReports(dir, runs); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(html), "Where the targets differ") || !strings.Contains(string(html), "desynchronised") {
		t.Fatalf("report.html lacks the differences table (%v)", err)
	}
}
