package node

import (
	"net"
	"sync"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// sendQueue is a connection's outgoing buffer and its writer. Packets are
// encoded straight into the pending buffer under the lock; the writer swaps
// buffers and writes everything pending in one call, so packets queued while
// a write is in flight coalesce into the next one.
type sendQueue struct {
	mu      sync.Mutex
	enc     *qds.Encoder // encodes into the pending buffer
	d       wire.Dialect
	max     int
	closed  bool
	err     error
	wake    chan struct{}
	done    chan struct{}
	onError func(error) // called once, from the writer, when writing fails
}

func newSendQueue(d wire.Dialect, types *qds.Types, max int) *sendQueue {
	return &sendQueue{
		enc:  qds.NewEncoder(nil, d.Stream(), types), // grows on first use: idle connections cost nothing
		d:    d,
		max:  max,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

func (q *sendQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// send encodes packets into the queue as one unit.
func (q *sendQueue) send(ps ...wire.Packet) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	at := q.enc.Len()
	for _, p := range ps {
		wire.AppendPacket(q.enc, q.d, p)
	}
	if err := q.enc.Err(); err != nil {
		q.enc.Reset(q.enc.Bytes()[:at])
		q.mu.Unlock()
		return &wire.ProtocolError{Code: ProtocolMismatch, Packet: ps[0].Type(), Err: err}
	}
	err := q.checkLimitLocked()
	q.mu.Unlock()
	q.signal()
	return err
}

// sendRaw queues frames already encoded in this queue's dialect.
func (q *sendQueue) sendRaw(frames []byte) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.enc.Raw(frames)
	err := q.checkLimitLocked()
	q.mu.Unlock()
	q.signal()
	return err
}

func (q *sendQueue) checkLimitLocked() error {
	if q.enc.Len() > q.max {
		q.closed = true
		q.err = ErrSlowConsumer
		return ErrSlowConsumer
	}
	return nil
}

// close stops the queue; the writer writes nothing more and exits.
func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// run writes queued bytes to c until the queue is closed or a write fails.
// When the queue was closed by close (not by an error), what was queued
// before is still written: a graceful close flushes.
func (q *sendQueue) run(c net.Conn) {
	defer close(q.done)
	var spare []byte
	for {
		<-q.wake
		for {
			q.mu.Lock()
			b := q.enc.Bytes()
			closed, failed := q.closed, q.err
			if len(b) == 0 || failed != nil {
				q.mu.Unlock()
				if failed != nil && q.onError != nil {
					q.onError(failed)
				}
				if closed || failed != nil {
					return
				}
				break
			}
			q.enc.Reset(spare[:0])
			q.mu.Unlock()
			if _, err := c.Write(b); err != nil {
				q.mu.Lock()
				q.closed, q.err = true, err
				q.mu.Unlock()
				if q.onError != nil {
					q.onError(err)
				}
				return
			}
			if cap(b) > 1<<20 {
				b = make([]byte, 0, 4096) // don't pin a burst's buffer forever
			}
			spare = b
		}
	}
}
