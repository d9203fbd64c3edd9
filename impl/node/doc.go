// Package node is qtro's reference QtRO node: a Host that remotes Go
// sources, a Node that acquires replicas, and a RegistryHost, speaking both
// Qt 5.15's and Qt 6.4's wire dialects and interoperating with real Qt.
//
// The names follow Qt's: Host.EnableRemoting, Node.ConnectToNode,
// Node.AcquireDynamic, Replica.WaitForSource, replica states Uninitialized,
// Default, Valid, Suspect and SignatureMismatch, and node errors mirroring
// QRemoteObjectNode::ErrorCode.
//
// # Dialects
//
// A client never speaks first, so a host cannot tell a Qt 5 replica from a
// Qt 6 one: each listener of a Host has one dialect (Config.Dialect, or
// Host.Listen with an explicit dialect; a host may listen on several URLs to
// serve both at once). A Node detects the dialect of each connection from
// the host's first bytes, unless Config.Dialect pins it.
//
// # Concurrency and flow control
//
// Every connection has one reading goroutine. Outgoing packets are
// appended to a per-connection buffer. On a connection idle for 50 µs the
// sender writes it at once with one non-blocking write (no goroutine
// hand-off on the latency path); a busy connection, or one whose socket is
// full, gets a writing goroutine that writes everything pending in one
// call, so bursts cost one system call. The buffer is bounded
// (Config.MaxSendQueue): a peer that does not read is a slow consumer and is
// disconnected, instead of letting memory grow as Qt's unbounded write
// buffers do. A slow peer never delays packets to others: inline writes
// never block, and each connection has its own buffer and writer.
//
// # Errors
//
// Node.LastError and Node.OnError, Host.LastError and Host.OnError mirror
// Qt's lastError() and error signal, with QRemoteObjectNode's codes; calls
// that fail return an *Error carrying the same code (CodeOf). Like Qt, a
// host does not report a misbehaving client as a node error: it logs it and
// drops the connection.
//
// Events of a replica (state changes, property changes, signals) are
// delivered to subscribers on the connection's reading goroutine, in wire
// order; callbacks must not block.
package node
