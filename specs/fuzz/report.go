package fuzz

import (
	"encoding/json"
	"html/template"
	"os"
	"path/filepath"
)

// Results is everything one `qtro fuzz` invocation writes: a report per
// target fuzzed and a verdict per reproducer replayed.
type Results struct {
	Runs    []*Report      `json:"runs,omitempty"`
	Replays []ReplayResult `json:"replays,omitempty"`
}

// WriteReports writes fuzz.json and report.html into dir.
func WriteReports(dir string, res Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "fuzz.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return err
	}
	defer f.Close()
	return reportHTML.Execute(f, res)
}

var reportHTML = template.Must(template.New("fuzz").Funcs(template.FuncMap{
	"base": filepath.Base,
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>qtro fuzz</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.crashed,.hung{background:#fdd}.alive{background:#dfd}code{font-size:12px}</style></head><body>
<h1>qtro fuzz</h1>
{{range .Runs}}
<h2>{{.Target}} as {{.Role}} ({{.Dialect}})</h2>
{{if .Baseline}}<p>the fuzzer plays the host of a fresh replica per input ({{.Replicas}} started); well-formed session first:
{{range .Baseline}}<br>{{.}}{{end}}</p>{{end}}
<p>seed {{.Seed}} · {{.Inputs}} inputs in {{printf "%.1f" .Elapsed}} s · {{.Restarts}} restarts ·
{{len .Crashes}} failure kinds, {{.Failures}} failing inputs{{if .Stopped}} · stopped: {{.Stopped}}{{end}}
{{if .RSSStartKiB}} · host RSS {{.RSSStartKiB}} KiB at start, peak {{.RSSPeakKiB}}, last {{.RSSEndKiB}}{{if .RSSIdleKiB}}, idle after {{.RSSIdleKiB}}{{end}}{{end}}</p>
{{if .MemoryGrowth}}<p class="crashed">memory growth: {{.MemoryGrowth}}</p>{{end}}
<table><tr><th>mutator</th><th>inputs</th></tr>
{{range $k, $n := .ByKind}}<tr><td>{{$k}}</td><td>{{$n}}</td></tr>{{end}}</table>
{{if .Crashes}}<table><tr><th>role</th><th>kind</th><th>verdict</th><th>count</th><th>first input</th><th>minimised input</th><th>bytes</th><th>reproducer</th></tr>
{{range .Crashes}}<tr class="{{.Health}}"><td>{{.Role}}{{if .Mode}} ({{.Mode}}){{end}}</td><td>{{.Kind}}</td><td>{{.Health}}: {{.Detail}}</td><td>{{.Count}}</td><td>{{.First}}</td>
<td>{{.Note}}{{if not .Reproduced}} (did not crash a fresh target alone){{end}}</td><td>{{.OriginalSize}} → {{.MinimalSize}}</td>
<td>{{if .Reproducer}}<a href="crashes/{{base .Reproducer}}">{{base .Reproducer}}</a>{{end}}</td></tr>{{end}}</table>
{{else}}<p class="alive">No crash and no hang.</p>{{end}}
{{end}}
{{if .Replays}}<h2>Replays</h2><table><tr><th>reproducer</th><th>target</th><th>role</th><th>verdict</th></tr>
{{range .Replays}}<tr class="{{.Health}}"><td><code>{{.File}}</code></td><td>{{.Target}}</td><td>{{.Role}}</td><td>{{.Health}} {{.Detail}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))
