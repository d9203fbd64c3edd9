package node

import "sync/atomic"

// HostStats counts what a host's connections did, for a user (or an
// attacker's victim) to read instead of a log line per event: bad input is
// counted, and logged at a limited rate (Config.LogBurst, LogInterval).
type HostStats struct {
	// Accepted connections, and those still open.
	Accepted, Open uint64
	// Refused connections were closed on accept: Config.MaxConnections
	// were open and none of them was silent.
	Refused uint64
	// Shed connections were closed to make room for a new one, when the
	// host ran out of file descriptors or held Config.MaxConnections: the
	// oldest that had sent no complete frame for a second.
	Shed uint64
	// AcceptErrors are failed accepts (e.g. out of file descriptors), each
	// retried after a back-off.
	AcceptErrors uint64
	// HandshakeFailures are connections lost before QtRO began: a TLS
	// handshake that failed or timed out (a rejected certificate, a
	// plain-TCP client on a TLS port), an HTTP request on a WebSocket
	// listener that was not an upgrade (transport.ErrHandshake).
	HandshakeFailures uint64
	// SlowConsumers were disconnected for letting their send queue fill
	// (Config.MaxSendQueue), for taking no byte within Config.WriteTimeout,
	// or, counted in OverSendBudget too, for holding more than an even
	// share of Config.MaxSendQueueTotal when the host's queues passed it.
	SlowConsumers, OverSendBudget uint64
	// BadFrames closed their connection: a frame that does not parse or
	// breaks a limit (Config.Limits).
	BadFrames uint64
	// FrameTimeouts closed their connection: a frame begun was not
	// finished within Config.FrameTimeout (slowloris).
	FrameTimeouts uint64
	// OverBudget connections were closed because their frame would have
	// passed Config.MemoryBudget.
	OverBudget uint64
	// UnknownPackets were skipped by their length (a newer peer's types).
	UnknownPackets uint64
	// Ignored are requests Qt also answers with a warning only: AddObject or
	// Invoke for an unknown source, a bad property write or method index.
	Ignored uint64
	// DroppedEvents were not delivered to a Source.Observe or OnError
	// callback whose queue held Config.MaxQueuedEvents undelivered ones.
	DroppedEvents uint64
}

// hostCounters are HostStats as the connections update them.
type hostCounters struct {
	accepted, closed, refused, shed, acceptErrors, handshakeFailures, slowConsumers, overSendBudget, badFrames, frameTimeouts, overBudget, unknownPackets, ignored, droppedEvents atomic.Uint64
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats {
	c := &h.counters
	acc, closed := c.accepted.Load(), c.closed.Load()
	open := uint64(0)
	if acc > closed {
		open = acc - closed
	}
	return HostStats{Accepted: acc, Open: open, Refused: c.refused.Load(), Shed: c.shed.Load(), AcceptErrors: c.acceptErrors.Load(), HandshakeFailures: c.handshakeFailures.Load(), SlowConsumers: c.slowConsumers.Load(), OverSendBudget: c.overSendBudget.Load(),
		BadFrames: c.badFrames.Load(), FrameTimeouts: c.frameTimeouts.Load(), OverBudget: c.overBudget.Load(), UnknownPackets: c.unknownPackets.Load(), Ignored: c.ignored.Load(),
		DroppedEvents: c.droppedEvents.Load()}
}
