package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qtro/qtro/specs/conformance"
)

type fakeT struct{ failed bool }

func (t *fakeT) Fail() { t.failed = true }

func newConformanceCmd() *cobra.Command {
	var (
		targets, labelFilter, out, format string
		expectFile                        string
		strict, list, verbose, destroy    bool
		caseTimeout                       time.Duration
		with, objects, reps               []string
	)
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Run the QtRO conformance suite against one or more targets",
		Long: `Runs the numbered requirements of specs/REQUIREMENTS.md against targets:
  go        the Go reference node, both dialects (go5 and go6 alone)
  qt5, qt6  the real Qt peers (built from fixtures/peer when missing)
  adapter:CMD  any program speaking the adapter contract (specs/ADAPTER.md)
  image:IMG    a container image whose entrypoint is such a program
  url:URL      a host reachable at URL (host requirements only; add @qt5/@qt6 to skip detection)
A target that cannot host the suite's test object (an url: target, an adapter whose hello
declares other types) is checked on whatever sources it remotes: requirements that need the
test object are reported "not applicable", never passed or failed. --object restricts those
checks to some sources; --rep gives their .rep files (INIT-3 and INIT-8 compare against them).
Reports (results.json, junit.xml, report.html, pcaps) go to --out. The exit code is
non-zero iff a MUST (with --strict: a SHOULD) failed for some target. With --expect-failures
FILE (lines "TARGET-GLOBS REQUIREMENT REASON", e.g. ci/expected-failures.txt) failures the file
lists are reported as "expected failure (REASON)" and do not change the exit code; the verdict
stays "NOT conformant", and a listed requirement that passes is reported so the entry is removed.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				if format == "md" {
					fmt.Print(conformance.Markdown())
					return nil
				}
				for _, r := range conformance.Catalogue {
					fmt.Printf("%-8s %-13s %s\n", r.ID, r.Level, r.Text)
				}
				return nil
			}
			ts, err := conformance.ParseTargets(targets)
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join("out", "conformance")
			}
			o := runOptions{strict: strict, labels: labelFilter, timeout: caseTimeout, verbose: verbose, objects: objects, reps: reps, expectFile: expectFile, destructive: destroy}
			if expectFile != "" {
				if o.expect, err = conformance.ReadExpectations(expectFile); err != nil {
					return err
				}
			}
			if len(ts) == 1 && len(with) == 0 {
				return runOneTarget(ts[0], out, o)
			}
			var prior []conformance.TargetResults
			for _, f := range with {
				r, err := conformance.ReadResults(f)
				if err != nil {
					return fmt.Errorf("--with %s: %w", f, err)
				}
				for i := range r {
					r[i].ApplyExpectations(o.expect)
				}
				prior = append(prior, r...)
			}
			return runTargets(ts, prior, out, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&targets, "target", "go", "comma-separated targets: go, go5, go6, qt5, qt6, qt@QT (qt@6.8, qt@6.11, qt@trixie, qt@newest: ci/qt-versions.tsv), adapter:CMD, image:IMG, url:URL")
	f.BoolVar(&strict, "strict", false, "fail on SHOULD requirements too")
	f.StringVar(&labelFilter, "label-filter", "", "Ginkgo label filter, e.g. 'HS-1 || area:REG'")
	f.StringVar(&out, "out", "", "report directory (default out/conformance)")
	f.BoolVar(&list, "list", false, "print the requirement catalogue and exit")
	f.StringVar(&format, "format", "text", "catalogue format with --list: text or md")
	f.BoolVarP(&verbose, "verbose", "v", false, "print every case as it runs")
	f.DurationVar(&caseTimeout, "case-timeout", 60*time.Second, "time limit of one case")
	f.StringArrayVar(&with, "with", nil, "results.json of an earlier run to include in the matrix report (repeatable)")
	f.StringSliceVar(&objects, "object", nil, "check only these sources of a host the suite does not know (comma-separated or repeated)")
	f.StringArrayVar(&reps, "rep", nil, ".rep file describing the target's sources (repeatable)")
	f.StringVar(&expectFile, "expect-failures", "", "file of known failures (TARGET-GLOBS REQUIREMENT REASON per line) that do not fail the run")
	f.BoolVar(&destroy, "destructive", false, "also send an url: host the inputs known to crash real hosts (HI-7..HI-10); without it they are not tested there")
	return cmd
}

// runOptions are the flags every target's run shares.
type runOptions struct {
	strict, verbose bool
	destructive     bool // Config.Destructive
	labels          string
	timeout         time.Duration
	objects, reps   []string
	// expectFile lists known failures; expect is its contents.
	expectFile string
	expect     []conformance.Expectation
}

func runOneTarget(t *conformance.Target, out string, o runOptions) error {
	ft := &fakeT{}
	ok := conformance.Run(ft, conformance.Config{Target: t, Strict: o.strict, Out: out, LabelFilter: o.labels,
		CaseTimeout: o.timeout, Verbose: o.verbose, Objects: o.objects, Reps: o.reps, Destructive: o.destructive})
	fmt.Fprintf(os.Stderr, "conformance: %s: reports in %s\n", t.Name, out)
	runs, err := conformance.ReadResults(filepath.Join(out, "results.json"))
	if err == nil {
		for i := range runs {
			if o.expectFile != "" {
				runs[i].ApplyExpectations(o.expect)
			}
			printSummary(runs[i])
		}
	}
	if o.expectFile != "" {
		if err != nil {
			return fmt.Errorf("%s: no results: %w", t.Name, err)
		}
		if err := conformance.WriteReports(out, runs); err != nil {
			return err
		}
		var unexpected []string
		for _, r := range runs {
			unexpected = append(unexpected, r.UnexpectedFailures()...)
		}
		if len(unexpected) > 0 {
			return fmt.Errorf("%s is not conformant: unexpected failures %s", t.Name, strings.Join(unexpected, ", "))
		}
		return nil
	}
	if !ok || ft.failed {
		return fmt.Errorf("%s is not conformant", t.Name)
	}
	return nil
}

// runTargets runs each target in its own process (Ginkgo runs one suite
// per process) and merges their results into one matrix report.
func runTargets(ts []*conformance.Target, prior []conformance.TargetResults, out string, o runOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	runs := prior
	var failed []string
	for _, r := range prior {
		if o.expectFile != "" && len(r.UnexpectedFailures()) > 0 || o.expectFile == "" && !r.Passed {
			failed = append(failed, r.Target)
		}
	}
	for _, t := range ts {
		dir := filepath.Join(out, strings.NewReplacer("/", "-", ":", "_").Replace(t.Name))
		args := []string{"conformance", "--target", targetSpec(t), "--out", dir, "--case-timeout", o.timeout.String()}
		if o.strict {
			args = append(args, "--strict")
		}
		if o.labels != "" {
			args = append(args, "--label-filter", o.labels)
		}
		if o.verbose {
			args = append(args, "-v")
		}
		for _, x := range o.objects {
			args = append(args, "--object", x)
		}
		for _, x := range o.reps {
			args = append(args, "--rep", x)
		}
		if o.expectFile != "" {
			args = append(args, "--expect-failures", o.expectFile)
		}
		if o.destructive {
			args = append(args, "--destructive")
		}
		c := exec.Command(exe, args...)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		runErr := c.Run()
		var ee *exec.ExitError
		if runErr != nil && !errors.As(runErr, &ee) {
			return runErr
		}
		res, err := conformance.ReadResults(filepath.Join(dir, "results.json"))
		if err != nil {
			failed = append(failed, t.Name+" (no results: "+err.Error()+")")
			continue
		}
		runs = append(runs, res...)
		if runErr != nil {
			failed = append(failed, t.Name)
		}
	}
	if err := conformance.WriteReports(out, runs); err != nil {
		return err
	}
	for _, r := range runs {
		printSummary(r)
	}
	fmt.Fprintf(os.Stderr, "conformance: matrix report %s\n", filepath.Join(out, "report.html"))
	if len(failed) > 0 {
		return fmt.Errorf("not conformant: %s", strings.Join(failed, ", "))
	}
	return nil
}

// printSummary prints a target's verdict line, its outcome counts, and
// its expected failures and the expected failures that now pass.
func printSummary(r conformance.TargetResults) {
	var counts []string
	for _, o := range []string{conformance.OutcomePass, conformance.OutcomeFail, conformance.OutcomeNonStrict,
		conformance.OutcomeInformational, conformance.OutcomeUnsupported, conformance.OutcomeNotApplicable, conformance.OutcomeNotTested} {
		counts = append(counts, o+" "+strconv.Itoa(r.Counts[o]))
	}
	fmt.Printf("%-14s %s\n%-14s %s\n", r.Target, r.Summary(), "", strings.Join(counts, " · "))
	for _, c := range r.Results {
		switch {
		case c.ExpectedFailure():
			fmt.Printf("%-14s %s: expected failure (%s)\n", "", c.ID, c.Expected)
		case c.UnexpectedPass():
			fmt.Printf("%-14s %s: PASSES but is listed as an expected failure (%s): remove the entry\n", "", c.ID, c.Expected)
		}
	}
}

// targetSpec turns a parsed target back into its --target spelling.
func targetSpec(t *conformance.Target) string {
	switch {
	case t.Name == "go/qt5":
		return "go5"
	case t.Name == "go/qt6":
		return "go6"
	}
	return t.Name
}
