package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// CaseResult is the outcome of one requirement against one target.
type CaseResult struct {
	ID         string   `json:"id"`
	Level      Level    `json:"level"`
	Area       string   `json:"area"`
	Text       string   `json:"text"`
	Outcome    string   `json:"outcome"` // pass, fail, non-strict, unsupported, informational
	Message    string   `json:"message,omitempty"`
	Location   string   `json:"location,omitempty"`
	Seconds    float64  `json:"seconds"`
	Observed   []string `json:"observed,omitempty"`
	Transcript []string `json:"transcript,omitempty"`
	Pcaps      []string `json:"pcaps,omitempty"`
	Logs       []string `json:"logs,omitempty"`
	// Expected is the reason an expected-failures file gives for this
	// requirement on this target (see ApplyExpectations).
	Expected string `json:"expected,omitempty"`
}

// TargetResults is one target's run.
type TargetResults struct {
	Target  string         `json:"target"`
	Strict  bool           `json:"strict"`
	Started time.Time      `json:"started"`
	Seconds float64        `json:"seconds"`
	Counts  map[string]int `json:"counts"`
	Passed  bool           `json:"passed"` // no MUST (strict: no SHOULD) failed
	// Exercised counts the requirements actually checked (pass, fail,
	// non-strict, informational) out of Total that ran; the rest were
	// unsupported, not applicable or not tested, each with its reason.
	Exercised int `json:"exercised"`
	Total     int `json:"total"`
	// Verdict is the one-line summary reports print, e.g. "conformant on
	// 31 of 85 requirements exercised".
	Verdict  string            `json:"verdict"`
	Results  []CaseResult      `json:"results"`
	NotRun   []string          `json:"notRun,omitempty"` // requirement IDs filtered out
	Suite    string            `json:"suite"`
	Versions map[string]string `json:"versions,omitempty"`
}

// Results converts a Ginkgo report into the suite's outcomes.
func Results(r types.Report) TargetResults {
	tr := TargetResults{Suite: r.SuiteDescription, Started: r.StartTime, Seconds: r.RunTime.Seconds(),
		Counts: map[string]int{}, Passed: r.SuiteSucceeded, Strict: suite.Strict}
	if suite.Target != nil {
		tr.Target = suite.Target.Name
		if c := suite.Target.Caps; c.Declared {
			tr.Versions = map[string]string{}
			for k, v := range map[string]string{"adapter": c.Adapter, "qt": c.Qt, "protocol": c.Protocol} {
				if v != "" {
					tr.Versions[k] = v
				}
			}
		}
	}
	ran := map[string]bool{}
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		id := firstWord(s.LeafNodeText)
		req, ok := Lookup(id)
		if !ok {
			continue
		}
		if s.State == types.SpecStateSkipped && s.Failure.Message == "" && len(s.ReportEntries) == 0 {
			continue // filtered out by labels
		}
		ran[id] = true
		cr := CaseResult{ID: id, Level: req.Level, Area: areaOf(id), Text: req.Text, Seconds: s.RunTime.Seconds()}
		outcome := ""
		for _, e := range s.ReportEntries {
			v := e.StringRepresentation()
			switch e.Name {
			case "outcome":
				outcome = strings.Trim(v, "\"")
			case "observed":
				cr.Observed = append(cr.Observed, v)
			case "wire transcript":
				cr.Transcript = append(cr.Transcript, v)
			case "pcap":
				cr.Pcaps = append(cr.Pcaps, v)
			default:
				if strings.HasPrefix(e.Name, "adapter ") {
					cr.Logs = append(cr.Logs, e.Name+":\n"+v)
				}
			}
		}
		switch {
		case s.State.Is(types.SpecStateFailureStates):
			cr.Outcome = OutcomeFail
			cr.Message = s.Failure.Message
			cr.Location = s.Failure.Location.String()
		case outcome != "":
			cr.Outcome = outcome
			cr.Message = s.Failure.Message
		case s.State == types.SpecStateSkipped:
			cr.Outcome = OutcomeUnsupported
			cr.Message = s.Failure.Message
		default:
			cr.Outcome = OutcomePass
		}
		if cr.Outcome == OutcomeInformational && s.State == types.SpecStatePassed {
			cr.Message = ""
		}
		tr.Counts[cr.Outcome]++
		tr.Total++
		if Exercised(cr.Outcome) {
			tr.Exercised++
		}
		tr.Results = append(tr.Results, cr)
	}
	tr.Verdict = tr.verdict()
	for _, req := range Catalogue {
		if !ran[req.ID] {
			tr.NotRun = append(tr.NotRun, req.ID)
		}
	}
	sort.Slice(tr.Results, func(i, j int) bool { return catalogueIndex(tr.Results[i].ID) < catalogueIndex(tr.Results[j].ID) })
	return tr
}

// verdict summarises a run without ever calling a run that exercised
// little "conformant" outright.
func (tr *TargetResults) verdict() string {
	var why []string
	for _, o := range []string{OutcomeUnsupported, OutcomeNotApplicable, OutcomeNotTested} {
		if n := tr.Counts[o]; n > 0 {
			why = append(why, fmt.Sprintf("%d %s", n, o))
		}
	}
	rest := ""
	if len(why) > 0 {
		rest = " (not exercised: " + strings.Join(why, ", ") + ")"
	}
	switch {
	case !tr.Passed:
		if n := tr.expectedCount(); n > 0 {
			rest += fmt.Sprintf(" (%d of the failures expected)", n)
		}
		return fmt.Sprintf("NOT conformant: %d failed of %d requirements exercised%s", tr.Counts[OutcomeFail], tr.Exercised, rest)
	case tr.Exercised == 0:
		return fmt.Sprintf("nothing exercised: 0 of %d requirements%s", tr.Total, rest)
	}
	return fmt.Sprintf("conformant on %d of %d requirements exercised%s", tr.Exercised, tr.Total, rest)
}

// Summary is the verdict line, recomputed for results read from an older
// results.json that has none.
func (tr *TargetResults) Summary() string {
	if tr.Verdict != "" {
		return tr.Verdict
	}
	if tr.Total == 0 {
		for _, c := range tr.Results {
			tr.Total++
			if Exercised(c.Outcome) {
				tr.Exercised++
			}
		}
	}
	return tr.verdict()
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

func catalogueIndex(id string) int {
	for i, r := range Catalogue {
		if r.ID == id {
			return i
		}
	}
	return len(Catalogue)
}

// WriteReports writes results.json, junit.xml and report.html to dir for
// one or several targets (a matrix row per requirement, a column per target).
func WriteReports(dir string, runs []TargetResults) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		return err
	}
	if err := writeJUnit(filepath.Join(dir, "junit.xml"), runs); err != nil {
		return err
	}
	return writeHTML(filepath.Join(dir, "report.html"), runs)
}

// ReadResults reads a results.json written by WriteReports.
func ReadResults(path string) ([]TargetResults, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var runs []TargetResults
	return runs, json.Unmarshal(b, &runs)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string  `xml:"name,attr"`
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Time     float64 `xml:"time,attr"`
	// Properties carry the verdict and the coverage (exercised of total).
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

func writeJUnit(path string, runs []TargetResults) error {
	var js junitSuites
	for _, r := range runs {
		s := junitSuite{Name: "qtro conformance " + r.Target, Time: r.Seconds, Properties: []junitProperty{
			{"verdict", r.Summary()}, {"exercised", fmt.Sprint(r.Exercised)}, {"total", fmt.Sprint(r.Total)}}}
		for _, c := range r.Results {
			jc := junitCase{Name: c.ID + " [" + string(c.Level) + "] " + c.Text, Classname: r.Target + "." + c.Area, Time: c.Seconds}
			switch {
			case c.ExpectedFailure():
				// Known and recorded (an expected-failures file): not a
				// failure of this run, but not a pass either.
				jc.Skipped = &junitMessage{Message: "expected failure: " + c.Expected + ": " + firstLine(c.Message)}
				s.Skipped++
			case c.Outcome == OutcomeFail:
				jc.Failure = &junitMessage{Message: firstLine(c.Message), Type: string(c.Level), Body: c.Message + "\n" + c.Location + "\n" + strings.Join(c.Transcript, "\n")}
				s.Failures++
			case c.Outcome == OutcomeUnsupported, c.Outcome == OutcomeNonStrict, c.Outcome == OutcomeNotApplicable, c.Outcome == OutcomeNotTested:
				jc.Skipped = &junitMessage{Message: c.Outcome + ": " + firstLine(c.Message)}
				s.Skipped++
			}
			if len(c.Observed) > 0 {
				jc.SystemOut = strings.Join(c.Observed, "\n")
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		js.Suites = append(js.Suites, s)
	}
	b, err := xml.MarshalIndent(js, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), b...), 0o644)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

type htmlRow struct {
	Req   Requirement
	Cells []*CaseResult
}

// Difference is a requirement whose outcome or recorded behaviour is not
// the same for every target, with what each target did and why.
type Difference struct {
	Req     Requirement
	Targets []string
	Cells   []*CaseResult
}

// Differences lists the requirements on which the targets disagree.
func Differences(runs []TargetResults) []Difference {
	var out []Difference
	for _, req := range Catalogue {
		var cells []*CaseResult
		var names []string
		seen := map[string]bool{}
		for ri := range runs {
			for ci := range runs[ri].Results {
				c := &runs[ri].Results[ci]
				if c.ID != req.ID {
					continue
				}
				cells = append(cells, c)
				names = append(names, runs[ri].Target)
				seen[c.Outcome+"\x00"+strings.Join(c.Observed, "\x00")] = true
			}
		}
		if len(cells) > 1 && len(seen) > 1 {
			out = append(out, Difference{Req: req, Targets: names, Cells: cells})
		}
	}
	return out
}

// Reason is what a report shows for a cell: the observation, or the message.
func (c *CaseResult) Reason() string {
	if len(c.Observed) > 0 {
		return strings.Join(c.Observed, "; ")
	}
	return firstLine(c.Message)
}

func writeHTML(path string, runs []TargetResults) error {
	var rows []htmlRow
	for _, req := range Catalogue {
		row := htmlRow{Req: req}
		any := false
		for ri := range runs {
			var cell *CaseResult
			for ci := range runs[ri].Results {
				if runs[ri].Results[ci].ID == req.ID {
					cell = &runs[ri].Results[ci]
					any = true
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		if any {
			rows = append(rows, row)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return htmlTmpl.Execute(f, map[string]any{"Runs": runs, "Rows": rows, "Diffs": Differences(runs),
		"Generated": time.Now().UTC().Format(time.RFC3339)})
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"anchor": func(target, id string) string { return sanitize(target + "-" + id) },
	"cls":    func(outcome string) string { return strings.ReplaceAll(outcome, " ", "-") },
	"pct": func(n, total int) string {
		if total == 0 {
			return "0"
		}
		return fmt.Sprintf("%.0f", 100*float64(n)/float64(total))
	},
}).Parse(`<!doctype html><html><head><meta charset="utf-8"><title>QtRO conformance report</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f3f3f3}.pass{background:#d8f5d0}.fail{background:#f8c9c4;font-weight:bold}
.non-strict{background:#fde9b8}.unsupported{background:#e4e4e4;color:#555}.informational{background:#d8e8fb}
.not-applicable{background:#eeeeee;color:#777}.fail.expected,.expected{background:#f6dfa8;font-weight:normal}.not-tested{background:#f1e6f7;color:#555}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px;max-height:40em}
td.text{max-width:40em}details{margin:.3em 0}
</style></head><body>
<h1>QtRO conformance report</h1>
<p>Generated {{.Generated}}. Outcomes: <span class="pass">pass</span> <span class="fail">fail</span>
<span class="non-strict">non-strict (SHOULD not met)</span> <span class="unsupported">unsupported</span>
<span class="informational">informational (recorded behaviour)</span>
<span class="not-applicable">not applicable (the target lacks what the requirement needs)</span>
<span class="not-tested">not tested (no positive control)</span>. Only pass, fail, non-strict and informational
count as exercised.</p>
<table><tr><th>target</th><th>verdict</th><th>exercised</th><th>pass</th><th>fail</th><th>non-strict</th><th>informational</th><th>unsupported</th><th>not applicable</th><th>not tested</th><th>seconds</th></tr>
{{range .Runs}}<tr><td>{{.Target}}</td><td class="{{if .Passed}}pass{{else}}fail{{end}}">{{.Summary}}{{if .Strict}} (strict){{end}}</td>
<td>{{.Exercised}} / {{.Total}}</td><td>{{index .Counts "pass"}}</td><td>{{index .Counts "fail"}}</td><td>{{index .Counts "non-strict"}}</td><td>{{index .Counts "informational"}}</td><td>{{index .Counts "unsupported"}}</td><td>{{index .Counts "not applicable"}}</td><td>{{index .Counts "not tested"}}</td><td>{{printf "%.1f" .Seconds}}</td></tr>{{end}}
</table>
<h2>Requirements × targets</h2>
<table><tr><th>ID</th><th>level</th><th>requirement</th>{{range .Runs}}<th>{{.Target}}</th>{{end}}</tr>
{{range $row := .Rows}}<tr><td>{{$row.Req.ID}}</td><td>{{$row.Req.Level}}</td><td class="text">{{$row.Req.Text}}</td>
{{range $i, $c := $row.Cells}}{{if $c}}<td class="{{cls $c.Outcome}}{{if $c.ExpectedFailure}} expected{{end}}" title="{{$c.Reason}}"><a href="#{{anchor (index $.Runs $i).Target $c.ID}}">{{if $c.ExpectedFailure}}expected failure{{else if $c.UnexpectedPass}}pass (listed as expected failure){{else}}{{$c.Outcome}}{{end}}</a></td>{{else}}<td>–</td>{{end}}{{end}}</tr>{{end}}
</table>
{{if .Diffs}}<h2>Where the targets differ</h2>
<p>Requirements whose outcome or recorded behaviour is not the same for every target, and why.</p>
<table><tr><th>ID</th><th>level</th><th>target</th><th>outcome</th><th>behaviour / reason</th></tr>
{{range $d := .Diffs}}{{range $i, $c := $d.Cells}}<tr>{{if eq $i 0}}<td rowspan="{{len $d.Cells}}">{{$d.Req.ID}}</td><td rowspan="{{len $d.Cells}}">{{$d.Req.Level}}</td>{{end}}
<td>{{index $d.Targets $i}}</td><td class="{{cls $c.Outcome}}">{{$c.Outcome}}</td><td>{{$c.Reason}}</td></tr>{{end}}{{end}}
</table>{{end}}
<h2>Details</h2>
{{range $r := .Runs}}{{range $c := $r.Results}}{{if or (ne $c.Outcome "pass") $c.Observed $c.Expected}}
<h3 id="{{anchor $r.Target $c.ID}}">{{$r.Target}} · {{$c.ID}} [{{$c.Level}}] <span class="{{cls $c.Outcome}}">{{$c.Outcome}}</span></h3>
<p>{{$c.Text}}</p>{{if $c.ExpectedFailure}}<p class="expected">expected failure ({{$c.Expected}})</p>{{else if $c.UnexpectedPass}}<p class="fail">passes, but is listed as an expected failure ({{$c.Expected}}): remove the entry</p>{{end}}{{if $c.Message}}<pre>{{$c.Message}}{{if $c.Location}}
at {{$c.Location}}{{end}}</pre>{{end}}
{{range $c.Observed}}<p>Observed: {{.}}</p>{{end}}
{{range $c.Transcript}}<details open><summary>wire transcript (decoded like qtro dump)</summary><pre>{{.}}</pre></details>{{end}}
{{range $c.Pcaps}}<p>pcap: <code>{{.}}</code></p>{{end}}
{{range $c.Logs}}<details><summary>adapter log</summary><pre>{{.}}</pre></details>{{end}}
{{end}}{{end}}{{end}}
</body></html>
`))
