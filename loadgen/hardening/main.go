// Command hardening measures how a QtRO host survives hostile clients, for the
// Go host (qtro adapter host) and the real Qt 6 host (qtro-peer host), on
// loopback only, with bounded connection counts and durations.
//
//	go run ./loadgen/hardening -target go,qt6 -scenarios all
//
// Each scenario starts a fresh host process (specs/ADAPTER.md §2), attacks it,
// probes it with a "fresh client" (dial, Handshake + ObjectList, AddObject,
// wait for the InitPacket; 10 s timeout) and samples its VmRSS. See README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	goBin     = flag.String("go-bin", "build/qtro", "the Go adapter binary (run as BIN adapter host ...)")
	qt6Bin    = flag.String("qt6-bin", "build/peers/qt6/qtro-peer", "the Qt 6 peer binary (run as BIN host ...)")
	targets   = flag.String("target", "go,qt6", "comma-separated targets: go, qt6")
	scenarios = flag.String("scenarios", "all", "comma-separated scenarios or all: "+strings.Join(scenarioNames(), ","))
	outDir    = flag.String("out", "loadgen/hardening", "directory for results-<date>.md (empty: do not write)")
	verbose   = flag.Bool("v", false, "log progress to stderr")
)

// row is one metric line of a scenario table: metric -> value per target.
type table struct {
	name    string
	desc    string
	metrics []string
	values  map[string]map[string]string // metric -> target -> value
}

func (t *table) set(metric, target, value string) {
	if t.values == nil {
		t.values = map[string]map[string]string{}
	}
	if _, ok := t.values[metric]; !ok {
		t.metrics = append(t.metrics, metric)
		t.values[metric] = map[string]string{}
	}
	t.values[metric][target] = value
}

type scenario struct {
	name string
	desc string
	run  func(target string, set func(metric, value string)) error
}

func allScenarios() []scenario {
	return []scenario{
		{"slowloris", "200 connections each send a Qt 6 header announcing a 1 MiB frame (type 6), then 1 byte/s for 40 s.", runSlowloris},
		{"partial", "32 connections each announce a 15 MiB frame, send all of it but the last byte as fast as possible, hold 5 s, then close.", runPartial},
		{"slowconsumer", "20 clients acquire Tick (host --type tick) and never read; the host runs `load payload count=2000 payloadBytes=65536` (128 MiB per client).", runSlowConsumer},
		{"garbage", "20 connections send seeded random bytes (4 KiB every 10 ms each, reconnecting 50 ms after a close) for 20 s.", runGarbage},
		{"fdexhaust", "Host under `prlimit --nofile=256:256`; 400 idle connections opened and held 3 s, then all closed; a fresh client 1 s later.", runFDExhaust},
	}
}

func scenarioNames() []string {
	var n []string
	for _, s := range allScenarios() {
		n = append(n, s.name)
	}
	return n
}

func logf(format string, args ...any) {
	if *verbose {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
	}
}

func targetLabel(t string) string {
	switch t {
	case "go":
		return "Go host"
	case "qt6":
		return "Qt 6 host"
	}
	return t
}

func main() {
	flag.Parse()
	var tg []string
	for _, t := range strings.Split(*targets, ",") {
		t = strings.TrimSpace(t)
		if t != "go" && t != "qt6" {
			fmt.Fprintf(os.Stderr, "unknown target %q\n", t)
			os.Exit(2)
		}
		tg = append(tg, t)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*scenarios, ",") {
		want[strings.TrimSpace(s)] = true
	}
	began := time.Now()
	var tables []*table
	for _, sc := range allScenarios() {
		if !want["all"] && !want[sc.name] {
			continue
		}
		tb := &table{name: sc.name, desc: sc.desc}
		for _, t := range tg {
			logf("== %s / %s", sc.name, t)
			start := time.Now()
			set := func(m, v string) { tb.set(m, t, v) }
			if err := sc.run(t, set); err != nil {
				set("error", err.Error())
				logf("%s / %s: %v", sc.name, t, err)
			}
			logf("   %s / %s took %s", sc.name, t, time.Since(start).Round(time.Millisecond))
		}
		fmt.Println(render(tb, tg))
		tables = append(tables, tb)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# QtRO host hardening results, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "`go run ./loadgen/hardening -target %s -scenarios %s` (total %s). Go host: `%s adapter host`, Qt 6 host: `%s host`; `--url tcp://127.0.0.1:0`.\n\n",
		*targets, *scenarios, time.Since(began).Round(time.Second), *goBin, *qt6Bin)
	for _, tb := range tables {
		b.WriteString(render(tb, tg))
		b.WriteString("\n")
	}
	if *outDir != "" {
		p := filepath.Join(*outDir, "results-"+time.Now().Format("2006-01-02")+".md")
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "wrote %s (total %s)\n", p, time.Since(began).Round(time.Second))
	}
}

func render(tb *table, tg []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n%s\n\n| metric |", tb.name, tb.desc)
	for _, t := range tg {
		fmt.Fprintf(&b, " %s |", targetLabel(t))
	}
	b.WriteString("\n|---|")
	for range tg {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, m := range tb.metrics {
		fmt.Fprintf(&b, "| %s |", m)
		for _, t := range tg {
			v := tb.values[m][t]
			if v == "" {
				v = "–"
			}
			fmt.Fprintf(&b, " %s |", strings.ReplaceAll(v, "|", "/"))
		}
		b.WriteString("\n")
	}
	return b.String()
}
