package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/threshold"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{255, 127, 14, 255}, color.RGBA{148, 103, 189, 255},
}

type series struct {
	name string
	xy   plotter.XYs
}

// svgOf renders a plot as an inline <svg> element.
func svgOf(p *plot.Plot) template.HTML {
	c := vgsvg.New(7*vg.Inch, 3.2*vg.Inch)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return template.HTML(template.HTMLEscapeString(err.Error()))
	}
	out := b.String()
	if i := strings.Index(out, "<svg"); i > 0 {
		out = out[i:] // drop the XML prolog and doctype
	}
	return template.HTML(out)
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

func addLines(p *plot.Plot, ss []series) bool {
	any := false
	for i, s := range ss {
		if len(s.xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.xy)
		if err != nil {
			continue
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
		any = true
	}
	return any
}

// spectrum returns the percentile spectrum of h: x = log10(1/(1−q)), y in ms.
func spectrum(h *hdr.Histogram) plotter.XYs {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	var xy plotter.XYs
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		q := b.Quantile / 100
		if q >= 1 {
			break
		}
		xy = append(xy, plotter.XY{X: math.Log10(1 / (1 - q)), Y: float64(b.ValueAt) / 1e6})
	}
	// The maximum, at the right edge.
	last := 6.0
	if len(xy) > 0 {
		last = math.Max(xy[len(xy)-1].X, math.Log10(float64(h.TotalCount())))
	}
	xy = append(xy, plotter.XY{X: last, Y: float64(h.Max()) / 1e6})
	return xy
}

var spectrumTicks = plot.ConstantTicks{
	{Value: 0, Label: "0%"}, {Value: 1, Label: "90%"}, {Value: 2, Label: "99%"}, {Value: 3, Label: "99.9%"},
	{Value: 4, Label: "99.99%"}, {Value: 5, Label: "99.999%"}, {Value: 6, Label: "99.9999%"},
}

func spectrumPlot(title string, ss []series) *plot.Plot {
	p := newPlot(title, "percentile", "ms")
	p.X.Tick.Marker = spectrumTicks
	if !addLines(p, ss) {
		return nil
	}
	p.Y.Min = 0
	return p
}

func timePlot(title, y string, ss []series) *plot.Plot {
	p := newPlot(title, "seconds since load start", y)
	if !addLines(p, ss) {
		return nil
	}
	p.Y.Min = 0
	return p
}

type row struct{ K, V string }

type figure struct {
	Title string
	SVG   template.HTML
	Note  string
	plot  *plot.Plot
}

type page struct {
	Title      string
	Headline   string
	Pass       bool
	HasThresh  bool
	Thresholds []row
	Key        []row
	Notes      []string
	Events     []row
	Figures    []figure
	Env        []row
	Scenario   string
	Percentile []row
}

func decodeOr(d result.Dist) *hdr.Histogram {
	h, err := d.Histogram()
	if err != nil {
		return nil
	}
	return h
}

// HTML writes the self-contained report.
func HTML(w io.Writer, s *result.Summary) error {
	pg := build(s)
	for i := range pg.Figures {
		pg.Figures[i].SVG = svgOf(pg.Figures[i].plot)
	}
	return pageTmpl.Execute(w, pg)
}

// build lays out the report's content and plots.
func build(s *result.Summary) page {
	pg := page{Title: "qtro loadgen: " + s.Name, Headline: Headline(s), Pass: s.Pass, Notes: s.Notes}
	for _, t := range s.Thresholds {
		v := "pass"
		if !t.Pass {
			v = "FAIL"
		}
		actual := threshold.Format(t.Metric, t.Actual)
		if t.Missing {
			actual = "not measured"
		}
		pg.Thresholds = append(pg.Thresholds, row{t.Expr, v + " — " + actual})
	}
	pg.HasThresh = len(pg.Thresholds) > 0
	d := s.Delivery
	pg.Key = []row{
		{"sent", fmt.Sprintf("%d (%s/s), planned %d, dropped %d", s.Sent.Updates, num(s.Throughput.SentPerS), s.Sent.Planned, s.Sent.Dropped)},
		{"delivered", fmt.Sprintf("%d (%s/s)", d.Delivered, num(s.Throughput.DeliveredPerS))},
		{"lost / duplicated / reordered", fmt.Sprintf("%d (holes %d, tail %d) / %d / %d", d.Lost, d.Holes, d.Tail, d.Duplicated, d.Reordered)},
		{"suspect gap / suspects", fmt.Sprintf("%d / %d", d.SuspectGap, d.Suspects)},
		{"latency (" + s.LatencyKind + ")", distLine(s.Latency)},
		{"sustainable throughput", SustainableLine(s)},
		{"replica init", distLine(s.Init)},
		{"sender lag", distLine(s.Lag)},
		{"replicas", fmt.Sprintf("%d streams, %d never Valid, %d inits", d.Replicas, d.Invalid, d.Inits)},
		{"host memory", fmt.Sprintf("max RSS %s (%s)", mib(s.Host.RSSMax), s.Host.Scope)},
		{"cpu", fmt.Sprintf("%.2f cores during load, %.2f by other processes", s.CPU.Cores, s.CPU.Others)},
		{"errors", fmt.Sprintf("%d %s", s.Errors.Count, strings.Join(s.Errors.Samples, "; "))},
	}
	if s.Reinit.Count > 0 {
		pg.Key = append(pg.Key, row{"re-init after Suspect", distLine(s.Reinit)})
	}
	for _, e := range s.Events {
		pg.Events = append(pg.Events, row{fmt.Sprintf("t = %+.3f s", e.T), e.What})
	}
	if s.Capacity != nil {
		pg.Key = append(pg.Key, row{"capacity", CapacityLine(s.Capacity)})
	}
	if s.Reference != nil {
		pg.Key = append(pg.Key, row{"physical limit", ReferenceLine(s)})
	}

	// Throughput over time.
	var sent, deliv, valid, inits, hostRSS, procRSS, cpu, p50, p99, pmax plotter.XYs
	for _, p := range s.Series {
		x := float64(p.T) + 1 // the interval ends at T+1
		sent = append(sent, plotter.XY{X: x, Y: float64(p.Sent)})
		deliv = append(deliv, plotter.XY{X: x, Y: float64(p.Delivered)})
		valid = append(valid, plotter.XY{X: x, Y: float64(p.Valid)})
		inits = append(inits, plotter.XY{X: x, Y: float64(p.Inits)})
		hostRSS = append(hostRSS, plotter.XY{X: x, Y: float64(p.HostRSS) / (1 << 20)})
		procRSS = append(procRSS, plotter.XY{X: x, Y: float64(p.ProcRSS) / (1 << 20)})
		cpu = append(cpu, plotter.XY{X: x, Y: p.CPU})
		if p.Max > 0 {
			p50 = append(p50, plotter.XY{X: x, Y: float64(p.P50) / 1e6})
			p99 = append(p99, plotter.XY{X: x, Y: float64(p.P99) / 1e6})
			pmax = append(pmax, plotter.XY{X: x, Y: float64(p.Max) / 1e6})
		}
	}
	add := func(title string, p *plot.Plot, note string) {
		if p != nil {
			pg.Figures = append(pg.Figures, figure{Title: title, Note: note, plot: p})
		}
	}
	if s.Workload != "none" {
		add("Throughput over time", timePlot("Throughput", "per second", []series{{"sent", sent}, {"delivered (all replicas)", deliv}}),
			"Per-second counts; negative seconds are the connect phase.")
		spec := []series{{s.Target + " (" + s.LatencyKind + ")", spectrum(decodeOr(s.Latency))}}
		if s.Capacity != nil {
			spec = append(spec, series{s.Capacity.Target + " closed model", spectrum(decodeOr(s.Capacity.Latency))})
		}
		if s.Reference != nil {
			spec = append(spec, series{"raw reference, closed model", spectrum(decodeOr(s.Reference.Latency))})
		}
		add("Latency percentile spectrum", spectrumPlot("Latency by percentile", spec),
			"Measured from each update's intended send time (open model), so a stalled sender shows up as latency.")
		add("Latency over time", timePlot("Latency per second", "ms", []series{{"p50", p50}, {"p99", p99}, {"max", pmax}}), "")
	}
	if s.Init.Count > 0 {
		add("Replica init time distribution", spectrumPlot("Init time (connect → Valid) by percentile", []series{{"init", spectrum(decodeOr(s.Init))}}),
			fmt.Sprintf("%d replica inits: %s", s.Init.Count, distLine(s.Init)))
		note := ""
		if len(s.Events) > 0 {
			var parts []string
			for _, e := range s.Events {
				parts = append(parts, fmt.Sprintf("t=%.1fs %s", e.T, e.What))
			}
			note = "Events: " + strings.Join(parts, "; ") + "."
		}
		add("Replicas Valid over time", timePlot("Replicas", "count", []series{{"Valid", valid}, {"inits per second", inits}}), note)
		if s.Reinit.Count > 0 {
			add("Re-init time after Suspect", spectrumPlot("Suspect → Valid again, by percentile", []series{{"re-init", spectrum(decodeOr(s.Reinit))}}),
				fmt.Sprintf("%d re-inits: %s", s.Reinit.Count, distLine(s.Reinit)))
		}
	}
	add("Host memory over time", timePlot("Memory", "MiB", []series{{"host RSS", hostRSS}, {"this process RSS", procRSS}}), s.Host.Scope)
	add("CPU over time", timePlot("CPU", "cores", []series{{"this process", cpu}}), "")

	e := s.Env
	pg.Env = []row{
		{"host", e.Hostname}, {"kernel", e.Kernel}, {"cpu", fmt.Sprintf("%s × %d (GOMAXPROCS %d)", e.CPUModel, e.CPUs, e.GOMAXPROCS)},
		{"memory", mib(e.MemTotal)}, {"go", e.GoVersion}, {"git", e.Git}, {"fd limit", fmt.Sprint(e.FDLimit)}, {"load average", e.LoadAvg},
		{"command", strings.Join(e.Args, " ")}, {"started", e.Started},
	}
	if b, err := json.MarshalIndent(s.Scenario, "", "  "); err == nil {
		pg.Scenario = string(b)
	}
	if h := decodeOr(s.Latency); h != nil && h.TotalCount() > 0 {
		for _, q := range []float64{50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100} {
			pg.Percentile = append(pg.Percentile, row{fmt.Sprintf("%g%%", q), dur(h.ValueAtQuantile(q))})
		}
	}
	return pg
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td:first-child{color:#555;white-space:nowrap}.pass{color:#080;font-weight:bold}.fail{color:#c00;font-weight:bold}
svg{max-width:100%;height:auto}pre{background:#f6f6f6;padding:1em;overflow:auto}.note{color:#555;font-size:.9em}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Headline}}</p>
{{if .HasThresh}}<p class="{{if .Pass}}pass{{else}}fail{{end}}">Thresholds: {{if .Pass}}all passed{{else}}FAILED{{end}}</p>
<table>{{range .Thresholds}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
<h2>Key numbers</h2>
<table>{{range .Key}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>
{{if .Events}}<h2>Events (chaos)</h2><table>{{range .Events}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{range .Figures}}<h2>{{.Title}}</h2>{{.SVG}}{{if .Note}}<p class="note">{{.Note}}</p>{{end}}{{end}}
{{if .Percentile}}<h2>Latency percentiles</h2><table>{{range .Percentile}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>{{end}}
<h2>Environment</h2>
<table>{{range .Env}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>{{end}}</table>
<h2>Scenario</h2><pre>{{.Scenario}}</pre>
<p class="note">Generated by qtro loadgen. Histograms (HdrHistogram V2, lossless) are in the JSON summary next to this file.</p>
</body></html>
`))
