package node_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// TestValuesWithoutAllocation: SetPropertyValue and EmitValues with
// Variants of the members' own types reach a listening peer without an
// allocation per call (loadgen's hosts send millions a second); other
// types are converted as SetPropertyIndex and EmitIndex convert them, and
// bad indices and argument counts fail alike.
func TestValuesWithoutAllocation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cls, err := meta.ParseRep("tick.rep", []byte(tickRep), "Tick", wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	src := node.NewSource(cls)
	if err := h.EnableRemoting(src, "Tick"); err != nil {
		t.Fatal(err)
	}
	// A raw peer that acquires Tick and reads everything.
	c, err := net.Dial("tcp", strings.TrimPrefix(h.URL(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	add, err := wire.Marshal(wire.Qt6, nil, &wire.AddObjectPacket{Name: "Tick"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(add); err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64 // bytes the peer read
	go func() {
		b := make([]byte, 64<<10)
		for {
			n, err := c.Read(b)
			got.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	// The Init arrived: the peer is a listener of Tick.
	for got.Load() < 100 {
		if ctx.Err() != nil {
			t.Fatal("no Init for the peer")
		}
		time.Sleep(time.Millisecond)
	}

	counter := cls.PropertyIndex("counter")
	tick := cls.SignalIndex("tick")
	if counter < 0 || tick < 0 {
		t.Fatalf("tick.rep: counter %d, tick %d", counter, tick)
	}
	// Warm up the queues' buffers.
	args := make([]qds.Variant, 2)
	for i := range 1000 {
		_ = src.SetPropertyValue(counter, qds.IntOf(int32(i)))
		args[0], args[1] = qds.LongLongOf(int64(i)), qds.LongLongOf(0)
		_ = src.EmitValues(tick, args...)
	}
	before := got.Load()
	i := int32(1000)
	if n := testing.AllocsPerRun(2000, func() {
		i++
		if err := src.SetPropertyValue(counter, qds.IntOf(i)); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("SetPropertyValue: %v allocations a call", n)
	}
	if n := testing.AllocsPerRun(2000, func() {
		i++
		args[0] = qds.LongLongOf(int64(i))
		if err := src.EmitValues(tick, args...); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("EmitValues: %v allocations a call", n)
	}

	for got.Load() < before+4000*20 {
		if ctx.Err() != nil {
			t.Fatalf("the peer got %d bytes of 4,000 changes and signals: the calls measured did not reach it", got.Load()-before)
		}
		time.Sleep(time.Millisecond)
	}

	// Other types are converted; bad input fails as the any forms fail.
	if err := src.SetPropertyValue(counter, qds.LongLongOf(7)); err != nil {
		t.Fatalf("a qlonglong for an int property: %v", err)
	}
	if v, _ := src.Property("counter"); v.Type() != qds.Int || v.Int() != 7 {
		t.Errorf("counter is %v, want int 7", v)
	}
	if err := src.SetPropertyValue(99, qds.IntOf(1)); !errors.Is(err, node.ErrNoSuchMember) {
		t.Errorf("property 99: %v", err)
	}
	if err := src.EmitValues(tick, qds.IntOf(1), qds.IntOf(2)); err != nil {
		t.Errorf("ints for qlonglong arguments: %v", err)
	}
	if err := src.EmitValues(tick, qds.LongLongOf(1)); !errors.Is(err, qds.ErrBadValue) {
		t.Errorf("one argument for two: %v", err)
	}
	if err := src.EmitValues(99); !errors.Is(err, node.ErrNoSuchMember) {
		t.Errorf("signal 99: %v", err)
	}
}
