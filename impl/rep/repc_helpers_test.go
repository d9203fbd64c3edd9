package rep

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/qds"
)

// This file holds the machinery that compares this package with the real
// repc binaries. A "case" is a .rep text: either a fixture file or an inline
// snippet. For every case and Qt version the truth is what repc does with it
// in -o merged mode:
//
//   - whether repc accepts the file (exit status 0);
//   - per class, the Q_CLASSINFO("RemoteObject Signature") it writes;
//   - per class, the API the generated <Class>SourceAPI exposes, read from the
//     header text: property order (m_properties), the strings signalSignature,
//     methodSignature and typeName return (with the run-time enum
//     placeholders filled in as "<Class>::<Enum>"), which signals notify which
//     property (propertyRawIndexFromSignal), and parameter names as declared
//     in the generated <Class>Source (which is what moc reports at run time).
//
// The API is read from the header instead of compiling and running it for
// every case: the SourceAPI strings are literals, and the run-time code that
// consumes them only fills in placeholders, which fillEnumPlaceholders does
// the way QtRO's qtro_enum_signature and serializeDefinition do.
// TestRepcRuntime builds one fixture against real QtRO to confirm that.
//
// The outcome is written in a stable text form; golden files keep it so the
// comparison also runs where Qt is not installed, and -update rewrites them
// from repc (never from this package).

var update = flag.Bool("update", false, "rewrite golden files from the real repc binaries")

const (
	fixtureDir     = "../../fixtures/rep/signature"
	sigGolden      = fixtureDir + "/signatures.golden"
	apiGolden      = fixtureDir + "/api.golden"
	allowNoQtEnv   = "QTRO_ALLOW_NO_QT"
	repcQt5Env     = "QTRO_REPC_QT5"
	repcQt6Env     = "QTRO_REPC_QT6"
	defaultRepcQt5 = "/usr/lib/qt5/bin/repc"
	defaultRepcQt6 = "/usr/lib/qt6/libexec/repc"
)

type repcCase struct {
	name string // fixture file name, or "snippet:<name>"
	src  []byte
}

func fixtureCases(t *testing.T) []repcCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.rep"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtureDir, err)
	}
	sort.Strings(files)
	var cs []repcCase
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, repcCase{name: filepath.Base(f), src: src})
	}
	return cs
}

// repcBinaries returns the two repc paths. Without them the test fails,
// unless QTRO_ALLOW_NO_QT=1, in which case it is skipped with a loud message.
func repcBinaries(t *testing.T) map[Dialect]string {
	t.Helper()
	bins := map[Dialect]string{Qt5: defaultRepcQt5, Qt6: defaultRepcQt6}
	if p := os.Getenv(repcQt5Env); p != "" {
		bins[Qt5] = p
	}
	if p := os.Getenv(repcQt6Env); p != "" {
		bins[Qt6] = p
	}
	var missing []string
	for _, d := range []Dialect{Qt5, Qt6} {
		if st, err := os.Stat(bins[d]); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, bins[d])
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("repc not found: %s (install libqt5remoteobjects5-bin and libqt6remoteobjects6-bin, or set %s/%s)",
			strings.Join(missing, ", "), repcQt5Env, repcQt6Env)
		if os.Getenv(allowNoQtEnv) == "1" {
			t.Skipf("!!! SKIPPING the comparison with real repc because %s=1: %s. "+
				"Only the golden files were checked; this is NOT a pass against Qt. !!!", allowNoQtEnv, msg)
		}
		t.Fatalf("%s; set %s=1 to skip this test deliberately", msg, allowNoQtEnv)
	}
	for _, d := range dialects {
		help, _ := exec.Command(bins[d], "--help").Output()
		m := reRepcVersion.FindSubmatch(help)
		if m == nil || string(m[1]) != strconv.Itoa(int(d)) {
			t.Fatalf("%s is not a Qt %d repc (--help says %q)", bins[d], d, firstLine(help))
		}
		t.Logf("qt%d: %s is %s", d, bins[d], m[0])
	}
	return bins
}

// reRepcVersion finds "(Qt 5.15.8)" in repc --help; the golden files were
// recorded with Qt 5.15.8 and 6.4.2.
var reRepcVersion = regexp.MustCompile(`\(Qt (\d+)\.\d+\.\d+\)`)

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// outcome is what one repc version did with one case.
type outcome struct {
	accepted bool
	sigs     []classSig // in header order
	api      map[string][]string
}

type classSig struct {
	class, sig string
}

// runRepc runs one repc binary on src in merged mode and reads the outcome.
func runRepc(t *testing.T, bin string, c repcCase) outcome {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.rep")
	out := filepath.Join(dir, "out.h")
	if err := os.WriteFile(in, c.src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-o", "merged", in, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: running %s: %v", c.name, bin, err)
	}
	if err != nil {
		return outcome{}
	}
	h, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%s: %s exited 0 without a header: %v (%s)", c.name, bin, err, stderr.String())
	}
	o, err := parseHeader(string(h))
	if err != nil {
		t.Fatalf("%s: reading %s's header: %v", c.name, bin, err)
	}
	return o
}

var (
	reClassInfo = regexp.MustCompile(`Q_CLASSINFO\(QCLASSINFO_REMOTEOBJECT_TYPE, "([^"]*)"\)\s*\n\s*Q_CLASSINFO\(QCLASSINFO_REMOTEOBJECT_SIGNATURE, "([^"]*)"\)`)
	reSourceAPI = regexp.MustCompile(`(?m)^struct (\w*)SourceAPI : public SourceApiMap\n`)
	reSource    = regexp.MustCompile(`(?m)^class (\w*)Source : public QObject\n`)
	reProp      = regexp.MustCompile(`m_properties\[(\d+)\] = QtPrivate::qtro_property_index<ObjectType>\(&ObjectType::([^,]+),`)
	reCaseInt   = regexp.MustCompile(`case (\d+): return (\d+);`)
	// repc writes the text between the quotes raw (no escaping), so it may
	// even contain a newline.
	reCaseStr  = regexp.MustCompile(`case (\d+): return QByteArrayLiteral\("([^"]*)"\)([^;\n]*);`)
	reEnumRepl = regexp.MustCompile(`\.replace\("(\$\d+)", QtPrivate::qtro_enum_signature<ObjectType>\("(\w+)"\)\)`)
	reDecl     = regexp.MustCompile(`^    (?:virtual )?(\S.*?)\((.*)\)(?: = 0)?;?$`)
	reTrailID  = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*$`)
)

// parseHeader reads signatures and SourceAPI data from a merged header.
func parseHeader(h string) (outcome, error) {
	o := outcome{accepted: true, api: map[string][]string{}}
	seen := map[string]string{}
	for _, m := range reClassInfo.FindAllStringSubmatch(h, -1) {
		if prev, ok := seen[m[1]]; ok {
			if prev != m[2] {
				return o, fmt.Errorf("class %q has signatures %s and %s", m[1], prev, m[2])
			}
			continue
		}
		seen[m[1]] = m[2]
		o.sigs = append(o.sigs, classSig{m[1], m[2]})
	}
	for _, loc := range reSourceAPI.FindAllStringSubmatchIndex(h, -1) {
		class := h[loc[2]:loc[3]]
		body := h[loc[1]:]
		body = body[:strings.Index(body, "\n};\n")]
		lines, err := sourceAPILines(h, class, body)
		if err != nil {
			return o, fmt.Errorf("class %q: %w", class, err)
		}
		o.api[class] = lines
	}
	return o, nil
}

// section returns the text of body from the line containing start up to the
// first line containing end.
func section(body, start, end string) (string, error) {
	i := strings.Index(body, start)
	if i < 0 {
		return "", fmt.Errorf("no %q", start)
	}
	s := body[i:]
	j := strings.Index(s, end)
	if j < 0 {
		return "", fmt.Errorf("no %q after %q", end, start)
	}
	return s[:j], nil
}

// caseStrings reads `case i: return QByteArrayLiteral("...")...;` lines and
// fills in enum placeholders the way QtRO does at run time.
func caseStrings(sec, class string) []string {
	var out []string
	for _, m := range reCaseStr.FindAllStringSubmatch(sec, -1) {
		s := m[2]
		out = append(out, fillEnumPlaceholders(s, m[3], class))
	}
	return out
}

// fillEnumPlaceholders applies a SourceAPI string's
// .replace("$k", QtPrivate::qtro_enum_signature<ObjectType>("E")) chain and
// then serializeDefinition's replace("<Class>Source", "<Class>").
// qtro_enum_signature builds "1::2" and replaces "1" by the enum's scope
// and then every "2" by the enum name, so a '2' in the class name is
// replaced too (TestRepcRuntime shows "ModeModeSource::Mode" for class Mode2).
func fillEnumPlaceholders(s, chain, class string) string {
	for _, r := range reEnumRepl.FindAllStringSubmatch(chain, -1) {
		sig := strings.ReplaceAll(strings.ReplaceAll("1::2", "1", class+"Source"), "2", r[2])
		s = strings.ReplaceAll(s, r[1], sig)
	}
	return strings.ReplaceAll(s, class+"Source", class)
}

func sourceAPILines(h, class, body string) ([]string, error) {
	var lines []string
	q := strconv.Quote(class)
	for _, m := range reProp.FindAllStringSubmatch(body, -1) {
		i, _ := strconv.Atoi(m[1])
		lines = append(lines, fmt.Sprintf("api %s property %d %s", q, i-1, m[2]))
	}
	raw, err := section(body, "propertyRawIndexFromSignal(int index)", "return -1;")
	if err != nil {
		return nil, err
	}
	notify := map[int]int{}
	for _, m := range reCaseInt.FindAllStringSubmatch(raw, -1) {
		s, _ := strconv.Atoi(m[1])
		p, _ := strconv.Atoi(m[2])
		notify[s] = p
	}
	sigSec, err := section(body, "signalSignature(int index)", `return QByteArrayLiteral("");`)
	if err != nil {
		return nil, err
	}
	methSec, err := section(body, "methodSignature(int index)", `return QByteArrayLiteral("");`)
	if err != nil {
		return nil, err
	}
	typeSec, err := section(body, "typeName(int index)", `return QByteArrayLiteral("");`)
	if err != nil {
		return nil, err
	}
	sigNames, slotNames, err := declaredParamNames(h, class)
	if err != nil {
		return nil, err
	}
	sigs := caseStrings(sigSec, class)
	if len(sigNames) != len(sigs) {
		return nil, fmt.Errorf("%d signal signatures but %d declared signals", len(sigs), len(sigNames))
	}
	for i, s := range sigs {
		p, ok := notify[i]
		if !ok {
			p = -1
		}
		lines = append(lines, fmt.Sprintf("api %s signal %d %s (%s) prop=%d", q, i, esc(s), strings.Join(sigNames[i], ","), p))
	}
	meths, types := caseStrings(methSec, class), caseStrings(typeSec, class)
	if len(meths) != len(types) || len(meths) != len(slotNames) {
		return nil, fmt.Errorf("%d method signatures, %d return types, %d declared slots", len(meths), len(types), len(slotNames))
	}
	for i, s := range meths {
		lines = append(lines, fmt.Sprintf("api %s method %d %s (%s) -> %s", q, i, esc(s), strings.Join(slotNames[i], ","), esc(types[i])))
	}
	return lines, nil
}

// declaredParamNames reads the parameter names of the signals and slots
// declared in the generated <Class>Source, in declaration order.
func declaredParamNames(h, class string) (sigs, slots [][]string, err error) {
	var body string
	for _, loc := range reSource.FindAllStringSubmatchIndex(h, -1) {
		if h[loc[2]:loc[3]] == class {
			body = h[loc[1]:]
			body = body[:strings.Index(body, "\n};\n")]
			break
		}
	}
	if body == "" {
		return nil, nil, fmt.Errorf("no class %sSource", class)
	}
	var cur *[][]string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "Q_SIGNALS:":
			cur = &sigs
			continue
		case l == "public Q_SLOTS:":
			cur = &slots
			continue
		case strings.HasSuffix(l, ":") && !strings.HasPrefix(l, " "):
			cur = nil
			continue
		}
		if cur == nil {
			continue
		}
		m := reDecl.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var names []string
		for _, p := range qds.SplitTopLevel(m[2]) {
			if id := reTrailID.FindStringSubmatch(p); id != nil {
				names = append(names, id[1])
			}
		}
		*cur = append(*cur, names)
	}
	return sigs, slots, sc.Err()
}

// ourOutcome computes with this package what repc's outcome should be.
func ourOutcome(c repcCase, d Dialect) (outcome, error) {
	f, err := Parse(c.name, c.src)
	if err != nil {
		return outcome{}, err
	}
	if d == Qt5 && f.Qt6Only() {
		return outcome{}, ErrQt6Only
	}
	o := outcome{accepted: true, api: map[string][]string{}}
	for _, cl := range f.Classes {
		var sig string
		if d == Qt5 {
			sig, err = SignatureV1(f, cl.Name)
		} else {
			sig, err = SignatureV2(f, cl.Name)
		}
		if err != nil {
			return o, err
		}
		o.sigs = append(o.sigs, classSig{cl.Name, sig})
		a, err := f.API(cl.Name, d)
		if err != nil {
			return o, err
		}
		o.api[cl.Name] = renderAPI(a)
	}
	return o, nil
}

// renderAPI writes an API in the same line format sourceAPILines reads from
// a header.
func renderAPI(a *API) []string {
	q := strconv.Quote(a.TypeName)
	var lines []string
	for i, p := range a.Properties {
		lines = append(lines, fmt.Sprintf("api %s property %d %s", q, i, p.Name))
	}
	names := func(ps []APIParam) string {
		var n []string
		for _, p := range ps {
			n = append(n, p.Name)
		}
		return strings.Join(n, ",")
	}
	for i, s := range a.Signals {
		lines = append(lines, fmt.Sprintf("api %s signal %d %s (%s) prop=%d", q, i, esc(s.Signature), names(s.Params), s.Property))
	}
	for i, m := range a.Methods {
		lines = append(lines, fmt.Sprintf("api %s method %d %s (%s) -> %s", q, i, esc(m.Signature), names(m.Params), esc(m.ReturnType)))
	}
	return lines
}

// sigLines and apiLines render an outcome for the golden files.
func sigLines(name string, d Dialect, o outcome) []string {
	v := fmt.Sprintf("qt%d", d)
	if !o.accepted {
		return []string{fmt.Sprintf("%s %s rejected", name, v)}
	}
	out := []string{fmt.Sprintf("%s %s accepted", name, v)}
	for _, s := range o.sigs {
		out = append(out, fmt.Sprintf("%s %s class %s %s", name, v, strconv.Quote(s.class), s.sig))
	}
	return out
}

// esc keeps golden lines one per line: repc copies odd .rep text (even
// newlines) into signatures and return types.
func esc(s string) string {
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r", "\t", "\\t").Replace(s)
}

func apiLines(name string, d Dialect, o outcome) []string {
	var out []string
	for _, s := range o.sigs {
		for _, l := range o.api[s.class] {
			out = append(out, fmt.Sprintf("%s qt%d %s", name, d, l))
		}
	}
	return out
}

// golden holds a golden file's lines grouped by case and dialect.
type golden map[string][]string

func goldenKey(name string, d Dialect) string { return fmt.Sprintf("%s qt%d", name, d) }

func readGolden(t *testing.T, path string) golden {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (run go test ./impl/rep -run Repc -update with Qt installed)", err)
	}
	g := golden{}
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.SplitN(l, " ", 3)
		if len(f) < 3 {
			t.Fatalf("%s: bad line %q", path, l)
		}
		k := f[0] + " " + f[1]
		g[k] = append(g[k], l)
	}
	return g
}

// goldenWriter collects golden lines from parallel subtests.
type goldenWriter struct {
	mu    sync.Mutex
	lines map[string][]string
}

func (w *goldenWriter) add(key string, lines []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lines == nil {
		w.lines = map[string][]string{}
	}
	if lines == nil {
		lines = []string{}
	}
	w.lines[key] = lines
}

// merge writes the collected lines into path, keeping the lines of known
// keys that were not collected this run (a -run filter) and dropping keys
// that are no longer cases.
func (w *goldenWriter) merge(t *testing.T, path, header string, known map[string]bool) {
	t.Helper()
	old := golden{}
	if _, err := os.Stat(path); err == nil {
		old = readGolden(t, path)
	}
	for k := range old {
		if !known[k] {
			delete(old, k)
		}
	}
	for k, v := range w.lines {
		old[k] = v
	}
	keys := make([]string, 0, len(old))
	for k := range old {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(header)
	for _, k := range keys {
		for _, l := range old[k] {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// diffLines reports the first differences between two line lists.
func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	if strings.Join(want, "\n") == strings.Join(got, "\n") {
		return
	}
	n := max(len(want), len(got))
	shown := 0
	for i := 0; i < n && shown < 8; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("%s line %d:\n  want %q\n  got  %q", what, i, w, g)
			shown++
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s: want %d lines, got %d", what, len(want), len(got))
	}
}

const sigGoldenHeader = `# Class signatures written by the real repc binaries (Qt 5.15.8 "qt5", Qt 6.4.2 "qt6")
# for every fixture in this directory and every snippet in impl/rep/snippets_test.go,
# in -o merged mode. "rejected" means repc exited non-zero.
# Regenerate ONLY from repc: go test ./impl/rep -run Repc -update
`

const apiGoldenHeader = `# The API each generated <Class>SourceAPI exposes, read from repc's merged header:
# property order, signalSignature/methodSignature/typeName strings (enum placeholders
# filled in as <Class>::<Enum>), notify property index, and declared parameter names.
# Regenerate ONLY from repc: go test ./impl/rep -run Repc -update
`
