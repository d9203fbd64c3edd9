package node_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

// fdHostEnv makes the test binary run a host under a low file-descriptor
// limit instead of the tests (see TestMain).
const fdHostEnv = "QTRO_TEST_FD_HOST"

// runFDHost is the child: a host on loopback whose process may hold only
// a few dozen descriptors. It prints its URL and serves until stdin closes.
func runFDHost() int {
	if err := limitFDs(48); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	fmt.Println(h.URL())
	_, _ = io.Copy(io.Discard, os.Stdin)
	h.Close()
	return 0
}

// TestAcceptSurvivesFDExhaustion floods a host that may hold 48 file
// descriptors with 120 connections, so accept fails with EMFILE, then
// closes them: a fresh client must be greeted again (the accept loop backs
// off and retries; it used to return for good).
func TestAcceptSurvivesFDExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	if err := limitFDs(-1); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fdHostEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	logLines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logLines <- sc.Text()
		}
		close(logLines)
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL from the host: %v", err)
	}
	addr := strings.TrimPrefix(strings.TrimSpace(line), "tcp://")

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := 0; i < 120; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			break // the listen queue is full too
		}
		flood = append(flood, c)
	}
	if greeted(addr) {
		t.Fatalf("%d connections did not exhaust the host's descriptors", len(flood))
	}
	// The flood is silent: once it has been for a second, the host closes
	// its oldest connections to serve fresh clients while it is still held.
	deadline := time.Now().Add(10 * time.Second)
	for !greeted(addr) {
		if time.Now().After(deadline) {
			t.Fatal("the host served no fresh client while a silent flood held its descriptors")
		}
		time.Sleep(100 * time.Millisecond)
	}
	shed := 0
	for _, c := range flood {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := io.Copy(io.Discard, c); err == nil {
			shed++ // EOF: the host closed it
		}
	}
	if shed == 0 {
		t.Fatal("the host served a fresh client without closing any of the silent flood")
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil

	// Once the flood is gone, a fresh client is greeted within the
	// longest back-off (1 s) plus slack.
	deadline = time.Now().Add(10 * time.Second)
	for {
		if greeted(addr) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the host never greeted a fresh client after its descriptors were free again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// One warning for the episode, one line when it ends: not a line per
	// failed accept.
	waitLog(t, logLines, "accept failed", 5*time.Second)
	waitLog(t, logLines, "accepting again", 5*time.Second)
}

// greeted dials addr and reports whether a Handshake frame arrives.
func greeted(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 6)
	if _, err := io.ReadFull(c, b); err != nil {
		return false
	}
	_, ok := wire.DetectDialect(b)
	return ok
}

func waitLog(t *testing.T, lines <-chan string, want string, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the host exited before logging %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("the host did not log %q within %s", want, d)
		}
	}
}

// TestHostStatsCountsBadInput: garbage and unknown sources are counted in
// Host.Stats, not only logged.
func TestHostStatsCountsBadInput(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr := strings.TrimPrefix(h.URL(), "tcp://")
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// A frame announcing 4 GiB: over the frame limit.
		_, _ = c.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 10})
		_, _ = io.Copy(io.Discard, c) // the host closes it
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := h.Stats()
		if st.Accepted == 3 && st.BadFrames == 3 && st.Open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want 3 accepted, 3 bad frames, 0 open", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMaxConnections: the connection over the bound is closed unanswered
// and counted; once one closes, a new one is served.
func TestMaxConnections(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{MaxConnections: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr := strings.TrimPrefix(h.URL(), "tcp://")
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		b := make([]byte, 6)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatalf("connection %d within the bound not greeted: %v", i+1, err)
		}
	}
	if greeted(addr) {
		t.Fatal("a third connection was greeted with MaxConnections 2")
	}
	if st := h.Stats(); st.Refused != 1 || st.Open != 2 {
		t.Fatalf("stats %+v, want 1 refused, 2 open", st)
	}

	// The first speaks; the second stays silent. Once it has been silent
	// for a second, a new connection takes its place.
	if _, err := open[0].Write(mustFrame(t, &wire.PingPacket{Name: "p"})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if !greeted(addr) {
		t.Fatalf("a new connection was not served in place of a silent one: %+v", h.Stats())
	}
	if st := h.Stats(); st.Shed != 1 {
		t.Fatalf("stats %+v, want 1 shed", st)
	}
	_ = open[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, open[1]); err != nil {
		t.Fatalf("the silent connection was not closed: %v", err)
	}
	_ = open[0].SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := open[0].Read(make([]byte, 64<<10)); err != nil {
		t.Fatalf("the connection that spoke was closed: %v", err) // its Pong is there to read
	}

	open[0].Close()
	open = open[:1]
	deadline := time.Now().Add(5 * time.Second)
	for !greeted(addr) {
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one of the two closed: %+v", h.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFrameTimeout: a peer that trickles a frame is disconnected after
// FrameTimeout; a peer that is silent between frames is not.
func TestFrameTimeout(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{FrameTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr := strings.TrimPrefix(h.URL(), "tcp://")
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// A Qt 6 frame announcing 1000 bytes, then one byte every 100 ms.
	if _, err := slow.Write([]byte{0xe8, 0x03, 0, 0, 10, 0}); err != nil {
		t.Fatal(err)
	}
	closed := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		_, _ = io.Copy(io.Discard, slow) // returns when the host closes it
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case d := <-closed:
			if d > 3*time.Second {
				t.Fatalf("the trickling peer lasted %s", d)
			}
			if st := h.Stats(); st.FrameTimeouts != 1 {
				t.Fatalf("stats %+v, want 1 frame timeout", st)
			}
			// The peer silent between frames (for over twice the timeout)
			// is still served.
			time.Sleep(time.Until(start.Add(700 * time.Millisecond)))
			if _, err := idle.Write(mustFrame(t, &wire.PingPacket{Name: "idle"})); err != nil {
				t.Fatal(err)
			}
			_ = idle.SetReadDeadline(time.Now().Add(5 * time.Second))
			r := wire.NewReader(idle, wire.Qt6, nil, wire.Limits{})
			for {
				p, err := r.ReadPacket()
				if err != nil {
					t.Fatalf("the silent peer was dropped too: %v", err)
				}
				if p.Type() == wire.Pong {
					return
				}
			}
		case <-tick.C:
			_, _ = slow.Write([]byte{0})
		case <-time.After(10 * time.Second):
			t.Fatal("the trickling peer was never disconnected")
		}
	}
}

func mustFrame(t *testing.T, p wire.Packet) []byte {
	t.Helper()
	b, err := wire.Marshal(wire.Qt6, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteTimeout: a peer that stops reading is dropped as a slow
// consumer after WriteTimeout, long before its send queue is full.
func TestWriteTimeout(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0",
		node.Config{WriteTimeout: 300 * time.Millisecond, MaxSendQueue: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.URL(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	// 16 MiB of Pongs asked for, none read.
	ping := mustFrame(t, &wire.PingPacket{Name: strings.Repeat("p", 32<<10)})
	go func() {
		for i := 0; i < 256; i++ {
			if _, err := c.Write(ping); err != nil {
				return
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().SlowConsumers != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a peer that reads nothing was not dropped: %+v", h.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMemoryBudget: large partial frames on many connections together stay
// within the host's budget; the connection that would pass it is closed and
// counted, and the host keeps serving.
func TestMemoryBudget(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{MemoryBudget: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr := strings.TrimPrefix(h.URL(), "tcp://")
	body := make([]byte, 15<<20-3) // the frame's body is 15 MiB - 2 (the size counts the type)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// A Qt 6 frame announcing 15 MiB, all of it but its last byte.
		hdr := []byte{0, 0, 0xf0, 0, 10, 0}
		go func() { _, _ = c.Write(append(hdr, body...)) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().OverBudget < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("four 15 MiB partial frames under a 32 MiB budget: %+v", h.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !greeted(addr) {
		t.Fatal("the host stopped serving")
	}
}

// TestSlowConsumerDuringEnableRemoting: a connection whose queue bound
// an ObjectList broadcast exceeds is dropped while enableRemoting holds the
// host's lock; dropping it must not wait for that lock (the reclaim of a
// slow consumer's memory once did: enableRemoting never returned).
func TestSlowConsumerDuringEnableRemoting(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0", node.Config{MaxSendQueue: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !greeted(strings.TrimPrefix(h.URL(), "tcp://")) {
		t.Fatal("no greeting")
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(h.URL(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := make([]byte, 6)
	if _, err := io.ReadFull(c, b); err != nil { // greeted: it fits the bound
		t.Fatal(err)
	}
	done := make(chan error, 1)
	cls, err := meta.ParseRep("spec.rep", []byte(specRep), "SpecObject", wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	src := node.NewSource(cls)
	go func() { done <- h.EnableRemoting(src, strings.Repeat("LongSourceName", 8)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("EnableRemoting hung while a slow consumer was dropped")
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Stats().SlowConsumers != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the connection over its bound was not dropped: %+v", h.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMaxSendQueueTotal: peers that ask for a lot and read nothing, each
// under its own MaxSendQueue, are cut off together by the host's send
// budget; a peer asking the same but reading keeps its connection and
// gets every answer.
func TestMaxSendQueueTotal(t *testing.T) {
	h, err := node.NewHost(context.Background(), "tcp://127.0.0.1:0",
		node.Config{MaxSendQueue: 1 << 30, MaxSendQueueTotal: 8 << 20, WriteTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr := strings.TrimPrefix(h.URL(), "tcp://")
	ping := mustFrame(t, &wire.PingPacket{Name: strings.Repeat("p", 32<<10)})
	const pings = 512 // 16 MiB of Pongs asked for by each peer
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var slow []net.Conn
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	for range 4 {
		c := dial()
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		slow = append(slow, c)
		go func() {
			for range pings {
				if _, err := c.Write(ping); err != nil {
					return
				}
			}
		}()
	}
	// The reading peer asks as much, one question at a time, while the
	// others flood: its queue never holds more than one answer.
	fast := dial()
	defer fast.Close()
	r := wire.NewReader(fast, wire.Qt6, nil, wire.Limits{})
	_ = fast.SetDeadline(time.Now().Add(20 * time.Second))
	for i := range pings {
		if _, err := fast.Write(ping); err != nil {
			t.Fatalf("the reading peer, ping %d: %v (%+v)", i, err, h.Stats())
		}
		for {
			p, err := r.ReadPacket()
			if err != nil {
				t.Fatalf("the reading peer, ping %d: %v (%+v)", i, err, h.Stats())
			}
			if _, ok := p.(*wire.PongPacket); ok {
				break
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Stats().OverSendBudget < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("peers that read nothing were not cut off by the send budget: %+v", h.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !greeted(addr) {
		t.Fatal("the host stopped serving")
	}
}

// TestHandshakeTimeout: a node whose connection is accepted but never
// greeted closes it after HandshakeTimeout and connects again; the first
// connection sees the close.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	n := node.NewNode(node.Config{HandshakeTimeout: 200 * time.Millisecond, RetryInterval: 50 * time.Millisecond})
	defer n.Close()
	if err := n.ConnectToNode("tcp://" + ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	var first net.Conn
	select {
	case first = <-accepted:
		defer first.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not connect")
	}
	start := time.Now()
	_ = first.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, first); err != nil {
		t.Fatalf("the ungreeted connection was not closed by the node: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v, want about 200 ms", d)
	}
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the node did not connect again after its handshake timed out")
	}
}
