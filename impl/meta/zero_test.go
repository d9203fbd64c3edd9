package meta

import (
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// A class definition from the wire may declare a gadget that holds itself
// (which C++ cannot): building its zero value must end (it overflowed the
// stack of the Go node, found by qtro fuzz --role replica), and gadgets of
// gadgets must not build exponentially many fields.
func TestZeroHostileGadgets(t *testing.T) {
	self := FromDefinition(&wire.ClassDef{
		Gadgets:    []wire.GadgetDef{{Name: "Pod", Properties: []wire.GadgetProperty{{Name: "self", Type: "Pod"}, {Name: "x", Type: "int"}}}},
		Properties: []wire.PropertyDef{{Name: "p", Type: "Pod"}},
	})
	g, ok := self.Properties[0].Default.Value().(qds.Gadget)
	if !ok || len(g.Fields) != 2 || g.Fields[0].IsValid() || g.Fields[1].Type() != qds.Int {
		t.Fatalf("zero of a self-holding gadget: %v", self.Properties[0].Default)
	}

	// 40 gadgets, each holding the next twice: 2^40 fields unbounded.
	var def wire.ClassDef
	for i := 0; i < 40; i++ {
		next := "int"
		if i < 39 {
			next = gadgetName(i + 1)
		}
		def.Gadgets = append(def.Gadgets, wire.GadgetDef{Name: gadgetName(i), Properties: []wire.GadgetProperty{{Name: "a", Type: next}, {Name: "b", Type: next}}})
	}
	def.Properties = []wire.PropertyDef{{Name: "p", Type: gadgetName(0)}}
	if v := FromDefinition(&def).Properties[0].Default; !v.IsValid() {
		t.Fatalf("zero of nested gadgets: %v", v)
	}
}

func gadgetName(i int) string { return "G" + string(rune('A'+i/26)) + string(rune('a'+i%26)) }
