package conformance

import (
	"context"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// Heartbeat and reconnect cases: the target is a replica node, the suite
// its host.

// hbInterval is the heartbeat interval the heartbeat cases give the node.
const hbInterval = 300 * time.Millisecond

var hbArgs = []string{"--heartbeat", "300"}

// pongLoop answers every Ping on c with a Pong of the same name until ctx
// ends; it returns the arrival times of the Pings and whether the
// connection stayed open.
type pongLoop struct {
	mu     sync.Mutex
	pings  []time.Time
	names  []string
	closed bool
	done   chan struct{}
}

func (e *Env) answerPings(ctx context.Context, c *wirepeer.Conn) *pongLoop {
	l := &pongLoop{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			p, err := c.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					l.mu.Lock()
					l.closed = true
					l.mu.Unlock()
				}
				return
			}
			if p.Type() != wire.Ping {
				continue
			}
			l.mu.Lock()
			l.pings = append(l.pings, time.Now())
			l.names = append(l.names, p.ObjectName())
			l.mu.Unlock()
			_ = c.Send(&wire.PongPacket{Name: p.ObjectName()})
		}
	}()
	return l
}

func (l *pongLoop) wait() ([]time.Time, []string, bool) {
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pings, l.names, l.closed
}

var _ = ginkgo.Describe("Heartbeat (replica)", func() {
	Case("HB-2", func(e *Env) {
		h := e.validReplica(false, nil, hbArgs...)
		ctx, cancel := context.WithTimeout(e.Ctx, 5*hbInterval)
		defer cancel()
		pings, pingNames, closed := e.answerPings(ctx, h.C).wait()
		e.Expect(closed).To(gomega.BeFalse(), "the connection stays open while Pings are answered")
		e.Expect(len(pings)).To(gomega.BeNumerically(">=", 2), "Pings in %s with a %s heartbeat", 5*hbInterval, hbInterval)
		// Every replica pings under its own name, the CLASS child's replica too.
		e.Expect(pingNames).To(gomega.ContainElement(TestObjectName), "a Ping carries the replica's name")
		for _, n := range pingNames {
			e.Expect(n).To(gomega.BeElementOf(TestObjectName, e.childSourceName()), "a Ping carries a replica's name")
		}
		// Each replica sent nothing but Pings after Init, so each of its Pings
		// comes an interval after its previous packet (Qt's coarse timers may
		// fire 5% early; scheduling adds jitter).
		last := map[string]time.Time{}
		for _, p := range e.packetsOf(h.C) {
			name := p.P.ObjectName()
			if prev, ok := last[name]; ok && p.P.Type() == wire.Ping {
				e.Expect(p.Time.Sub(prev)).To(gomega.BeNumerically(">=", hbInterval*8/10), "time from %s's previous packet to its Ping", name)
				e.Expect(p.Time.Sub(prev)).To(gomega.BeNumerically("<", 2*hbInterval+200*time.Millisecond), "%s's Ping is due one interval after its previous packet", name)
			}
			last[name] = p.Time
		}
		e.Expect(h.A.EventsSince(0, adapter.StateChanged(TestObjectName, "Suspect"))).To(gomega.BeEmpty(), "no Suspect while Pings are answered")
	})
	Case("HB-3", func(e *Env) {
		h := e.validReplica(false, nil, hbArgs...)
		mark := h.A.Mark()
		p, err := h.C.ExpectType(e.within(4*hbInterval), wire.Ping)
		e.NoErr(err, "waiting for the first Ping")
		pingAt := time.Now()
		e.Expect(p.ObjectName()).To(gomega.BeElementOf(TestObjectName, e.childSourceName()), "the Ping's name")
		// Never answer: the replica must give up on the connection.
		closed := h.C.WaitClosed(e.within(2*hbInterval + time.Second))
		closedAt := time.Now()
		e.Expect(closed).To(gomega.BeTrue(), "the replica drops a connection whose Ping is unanswered")
		e.Expect(closedAt.Sub(pingAt)).To(gomega.BeNumerically("<=", 2*hbInterval+250*time.Millisecond),
			"time from the unanswered Ping to the connection drop")
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Suspect"), 2*time.Second, "the replica to become Suspect")
	})
	Case("HB-4", func(e *Env) {
		h := e.validReplica(false, nil, hbArgs...)
		mark := h.A.Mark()
		run := 8 * hbInterval
		ctx, cancel := context.WithTimeout(e.Ctx, run)
		defer cancel()
		loop := e.answerPings(ctx, h.C)
		n := 0
		tick := time.NewTicker(40 * time.Millisecond)
	updates:
		for {
			select {
			case <-ctx.Done():
				break updates
			case <-tick.C:
				n++
				e.notifyChange(h.C, "intProp", n)
			}
		}
		tick.Stop()
		pings, _, closed := loop.wait()
		e.Expect(closed).To(gomega.BeFalse(), "the connection stays open")
		e.Expect(len(pings)).To(gomega.BeNumerically(">=", 3), "the replica keeps sending Pings under load")
		e.Expect(h.A.EventsSince(mark, adapter.StateChanged(TestObjectName, "Suspect"))).To(gomega.BeEmpty(),
			"Valid -> Suspect under %d updates in %s with every Ping answered", n, run)
		e.waitEvent(h.A, mark, adapter.PropertyChanged("intProp", n), 5*time.Second, "the last update")
	})
})

// childSourceName is the wire name of the test object's CLASS child.
func (e *Env) childSourceName() string { return e.D.ChildName("Class", TestObjectName, "child") }

// restartHost closes the raw host's connection and listener (the host
// dies), waits for the replica to notice, and listens again on the same
// URL; it returns the replica's new connection, not yet greeted.
func (e *Env) restartHost(h *rawHost) {
	mark := h.A.Mark()
	h.C.Close()
	h.Srv.Close()
	e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Suspect"), 10*time.Second, "the replica to become Suspect when its host dies")
	h.Srv = e.Listen(h.URL)
	h.C = e.acceptWithin(h.Srv, 10*time.Second)
}

var _ = ginkgo.Describe("Reconnect (replica)", func() {
	Case("RC-1", func(e *Env) {
		h := e.validReplica(false, map[string]any{"intProp": 1, "stringProp": "before"})
		e.restartHost(h)
		mark := h.A.Mark()
		h.greet()
		add := h.expectAdd(TestObjectName)
		e.expectReacquire(h, add)
		h.sendInit(false, map[string]any{"intProp": 2, "stringProp": "after restart"})
		e.waitEvent(h.A, mark, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica to become Valid again")
		got := e.do(h.A, adapter.Get(""))
		iv, _ := got.Path("values", "intProp")
		sv, _ := got.Path("values", "stringProp")
		e.Expect(iv).To(adapterValue(2), "intProp after the restart")
		e.Expect(sv).To(adapterValue("after restart"), "stringProp after the restart")
		e.waitEvent(h.A, mark, adapter.PropertyChanged("intProp", 2), 5*time.Second, "the notification of the new intProp")
	})
	Case("RC-2", func(e *Env) {
		h := e.validReplica(false, map[string]any{"intProp": 0})
		mark := h.A.Mark()
		for i := 1; i <= 5; i++ {
			e.notifyChange(h.C, "intProp", i)
		}
		e.waitEvent(h.A, mark, adapter.PropertyChanged("intProp", 5), 10*time.Second, "the updates before the restart")
		e.restartHost(h)
		mark = h.A.Mark()
		h.greet()
		h.expectAdd(TestObjectName)
		// Init with the value reached while the replica was away, then a
		// burst of updates in the same write.
		cls := e.class()
		i := cls.PropertyIndex("intProp")
		ps := []wire.Packet{h.initPacket(map[string]any{"intProp": 10})}
		for n := 11; n <= 40; n++ {
			v := qds.IntOf(int32(n))
			ps = append(ps, &wire.PropertyChangePacket{Name: TestObjectName, Index: int32(i), Value: v},
				&wire.Invoke{Name: TestObjectName, Index: int32(cls.Properties[i].Notify), Args: []qds.Variant{v}, Serial: -1, PropertyIndex: int32(i)})
		}
		e.NoErr(h.C.Send(ps...), "sending Init and updates")
		e.waitEvent(h.A, mark, adapter.PropertyChanged("intProp", 40), 10*time.Second, "the last update")
		var got []any
		for _, ev := range h.A.EventsSince(mark, adapter.PropertyChanged("intProp")) {
			got = append(got, ev.Fields["value"])
		}
		var want []any
		for n := 10; n <= 40; n++ {
			want = append(want, n)
		}
		e.Expect(got).To(adapterValue(want), "intProp notifications after the re-initialisation")
		e.Expect(h.A.EventsSince(mark, adapter.StateChanged(TestObjectName, "Valid"))).To(gomega.HaveLen(1))
	})
})
