package nodeadapter

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/qtro/qtro/specs/contract"
)

// Capabilities is what the adapter declares it can do (§2.3).
type Capabilities = contract.Capabilities

// FullCapabilities is everything the Go reference node does.
func FullCapabilities() Capabilities {
	return Capabilities{
		Roles:        []string{contract.RoleHost, contract.RoleRegistry, contract.RoleNode},
		Transports:   []string{"tcp", "local", "localabstract"},
		Types:        []string{contract.TypeTestObject, contract.TypeTick, contract.TypePlain},
		SourceAPIs:   []string{"static", "dynamic"},
		ReplicaModes: []string{"static", "dynamic"},
		Load:         []string{"props", "signals", "payload", "both", "receive", "replicas", "calls"},
		Registry:     contract.Yes(true),
		Heartbeat:    contract.Yes(true),
	}
}

// parseCapabilities reads --capabilities: a JSON object with any of the
// keys of Capabilities. Each key given narrows the full set (so the
// reference node can play a partial stack, e.g. a dynamic-only node on
// local sockets, and the suite's handling of what a target declares can be
// checked against it); a value outside the full set is a usage error.
func parseCapabilities(s string) (*Capabilities, error) {
	full := FullCapabilities()
	c := full
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, contract.Usagef("--capabilities: %v", err)
	}
	lists := map[string]*[]string{"roles": &c.Roles, "transports": &c.Transports, "types": &c.Types,
		"sourceApis": &c.SourceAPIs, "replicaModes": &c.ReplicaModes, "load": &c.Load}
	fulls := map[string][]string{"roles": full.Roles, "transports": full.Transports, "types": full.Types,
		"sourceApis": full.SourceAPIs, "replicaModes": full.ReplicaModes, "load": full.Load}
	for k, v := range raw {
		switch k {
		case "registry", "heartbeat":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return nil, contract.Usagef("--capabilities: %s: %v", k, err)
			}
			if k == "registry" {
				c.Registry = &b
			} else {
				c.Heartbeat = &b
			}
		default:
			dst, ok := lists[k]
			if !ok {
				return nil, contract.Usagef("--capabilities: unknown key %q", k)
			}
			var l []string
			if err := json.Unmarshal(v, &l); err != nil {
				return nil, contract.Usagef("--capabilities: %s: %v", k, err)
			}
			for _, x := range l {
				if !slices.Contains(fulls[k], x) {
					return nil, contract.Usagef("--capabilities: %s: the Go node has no %q", k, x)
				}
			}
			*dst = l
		}
	}
	return &c, nil
}

// refuses returns what of the command line lies outside the declared
// capabilities (feature, reason), or ok=false when everything is inside.
func refuses(c Capabilities, o *Options) (feature, reason string, refused bool) {
	check := func(kind string, list []string, v string) bool {
		if v == "" || slices.Contains(list, v) {
			return false
		}
		feature, reason = kind+":"+v, fmt.Sprintf("declared %s are %s", kind, strings.Join(list, ","))
		return true
	}
	scheme := func(u string) string {
		i := strings.IndexByte(u, ':')
		if i <= 0 || !slices.Contains(FullCapabilities().Transports, u[:i]) {
			return "" // an unknown scheme is HostUrlInvalid, as in Qt
		}
		return u[:i]
	}
	mode := ""
	if o.Role == contract.RoleNode {
		mode = "static"
		if o.Dynamic {
			mode = "dynamic"
		}
	}
	api := ""
	if o.Role != contract.RoleNode {
		api = o.SourceAPI
	}
	switch {
	case check("roles", c.Roles, o.Role),
		check("transports", c.Transports, scheme(o.URL)),
		check("transports", c.Transports, scheme(o.Registry)),
		check("types", c.Types, o.Type),
		check("replicaModes", c.ReplicaModes, mode),
		check("sourceApis", c.SourceAPIs, api):
		return feature, reason, true
	case o.Registry != "" && !contract.Has(c.Registry):
		return "registry", "declared registry: false", true
	case o.HeartbeatMs > 0 && !contract.Has(c.Heartbeat):
		return "heartbeat", "declared heartbeat: false", true
	}
	return "", "", false
}
