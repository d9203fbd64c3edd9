package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Transports are the URL schemes of §2.3's "transports".
var Transports = []string{"tcp", "local", "localabstract", "tls+tcp", "ws", "wss"}

// Capabilities is what an adapter declares it can do (§2.3): the
// "capabilities" of its hello and ready events. A nil list or flag means
// "not declared" (the harness then tries, and exit code 127 decides); an
// empty list means "none". Field order is the order adapters write them.
type Capabilities struct {
	Roles      []string `json:"roles"`      // host, registry, node
	Transports []string `json:"transports"` // tcp, local, localabstract, tls+tcp, ws, wss
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
	// Models (contract 3) lists the roles whose item-model commands
	// (§6.5) work: "host" (remoteModel and the changes), "node"
	// (acquireModel and the reads). Nil: not declared.
	Models []string `json:"models,omitempty"`
}

// Yes is a declared flag of Capabilities.
func Yes(b bool) *bool { return &b }

// Has reports whether a flag is declared and true.
func Has(b *bool) bool { return b != nil && *b }

// Narrow reads an adapter's --capabilities value (a JSON object with any of
// the keys of §2.3) against c, the set the adapter (named adapter in
// messages) can do: each key given replaces c's, so the adapter plays a
// partial stack (e.g. a dynamic-only node on local sockets); a value
// outside c, or an unknown key, is a usage error.
func (c Capabilities) Narrow(value, adapter string) (*Capabilities, error) {
	full, n := c, c
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return nil, Usagef("--capabilities: %v", err)
	}
	lists := map[string]*[]string{"roles": &n.Roles, "transports": &n.Transports, "types": &n.Types,
		"sourceApis": &n.SourceAPIs, "replicaModes": &n.ReplicaModes, "load": &n.Load, "models": &n.Models}
	fulls := map[string][]string{"roles": full.Roles, "transports": full.Transports, "types": full.Types,
		"sourceApis": full.SourceAPIs, "replicaModes": full.ReplicaModes, "load": full.Load, "models": full.Models}
	for k, v := range raw {
		switch k {
		case "registry", "heartbeat":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, Usagef("--capabilities: %s: %v", k, err)
			}
			if k == "registry" {
				n.Registry = &b
			} else {
				n.Heartbeat = &b
			}
		default:
			dst, ok := lists[k]
			if !ok {
				return nil, Usagef("--capabilities: unknown key %q", k)
			}
			var l []string
			if err := json.Unmarshal(v, &l); err != nil {
				return nil, Usagef("--capabilities: %s: %v", k, err)
			}
			for _, x := range l {
				if !slices.Contains(fulls[k], x) {
					return nil, Usagef("--capabilities: %s: %s has no %q", k, adapter, x)
				}
			}
			*dst = l
		}
	}
	return &n, nil
}

// Refuses returns what of command line o lies outside the declared
// capabilities c (feature as the unsupported event names it, and why), or
// refused=false when everything is inside. A URL scheme that is none of
// §2.3's transports is not refused: it is HostUrlInvalid, as in Qt.
func (c Capabilities) Refuses(o *CommandLine) (feature, reason string, refused bool) {
	check := func(kind string, list []string, v string) bool {
		if v == "" || slices.Contains(list, v) {
			return false
		}
		feature, reason = kind+":"+v, fmt.Sprintf("declared %s are %s", kind, strings.Join(list, ","))
		return true
	}
	scheme := func(u string) string {
		i := strings.IndexByte(u, ':')
		if i <= 0 || !slices.Contains(Transports, u[:i]) {
			return ""
		}
		return u[:i]
	}
	mode, api := "", o.SourceAPI
	if o.Role == RoleNode {
		mode, api = ModeName(o.Dynamic), ""
	}
	switch {
	case check("roles", c.Roles, o.Role),
		check("transports", c.Transports, scheme(o.URL)),
		check("transports", c.Transports, scheme(o.Registry)),
		check("types", c.Types, o.Type),
		check("replicaModes", c.ReplicaModes, mode),
		check("sourceApis", c.SourceAPIs, api):
		return feature, reason, true
	case o.Registry != "" && !Has(c.Registry):
		return "registry", "declared registry: false", true
	case o.HeartbeatMs > 0 && !Has(c.Heartbeat):
		return "heartbeat", "declared heartbeat: false", true
	}
	return "", "", false
}
