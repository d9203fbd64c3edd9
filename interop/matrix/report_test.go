package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCells(t *testing.T) {
	cells := Cells()
	if want := len(Scenarios) * len(Dialects) * len(Transports) * len(Directions); len(cells) != want {
		t.Fatalf("%d cells, want %d", len(cells), want)
	}
	seen := map[string]bool{}
	for _, c := range cells {
		if seen[c.ID()] {
			t.Errorf("duplicate cell %s", c.ID())
		}
		seen[c.ID()] = true
		for _, l := range c.Labels() {
			if strings.ContainsAny(l, "&|!,()/ ") {
				t.Errorf("%s: label %q is not a valid Ginkgo label", c.ID(), l)
			}
		}
	}
	c := Cell{Scenario: Scenarios[2], Direction: Directions[0], Dialect: Dialects[1], Transport: Transports[0]}
	if got, want := c.ID(), "registry-go-qt-qt6-tcp"; got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	if got := c.Title(); !strings.Contains(got, "Go (qt6) host") || !strings.Contains(got, "through a Qt 6 registry") {
		t.Errorf("Title = %q", got)
	}
}

func TestHandshake(t *testing.T) {
	// QTRO-PROTOCOL.md §4.1: Qt 6 "QtRO 2.0" little-endian, Qt 5 "QtRO 1.3" big-endian.
	qt6 := Dialects[1].Handshake()
	if len(qt6) != 26 || qt6[0] != 22 || qt6[4] != 1 || qt6[10] != 'Q' {
		t.Errorf("qt6 handshake % x", qt6)
	}
	qt5 := Dialects[0].Handshake()
	if qt5[3] != 22 || qt5[5] != 1 || qt5[11] != 'Q' {
		t.Errorf("qt5 handshake % x", qt5)
	}
}

func TestSettle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status Status
		checks []Status
		want   Status
	}{
		{"all pass", "", []Status{Pass, Pass}, Pass},
		{"one fail", "", []Status{Pass, Fail, NotReached}, Fail},
		{"no capture", "", []Status{Pass, Skipped}, PassPartial},
		{"nothing ran", "", nil, Fail},
		{"unsupported stays", Unsupported, nil, Unsupported},
	} {
		r := &Result{Status: tc.status}
		for i, s := range tc.checks {
			r.add(Check{Name: string(rune('a' + i)), Status: s, Detail: "d"})
		}
		r.settle()
		if r.Status != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, r.Status, tc.want)
		}
		if tc.want != Pass && r.Reason == "" && tc.status != Unsupported {
			t.Errorf("%s: no reason", tc.name)
		}
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	cells := Cells()
	pass, fail, unsup := cells[0], cells[1], cells[8] // static qt5: tcp go-qt, tcp qt-go, localabstract go-qt
	if unsup.Transport != "localabstract" || unsup.Dialect.ID != "qt5" {
		t.Fatalf("cell order changed: %s", unsup.ID())
	}
	mk := func(c Cell, s Status, reason string, files ...string) *Result {
		return &Result{Cell: c.ID(), Title: c.Title(), Dir: c.ID(), Status: s, Reason: reason, Files: files, DurationMs: 1234,
			Checks: []Check{{Name: "init", Status: map[Status]Status{Unsupported: NotReached}[s]}}}
	}
	results := []*Result{
		mk(pass, Pass, "", "host.log", "node.log", "tcp.pcap", TranscriptFile, "case.txt"),
		mk(fail, Fail, "signal: multi args = [5] | want more", "host.log", "node.log", "tcp.pcap"),
		mk(unsup, Unsupported, "node (qt5 node): unsupported (exit 127): localabstract"),
	}
	results[0].Checks[0].Status = Pass
	results[1].Checks[0] = Check{Name: "signal", Status: Fail, Detail: "multi args = [5] | want more"}
	info := RunInfo{Mode: "interop: RUNNING PEERS NATIVELY, NOT IN CONTAINERS (test)", Started: time.Unix(0, 0), Duration: time.Minute, Workers: 3}
	if err := WriteReport(dir, info, results); err != nil {
		t.Fatal(err)
	}
	md := read(t, filepath.Join(dir, ReportMarkdown))
	lines := strings.Split(md, "\n")
	var row string
	for _, l := range lines {
		if strings.HasPrefix(l, "| "+Scenarios[0].Title+" |") {
			row = l
		}
	}
	cols := strings.Split(row, " | ")
	if len(cols) < 10 {
		t.Fatalf("static row: %q", row)
	}
	// Column 1 is the scenario; then columns in report order.
	for i, want := range map[int]string{1: "✅ **pass**", 2: "❌ **fail**", 9: "⛔ **unsupported**", 3: "·"} {
		if !strings.HasPrefix(strings.TrimSpace(cols[i]), want) {
			t.Errorf("column %d = %q, want prefix %q", i, cols[i], want)
		}
	}
	for _, want := range []string{
		"[pcap](static-go-qt-qt5-tcp/tcp.pcap)", "[wire](static-go-qt-qt5-tcp/wire.txt)", "[host](static-go-qt-qt5-tcp/host.log)",
		fmt.Sprintf("1 pass, 0 pass with a check that could not run, 1 fail, 1 unsupported, %d not run", len(Cells())-3), "NOT IN CONTAINERS",
		"### static-qt-go-qt5-tcp", `multi args = [5] \| want more`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix.md lacks %q", want)
		}
	}
	h := read(t, filepath.Join(dir, ReportHTML))
	for _, want := range []string{`<td class="unsupported"`, `<td class="fail"`, `<td class="pass"`, `href="static-go-qt-qt5-tcp/tcp.pcap"`, "NOT IN CONTAINERS"} {
		if !strings.Contains(h, want) {
			t.Errorf("matrix.html lacks %q", want)
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "http://") || strings.Contains(h, "https://") {
		t.Error("matrix.html is not self-contained")
	}
	var back struct {
		Results []*Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, ReportJSON))), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 3 || back.Results[2].Status != Unsupported {
		t.Errorf("matrix.json results: %+v", back.Results)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPool(t *testing.T) {
	cells := Cells()[:7]
	var running, peak atomic.Int32
	release := make(chan struct{})
	p := NewPool(context.Background(), cells, 3, func(ctx context.Context, c Cell) *Result {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return &Result{Cell: c.ID(), Status: Pass}
	})
	if p.Has("nope") || !p.Has(cells[6].ID()) {
		t.Error("Has")
	}
	for deadline := time.Now().Add(10 * time.Second); running.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, err := p.Result(ctx, cells[0].ID()); err == nil {
		t.Error("Result returned before the cell finished")
	}
	cancel()
	close(release)
	for _, c := range cells {
		r, err := p.Result(context.Background(), c.ID())
		if err != nil || r.Cell != c.ID() {
			t.Errorf("%s: %v %v", c.ID(), r, err)
		}
	}
	p.Close()
	if peak.Load() != 3 {
		t.Errorf("peak concurrency %d, want 3", peak.Load())
	}
}
