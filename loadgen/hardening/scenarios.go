package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// closeWatch records when the host closed a connection (a read returned EOF or an error).
type closeWatch struct {
	start time.Time
	at    []atomic.Int64 // ns since start; 0 = still open
}

func newCloseWatch(n int) *closeWatch {
	return &closeWatch{start: time.Now(), at: make([]atomic.Int64, n)}
}

func (w *closeWatch) mark(i int) { w.at[i].CompareAndSwap(0, int64(time.Since(w.start))+1) }

// watch drains c until EOF/error and marks i closed.
func (w *closeWatch) watch(i int, c net.Conn) {
	go func() {
		_, _ = io.Copy(io.Discard, c)
		w.mark(i)
	}()
}

func (w *closeWatch) closedBy(d time.Duration) (n int, first time.Duration) {
	first = -1
	for i := range w.at {
		v := w.at[i].Load()
		if v != 0 && time.Duration(v) <= d {
			n++
			if first < 0 || time.Duration(v) < first {
				first = time.Duration(v)
			}
		}
	}
	return
}

func sleepUntil(start time.Time, d time.Duration) { time.Sleep(time.Until(start.Add(d))) }

func statusAndAlive(h *host, pr probeResult) (string, string) {
	st := h.status()
	alive := h.alive() && pr.err == nil
	a := yesNo(alive)
	if h.alive() && pr.err != nil {
		a = "no (process up, deaf)"
	}
	return st, a
}

// ---- 1. slowloris ----

func runSlowloris(target string, set func(string, string)) error {
	h, err := startHost(target, hostOpts{typ: "testobject"})
	if err != nil {
		return err
	}
	defer h.close()
	rss0 := rssKiB(h.pid)
	set("fresh client before attack", probe(h.addr, "TestObject").String())
	s := sampleRSS(h.pid)
	const n = 200
	const dur = 40 * time.Second
	w := newCloseWatch(n)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var opened int
	hdr := frameHeader(1<<20, 6)
	conns := dialAll(h.addr, n, 3*time.Second)
	for i, c := range conns {
		if c == nil {
			continue // a failed dial is not a close by the host
		}
		opened++
		w.watch(i, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(hdr); err != nil {
				w.mark(i)
				return
			}
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
					if _, err := c.Write([]byte{0x41}); err != nil {
						w.mark(i)
						return
					}
				}
			}
		}()
	}
	logf("slowloris: %d connections open after %s", opened, time.Since(w.start).Round(time.Millisecond))
	sleepUntil(w.start, 10*time.Second)
	p10 := probeAsync(h.addr, "TestObject")
	sleepUntil(w.start, 35*time.Second)
	closed35, first := w.closedBy(35 * time.Second)
	sleepUntil(w.start, 38*time.Second)
	p38 := probeAsync(h.addr, "TestObject")
	sleepUntil(w.start, dur)
	close(stop)
	wg.Wait()
	r10, r38 := <-p10, <-p38
	peak := s.Stop()
	rssEnd := rssKiB(h.pid)
	st, alive := statusAndAlive(h, r38)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	set("slow connections opened", fmt.Sprintf("%d / %d", opened, n))
	set("fresh client at t=10 s", r10.String())
	set("fresh client at t=38 s", r38.String())
	fc := "–"
	if first >= 0 {
		fc = fmt.Sprintf("first at %.1f s", first.Seconds())
	}
	set("slow connections closed by host by t=35 s", fmt.Sprintf("%d / %d (%s)", closed35, opened, fc))
	set("RSS before → peak → t=40 s", fmt.Sprintf("%s → %s → %s", mib(rss0), mib(peak), mib(rssEnd)))
	set("host stderr bytes", strconv.FormatInt(h.stderrBytes.Load(), 10))
	set("host status at t=40 s", st)
	set("alive (process + fresh client at t=38 s)", alive)
	return nil
}

// ---- 2. partial 15 MiB frames ----

func runPartial(target string, set func(string, string)) error {
	h, err := startHost(target, hostOpts{typ: "testobject"})
	if err != nil {
		return err
	}
	defer h.close()
	rss0 := rssKiB(h.pid)
	s := sampleRSS(h.pid)
	const n = 32
	const size = 15 << 20 // the size field: type + body
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(i)
	}
	w := newCloseWatch(n)
	conns := make([]net.Conn, n)
	var sent atomic.Int64
	var complete atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		c, err := net.DialTimeout("tcp", h.addr, 3*time.Second)
		if err != nil {
			continue
		}
		conns[i] = c
		w.watch(i, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.Write(frameHeader(size, 6)); err != nil {
				return
			}
			left := size - 2 - 1 // everything but the last byte
			for left > 0 {
				k := min(left, len(body))
				m, err := c.Write(body[:k])
				sent.Add(int64(m))
				left -= m
				if err != nil {
					return
				}
			}
			complete.Add(1)
		}()
	}
	wg.Wait()
	sendDone := time.Since(w.start)
	logf("partial: sending done after %s", sendDone.Round(time.Millisecond))
	hold := time.Now()
	pHold := probeAsync(h.addr, "TestObject")
	time.Sleep(5 * time.Second)
	closedHold, _ := w.closedBy(time.Since(w.start))
	rHold := <-pHold
	if d := time.Since(hold); d < 5*time.Second {
		time.Sleep(5*time.Second - d)
	}
	peakHold := s.peak.Load()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	time.Sleep(10 * time.Second)
	rssAfter := rssKiB(h.pid)
	peak := s.Stop()
	rAfter := probe(h.addr, "TestObject")
	st, alive := statusAndAlive(h, rAfter)
	set("frames fully sent (all but last byte)", fmt.Sprintf("%d / %d in %.1f s (%s sent)", complete.Load(), n, sendDone.Seconds(), mib(sent.Load()/1024)))
	set("connections closed by host while held", fmt.Sprintf("%d / %d", closedHold, n))
	set("RSS before → peak → 10 s after close", fmt.Sprintf("%s → %s → %s", mib(rss0), mib(max(peak, peakHold)), mib(rssAfter)))
	set("fresh client while held", rHold.String())
	set("fresh client 10 s after close", rAfter.String())
	set("host stderr bytes", strconv.FormatInt(h.stderrBytes.Load(), 10))
	set("host status", st)
	set("alive", alive)
	return nil
}

// ---- 3. slow consumer ----

// hostSideStates returns, for connections whose local port is hostPort, the TCP
// state (hex, from /proc/net/tcp) keyed by the remote (client) port.
func hostSideStates(hostPort int) map[int]string {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil
	}
	out := map[int]string{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		lp := portOf(f[1])
		if lp != hostPort {
			continue
		}
		out[portOf(f[2])] = f[3]
	}
	return out
}

func portOf(hexAddr string) int {
	i := strings.LastIndexByte(hexAddr, ':')
	if i < 0 {
		return -1
	}
	p, err := strconv.ParseInt(hexAddr[i+1:], 16, 32)
	if err != nil {
		return -1
	}
	return int(p)
}

func runSlowConsumer(target string, set func(string, string)) error {
	h, err := startHost(target, hostOpts{typ: "tick"})
	if err != nil {
		return err
	}
	defer h.close()
	const n = 20
	var conns []net.Conn
	var ports []int
	for range n {
		c, err := acquireTimeout(h.addr, "Tick", 10*time.Second)
		if err != nil {
			logf("slowconsumer: acquire: %v", err)
			continue
		}
		conns = append(conns, c)
		ports = append(ports, c.LocalAddr().(*net.TCPAddr).Port)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	rss0 := rssKiB(h.pid)
	s := sampleRSS(h.pid)
	start := time.Now()
	if err := h.send(map[string]any{"cmd": "load", "id": "load1", "mode": "payload", "count": 2000, "payloadBytes": 65536}); err != nil {
		return fmt.Errorf("load command: %w", err)
	}
	discAt := make([]time.Duration, len(ports))
	var p10 <-chan probeResult
	var loadDone time.Duration = -1
	tick := time.NewTicker(250 * time.Millisecond)
	for time.Since(start) < 30*time.Second {
		<-tick.C
		if p10 == nil && time.Since(start) >= 10*time.Second {
			p10 = probeAsync(h.addr, "Tick")
		}
		st := hostSideStates(h.port)
		for i, p := range ports {
			if discAt[i] != 0 {
				continue
			}
			if s, ok := st[p]; !ok || s != "01" {
				discAt[i] = time.Since(start)
			}
		}
		if loadDone < 0 && h.findEvent(func(ev map[string]any) bool { return ev["event"] == "loadSummary" }) != nil {
			loadDone = time.Since(start)
		}
		if h.exited() {
			break
		}
	}
	tick.Stop()
	peak := s.Stop()
	var r10 probeResult
	if p10 != nil {
		r10 = <-p10
	} else {
		r10 = probe(h.addr, "Tick")
	}
	rEnd := probe(h.addr, "Tick")
	var ds []time.Duration
	for _, d := range discAt {
		if d != 0 {
			ds = append(ds, d)
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	disc := fmt.Sprintf("%d / %d", len(ds), len(ports))
	if len(ds) > 0 {
		disc += fmt.Sprintf(" (first %.1f s, median %.1f s, last %.1f s)", ds[0].Seconds(), ds[len(ds)/2].Seconds(), ds[len(ds)-1].Seconds())
	} else {
		disc += " (never within 30 s)"
	}
	st, alive := statusAndAlive(h, rEnd)
	set("slow clients that acquired Tick", fmt.Sprintf("%d / %d", len(ports), n))
	set("slow clients disconnected by host within 30 s", disc)
	ld := "not within 30 s"
	if loadDone >= 0 {
		ld = fmt.Sprintf("%.1f s", loadDone.Seconds())
		if ev := h.findEvent(func(ev map[string]any) bool { return ev["event"] == "loadSummary" }); ev != nil {
			ld += fmt.Sprintf(" (sent %v)", ev["sent"])
		}
	}
	set("load run (2000 × 64 KiB) summary after", ld)
	set("RSS before → peak", fmt.Sprintf("%s → %s", mib(rss0), mib(peak)))
	set("fresh client at t=10 s", r10.String())
	set("fresh client at t=30 s", rEnd.String())
	set("host stderr bytes", strconv.FormatInt(h.stderrBytes.Load(), 10))
	set("host status", st)
	set("alive", alive)
	return nil
}

func acquireTimeout(addr, name string, d time.Duration) (net.Conn, error) {
	ctx, cancel := contextWithTimeout(d)
	defer cancel()
	return acquire(ctx, addr, name)
}

// ---- 4. garbage ----

func runGarbage(target string, set func(string, string)) error {
	h, err := startHost(target, hostOpts{typ: "testobject"})
	if err != nil {
		return err
	}
	defer h.close()
	rss0 := rssKiB(h.pid)
	err0 := h.stderrBytes.Load()
	s := sampleRSS(h.pid)
	const n = 20
	const dur = 20 * time.Second
	start := time.Now()
	var conns, closedByHost, sent, stalls atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(0x9a7ba9e, uint64(i)))
			buf := make([]byte, 4096)
			for time.Since(start) < dur {
				c, err := net.DialTimeout("tcp", h.addr, 2*time.Second)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				conns.Add(1)
				gone := make(chan struct{})
				go func() { _, _ = io.Copy(io.Discard, c); close(gone) }()
				hostClosed := false
			loop:
				for time.Since(start) < dur {
					for j := range buf {
						buf[j] = byte(rng.Uint32())
					}
					_ = c.SetWriteDeadline(time.Now().Add(time.Second))
					m, err := c.Write(buf)
					sent.Add(int64(m))
					if err != nil {
						if ne, ok := err.(net.Error); ok && ne.Timeout() {
							stalls.Add(1)
						} else {
							hostClosed = true
							break loop
						}
					}
					select {
					case <-gone:
						hostClosed = true
						break loop
					case <-time.After(10 * time.Millisecond):
					}
				}
				if hostClosed {
					closedByHost.Add(1)
				}
				c.Close()
				<-gone
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	sleepUntil(start, 10*time.Second)
	p10 := probeAsync(h.addr, "TestObject")
	wg.Wait()
	r10 := <-p10
	errBytes := h.stderrBytes.Load() - err0
	peak := s.Stop()
	rEnd := probe(h.addr, "TestObject")
	st, alive := statusAndAlive(h, rEnd)
	set("connections made / closed by host", fmt.Sprintf("%d / %d", conns.Load(), closedByHost.Load()))
	set("garbage bytes sent", mib(sent.Load()/1024))
	set("host stderr bytes during attack", strconv.FormatInt(errBytes, 10))
	set("fresh client at t=10 s", r10.String())
	set("fresh client after attack", rEnd.String())
	set("RSS before → peak", fmt.Sprintf("%s → %s", mib(rss0), mib(peak)))
	set("host status", st)
	set("alive", alive)
	return nil
}

// ---- 5. fd exhaustion ----

func runFDExhaust(target string, set func(string, string)) error {
	h, err := startHost(target, hostOpts{typ: "testobject", nofile: 256})
	if err != nil {
		return err
	}
	defer h.close()
	set("fresh client before", probe(h.addr, "TestObject").String())
	const n = 400
	w := newCloseWatch(n)
	conns := dialAll(h.addr, n, 2*time.Second)
	opened := 0
	for i, c := range conns {
		if c == nil {
			continue // a failed dial is not a close by the host
		}
		opened++
		w.watch(i, c)
	}
	logf("fdexhaust: %d opened in %s", opened, time.Since(w.start).Round(time.Millisecond))
	pHeld := probeAsync(h.addr, "TestObject")
	time.Sleep(3 * time.Second)
	closedHeld, _ := w.closedBy(time.Since(w.start))
	rHeld := <-pHeld
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	time.Sleep(time.Second)
	r1 := probe(h.addr, "TestObject")
	set("idle connections connected (2 s dial timeout) / closed by host while held", fmt.Sprintf("%d of %d / %d", opened, n, closedHeld))
	set("fresh client while 400 held", rHeld.String())
	set("fresh client 1 s after closing all", r1.String())
	rEnd := r1
	if r1.err != nil {
		time.Sleep(2 * time.Second)
		rEnd = probe(h.addr, "TestObject")
		set("fresh client retry (+13 s)", rEnd.String())
	}
	set("host stderr bytes", strconv.FormatInt(h.stderrBytes.Load(), 10))
	st, alive := statusAndAlive(h, rEnd)
	set("host status", st)
	set("alive", alive)
	return nil
}

// dialAll dials n connections concurrently (a full accept backlog makes a
// serial dial loop take n × timeout); failed dials are nil.
func dialAll(addr string, n int, timeout time.Duration) []net.Conn {
	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := net.DialTimeout("tcp", addr, timeout); err == nil {
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	return conns
}
