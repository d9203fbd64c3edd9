package adapter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qtro/qtro/internal/proc"
	"github.com/qtro/qtro/specs/contract"
)

// Role is the first command-line argument of an adapter.
type Role string

// The roles of the contract (specs/ADAPTER.md §2).
const (
	// Host remotes one source object.
	Host Role = "host"
	// Registry is a registry host, optionally remoting one object.
	Registry Role = "registry"
	// Node holds replicas.
	Node Role = "node"
)

// Timeouts of the contract (specs/ADAPTER.md §4). Config fields override them per adapter.
const (
	// DefaultReadyTimeout bounds the wait for the "ready" event after start.
	DefaultReadyTimeout = 20 * time.Second
	// DefaultExitTimeout bounds the wait for exit after an "exit" command (then SIGTERM, then SIGKILL).
	DefaultExitTimeout = 5 * time.Second
	// DefaultKillTimeout bounds the wait after SIGTERM before SIGKILL.
	DefaultKillTimeout = 2 * time.Second
	// DefaultWriteTimeout bounds one command write to the adapter's stdin.
	DefaultWriteTimeout = 5 * time.Second
)

// Config describes one adapter process.
type Config struct {
	// Command is the adapter's argv prefix (the binary, or e.g. "docker run -i --rm image").
	Command []string
	// Role is inserted after Command.
	Role Role
	// Args follow the role (--url, --registry, --object, ...).
	Args []string
	// Env adds KEY=VALUE entries to the environment (on top of os.Environ and the contract's defaults).
	Env []string
	// TempDir, when set, becomes the adapter's TMPDIR (where relative local: socket names live).
	TempDir string
	// Name labels the adapter in errors and logs (default: the role).
	Name string
	// ReadyTimeout overrides DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// ExitTimeout overrides DefaultExitTimeout (Close: exit command -> SIGTERM).
	ExitTimeout time.Duration
	// KillTimeout overrides DefaultKillTimeout (Close: SIGTERM -> SIGKILL).
	KillTimeout time.Duration
	// Log, when set, receives every stdout and stderr line prefixed with the name (e.g. GinkgoWriter).
	Log io.Writer
}

// Adapter is a running adapter process.
type Adapter struct {
	name  string
	cmd   *exec.Cmd
	stdin *os.File
	log   io.Writer

	exitTimeout time.Duration
	killTimeout time.Duration

	wg sync.WaitGroup

	mu         sync.Mutex
	events     []Event
	violations []string
	stderr     *proc.Tail
	stdoutEOF  bool
	exited     bool
	exitCode   int
	exitSignal syscall.Signal // the signal that ended the process, if one did
	wake       chan struct{}
	nextID     int
	closed     bool
	ready      Event

	exitCh chan struct{}
}

// Start launches the adapter and waits for its "ready" event. If the adapter exits with 127 first,
// the error matches ErrUnsupported; any other early exit is an *ExitError.
func Start(ctx context.Context, cfg Config) (*Adapter, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("adapter: empty Command")
	}
	name := cfg.Name
	if name == "" {
		name = string(cfg.Role)
	}
	argv := append([]string{}, cfg.Command[1:]...)
	if cfg.Role != "" {
		argv = append(argv, string(cfg.Role))
	}
	argv = append(argv, cfg.Args...)
	cmd := exec.Command(cfg.Command[0], argv...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C.UTF-8", fmt.Sprintf("QTRO_ADAPTER_CONTRACT=%d", ContractVersion))
	if cfg.TempDir != "" {
		cmd.Env = append(cmd.Env, "TMPDIR="+cfg.TempDir)
	}
	cmd.Env = append(cmd.Env, cfg.Env...)
	proc.SetGroup(cmd)

	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		closeAll(inR, inW, outR, outW, errR, errW)
		return nil, fmt.Errorf("adapter %s: start %s: %w", name, cfg.Command[0], err)
	}
	closeAll(inR, outW, errW) // the child has its own copies

	a := &Adapter{
		name:   name,
		cmd:    cmd,
		stdin:  inW,
		log:    cfg.Log,
		wake:   make(chan struct{}),
		exitCh: make(chan struct{}),
		stderr: proc.NewTail(64 << 10),

		exitTimeout: orDefault(cfg.ExitTimeout, DefaultExitTimeout),
		killTimeout: orDefault(cfg.KillTimeout, DefaultKillTimeout),
	}
	a.logf("start: %s %s", cfg.Command[0], strings.Join(argv, " "))
	readersDone := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(2)
	a.wg.Add(3)
	go func() { defer a.wg.Done(); defer readers.Done(); a.readStdout(outR) }()
	go func() { defer a.wg.Done(); defer readers.Done(); a.readStderr(errR) }()
	go func() { readers.Wait(); close(readersDone) }()
	go func() {
		defer a.wg.Done()
		a.waitProcess(outR, errR, readersDone)
	}()

	timeout := cfg.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ev, err := a.WaitFor(rctx, 0, Named(contract.EvReady))
	if err != nil {
		_ = a.Close()
		var ee *ExitError
		if errors.As(err, &ee) && ee.Code == 127 {
			return nil, a.unsupportedError()
		}
		return nil, fmt.Errorf("adapter %s: no ready event: %w", name, err)
	}
	a.mu.Lock()
	a.ready = ev
	a.mu.Unlock()
	return a, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

func (a *Adapter) logf(format string, args ...any) {
	if a.log != nil {
		fmt.Fprintf(a.log, "[%s] %s\n", a.name, fmt.Sprintf(format, args...))
	}
}

func (a *Adapter) readStdout(r *os.File) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			line = []byte(strings.TrimRight(string(line), "\r\n"))
			a.logf("%s", line)
			ev, perr := parseEvent(line)
			a.mu.Lock()
			if perr != nil {
				a.violations = append(a.violations, fmt.Sprintf("%s: %q", perr, truncate(string(line), 200)))
			} else {
				ev.Seq = len(a.events)
				a.events = append(a.events, ev)
			}
			a.broadcastLocked()
			a.mu.Unlock()
		}
		if err != nil {
			break
		}
	}
	a.mu.Lock()
	a.stdoutEOF = true
	a.broadcastLocked()
	a.mu.Unlock()
}

func (a *Adapter) readStderr(r *os.File) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		a.logf("stderr: %s", sc.Text())
		a.mu.Lock()
		a.stderr.WriteLine(sc.Text())
		a.mu.Unlock()
	}
}

// waitProcess reaps the process. Readers normally end at EOF; if a grandchild keeps a pipe open,
// closing our ends after a grace period unblocks them.
func (a *Adapter) waitProcess(outR, errR *os.File, readersDone <-chan struct{}) {
	err := a.cmd.Wait()
	code := 0
	var sig syscall.Signal
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Exited() {
				code = ws.ExitStatus()
			} else if ok && ws.Signaled() {
				sig = ws.Signal()
			}
		}
	}
	select {
	case <-readersDone:
	case <-time.After(2 * time.Second):
		_ = outR.Close()
		_ = errR.Close()
		<-readersDone
	}
	a.logf("exited with code %d", code)
	a.mu.Lock()
	a.exited = true
	a.exitCode, a.exitSignal = code, sig
	a.broadcastLocked()
	a.mu.Unlock()
	close(a.exitCh)
}

func (a *Adapter) broadcastLocked() {
	close(a.wake)
	a.wake = make(chan struct{})
}

// Name returns the adapter's label.
func (a *Adapter) Name() string { return a.name }

// Ready returns the adapter's "ready" event.
func (a *Adapter) Ready() Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ready
}

// Pid returns the adapter's process id.
func (a *Adapter) Pid() int { return a.cmd.Process.Pid }

// Signal sends sig to the adapter process (e.g. SIGSTOP to freeze it, SIGTERM to stop it).
func (a *Adapter) Signal(sig os.Signal) error { return a.cmd.Process.Signal(sig) }

// Mark returns the number of events received so far: a position to WaitFor from.
func (a *Adapter) Mark() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events)
}

// Events returns a copy of every event received so far.
func (a *Adapter) Events() []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Event(nil), a.events...)
}

// EventsSince returns the events from position from on that match p (nil: all).
func (a *Adapter) EventsSince(from int, p Predicate) []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Event
	for i := max(from, 0); i < len(a.events); i++ {
		if p == nil || p(a.events[i]) {
			out = append(out, a.events[i])
		}
	}
	return out
}

// Violations returns the stdout lines that were not valid events (the contract allows none).
func (a *Adapter) Violations() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.violations...)
}

// Stderr returns the tail of the adapter's stderr.
func (a *Adapter) Stderr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stderr.String()
}

// Exited is closed when the process has ended and its output has been read.
func (a *Adapter) Exited() <-chan struct{} { return a.exitCh }

// ExitCode returns the exit code (-1 for death by signal) once Exited is closed.
func (a *Adapter) ExitCode() (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.exitCode, a.exited
}

// ExitDescription says how the process ended, once Exited is closed: "was killed
// by SIGSEGV" for a death by signal (also when a wrapper shell reports it as
// 128+N, as the peers of newer Qt versions run through their root's loader
// do), else "exited with code N"; empty while it runs.
func (a *Adapter) ExitDescription() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case !a.exited:
		return ""
	case a.exitSignal != 0:
		return "was killed by " + signalName(a.exitSignal)
	case a.exitCode > 128 && a.exitCode < 128+65:
		return fmt.Sprintf("was killed by %s (exit code %d from a wrapper)", signalName(syscall.Signal(a.exitCode-128)), a.exitCode)
	}
	return fmt.Sprintf("exited with code %d", a.exitCode)
}

// signalName is SIGSEGV for a segmentation fault, and so on.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprintf("signal %d (%s)", int(s), s)
}

// Wait waits for the process to end and returns its exit code.
func (a *Adapter) Wait(ctx context.Context) (int, error) {
	select {
	case <-a.exitCh:
		code, _ := a.ExitCode()
		return code, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("adapter %s: waiting for exit: %w", a.name, ctx.Err())
	}
}

// WaitFor returns the first event at position from or later that matches p. It fails when ctx ends
// (the error says what arrived last) or when the process exits without such an event (*ExitError,
// or an error matching ErrUnsupported for exit code 127).
func (a *Adapter) WaitFor(ctx context.Context, from int, p Predicate) (Event, error) {
	for {
		a.mu.Lock()
		for i := max(from, 0); i < len(a.events); i++ {
			if p(a.events[i]) {
				ev := a.events[i]
				a.mu.Unlock()
				return ev, nil
			}
		}
		done := a.exited
		wake := a.wake
		a.mu.Unlock()
		if done {
			return Event{}, a.exitError("an event")
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("adapter %s: %w; last events: %s", a.name, ctx.Err(), a.lastEvents(4))
		}
	}
}

// Next is WaitFor with a cursor: it starts at *cursor and moves it past the returned event, so
// successive calls consume events in order.
func (a *Adapter) Next(ctx context.Context, cursor *int, p Predicate) (Event, error) {
	ev, err := a.WaitFor(ctx, *cursor, p)
	if err == nil {
		*cursor = ev.Seq + 1
	}
	return ev, err
}

func (a *Adapter) exitError(waiting string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.exitCode == 127 {
		return a.unsupportedErrorLocked()
	}
	e := &ExitError{Name: a.name, Code: a.exitCode, Waiting: waiting, Stderr: truncate(a.stderr.String(), 2000),
		Events: append([]Event(nil), a.events...)}
	for i := len(a.events) - 1; i >= 0; i-- {
		if a.events[i].Name == contract.EvFatal {
			ev := a.events[i]
			e.Fatal = &ev
			break
		}
	}
	return e
}

func (a *Adapter) unsupportedError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.unsupportedErrorLocked()
}

func (a *Adapter) unsupportedErrorLocked() error {
	e := &UnsupportedError{Name: a.name, Stderr: truncate(a.stderr.String(), 2000), Events: append([]Event(nil), a.events...)}
	for i := len(a.events) - 1; i >= 0; i-- {
		if a.events[i].Name == contract.EvUnsupported {
			e.Feature = a.events[i].Str("feature")
			e.Message = a.events[i].Str("message")
			break
		}
	}
	return e
}

func (a *Adapter) lastEvents(n int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var parts []string
	for i := max(0, len(a.events)-n); i < len(a.events); i++ {
		parts = append(parts, truncate(string(a.events[i].Raw), 300))
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, " | ")
}

// Send writes one command and returns its id (assigned as "c<N>" when the command has none; an id
// of another JSON type is kept and returned in its fmt.Sprint form).
func (a *Adapter) Send(c Command) (string, error) {
	id, err := a.send(c)
	return fmt.Sprint(id), err
}

// send writes c and returns the id value as it went on the wire.
func (a *Adapter) send(c Command) (any, error) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, ErrClosed
	}
	id, ok := c["id"]
	if !ok || id == nil {
		a.nextID++
		id = "c" + strconv.Itoa(a.nextID)
		c = c.With("id", id)
	}
	a.mu.Unlock()
	line, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("adapter %s: encode command: %w", a.name, err)
	}
	a.logf("<- %s", line)
	return id, a.SendRaw(append(line, '\n'))
}

// SendRaw writes bytes to the adapter's stdin as they are (for malformed-input checks).
func (a *Adapter) SendRaw(b []byte) error {
	_ = a.stdin.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
	if _, err := a.stdin.Write(b); err != nil {
		select {
		case <-a.exitCh:
			return a.exitError("a command to be read")
		default:
		}
		return fmt.Errorf("adapter %s: write command: %w", a.name, err)
	}
	return nil
}

// Do sends a command and waits for its "result" event. A result with "ok": false is returned as a
// *CommandError (the event is returned too).
func (a *Adapter) Do(ctx context.Context, c Command) (Event, error) {
	mark := a.Mark()
	id, err := a.send(c)
	if err != nil {
		return Event{}, err
	}
	ev, err := a.WaitFor(ctx, mark, Named(contract.EvResult, Field("id", id)))
	if err != nil {
		return Event{}, fmt.Errorf("adapter %s: %s: %w", a.name, c.Name(), err)
	}
	if ok, _ := ev.Bool("ok"); !ok {
		return ev, &CommandError{Cmd: c.Name(), Code: ev.Str("error"), Message: ev.Str("message"), Result: ev}
	}
	return ev, nil
}

// CloseStdin closes the adapter's stdin (the contract says: exit cleanly).
func (a *Adapter) CloseStdin() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stdin.Close()
}

// Close stops the adapter: an "exit" command, then SIGTERM, then SIGKILL (to its process group), and
// reaps it. It waits for every goroutine of the adapter and is safe to call twice.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		a.wg.Wait()
		return nil
	}
	a.closed = true
	a.mu.Unlock()

	select {
	case <-a.exitCh:
	default:
		_ = a.stdin.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = a.stdin.Write([]byte(`{"cmd":"exit","id":"close"}` + "\n"))
		if !a.waitExit(a.exitTimeout) {
			a.logf("no exit after the exit command: SIGTERM")
			proc.SignalGroup(a.cmd, syscall.SIGTERM, true)
			if !a.waitExit(a.killTimeout) {
				a.logf("no exit after SIGTERM: SIGKILL")
				proc.SignalGroup(a.cmd, syscall.SIGKILL, true)
			}
		}
	}
	<-a.exitCh
	// The process is gone; make sure nothing it left in its group survives it.
	proc.SignalGroup(a.cmd, syscall.SIGKILL, false)
	_ = a.stdin.Close()
	a.wg.Wait()
	return nil
}

func (a *Adapter) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a.exitCh:
		return true
	case <-t.C:
		return false
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
