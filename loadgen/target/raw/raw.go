// Package raw is the physical-limit reference for loadgen: the same
// workload as QtRO traffic — frames of exactly the bytes a QtRO host would
// write, over the same socket type, with the same write coalescing — but
// no QtRO encoding or decoding at all. A receiver only splits frames and
// reads the sequence number and send time at fixed offsets.
//
// Its numbers are the ceiling a QtRO stack on this machine could reach;
// loadgen reports the Go node as a ratio of them.
package raw

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/clock"
	"github.com/qtro/qtro/loadgen/metrics"
	"github.com/qtro/qtro/loadgen/pace"
	"github.com/qtro/qtro/loadgen/result"
	"github.com/qtro/qtro/loadgen/target"
)

// Frame layout after the 4-byte size: type (2), seq (8), sentNs (8),
// object (4), then padding up to the QtRO frame's size.
const (
	typeUpdate = 0xFFF0
	typeCall   = 0xFFF1
	typeReply  = 0xFFF2
	minFrame   = 4 + 2 + 8 + 8 + 4
)

// Target is the raw reference as a load-test target.
type Target struct{}

var _ target.Target = Target{}

// Name implements target.Target.
func (Target) Name() string { return "raw" }

// StartRegistry implements target.Target: there is no registry without QtRO.
func (Target) StartRegistry(context.Context, string, target.HostSpec) (target.Registry, error) {
	return nil, fmt.Errorf("%w: raw target has no registry", target.ErrUnsupported)
}

// dialect maps "qt5"/"qt6" to the wire dialect (Qt 6 if s names none).
func dialect(s string) wire.Dialect {
	if d, ok := wire.ParseDialect(s); ok {
		return d
	}
	return wire.Qt6
}

// frameSize returns the bytes a QtRO host writes for one update of kind,
// for an object called name.
func frameSize(d wire.Dialect, kind, name string, payload int) int {
	var ps []wire.Packet
	switch kind {
	case target.Props:
		v := qds.IntOf(1)
		ps = []wire.Packet{
			&wire.PropertyChangePacket{Name: name, Index: 0, Value: v},
			&wire.Invoke{Name: name, Index: 0, Args: []qds.Variant{v}, Serial: -1, PropertyIndex: 0},
		}
	case target.Signals:
		ps = []wire.Packet{&wire.Invoke{Name: name, Index: 1, Args: []qds.Variant{qds.LongLongOf(1), qds.LongLongOf(1)}, Serial: -1, PropertyIndex: -1}}
	case target.Payload:
		ps = []wire.Packet{&wire.Invoke{Name: name, Index: 2, Args: []qds.Variant{qds.LongLongOf(1), qds.LongLongOf(1), qds.ByteArrayOf(make([]byte, payload))}, Serial: -1, PropertyIndex: -1}}
	case "call":
		ps = []wire.Packet{&wire.Invoke{Name: name, Index: 1, Args: []qds.Variant{qds.LongLongOf(1)}, Serial: 1, PropertyIndex: -1}}
	case "reply":
		ps = []wire.Packet{&wire.InvokeReply{Name: name, Serial: 1, Value: qds.LongLongOf(1)}}
	}
	n := 0
	for _, p := range ps {
		b, err := wire.Marshal(d, nil, p)
		if err == nil {
			n += len(b)
		}
	}
	return max(n, minFrame)
}

// codec writes and reads raw frames in a dialect's byte order.
type codec struct{ bo binary.ByteOrder }

func codecOf(d wire.Dialect) codec {
	if d == wire.Qt5 {
		return codec{binary.BigEndian}
	}
	return codec{binary.LittleEndian}
}

func (c codec) put(b []byte, typ uint16, seq, sent int64, obj uint32) {
	c.bo.PutUint32(b, uint32(len(b)-4))
	c.bo.PutUint16(b[4:], typ)
	c.bo.PutUint64(b[6:], uint64(seq))
	c.bo.PutUint64(b[14:], uint64(sent))
	c.bo.PutUint32(b[22:], obj)
}

// read reads one frame into buf (grown as needed) and returns its fields.
func (c codec) read(r io.Reader, buf []byte) ([]byte, uint16, int64, int64, uint32, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return buf, 0, 0, 0, 0, err
	}
	n := int(c.bo.Uint32(hdr[:]))
	if n < minFrame-4 || n > 64<<20+4096 {
		return buf, 0, 0, 0, 0, fmt.Errorf("raw: bad frame size %d", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	b := buf[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return buf, 0, 0, 0, 0, err
	}
	return buf, c.bo.Uint16(b), int64(c.bo.Uint64(b[2:])), int64(c.bo.Uint64(b[10:])), c.bo.Uint32(b[18:]), nil
}

// outq is a connection's coalescing send buffer and writer, as in the
// node. The writer goroutine starts with the first frame: an idle
// connection of a storm holds none (the limit must not pay for more than
// the node does).
type outq struct {
	mu      sync.Mutex
	c       net.Conn
	buf     []byte
	max     int
	closed  bool
	started bool
	ended   bool // close ran without a writer
	wake    chan struct{}
	done    chan struct{}
	wg      *sync.WaitGroup
}

func newOutq(c net.Conn, max int, wg *sync.WaitGroup) *outq {
	if max <= 0 {
		max = 64 << 20
	}
	return &outq{c: c, max: max, wake: make(chan struct{}, 1), done: make(chan struct{}), wg: wg}
}

// add queues a frame; the writer sends everything queued in one write.
func (q *outq) add(frame []byte) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return net.ErrClosed
	}
	if len(q.buf)+len(frame) > q.max {
		q.closed = true
		q.mu.Unlock()
		q.signal()
		return errors.New("raw: slow consumer")
	}
	q.buf = append(q.buf, frame...)
	if !q.started {
		q.started = true
		q.wg.Add(1)
		go func() { defer q.wg.Done(); q.run() }()
	}
	q.mu.Unlock()
	q.signal()
	return nil
}

func (q *outq) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close stops the queue and closes the connection (after the writer, if
// there is one, has flushed).
func (q *outq) close() {
	q.mu.Lock()
	q.closed = true
	started, ended := q.started, q.ended
	q.ended = true
	q.mu.Unlock()
	if started {
		q.signal()
		return
	}
	if !ended {
		q.c.Close()
		close(q.done)
	}
}

func (q *outq) run() {
	defer close(q.done)
	var spare []byte
	for range q.wake {
		for {
			q.mu.Lock()
			b, closed := q.buf, q.closed
			if len(b) == 0 {
				q.mu.Unlock()
				if closed {
					q.c.Close()
					return
				}
				break
			}
			q.buf = spare[:0]
			q.mu.Unlock()
			if _, err := q.c.Write(b); err != nil {
				q.mu.Lock()
				q.closed = true
				q.mu.Unlock()
				q.c.Close()
				return
			}
			spare = b
		}
	}
}

type host struct {
	spec  target.HostSpec
	d     wire.Dialect
	ln    net.Listener
	url   string
	mu    sync.Mutex
	conns map[*outq]net.Conn
	wg    sync.WaitGroup
}

// StartHost implements target.Target.
func (Target) StartHost(ctx context.Context, spec target.HostSpec) (target.Host, error) {
	ln, u, err := transport.Default().Listen(ctx, spec.Listen)
	if err != nil {
		return nil, err
	}
	h := &host{spec: spec, d: dialect(spec.Dialect), ln: ln, url: u.String(), conns: map[*outq]net.Conn{}}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

func (h *host) accept() {
	defer h.wg.Done()
	cd := codecOf(h.d)
	reply := make([]byte, frameSize(h.d, "reply", "Tick0", 0))
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		q := newOutq(c, h.spec.MaxSendQueue, &h.wg)
		h.mu.Lock()
		h.conns[q] = c
		h.mu.Unlock()
		h.wg.Add(1)
		go func() {
			// Echo: reflect each call as a reply frame of a reply's size.
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, q)
				h.mu.Unlock()
				q.close()
			}()
			br := wire.NewBufReaderSize(c, 64<<10)
			var buf []byte
			out := append([]byte(nil), reply...)
			for {
				var typ uint16
				var seq, sent int64
				var obj uint32
				var err error
				buf, typ, seq, sent, obj, err = cd.read(br, buf)
				if err != nil {
					return
				}
				if typ == typeCall {
					cd.put(out, typeReply, seq, sent, obj)
					if q.add(out) != nil {
						return
					}
				}
			}
		}()
	}
}

func (h *host) URL() string { return h.url }

func (h *host) Memory() target.Memory { return target.Memory{RSS: result.RSS(0), InProcess: true} }

func (h *host) Close() error {
	h.ln.Close()
	h.mu.Lock()
	for q, c := range h.conns {
		q.close()
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
	return nil
}

// Push implements target.Host with the node's pacing rules and frames of
// the node's sizes.
func (h *host) Push(ctx context.Context, p target.Plan) (target.PushStats, error) {
	objs := len(h.spec.Objects)
	st := target.PushStats{LastSeq: make([]int64, objs), Lag: metrics.NewHistogram()}
	if p.Kind != target.Props && p.Kind != target.Signals && p.Kind != target.Payload {
		return st, fmt.Errorf("%w: push %q", target.ErrUnsupported, p.Kind)
	}
	cd := codecOf(h.d)
	frames := make([][]byte, objs)
	for o, name := range h.spec.Objects {
		frames[o] = make([]byte, frameSize(h.d, p.Kind, name, p.Payload))
	}
	tl := p.Timeline
	batch := int64(max(p.Batch, 1))
	if sch := tl.Schedule(); sch != nil {
		st.Planned = sch.Total() * batch * int64(objs)
	}
	var qs []*outq
	// A pace unit is one turn of Batch updates per object.
	loop := pace.Loop{End: p.End, Window: p.Window, Lag: st.Lag}
	if tl.Open() {
		loop.At = tl.IntendedTurn
	}
	ps := loop.Run(ctx, func(t pace.Turn) bool {
		k, sent := t.First, t.At
		h.mu.Lock()
		qs = qs[:0]
		for q := range h.conns {
			qs = append(qs, q)
		}
		h.mu.Unlock()
		for j := int64(0); j < batch; j++ {
			seq := k*batch + j + 1
			for o := range frames {
				if !tl.Open() {
					tl.Stamp(p.Objects[o], seq, sent)
				}
				cd.put(frames[o], typeUpdate, seq, sent, uint32(o))
				for _, q := range qs {
					if q.add(frames[o]) != nil {
						st.Errors++
					}
				}
				st.LastSeq[o] = seq
				st.Updates++
			}
		}
		if p.Sent != nil {
			p.Sent.Add(batch * int64(objs))
		}
		return true
	})
	st.Turns = ps.Turns
	return st, nil
}

// clients are raw socket readers, one connection per host per node. Every
// node receives every object its hosts serve (there is no AddObject).
type clients struct {
	spec   target.ClientSpec
	d      wire.Dialect
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	conns  [][]*rawConn // per node, per host URL
	wg     sync.WaitGroup

	echoMu  sync.Mutex
	pending []map[int64]int64 // per node: seq → intended time, for echo
	replies atomic.Int64
	replied chan struct{} // poked on every reply: the closed-model caller waits on it
}

type rawConn struct {
	c   net.Conn
	q   *outq
	url string
}

// StartClients implements target.Target. Like a node's ConnectToNode it
// returns at once: each node dials in the background (retrying until ctx
// ends, as a host in another shard may not listen yet) and its streams
// become Valid when connected.
func (Target) StartClients(ctx context.Context, spec target.ClientSpec) (target.Clients, error) {
	if spec.Registry != "" {
		return nil, fmt.Errorf("%w: raw target has no registry", target.ErrUnsupported)
	}
	c := &clients{spec: spec, d: dialect(spec.Dialect), conns: make([][]*rawConn, len(spec.Nodes)),
		pending: make([]map[int64]int64, len(spec.Nodes)), replied: make(chan struct{}, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for i := range c.pending {
		c.pending[i] = map[int64]int64{}
	}
	err := target.EachNode(ctx, spec, func(i int) error {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.connect(i) }()
		return nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connect dials node i's hosts (one connection per host URL).
func (c *clients) connect(i int) {
	spec := &c.spec
	urls := map[string][]int{}
	var order []string
	for k, o := range spec.Acquire[i] {
		u := spec.ObjectURLs[o]
		if _, ok := urls[u]; !ok {
			order = append(order, u)
		}
		urls[u] = append(urls[u], k)
	}
	schemes := transport.Default()
	for _, u := range order {
		now := clock.Now()
		for _, k := range urls[u] {
			spec.Streams[i][k].Connecting(now)
		}
		var conn net.Conn
		for {
			var err error
			if conn, err = schemes.Dial(c.ctx, u); err == nil {
				break
			}
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
		}
		valid := clock.Now()
		// A host numbers its objects in its own order and serves a
		// contiguous run of them: local index = position among this URL's.
		local := map[uint32]*metrics.Stream{}
		for n, k := range urls[u] {
			s := spec.Streams[i][k]
			local[uint32(n)] = s
			s.Valid(valid, -1)
		}
		rc := &rawConn{c: conn, q: newOutq(conn, spec.MaxSendQueue, &c.wg), url: u}
		c.mu.Lock()
		closed := c.closed
		if !closed {
			c.conns[i] = append(c.conns[i], rc)
		}
		c.mu.Unlock()
		if closed {
			conn.Close()
			return
		}
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.read(i, rc, local) }()
	}
}

func (c *clients) read(i int, rc *rawConn, streams map[uint32]*metrics.Stream) {
	cd := codecOf(c.d)
	br := wire.NewBufReaderSize(rc.c, 64<<10)
	var buf []byte
	for {
		var typ uint16
		var seq, sent int64
		var obj uint32
		var err error
		buf, typ, seq, sent, obj, err = cd.read(br, buf)
		now := clock.Now()
		if err != nil {
			for _, s := range streams {
				s.Suspect()
			}
			return
		}
		switch typ {
		case typeUpdate:
			if s := streams[obj]; s != nil {
				if c.spec.Kind == target.Props {
					s.PropertyChanged(seq, now)
				} else {
					s.Update(seq, sent, now)
				}
			}
		case typeReply:
			c.echoMu.Lock()
			intended, ok := c.pending[i][seq]
			delete(c.pending[i], seq)
			c.echoMu.Unlock()
			if ok {
				c.replies.Add(1)
				c.spec.Run.Delivered.Add(1)
				c.spec.Run.Latency.Record(c.spec.Nodes[i], now-intended)
				select {
				case c.replied <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (c *clients) Close() error {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	for _, cs := range c.conns {
		for _, rc := range cs {
			rc.q.close()
			rc.c.Close()
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
	return nil
}

// conn returns node i's first connection (nil before it is connected).
func (c *clients) conn(i int) *rawConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.conns[i]) == 0 {
		return nil
	}
	return c.conns[i][0]
}

// Echo implements target.Clients: call frames out, reply frames back.
// Closed model: Inflight outstanding per node, the next call sent when a
// reply arrives (polled); open model: the aggregate schedule.
func (c *clients) Echo(ctx context.Context, p target.EchoPlan) (target.EchoStats, error) {
	st := target.EchoStats{Lag: metrics.NewHistogram()}
	cd := codecOf(c.d)
	n := len(c.spec.Nodes)
	call := make([]byte, frameSize(c.d, "call", "Tick0", 0))
	send := func(i int, seq, intended int64) bool {
		rc := c.conn(i)
		if rc == nil {
			return false
		}
		c.echoMu.Lock()
		c.pending[i][seq] = intended
		c.echoMu.Unlock()
		cd.put(call, typeCall, seq, intended, 0)
		st.Calls++
		if p.Sent != nil {
			p.Sent.Add(1)
		}
		return rc.q.add(call) == nil
	}
	seqs := make([]int64, n)
	if tl := p.Timeline; tl.Open() {
		if sch := tl.Schedule(); sch != nil {
			st.Planned = sch.Total()
		}
		// Call j goes to node j mod N.
		loop := pace.Loop{At: tl.IntendedTurn, End: p.End, Lag: st.Lag}
		loop.Run(ctx, func(t pace.Turn) bool {
			i := int(t.First % int64(n))
			seqs[i]++
			if !send(i, seqs[i], t.At) {
				st.Errors++
			}
			return true
		})
	} else {
		// A turn tops every node up to Inflight outstanding calls, or
		// waits for a reply when none was missing.
		inflight := max(p.Inflight, 1)
		loop := pace.Loop{End: p.End}
		loop.Run(ctx, func(pace.Turn) bool {
			progressed := false
			for i := 0; i < n; i++ {
				c.echoMu.Lock()
				out := len(c.pending[i])
				c.echoMu.Unlock()
				for ; out < inflight; out++ {
					seqs[i]++
					if !send(i, seqs[i], clock.Now()) {
						st.Errors++
					}
					progressed = true
				}
			}
			if !progressed {
				// Wait for a reply rather than a timer: a timer's
				// granularity would cap the reference's call rate.
				t := time.NewTimer(10 * time.Millisecond)
				select {
				case <-c.replied:
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			return true
		})
	}
	for clock.Now() < p.Deadline {
		c.echoMu.Lock()
		left := 0
		for _, m := range c.pending {
			left += len(m)
		}
		c.echoMu.Unlock()
		if left == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c.echoMu.Lock()
	for _, m := range c.pending {
		st.Lost += int64(len(m))
	}
	c.echoMu.Unlock()
	st.Replies = c.replies.Load()
	return st, nil
}

// Churn implements target.Clients.
func (c *clients) Churn(context.Context, target.ChurnPlan) (target.ChurnStats, error) {
	return target.ChurnStats{}, fmt.Errorf("%w: raw target does not churn", target.ErrUnsupported)
}
