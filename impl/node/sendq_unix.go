//go:build unix

package node

import (
	"net"
	"syscall"
)

// inlineWriter returns the raw descriptor of conn for tryWrite's
// non-blocking writes (nil if conn has none: then every write goes
// through the writer goroutine).
func inlineWriter(conn net.Conn) syscall.RawConn {
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			return raw
		}
	}
	return nil
}

// tryWrite writes b without blocking and reports how much went out. Only
// the owner of the socket calls it (q.writing), so the state of the write
// lives in the queue: the function handed to RawConn.Write is made once,
// not a closure per write.
func (q *sendQueue) tryWrite(b []byte) (int, error) {
	if q.writeFd == nil {
		q.writeFd = q.writeNonBlocking
	}
	q.wb, q.wn, q.werr = b, 0, nil
	err := q.raw.Write(q.writeFd)
	if err == nil {
		err = q.werr
	}
	n := q.wn
	q.wb, q.werr = nil, nil
	return n, err
}

// writeNonBlocking writes q.wb to fd until it is written or the socket is
// full, recording progress in q.wn and a failure in q.werr.
func (q *sendQueue) writeNonBlocking(fd uintptr) bool {
	for q.wn < len(q.wb) {
		m, e := syscall.Write(int(fd), q.wb[q.wn:])
		if m > 0 {
			q.wn += m
		}
		if e == syscall.EINTR {
			continue
		}
		if e != nil && e != syscall.EAGAIN {
			q.werr = e
		}
		if e != nil || m <= 0 {
			break
		}
	}
	return true // never wait for room here: that is the writer goroutine's job
}
