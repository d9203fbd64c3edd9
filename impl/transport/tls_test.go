package transport_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/transport/pki"
)

func newPKI(t *testing.T) *pki.PKI {
	t.Helper()
	p, err := pki.New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// secureSchemes are the built-in schemes plus tls+tcp, ws and wss with a
// listener's (server) or a dialer's configuration from p.
func secureSchemes(p *pki.PKI, server, mutual bool) *transport.Schemes {
	if server {
		return transport.WithSecure(p.ServerConfig(mutual))
	}
	return transport.WithSecure(p.ClientConfig())
}

// tlsServing accepts on ln and finishes each connection's handshake as a
// Host does (transport.Handshake), reporting the result.
func tlsServing(ln net.Listener) <-chan error {
	res := make(chan error, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					res <- err
				}
				return
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				res <- transport.Handshake(ctx, c)
				c.Close()
			}()
		}
	}()
	return res
}

// tls+tcp, ws and wss listen, report their bound URL, and carry bytes both
// ways (with mutual TLS where there is TLS); a ws message boundary means
// nothing to the stream.
func TestSecureAndWebSocketRoundTrip(t *testing.T) {
	p := newPKI(t)
	for _, mutual := range []bool{false, true} {
		srv, cli := secureSchemes(p, true, mutual), secureSchemes(p, false, false)
		for _, raw := range []string{"tls+tcp://127.0.0.1:0", "ws://127.0.0.1:0", "wss://127.0.0.1:0/qtro", "ws://[::1]:0"} {
			t.Run(raw, func(t *testing.T) {
				ln, u, err := srv.Listen(testCtx(t), raw)
				if err != nil {
					if strings.Contains(raw, "::1") {
						t.Skipf("no IPv6 loopback: %v", err) // the machine's, not the transport's
					}
					t.Fatal(err)
				}
				defer ln.Close()
				if u.Port <= 0 || !strings.HasPrefix(u.String(), u.Scheme+"://") || strings.HasSuffix(u.String(), ":0") {
					t.Fatalf("bound URL %q", u)
				}
				roundTrip(t, cli, ln, u.String())
			})
		}
	}
}

// A client that trusts another CA, a client without a certificate where
// one is required, and a plain-TCP client on a TLS port each fail their
// handshake with ErrHandshake; the listener serves the next client.
func TestTLSRejections(t *testing.T) {
	p, other := newPKI(t), newPKI(t)
	ln, u, err := secureSchemes(p, true, true).Listen(testCtx(t), "tls+tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := tlsServing(ln)

	// The wrong CA: the client rejects the server.
	if _, err := secureSchemes(other, false, false).Dial(testCtx(t), u.String()); !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("dial with the wrong CA: %v, want ErrHandshake", err)
	}
	if err := <-served; !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("server side of a rejected server certificate: %v", err)
	}
	// No client certificate where mutual TLS requires one: TLS 1.3 tells
	// the client on its first read, the server at once.
	noCert := transport.Default()
	cfg := p.ClientConfig()
	cfg.Certificates = nil
	noCert.Register(transport.TLSTCP, transport.TLS{Config: cfg})
	if c, err := noCert.Dial(testCtx(t), u.String()); err == nil {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("a client without a certificate read data")
		}
		c.Close()
	}
	if err := <-served; !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("server side of a missing client certificate: %v", err)
	}
	// Plain TCP on the TLS port: QtRO bytes are no ClientHello.
	c, err := net.Dial("tcp", u.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte{0, 0, 0, 10, 0, 1, 0, 0, 0, 4})
	if err := <-served; !errors.Is(err, transport.ErrHandshake) {
		t.Fatalf("server side of plain TCP: %v", err)
	}
	c.Close()
	// And a good client still gets through.
	good, err := secureSchemes(p, false, false).Dial(testCtx(t), u.String())
	if err != nil {
		t.Fatal(err)
	}
	good.Close()
	if err := <-served; err != nil {
		t.Fatalf("good client after the bad ones: %v", err)
	}
}

// An HTTP request that is no upgrade gets an HTTP error, and Accept
// reports it as ErrHandshake without closing the listener; a plain-TCP
// client on a wss port likewise; a good client is served after both.
func TestWebSocketRejections(t *testing.T) {
	p := newPKI(t)
	for _, scheme := range []string{"ws", "wss"} {
		t.Run(scheme, func(t *testing.T) {
			ln, u, err := secureSchemes(p, true, false).Listen(testCtx(t), scheme+"://127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c, err := net.Dial("tcp", u.TCPAddr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if scheme == "ws" {
				_, _ = io.WriteString(c, "GET /qtro HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil || resp.StatusCode < 400 {
					t.Fatalf("plain GET on a WebSocket listener: %v %v", resp, err)
				}
			} else {
				_, _ = c.Write([]byte{0, 0, 0, 10, 0, 1, 0, 0, 0, 4})
			}
			if _, err := ln.Accept(); !errors.Is(err, transport.ErrHandshake) {
				t.Fatalf("Accept after a bad request: %v, want ErrHandshake", err)
			}
			roundTrip(t, secureSchemes(p, false, false), ln, u.String())
		})
	}
}

// A text message is no QtRO data: the reader gets an error and the
// connection closes; binary messages before it were delivered in order.
func TestWebSocketTextMessage(t *testing.T) {
	ln, u, err := secureSchemes(newPKI(t), true, false).Listen(testCtx(t), "ws://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := testCtx(t)
	ws, _, err := websocket.Dial(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	for _, m := range []string{"Qt", "RO"} {
		if err := ws.Write(ctx, websocket.MessageBinary, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ws.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	// The client reads, as a live peer does, so it answers the close frame
	// the listener's side sends (else the library waits 5 s for it).
	closed := make(chan error, 1)
	go func() { _, _, err := ws.Read(ctx); closed <- err }()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	got, err := io.ReadAll(sc)
	if !bytes.Equal(got, []byte("QtRO")) || err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("read %q, %v; want QtRO and an error", got, err)
	}
	if !strings.Contains(err.Error(), "MessageText") {
		t.Errorf("error does not say why: %v", err)
	}
	if err := <-closed; websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
		t.Errorf("the sender of the text message read %v, want close status %d", err, websocket.StatusUnsupportedData)
	}
}

// Listening on wss or tls+tcp without a certificate fails at once.
func TestSecureListenNeedsCertificate(t *testing.T) {
	s := transport.Default()
	s.Register(transport.TLSTCP, transport.TLS{})
	s.Register(transport.WSS, transport.WebSocket{})
	for _, raw := range []string{"tls+tcp://127.0.0.1:0", "wss://127.0.0.1:0"} {
		if _, _, err := s.Listen(testCtx(t), raw); !errors.Is(err, transport.ErrListen) {
			t.Errorf("Listen(%s) without a certificate: %v", raw, err)
		}
	}
	s = secureSchemes(newPKI(t), true, false)
	for _, raw := range []string{"tls+tcp:127.0.0.1:1", "tls+tcp://127.0.0.1", "ws://[::1", "wss://host:99999"} {
		if _, _, err := s.Listen(testCtx(t), raw); !errors.Is(err, transport.ErrInvalidURL) {
			t.Errorf("Listen(%s): %v, want ErrInvalidURL", raw, err)
		}
	}
}

// PEM files written by pki load into configurations that talk to each
// other (mutual TLS), and bad files are reported.
func TestLoadTLSConfig(t *testing.T) {
	f, err := newPKI(t).WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := transport.LoadTLSConfig(f.ServerCert, f.ServerKey, f.CA, true)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := transport.LoadTLSConfig(f.ClientCert, f.ClientKey, f.CA, false)
	if err != nil {
		t.Fatal(err)
	}
	ln, u, err := transport.WithSecure(srv).Listen(testCtx(t), "tls+tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	roundTrip(t, transport.WithSecure(cli), ln, u.String())
	if _, err := transport.LoadTLSConfig(f.ServerCert, f.ClientKey, "", true); err == nil {
		t.Error("a certificate with another's key loaded")
	}
	if _, err := transport.LoadTLSConfig("", "", f.ServerKey, false); err == nil {
		t.Error("a key loaded as a CA")
	}
}
