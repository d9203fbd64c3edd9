package conformance

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// The shared test objects, embedded so a third party's run needs no checkout.
var (
	//go:embed testdata/testobject.rep
	testObjectRep []byte
	//go:embed testdata/tick.rep
	tickRep []byte
)

// Config configures one run of the suite against one target.
type Config struct {
	Target *Target
	// Strict turns failed SHOULDs into failures.
	Strict bool
	// Out is the directory for reports and pcaps ("" writes none).
	Out string
	// LabelFilter selects cases (Ginkgo label syntax: "HS-1", "area:REG",
	// "level:MUST && !role:replica").
	LabelFilter string
	// CaseTimeout bounds each case (default 60 s).
	CaseTimeout time.Duration
	// Verbose prints Ginkgo's progress.
	Verbose bool
	// Objects restricts the object-agnostic host cases to these sources
	// (empty: every source the host lists).
	Objects []string
	// Reps are .rep files describing the target's sources; INIT-3 and
	// INIT-8 compare a source whose type name matches a class in them.
	Reps []string
	// Destructive runs the requirements whose input is known to crash
	// real hosts (HI-7..HI-10, the inputs `qtro fuzz` found) against a
	// host the suite did not start (url: targets). Without it they are
	// "not tested" there: a crashed host cannot be restarted, and every
	// later verdict would be about a dead host. Hosts the suite starts
	// (adapters, images) get a fresh host per case and always run them.
	Destructive bool
}

var suite Config

func (c Config) caseTimeout() time.Duration {
	if c.CaseTimeout > 0 {
		return c.CaseTimeout
	}
	return 60 * time.Second
}

// ErrNoTarget is reported (and Run fails) when Config.Target is nil.
var ErrNoTarget = errors.New("conformance: no target (Config.Target is nil)")

// TestingT is what Run needs from *testing.T (Ginkgo's GinkgoTestingT).
type TestingT interface{ Fail() }

// Run runs the conformance suite against cfg.Target, like nettest.TestConn:
// call it from your own `go test` with a target describing your adapter.
// It returns false if a MUST (or, with Strict, a SHOULD) failed. It can run
// once per process (a Ginkgo limitation): test several targets with
// several processes, as `qtro conformance` does.
func Run(t TestingT, cfg Config) bool {
	suite = cfg
	// Build the target (the Qt peer, the qtro binary) before any case runs,
	// so no case's timeout includes a compilation.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if cfg.Target == nil {
		fmt.Fprintln(os.Stderr, "conformance:", ErrNoTarget)
		t.Fail()
		return false
	}
	if err := cfg.Target.resolve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		t.Fail()
		return false
	}
	fmt.Fprintf(os.Stderr, "conformance: %s: %s\n", cfg.Target.Name, cfg.Target.Caps.Describe())
	if err := loadReps(cfg.Reps); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		t.Fail()
		return false
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter = cfg.LabelFilter
	rc.Verbose = cfg.Verbose
	rc.NoColor = os.Getenv("NO_COLOR") != ""
	return ginkgo.RunSpecs(t, "QtRO conformance: "+cfg.Target.Name, sc, rc)
}

// ConfigFromEnv reads a Config the way `ginkgo ./specs/...` is configured:
// QTRO_TARGET (default go6), QTRO_STRICT, QTRO_OUT, QTRO_LABEL_FILTER,
// QTRO_CASE_TIMEOUT (seconds), QTRO_OBJECTS and QTRO_REPS (comma-separated).
func ConfigFromEnv() (Config, error) {
	spec := os.Getenv("QTRO_TARGET")
	if spec == "" {
		spec = "go6"
	}
	ts, err := ParseTargets(spec)
	if err != nil {
		return Config{}, err
	}
	if len(ts) != 1 {
		return Config{}, fmt.Errorf("conformance: QTRO_TARGET=%s names %d targets; one process runs one target (use qtro conformance for several)", spec, len(ts))
	}
	c := Config{Target: ts[0], Out: os.Getenv("QTRO_OUT"), LabelFilter: os.Getenv("QTRO_LABEL_FILTER")}
	c.Strict, _ = strconv.ParseBool(os.Getenv("QTRO_STRICT"))
	c.Objects = splitList(os.Getenv("QTRO_OBJECTS"))
	c.Reps = splitList(os.Getenv("QTRO_REPS"))
	if s, err := strconv.Atoi(os.Getenv("QTRO_CASE_TIMEOUT")); err == nil && s > 0 {
		c.CaseTimeout = time.Duration(s) * time.Second
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

var _ = ginkgo.ReportAfterSuite("qtro conformance reports", func(r types.Report) {
	if suite.Out == "" || suite.Target == nil {
		return
	}
	res := Results(r)
	if err := WriteReports(suite.Out, []TargetResults{res}); err != nil {
		fmt.Fprintln(os.Stderr, "conformance: writing reports:", err)
	}
})
