package node

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// unixPair returns both ends of a connected unix stream socket, so the
// queue gets a real non-blocking fd (net.Pipe has no SyscallConn).
func unixPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	client, err = net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close(); os.Remove(path) })
	return client, server
}

func ping(i int) wire.Packet { return &wire.PingPacket{Name: string(rune('a'+i%26)) + "-" + itoa(i)} }

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// readPings decodes n frames from c and returns their names.
func readPings(t *testing.T, c net.Conn, n int) []string {
	t.Helper()
	r := wire.NewReader(c, wire.Qt6, nil, wire.Limits{})
	out := make([]string, 0, n)
	for range n {
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("after %d packets: %v", len(out), err)
		}
		out = append(out, p.(*wire.PingPacket).Name)
	}
	return out
}

func waitDone(t *testing.T, q *sendQueue) {
	t.Helper()
	select {
	case <-q.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the queue's done never closed")
	}
}

// An idle connection's send is written inline: no writer goroutine starts.
func TestSendQueueIdleWritesInline(t *testing.T) {
	a, b := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 1<<20)
	if q.raw == nil {
		t.Fatal("a unix socket should offer a non-blocking write")
	}
	if err := q.send(ping(1)); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	started := q.started
	q.mu.Unlock()
	if started {
		t.Error("an idle connection's first send started a writer goroutine")
	}
	if got := readPings(t, b, 1); got[0] != ping(1).(*wire.PingPacket).Name {
		t.Errorf("got %v", got)
	}
	q.close()
	waitDone(t, q)
}

// A queue closed while an inline sender owns the socket, with a writer
// goroutine parked waiting for it: giving the socket back must end the
// writer, or done never closes.
func TestSendQueueCloseDuringInlineWrite(t *testing.T) {
	a, _ := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 1<<20)
	q.mu.Lock()
	q.writing = true     // an inline sender owns the socket
	q.wakeWriterLocked() // the writer goroutine starts and parks behind it
	q.mu.Unlock()
	q.close() // its signal is taken by the parked writer, which parks again
	time.Sleep(50 * time.Millisecond)
	q.mu.Lock()
	q.endInlineLocked(nil, 0, nil) // the inline write ends, nothing left
	q.mu.Unlock()
	waitDone(t, q)
}

// Sends from many goroutines, mixing inline writes and the writer goroutine,
// arrive whole and each sender's packets in its own order.
func TestSendQueueConcurrentOrder(t *testing.T) {
	a, b := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64<<20)
	const senders, each = 8, 2000
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := q.send(ping(s*each + i)); err != nil {
					t.Error(err)
					return
				}
				if i%97 == 0 {
					time.Sleep(coalesceGap * 2) // let the connection go idle: the next send is inline
				}
			}
		}()
	}
	got := make(chan []string, 1)
	go func() { got <- readPings(t, b, senders*each) }()
	wg.Wait()
	names := <-got
	next := make([]int, senders)
	for _, n := range names {
		var idx int
		for _, ch := range n[2:] {
			idx = idx*10 + int(ch-'0')
		}
		s, i := idx/each, idx%each
		if i != next[s] {
			t.Fatalf("sender %d: got packet %d, want %d", s, i, next[s])
		}
		next[s]++
	}
	q.close()
	waitDone(t, q)
}

// A peer that does not read fills the socket: the inline write takes what
// fits, the writer goroutine sends the rest once the peer reads, in order.
func TestSendQueuePartialInlineWrite(t *testing.T) {
	a, b := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64<<20)
	// 4 MB of UTF-16: larger than any unix socket buffer.
	bigName := strings.Repeat("x", 2<<20)
	enc := qds.NewEncoder(nil, wire.Qt6.Stream(), nil)
	wire.AppendPacket(enc, &wire.PingPacket{Name: bigName})
	frame := enc.Bytes()
	done := make(chan error, 1)
	go func() { done <- q.sendRaw(frame, true) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an inline send blocked on a full socket")
	}
	if err := q.send(ping(7)); err != nil {
		t.Fatal(err)
	}
	p := readPings(t, b, 2)
	if p[0] != bigName {
		t.Fatal("the big frame arrived corrupted")
	}
	if p[1] != ping(7).(*wire.PingPacket).Name {
		t.Errorf("after the big frame: %q", p[1])
	}
	q.close()
	waitDone(t, q)
}

// A graceful close still writes what was queued; done closes after.
func TestSendQueueCloseFlushes(t *testing.T) {
	a, b := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64<<20)
	for i := range 100 {
		if err := q.enqueue(ping(i)); err != nil {
			t.Fatal(err)
		}
	}
	q.close()
	if err := q.send(ping(999)); !errors.Is(err, ErrClosed) {
		t.Errorf("send after close: %v, want ErrClosed", err)
	}
	names := readPings(t, b, 100)
	if names[99] != ping(99).(*wire.PingPacket).Name {
		t.Errorf("last flushed packet %q", names[99])
	}
	waitDone(t, q)
}

// Exceeding the bound fails the queue once, reports it once and writes
// nothing more.
func TestSendQueueBound(t *testing.T) {
	a, _ := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64)
	var reports atomic.Int32
	q.onError = func(err error) {
		if !errors.Is(err, ErrSlowConsumer) {
			t.Errorf("reported %v", err)
		}
		reports.Add(1)
	}
	q.mu.Lock()
	q.writing = true // pretend a write is in flight so the bytes stay queued
	q.mu.Unlock()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = q.send(ping(i))
	}
	if !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("got %v, want ErrSlowConsumer", err)
	}
	_ = q.send(ping(11))
	q.kick(true)
	if n := reports.Load(); n != 1 {
		t.Errorf("onError called %d times, want 1", n)
	}
	q.mu.Lock()
	q.writing = false
	q.finishLocked()
	q.mu.Unlock()
	waitDone(t, q)
}

// A write error (the peer went away) is reported once and ends the queue.
func TestSendQueueWriteError(t *testing.T) {
	a, b := unixPair(t)
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64<<20)
	var reports atomic.Int32
	q.onError = func(error) { reports.Add(1) }
	b.Close()
	a.Close()
	for i := range 3 {
		_ = q.send(ping(i))
	}
	if n := reports.Load(); n != 1 {
		t.Errorf("onError called %d times, want 1", n)
	}
	q.close()
	waitDone(t, q)
}

// A transport without a syscall fd (net.Pipe) always uses the writer goroutine.
func TestSendQueueNoRawConn(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	q := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 64<<20)
	if q.raw != nil {
		t.Fatal("net.Pipe has no syscall fd")
	}
	for i := range 10 {
		if err := q.send(ping(i)); err != nil {
			t.Fatal(err)
		}
	}
	names := readPings(t, b, 10)
	if names[9] != ping(9).(*wire.PingPacket).Name {
		t.Errorf("got %v", names)
	}
	q.close()
	waitDone(t, q)
}

// listenerSet keeps its index right through adds, swap-removes and the
// shrink after a storm.
func TestListenerSet(t *testing.T) {
	var s listenerSet
	conns := make([]*hostConn, 1000)
	for i := range conns {
		conns[i] = &hostConn{}
		s.add(conns[i])
	}
	s.add(conns[0]) // twice: still once
	if s.len() != 1000 {
		t.Fatalf("len %d after 1000 adds", s.len())
	}
	for i := range 990 {
		s.remove(conns[(i*7)%1000]) // 7 is coprime with 1000: every index once
	}
	s.remove(&hostConn{}) // unknown: no-op
	left := map[*hostConn]bool{}
	for _, c := range s.list {
		left[c] = true
	}
	for i := 990; i < 1000; i++ {
		if !left[conns[(i*7)%1000]] {
			t.Errorf("conn %d lost", (i*7)%1000)
		}
	}
	if s.len() != 10 || len(left) != 10 || len(s.at) != 10 {
		t.Fatalf("len %d, distinct %d, index %d; want 10", s.len(), len(left), len(s.at))
	}
	for c, i := range s.at {
		if s.list[i] != c {
			t.Fatalf("index of a conn points at %d, which holds another", i)
		}
	}
	if cap(s.list) > 64 {
		t.Errorf("cap %d: the list did not shrink after the storm", cap(s.list))
	}
	if got := s.take(); len(got) != 10 || s.len() != 0 {
		t.Errorf("take: %d taken, %d left", len(got), s.len())
	}
}

// TestSendBudgetAccounting: the bytes a queue holds count against the
// shared budget until they are written; a queue that ends gives back what
// it never wrote; a queue over an even share of a full budget is cut off
// with ErrSendBudget while one under it is not.
func TestSendBudgetAccounting(t *testing.T) {
	b := newSendBudget(4 << 10)
	reader, a := unixPair(t)
	_, c := unixPair(t)
	fast := newSendQueue(a, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 1<<30)
	slow := newSendQueue(c, wire.Qt6, qds.NewTypes(wire.Qt6.Types()), 1<<30)
	fast.attach(b)
	slow.attach(b)
	var slowErr atomic.Value
	slow.onError = func(err error) { slowErr.Store(err) }
	slow.mu.Lock()
	slow.writing = true // nothing leaves the slow queue
	slow.mu.Unlock()

	// The fast queue writes: its bytes leave the budget once written.
	if err := fast.send(ping(1)); err != nil {
		t.Fatal(err)
	}
	readPings(t, reader, 1)
	waitFor(t, func() bool { return b.used.Load() == 0 }, "the fast queue's bytes to leave the budget")

	// The slow queue fills the budget; it holds more than half: cut off.
	var err error
	for i := 0; err == nil && i < 1000; i++ {
		err = slow.enqueue(&wire.PingPacket{Name: strings.Repeat("s", 256)})
	}
	if !errors.Is(err, ErrSendBudget) || !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("slow queue: %v, want ErrSendBudget (a slow consumer)", err)
	}
	if used := b.used.Load(); used <= b.max || used > b.max+512 {
		t.Errorf("budget used %d, want just over %d", used, b.max)
	}
	// The fast queue, under an even share, may still send while the
	// budget is over.
	if err := fast.send(ping(2)); err != nil {
		t.Fatalf("a queue under its share was cut off: %v", err)
	}
	readPings(t, reader, 1)
	slow.kick(true)
	if err, _ := slowErr.Load().(error); !errors.Is(err, ErrSendBudget) {
		t.Errorf("onError got %v", err)
	}
	// The slow queue ends: what it never wrote leaves the budget.
	slow.mu.Lock()
	slow.writing = false
	slow.finishLocked()
	slow.mu.Unlock()
	waitDone(t, slow)
	fast.close()
	waitDone(t, fast)
	if used, qs := b.used.Load(), b.queues.Load(); used != 0 || qs != 0 {
		t.Errorf("after both queues ended: used %d bytes, %d queues; want 0, 0", used, qs)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
