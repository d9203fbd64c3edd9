package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/qtro/qtro/internal/proc"
)

// ErrNotExited is returned by [Process.ExitCode] while the process runs.
var ErrNotExited = errors.New("harness: process has not exited")

// Process is one running peer, native or in a container. Its stdin, stdout and
// stderr are recorded in the case's artifact directory as <name>.stdin,
// <name>.stdout, <name>.stderr and in transcript.log.
type Process struct {
	name   string
	where  string // "native pid 123" or "container 0123abcd"
	stdin  *stdinWriter
	stdout *pipeBuffer
	errBuf *pipeBuffer
	stderr *proc.Tail

	done     chan struct{}
	exitCode int
	waitErr  error

	kill    func(ctx context.Context) error
	cleanup func(ctx context.Context) error
	once    sync.Once
}

// Name is the peer's name in its case: network alias, artifact file prefix.
func (p *Process) Name() string { return p.name }

// String says which peer this is and where it runs.
func (p *Process) String() string { return p.name + " (" + p.where + ")" }

// Stdin is the peer's standard input. Closing it closes the peer's stdin (EOF),
// natively and in a container alike.
func (p *Process) Stdin() io.WriteCloser { return p.stdin }

// Stdout is the peer's standard output. It never blocks the peer: output is
// buffered until read, and the reader sees io.EOF after the peer exits.
func (p *Process) Stdout() io.Reader { return p.stdout }

// Stderr is the peer's standard error, buffered like Stdout. Reading it is
// optional: StderrTail and <name>.stderr have it too.
func (p *Process) Stderr() io.Reader { return p.errBuf }

// StderrTail returns the last few KiB the peer wrote to stderr.
func (p *Process) StderrTail() string { return p.stderr.String() }

// Done is closed when the peer has exited and its output is fully collected.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the peer to exit and returns its exit code: the process's own
// code, or 128+signal when a signal ended it (as Docker reports it). The error
// is ctx's error if ctx ends first, or why the exit status could not be had.
func (p *Process) Wait(ctx context.Context) (int, error) {
	select {
	case <-p.done:
		return p.exitCode, p.waitErr
	case <-ctx.Done():
		return -1, fmt.Errorf("waiting for %s: %w", p.name, ctx.Err())
	}
}

// ExitCode returns the exit code without waiting, or ErrNotExited.
func (p *Process) ExitCode() (int, error) {
	select {
	case <-p.done:
		return p.exitCode, p.waitErr
	default:
		return -1, ErrNotExited
	}
}

// Kill ends the peer at once (SIGKILL); it is not an error if it already exited.
func (p *Process) Kill(ctx context.Context) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	return p.kill(ctx)
}

// Stop closes the peer's stdin, gives it grace to exit on its own, then kills
// it, and returns its exit code.
func (p *Process) Stop(ctx context.Context, grace time.Duration) (int, error) {
	_ = p.stdin.Close()
	gctx, cancel := context.WithTimeout(ctx, grace)
	code, err := p.Wait(gctx)
	cancel()
	if err == nil {
		return code, nil
	}
	if kerr := p.Kill(ctx); kerr != nil {
		return -1, kerr
	}
	return p.Wait(ctx)
}

// close stops the peer if needed and releases what it holds (container, files).
func (p *Process) close(ctx context.Context) error {
	var err error
	p.once.Do(func() {
		_, werr := p.Stop(ctx, 2*time.Second)
		err = werr
		if p.cleanup != nil {
			err = errors.Join(err, p.cleanup(ctx))
		}
	})
	return err
}

// artifacts are the files and tees recording one peer's streams.
type artifacts struct {
	files                 []*os.File
	stdinRec              io.Writer
	outW, errW            io.Writer
	inTee, outTee, errTee *lineTee
	stdout, errBuf        *pipeBuffer
	stderr                *proc.Tail
}

func newArtifacts(dir, name string, t *transcript) (*artifacts, error) {
	a := &artifacts{stdout: newPipeBuffer(), errBuf: newPipeBuffer(), stderr: proc.NewTail(8192)}
	open := func(ext string) (*os.File, error) {
		f, err := os.Create(filepath.Join(dir, name+"."+ext))
		if err == nil {
			a.files = append(a.files, f)
		}
		return f, err
	}
	in, err := open("stdin")
	if err != nil {
		return nil, err
	}
	out, err := open("stdout")
	if err != nil {
		a.closeFiles()
		return nil, err
	}
	errf, err := open("stderr")
	if err != nil {
		a.closeFiles()
		return nil, err
	}
	pad := fmt.Sprintf("%-10s", name)
	a.inTee = &lineTee{t: t, tag: pad + " stdin "}
	a.outTee = &lineTee{t: t, tag: pad + " stdout"}
	a.errTee = &lineTee{t: t, tag: pad + " stderr"}
	a.stdinRec = in
	a.outW = io.MultiWriter(out, a.outTee, a.stdout)
	a.errW = io.MultiWriter(errf, a.errTee, a.stderr, a.errBuf)
	return a, nil
}

// finish marks the end of the peer's output.
func (a *artifacts) finish() {
	a.outTee.Flush()
	a.errTee.Flush()
	a.stdout.CloseWrite()
	a.errBuf.CloseWrite()
	a.closeFiles()
}

func (a *artifacts) closeFiles() {
	for _, f := range a.files {
		_ = f.Close()
	}
	a.files = nil
}

// startNative runs bin with args as a child process.
func startNative(name, dir string, a *artifacts, bin string, args, env []string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = a.outW
	cmd.Stderr = a.errW
	// Its own process group, so a Ctrl-C of the test run does not hit it twice.
	proc.SetGroup(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &Process{
		name:   name,
		where:  fmt.Sprintf("native pid %d", cmd.Process.Pid),
		stdout: a.stdout,
		errBuf: a.errBuf,
		stderr: a.stderr,
		done:   make(chan struct{}),
		stdin:  &stdinWriter{rec: a.stdinRec, tee: a.inTee, dst: in, closeFn: in.Close},
	}
	p.kill = func(context.Context) error {
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return err
		}
		return nil
	}
	go func() {
		err := cmd.Wait()
		p.exitCode, p.waitErr = nativeExitCode(cmd.ProcessState, err)
		a.finish()
		close(p.done)
	}()
	return p, nil
}

// nativeExitCode maps a wait status to a shell-style exit code.
func nativeExitCode(st *os.ProcessState, err error) (int, error) {
	if st == nil {
		return -1, err
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		// The process exited but copying its output failed.
		return st.ExitCode(), err
	}
	return st.ExitCode(), nil
}
