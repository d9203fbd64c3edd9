//go:build linux

package stormclient_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/loadgen/stormclient"
	"github.com/qtro/qtro/loadgen/target/gonode"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// host starts a Go host remoting a Tick as "Tick0" in dialect d.
func host(t *testing.T, url string, d wire.Dialect) *node.Host {
	t.Helper()
	cls, err := gonode.TickClass(d)
	if err != nil {
		t.Fatal(err)
	}
	h, err := node.NewHost(context.Background(), url, node.Config{Dialect: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.EnableRemoting(node.NewSource(cls), "Tick0"); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestStorm(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		url     string
		d       wire.Dialect
		dynamic bool
	}{
		{"tcp qt6 static", "tcp://127.0.0.1:0", wire.Qt6, false},
		{"tcp qt5 dynamic", "tcp://127.0.0.1:0", wire.Qt5, true},
		{"local qt6 dynamic", "local:" + filepath.Join(dir, "storm"), wire.Qt6, true},
		{"localabstract qt5 static", "localabstract:qtro-storm-test", wire.Qt5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := host(t, tc.url, tc.d)
			r, err := stormclient.Run(context.Background(), stormclient.Config{URL: h.URL(), Object: "Tick0",
				Dynamic: tc.dynamic, Count: 300, InFlight: 50, Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid != 300 || r.Failed != 0 || r.TimedOut || len(r.Init) != 300 {
				t.Fatalf("valid %d failed %d (%v) timed out %v, %d init times", r.Valid, r.Failed, r.FirstErr, r.TimedOut, len(r.Init))
			}
			if r.Elapsed <= 0 || r.Elapsed < r.Init[0] {
				t.Errorf("elapsed %v, first init %v", r.Elapsed, r.Init[0])
			}
			// The replicas are real to the host: it sent 300 Inits and holds the connections.
			if n := h.Connections(); n < 1 {
				t.Errorf("host sees %d connections", n)
			}
		})
	}
}

// A source the host does not have: no AddObject goes out, nothing is Valid,
// the storm ends at its timeout and says so.
func TestStormUnknownSource(t *testing.T) {
	h := host(t, "tcp://127.0.0.1:0", wire.Qt6)
	r, err := stormclient.Run(context.Background(), stormclient.Config{URL: h.URL(), Object: "Nope", Count: 5, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid != 0 || !r.TimedOut {
		t.Errorf("valid %d, timed out %v", r.Valid, r.TimedOut)
	}
}

// Refused connections and a peer that is not a QtRO host are failures, counted.
func TestStormFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "tcp://" + ln.Addr().String()
	ln.Close() // nobody listens there now
	r, err := stormclient.Run(context.Background(), stormclient.Config{URL: url, Object: "Tick0", Count: 10, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 10 || r.Valid != 0 || r.FirstErr == nil {
		t.Errorf("refused: failed %d valid %d first %v", r.Failed, r.Valid, r.FirstErr)
	}

	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	r, err = stormclient.Run(context.Background(), stormclient.Config{URL: "tcp://" + garbage.Addr().String(), Object: "Tick0", Count: 3, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 3 || !errors.Is(r.FirstErr, wire.ErrNoHandshake) {
		t.Errorf("garbage: failed %d, first %v", r.Failed, r.FirstErr)
	}
	garbage.Close()
	<-done
}

func TestStormBadConfig(t *testing.T) {
	if _, err := stormclient.Run(context.Background(), stormclient.Config{URL: "tcp://127.0.0.1:1", Object: "x"}); err == nil {
		t.Error("Count 0 accepted")
	}
	if _, err := stormclient.Run(context.Background(), stormclient.Config{URL: "bogus://x", Object: "x", Count: 1}); err == nil {
		t.Error("an unknown scheme accepted")
	}
}
