package rep

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var dialects = []Dialect{Qt5, Qt6}

func allCases(t *testing.T) []repcCase {
	cs := fixtureCases(t)
	for _, s := range snippets {
		cs = append(cs, repcCase{name: "snippet:" + s.name, src: []byte(s.src)})
	}
	return cs
}

// deviationFor returns the documented deviation of a case, if any.
func deviationFor(name string) (snippet, bool) {
	for _, s := range snippets {
		if "snippet:"+s.name == name && s.deviation != "" {
			return s, true
		}
	}
	return snippet{}, false
}

// TestRepc runs both real repc binaries on every fixture and snippet and
// checks that (1) the golden files match what repc does today, and (2) this
// package agrees with repc: same accept/reject decision, same signature per
// class, same API. With -update it rewrites the golden files from repc.
func TestRepc(t *testing.T) {
	bins := repcBinaries(t)
	cases := allCases(t)
	var sg, ag golden
	if !*update {
		sg, ag = readGolden(t, sigGolden), readGolden(t, apiGolden)
		checkNoStaleGolden(t, cases, sg, sigGolden)
		checkNoStaleGolden(t, cases, ag, apiGolden)
		checkGoldenCoversAll(t, cases, sg, sigGolden)
	}
	var sigW, apiW goldenWriter
	t.Run("case", func(t *testing.T) {
		for _, c := range cases {
			for _, d := range dialects {
				t.Run(fmt.Sprintf("%s/qt%d", c.name, d), func(t *testing.T) {
					t.Parallel()
					real := runRepc(t, bins[d], c)
					key := goldenKey(c.name, d)
					sigW.add(key, sigLines(c.name, d, real))
					apiW.add(key, apiLines(c.name, d, real))
					if !*update {
						diffLines(t, "golden "+sigGolden+" is stale", sg[key], sigLines(c.name, d, real))
						diffLines(t, "golden "+apiGolden+" is stale", ag[key], apiLines(c.name, d, real))
					}
					compareWithRepc(t, c, d, real)
				})
			}
		}
	})
	if *update {
		sigW.merge(t, sigGolden, sigGoldenHeader, knownKeys(cases))
		apiW.merge(t, apiGolden, apiGoldenHeader, knownKeys(cases))
	}
}

// compareWithRepc checks this package against one repc outcome.
func compareWithRepc(t *testing.T, c repcCase, d Dialect, real outcome) {
	t.Helper()
	ours, err := ourOutcome(c, d)
	if dev, ok := deviationFor(c.name); ok && dev.deviationQt == d {
		// A documented disagreement: assert it is exactly the documented one,
		// so it is noticed if repc or this package changes.
		if !real.accepted || err == nil {
			t.Errorf("documented deviation (%s) no longer holds: repc accepted=%v, our error=%v", dev.deviation, real.accepted, err)
		}
		return
	}
	if !real.accepted {
		if err == nil {
			t.Errorf("repc rejects this input but Parse accepted it")
		}
		return
	}
	if err != nil {
		t.Fatalf("repc accepts this input but we fail: %v", err)
	}
	diffLines(t, "signatures (repc vs ours)", sigLines(c.name, d, real), sigLines(c.name, d, ours))
	diffLines(t, "API (repc vs ours)", apiLines(c.name, d, real), apiLines(c.name, d, ours))
}

func knownKeys(cases []repcCase) map[string]bool {
	known := map[string]bool{}
	for _, c := range cases {
		for _, d := range dialects {
			known[goldenKey(c.name, d)] = true
		}
	}
	return known
}

func checkGoldenCoversAll(t *testing.T, cases []repcCase, g golden, path string) {
	t.Helper()
	for k := range knownKeys(cases) {
		if _, ok := g[k]; !ok {
			t.Errorf("%s has no entry for %q; regenerate with -update", path, k)
		}
	}
}

func checkNoStaleGolden(t *testing.T, cases []repcCase, g golden, path string) {
	t.Helper()
	known := knownKeys(cases)
	for k := range g {
		if !known[k] {
			t.Errorf("%s has entries for %q, which is no longer a fixture or snippet; regenerate with -update", path, k)
		}
	}
}

// TestGolden checks this package against the golden files alone, so the
// comparison with repc's recorded behaviour runs even where Qt is absent.
func TestGolden(t *testing.T) {
	sg, ag := readGolden(t, sigGolden), readGolden(t, apiGolden)
	for _, c := range allCases(t) {
		for _, d := range dialects {
			t.Run(fmt.Sprintf("%s/qt%d", c.name, d), func(t *testing.T) {
				key := goldenKey(c.name, d)
				want, ok := sg[key]
				if !ok {
					t.Fatalf("%s has no entry for %q; run go test ./impl/rep -run Repc -update with Qt installed", sigGolden, key)
				}
				ours, err := ourOutcome(c, d)
				rejected := len(want) == 1 && strings.HasSuffix(want[0], " rejected")
				if dev, ok := deviationFor(c.name); ok && dev.deviationQt == d {
					if rejected || err == nil {
						t.Errorf("documented deviation (%s) no longer matches the golden file", dev.deviation)
					}
					return
				}
				if rejected {
					if err == nil {
						t.Errorf("repc rejected this input but Parse accepted it")
					}
					return
				}
				if err != nil {
					t.Fatalf("repc accepted this input but we fail: %v", err)
				}
				diffLines(t, "signatures (golden vs ours)", want, sigLines(c.name, d, ours))
				diffLines(t, "API (golden vs ours)", ag[key], apiLines(c.name, d, ours))
			})
		}
	}
}

// TestSimpleRepKnownSignatures pins the two signatures QTRO-PROTOCOL.md §8
// quotes for captures/harness/simple.rep, independently of the golden files.
func TestSimpleRepKnownSignatures(t *testing.T) {
	var src []byte
	for _, c := range fixtureCases(t) {
		if c.name == "simple.rep" {
			src = c.src
		}
	}
	f, err := Parse("simple.rep", src)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := SignatureV1(f, "Simple")
	if err != nil || v1 != "fbcfe264d670dd895dc1bc17a8c1431e5843a72f" {
		t.Errorf("SignatureV1 = %q, %v", v1, err)
	}
	v2, err := SignatureV2(f, "Simple")
	if err != nil || v2 != "3ecae2f3541c47ef6017ee2b1e6ae4865c5f5b87" {
		t.Errorf("SignatureV2 = %q, %v", v2, err)
	}
	if _, err := SignatureV2(f, "Nope"); !errors.Is(err, ErrNoClass) {
		t.Errorf("unknown class: err = %v, want ErrNoClass", err)
	}
}
