package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's table must be the one the committed evidence gives.
func TestReadmeVerifiedTable(t *testing.T) {
	ev, err := readEvidence("../../docs/evidence/verified.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Rows) < 4 {
		t.Errorf("evidence has %d Qt versions, want at least 4 (5.15, 6.4, 6.8, newest)", len(ev.Rows))
	}
	if err := checkReadme("../../README.md", ev); err != nil {
		t.Fatal(err)
	}
}

func TestCollectEvidence(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := write("results.json", `[
 {"target":"go/qt6","started":"2026-12-07T10:00:00Z","passed":true,"verdict":"conformant on 89 of 89 requirements exercised","versions":{"adapter":"qtro"}},
 {"target":"qt5","started":"2026-12-07T10:01:00Z","passed":true,"verdict":"conformant on 89 of 89 requirements exercised","versions":{"qt":"5.15.8","protocol":"QtRO 1.3"}},
 {"target":"qt@trixie","started":"2026-12-07T10:02:00Z","passed":false,"verdict":"not conformant: 1 MUST failed","versions":{"qt":"6.8.2","protocol":"QtRO 2.0"},
  "results":[{"id":"HI-7","outcome":"fail","expected":"known crash"},{"id":"HI-8","outcome":"fail"}]},
 {"target":"qt@sid","started":"2026-12-07T10:03:00Z","passed":false,"verdict":"NOT conformant: 1 failed (1 of the failures expected)","versions":{"qt":"6.11.2","protocol":"QtRO 2.0"},
  "results":[{"id":"HI-7","outcome":"fail","expected":"known crash"},{"id":"HI-1","outcome":"pass"}]}]`)
	matrix := write("matrix.json", `{"run":{"mode":"interop: running peers in Docker containers"},"results":[
 {"dialect":"qt5","direction":"go-qt","status":"pass"},
 {"dialect":"qt5","direction":"qt-go","status":"unsupported"},
 {"dialect":"qt5","direction":"qt-qt","status":"fail"},
 {"dialect":"qt@trixie","direction":"qt-go","status":"fail"},
 {"dialect":"qt@trixie","direction":"go-qt","status":"pass","negative":true}]}`)
	write("cmp/comparison-2026-12-01.json", `{"format":"qtro-loadgen-compare/1","started":"2026-12-01T06:00:00Z","targets":[{"name":"go"},{"name":"qt5"}]}`)
	write("cmp/comparison-2026-12-05.json", `{"format":"qtro-loadgen-compare/1","started":"2026-12-05T06:00:00Z","targets":[{"name":"qt5"}]}`)
	ev, err := collectEvidence(conf, matrix, filepath.Join(dir, "cmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Rows) != 3 || ev.Date != "2026-12-07" {
		t.Fatalf("rows %+v date %s", ev.Rows, ev.Date)
	}
	q5, q68 := ev.Rows[0], ev.Rows[1]
	// The reference pairing (qt-qt) and negative controls are not Go <-> Qt evidence.
	if q5.Matrix != "1 of 2 Go ↔ Qt cells pass (1 unsupported)" || !q5.MatrixOK || q5.Comparison != "2026-12-05" || q5.Suite != "bookworm" {
		t.Errorf("qt5 row %+v", q5)
	}
	if q68.MatrixOK || q68.Passed || q68.Matrix != "0 of 1 Go ↔ Qt cells pass (1 fail)" || q68.Comparison != "" || q68.Suite != "trixie" {
		t.Errorf("qt@trixie row %+v", q68)
	}
	if sid := ev.Rows[2]; sid.Unexpected != 0 || len(sid.Expected) != 1 || q68.Unexpected != 1 {
		t.Errorf("expected failures: sid %+v, trixie %+v", sid, q68)
	}
	table := renderVerified(ev)
	for _, want := range []string{"| 6.11.2 (`qt@sid`) | sid | QtRO 2.0 | ⚠️ every MUST but HI-7, known Qt crashes", "| 5.15.8 (`qt5`) | bookworm | QtRO 1.3 | ✅ conformant", "| 6.8.2 (`qt@trixie`) | trixie | QtRO 2.0 | ❌ not conformant", "❌ 0 of 1", "none committed", "(containers)"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	readme := write("README.md", "# x\n\n"+verifiedBegin+"\nold\n"+verifiedEnd+"\n\nrest\n")
	if err := checkReadme(readme, ev); !errors.Is(err, ErrReadmeTable) {
		t.Errorf("check of a stale table: %v", err)
	}
	if err := writeReadme(readme, ev); err != nil {
		t.Fatal(err)
	}
	if err := checkReadme(readme, ev); err != nil {
		t.Error(err)
	}
	if b, _ := os.ReadFile(readme); !strings.HasSuffix(string(b), "\n\nrest\n") || !strings.HasPrefix(string(b), "# x\n\n") {
		t.Errorf("writeReadme touched the rest:\n%s", b)
	}
	filtered := write("filtered.json", `{"run":{"mode":"x","filter":"--label-filter=qt5"},"results":[]}`)
	if _, err := collectEvidence(conf, filtered, dir); err == nil {
		t.Error("a filtered matrix run was accepted")
	}
}
