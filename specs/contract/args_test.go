package contract

import (
	"errors"
	"testing"
)

// TestParseCommandLine: the flags of §2 in any order and both forms, an
// adapter's own flag through extra, and usage errors.
func TestParseCommandLine(t *testing.T) {
	var dialect string
	extra := func(flag string, value func() (string, error)) (bool, error) {
		if flag != "--dialect" {
			return false, nil
		}
		v, err := value()
		dialect = v
		return true, err
	}
	a, err := ParseCommandLine([]string{"--dialect", "qt5", "node", "--url=tcp://127.0.0.1:1", "--dynamic", "--heartbeat", "20", "--type", "tick"}, extra)
	if err != nil {
		t.Fatal(err)
	}
	if a.Role != RoleNode || a.URL != "tcp://127.0.0.1:1" || !a.Dynamic || !a.ModeGiven || a.HeartbeatMs != 20 ||
		a.Type != TypeTick || a.ObjectName() != "Tick" || a.CallTimeoutMs != 5000 || dialect != "qt5" {
		t.Errorf("parsed %+v, dialect %q", a, dialect)
	}
	for _, bad := range [][]string{{"host", "--bogus"}, {"host", "--url"}, {"node", "--dynamic=1"}, {"node", "--heartbeat", "-1"},
		{"host", "--type", "foo"}, {"node", "a"}, {}} {
		if _, err := ParseCommandLine(bad, extra); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v, want ErrUsage", bad, err)
		}
	}
}
