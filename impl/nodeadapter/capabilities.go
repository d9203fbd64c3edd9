package nodeadapter

import (
	"slices"

	"github.com/qtro/qtro/specs/contract"
)

// Capabilities is what the adapter declares it can do (§2.3).
type Capabilities = contract.Capabilities

// FullCapabilities is everything the Go reference node does.
func FullCapabilities() Capabilities {
	return Capabilities{
		Roles:        []string{contract.RoleHost, contract.RoleRegistry, contract.RoleNode},
		Transports:   slices.Clone(contract.Transports),
		Types:        []string{contract.TypeTestObject, contract.TypeTick, contract.TypePlain},
		SourceAPIs:   []string{"static", "dynamic"},
		ReplicaModes: []string{"static", "dynamic"},
		Load:         []string{"props", "signals", "payload", "both", "receive", "replicas", "calls"},
		Registry:     contract.Yes(true),
		Heartbeat:    contract.Yes(true),
		Models:       []string{contract.RoleHost, contract.RoleNode},
	}
}
