package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// coalesceGap decides how a send reaches the socket. A connection that
// wrote something less than this long ago is busy: its sends go to the
// writer goroutine, which coalesces everything queued meanwhile into one
// write (how a burst of single changes becomes few syscalls). A connection
// idle for longer writes inline, from the sender, with one non-blocking
// write: no goroutine handoff on the latency path of sporadic traffic, and
// no writer goroutine at all on connections that only ever say a few
// packets (a 10,000-replica storm).
const coalesceGap = 50 * time.Microsecond

// clockBase anchors mono, a cheap monotonic clock for coalesceGap.
var clockBase = time.Now()

func mono() int64 { return int64(time.Since(clockBase)) }

// sendQueue is a connection's outgoing buffer and its writers. Packets are
// encoded straight into the pending buffer under the lock. Whoever owns
// the socket (the writing flag: an inline sender, or the writer goroutine)
// takes everything pending and writes it in one call, so bytes leave in
// queue order and packets queued during a write coalesce into the next.
//
// The writer goroutine starts on the first send that finds the connection
// busy (or on any send if the transport has no non-blocking write) and
// lives until the queue closes. Inline writes never block: what the socket
// does not take goes to the writer goroutine, so one slow peer never holds
// up the goroutine that sends to many.
type sendQueue struct {
	mu      sync.Mutex
	enc     *qds.Encoder // encodes into the pending buffer
	d       Dialect
	max     int
	conn    net.Conn
	raw     syscall.RawConn // nil: no non-blocking write; always the writer goroutine
	closed  bool
	err     error
	writing bool   // an inline sender or the writer goroutine owns the socket
	head    []byte // what an inline write left unwritten: goes out first
	spare   []byte // the other buffer of the double buffer
	lastEnd int64  // mono() when the last write ended
	started bool   // the writer goroutine runs
	ended   bool   // done is closed
	wake    chan struct{}
	done    chan struct{} // closed once the queue is closed and no writer is left
	errOnce sync.Once
	onError func(error) // called once, without q.mu, when writing fails or the bound is hit
	// spelling is the Qt 6 spelling of registered type families the peer
	// was seen to use (RegisterQt6Spellings); nil: not learnt yet.
	spelling atomic.Pointer[renames]
	// writeTimeout, when set, fails the writer goroutine's write with
	// ErrSlowConsumer once the peer has taken no byte for that long.
	writeTimeout time.Duration
	// budget, when set, is the host-wide bound on unsent bytes this queue
	// shares with the host's other connections; acct is this queue's part
	// of it (queued, being written, or left unwritten).
	budget *sendBudget
	acct   int64
	// The inline write in progress (tryWrite), owned by whoever holds the
	// socket (writing): what to write, how much went, how it failed, and
	// the function RawConn.Write calls, made once.
	wb      []byte
	wn      int
	werr    error
	writeFd func(fd uintptr) bool
}

// sendBudget bounds the unsent bytes of all of a host's send queues
// together (Config.MaxSendQueueTotal), so many slow consumers that each
// stay under MaxSendQueue cannot exhaust memory together. When the total
// passes it, the queue that grows is cut off as a slow consumer only if
// it holds more than an even share: the peers that do not read go, the
// ones that keep up stay.
type sendBudget struct {
	max    int64
	used   atomic.Int64
	queues atomic.Int64
}

func newSendBudget(max int64) *sendBudget { return &sendBudget{max: max} }

// attach makes q share the budget b.
func (q *sendQueue) attach(b *sendBudget) {
	if b != nil {
		q.budget = b
		b.queues.Add(1)
	}
}

// accountLocked adds n (negative: bytes written or dropped) to the
// queue's part of the budget.
func (q *sendQueue) accountLocked(n int64) {
	if q.budget != nil && n != 0 {
		q.acct += n
		q.budget.used.Add(n)
	}
}

func newSendQueue(conn net.Conn, d Dialect, types *Types, max int) *sendQueue {
	q := &sendQueue{
		enc:  qds.NewEncoder(nil, d.Stream(), types), // grows on first use: idle connections cost nothing
		d:    d,
		max:  max,
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	q.raw = inlineWriter(conn)
	return q
}

// send encodes packets into the queue as one unit and starts writing them.
// It may write inline; callers holding a lock that many connections share
// use enqueue and kick after unlocking instead.
func (q *sendQueue) send(ps ...wire.Packet) error {
	err := q.enqueue(ps...)
	q.kick(true)
	return err
}

// enqueue encodes packets into the queue as one unit without writing.
// The caller must kick the queue afterwards.
func (q *sendQueue) enqueue(ps ...wire.Packet) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	at := q.enc.Len()
	for _, p := range ps {
		wire.AppendPacket(q.enc, p)
	}
	if err := q.enc.Err(); err != nil {
		q.enc.Reset(q.enc.Bytes()[:at])
		q.mu.Unlock()
		return &wire.ProtocolError{Code: ProtocolMismatch, Packet: ps[0].Type(), Err: err}
	}
	q.accountLocked(int64(q.enc.Len() - at))
	err := q.checkLimitLocked()
	q.mu.Unlock()
	return err
}

// sendRaw queues frames already encoded in this queue's dialect and starts
// writing them, inline only if inline is true.
func (q *sendQueue) sendRaw(frames []byte, inline bool) error {
	err := q.enqueueRaw(frames)
	if err != ErrClosed {
		q.kick(inline)
	}
	return err
}

// enqueueRaw queues frames already encoded in this queue's dialect without
// writing. The caller must kick the queue afterwards.
func (q *sendQueue) enqueueRaw(frames []byte) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.enc.Raw(frames)
	q.accountLocked(int64(len(frames)))
	err := q.checkLimitLocked()
	q.mu.Unlock()
	return err
}

func (q *sendQueue) checkLimitLocked() error {
	switch {
	case q.enc.Len() > q.max:
		q.closed, q.err = true, ErrSlowConsumer
	case q.budget != nil && q.budget.used.Load() > q.budget.max &&
		q.acct > q.budget.max/max(q.budget.queues.Load(), 1):
		q.closed, q.err = true, ErrSendBudget
	}
	return q.err
}

// kick gets pending bytes moving: written inline if allowed and the
// connection is idle, else by the writer goroutine.
func (q *sendQueue) kick(inline bool) {
	q.mu.Lock()
	if err := q.err; err != nil {
		q.signalLocked() // a parked writer goroutine ends
		q.mu.Unlock()
		q.fail(err)
		return
	}
	if q.writing || (q.enc.Len() == 0 && len(q.head) == 0) {
		q.mu.Unlock()
		return // the owner of the socket picks the bytes up when it is done
	}
	if !inline || q.raw == nil || q.closed || len(q.head) > 0 || mono()-q.lastEnd < int64(coalesceGap) {
		q.wakeWriterLocked()
		q.mu.Unlock()
		return
	}
	q.writing = true
	b := q.takeLocked()
	q.mu.Unlock()

	n, err := q.tryWrite(b)

	q.mu.Lock()
	q.endInlineLocked(b, n, err)
	q.mu.Unlock()
	if err != nil {
		q.fail(err)
	}
}

// endInlineLocked gives the socket back after an inline write of b that
// wrote n bytes or failed with err.
func (q *sendQueue) endInlineLocked(b []byte, n int, err error) {
	q.accountLocked(-int64(max(n, 0)))
	q.writing = false
	q.lastEnd = mono()
	switch {
	case err != nil:
		q.closed, q.err = true, err
		q.signalLocked()
	case n < len(b):
		q.head = b[n:] // the socket is full: the writer goroutine waits for room
		q.wakeWriterLocked()
	default:
		q.recycleLocked(b)
		if q.enc.Len() > 0 {
			q.wakeWriterLocked() // queued while we wrote
		} else if q.closed {
			// Closed while we wrote: a writer goroutine that parked
			// because we owned the socket must see it and end, or done
			// never closes (a Host.Close hung on this).
			q.signalLocked()
		}
	}
	q.finishLocked()
}

// takeLocked hands the owner of the socket everything pending.
func (q *sendQueue) takeLocked() []byte {
	if len(q.head) > 0 {
		b := q.head
		q.head = nil
		return b
	}
	b := q.enc.Bytes()
	if len(b) == 0 {
		return nil
	}
	q.enc.Reset(q.spare[:0])
	q.spare = nil
	return b
}

// recycleLocked keeps a written buffer as the next spare.
func (q *sendQueue) recycleLocked(b []byte) {
	if cap(b) > 1<<20 {
		return // don't pin a burst's buffer forever
	}
	q.spare = b[:0]
}

func (q *sendQueue) wakeWriterLocked() {
	if !q.started {
		q.started = true
		go q.run()
		return
	}
	q.signalLocked()
}

// signalLocked wakes the writer goroutine if there is one.
func (q *sendQueue) signalLocked() {
	if q.started {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// finishLocked closes done once nothing can write any more.
func (q *sendQueue) finishLocked() {
	if q.closed && !q.writing && !q.started && !q.ended {
		q.ended = true
		if q.budget != nil {
			q.accountLocked(-q.acct) // what was never written
			q.budget.queues.Add(-1)
		}
		close(q.done)
	}
}

// fail reports a write error or an exceeded bound, once.
func (q *sendQueue) fail(err error) {
	if q.onError != nil {
		q.errOnce.Do(func() { q.onError(err) })
	}
}

// close stops the queue. What was queued before is still written unless
// the queue failed: a graceful close flushes. done closes when that is over.
func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	if q.err == nil && !q.writing && !q.started && (q.enc.Len() > 0 || len(q.head) > 0) {
		q.wakeWriterLocked() // flush the rest
	} else {
		q.signalLocked()
	}
	q.finishLocked()
	q.mu.Unlock()
}

// writeAll writes b, blocking for room as long as the peer makes progress:
// with a writeTimeout, a peer that takes no byte for that long is a slow
// consumer. It returns how many bytes were written.
func (q *sendQueue) writeAll(b []byte) (int, error) {
	if q.writeTimeout <= 0 {
		return q.conn.Write(b)
	}
	// Inline writes (tryWrite) go through the same descriptor, whose
	// RawConn.Write fails at once under an expired deadline: clear it.
	defer func() { _ = q.conn.SetWriteDeadline(time.Time{}) }()
	written := 0
	for written < len(b) {
		_ = q.conn.SetWriteDeadline(time.Now().Add(q.writeTimeout))
		n, err := q.conn.Write(b[written:])
		written += n
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && n > 0:
			// Progress: a new deadline for the rest.
		case errors.Is(err, os.ErrDeadlineExceeded):
			return written, fmt.Errorf("%w: the peer took no byte for %s", ErrSlowConsumer, q.writeTimeout)
		default:
			return written, err
		}
	}
	return written, nil
}

// run is the writer goroutine: it writes whatever is pending, blocking for
// room as long as the peer needs, until the queue is closed and flushed or
// a write fails.
func (q *sendQueue) run() {
	q.mu.Lock()
	for {
		if q.err != nil {
			break
		}
		if !q.writing {
			b := q.takeLocked()
			if len(b) > 0 {
				q.writing = true
				q.mu.Unlock()
				n, err := q.writeAll(b)
				q.mu.Lock()
				q.accountLocked(-int64(n))
				q.writing = false
				q.lastEnd = mono()
				if err != nil {
					q.closed, q.err = true, err
					break
				}
				q.recycleLocked(b)
				continue
			}
			if q.closed {
				break
			}
		}
		// Idle, or an inline sender owns the socket (it wakes us if it
		// leaves bytes behind).
		q.mu.Unlock()
		<-q.wake
		q.mu.Lock()
	}
	err := q.err
	q.started = false
	q.closed = true
	q.finishLocked()
	q.mu.Unlock()
	if err != nil {
		q.fail(err)
	}
}
