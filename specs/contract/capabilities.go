package contract

// Capabilities is what an adapter declares it can do (§2.3): the
// "capabilities" of its hello and ready events. A nil list or flag means
// "not declared" (the harness then tries, and exit code 127 decides); an
// empty list means "none". Field order is the order adapters write them.
type Capabilities struct {
	Roles      []string `json:"roles"`      // host, registry, node
	Transports []string `json:"transports"` // tcp, local, localabstract
	Types      []string `json:"types"`      // testobject, tick, plain
	// HostTypes and NodeTypes, when given, replace Types for the host and
	// registry roles and for the node role.
	HostTypes    []string `json:"hostTypes,omitempty"`
	NodeTypes    []string `json:"nodeTypes,omitempty"`
	SourceAPIs   []string `json:"sourceApis"`   // static, dynamic (host and registry)
	ReplicaModes []string `json:"replicaModes"` // static, dynamic (node)
	Load         []string `json:"load"`         // load modes (§9)
	Registry     *bool    `json:"registry"`     // --registry on host and node
	Heartbeat    *bool    `json:"heartbeat"`    // --heartbeat on node
}

// Yes is a declared flag of Capabilities.
func Yes(b bool) *bool { return &b }

// Has reports whether a flag is declared and true.
func Has(b *bool) bool { return b != nil && *b }
