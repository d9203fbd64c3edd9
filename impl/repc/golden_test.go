package repc_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/repc"
)

// updateEnv regenerates the golden packages instead of comparing them.
const updateEnv = "QTRO_UPDATE_GOLDEN"

// repoRoot is the module root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// goldenPackage names the golden package of a fixture: the path below
// fixtures/ without the "rep" and "qtapps" folders, letters and digits only
// (fixtures/rep/tick.rep: tick; fixtures/rep/signature/pods.rep:
// signaturepods; fixtures/qtapps/lamp.rep: lamp).
func goldenPackage(rel string) string {
	var parts []string
	for _, p := range strings.Split(filepath.ToSlash(strings.TrimSuffix(rel, ".rep")), "/") {
		if p == "rep" || p == "qtapps" {
			continue
		}
		parts = append(parts, p)
	}
	return nonAlnum.ReplaceAllString(strings.ToLower(strings.Join(parts, "")), "")
}

// fixtureReps lists every .rep file under fixtures/, relative to it.
func fixtureReps(t *testing.T, root string) []string {
	t.Helper()
	var reps []string
	dir := filepath.Join(root, "fixtures")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".rep") {
			rel, _ := filepath.Rel(dir, path)
			reps = append(reps, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(reps)
	if len(reps) < 10 {
		t.Fatalf("found only %d .rep files under %s", len(reps), dir)
	}
	return reps
}

// TestGolden generates Go code for every .rep file in fixtures/ and
// compares it with the committed package under golden/ (QTRO_UPDATE_GOLDEN=1
// rewrites them). The golden packages are ordinary packages of the module,
// so `go build ./...` compiles them; the test also builds and vets them, and
// checks the output is gofmt'd and stable.
func TestGolden(t *testing.T) {
	root := repoRoot(t)
	update := os.Getenv(updateEnv) != ""
	want := map[string]bool{}
	for _, rel := range fixtureReps(t, root) {
		pkg := goldenPackage(rel)
		if want[pkg] {
			t.Fatalf("two fixtures map to golden package %s", pkg)
		}
		want[pkg] = true
		src, err := os.ReadFile(filepath.Join(root, "fixtures", rel))
		if err != nil {
			t.Fatal(err)
		}
		code, err := repc.Generate(src, repc.Options{Package: pkg, Source: rel,
			Command: "qtro repc --package " + pkg + " fixtures/" + filepath.ToSlash(rel)})
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		again, _ := repc.Generate(src, repc.Options{Package: pkg, Source: rel,
			Command: "qtro repc --package " + pkg + " fixtures/" + filepath.ToSlash(rel)})
		if !bytes.Equal(code, again) {
			t.Errorf("%s: two runs generated different code", rel)
		}
		path := filepath.Join("golden", pkg, pkg+".go")
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, code, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no golden (run with %s=1): %v", rel, updateEnv, err)
			continue
		}
		if !bytes.Equal(got, code) {
			t.Errorf("%s: generated code differs from %s (run with %s=1 and review the diff)", rel, path, updateEnv)
		}
	}
	entries, err := os.ReadDir("golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !want[e.Name()] {
			t.Errorf("golden/%s has no fixture any more", e.Name())
		}
	}
	for _, args := range [][]string{{"build", "./golden/..."}, {"vet", "./golden/..."}} {
		cmd := exec.Command("go", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cmd := exec.Command("gofmt", "-l", "golden")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Logf("gofmt not run: %v", err)
	} else if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("not gofmt'd:\n%s", out)
	}
}
