//go:build qtro_mutation

package node

import (
	"os"
	"strings"
)

// Deliberate faults for the conformance suite's mutation check, chosen with
// QTRO_MUTATION (comma-separated). A build with the qtro_mutation tag is a
// broken node on purpose: the suite must notice each fault.
//
//	wrong-version         the host's Handshake names another protocol version
//	drop-property-change  the host sends notify signals without PropertyChange
//	wrong-serial          the host replies to serial+1
//	misorder-init         the host sends Init values in reverse property order
//	empty-init            the host sends Init and InitDynamic packets without values
//	no-pong               the host ignores Ping
var mutations = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("QTRO_MUTATION"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}()

func mutating(name string) bool { return mutations[name] }
