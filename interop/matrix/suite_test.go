package matrix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/interop/harness"
	"github.com/qtro/qtro/interop/matrix"
)

const suiteName = "interop matrix: Go <-> Qt"

// ParallelEnv sets how many cells run at once (default defaultWorkers).
const ParallelEnv = "QTRO_MATRIX_PARALLEL"

// defaultWorkers: a cell mostly waits (docker run, Qt event loops), so a
// 2-core machine runs a few at once.
const defaultWorkers = 4

// cellEntry names the report entry that carries a cell's *matrix.Result.
const cellEntry = "matrix cell"

var (
	// runner is the suite's harness: containers, or native processes (announced).
	runner *harness.Runner
	// pool runs the planned cells ahead of their specs; nil runs each cell
	// inside its spec (ginkgo -p, or QTRO_MATRIX_PARALLEL=1).
	pool *matrix.Pool
	// planned are the cells the specs that will run report, in run order.
	planned []matrix.Cell
	workers int
	banner  string
	prepare string
	loadAt  string
)

func TestMatrix(t *testing.T) {
	RegisterFailHandler(Fail)
	workers = parallelism()
	if sc, _ := GinkgoConfiguration(); sc.ParallelTotal <= 1 && workers > 1 {
		// Which cells will run (label filter, focus): the pool runs exactly
		// those, several at a time, in the order their specs will ask.
		planned = plannedCells(PreviewSpecs(suiteName))
	}
	RunSpecs(t, suiteName)
	// Ginkgo's interrupt handler and the Docker client's idle keep-alive
	// connections are not ours.
	goleak.VerifyNone(t, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreAnyFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"))
}

func parallelism() int {
	if v := os.Getenv(ParallelEnv); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return defaultWorkers
}

// specText is the spec of a cell; its cell ID comes first.
func specText(c matrix.Cell) string { return c.ID() + ": " + c.Title() }

func cellOf(text string) (matrix.Cell, bool) {
	id, _, _ := strings.Cut(text, ": ")
	for _, c := range append(matrix.Cells(), matrix.NegativeControls()...) {
		if c.ID() == id {
			return c, true
		}
	}
	return matrix.Cell{}, false
}

func plannedCells(r Report) []matrix.Cell {
	var out []matrix.Cell
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.State != types.SpecStatePassed {
			continue // filtered out: a dry run reports the specs that would run as passed
		}
		if c, ok := cellOf(s.LeafNodeText); ok {
			out = append(out, c)
		}
	}
	// Negative controls wait out a whole step timeout: start them first so
	// they do not make the tail of the run.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Negative && !out[j].Negative })
	return out
}

// matrixDir holds a directory per cell and the report.
func matrixDir() string {
	base := os.Getenv("QTRO_INTEROP_OUT")
	if base == "" {
		root, err := checkout.Root()
		if err != nil {
			root = "."
		}
		base = filepath.Join(root, "out", "interop")
	}
	return filepath.Join(base, "matrix")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	loadAt = loadavg()
	// Directories of cells from earlier runs would read as this run's.
	for _, c := range append(matrix.Cells(), matrix.NegativeControls()...) {
		Expect(os.RemoveAll(filepath.Join(matrixDir(), c.ID()))).To(Succeed())
	}
	var err error
	runner, err = harness.NewRunner(ctx, harness.Options{OutDir: matrixDir(), Log: io.MultiWriter(os.Stderr, GinkgoWriter)})
	Expect(err).NotTo(HaveOccurred())
	r := runner
	start := time.Now()
	// Containers: ci/build-images.sh (peers and cmd/qtro first, then the
	// images; cached by content hash). Natively: ci/build-peers.sh and
	// go build ./cmd/qtro.
	flavors := []harness.Flavor{harness.Go}
	for _, d := range matrix.Dialects {
		flavors = append(flavors, d.Qt)
	}
	Expect(r.Prepare(ctx, GinkgoWriter, flavors...)).To(Succeed())
	prepare = fmt.Sprintf("%s in %s", r.Mode(), time.Since(start).Round(time.Millisecond))
	AddReportEntry("prepare", prepare)
	return []byte(prepare)
}, func(ctx SpecContext, data []byte) {
	prepare = string(data)
	if runner == nil { // another ginkgo -p process
		var err error
		runner, err = harness.NewRunner(ctx, harness.Options{OutDir: matrixDir(), Log: GinkgoWriter})
		Expect(err).NotTo(HaveOccurred())
	}
	banner = runner.Banner()
	AddReportEntry("mode", banner)
	if len(planned) > 0 {
		pool = matrix.NewPool(context.Background(), planned, workers, func(ctx context.Context, c matrix.Cell) *matrix.Result {
			return c.Run(ctx, runner)
		})
	}
}, NodeTimeout(20*time.Minute))

var _ = SynchronizedAfterSuite(func() {
	pool.Close()
	if runner != nil {
		Expect(runner.Close()).To(Succeed())
	}
}, func() {
	if runner != nil {
		fmt.Fprintln(os.Stderr, banner+"; report in "+filepath.Join(matrixDir(), matrix.ReportMarkdown))
	}
})

// The report is written once, from every process's spec reports.
var _ = ReportAfterSuite("the interop matrix report", func(r Report) {
	info := matrix.RunInfo{
		Mode: banner, Started: r.StartTime, Duration: r.RunTime, Prepare: prepare, Workers: workers,
		Machine: fmt.Sprintf("%d CPUs, load average %s at the start, %s at the end", runtime.NumCPU(), loadAt, loadavg()),
	}
	if sc := r.SuiteConfig; sc.ParallelTotal > 1 {
		info.Workers = sc.ParallelTotal
		info.Notes = append(info.Notes, fmt.Sprintf("ginkgo -p: %d processes, one cell each at a time", sc.ParallelTotal))
	} else if pool == nil {
		info.Workers = 1
	}
	var filter []string
	if r.SuiteConfig.LabelFilter != "" {
		filter = append(filter, "--label-filter="+r.SuiteConfig.LabelFilter)
	}
	for _, f := range r.SuiteConfig.FocusStrings {
		filter = append(filter, "--focus="+f)
	}
	info.Filter = strings.Join(filter, " ")
	if info.Mode == "" {
		info.Mode = "unknown: the suite setup did not finish"
	}
	for _, reason := range r.SpecialSuiteFailureReasons {
		info.Notes = append(info.Notes, "suite: "+reason)
	}
	var results []*matrix.Result
	for _, s := range r.SpecReports {
		switch s.LeafNodeType {
		case types.NodeTypeIt:
		case types.NodeTypeBeforeSuite, types.NodeTypeSynchronizedBeforeSuite:
			if s.State.Is(types.SpecStateFailureStates) {
				info.Notes = append(info.Notes, "suite setup failed: "+s.Failure.Message)
			}
			continue
		default:
			continue
		}
		c, ok := cellOf(s.LeafNodeText)
		if !ok {
			continue
		}
		res := entryResult(s)
		if res == nil {
			if s.State == types.SpecStateSkipped && s.Failure.Message == "" {
				continue // filtered out
			}
			// The spec ended before the cell reported (interrupted, timed out).
			res = &matrix.Result{Cell: c.ID(), Title: c.Title(), Scenario: c.Scenario.ID, Direction: c.Direction.ID,
				Dialect: c.Dialect.ID, Transport: string(c.Transport), Column: c.Column(), Dir: c.ID(),
				Negative: c.Negative, Status: matrix.Fail, Reason: fmt.Sprintf("spec %s: %s", s.State, s.Failure.Message), DurationMs: s.RunTime.Milliseconds()}
		}
		results = append(results, res)
	}
	Expect(matrix.WriteReport(matrixDir(), info, results)).To(Succeed())
	fmt.Fprintf(os.Stderr, "interop matrix: %s\n", filepath.Join(matrixDir(), matrix.ReportHTML))
})

// entryResult finds the cell's result among a spec's report entries: the
// value itself in this process, its JSON from other processes.
func entryResult(s types.SpecReport) *matrix.Result {
	for _, e := range s.ReportEntries {
		if e.Name != cellEntry {
			continue
		}
		if r, ok := e.Value.GetRawValue().(*matrix.Result); ok {
			return r
		}
		var r matrix.Result
		if err := json.Unmarshal([]byte(e.Value.AsJSON), &r); err == nil && r.Cell != "" {
			return &r
		}
	}
	return nil
}
