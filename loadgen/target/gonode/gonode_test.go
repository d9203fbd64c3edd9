package gonode

import (
	"bytes"
	"os"
	"testing"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTickMatchesFixture keeps the embedded copy of tick.rep in step with
// fixtures/rep/tick.rep, which the Qt peers compile: same members, same
// wire indices, same class signature in both dialects.
func TestTickMatchesFixture(t *testing.T) {
	src, err := os.ReadFile("../../../fixtures/rep/tick.rep")
	if err != nil {
		t.Fatalf("fixtures/rep/tick.rep: %v", err)
	}
	if !bytes.Equal(src, TickRep) {
		t.Error("loadgen/target/gonode/tick.rep differs from fixtures/rep/tick.rep: copy it over")
	}
	for _, d := range wire.Dialects {
		want, err := meta.ParseRep("tick.rep", src, "Tick", d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := TickClass(d)
		if err != nil {
			t.Fatal(err)
		}
		if got.Signature != want.Signature || got.Signature == "" {
			t.Errorf("%v: signature %q, fixture %q", d, got.Signature, want.Signature)
		}
	}
}

// TestWireIndices pins the indices Push and the replica handler use.
func TestWireIndices(t *testing.T) {
	c, err := TickClass(wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	if c.PropertyIndex("counter") != propCounter || c.SignalIndex("tick") != sigTick ||
		c.SignalIndex("payload") != sigPayload || c.MethodIndex("echo") != methEcho {
		t.Fatalf("Tick indices changed: counter %d tick %d payload %d echo %d",
			c.PropertyIndex("counter"), c.SignalIndex("tick"), c.SignalIndex("payload"), c.MethodIndex("echo"))
	}
	if c.Properties[propCounter].Notify < 0 {
		t.Fatal("counter needs a notify signal: replicas only see changes through it")
	}
}
