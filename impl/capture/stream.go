package capture

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Capture is recorded traffic cut into connections: what ReadPcap, ReadTranscript
// and Read return.
type Capture struct {
	Format  string    // "pcap", "pcapng" or "transcript"
	Start   time.Time // timestamp of the first packet; zero for transcripts
	Timed   bool      // false when the input recorded no times (Mark.Time is then zero)
	Streams []Stream  // connections in order of their first packet
	Notes   []string  // capture-wide remarks: skipped packets, unsupported link types
	// Tail says why reading stopped before the end of the input (a truncated or
	// corrupt record, a limit); nil when the whole input was read. Everything
	// before that point is in Streams.
	Tail error
}

// Stream is one connection: the bytes each side sent, reassembled in order.
type Stream struct {
	ID     int       // connection number in the capture, from 0
	Host   string    // the host's endpoint ("ip:port"); "" in transcripts
	Client string    // the client's endpoint; "" in transcripts
	HostBy HostBy    // how the host side was decided
	Flows  [2]Flow   // indexed by Direction: Flows[HostToClient] is what the host sent
	Notes  []string  // remarks on this connection: mid-stream start, gaps, retransmissions
	Closed [2]string // per Direction: "FIN", "RST" or "" (still open when the capture ended)
	First  int       // capture order (Mark.Order) of the connection's first packet
	Start  time.Duration
}

// Flow is the byte stream one side of a connection sent, as far as the capture
// holds it.
type Flow struct {
	// Data is the payload in stream order, retransmissions removed. Bytes the
	// capture lacks are not in it; Gaps says where they were.
	Data []byte
	// Marks records, for each captured chunk that extended Data, how much of
	// Data had arrived and when. End and Order are ascending.
	Marks []Mark
	// Gaps lists bytes missing from the capture, by their position in Data.
	Gaps []Gap
	// MidStream is true when the capture holds no SYN for this side: Data may
	// begin inside a frame.
	MidStream bool
}

// Mark says that Data[:End] had arrived by the capture packet Order, at Time.
type Mark struct {
	End   int64         // bytes of Data available after this chunk
	Time  time.Duration // since the capture's first packet
	Order int           // position of the chunk's packet in the capture, for ordering both directions
}

// Gap is a run of stream bytes the capture does not hold (a lost packet, a
// snap length that cut a segment, a hole that never filled).
type Gap struct {
	At  int64 // position in Flow.Data where the missing bytes belong
	Len int64 // how many bytes are missing (0 if unknown)
}

// HostBy says how a stream's host side was decided.
type HostBy int

// The ways the host side is decided, most reliable first.
const (
	HostByTranscript HostBy = iota // the transcript labels each chunk's direction
	HostBySYN                      // the host accepted the connection (SYN / SYN-ACK seen)
	HostByListener                 // no SYN, but the host's endpoint accepted another connection in the capture
	HostByPorts                    // a guess: the host has the non-ephemeral (or lower) port
	HostByHandshake                // set by decoders: the side that sent the Handshake
)

func (h HostBy) String() string {
	switch h {
	case HostByTranscript:
		return "transcript direction labels"
	case HostBySYN:
		return "accepted the connection (SYN-ACK)"
	case HostByListener:
		return "its endpoint accepted another connection in this capture"
	case HostByPorts:
		return "guessed from the ports (no SYN in the capture)"
	case HostByHandshake:
		return "sent the Handshake"
	}
	return fmt.Sprintf("HostBy(%d)", int(h))
}

// Sentinels for capture faults; a *FormatError wraps one.
var (
	// ErrFormat means the input is not a pcap, pcapng or hex transcript.
	ErrFormat = errors.New("not a pcap, pcapng or hex transcript")
	// ErrCorrupt means a record or block of the file is damaged.
	ErrCorrupt = errors.New("corrupt capture")
	// ErrTruncated means the input ends inside a record.
	ErrTruncated = errors.New("capture truncated")
	// ErrLimit means the input exceeds one of the Limits.
	ErrLimit = errors.New("capture limit exceeded")
	// ErrNoTraffic means the input parsed but holds no connection.
	ErrNoTraffic = errors.New("no QtRO traffic in capture")
)

// FormatError locates a fault in a capture file.
type FormatError struct {
	Format string // "pcap", "pcapng", "transcript"
	Offset int64  // byte offset in the (decompressed) file; -1 if unknown
	Err    error  // a sentinel of this package, possibly wrapped with detail
}

func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("capture: %s: %v", e.Format, e.Err)
	}
	return fmt.Sprintf("capture: %s at byte %d: %v", e.Format, e.Offset, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Limits bounds what the readers accept, so a hostile or huge file costs a
// bounded amount of memory. Zero fields take the defaults.
type Limits struct {
	// MaxInput bounds the bytes read from the input (default 1 GiB); the
	// readers hold the whole input in memory, and every stream byte comes
	// from it, so this bounds memory too.
	MaxInput int64
	// MaxPacket bounds one captured packet (default 256 KiB, more than
	// tcpdump's default snap length).
	MaxPacket int
	// MaxStreams bounds the connections tracked (default 4096); later ones
	// are counted in Capture.Notes and skipped.
	MaxStreams int
	// MaxPending bounds the out-of-order bytes held per direction while
	// waiting for a hole to fill (default 8 MiB); past it the hole is
	// declared a Gap.
	MaxPending int
}

// DefaultLimits are the limits used for zero fields of Limits.
var DefaultLimits = Limits{MaxInput: 1 << 30, MaxPacket: 256 << 10, MaxStreams: 4096, MaxPending: 8 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxInput <= 0 {
		l.MaxInput = DefaultLimits.MaxInput
	}
	if l.MaxPacket <= 0 {
		l.MaxPacket = DefaultLimits.MaxPacket
	}
	if l.MaxStreams <= 0 {
		l.MaxStreams = DefaultLimits.MaxStreams
	}
	if l.MaxPending <= 0 {
		l.MaxPending = DefaultLimits.MaxPending
	}
	return l
}

// MarkAt returns the mark of the chunk that completed Data[:end], i.e. the
// first mark whose End reaches end; ok is false if no chunk did.
func (f *Flow) MarkAt(end int64) (m Mark, ok bool) {
	i := sort.Search(len(f.Marks), func(i int) bool { return f.Marks[i].End >= end })
	if i == len(f.Marks) {
		return Mark{}, false
	}
	return f.Marks[i], true
}

// StreamOffset converts a position in Data to the offset in the sender's
// byte stream, counting the missing bytes of the gaps before it.
func (f *Flow) StreamOffset(at int64) int64 {
	off := at
	for _, g := range f.Gaps {
		if g.At > at {
			break
		}
		off += g.Len
	}
	return off
}

// GapIn returns the first gap positioned in [from, to); ok is false if none.
func (f *Flow) GapIn(from, to int64) (g Gap, ok bool) {
	i := sort.Search(len(f.Gaps), func(i int) bool { return f.Gaps[i].At >= from })
	if i < len(f.Gaps) && f.Gaps[i].At < to {
		return f.Gaps[i], true
	}
	return Gap{}, false
}

// Swap exchanges the host and client sides, for a decoder that finds the
// Handshake came from the side the capture took for the client.
func (s *Stream) Swap(by HostBy) {
	s.Host, s.Client = s.Client, s.Host
	s.Flows[0], s.Flows[1] = s.Flows[1], s.Flows[0]
	s.Closed[0], s.Closed[1] = s.Closed[1], s.Closed[0]
	s.HostBy = by
}

// FromRecords groups transcript records into streams, one per connection,
// each record becoming one chunk of its direction's flow.
func FromRecords(recs []Record) *Capture {
	c := &Capture{Format: "transcript"}
	byConn := map[int]int{}
	for i, r := range recs {
		if r.Time != 0 {
			c.Timed = true
		}
		si, ok := byConn[r.Conn]
		if !ok {
			si = len(c.Streams)
			byConn[r.Conn] = si
			c.Streams = append(c.Streams, Stream{ID: si, HostBy: HostByTranscript, First: i, Start: r.Time})
		}
		d := HostToClient
		if r.Dir == ClientToHost {
			d = ClientToHost
		}
		f := &c.Streams[si].Flows[d]
		f.Data = append(f.Data, r.Data...)
		f.Marks = append(f.Marks, Mark{End: int64(len(f.Data)), Time: r.Time, Order: i})
	}
	return c
}
