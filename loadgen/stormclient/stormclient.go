// Package stormclient is loadgen's lean replica client for connection
// storms: one goroutine and one epoll set for all connections, raw
// non-blocking sockets, and just enough QtRO to initialise a replica —
// check the Handshake, wait for the source in an ObjectList, send AddObject,
// decode the Init. It measures how fast a host under test initialises N
// replicas with the client side costing as little as the kernel allows
// (emqtt-bench's way), where loadgen's replicas made of the node library pay
// a goroutine, a stack and a net.Dial each (see loadgen/results/floor).
//
// Linux only: elsewhere Run returns ErrUnsupported.
package stormclient

import (
	"errors"
	"time"

	"github.com/qtro/qtro/impl/wire"
)

// ErrUnsupported is returned where epoll is not available.
var ErrUnsupported = errors.New("stormclient: needs Linux (epoll)")

// Config is one storm.
type Config struct {
	URL      string // tcp://host:port, local:name or localabstract:name
	Object   string // the source every replica acquires
	Dynamic  bool   // acquire dynamically (InitDynamic) rather than statically (Init)
	Count    int    // replicas, each its own connection
	InFlight int    // connections started and not yet Valid at once (0: 512)
	// Timeout ends the storm; replicas not Valid by then are counted missing
	// (0: one minute).
	Timeout time.Duration
	Limits  wire.Limits // decoder limits (zero: wire's defaults)
}

// Result is what a storm did.
type Result struct {
	Valid    int             // replicas that got their Init
	Elapsed  time.Duration   // from the first connect to the last Valid (or to the timeout)
	Init     []time.Duration // per Valid replica: connect → Init decoded
	Failed   int             // connections refused, reset, or that broke the protocol
	FirstErr error           // the first of those failures, if any
	TimedOut bool
}
