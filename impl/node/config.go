package node

import (
	"log/slog"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// Config configures a Host, Node or RegistryHost. The zero value is usable.
type Config struct {
	// Dialect is the dialect of a host's listeners (default Qt6). On a
	// node, zero means "detect from the host's first bytes".
	Dialect Dialect
	// Schemes resolves URL schemes (default transport.Default()).
	Schemes *Schemes
	// Limits bounds incoming frames and values.
	Limits Limits
	// Types holds user types compiled into this program (e.g. PODs a static
	// replica knows), on top of the dialect's own.
	Types *Types
	// HeartbeatInterval enables Qt's per-replica heartbeat on a node (0: off).
	HeartbeatInterval time.Duration
	// HandshakeTimeout bounds how long a node's new connection waits for
	// the host's Handshake (default 30 s; negative: no bound): a listener
	// that accepts and never speaks (a host out of file descriptors whose
	// kernel queue took the connection, a wrong port) is closed and
	// retried like a lost connection. Qt waits for ever. On a host it
	// bounds a new connection's transport handshake (TLS), finished on the
	// connection's own goroutine before the greeting.
	HandshakeTimeout time.Duration
	// RetryInterval is how often a node retries a lost direct connection
	// (Qt: 250 ms; default 250 ms).
	RetryInterval time.Duration
	// MaxSendQueue bounds each connection's unsent bytes (default 64 MiB);
	// a peer that lets it fill is disconnected as a slow consumer.
	MaxSendQueue int
	// MaxSendQueueTotal bounds the unsent bytes of all of a host's
	// connections together (default 256 MiB; negative: no bound). When
	// they pass it, a connection whose queue grows while holding more
	// than an even share of it is disconnected as a slow consumer
	// (ErrSendBudget; HostStats.OverSendBudget): the peers that do not
	// read go, the ones that keep up stay, the process keeps its memory.
	MaxSendQueueTotal int64
	// MemoryBudget bounds the bytes a host's connections may hold in frame
	// bodies being received, together (default 256 MiB; negative: no
	// bound). A connection whose frame would pass it is closed and counted
	// (HostStats.OverBudget); the others carry on.
	MemoryBudget int64
	// WriteTimeout disconnects a host's peer that takes no byte of what is
	// queued for it for that long (default 10 s; negative: no bound), beside
	// the MaxSendQueue byte bound: a peer that stopped reading is dropped
	// even when little is queued.
	WriteTimeout time.Duration
	// FrameTimeout bounds how long a host waits for the rest of a frame
	// whose first bytes arrived (default 30 s; negative: no bound), so a
	// peer that trickles a frame (slowloris) is disconnected. A connection
	// between frames may stay silent as long as it likes: a replica often
	// only listens.
	FrameTimeout time.Duration
	// MaxConnections bounds a host's open connections (0: no bound). When
	// that many are open, the oldest one that has sent no complete frame
	// for a second is closed to make room (HostStats.Shed), as it is when
	// the process runs out of file descriptors; if none is that silent,
	// the new one is closed as soon as it is accepted, before any byte is
	// sent, and counted in HostStats.Refused.
	MaxConnections int
	// MaxQueuedEvents bounds the events (or errors) waiting for each
	// subscription's callback (Replica.Subscribe, Source.Observe, OnError;
	// default 65,536; negative: no bound). Callbacks run on a goroutine per
	// subscription, so a slow one never stalls a connection; when one lets
	// its queue fill, newer events are dropped, counted (NodeStats,
	// HostStats.DroppedEvents) and reported once per episode to OnError as
	// an *OverflowError.
	MaxQueuedEvents int
	// Logger receives warnings Qt would print (default: discard), at most
	// LogBurst records with the same message per LogInterval (defaults 10
	// per 10 s; the next one says how many were suppressed): a peer cannot
	// flood the log. Host.Stats counts every event.
	Logger      *slog.Logger
	LogBurst    int
	LogInterval time.Duration
}

// defaultSchemes is shared by every Host and Node without their own
// Schemes, so a mesh of 10,000 nodes does not build 10,000 maps.
var defaultSchemes = transport.Default()

func (c Config) withDefaults() Config {
	if c.Schemes == nil {
		c.Schemes = defaultSchemes
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 250 * time.Millisecond
	}
	if c.MaxSendQueue <= 0 {
		c.MaxSendQueue = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 30 * time.Second
	}
	if c.MaxSendQueueTotal == 0 {
		c.MaxSendQueueTotal = 256 << 20
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = 256 << 20
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.FrameTimeout == 0 {
		c.FrameTimeout = 30 * time.Second
	}
	if c.MaxQueuedEvents == 0 {
		c.MaxQueuedEvents = defaultMaxQueuedEvents
	}
	if c.LogBurst <= 0 {
		c.LogBurst = defaultLogBurst
	}
	if c.LogInterval <= 0 {
		c.LogInterval = defaultLogInterval
	}
	if _, limited := c.Logger.Handler().(*rateLimited); !limited && c.Logger.Handler() != slog.DiscardHandler {
		c.Logger = slog.New(newRateLimited(c.Logger.Handler(), c.LogBurst, c.LogInterval))
	}
	return c
}

func (c Config) hostDialect() Dialect {
	if c.Dialect.Valid() {
		return c.Dialect
	}
	return wire.Qt6
}

// programTypes returns the user types this program knows in dialect d:
// the dialect's own plus Config.Types. Connections get children of it.
func (c Config) programTypes(d Dialect) *Types {
	t := qds.NewTypes(d.Types())
	if c.Types != nil {
		c.Types.Each(t.Register)
	}
	return t
}
