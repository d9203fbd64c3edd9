package matrix

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qtro/qtro/interop/harness"
)

// Report files written into the matrix directory.
const (
	ReportMarkdown = "matrix.md"
	ReportHTML     = "matrix.html"
	ReportJSON     = "matrix.json"
)

// RunInfo describes the run a report covers.
type RunInfo struct {
	// Mode is the harness banner (containers, or NATIVE and why).
	Mode string `json:"mode"`
	// Started and Duration cover the whole suite.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Prepare says how long building images or binaries took.
	Prepare string `json:"prepare,omitempty"`
	// Workers is how many cells ran at once.
	Workers int `json:"workers"`
	// Filter is the Ginkgo label filter and focus, if any.
	Filter string `json:"filter,omitempty"`
	// Machine describes the machine (CPUs, load average before and after).
	Machine string `json:"machine,omitempty"`
	// Notes are further remarks (suite-level failures, for example).
	Notes []string `json:"notes,omitempty"`
}

// column is one column of the matrix.
type column struct {
	dialect   Dialect
	transport string
	direction Direction
}

func columns() []column {
	var out []column
	for _, d := range Dialects {
		for _, t := range Transports {
			for _, dir := range Directions {
				out = append(out, column{d, string(t), dir})
			}
		}
	}
	return out
}

// counts tallies verdicts.
func counts(results map[string]*Result) map[Status]int {
	n := map[Status]int{}
	for _, c := range Cells() {
		if r, ok := results[c.ID()]; ok {
			n[r.Status]++
		} else {
			n[NotRun]++
		}
	}
	return n
}

// WriteReport writes matrix.md, matrix.html and matrix.json into dir: a row
// per scenario, a column per (dialect, transport, direction), each cell
// pass/fail/unsupported (or not run) with links to its artifacts, which are
// in dir/<cell>/. Results of cells that are not in Cells() are listed too.
func WriteReport(dir string, info RunInfo, list []*Result) error {
	results := map[string]*Result{}
	for _, r := range list {
		results[r.Cell] = r
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		Run     RunInfo   `json:"run"`
		Results []*Result `json:"results"`
	}{info, sorted(results)}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ReportJSON), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ReportMarkdown), []byte(markdown(info, results)), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ReportHTML), []byte(htmlReport(info, results)), 0o644)
}

// sorted returns results in matrix order, unknown cells last by name.
func sorted(results map[string]*Result) []*Result {
	var out []*Result
	seen := map[string]bool{}
	for _, c := range Cells() {
		if r, ok := results[c.ID()]; ok {
			out = append(out, r)
			seen[c.ID()] = true
		}
	}
	var rest []string
	for id := range results {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	for _, id := range rest {
		out = append(out, results[id])
	}
	return out
}

var mark = map[Status]string{Pass: "✅", PassPartial: "☑️", Fail: "❌", Unsupported: "⛔", NotRun: "·"}

// link is a relative link to a cell's artifact (path segments escaped).
func link(r *Result, file string) string {
	p := url.PathEscape(r.Dir) + "/"
	if file != "" {
		p += url.PathEscape(file)
	}
	return p
}

// pcaps returns a result's capture files that hold a QtRO connection (all
// of them when the result does not say).
func pcaps(r *Result) []string {
	var out []string
	if len(r.Captures) > 0 {
		for _, c := range r.Captures {
			if c.Conns > 0 {
				out = append(out, c.File)
			}
		}
		return out
	}
	for _, f := range r.Files {
		if strings.HasSuffix(f, ".pcap") {
			out = append(out, f)
		}
	}
	return out
}

// logs returns a result's adapter logs.
func logs(r *Result) []string {
	var out []string
	for _, f := range r.Files {
		if strings.HasSuffix(f, ".log") && f != "transcript.log" {
			out = append(out, f)
		}
	}
	return out
}

func has(r *Result, file string) bool {
	for _, f := range r.Files {
		if f == file {
			return true
		}
	}
	return false
}

func ms(n int64) string {
	return (time.Duration(n) * time.Millisecond).Round(100 * time.Millisecond).String()
}

func markdown(info RunInfo, results map[string]*Result) string {
	var b strings.Builder
	b.WriteString("# Go ↔ Qt interop matrix\n\n")
	writeRunInfoMD(&b, info, results)
	b.WriteString("\n## Matrix\n\n")
	b.WriteString("Rows are scenarios; columns are dialect / transport / direction (who is the host → who holds the replica; in the registry row the registry is the replica side's implementation). ")
	b.WriteString("Each cell: verdict, then links to the adapters' logs, the pcap(s) and the decoded transcript (`" + TranscriptFile + "`). `·` = not run (filtered out).\n\n")
	cols := columns()
	b.WriteString("| scenario |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s %s %s |", c.dialect.Title, c.transport, c.direction.Title)
	}
	b.WriteString("\n|---|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range Scenarios {
		fmt.Fprintf(&b, "| %s |", s.Title)
		for _, c := range cols {
			cell := Cell{Scenario: s, Direction: c.direction, Dialect: c.dialect, Transport: transportOf(c.transport)}
			r, ok := results[cell.ID()]
			if !ok {
				b.WriteString(" · |")
				continue
			}
			fmt.Fprintf(&b, " %s **%s**", mark[r.Status], r.Status)
			for _, l := range logs(r) {
				fmt.Fprintf(&b, " [%s](%s)", strings.TrimSuffix(l, ".log"), link(r, l))
			}
			for _, p := range pcaps(r) {
				fmt.Fprintf(&b, " [pcap](%s)", link(r, p))
			}
			if has(r, TranscriptFile) {
				fmt.Fprintf(&b, " [wire](%s)", link(r, TranscriptFile))
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Checks (every cell runs them in this order)\n\n| check | asserts |\n|---|---|\n")
	for _, c := range CheckNames {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, mdEscape(c.Asserts))
	}
	b.WriteString("\n## Checks of the item-model row (instead of init … revalid)\n\n| check | asserts |\n|---|---|\n")
	for _, c := range ModelCheckNames {
		fmt.Fprintf(&b, "| `%s` | %s |\n", c.Name, mdEscape(c.Asserts))
	}
	b.WriteString("\n## Cells\n\n| cell | verdict | time | checks | reason / notes |\n|---|---|---|---|---|\n")
	for _, r := range sorted(results) {
		if r.Negative {
			continue
		}
		var checks []string
		for _, c := range r.Checks {
			checks = append(checks, fmt.Sprintf("%s %s", c.Name, mark[statusMark(c.Status)]))
		}
		why := r.Reason
		if len(r.Notes) > 0 {
			if why != "" {
				why += " — "
			}
			why += "notes: " + strings.Join(r.Notes, "; ")
		}
		fmt.Fprintf(&b, "| [%s](%s) | %s %s | %s | %s | %s |\n", r.Cell, link(r, "case.txt"), mark[r.Status], r.Status,
			ms(r.DurationMs), strings.Join(checks, " "), mdEscape(truncate(why, 600)))
	}
	if neg := negatives(results); len(neg) > 0 {
		b.WriteString("\n## Negative controls\n\nThe node speaks the other dialect than the host (Qt 5 and Qt 6 never talk to each other), so the script must fail at `init`: proof that the checks can fail.\n\n| cell | outcome | time | detail |\n|---|---|---|---|\n")
		for _, r := range neg {
			ok, detail := negativeOutcome(r)
			verdict := "✅ failed as required"
			if !ok {
				verdict = "❌ did not fail as required"
			}
			fmt.Fprintf(&b, "| [%s](%s) | %s | %s | %s |\n", r.Cell, link(r, "case.txt"), verdict, ms(r.DurationMs), mdEscape(truncate(detail, 600)))
		}
	}
	failures := false
	for _, r := range sorted(results) {
		if r.Status != Fail || r.Negative {
			continue
		}
		if !failures {
			b.WriteString("\n## Failures\n")
			failures = true
		}
		fmt.Fprintf(&b, "\n### %s\n\n%s. Artifacts: [%s/](%s)\n\n", r.Cell, r.Title, r.Dir, link(r, ""))
		for _, c := range r.Checks {
			if c.Status == Fail {
				fmt.Fprintf(&b, "- `%s`: %s\n", c.Name, mdEscape(truncate(c.Detail, 1500)))
			}
		}
	}
	return b.String()
}

// statusMark maps check verdicts onto the cell marks.
func statusMark(s Status) Status {
	switch s {
	case Skipped, NotReached:
		return NotRun
	}
	return s
}

func writeRunInfoMD(b *strings.Builder, info RunInfo, results map[string]*Result) {
	fmt.Fprintf(b, "- **mode**: %s\n", info.Mode)
	fmt.Fprintf(b, "- **run**: %s, %s wall clock, %d cells at a time", info.Started.UTC().Format(time.RFC3339), info.Duration.Round(time.Second), info.Workers)
	if info.Prepare != "" {
		fmt.Fprintf(b, "; prepare %s", info.Prepare)
	}
	b.WriteString("\n")
	if info.Machine != "" {
		fmt.Fprintf(b, "- **machine**: %s\n", info.Machine)
	}
	if info.Filter != "" {
		fmt.Fprintf(b, "- **filter**: %s\n", mdEscape(info.Filter))
	}
	n := counts(results)
	var cellTime int64
	for _, r := range results {
		cellTime += r.DurationMs
	}
	fmt.Fprintf(b, "- **verdicts**: %d pass, %d pass with a check that could not run, %d fail, %d unsupported, %d not run (of %d cells); cells took %s in total\n",
		n[Pass], n[PassPartial], n[Fail], n[Unsupported], n[NotRun], len(Cells()), ms(cellTime))
	for _, note := range info.Notes {
		fmt.Fprintf(b, "- **note**: %s\n", mdEscape(note))
	}
}

func transportOf(s string) harness.Transport { return harness.Transport(s) }

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

const css = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 5px;vertical-align:top}
th{background:#f3f3f3}td.pass{background:#d9f5d9}td.partial{background:#eef5d0}td.fail{background:#f8d0d0}
td.unsupported{background:#e4e4f4}td.notrun{background:#fafafa;color:#999;text-align:center}
td a{font-size:11px;margin-right:3px}.v{font-weight:bold;display:block}code{font-size:12px}
details{margin:.3em 0}summary{cursor:pointer}.muted{color:#777}pre{white-space:pre-wrap;font-size:12px}`

// negatives returns the negative controls among results, by name.
func negatives(results map[string]*Result) []*Result {
	var out []*Result
	for _, r := range sorted(results) {
		if r.Negative {
			out = append(out, r)
		}
	}
	return out
}

// negativeOutcome says whether a negative control failed as it must: at
// init, with the behaviour checks not reached.
func negativeOutcome(r *Result) (bool, string) {
	if r.Status != Fail || len(r.Checks) == 0 || r.Checks[0].Name != "init" || r.Checks[0].Status != Fail {
		return false, fmt.Sprintf("verdict %s: %s", r.Status, r.Reason)
	}
	return true, r.Checks[0].Detail
}

func cssClass(s Status) string {
	switch s {
	case Pass:
		return "pass"
	case PassPartial:
		return "partial"
	case Fail:
		return "fail"
	case Unsupported:
		return "unsupported"
	}
	return "notrun"
}

func htmlReport(info RunInfo, results map[string]*Result) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>qtro Go ↔ Qt interop matrix</title><style>")
	b.WriteString(css)
	b.WriteString("</style></head><body>\n<h1>Go ↔ Qt interop matrix</h1>\n<ul>")
	var md strings.Builder
	writeRunInfoMD(&md, info, results)
	for _, line := range strings.Split(strings.TrimSpace(md.String()), "\n") {
		line = strings.TrimPrefix(line, "- ")
		k, v, _ := strings.Cut(line, ": ")
		fmt.Fprintf(&b, "<li><b>%s</b>: %s</li>", e(strings.Trim(k, "*")), e(strings.ReplaceAll(v, `\|`, "|")))
	}
	b.WriteString("</ul>\n<p>Rows are scenarios; columns are dialect / transport / direction (host → replica side; in the registry row the registry is the replica side's implementation). Hover a cell for its checks.</p>\n<table>\n")
	cols := columns()
	per := len(Transports) * len(Directions)
	b.WriteString("<tr><th rowspan=\"3\">scenario</th>")
	for _, d := range Dialects {
		fmt.Fprintf(&b, "<th colspan=\"%d\">%s</th>", per, e(d.Title))
	}
	b.WriteString("</tr>\n<tr>")
	for range Dialects {
		for _, t := range Transports {
			fmt.Fprintf(&b, "<th colspan=\"%d\">%s</th>", len(Directions), e(string(t)))
		}
	}
	b.WriteString("</tr>\n<tr>")
	for _, c := range cols {
		fmt.Fprintf(&b, "<th>%s</th>", e(c.direction.Title))
	}
	b.WriteString("</tr>\n")
	for _, s := range Scenarios {
		fmt.Fprintf(&b, "<tr><th>%s</th>", e(s.Title))
		for _, c := range cols {
			cell := Cell{Scenario: s, Direction: c.direction, Dialect: c.dialect, Transport: transportOf(c.transport)}
			r, ok := results[cell.ID()]
			if !ok {
				b.WriteString("<td class=\"notrun\">·</td>")
				continue
			}
			fmt.Fprintf(&b, "<td class=\"%s\" title=\"%s\"><a class=\"v\" href=\"#%s\">%s</a>", cssClass(r.Status), e(r.String()), e(r.Cell), e(string(r.Status)))
			for _, l := range logs(r) {
				fmt.Fprintf(&b, "<a href=\"%s\">%s</a>", e(link(r, l)), e(strings.TrimSuffix(l, ".log")))
			}
			for _, p := range pcaps(r) {
				fmt.Fprintf(&b, "<a href=\"%s\">pcap</a>", e(link(r, p)))
			}
			if has(r, TranscriptFile) {
				fmt.Fprintf(&b, "<a href=\"%s\">wire</a>", e(link(r, TranscriptFile)))
			}
			b.WriteString("</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<h2>Checks</h2>\n<table><tr><th>check</th><th>asserts</th></tr>\n")
	for _, c := range CheckNames {
		fmt.Fprintf(&b, "<tr><td><code>%s</code></td><td>%s</td></tr>\n", e(c.Name), e(c.Asserts))
	}
	b.WriteString("</table>\n<h2>Checks of the item-model row (instead of init … revalid)</h2>\n<table><tr><th>check</th><th>asserts</th></tr>\n")
	for _, c := range ModelCheckNames {
		fmt.Fprintf(&b, "<tr><td><code>%s</code></td><td>%s</td></tr>\n", e(c.Name), e(c.Asserts))
	}
	b.WriteString("</table>\n")
	if neg := negatives(results); len(neg) > 0 {
		b.WriteString("<h2>Negative controls</h2>\n<p>The node speaks the other dialect than the host, so the script must fail at <code>init</code>.</p>\n<table><tr><th>cell</th><th>outcome</th><th>detail</th></tr>\n")
		for _, r := range neg {
			ok, detail := negativeOutcome(r)
			class, verdict := "pass", "failed as required"
			if !ok {
				class, verdict = "fail", "did not fail as required"
			}
			fmt.Fprintf(&b, "<tr><td><a href=\"#%s\">%s</a></td><td class=\"%s\">%s</td><td><pre>%s</pre></td></tr>\n", e(r.Cell), e(r.Cell), class, verdict, e(detail))
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("<h2>Cells</h2>\n")
	for _, r := range sorted(results) {
		fmt.Fprintf(&b, "<details id=\"%s\"%s><summary>%s <b>%s</b> — %s <span class=\"muted\">(%s)</span></summary>\n",
			e(r.Cell), map[bool]string{true: " open"}[r.Status == Fail && !r.Negative], e(mark[r.Status]+" "+r.Cell), e(string(r.Status)), e(r.Title), e(ms(r.DurationMs)))
		if r.Reason != "" {
			fmt.Fprintf(&b, "<p>%s</p>", e(r.Reason))
		}
		b.WriteString("<table><tr><th>check</th><th>verdict</th><th>time</th><th>detail</th></tr>")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "<tr><td><code>%s</code></td><td class=\"%s\">%s</td><td>%s</td><td><pre>%s</pre></td></tr>", e(c.Name), cssClass(checkClass(c.Status)), e(string(c.Status)), e(ms(c.DurationMs)), e(c.Detail))
		}
		b.WriteString("</table><p>peers: ")
		for i, p := range r.Peers {
			if i > 0 {
				b.WriteString("; ")
			}
			exit := "running"
			if p.Exit != nil {
				exit = fmt.Sprintf("exit %d", *p.Exit)
			}
			fmt.Fprintf(&b, "<b>%s</b> %s %s <code>%s</code> (%s, %s)", e(p.Name), e(p.Impl), e(p.Role), e(strings.Join(p.Args, " ")), e(p.Version), e(exit))
		}
		b.WriteString("</p><p>files: ")
		for _, f := range r.Files {
			fmt.Fprintf(&b, "<a href=\"%s\">%s</a> ", e(link(r, f)), e(f))
		}
		b.WriteString("</p>")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "<p class=\"muted\">note: %s</p>", e(n))
		}
		b.WriteString("</details>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func checkClass(s Status) Status {
	if s == Skipped || s == NotReached {
		return NotRun
	}
	return s
}
