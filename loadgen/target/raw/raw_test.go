package raw

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/target"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFrameSizesMatchQtRO: the reference writes exactly the bytes a QtRO
// host writes per update, or its numbers would not be a limit for QtRO.
func TestFrameSizesMatchQtRO(t *testing.T) {
	for _, d := range wire.Dialects {
		pc, _ := wire.Marshal(d, nil, &wire.PropertyChangePacket{Name: "Tick0", Value: qds.IntOf(7)})
		inv, _ := wire.Marshal(d, nil, &wire.Invoke{Name: "Tick0", Args: []qds.Variant{qds.IntOf(7)}, Serial: -1})
		if got, want := frameSize(d, target.Props, "Tick0", 0), len(pc)+len(inv); got != want {
			t.Errorf("%v props: %d bytes, QtRO writes %d", d, got, want)
		}
		if small, big := frameSize(d, target.Payload, "Tick0", 0), frameSize(d, target.Payload, "Tick0", 4096); big-small != 4096 {
			t.Errorf("%v payload: 4096 bytes of data add %d", d, big-small)
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, d := range wire.Dialects {
		cd := codecOf(d)
		f := make([]byte, 64)
		cd.put(f, typeUpdate, 42, 1234567, 3)
		_, typ, seq, sent, obj, err := cd.read(bufio.NewReader(bytes.NewReader(f)), nil)
		if err != nil || typ != typeUpdate || seq != 42 || sent != 1234567 || obj != 3 {
			t.Fatalf("%v: %d %d %d %d %v", d, typ, seq, sent, obj, err)
		}
	}
	var bad [8]byte // size field 0
	if _, _, _, _, _, err := codecOf(wire.Qt6).read(bufio.NewReader(bytes.NewReader(bad[:])), nil); err == nil {
		t.Fatal("a frame too small to hold the header was accepted")
	}
}
