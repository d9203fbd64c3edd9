package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// cellText renders a cell's headline for a row.
func cellText(r Row, c *Cell) string {
	if c == nil {
		return "—"
	}
	if c.Error != "" {
		return "error: " + firstLine(c.Error, 120)
	}
	if c.Outcome == NotApplicable {
		return "n/a"
	}
	switch r.Workload.Kind {
	case KindLatency:
		return fmt.Sprintf("p50 %s, p99 %s", dur(c.P50), dur(c.P99))
	case KindReplicas, KindLoadgenStorm, KindEpollStorm:
		s := fmt.Sprintf("%s (%d/%d Valid)", dur(c.Elapsed), c.Received, c.Count)
		if r.Workload.Kind != KindReplicas || c.Target == "raw" {
			s += fmt.Sprintf(", each p50 %s max %s", dur(c.P50), dur(c.Max))
		}
		if c.Outcome != "" && c.Outcome != "complete" {
			s += " " + c.Outcome
		}
		return s
	case KindCalls:
		return fmt.Sprintf("%s/s, RTT p50 %s, p99 %s", si(c.Value), dur(c.P50), dur(c.P99))
	case KindModelFirst:
		return fmt.Sprintf("p50 %s, p99 %s (%d/%d replicas%s)", dur(c.P50), dur(c.P99), c.Received, c.Count, badText(c))
	case KindModelInsert:
		return fmt.Sprintf("%s (%d/%d replicas complete, each p50 %s%s)", dur(c.Elapsed), c.Received, c.Count, dur(c.P50), badText(c))
	case KindModelChanges:
		return fmt.Sprintf("%s/s (there p50 %s, p99 %s%s)", si(c.Value), dur(c.P50), dur(c.P99), badText(c))
	case KindModelHostile:
		return c.Outcome
	}
	s := si(c.Value) + "/s"
	if c.Missing > 0 || c.Dup > 0 || c.Reorder > 0 {
		s += fmt.Sprintf(" (lost %d, dup %d, reord %d)", c.Missing, c.Dup, c.Reorder)
	}
	return s
}

// badText lists what a model row's content checks found (empty: nothing).
func badText(c *Cell) string {
	if c.Missing == 0 && c.Dup == 0 && c.Errors == 0 && (c.Outcome == "" || c.Outcome == "complete") {
		return ""
	}
	return fmt.Sprintf("; lost %d, dup %d, wrong %d, %s", c.Missing, c.Dup, c.Errors, c.Outcome)
}

func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func dur(ns int64) string {
	d := time.Duration(ns)
	switch {
	case ns == 0:
		return "—"
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%d ns", ns)
	}
}

// Markdown writes the report as a Markdown table with the goals, the
// machine's load and the per-cell details.
func Markdown(w io.Writer, r *Report) {
	names := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		names[i] = t.Name
	}
	fmt.Fprintf(w, "# qtro loadgen comparison: %s\n\n", strings.Join(names, " vs "))
	e := r.Env
	fmt.Fprintf(w, "Run %s on %s × %d (GOMAXPROCS %d), kernel %s, %s, git %s. Load average before %s, after %s; "+
		"other processes used up to %.2f cores during a measurement.\n\n",
		r.Started, e.CPUModel, e.CPUs, e.GOMAXPROCS, e.Kernel, e.GoVersion, e.Git, r.LoadBefore, r.LoadAfter, r.OthersMax)
	fmt.Fprintf(w, "Every implementation runs as a host process and a node process of its own behind the adapter contract "+
		"(specs/ADAPTER.md §9 load modes) over loopback TCP; each measured run lasts about %s after a calibration run. "+
		"`raw` is loadgen's framed-socket reference (same frames, no QtRO): the physical limit. "+
		"Item-model rows (model-…) run on a model host process and a model replica process of each implementation "+
		"(loadgen/modelload: `qtro loadgen model-peer`, fixtures/qtapps' `qtro-qtapp`), started for the row.\n\n", r.Duration)
	// The table.
	var ratioKeys []string
	seen := map[string]bool{}
	for _, row := range r.Rows {
		for _, k := range row.SortedRatios() {
			if !strings.HasSuffix(k, "/raw") && !strings.HasPrefix(k, "cpu ") && !strings.Contains(k, " ") && !seen[k] {
				seen[k] = true
				ratioKeys = append(ratioKeys, k)
			}
		}
	}
	hdr := append(append([]string{"workload"}, names...), "raw")
	hdr = append(hdr, ratioKeys...)
	if len(names) > 0 {
		hdr = append(hdr, names[0]+"/raw")
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(hdr, " | "), strings.Repeat("---|", len(hdr)))
	for _, row := range r.Rows {
		cells := []string{row.Workload.Title}
		for _, n := range names {
			var c *Cell
			for _, x := range row.Cells {
				if x.Target == n {
					c = x
				}
			}
			cells = append(cells, cellText(row, c))
		}
		if row.Reference != nil {
			cells = append(cells, cellText(row, row.Reference))
		} else {
			cells = append(cells, "—")
		}
		for _, k := range ratioKeys {
			if v, ok := row.Ratios[k]; ok && v > 0 {
				cells = append(cells, fmt.Sprintf("**%.2f×**", v))
			} else {
				cells = append(cells, "—")
			}
		}
		if len(names) > 0 {
			if v, ok := row.Ratios[names[0]+"/raw"]; ok {
				cells = append(cells, fmt.Sprintf("%.0f %%", v*100))
			} else {
				cells = append(cells, "—")
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(w, "\nRatios `a/b`: how many times better `a` did than `b` (throughput: a÷b; latency and init time: b÷a). "+
		"`%s/raw`: its fraction of the physical limit.\n\n", first(names))
	// CPU per operation: steadier than rates on a shared machine.
	fmt.Fprintf(w, "CPU per operation (host + node process, user + system, from /proc; loadgen rows: host + loadgen's receiver), steadier than rates on a shared machine:\n\n")
	chdr := append([]string{"workload"}, names...)
	for _, k := range ratioKeys {
		chdr = append(chdr, "cpu "+k)
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(chdr, " | "), strings.Repeat("---|", len(chdr)))
	for _, row := range r.Rows {
		cells := []string{row.Workload.Title}
		for _, n := range names {
			v := "—"
			for _, x := range row.Cells {
				if x.Target == n && x.Error == "" && x.CPUPerOp > 0 {
					v = dur(int64(x.CPUPerOp))
				}
			}
			cells = append(cells, v)
		}
		for _, k := range ratioKeys {
			if v, ok := row.Ratios["cpu "+k]; ok && v > 0 {
				cells = append(cells, fmt.Sprintf("%.2f×", v))
			} else {
				cells = append(cells, "—")
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	transportMarkdown(w, r, names)
	if len(r.Goals) > 0 {
		fmt.Fprintf(w, "## Targets of the issue\n\n| goal | met | actual |\n|---|---|---|\n")
		for _, g := range r.Goals {
			met := "**no**"
			if g.Met {
				met = "yes"
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", g.Goal, met, g.Actual)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "## Details per cell\n\n| workload | target | value | CPU/op (host+node) | host queue/s | others (cores) | load avg | notes |\n|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		all := append([]*Cell(nil), row.Cells...)
		if row.Reference != nil {
			all = append(all, row.Reference)
		}
		for _, c := range all {
			note := c.Note
			if c.Error != "" {
				note = firstLine(c.Error, 200)
			}
			cpu := "—"
			if c.CPUPerOp > 0 {
				cpu = dur(int64(c.CPUPerOp))
			}
			hq := "—"
			if c.HostPerS > 0 {
				hq = si(c.HostPerS)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.2f | %s | %s |\n", row.Workload.Name, c.Target, cellText(row, c), cpu, hq, c.Others, c.LoadAvg,
				strings.ReplaceAll(note, "|", "/"))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// Write writes the report as JSON to path (and Markdown next to it when
// md is not empty).
func Write(r *Report, jsonPath, mdPath string) error {
	if jsonPath != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if mdPath != "" {
		f, err := os.Create(mdPath)
		if err != nil {
			return err
		}
		Markdown(f, r)
		return f.Close()
	}
	return nil
}

// Read reads a JSON report.
func Read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.Format != Format {
		return nil, fmt.Errorf("compare: %s: format %q, want %q", path, r.Format, Format)
	}
	return &r, nil
}

// transportMarkdown writes the cost of each row's transport against its
// plain tcp:// row, per target (nothing when no row has a transport).
func transportMarkdown(w io.Writer, r *Report, names []string) {
	var rows []Row
	for _, row := range r.Rows {
		if row.Workload.Transport != "" && row.Workload.Plain != "" && r.row(row.Workload.Plain) != nil {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "## The cost of encryption and WebSocket framing\n\n"+
		"Each row over tls+tcp, ws or wss against its tcp:// row, same target, same run (`T tls/tcp`: the value over the transport ÷ over tcp: "+
		"throughput kept, or latency or storm time multiplied; CPU per operation of host + node processes, and the extra CPU per operation):\n\n"+
		"| workload | target | over tcp | over the transport | ratio | CPU/op tcp | CPU/op transport | extra CPU/op |\n|---|---|---|---|---|---|---|---|\n")
	for _, row := range rows {
		plain := r.row(row.Workload.Plain)
		key := row.Workload.Transport + "/tcp"
		for _, n := range names {
			var c, p *Cell
			for _, x := range row.Cells {
				if x.Target == n {
					c = x
				}
			}
			for _, x := range plain.Cells {
				if x.Target == n {
					p = x
				}
			}
			if c == nil {
				continue
			}
			ratio, cpuP, cpuC, extra := "—", "—", "—", "—"
			if v, ok := row.Ratios[n+" "+key]; ok && v > 0 {
				ratio = fmt.Sprintf("**%.2f×**", v)
			}
			if p != nil && p.Error == "" && p.CPUPerOp > 0 {
				cpuP = dur(int64(p.CPUPerOp))
			}
			if c.Error == "" && c.CPUPerOp > 0 {
				cpuC = dur(int64(c.CPUPerOp))
			}
			if _, ok := row.Ratios["cpu "+n+" "+key]; ok {
				extra = fmt.Sprintf("%+.1f µs", c.CPUExtraNs/1e3)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", row.Workload.Name, n, cellText(*plain, p), cellText(row, c), ratio, cpuP, cpuC, extra)
		}
	}
	fmt.Fprintln(w)
}
