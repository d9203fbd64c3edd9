package modelload

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Proc is a model host or replica process of the protocol, driven by
// loadgen.
type Proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{} // closed when the process has exited
	// First is the process's first line ("listening URL" or "ready").
	First string
	name  string

	mu      sync.Mutex
	waitErr error
	other   []map[string]any // events no Wait asked for (the first 1,000)
}

// ErrExited is returned when the process ended while a reply was awaited.
var ErrExited = errors.New("modelload: process exited")

// Start starts argv (a --model-load-host or --model-load-replica command
// line) with env added to this process's environment, logs its stderr
// and unparsed lines to log (nil: discarded), and waits for its first line.
func Start(ctx context.Context, name string, argv, env []string, log io.Writer) (*Proc, error) {
	if log == nil {
		log = io.Discard
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = prefixWriter{log, name + ": "}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &Proc{cmd: cmd, stdin: stdin, lines: make(chan string, 64), done: make(chan struct{}), name: name}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	select {
	case l, ok := <-p.lines:
		if !ok {
			<-p.done
			return nil, fmt.Errorf("%s: %w before its first line (%v)", name, ErrExited, p.ExitErr())
		}
		p.First = l
	case <-wctx.Done():
		p.Close()
		return nil, fmt.Errorf("%s: no first line: %w", name, wctx.Err())
	}
	return p, nil
}

// URL is the host's URL from its "listening URL" line.
func (p *Proc) URL() string { return strings.TrimPrefix(p.First, "listening ") }

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Send writes one command line.
func (p *Proc) Send(cmd string) error {
	_, err := io.WriteString(p.stdin, cmd+"\n")
	return err
}

// Wait waits up to d for a JSON line whose event is want (or that has an
// "error" field: an error) and returns it.
func (p *Proc) Wait(ctx context.Context, d time.Duration, want string) (map[string]any, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				<-p.done
				return nil, fmt.Errorf("%s: %w (%v) waiting for %q", p.name, ErrExited, p.ExitErr(), want)
			}
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) != nil {
				continue
			}
			if e, ok := m["error"]; ok {
				return m, fmt.Errorf("%s: %v (command %v)", p.name, e, m["cmd"])
			}
			if m["event"] == want {
				return m, nil
			}
			p.mu.Lock()
			if len(p.other) < 1000 {
				p.other = append(p.other, m)
			}
			p.mu.Unlock()
		case <-t.C:
			return nil, fmt.Errorf("%s: no %q within %s", p.name, want, d)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Do sends cmd and waits for the event want.
func (p *Proc) Do(ctx context.Context, d time.Duration, cmd, want string) (map[string]any, error) {
	if err := p.Send(cmd); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.name, cmd, err)
	}
	return p.Wait(ctx, d, want)
}

// Others returns the events named name that arrived while Wait waited for
// another (the first 1,000 events of all names are kept).
func (p *Proc) Others(name string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.other {
		if m["event"] == name {
			out = append(out, m)
		}
	}
	return out
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitErr is the process's exit status once it has ended (nil: exit 0 or
// still running).
func (p *Proc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Close ends the process: EOF on stdin, then SIGKILL after 3 s. Lines
// not read yet are discarded.
func (p *Proc) Close() {
	_ = p.stdin.Close()
	go func() {
		for range p.lines { // drain, so that the reader reaches the end
		}
	}()
	select {
	case <-p.done:
		return
	case <-time.After(3 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			_, _ = io.WriteString(p.w, p.prefix+l)
		}
	}
	return len(b), nil
}
