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

// tryWrite writes b without blocking and reports how much went out.
func (q *sendQueue) tryWrite(b []byte) (int, error) {
	n := 0
	var werr error
	err := q.raw.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			if e == syscall.EINTR {
				continue
			}
			if e != nil && e != syscall.EAGAIN {
				werr = e
			}
			if e != nil || m <= 0 {
				break
			}
		}
		return true // never wait for room here: that is the writer goroutine's job
	})
	if err == nil {
		err = werr
	}
	return n, err
}
