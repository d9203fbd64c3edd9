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
// buffers do; so is one that takes no byte for Config.WriteTimeout, and,
// when a host's queues together pass Config.MaxSendQueueTotal, one that
// holds more than an even share of them. A slow peer never delays packets
// to others: inline writes never block, and each connection has its own
// buffer and writer. Where
// no non-blocking write(2) is at hand (Windows), every write goes through
// the writer goroutine.
//
// # Errors
//
// Node.LastError and Node.OnError, Host.LastError and Host.OnError mirror
// Qt's lastError() and error signal, with QRemoteObjectNode's codes; calls
// that fail return an *Error carrying the same code (CodeOf). Like Qt, a
// host does not report a misbehaving client as a node error: it logs it and
// drops the connection.
//
// # Callbacks
//
// Every callback registration (Replica.Subscribe, Source.Observe,
// Node.OnError, Host.OnError) returns a func() that cancels it: no
// callback starts after it returns.
//
// Every subscription gets its events in wire order, one callback at a
// time. A replica's events are delivered by the connection's reading
// goroutine itself, inline, to a subscription with nothing queued (no
// goroutine hand-off on the latency path); otherwise they are queued, and
// the subscription's own delivery goroutine (started when events are
// pending, gone when its queue is empty) calls the callback. A callback
// cannot stall the connection: one that runs for 100 ms has its
// subscription switched to queued delivery for good (reported to
// Node.OnError as a *SlowCallbackError, counted in
// NodeStats.SlowCallbacks), the rest of that delivery is queued, and a new
// goroutine reads the connection, so heartbeats, other replicas and other
// subscriptions go on; the stuck goroutine ends when its callback
// returns. Source.Observe and OnError callbacks are always queued. Queues
// are bounded (Config.MaxQueuedEvents): past it, events are dropped,
// counted (NodeStats.DroppedEvents, HostStats.DroppedEvents) and reported
// once per episode to OnError as an *OverflowError (both errors wrap
// ErrSlowSubscriber). As in Qt, where the reply of a call and the signals
// before it are emitted in wire order, a call's reply is handed to the
// caller after the replica's subscriptions got the events that preceded
// it. Close and Shutdown wait until queued events have been delivered.
//
// An Init is reported as one Initialized event carrying Changed (which
// properties it changed) and Values (a snapshot), followed by StateChanged
// to Valid and the PropertyChanged events of Changed's notifying
// properties (see Event), all marked FromInit. A replica's subscriptions
// also get the changes and signals of its CLASS properties' child
// replicas, with Event.Child naming the property.
//
// # One import
//
// The types of lower packages that node's API uses are aliased here
// (Variant, Class, Dialect, ...), and ClassFromRep builds a class from
// .rep text, so a program hosting sources and using replicas imports only
// this package.
package node
