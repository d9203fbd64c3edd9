package contract

import (
	"errors"
	"slices"
	"testing"
)

// TestNarrowAndRefuses: --capabilities narrows the full set key by key
// (a value outside it is a usage error), and a command line outside what is
// declared is refused with the feature the unsupported event names.
func TestNarrowAndRefuses(t *testing.T) {
	full := Capabilities{Roles: []string{RoleHost, RoleNode}, Transports: Transports,
		Types: []string{TypeTick, TypePlain}, SourceAPIs: []string{ModeStatic, ModeDynamic},
		ReplicaModes: []string{ModeStatic, ModeDynamic}, Registry: Yes(true), Heartbeat: Yes(true)}
	n, err := full.Narrow(`{"transports":["local"],"replicaModes":["dynamic"],"heartbeat":false}`, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.Transports, []string{"local"}) || !slices.Equal(n.Roles, full.Roles) || Has(n.Heartbeat) {
		t.Errorf("narrowed %+v", n)
	}
	for _, bad := range []string{`{"roles":["registry"]}`, `{"colour":[]}`, `{"registry":1}`, `[`} {
		if _, err := full.Narrow(bad, "test"); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v, want ErrUsage", bad, err)
		}
	}
	for _, tc := range []struct {
		cl      CommandLine
		feature string
	}{
		{CommandLine{Role: RoleNode, URL: "local:x", Type: TypeTick, Dynamic: true}, ""},
		{CommandLine{Role: RoleNode, URL: "tcp://h:1", Type: TypeTick, Dynamic: true}, "transports:tcp"},
		{CommandLine{Role: RoleNode, URL: "bogus:x", Type: TypeTick, Dynamic: true}, ""},
		{CommandLine{Role: RoleNode, URL: "local:x", Type: TypeTick}, "replicaModes:static"},
		{CommandLine{Role: RoleNode, URL: "local:x", Type: TypeTick, Dynamic: true, HeartbeatMs: 5}, "heartbeat"},
		{CommandLine{Role: RoleHost, URL: "local:x", Type: TypePlain, SourceAPI: ModeDynamic}, ""},
	} {
		feature, _, refused := n.Refuses(&tc.cl)
		if feature != tc.feature || refused != (tc.feature != "") {
			t.Errorf("%+v: refused %v %q, want %q", tc.cl, refused, feature, tc.feature)
		}
	}
}
