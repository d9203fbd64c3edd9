package harness

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// pipeBuffer is an unbounded in-memory pipe: writes never block (a peer must
// never stall because a test stopped reading its stdout), reads block until
// data arrives or the writer side is closed.
type pipeBuffer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	closed bool
}

func newPipeBuffer() *pipeBuffer {
	b := &pipeBuffer{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Write appends p; after CloseWrite it fails with io.ErrClosedPipe.
func (b *pipeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.ErrClosedPipe
	}
	b.buf.Write(p)
	b.cond.Broadcast()
	return len(p), nil
}

// Read returns buffered data, blocking while the buffer is empty and open.
func (b *pipeBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.buf.Len() == 0 && !b.closed {
		b.cond.Wait()
	}
	if b.buf.Len() == 0 {
		return 0, io.EOF
	}
	return b.buf.Read(p)
}

// CloseWrite makes readers see io.EOF once the buffer is drained.
func (b *pipeBuffer) CloseWrite() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.cond.Broadcast()
}

// transcript is a case's timestamped log of every line each peer read or wrote:
// "15:04:05.000000 host5    stdin  {...}".
type transcript struct {
	mu    sync.Mutex
	f     *os.File
	start time.Time
}

func newTranscript(path string) (*transcript, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &transcript{f: f, start: time.Now()}, nil
}

// Printf writes one line stamped with the wall clock and the time since start.
func (t *transcript) Printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return
	}
	now := time.Now()
	fmt.Fprintf(t.f, "%s +%8.3fs %s\n", now.Format("15:04:05.000000"), now.Sub(t.start).Seconds(), fmt.Sprintf(format, args...))
}

func (t *transcript) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// lineTee copies complete lines written to it into the transcript, tagged with
// the peer name and the stream; Flush writes a trailing partial line.
type lineTee struct {
	t    *transcript
	tag  string
	mu   sync.Mutex
	pend []byte
}

func (l *lineTee) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pend = append(l.pend, p...)
	for {
		i := bytes.IndexByte(l.pend, '\n')
		if i < 0 {
			break
		}
		l.t.Printf("%s %s", l.tag, bytes.TrimRight(l.pend[:i], "\r"))
		l.pend = l.pend[i+1:]
	}
	return len(p), nil
}

// Flush writes any unterminated last line, marked as such.
func (l *lineTee) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pend) > 0 {
		l.t.Printf("%s %s [no newline]", l.tag, l.pend)
		l.pend = nil
	}
}

// stdinWriter records every byte a test writes to a peer (artifact file and
// transcript) before passing it on; Close closes the peer's stdin.
type stdinWriter struct {
	mu      sync.Mutex
	rec     io.Writer
	tee     *lineTee
	dst     io.Writer
	closeFn func() error
	closed  bool
}

func (w *stdinWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, io.ErrClosedPipe
	}
	_, _ = w.rec.Write(p)
	_, _ = w.tee.Write(p)
	return w.dst.Write(p)
}

// Close closes the peer's stdin once; later calls return nil.
func (w *stdinWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.tee.Flush()
	w.tee.t.Printf("%s [closed]", w.tee.tag)
	return w.closeFn()
}
