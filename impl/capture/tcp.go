package capture

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// maxPendingSegs bounds the out-of-order segments held per direction (each
// costs bookkeeping even when tiny); past it the first hole becomes a Gap.
const maxPendingSegs = 4096

// ephemeralPorts is where Linux picks client ports (ip_local_port_range);
// a listening QtRO host normally has a port below it.
const ephemeralPorts = 32768

// segment is one TCP segment as the assembler sees it.
type segment struct {
	src, dst      netip.AddrPort
	seq           uint32
	syn, ack, fin bool
	rst           bool
	payload       []byte
	missing       int // payload bytes the capture cut off after payload (snap length)
	time          time.Duration
	order         int
}

// assembler turns TCP segments into per-connection byte streams.
type assembler struct {
	lim       Limits
	conns     map[connKey]*tcpConn
	all       []*tcpConn
	listeners map[netip.AddrPort]bool
	dropped   int // segments of connections over Limits.MaxStreams
}

type connKey struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) connKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return connKey{x, y}
}

type tcpConn struct {
	ep      [2]netip.AddrPort // ep[0] sent the first segment seen
	half    [2]half           // half[i] holds what ep[i] sent
	host    int               // index of the host in ep, or -1
	hostBy  HostBy
	first   int
	start   time.Duration
	closing bool // FIN from both sides, or RST: a SYN on this 4-tuple now opens a new connection
}

// half is one direction of a connection.
type half struct {
	syn, fin, rst bool
	isn           uint32
	finSeq        uint32
	started       bool
	next          uint32 // sequence number of the next byte expected
	flow          Flow
	pending       []pendingSeg // out-of-order data, sorted by sequence
	pendingBytes  int
	retrans       int64 // bytes dropped because they were already in the flow
	reordered     int   // segments that arrived ahead of a hole
	lim           *Limits
}

type pendingSeg struct {
	seq     uint32
	data    []byte
	missing int
	mark    Mark // when it arrived
}

func newAssembler(lim Limits) *assembler {
	return &assembler{lim: lim, conns: map[connKey]*tcpConn{}, listeners: map[netip.AddrPort]bool{}}
}

// add feeds one segment.
func (a *assembler) add(s segment) {
	k := keyOf(s.src, s.dst)
	c := a.conns[k]
	opening := s.syn && !s.ack
	if c != nil && opening {
		h := &c.half[c.index(s.src)]
		// A SYN on a known 4-tuple is a retransmitted SYN, or a new
		// connection reusing the ports.
		if c.closing || (h.started && !(h.syn && h.isn == s.seq)) {
			c = nil
		}
	}
	if c == nil {
		if len(a.all) >= a.lim.MaxStreams {
			a.dropped++
			return
		}
		c = &tcpConn{ep: [2]netip.AddrPort{s.src, s.dst}, host: -1, first: s.order, start: s.time}
		c.half[0].lim, c.half[1].lim = &a.lim, &a.lim
		a.conns[k] = c
		a.all = append(a.all, c)
	}
	i := c.index(s.src)
	h := &c.half[i]
	seq := s.seq
	if s.syn {
		if !h.syn || h.isn != s.seq {
			h.syn, h.isn, h.started, h.next = true, s.seq, true, s.seq+1
		}
		if s.ack {
			c.host, c.hostBy = i, HostBySYN // the SYN-ACK comes from the side that accepted
		} else {
			c.host, c.hostBy = 1-i, HostBySYN
		}
		a.listeners[c.ep[c.host]] = true
		seq++ // data on a SYN (TCP Fast Open) starts after it
	}
	if len(s.payload) > 0 || s.missing > 0 {
		h.data(seq, s.payload, s.missing, Mark{Time: s.time, Order: s.order})
	}
	if s.fin {
		h.fin, h.finSeq = true, seq+uint32(len(s.payload)+s.missing)
	}
	if s.rst {
		h.rst = true
	}
	if (c.half[0].fin && c.half[1].fin) || s.rst {
		c.closing = true
	}
}

func (c *tcpConn) index(src netip.AddrPort) int {
	if src == c.ep[0] {
		return 0
	}
	return 1
}

// data places payload at sequence number seq.
func (h *half) data(seq uint32, payload []byte, missing int, m Mark) {
	if !h.started {
		h.started, h.next, h.flow.MidStream = true, seq, true
	}
	rel := int32(seq - h.next)
	if rel < 0 {
		skip := -int64(rel)
		if skip >= int64(len(payload)+missing) {
			h.retrans += int64(len(payload))
			return
		}
		if skip >= int64(len(payload)) {
			h.retrans += int64(len(payload))
			missing -= int(skip) - len(payload)
			payload = nil
		} else {
			h.retrans += skip
			payload = payload[skip:]
		}
		seq = h.next
		rel = 0
	}
	if rel > 0 {
		h.hold(pendingSeg{seq: seq, data: payload, missing: missing, mark: m}, m)
		return
	}
	h.append(payload, missing, m)
	h.drain(m, true)
}

func (h *half) append(b []byte, missing int, m Mark) {
	h.flow.Data = append(h.flow.Data, b...)
	h.next += uint32(len(b))
	if missing > 0 {
		h.gap(int64(missing))
	}
	m.End = int64(len(h.flow.Data))
	if n := len(h.flow.Marks); n > 0 {
		last := &h.flow.Marks[n-1]
		// Bytes later in the stream are never usable before earlier ones:
		// keep marks in capture order (a hole given up at the end of the
		// capture releases segments that arrived in any order).
		if last.Order >= m.Order {
			last.End = m.End
			return
		}
	}
	h.flow.Marks = append(h.flow.Marks, m)
}

func (h *half) gap(n int64) {
	at := int64(len(h.flow.Data))
	if k := len(h.flow.Gaps); k > 0 && h.flow.Gaps[k-1].At == at {
		h.flow.Gaps[k-1].Len += n
	} else {
		h.flow.Gaps = append(h.flow.Gaps, Gap{At: at, Len: n})
	}
	h.next += uint32(n)
}

// hold keeps an out-of-order segment until the hole before it fills.
func (h *half) hold(p pendingSeg, m Mark) {
	i := sort.Search(len(h.pending), func(i int) bool { return int32(h.pending[i].seq-h.next) > int32(p.seq-h.next) })
	h.pending = append(h.pending, pendingSeg{})
	copy(h.pending[i+1:], h.pending[i:])
	h.pending[i] = p
	h.pendingBytes += len(p.data)
	for len(h.pending) > 0 && (h.pendingBytes > h.lim.MaxPending || len(h.pending) > maxPendingSegs) {
		h.skipHole(m)
	}
}

// drain appends held segments that are now in order; filled says a hole
// was filled (rather than given up), so they count as reordered.
func (h *half) drain(m Mark, filled bool) {
	for len(h.pending) > 0 {
		p := h.pending[0]
		rel := int32(p.seq - h.next)
		if rel > 0 {
			return
		}
		h.pending = h.pending[1:]
		h.pendingBytes -= len(p.data)
		if filled {
			h.reordered++
		}
		// The bytes are usable from the later of their own arrival and the
		// packet that completed what precedes them.
		if p.mark.Order > m.Order {
			m = p.mark
		}
		skip := -int64(rel)
		switch {
		case skip >= int64(len(p.data)+p.missing):
			h.retrans += int64(len(p.data))
		case skip >= int64(len(p.data)):
			h.retrans += int64(len(p.data))
			h.append(nil, p.missing-int(skip-int64(len(p.data))), m)
		default:
			h.retrans += skip
			h.append(p.data[skip:], p.missing, m)
		}
	}
}

// skipHole declares the hole before the first held segment missing from the
// capture, then drains.
func (h *half) skipHole(m Mark) {
	if len(h.pending) == 0 {
		return
	}
	if hole := int32(h.pending[0].seq - h.next); hole > 0 {
		h.gap(int64(hole))
	}
	h.drain(m, false)
}

// finish flushes what is still held: holes that never filled become gaps,
// as do bytes a FIN proves were sent but the capture lacks.
func (h *half) finish() {
	for len(h.pending) > 0 {
		h.skipHole(Mark{Order: -1})
	}
	if h.fin && h.started {
		if missing := int32(h.finSeq - h.next); missing > 0 {
			h.gap(int64(missing))
		}
	}
}

// streams turns the connections into Streams, deciding each host side.
func (a *assembler) streams() []Stream {
	out := make([]Stream, 0, len(a.all))
	for id, c := range a.all {
		for i := range c.half {
			c.half[i].finish()
		}
		host, by := c.host, c.hostBy
		if host < 0 {
			host, by = a.guessHost(c)
		}
		s := Stream{ID: id, Host: c.ep[host].String(), Client: c.ep[1-host].String(), HostBy: by, First: c.first, Start: c.start}
		for d, idx := range [2]int{host, 1 - host} {
			h := &c.half[idx]
			s.Flows[d] = h.flow
			switch {
			case h.rst:
				s.Closed[d] = "RST"
			case h.fin:
				s.Closed[d] = "FIN"
			}
			s.Notes = append(s.Notes, h.notes(Direction(d))...)
		}
		out = append(out, s)
	}
	return out
}

// guessHost decides the host of a connection whose SYN the capture lacks.
func (a *assembler) guessHost(c *tcpConn) (int, HostBy) {
	l0, l1 := a.listeners[c.ep[0]], a.listeners[c.ep[1]]
	switch {
	case l0 && !l1:
		return 0, HostByListener
	case l1 && !l0:
		return 1, HostByListener
	}
	p0, p1 := c.ep[0].Port(), c.ep[1].Port()
	e0, e1 := p0 >= ephemeralPorts, p1 >= ephemeralPorts
	switch {
	case e0 && !e1:
		return 1, HostByPorts
	case e1 && !e0:
		return 0, HostByPorts
	case p1 < p0:
		return 1, HostByPorts
	}
	return 0, HostByPorts
}

func (h *half) notes(d Direction) []string {
	// A missing SYN is Flow.MidStream; decoders say what they made of it.
	var out []string
	if h.reordered > 0 {
		out = append(out, fmt.Sprintf("%s: %d out-of-order segments put back in order", d, h.reordered))
	}
	if h.retrans > 0 {
		out = append(out, fmt.Sprintf("%s: %d retransmitted or overlapping bytes dropped", d, h.retrans))
	}
	if len(h.flow.Gaps) > 0 {
		var n int64
		for _, g := range h.flow.Gaps {
			n += g.Len
		}
		gaps := "1 gap"
		if len(h.flow.Gaps) != 1 {
			gaps = fmt.Sprintf("%d gaps", len(h.flow.Gaps))
		}
		out = append(out, fmt.Sprintf("%s: %d bytes missing from the capture, in %s", d, n, gaps))
	}
	return out
}
