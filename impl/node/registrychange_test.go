package node

import (
	"testing"

	"github.com/qtro/qtro/impl/qds"
)

// RegistryChange decodes only the registry's two location signals.
func TestRegistryChange(t *testing.T) {
	l := SourceLocation{Name: "obj", TypeName: "T", HostURL: "tcp://127.0.0.1:1"}
	args := []Variant{locationVariant(l)}
	for _, tt := range []struct {
		ev        Event
		added, ok bool
	}{
		{Event{Kind: SignalEmitted, Index: sigRemoteObjectAdded, Args: args}, true, true},
		{Event{Kind: SignalEmitted, Index: sigRemoteObjectRemoved, Args: args}, false, true},
		{Event{Kind: SignalEmitted, Index: sigRemoteObjectAdded, Args: []Variant{qds.IntOf(1)}}, false, false},
		{Event{Kind: SignalEmitted, Index: sigRemoteObjectAdded}, false, false},
		{Event{Kind: PropertyChanged, Args: args}, false, false},
	} {
		got, added, ok := RegistryChange(tt.ev)
		if ok != tt.ok || ok && (added != tt.added || got != l) {
			t.Errorf("RegistryChange(%+v) = %+v, %v, %v; want added %v ok %v", tt.ev, got, added, ok, tt.added, tt.ok)
		}
	}
}
