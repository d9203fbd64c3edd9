package adapter

import (
	"slices"
	"testing"
)

func TestNeeds(t *testing.T) {
	got := Needs(Node, []string{"--url", "local:/tmp/x", "--type", "plain", "--dynamic", "--heartbeat", "100"})
	want := []Need{{CapRole, "node"}, {CapTransport, "local"}, {CapNodeType, "plain"}, {CapHeartbeat, "yes"}, {CapReplicaMode, "dynamic"}}
	if !slices.Equal(got, want) {
		t.Errorf("Needs = %v, want %v", got, want)
	}
	// A node without --static or --dynamic is static (the contract's default).
	if n := Needs(Node, []string{"--registry", "tcp://127.0.0.1:1"}); !slices.Contains(n, Need{CapReplicaMode, "static"}) || !slices.Contains(n, Need{CapRegistry, "yes"}) {
		t.Errorf("Needs(node --registry) = %v", n)
	}
}

func TestCapabilitiesCan(t *testing.T) {
	no := false
	c := Capabilities{Declared: true, Roles: []string{"host"}, Transports: []string{"local"}, ReplicaModes: []string{}, Registry: &no}
	for _, tc := range []struct {
		kind, value string
		can, yes    bool
	}{
		{CapRole, "host", true, true},
		{CapRole, "node", false, false},
		{CapTransport, "tcp", false, false},
		{CapHostType, "plain", true, false}, // not declared: tried, and 127 decides
		{CapReplicaMode, "dynamic", false, false},
		{CapRegistry, "yes", false, false},
		{CapHeartbeat, "yes", true, false},
	} {
		if c.Can(tc.kind, tc.value) != tc.can || c.DeclaresYes(tc.kind, tc.value) != tc.yes {
			t.Errorf("%s %s: Can %v DeclaresYes %v, want %v %v", tc.kind, tc.value, c.Can(tc.kind, tc.value), c.DeclaresYes(tc.kind, tc.value), tc.can, tc.yes)
		}
	}
	if n, missing := c.Missing(Needs(Host, []string{"--url", "tcp://127.0.0.1:0"})); !missing || n != (Need{CapTransport, "tcp"}) {
		t.Errorf("Missing = %v, %v; want transport tcp", n, missing)
	}
	var legacy Capabilities
	if !legacy.Can(CapRole, "registry") || legacy.DeclaresYes(CapRole, "registry") {
		t.Error("a contract-1 adapter may try everything and promises nothing")
	}
}

func TestPerRoleTypes(t *testing.T) {
	c := Capabilities{Declared: true, Types: []string{"plain"}, NodeTypes: []string{"plain", "testobject"}}
	if c.Can(CapHostType, "testobject") || !c.Can(CapNodeType, "testobject") || !c.DeclaresYes(CapHostType, "plain") {
		t.Errorf("hostTypes/nodeTypes: %s", c.Describe())
	}
}
