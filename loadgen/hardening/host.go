package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/proc"
)

// host is one adapter process in the host role (specs/ADAPTER.md §2), started
// directly (not through specs/adapter) so that every stderr byte is counted and
// a crash signal is visible.
type host struct {
	target string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	url    string
	addr   string // 127.0.0.1:PORT
	port   int
	pid    int

	stderrBytes atomic.Int64
	done        chan struct{}
	state       *os.ProcessState

	mu     sync.Mutex
	events []map[string]any
	evWake chan struct{}
}

type hostOpts struct {
	typ    string // testobject | tick
	nofile int    // >0: wrap in prlimit --nofile=N:N
}

func commandFor(target string, o hostOpts) []string {
	var argv []string
	switch target {
	case "go":
		argv = []string{*goBin, "adapter", "host"}
	case "qt6":
		argv = []string{*qt6Bin, "host"}
	default:
		panic("unknown target " + target)
	}
	argv = append(argv, "--url", "tcp://127.0.0.1:0", "--type", o.typ)
	if o.nofile > 0 {
		n := strconv.Itoa(o.nofile)
		argv = append([]string{"prlimit", "--nofile=" + n + ":" + n, "--"}, argv...)
	}
	return argv
}

func startHost(target string, o hostOpts) (*host, error) {
	argv := commandFor(target, o)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C.UTF-8", "QTRO_ADAPTER_CONTRACT=2")
	proc.SetGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %v: %w", argv, err)
	}
	h := &host{target: target, cmd: cmd, stdin: stdin, done: make(chan struct{}), evWake: make(chan struct{}, 1), pid: cmd.Process.Pid}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		br := bufio.NewReaderSize(stdout, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				var ev map[string]any
				if json.Unmarshal(line, &ev) == nil {
					h.mu.Lock()
					h.events = append(h.events, ev)
					h.mu.Unlock()
					select {
					case h.evWake <- struct{}{}:
					default:
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := stderr.Read(buf)
			h.stderrBytes.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	go func() {
		readers.Wait()
		_ = cmd.Wait()
		h.state = cmd.ProcessState
		close(h.done)
	}()
	ev, err := h.waitEvent(20*time.Second, func(ev map[string]any) bool { return ev["event"] == "ready" })
	if err != nil {
		h.close()
		return nil, fmt.Errorf("%s host: no ready event: %w (status %s)", target, err, h.status())
	}
	h.url, _ = ev["url"].(string)
	if p, ok := ev["pid"].(float64); ok && p > 0 {
		h.pid = int(p)
	}
	h.addr = strings.TrimPrefix(h.url, "tcp://")
	_, ps, _ := net.SplitHostPort(h.addr)
	h.port, _ = strconv.Atoi(ps)
	return h, nil
}

// waitEvent waits for the first event (from the start) satisfying match.
func (h *host) waitEvent(d time.Duration, match func(map[string]any) bool) (map[string]any, error) {
	deadline := time.After(d)
	seen := 0
	// scan looks at the events not seen yet.
	scan := func() map[string]any {
		h.mu.Lock()
		defer h.mu.Unlock()
		for ; seen < len(h.events); seen++ {
			if match(h.events[seen]) {
				return h.events[seen]
			}
		}
		return nil
	}
	for {
		if ev := scan(); ev != nil {
			return ev, nil
		}
		select {
		case <-h.evWake:
		case <-h.done:
			// drain once more, then fail
			if ev := scan(); ev != nil {
				return ev, nil
			}
			return nil, errors.New("process exited")
		case <-deadline:
			return nil, errors.New("timeout")
		}
	}
}

func (h *host) findEvent(match func(map[string]any) bool) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if match(ev) {
			return ev
		}
	}
	return nil
}

// send writes one JSON command line to the host's stdin.
func (h *host) send(cmd map[string]any) error {
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	_, err = h.stdin.Write(append(b, '\n'))
	return err
}

func (h *host) exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// alive: the process has not exited and /proc/PID exists.
func (h *host) alive() bool {
	if h.exited() {
		return false
	}
	_, err := os.Stat(fmt.Sprintf("/proc/%d", h.pid))
	return err == nil
}

// status: "alive", "exited (code N)" or "crashed (SIGNAME)".
func (h *host) status() string {
	if !h.exited() {
		return "alive"
	}
	if h.state == nil {
		return "exited"
	}
	if ws, ok := h.state.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			return fmt.Sprintf("crashed (%s)", sigName(ws.Signal()))
		}
		return fmt.Sprintf("exited (code %d)", ws.ExitStatus())
	}
	return "exited"
}

func sigName(s syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGSEGV: "SIGSEGV", syscall.SIGABRT: "SIGABRT", syscall.SIGKILL: "SIGKILL",
		syscall.SIGBUS: "SIGBUS", syscall.SIGTERM: "SIGTERM", syscall.SIGPIPE: "SIGPIPE", syscall.SIGFPE: "SIGFPE", syscall.SIGILL: "SIGILL"}
	if n, ok := names[s]; ok {
		return n
	}
	return s.String()
}

// close stops the host: exit command + stdin EOF, then SIGKILL to its group after 3 s.
func (h *host) close() {
	if !h.exited() {
		_ = h.send(map[string]any{"cmd": "exit", "id": "close"})
		_ = h.stdin.Close()
		select {
		case <-h.done:
		case <-time.After(3 * time.Second):
			proc.SignalGroup(h.cmd, syscall.SIGKILL, true)
			<-h.done
		}
	}
	proc.SignalGroup(h.cmd, syscall.SIGKILL, false)
}

// rssKiB reads VmRSS of pid (0 when unavailable).
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

// rssSampler samples VmRSS every 100 ms and keeps the peak.
type rssSampler struct {
	peak atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
}

func sampleRSS(pid int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	s.peak.Store(rssKiB(pid))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if v := rssKiB(pid); v > s.peak.Load() {
					s.peak.Store(v)
				}
			}
		}
	}()
	return s
}

func (s *rssSampler) Stop() int64 {
	close(s.stop)
	s.wg.Wait()
	return s.peak.Load()
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// ---- raw Qt 6 frames ----

func frameHeader(size uint32, typ uint16) []byte {
	b := make([]byte, 6)
	binary.LittleEndian.PutUint32(b, size)
	binary.LittleEndian.PutUint16(b[4:], typ)
	return b
}

// readFrameType reads one Qt 6 frame and returns its type (body discarded).
func readFrameType(r io.Reader) (uint16, error) {
	var hdr [6]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	size := binary.LittleEndian.Uint32(hdr[:4])
	if size < 2 || size > 256<<20 {
		return 0, fmt.Errorf("bad frame size %d", size)
	}
	typ := binary.LittleEndian.Uint16(hdr[4:])
	if _, err := io.CopyN(io.Discard, r, int64(size)-2); err != nil {
		return typ, err
	}
	return typ, nil
}

func addObjectFrame(name string) []byte {
	var buf bytes.Buffer
	w := wire.NewWriter(&buf, wire.Qt6, qds.NewTypes(wire.Qt6.Types()))
	_ = w.WritePacket(&wire.AddObjectPacket{Name: name, Dynamic: false})
	_ = w.Flush()
	return buf.Bytes()
}

// acquire dials, reads Handshake + ObjectList, sends AddObject(name, false)
// and waits for the InitPacket. It returns the open connection (the caller
// decides whether to keep reading).
func acquire(ctx context.Context, addr, name string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	br := bufio.NewReader(c)
	fail := func(err error) (net.Conn, error) { c.Close(); return nil, err }
	t, err := readFrameType(br)
	if err != nil {
		return fail(fmt.Errorf("handshake: %w", err))
	}
	if t != uint16(wire.Handshake) {
		return fail(fmt.Errorf("first frame type %d", t))
	}
	if t, err = readFrameType(br); err != nil || t != uint16(wire.ObjectList) {
		return fail(fmt.Errorf("object list: type %d, %v", t, err))
	}
	if _, err := c.Write(addObjectFrame(name)); err != nil {
		return fail(err)
	}
	for {
		t, err := readFrameType(br)
		if err != nil {
			return fail(fmt.Errorf("waiting for Init: %w", err))
		}
		if t == uint16(wire.InitPacket) {
			break
		}
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// probeResult is a "fresh client" probe: time from dial to the InitPacket.
type probeResult struct {
	d   time.Duration
	err error
}

func (p probeResult) String() string {
	if p.err != nil {
		if errors.Is(p.err, context.DeadlineExceeded) || errors.Is(p.err, os.ErrDeadlineExceeded) {
			return "no (10 s timeout)"
		}
		return "no (" + shortErr(p.err) + ")"
	}
	return fmtDur(p.d)
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s) > 60 {
		s = s[i+2:]
	}
	return s
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func probe(addr, name string) probeResult {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	c, err := acquire(ctx, addr, name)
	d := time.Since(start)
	if err != nil {
		return probeResult{d: d, err: err}
	}
	c.Close()
	return probeResult{d: d}
}

// probeAsync starts a probe now and returns a channel with its result.
func probeAsync(addr, name string) <-chan probeResult {
	ch := make(chan probeResult, 1)
	go func() { ch <- probe(addr, name) }()
	return ch
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
