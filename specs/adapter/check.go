package adapter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qtro/qtro/internal/proc"
	"github.com/qtro/qtro/specs/contract"
)

// CheckOutcome is the verdict of one item of Check.
type CheckOutcome string

// The outcomes of a check item.
const (
	// CheckPass: the adapter did what the contract asks.
	CheckPass CheckOutcome = "pass"
	// CheckFail: the adapter broke a MUST (or, with CheckConfig.Strict, a SHOULD).
	CheckFail CheckOutcome = "fail"
	// CheckWarn: the adapter broke a SHOULD and the check is not strict.
	CheckWarn CheckOutcome = "warn"
	// CheckUnsupported: the adapter does not do this (exit code 127, or not declared by hello).
	CheckUnsupported CheckOutcome = "unsupported"
	// CheckSkipped: the item could not be tried (e.g. a node check that needs a host of the adapter).
	CheckSkipped CheckOutcome = "skipped"
)

// CheckLevel says how binding a check item is (RFC 2119 words of specs/ADAPTER.md).
type CheckLevel string

// The levels of a check item.
const (
	// CheckMust items fail the check.
	CheckMust CheckLevel = "MUST"
	// CheckShould items only warn, unless CheckConfig.Strict is set.
	CheckShould CheckLevel = "SHOULD"
)

// CheckResult is one named item of a CheckReport, e.g. "host/bad-json".
type CheckResult struct {
	Name    string       `json:"name"`
	Outcome CheckOutcome `json:"outcome"`
	Level   CheckLevel   `json:"level"`
	Message string       `json:"message"`
}

// String renders the item as one report line: "PASS hello: contract 2, ...".
func (r CheckResult) String() string {
	return fmt.Sprintf("%s %s: %s", strings.ToUpper(string(r.Outcome)), r.Name, r.Message)
}

// CheckConfig configures Check.
type CheckConfig struct {
	// Command is the adapter's argv prefix, as Config.Command.
	Command []string
	// Strict turns failed SHOULD items into failures (otherwise they are warnings).
	Strict bool
	// Env adds KEY=VALUE entries to every adapter's environment.
	Env []string
	// TempDir is the adapters' TMPDIR and holds local: sockets; empty: a fresh directory, removed
	// afterwards. Keep it short: Unix socket paths are limited to about 100 bytes.
	TempDir string
	// ReadyTimeout overrides DefaultReadyTimeout for every start.
	ReadyTimeout time.Duration
	// CommandTimeout bounds the wait for each command's result (default 20 s, specs/ADAPTER.md §4).
	CommandTimeout time.Duration
	// Log, when set, receives every adapter's traffic (Config.Log).
	Log io.Writer
	// OnResult, when set, is called with each item as soon as it is decided.
	OnResult func(CheckResult)
}

// CheckReport is what Check found.
type CheckReport struct {
	// Command is the adapter's argv prefix.
	Command []string `json:"command"`
	// Strict is CheckConfig.Strict.
	Strict bool `json:"strict"`
	// Contract is the contract version the adapter speaks (1 without a valid hello).
	Contract int `json:"contract"`
	// Declared says whether the adapter declared capabilities (a valid hello).
	Declared bool `json:"declared"`
	// Adapter is the adapter's name (from hello or ready).
	Adapter string `json:"adapter,omitempty"`
	// Capabilities is the capabilities object of hello, as the adapter wrote it.
	Capabilities map[string]any `json:"capabilities,omitempty"`
	// Results are the items in the order they were decided.
	Results []CheckResult `json:"results"`
	// Counts counts Results by outcome.
	Counts map[CheckOutcome]int `json:"counts"`
	// Started is when the check began; ElapsedMs how long it took.
	Started   time.Time `json:"started"`
	ElapsedMs int64     `json:"elapsedMs"`
}

// Failed reports whether some item failed (the command's exit code 1).
func (r CheckReport) Failed() bool { return r.Counts[CheckFail] > 0 }

// Result returns the item called name.
func (r CheckReport) Result(name string) (CheckResult, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return CheckResult{}, false
}

// Summary is the report's last line: "adapter-check: N passed, M failed, K unsupported" (plus
// skipped items and warnings when there are any).
func (r CheckReport) Summary() string {
	s := fmt.Sprintf("adapter-check: %d passed, %d failed, %d unsupported",
		r.Counts[CheckPass], r.Counts[CheckFail], r.Counts[CheckUnsupported])
	if n := r.Counts[CheckSkipped]; n > 0 {
		s += fmt.Sprintf(", %d skipped", n)
	}
	if n := r.Counts[CheckWarn]; n > 0 {
		s += fmt.Sprintf(", %d warnings (SHOULD items; --strict fails them)", n)
	}
	return s
}

// Bounds of the checker that the contract does not fix itself.
const (
	// checkRemotingDelay is how soon a host SHOULD write remoting after ready.
	checkRemotingDelay = 5 * time.Second
	// checkEOFTimeout is "promptly" for the exit after stdin closes.
	checkEOFTimeout = 5 * time.Second
	// checkClockSkew is how far an event's wall time may be from the harness's clock.
	checkClockSkew = time.Minute
	// checkSlack is added to the contract's own bounds for scheduling on a busy machine.
	checkSlack = time.Second
)

// Check runs the generic adapter contract checks (specs/ADAPTER.md) against the adapter
// cfg.Command, for the roles, transports and types it declares (contract 2 hello) or, when it
// declares nothing (contract 1), for whatever it does not reject with exit code 127.
//
// The items are: hello; for each role: start, the fields of ready, capabilities (contract 2),
// remoting (host), acquisition and a Valid replica of the adapter's own host (node), the generic
// commands (sync, ids echoed verbatim, badJson, empty lines, unknownCommand, state, describe, get,
// set of an unknown property, commands of another role, one result per line), lifetime (exit code,
// stdin EOF, SIGTERM) and output hygiene; last usage (exit code 2 for bad command lines, tried on a
// command line that started). Check never returns an error: problems are failed items.
func Check(ctx context.Context, cfg CheckConfig) CheckReport {
	c := newChecker(ctx, cfg)
	c.run()
	c.rep.ElapsedMs = time.Since(c.rep.Started).Milliseconds()
	return c.rep
}

func newChecker(ctx context.Context, cfg CheckConfig) *checker {
	c := &checker{ctx: ctx, cfg: cfg, rep: CheckReport{
		Command: slices.Clone(cfg.Command), Strict: cfg.Strict, Contract: 1, Started: time.Now(),
		Counts: map[CheckOutcome]int{},
	}}
	if c.cfg.CommandTimeout <= 0 {
		c.cfg.CommandTimeout = 20 * time.Second
	}
	c.caps = Capabilities{Contract: 1}
	return c
}

// run decides every item into c.rep.
func (c *checker) run() {
	if len(c.cfg.Command) == 0 {
		c.fail("config", CheckMust, "no adapter command given")
		return
	}
	c.tmp = c.cfg.TempDir
	if c.tmp == "" {
		dir, err := os.MkdirTemp("", "qtro-check-")
		if err != nil {
			c.fail("config", CheckMust, "temporary directory: %v", err)
			return
		}
		defer os.RemoveAll(dir)
		c.tmp = dir
	}
	c.checkHello()
	for _, role := range []Role{Host, Registry, Node} {
		if c.ctx.Err() != nil {
			break
		}
		c.checkRole(role)
	}
	// Usage last: by then a command line that starts is known, so only the bad part is bad.
	if c.ctx.Err() == nil {
		c.checkUsage()
	}
	if c.ctx.Err() != nil {
		c.fail("interrupted", CheckMust, "%v: the remaining checks did not run", c.ctx.Err())
	}
}

// checker is the state of one Check run.
type checker struct {
	ctx  context.Context
	cfg  CheckConfig
	rep  CheckReport
	tmp  string
	caps Capabilities
	// helloCaps is hello's capabilities object, for comparison with ready's.
	helloCaps map[string]any
	// hostPlan is a host start that worked, reused to give nodes something to connect to.
	hostPlan *startPlan
	// started are the plans that started, for the usage checks.
	started []startPlan
	seq     int
}

// startPlan is one way of starting a role.
type startPlan struct {
	role      Role
	transport string
	typ       string // "" for a registry without an object
	mode      string // node: static or dynamic
	sourceAPI string // host: "" for the default
}

func (p startPlan) String() string {
	s := fmt.Sprintf("%s on %s", p.role, p.transport)
	if p.typ != "" {
		s += ", type " + p.typ
	}
	if p.mode != "" {
		s += ", " + p.mode
	}
	if p.sourceAPI != "" {
		s += ", source API " + p.sourceAPI
	}
	return s
}

// ---------------------------------------------------------------- recording

func (c *checker) record(r CheckResult) {
	r.Message = truncate(r.Message, 1500)
	c.rep.Results = append(c.rep.Results, r)
	c.rep.Counts[r.Outcome]++
	if c.cfg.OnResult != nil {
		c.cfg.OnResult(r)
	}
}

func (c *checker) pass(name, format string, args ...any) {
	c.passAt(name, CheckMust, format, args...)
}

func (c *checker) passAt(name string, level CheckLevel, format string, args ...any) {
	c.record(CheckResult{Name: name, Outcome: CheckPass, Level: level, Message: fmt.Sprintf(format, args...)})
}

// fail records a broken item: a failure, or a warning for a SHOULD item without Strict.
func (c *checker) fail(name string, level CheckLevel, format string, args ...any) {
	out := CheckFail
	if level == CheckShould && !c.cfg.Strict {
		out = CheckWarn
	}
	c.record(CheckResult{Name: name, Outcome: out, Level: level, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) unsupported(name, format string, args ...any) {
	c.record(CheckResult{Name: name, Outcome: CheckUnsupported, Level: CheckMust, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) skip(name, format string, args ...any) {
	c.record(CheckResult{Name: name, Outcome: CheckSkipped, Level: CheckMust, Message: fmt.Sprintf(format, args...)})
}

// verdict passes name when problems is empty, else fails it with the problems.
func (c *checker) verdict(name string, level CheckLevel, problems []string, okFormat string, args ...any) {
	if len(problems) == 0 {
		c.passAt(name, level, okFormat, args...)
		return
	}
	c.fail(name, level, "%s", strings.Join(problems, "; "))
}

// ---------------------------------------------------------------- hello

var helloVocabulary = map[string][]string{
	"transports":   contract.Transports,
	"types":        {"testobject", "tick", "plain"},
	"sourceApis":   {"static", "dynamic"},
	"replicaModes": {"static", "dynamic"},
	"load":         {"props", "signals", "payload", "both", "receive", "replicas", "calls"},
	"models":       {"host", "node"},
}

// checkHello runs `ADAPTER hello` itself (to see what Hello hides: exit codes, lines it ignores) and
// through Hello (what the harness concludes).
func (c *checker) checkHello() {
	const name = "hello"
	ctx, cancel := context.WithTimeout(c.ctx, HelloTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.cfg.Command[0], append(slices.Clone(c.cfg.Command[1:]), "hello")...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C.UTF-8",
		fmt.Sprintf("QTRO_ADAPTER_CONTRACT=%d", ContractVersion), "TMPDIR="+c.tmp)
	cmd.Env = append(cmd.Env, c.cfg.Env...)
	proc.SetGroup(cmd)
	cmd.Cancel = func() error { proc.SignalGroup(cmd, syscall.SIGKILL, true); return nil }
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		c.fail(name, CheckMust, "`hello` did not exit within %s (a contract-1 adapter must exit 127 for an unknown role)", HelloTimeout)
		return
	}
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			c.fail(name, CheckMust, "cannot run the adapter: %v", err)
			return
		}
	}
	if code != 0 {
		switch code {
		case 127, 2:
			c.pass(name, "contract 1, nothing declared (`hello` exit %d): every role and feature is tried, exit 127 = unsupported", code)
		default:
			c.fail(name, CheckShould, "contract 1, nothing declared, but `hello` exited with %d: an adapter without hello should exit 127 (unknown role) or 2 (usage); stderr: %s",
				code, truncate(strings.TrimSpace(stderr.String()), 300))
		}
		return
	}

	var lines []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) == 0 {
		c.fail(name, CheckMust, "`hello` exited 0 but wrote no line on stdout (expected one JSON hello line)")
		return
	}
	var problems []string
	if len(lines) > 1 {
		problems = append(problems, fmt.Sprintf("%d lines on stdout, want exactly one (second: %q)", len(lines), truncate(lines[1], 120)))
	}
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		c.fail(name, CheckMust, "`hello` line is not a JSON object: %q", truncate(lines[0], 200))
		return
	}
	if ev, _ := raw["event"].(string); ev != "hello" {
		problems = append(problems, fmt.Sprintf(`"event" is %v, want "hello"`, raw["event"]))
	}
	var h helloEvent
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil {
		problems = append(problems, "the line does not have hello's field types: "+err.Error())
	}
	if n, ok := raw["contract"].(json.Number); !ok {
		problems = append(problems, `"contract" is not a number`)
	} else if v, err := n.Int64(); err != nil || v < 2 {
		problems = append(problems, fmt.Sprintf(`"contract" is %s; hello exists from contract 2`, n))
	}
	if s, _ := raw["adapter"].(string); s == "" {
		problems = append(problems, `"adapter" is missing or empty`)
	}
	problems = append(problems, dialectProblems(raw["qtMajor"], raw["protocol"])...)
	capsRaw, ok := raw["capabilities"].(map[string]any)
	if !ok {
		problems = append(problems, `"capabilities" is missing or not an object`)
	}
	c.helloCaps = capsRaw

	caps, herr := Hello(c.ctx, Config{Command: c.cfg.Command, Env: c.cfg.Env, TempDir: c.tmp})
	if herr != nil {
		problems = append(problems, herr.Error())
	} else if !caps.Declared && len(problems) == 0 {
		problems = append(problems, "the harness (adapter.Hello) does not accept this hello line")
	}
	if len(problems) > 0 {
		c.fail(name, CheckMust, "broken hello line (the harness treats the adapter as contract 1): %s", strings.Join(problems, "; "))
		c.helloCaps = nil
		return
	}
	c.caps = caps
	c.rep.Contract, c.rep.Declared, c.rep.Adapter, c.rep.Capabilities = caps.Contract, true, caps.Adapter, capsRaw
	c.pass(name, "contract %d, adapter %s, qtMajor %d, %s", caps.Contract, caps.Adapter, caps.QtMajor, caps.Describe())

	// Values outside the contract's vocabulary are ignored by the harness; say so.
	var unknown []string
	for key, known := range helloVocabulary {
		list, _ := capsRaw[key].([]any)
		for _, v := range list {
			if s, _ := v.(string); !slices.Contains(known, s) {
				unknown = append(unknown, fmt.Sprintf("%s %v", key, v))
			}
		}
	}
	slices.Sort(unknown)
	c.verdict("hello/vocabulary", CheckShould, prefixed("values the contract does not define: ", unknown),
		"every declared value is one the contract defines")
}

func prefixed(prefix string, items []string) []string {
	if len(items) == 0 {
		return nil
	}
	return []string{prefix + strings.Join(items, ", ")}
}

// dialectProblems checks qtMajor (5 or 6) and the protocol that goes with it.
func dialectProblems(major, protocol any) []string {
	n, ok := major.(json.Number)
	m, err := n.Int64()
	if !ok || err != nil || (m != 5 && m != 6) {
		return []string{fmt.Sprintf(`"qtMajor" is %v, want 5 or 6`, major)}
	}
	want := map[int64]string{5: "QtRO 1.3", 6: "QtRO 2.0"}[m]
	if p, _ := protocol.(string); p != want {
		return []string{fmt.Sprintf(`"protocol" is %v, want %q for qtMajor %d`, protocol, want, m)}
	}
	return nil
}

// ---------------------------------------------------------------- starting

func (c *checker) start(role Role, args []string, label string) (*Adapter, error) {
	return Start(c.ctx, Config{
		Command: c.cfg.Command, Role: role, Args: args, Env: c.cfg.Env, TempDir: c.tmp,
		Name: label, ReadyTimeout: c.cfg.ReadyTimeout, Log: c.cfg.Log,
	})
}

// listenURL returns a fresh URL of transport to listen on.
func (c *checker) listenURL(transport string) string {
	c.seq++
	switch transport {
	case "tcp":
		return "tcp://127.0.0.1:0"
	case "local":
		return "local:" + filepath.Join(c.tmp, fmt.Sprintf("qc%d", c.seq))
	default:
		return fmt.Sprintf("localabstract:qtro-check-%d-%d", os.Getpid(), c.seq)
	}
}

// deadURL returns a URL of transport where nothing listens.
func (c *checker) deadURL(transport string) string {
	if transport == "tcp" {
		if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			addr := l.Addr().String()
			_ = l.Close()
			return "tcp://" + addr
		}
		return "tcp://127.0.0.1:1"
	}
	return c.listenURL(transport)
}

// args renders a plan's command line with url.
func (p startPlan) args(url string) []string {
	a := []string{"--url", url}
	if p.typ != "" {
		a = append(a, "--type", p.typ)
	}
	if p.mode != "" {
		a = append(a, "--"+p.mode)
	}
	if p.sourceAPI != "" {
		a = append(a, "--source-api", p.sourceAPI)
	}
	return a
}

// candidates lists the ways to start role the adapter may support, best first: transports tcp,
// local, localabstract; types testobject, plain, tick (only those declared, when declared).
func (c *checker) candidates(role Role) []startPlan {
	var out []startPlan
	for _, tr := range []string{"tcp", "local", "localabstract"} {
		if !c.caps.Can(CapTransport, tr) {
			continue
		}
		if role == Registry {
			out = append(out, startPlan{role: role, transport: tr})
			continue
		}
		for _, typ := range []string{"testobject", "plain", "tick"} {
			if !c.caps.Can(CapType, typ) {
				continue
			}
			p := startPlan{role: role, transport: tr, typ: typ}
			switch role {
			case Node:
				switch {
				case typ == "plain": // no static form (§2)
					p.mode = "dynamic"
				case c.caps.Can(CapReplicaMode, "static"):
					p.mode = "static"
				default:
					p.mode = "dynamic"
				}
				if !c.caps.Can(CapReplicaMode, p.mode) {
					continue
				}
			case Host:
				if c.caps.SourceAPIs != nil && !slices.Contains(c.caps.SourceAPIs, "static") {
					if len(c.caps.SourceAPIs) == 0 {
						continue
					}
					p.sourceAPI = c.caps.SourceAPIs[0]
				}
			}
			out = append(out, p)
		}
	}
	return out
}

func (c *checker) declaresAll(needs []Need) bool {
	for _, n := range needs {
		if !c.caps.DeclaresYes(n.Kind, n.Value) {
			return false
		}
	}
	return c.caps.Declared
}

func unsupportedFeature(err error) string {
	var ue *UnsupportedError
	if errors.As(err, &ue) && ue.Feature != "" {
		return ue.Feature
	}
	return "no unsupported event"
}

// checkUnsupportedEvent notes whether an exit 127 was announced by an unsupported event (SHOULD, §3).
func (c *checker) checkUnsupportedEvent(name string, err error) {
	var ue *UnsupportedError
	if errors.As(err, &ue) && slices.ContainsFunc(ue.Events, func(e Event) bool { return e.Name == contract.EvUnsupported }) {
		c.passAt(name, CheckShould, "exit 127 came after an unsupported event (feature %q)", ue.Feature)
		return
	}
	c.fail(name, CheckShould, "exit 127 without an unsupported event before it (§3)")
}

// ---------------------------------------------------------------- usage

func (c *checker) checkUsage() {
	// A role and a command line the adapter started with, so that only the bad part is bad;
	// without one, the best candidate.
	var plan *startPlan
	if len(c.started) > 0 {
		plan = &c.started[0]
	}
	for _, role := range []Role{Host, Registry, Node} {
		if plan != nil || !c.caps.Can(CapRole, string(role)) {
			continue
		}
		if cands := c.candidates(role); len(cands) > 0 {
			plan = &cands[0]
		}
	}
	if plan == nil {
		c.unsupported("usage/unknown-flag", "no role the adapter declares")
		c.unsupported("usage/missing-value", "no role the adapter declares")
	} else {
		var url string
		if plan.role == Node {
			url = c.deadURL(plan.transport)
		} else {
			url = c.listenURL(plan.transport)
		}
		args := plan.args(url)
		c.expectUsage("usage/unknown-flag", plan.role, append(slices.Clone(args), "--no-such-flag"))
		// The same line with --url moved to the end and its value missing.
		c.expectUsage("usage/missing-value", plan.role, append(slices.Clone(args[2:]), "--url"))
	}
	if c.caps.Declared && !c.caps.Can(CapRole, string(Node)) {
		c.unsupported("usage/node-without-url", "the adapter declares no node role")
		return
	}
	c.expectUsage("usage/node-without-url", Node, nil)
}

// expectUsage starts role with args and expects exit code 2 before any event but fatal{stage:args}.
func (c *checker) expectUsage(name string, role Role, args []string) {
	line := strings.TrimSpace(string(role) + " " + strings.Join(args, " "))
	a, err := c.start(role, args, "usage")
	if err == nil {
		_ = a.Close()
		c.fail(name, CheckMust, "`%s` started (ready) instead of exiting with code 2", line)
		return
	}
	if errors.Is(err, ErrUnsupported) {
		if c.declaresAll(Needs(role, args)) {
			c.fail(name, CheckMust, "`%s` exited 127 although hello declares everything it needs; a bad command line is exit 2", line)
			return
		}
		c.unsupported(name, "`%s` exited 127 (%s): the role or a feature is unsupported, so usage errors cannot be told apart", line, unsupportedFeature(err))
		return
	}
	var ee *ExitError
	if !errors.As(err, &ee) {
		c.fail(name, CheckMust, "`%s`: %v", line, err)
		return
	}
	var problems []string
	if ee.Code != 2 {
		problems = append(problems, fmt.Sprintf("exit code %d, want 2", ee.Code))
	}
	fatal := ""
	for _, ev := range ee.Events {
		if ev.Name == contract.EvFatal && ev.Str("stage") == "args" {
			fatal = " after fatal{stage:args}"
			continue
		}
		problems = append(problems, fmt.Sprintf("event before the exit: %s", truncate(string(ev.Raw), 150)))
	}
	if len(problems) > 0 {
		c.fail(name, CheckMust, "`%s`: %s", line, strings.Join(problems, "; "))
		return
	}
	c.pass(name, "`%s` exited 2%s", line, fatal)
}

// ---------------------------------------------------------------- roles

func (c *checker) checkRole(role Role) {
	pre := string(role)
	if c.caps.Declared && !c.caps.Can(CapRole, pre) {
		c.checkUndeclaredRole(role)
		return
	}
	cands := c.candidates(role)
	if len(cands) == 0 {
		c.unsupported(pre+"/start", "no declared transport/type combination the checker knows for this role")
		return
	}
	var attempts []string
	var lastErr error
	for _, p := range cands {
		var helper *Adapter
		url := ""
		switch {
		case role != Node:
			url = c.listenURL(p.transport)
		case c.hostPlan != nil && c.hostPlan.transport == p.transport && c.hostPlan.typ == p.typ:
			h, err := c.start(Host, c.hostPlan.args(c.listenURL(p.transport)), "node's host")
			if err == nil {
				helper = h
				url = h.Ready().Str("url")
			} else {
				c.fail(pre+"/host", CheckMust, "a host for the node (%s) did not start: %v", c.hostPlan, err)
				url = c.deadURL(p.transport)
			}
		default:
			url = c.deadURL(p.transport)
		}
		args := p.args(url)
		t0 := time.Now()
		a, err := c.start(role, args, pre)
		if err == nil {
			c.pass(pre+"/start", "%s started (`%s`), ready after %s", p, strings.Join(args, " "), time.Since(t0).Round(time.Millisecond))
			c.runRole(p, url, a, helper)
			return
		}
		if helper != nil {
			_ = helper.Close()
		}
		if !errors.Is(err, ErrUnsupported) {
			c.fail(pre+"/start", CheckMust, "%s: %v", p, err)
			return
		}
		if needs := Needs(role, args); c.declaresAll(needs) {
			c.fail(pre+"/start", CheckMust, "%s exited 127 (%s) although hello declares %v", p, unsupportedFeature(err), needs)
			return
		}
		feature := unsupportedFeature(err)
		attempts = append(attempts, fmt.Sprintf("%s: %s", p, feature))
		lastErr = err
		if feature == "role:"+pre {
			break // the role itself: other transports and types will not help
		}
	}
	c.unsupported(pre+"/start", "exit 127 for every attempt: %s", strings.Join(attempts, "; "))
	c.checkUnsupportedEvent(pre+"/unsupported-event", lastErr)
}

// checkUndeclaredRole confirms that a role hello leaves out really exits 127.
func (c *checker) checkUndeclaredRole(role Role) {
	pre := string(role)
	p := startPlan{role: role, transport: "tcp", typ: "testobject", mode: "static"}
	if role == Registry {
		p.typ = ""
	}
	if role != Node {
		p.mode = ""
	}
	if len(c.caps.Transports) > 0 {
		p.transport = c.caps.Transports[0]
	}
	if role != Registry && len(c.caps.Types) > 0 {
		p.typ = c.caps.Types[0]
		if p.typ == "plain" && role == Node {
			p.mode = "dynamic"
		}
	}
	url := c.listenURL(p.transport)
	if role == Node {
		url = c.deadURL(p.transport)
	}
	a, err := c.start(role, p.args(url), pre)
	switch {
	case err == nil:
		_ = a.Close()
		c.fail(pre+"/start", CheckShould, "hello declares no %s role, but `%s %s` started: declare it", role, role, strings.Join(p.args(url), " "))
	case errors.Is(err, ErrUnsupported):
		c.unsupported(pre+"/start", "not declared by hello; `%s` exits 127 (%s) as it should", role, unsupportedFeature(err))
		c.checkUnsupportedEvent(pre+"/unsupported-event", err)
	default:
		c.fail(pre+"/start", CheckMust, "hello declares no %s role, so starting it must exit 127 (§3): %v", role, err)
	}
}

// runRole runs every per-role item on a started adapter a (and two more instances for stdin EOF and
// SIGTERM). helper is the host a node connects to, if any.
func (c *checker) runRole(p startPlan, url string, a *Adapter, helper *Adapter) {
	pre := string(p.role)
	insts := []*Adapter{a}
	defer func() {
		for _, in := range insts {
			_ = in.Close()
		}
		if helper != nil {
			_ = helper.Close()
		}
	}()
	if p.role == Host {
		c.hostPlan = &p
	}
	c.started = append(c.started, p)
	c.checkReady(pre, p, url, a)
	if c.caps.Contract >= 2 {
		c.checkCapabilities(pre, a)
	}
	valid := false
	switch p.role {
	case Host:
		c.checkRemoting(pre, a)
	case Node:
		valid = c.checkNodeStartup(pre, a, helper != nil)
	}
	c.checkCommands(pre, p, a, valid)
	c.checkModelCommands(pre, p, a)
	c.checkExitCommand(pre, a)

	fresh := func(label string) *Adapter {
		u := url
		if p.role != Node {
			u = c.listenURL(p.transport)
		}
		in, err := c.start(p.role, p.args(u), pre+" "+label)
		if err != nil {
			c.fail(pre+"/"+label, CheckMust, "a second start of %s failed: %v", p, err)
			return nil
		}
		insts = append(insts, in)
		return in
	}
	if in := fresh("stdin-eof"); in != nil {
		c.checkStdinEOF(pre, in)
	}
	if in := fresh("sigterm"); in != nil {
		c.checkSIGTERM(pre, in)
	}
	for _, in := range insts {
		_ = in.Close()
	}
	c.checkHygiene(pre, insts)
}

func (c *checker) checkReady(pre string, p startPlan, url string, a *Adapter) {
	ev := a.Ready()
	var problems []string
	str := func(key string) string {
		v, ok := ev.Fields[key]
		s, isStr := v.(string)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no %q", key))
		case !isStr:
			problems = append(problems, fmt.Sprintf("%q is not a string", key))
		}
		return s
	}
	if r := str("role"); r != "" && r != string(p.role) {
		problems = append(problems, fmt.Sprintf(`"role" is %q, want %q`, r, p.role))
	}
	if s := str("adapter"); s == "" {
		if _, isStr := ev.Fields["adapter"].(string); isStr {
			problems = append(problems, `"adapter" is empty`)
		}
	}
	if c.rep.Adapter == "" {
		c.rep.Adapter = ev.Str("adapter")
	}
	if v, ok := ev.Int("contract"); !ok {
		problems = append(problems, `"contract" is missing or not an integer`)
	} else if int(v) != c.caps.Contract {
		if c.caps.Declared {
			problems = append(problems, fmt.Sprintf(`"contract" is %d but hello said %d`, v, c.caps.Contract))
		} else {
			problems = append(problems, fmt.Sprintf(`"contract" is %d without a valid hello (contract 1)`, v))
		}
	}
	str("qt")
	problems = append(problems, dialectProblems(ev.Fields["qtMajor"], ev.Fields["protocol"])...)
	got := str("url")
	switch {
	case p.role == Node:
		if got != url {
			problems = append(problems, fmt.Sprintf(`"url" is %q, want the --url %q`, got, url))
		}
	case TransportOf(got) != p.transport:
		problems = append(problems, fmt.Sprintf(`"url" is %q, not a %s URL`, got, p.transport))
	case p.transport == "tcp":
		if port := got[strings.LastIndexByte(got, ':')+1:]; port == "0" || !isPort(port) {
			problems = append(problems, fmt.Sprintf(`"url" is %q: it must report the port actually bound (§2.2)`, got))
		}
	}
	if pid, ok := ev.Int("pid"); !ok || pid <= 0 {
		problems = append(problems, fmt.Sprintf(`"pid" is %v, want a positive integer`, ev.Fields["pid"]))
	}
	switch p.role {
	case Host:
		str("object")
		if t := str("type"); t != "" && t != p.typ {
			problems = append(problems, fmt.Sprintf(`"type" is %q, want %q`, t, p.typ))
		}
	case Node:
		str("object")
		if t := str("type"); t != "" && t != p.typ {
			problems = append(problems, fmt.Sprintf(`"type" is %q, want %q`, t, p.typ))
		}
		if m := str("mode"); m != "" && m != p.mode {
			problems = append(problems, fmt.Sprintf(`"mode" is %q, want %q`, m, p.mode))
		}
		if _, ok := ev.Int("heartbeatMs"); !ok {
			problems = append(problems, `"heartbeatMs" is missing or not an integer`)
		}
	}
	c.verdict(pre+"/ready", CheckMust, problems, "role %s, adapter %s, contract %s, qt %s, qtMajor %s, %s, url %s, pid %s",
		ev.Str("role"), ev.Str("adapter"), ev.Fields["contract"], ev.Str("qt"), ev.Fields["qtMajor"], ev.Str("protocol"), ev.Str("url"), ev.Fields["pid"])
}

func isPort(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

func (c *checker) checkCapabilities(pre string, a *Adapter) {
	ev := a.Ready()
	var problems []string
	got, ok := ev.Fields["capabilities"]
	switch {
	case !ok:
		problems = append(problems, `ready has no "capabilities"`)
	case !Equal(got, c.helloCaps):
		problems = append(problems, fmt.Sprintf("ready's capabilities %s differ from hello's %s", Canonical(got), Canonical(c.helloCaps)))
	}
	if s := ev.Str("adapter"); s != c.caps.Adapter {
		problems = append(problems, fmt.Sprintf(`ready's "adapter" %q differs from hello's %q`, s, c.caps.Adapter))
	}
	if m, _ := ev.Int("qtMajor"); int(m) != c.caps.QtMajor {
		problems = append(problems, fmt.Sprintf(`ready's "qtMajor" %d differs from hello's %d`, m, c.caps.QtMajor))
	}
	if s := ev.Str("protocol"); s != c.caps.Protocol {
		problems = append(problems, fmt.Sprintf(`ready's "protocol" %q differs from hello's %q`, s, c.caps.Protocol))
	}
	c.verdict(pre+"/capabilities", CheckMust, problems, "ready carries hello's capabilities, adapter, qtMajor and protocol")
}

func (c *checker) wait(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, d)
}

func (c *checker) checkRemoting(pre string, a *Adapter) {
	ready := a.Ready()
	ctx, cancel := c.wait(c.cfg.CommandTimeout)
	defer cancel()
	ev, err := a.WaitFor(ctx, ready.Seq+1, Named(contract.EvRemoting))
	if err != nil {
		c.fail(pre+"/remoting", CheckMust, "no remoting event after ready within %s (§2.1): %v", c.cfg.CommandTimeout, err)
		return
	}
	var problems []string
	if on, ok := ev.Bool("enabled"); !ok || !on {
		problems = append(problems, fmt.Sprintf(`the first remoting event has "enabled": %v, want true (error: %q)`, ev.Fields["enabled"], ev.Str("error")))
	}
	if obj := ev.Str("object"); obj == "" || obj != ready.Str("object") {
		problems = append(problems, fmt.Sprintf(`remoting's "object" is %q, ready's %q`, obj, ready.Str("object")))
	}
	c.verdict(pre+"/remoting", CheckMust, problems, "remoting {object %q, enabled true} follows ready", ev.Str("object"))
	delay := time.Duration(ev.Mono - ready.Mono)
	if delay > checkRemotingDelay {
		c.fail(pre+"/remoting-delay", CheckShould, "remoting came %s after ready (by the events' mono), want within %s", delay, checkRemotingDelay)
	} else {
		c.passAt(pre+"/remoting-delay", CheckShould, "remoting came %s after ready", delay.Round(time.Microsecond))
	}
}

// checkNodeStartup checks the start-up acquisition and, with a host, that the replica becomes Valid.
func (c *checker) checkNodeStartup(pre string, a *Adapter, hasHost bool) bool {
	ctx, cancel := c.wait(c.cfg.CommandTimeout)
	defer cancel()
	acq, err := a.WaitFor(ctx, 0, Named(contract.EvAcquired))
	if err != nil {
		c.fail(pre+"/acquired", CheckMust, "no acquired event for the start-up acquisition (§2.1): %v", err)
	} else {
		var problems []string
		for _, k := range []string{"replica", "object", "state"} {
			if acq.Str(k) == "" {
				problems = append(problems, fmt.Sprintf("acquired has no string %q", k))
			}
		}
		c.verdict(pre+"/acquired", CheckMust, problems, "acquired {replica %q, object %q, state %q}", acq.Str("replica"), acq.Str("object"), acq.Str("state"))
	}
	if !hasHost {
		c.skip(pre+"/valid", "no host of this adapter to connect to: only ready and commands are checked")
		return false
	}
	if err == nil && acq.Str("state") == "Valid" {
		c.pass(pre+"/valid", "the replica was Valid when acquired")
		return true
	}
	ctx2, cancel2 := c.wait(c.cfg.CommandTimeout)
	defer cancel2()
	if _, err := a.WaitFor(ctx2, 0, StateChanged("", "Valid")); err != nil {
		c.fail(pre+"/valid", CheckMust, "the replica of the adapter's own host did not become Valid: %v", err)
		return false
	}
	c.pass(pre+"/valid", "the replica of the adapter's own host became Valid")
	return true
}

// ---------------------------------------------------------------- commands

// roundTrip writes one raw line and returns the first result after it (commands other than call and
// load are answered in input order, §6, so it is this line's result even when the id is mangled).
func (c *checker) roundTrip(a *Adapter, line string) (Event, error) {
	mark := a.Mark()
	if err := a.SendRaw([]byte(line + "\n")); err != nil {
		return Event{}, err
	}
	ctx, cancel := c.wait(c.cfg.CommandTimeout)
	defer cancel()
	return a.WaitFor(ctx, mark, Named(contract.EvResult))
}

func cmdLine(cmd Command) string {
	b, _ := json.Marshal(cmd)
	return string(b)
}

// resultProblems checks ok and, for a failure, the error code against codes (any when empty).
func resultProblems(ev Event, err error, wantOK bool, codes ...contract.ErrorName) []string {
	want := make([]string, len(codes))
	for i, c := range codes {
		want[i] = string(c)
	}
	if err != nil {
		return []string{"no result: " + err.Error()}
	}
	ok, isBool := ev.Bool("ok")
	switch {
	case !isBool:
		return []string{fmt.Sprintf(`result has no boolean "ok": %s`, truncate(string(ev.Raw), 200))}
	case wantOK && !ok:
		return []string{fmt.Sprintf("ok:false (%s: %s)", ev.Str("error"), ev.Str("message"))}
	case !wantOK && ok:
		return []string{fmt.Sprintf("ok:true, want an error %s", strings.Join(want, " or "))}
	case !wantOK && len(codes) > 0 && !slices.Contains(codes, contract.ErrorName(ev.Str("error"))):
		return []string{fmt.Sprintf("error %q, want %s", ev.Str("error"), strings.Join(want, " or "))}
	}
	return nil
}

func (c *checker) checkCommands(pre string, p startPlan, a *Adapter, valid bool) {
	mark0 := a.Mark()
	lines := 0
	send := func(line string) (Event, error) {
		lines++
		return c.roundTrip(a, line)
	}
	name := func(s string) string { return pre + "/" + s }

	ev, err := send(`{"cmd":"sync","id":"chk-sync"}`)
	c.verdict(name("sync"), CheckMust, resultProblems(ev, err, true), "sync answered ok")

	// ids are echoed verbatim: same JSON type, same value (§6).
	idString := "chk \"é\" \\ ✓"
	ev, err = send(cmdLine(Command{"cmd": "sync", "id": idString}))
	problems := resultProblems(ev, err, true)
	if err == nil {
		if got, ok := ev.Fields["id"].(string); !ok || got != idString {
			problems = append(problems, fmt.Sprintf("id %s came back as %s", Canonical(idString), truncate(idJSON(ev), 80)))
		}
	}
	c.verdict(name("id-string"), CheckMust, problems, "a string id with quotes, a backslash and non-ASCII came back verbatim")

	for _, tc := range []struct{ item, id, what string }{
		{"id-number", "4242", "a number id came back as the same number"},
		{"id-int64", "9007199254740993", "the id 2^53+1 came back exactly (64-bit integers, §5)"},
	} {
		ev, err = send(`{"cmd":"sync","id":` + tc.id + `}`)
		problems = resultProblems(ev, err, true)
		if err == nil {
			if got, ok := ev.Fields["id"].(json.Number); !ok || !Equal(got, json.Number(tc.id)) {
				problems = append(problems, fmt.Sprintf("id %s came back as %s", tc.id, truncate(idJSON(ev), 80)))
			}
		}
		c.verdict(name(tc.item), CheckMust, problems, "%s", tc.what)
	}

	ev, err = send(`this is not JSON {"cmd":"sync"`)
	problems = resultProblems(ev, err, false, contract.BadJSON)
	if err == nil {
		if v, ok := ev.Fields["id"]; !ok || v != nil {
			problems = append(problems, fmt.Sprintf(`"id" is %s, want null`, idJSON(ev)))
		}
		if cmd, ok := ev.Fields["cmd"].(string); !ok || cmd != "" {
			problems = append(problems, fmt.Sprintf(`"cmd" is %v, want ""`, ev.Fields["cmd"]))
		}
	}
	ev, err = send(`[1,2,3]`)
	for _, pr := range resultProblems(ev, err, false, contract.BadJSON, contract.BadArgs) {
		problems = append(problems, "a JSON array line: "+pr)
	}
	c.verdict(name("bad-json"), CheckMust, problems, `a non-JSON line got {"id":null,"cmd":"","ok":false,"error":"badJson"}; a non-object line an error`)

	// An empty line is ignored (§6): the next result must be the next command's.
	if err := a.SendRaw([]byte("\n")); err != nil {
		c.fail(name("empty-line"), CheckMust, "%v", err)
	} else {
		ev, err = send(`{"cmd":"sync","id":"chk-after-empty"}`)
		problems = resultProblems(ev, err, true)
		if err == nil && ev.Str("id") != "chk-after-empty" {
			problems = append(problems, fmt.Sprintf("the empty line was answered: %s", truncate(string(ev.Raw), 150)))
		}
		c.verdict(name("empty-line"), CheckMust, problems, "an empty line was ignored")
	}

	ev, err = send(`{"cmd":"noSuchCommand","id":"chk-unknown"}`)
	c.verdict(name("unknown-command"), CheckMust, resultProblems(ev, err, false, contract.UnknownCommand), "noSuchCommand got unknownCommand")

	ev, err = send(`{"cmd":"state","id":"chk-state"}`)
	problems = resultProblems(ev, err, true)
	if err == nil {
		if r := ev.Str("role"); r != string(p.role) {
			problems = append(problems, fmt.Sprintf(`"role" is %v, want %q`, ev.Fields["role"], p.role))
		}
		if u, want := ev.Str("url"), a.Ready().Str("url"); u != want {
			problems = append(problems, fmt.Sprintf(`"url" is %v, ready said %q`, ev.Fields["url"], want))
		}
	}
	c.verdict(name("state"), CheckMust, problems, "state answered role %q and the ready url", ev.Str("role"))

	ev, err = send(`{"cmd":"describe","id":"chk-describe"}`)
	if p.role == Node && p.mode == "dynamic" && !valid {
		c.verdict(name("describe"), CheckMust, orProblems(resultProblems(ev, err, true), resultProblems(ev, err, false, contract.NotInitialized)),
			"describe answered (ok, or notInitialized for a dynamic replica without metadata)")
	} else {
		c.verdict(name("describe"), CheckMust, resultProblems(ev, err, true), "describe answered ok")
	}

	if p.role == Host || valid {
		ev, err = send(`{"cmd":"get","id":"chk-get"}`)
		problems = resultProblems(ev, err, true)
		if err == nil && ev.Object("values") == nil {
			problems = append(problems, fmt.Sprintf(`"values" is %s, want an object`, truncate(Canonical(ev.Fields["values"]), 80)))
		}
		c.verdict(name("get"), CheckMust, problems, "get without property answered %d values", len(ev.Object("values")))
	} else {
		c.skip(name("get"), "no object to read in this role without a Valid replica")
	}

	if p.role == Host {
		ev, err = send(cmdLine(Command{"cmd": "set", "id": "chk-set", "property": "noSuchProperty", "value": 1}))
		c.verdict(name("set-unknown"), CheckMust, resultProblems(ev, err, false, contract.UnknownProperty, contract.BadArgs),
			"set of an unknown property got %s", ev.Str("error"))
	}

	wrong := Command{"cmd": "call", "id": "chk-wrong-role", "method": "add", "args": []any{1, 2}}
	if p.role == Node {
		wrong = Command{"cmd": "set", "id": "chk-wrong-role", "property": "intProp", "value": 1}
	}
	ev, err = send(cmdLine(wrong))
	c.verdict(name("wrong-role"), CheckMust, resultProblems(ev, err, false, contract.WrongRole, contract.Unsupported),
		"%s (a command of another role) got %s", wrong.Name(), ev.Str("error"))

	// Exactly one result per line: count the results up to a final barrier.
	bar, err := send(`{"cmd":"sync","id":"chk-barrier"}`)
	problems = nil
	if err != nil {
		problems = append(problems, "no result for the final sync: "+err.Error())
	} else {
		bar, err = func() (Event, error) {
			ctx, cancel := c.wait(c.cfg.CommandTimeout)
			defer cancel()
			return a.WaitFor(ctx, mark0, Named(contract.EvResult, Field("id", "chk-barrier")))
		}()
		if err != nil {
			problems = append(problems, "the final sync's result has another id")
		} else {
			results := a.EventsSince(mark0, Named(contract.EvResult))
			n := 0
			for _, r := range results {
				if r.Seq <= bar.Seq {
					n++
				}
			}
			if n != lines {
				problems = append(problems, fmt.Sprintf("%d results for %d command lines", n, lines))
			}
			problems = append(problems, resultFieldProblems(results)...)
		}
	}
	c.verdict(name("one-result-per-line"), CheckMust, problems, "%d command lines, %d results, each with id, cmd, ok (and error, message when not ok)", lines, lines)
}

func orProblems(a, b []string) []string {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	return a
}

func idJSON(ev Event) string {
	v, ok := ev.Fields["id"]
	if !ok {
		return "(missing)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resultFieldProblems checks the fields every result carries (§8).
func resultFieldProblems(results []Event) []string {
	var problems []string
	for _, r := range results {
		var miss []string
		if _, ok := r.Fields["id"]; !ok {
			miss = append(miss, "id")
		}
		if _, ok := r.Fields["cmd"].(string); !ok {
			miss = append(miss, "cmd")
		}
		ok, isBool := r.Bool("ok")
		if !isBool {
			miss = append(miss, "ok")
		} else if !ok {
			if r.Str("error") == "" {
				miss = append(miss, "error")
			}
			if _, isStr := r.Fields["message"].(string); !isStr {
				miss = append(miss, "message")
			}
		}
		if len(miss) > 0 {
			problems = append(problems, fmt.Sprintf("result without %s: %s", strings.Join(miss, ", "), truncate(string(r.Raw), 150)))
		}
	}
	return problems
}

// ---------------------------------------------------------------- lifetime

func exitingProblems(evs []Event, reason string, code int) []string {
	var ex []Event
	for _, e := range evs {
		if e.Name == contract.EvExiting {
			ex = append(ex, e)
		}
	}
	if len(ex) != 1 {
		return []string{fmt.Sprintf("%d exiting events, want 1", len(ex))}
	}
	var problems []string
	if r := ex[0].Str("reason"); r != reason {
		problems = append(problems, fmt.Sprintf(`exiting's "reason" is %q, want %q`, r, reason))
	}
	if n, ok := ex[0].Int("code"); !ok || int(n) != code {
		problems = append(problems, fmt.Sprintf(`exiting's "code" is %v, want %d`, ex[0].Fields["code"], code))
	}
	return problems
}

func (c *checker) waitExit(a *Adapter, d time.Duration) (int, time.Duration, error) {
	t0 := time.Now()
	ctx, cancel := c.wait(d)
	defer cancel()
	code, err := a.Wait(ctx)
	return code, time.Since(t0), err
}

func (c *checker) checkExitCommand(pre string, a *Adapter) {
	mark := a.Mark()
	if err := a.SendRaw([]byte(`{"cmd":"exit","code":7,"id":"chk-exit"}` + "\n")); err != nil {
		c.fail(pre+"/exit-code", CheckMust, "%v", err)
		return
	}
	code, took, err := c.waitExit(a, DefaultExitTimeout)
	if err != nil {
		c.fail(pre+"/exit-code", CheckMust, `{"cmd":"exit","code":7}: no exit within %s (§4)`, DefaultExitTimeout)
		return
	}
	var problems []string
	if code != 7 {
		problems = append(problems, fmt.Sprintf("exit code %d, want 7", code))
	}
	evs := a.EventsSince(mark, nil)
	problems = append(problems, exitingProblems(evs, "command", 7)...)
	if n := len(a.EventsSince(mark, Named(contract.EvResult))); n != 1 {
		problems = append(problems, fmt.Sprintf("%d results for the exit command, want 1", n))
	}
	c.verdict(pre+"/exit-code", CheckMust, problems, `{"cmd":"exit","code":7}: result, exiting {reason command, code 7}, exit code 7 after %s`, took.Round(time.Millisecond))
}

func (c *checker) checkStdinEOF(pre string, a *Adapter) {
	mark := a.Mark()
	if err := a.CloseStdin(); err != nil {
		c.fail(pre+"/stdin-eof", CheckMust, "%v", err)
		return
	}
	code, took, err := c.waitExit(a, checkEOFTimeout)
	if err != nil {
		c.fail(pre+"/stdin-eof", CheckMust, "still running %s after stdin closed (§4: exit promptly)", checkEOFTimeout)
		return
	}
	if code != 0 {
		c.fail(pre+"/stdin-eof", CheckMust, "exit code %d after stdin closed, want 0", code)
		return
	}
	c.pass(pre+"/stdin-eof", "exit 0 %s after stdin closed", took.Round(time.Millisecond))
	c.verdict(pre+"/stdin-eof-exiting", CheckShould, exitingProblems(a.EventsSince(mark, nil), "stdinClosed", 0),
		"exiting {reason stdinClosed, code 0} before the exit")
}

func (c *checker) checkSIGTERM(pre string, a *Adapter) {
	// A sync first: the adapter is past its start-up and into its command loop.
	ev, err := c.roundTrip(a, `{"cmd":"sync","id":"chk-pre-term"}`)
	if pr := resultProblems(ev, err, true); len(pr) > 0 {
		c.fail(pre+"/sigterm", CheckMust, "sync before the signal: %s", strings.Join(pr, "; "))
		return
	}
	mark := a.Mark()
	if err := a.Signal(syscall.SIGTERM); err != nil {
		c.fail(pre+"/sigterm", CheckMust, "cannot signal: %v", err)
		return
	}
	code, took, err := c.waitExit(a, DefaultKillTimeout+checkSlack)
	if err != nil {
		c.fail(pre+"/sigterm", CheckMust, "still running %s after SIGTERM (§4: the harness kills it after %s)", DefaultKillTimeout+checkSlack, DefaultKillTimeout)
		return
	}
	var problems []string
	if code != 0 {
		problems = append(problems, fmt.Sprintf("exit code %d after SIGTERM, want 0", code))
	}
	problems = append(problems, exitingProblems(a.EventsSince(mark, nil), "signal", 0)...)
	c.verdict(pre+"/sigterm", CheckMust, problems, "SIGTERM: exiting {reason signal, code 0}, exit 0 after %s", took.Round(time.Millisecond))
}

// ---------------------------------------------------------------- hygiene

func (c *checker) checkHygiene(pre string, insts []*Adapter) {
	var problems, clock []string
	now := time.Now()
	for _, a := range insts {
		for _, v := range a.Violations() {
			problems = append(problems, fmt.Sprintf("%s: stdout line that is not an event: %s", a.Name(), v))
		}
		evs := a.Events()
		if n := countNamed(evs, "ready"); n != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d ready events, want 1", a.Name(), n))
		}
		var last int64
		for i, e := range evs {
			w := e.Str("wall")
			if !strings.HasSuffix(w, "Z") && !strings.HasSuffix(w, "+00:00") {
				problems = append(problems, fmt.Sprintf("%s: wall %q is not UTC", a.Name(), w))
			} else if !strings.Contains(w, ".") {
				problems = append(problems, fmt.Sprintf("%s: wall %q has no fractional second", a.Name(), w))
			}
			if d := e.Wall.Sub(now); d > checkClockSkew || d < -(now.Sub(c.rep.Started)+checkClockSkew) {
				clock = append(clock, fmt.Sprintf("%s: wall %s is far from the harness's clock", a.Name(), w))
			}
			if i > 0 && e.Mono < last {
				clock = append(clock, fmt.Sprintf("%s: mono goes backwards (%d after %d) at %s", a.Name(), e.Mono, last, e.Name))
			}
			last = e.Mono
		}
	}
	c.verdict(pre+"/hygiene", CheckMust, firstN(problems, 5), "%d processes: stdout held only events, each with integer mono and UTC RFC 3339 wall, one ready each", len(insts))
	c.verdict(pre+"/clocks", CheckShould, firstN(clock, 5), "mono never went backwards; wall agreed with the harness's clock")
}

func countNamed(evs []Event, name string) int {
	n := 0
	for _, e := range evs {
		if e.Name == name {
			n++
		}
	}
	return n
}

func firstN(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(items[:n:n], fmt.Sprintf("... %d more", len(items)-n))
}

// checkModelCommands checks the item-model commands (contract 3, §6.5) of a
// host or node that declares them: a host remotes a model and changes it,
// a node acquires one and reports its state (initialised or not: the
// check has no model host for it). An adapter that does not declare them
// and answers unknownCommand or unsupported is reported unsupported.
func (c *checker) checkModelCommands(pre string, p startPlan, a *Adapter) {
	role := map[Role]string{Host: "host", Node: "node"}[p.role]
	if role == "" {
		return
	}
	name := pre + "/models"
	if !c.caps.Can(CapModel, role) {
		c.unsupported(name, "no model commands declared in the %s role (contract %d)", role, c.caps.Contract)
		return
	}
	declared := c.caps.DeclaresYes(CapModel, role)
	var cmds []Command
	if p.role == Host {
		cmds = []Command{
			{"cmd": contract.CmdRemoteModel, "name": "CheckModel", "rows": 3, "columns": 2, "roles": []any{0, 257}},
			{"cmd": contract.CmdModelInsertRows, "name": "CheckModel", "row": 3, "count": 1, "label": "n"},
			{"cmd": contract.CmdModelSetData, "name": "CheckModel", "row": 0, "column": 1, "role": 257, "value": "x"},
		}
	} else {
		cmds = []Command{
			{"cmd": contract.CmdAcquireModel, "name": "CheckModel", "action": "fetchRootSize"},
			{"cmd": contract.CmdModelState, "model": "CheckModel"},
		}
	}
	var problems []string
	var last Event
	for i, cmd := range cmds {
		cmd["id"] = fmt.Sprintf("model%d", i)
		ev, err := c.roundTrip(a, cmdLine(cmd))
		if err == nil && !declared && i == 0 {
			if code := ev.Str("error"); code == string(contract.UnknownCommand) || code == string(contract.Unsupported) {
				c.unsupported(name, "the adapter answered %s with %s (model commands not declared)", cmd.Name(), code)
				return
			}
		}
		if pr := resultProblems(ev, err, true); len(pr) > 0 {
			problems = append(problems, cmd.Name()+": "+strings.Join(pr, "; "))
			break
		}
		last = ev
	}
	if len(problems) == 0 {
		switch p.role {
		case Host:
			if n, ok := last.Int("rows"); !ok || n != 4 {
				problems = append(problems, fmt.Sprintf(`modelSetData's result has "rows" %v, want 4 (3 rows and 1 inserted)`, last.Fields["rows"]))
			}
		default:
			if _, ok := last.Bool("initialized"); !ok {
				problems = append(problems, `modelState's result has no boolean "initialized"`)
			}
			for _, k := range []string{"rows", "columns"} {
				if _, ok := last.Int(k); !ok {
					problems = append(problems, fmt.Sprintf(`modelState's result has no integer %q`, k))
				}
			}
		}
	}
	c.verdict(name, CheckMust, problems, "the model commands of the %s role answer as §6.5 says", role)
}
