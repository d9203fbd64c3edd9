package node_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/transport/pki"
	"github.com/qtro/qtro/impl/wire"
)

// secureSchemes are the built-in schemes plus tls+tcp, ws and wss with a
// listener's (server) or a dialer's configuration from p.
func secureSchemes(p *pki.PKI, server, mutual bool) *node.Schemes {
	if server {
		return transport.WithSecure(p.ServerConfig(mutual))
	}
	return transport.WithSecure(p.ClientConfig())
}

// acquirer is a Node or a Host (whose node side acquires).
type acquirer interface {
	AcquireDynamic(name string, opts ...node.AcquireOption) (*node.Replica, error)
}

// checkSimple acquires Simple through a and checks a slot call gets its
// reply and that setting count to v on src reaches the replica.
func checkSimple(t *testing.T, ctx context.Context, a acquirer, src *node.Source, v int64) {
	t.Helper()
	got := make(chan int64, 16)
	r, err := a.AcquireDynamic("Simple", node.WithSubscriber(func(ev node.Event) {
		if ev.Kind == node.PropertyChanged && ev.Name == "count" {
			got <- ev.Value.Int()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := r.Call(ctx, "add", 2, 3); err != nil || res.Int() != 5 {
		t.Fatalf("add(2, 3) = %v, %v", res, err)
	}
	if err := src.SetProperty("count", int32(v)); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case x := <-got:
			if x == v {
				return
			}
		case <-ctx.Done():
			t.Fatalf("count %d never reached the replica", v)
		}
	}
}

func simpleSource(t *testing.T, d wire.Dialect) *node.Source {
	src := node.NewSource(simpleClass(t, d))
	if err := src.SetProperty("count", 7); err != nil {
		t.Fatal(err)
	}
	_ = src.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
		return node.ValueOf(int32(a[0].Int() + a[1].Int()))
	})
	return src
}

// A Go host and a Go node speak QtRO over tls+tcp (mutual TLS), ws and
// wss, in both dialects.
func TestSecureTransports(t *testing.T) {
	p, err := pki.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range wire.Dialects {
		for _, raw := range []string{"tls+tcp://127.0.0.1:0", "ws://127.0.0.1:0", "wss://127.0.0.1:0/qtro"} {
			t.Run(d.String()+"/"+raw, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				h, err := node.NewHost(ctx, raw, node.Config{Dialect: d, Schemes: secureSchemes(p, true, true)})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				src := simpleSource(t, d)
				if err := h.EnableRemoting(src, "Simple"); err != nil {
					t.Fatal(err)
				}
				n := node.NewNode(node.Config{Schemes: secureSchemes(p, false, false)})
				defer n.Close()
				if err := n.ConnectToNode(h.URL()); err != nil {
					t.Fatal(err)
				}
				checkSimple(t, ctx, n, src, 8)
			})
		}
	}
}

// Connections made by the program (Qt: addHostSideConnection and
// addClientSideConnection) carry QtRO like the host's own: here the two
// ends of a pipe. A lost external connection is not redialled.
func TestExternalConnections(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range wire.Dialects {
		t.Run(d.String(), func(t *testing.T) {
			h, err := node.NewHost(ctx, "", node.Config{Dialect: d})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			src := simpleSource(t, d)
			if err := h.EnableRemoting(src, "Simple"); err != nil {
				t.Fatal(err)
			}
			hostEnd, nodeEnd := net.Pipe()
			if err := h.AddHostSideConnection(hostEnd, 0); err != nil {
				t.Fatal(err)
			}
			n := node.NewNode(node.Config{})
			defer n.Close()
			if err := n.AddClientSideConnection(nodeEnd); err != nil {
				t.Fatal(err)
			}
			checkSimple(t, ctx, n, src, 8)
			if st := h.Stats(); st.Accepted != 1 || st.Open != 1 {
				t.Errorf("host stats %+v: want the external connection counted", st)
			}
			r, err := n.AcquireDynamic("Simple")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			if err := r.WaitForSource(ctx); err != nil {
				t.Fatal(err)
			}
			hostEnd.Close()
			deadline := time.Now().Add(5 * time.Second)
			for r.State() == node.Valid && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if r.State() == node.Valid {
				t.Fatal("replica still Valid after its external connection closed")
			}
		})
	}
	// Closed hosts and nodes refuse connections (and close them).
	h, _ := node.NewHost(ctx, "", node.Config{})
	h.Close()
	a, b := net.Pipe()
	defer b.Close()
	if err := h.AddHostSideConnection(a, 0); !errors.Is(err, node.ErrClosed) {
		t.Errorf("closed host: %v", err)
	}
	n := node.NewNode(node.Config{})
	n.Close()
	if err := n.AddClientSideConnection(b); !errors.Is(err, node.ErrClosed) {
		t.Errorf("closed node: %v", err)
	}
}

// Bad clients of a TLS or WebSocket host (a certificate from another CA,
// none where mutual TLS wants one, plain TCP on a TLS port, an HTTP request
// that is no upgrade) are counted, lose only their own connection, and the
// host serves a good client meanwhile; a node whose certificate check
// fails reports ErrHandshake to OnError once, not every retry.
func TestSecureTransportRejections(t *testing.T) {
	p, err := pki.New()
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"tls+tcp://127.0.0.1:0", "wss://127.0.0.1:0", "ws://127.0.0.1:0"} {
		t.Run(raw, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h, err := node.NewHost(ctx, raw, node.Config{Schemes: secureSchemes(p, true, true)})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			src := simpleSource(t, wire.Qt6)
			if err := h.EnableRemoting(src, "Simple"); err != nil {
				t.Fatal(err)
			}
			good := node.NewNode(node.Config{Schemes: secureSchemes(p, false, false)})
			defer good.Close()
			if err := good.ConnectToNode(h.URL()); err != nil {
				t.Fatal(err)
			}
			want := uint64(0)
			if raw != "ws://127.0.0.1:0" {
				// A node that trusts another CA: it rejects the host, reports
				// it once, and keeps retrying quietly.
				bad := node.NewNode(node.Config{Schemes: secureSchemes(other, false, false), RetryInterval: 10 * time.Millisecond})
				reported := make(chan error, 16)
				bad.OnError(func(err error) { reported <- err })
				if err := bad.ConnectToNode(h.URL()); err != nil {
					t.Fatal(err)
				}
				select {
				case err := <-reported:
					if !errors.Is(err, transport.ErrHandshake) {
						t.Errorf("reported %v, want ErrHandshake", err)
					}
				case <-ctx.Done():
					t.Fatal("a rejected certificate was not reported")
				}
				time.Sleep(100 * time.Millisecond) // ~10 more retries
				bad.Close()
				if len(reported) != 0 {
					t.Errorf("reported %d more times: want once per episode", len(reported))
				}
				want = h.Stats().HandshakeFailures // each retry is one on the host
				if want == 0 {
					t.Error("the host did not count the rejected handshakes")
				}
			}
			// Plain TCP speaking QtRO (a ping) on the port, and an HTTP GET.
			addr, err := transport.Parse(h.URL())
			if err != nil {
				t.Fatal(err)
			}
			for _, junk := range []string{"\x00\x00\x00\x0a\x00\x0bQtRO", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"} {
				c, err := net.Dial("tcp", hostPort(t, addr))
				if err != nil {
					t.Fatal(err)
				}
				_, _ = c.Write([]byte(junk))
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				var buf [64]byte
				n, _ := c.Read(buf[:])
				if n >= 4 && string(buf[:4]) != "HTTP" {
					t.Errorf("junk %q got %d bytes that are no HTTP error: % x", junk, n, buf[:n])
				}
				c.Close()
				want++
			}
			deadline := time.Now().Add(5 * time.Second)
			for h.Stats().HandshakeFailures < want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := h.Stats().HandshakeFailures; got < want {
				t.Errorf("HandshakeFailures = %d, want %d", got, want)
			}
			checkSimple(t, ctx, good, src, 8)
		})
	}
}

func hostPort(t *testing.T, u transport.URL) string {
	t.Helper()
	return u.Opaque[2:]
}

// A Host is also a Node (Qt: QRemoteObjectHost is a QRemoteObjectNode): it
// acquires replicas from a host it connects to, from hosts its registry
// lists, and of its own sources (in process).
func TestHostIsANode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := node.NewRegistryHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	a, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	src := simpleSource(t, wire.Qt6)
	if err := a.EnableRemoting(src, "Simple"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetRegistryURL(reg.URL()); err != nil {
		t.Fatal(err)
	}
	t.Run("connectToNode", func(t *testing.T) {
		b, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.ConnectToNode(a.URL()); err != nil {
			t.Fatal(err)
		}
		checkSimple(t, ctx, b, src, 7)
	})
	t.Run("registry", func(t *testing.T) {
		b, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.SetRegistryURL(reg.URL()); err != nil {
			t.Fatal(err)
		}
		checkSimple(t, ctx, b, src, 8)
	})
	t.Run("in process", func(t *testing.T) {
		checkSimple(t, ctx, a, src, 9)
		checkSimple(t, ctx, a, src, 10) // a second acquire reuses the connection
		if st := a.Stats(); st.Accepted != 3 {
			// b twice (connectToNode, registry) and one in-process connection
			t.Errorf("host a accepted %d connections, want 3", st.Accepted)
		}
	})
	a.Close()
	if _, err := a.AcquireDynamic("Simple"); !errors.Is(err, node.ErrClosed) {
		t.Errorf("acquire on a closed host: %v", err)
	}
}

// A host that acquires a name before remoting it gets the in-process
// replica once it does.
func TestHostAcquiresOwnSourceLater(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r, err := h.AcquireDynamic("Simple")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	src := simpleSource(t, wire.Qt6)
	if err := h.EnableRemoting(src, "Simple"); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Property("count"); err != nil || v.Int() != 7 {
		t.Fatalf("count = %v, %v", v, err)
	}
}
