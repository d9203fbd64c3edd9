//go:build !unix

package node

import (
	"net"
	"syscall"
)

// inlineWriter returns nil where a non-blocking write(2) on the socket is
// not available (Windows): every write then goes through the connection's
// writer goroutine, which costs a goroutine hand-off per idle send but
// behaves the same.
func inlineWriter(net.Conn) syscall.RawConn { return nil }

// tryWrite is never called without an inline writer; if it were, it
// writes nothing, and the writer goroutine takes the bytes.
func (q *sendQueue) tryWrite([]byte) (int, error) { return 0, nil }
