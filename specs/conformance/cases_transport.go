package conformance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/onsi/ginkgo/v2"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/transport/pki"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
	"github.com/qtro/qtro/specs/wirepeer"
)

// External transports (area XT): QtRO over TLS and WebSocket, as Qt
// programs carry it through addHostSideConnection/addClientSideConnection
// (Qt's ssl and websockets examples; ADAPTER.md §2.2). The suite makes a
// throwaway CA per case and hands the target its certificate files
// (§11: QTRO_TLS_CERT, QTRO_TLS_KEY, QTRO_TLS_CA).

// caseTLS is a case's CA, certificates and the suite's TLS schemes.
type caseTLS struct {
	p     *pki.PKI
	files pki.Files
	// client dials the target's tls+tcp/ws/wss hosts trusting the case's CA;
	// server listens for the target's nodes with the case's server certificate.
	client, server *transport.Schemes
}

// tlsCase returns the case's certificates, made on first use.
func (e *Env) tlsCase() *caseTLS {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tls != nil {
		return e.tls
	}
	p, err := pki.New()
	if err != nil {
		ginkgo.Fail("conformance: making certificates: " + err.Error())
	}
	dir := e.tmp
	if dir == "" {
		e.mu.Unlock()
		dir = e.TempDir()
		e.mu.Lock()
	}
	f, err := p.WriteFiles(dir)
	if err != nil {
		ginkgo.Fail("conformance: writing certificates: " + err.Error())
	}
	e.tls = &caseTLS{p: p, files: f, client: transport.WithSecure(p.ClientConfig()), server: transport.WithSecure(p.ServerConfig(false))}
	return e.tls
}

// hostEnv is what a target host needs to serve tls+tcp and wss: the
// server certificate (no CA: client certificates are not asked for).
func (t *caseTLS) hostEnv() []string {
	return []string{"QTRO_TLS_CERT=" + t.files.ServerCert, "QTRO_TLS_KEY=" + t.files.ServerKey}
}

// nodeEnv is what a target node needs to trust the suite's hosts.
func (t *caseTLS) nodeEnv() []string { return []string{"QTRO_TLS_CA=" + t.files.CA} }

// secureHost starts the target as a test-object host on scheme
// (tls+tcp, ws or wss) and returns it with its URL.
func (e *Env) secureHost(scheme string) (*adapter.Adapter, string) {
	if e.Target.URL != "" {
		e.NotApplicable("an url: target is one host on one transport; this requirement starts a host on " + scheme)
	}
	return e.Host(Options{URL: scheme + "://127.0.0.1:0", Env: e.tlsCase().hostEnv()})
}

// dialSecure opens a raw QtRO connection over tls+tcp, ws or wss.
func (e *Env) dialSecure(url string) *wirepeer.Conn {
	if e.D == 0 {
		e.D = wire.Qt6
	}
	c, err := wirepeer.DialVia(e.Ctx, e.tlsCase().client, url, e.D)
	e.NoErr(err, "connecting to "+url)
	registerTestTypes(c.Types(), e.D)
	e.track(c)
	return c
}

// hostPort is the host:port of a tls+tcp, ws or wss URL.
func hostPort(e *Env, url string) string {
	_, rest, _ := strings.Cut(url, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" {
		e.Failf("no host:port in the URL %q the host reported", url)
	}
	return rest
}

// wsClient is a raw WebSocket client of a target host: the suite sees
// message types and boundaries.
func (e *Env) wsClient(url string) *websocket.Conn {
	opts := &websocket.DialOptions{}
	if strings.HasPrefix(url, "wss:") {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: e.tlsCase().p.ClientConfig()}}
	}
	ws, _, err := websocket.Dial(e.within(10*time.Second), url, opts)
	e.NoErr(err, "WebSocket upgrade to "+url)
	ws.SetReadLimit(-1)
	e.Defer(func() { _ = ws.CloseNow() })
	return ws
}

// wsFrames reads binary messages from ws until their concatenation holds
// n complete QtRO frames, and returns those frames' packets; a text
// message fails the case.
func (e *Env) wsFrames(ws *websocket.Conn, n int) []wire.Packet {
	var stream bytes.Buffer
	var out []wire.Packet
	ctx := e.within(10 * time.Second)
	for len(out) < n {
		typ, msg, err := ws.Read(ctx)
		e.NoErr(err, fmt.Sprintf("reading WebSocket messages (have %d of %d packets)", len(out), n))
		if typ != websocket.MessageBinary {
			e.Failf("the host sent a %v message: QtRO goes in binary messages only", typ)
		}
		stream.Write(msg)
		out = out[:0]
		r := wire.NewReader(bytes.NewReader(stream.Bytes()), e.D, wireTypes(e.D), wire.Limits{})
		for {
			p, err := r.ReadPacket()
			if err != nil {
				break
			}
			out = append(out, p)
		}
	}
	return out
}

// wireTypes are the dialect's types plus the test object's PODs.
func wireTypes(d wire.Dialect) *qds.Types {
	t := qds.NewTypes(d.Types())
	registerTestTypes(t, d)
	return t
}

// greetingOf checks packets begin with the Handshake of the target's
// dialect and an ObjectList.
func (e *Env) greetingOf(ps []wire.Packet) {
	hs, ok := ps[0].(*wire.HandshakePacket)
	e.Expect(ok).To(equal(true), "first packet %s, want a Handshake", wire.Describe(ps[0]))
	e.Expect(hs.Version).To(equal(e.D.ProtocolVersion()), "protocol version")
	_, ok = ps[1].(*wire.ObjectListPacket)
	e.Expect(ok).To(equal(true), "second packet %s, want an ObjectList", wire.Describe(ps[1]))
}

var _ = ginkgo.Describe("External transports: TLS and WebSocket", func() {
	// XT-1: TLS, then QtRO as over tcp.
	Case("XT-1", func(e *Env) {
		_, url := e.secureHost(transport.TLSTCP)
		c := e.dialSecure(url)
		e.greeting(c)
		e.acquireRaw(c, TestObjectName, false)
	})
	// XT-2: plain QtRO bytes on a TLS port get no QtRO data; others are served.
	Case("XT-2", func(e *Env) {
		a, url := e.secureHost(transport.TLSTCP)
		plain, err := net.DialTimeout("tcp", hostPort(e, url), 5*time.Second)
		e.NoErr(err, "plain TCP connection to the TLS port")
		defer plain.Close()
		_, _ = plain.Write(mustFrame(e.D, &wire.AddObjectPacket{Name: TestObjectName}))
		_ = plain.SetReadDeadline(time.Now().Add(3 * time.Second))
		got, _ := io.ReadAll(io.LimitReader(plain, 1<<16))
		if _, ok := wire.DetectDialect(got); ok || bytes.Contains(got, []byte("QtRO")) {
			e.Failf("a client that spoke no TLS got QtRO data: % x", got[:min(len(got), 32)])
		}
		switch {
		case len(got) > 0:
			e.Observe("the host answered %d bytes that are no QtRO (a TLS alert)", len(got))
		case isClosed(plain):
			e.Observe("the host closed the connection without a byte")
		default:
			e.Observe("the host kept the plain connection open, silent, for 3 s")
		}
		select {
		case <-a.Exited():
			e.Failf("the host %s after a plain-TCP client", a.ExitDescription())
		default:
		}
		c := e.dialSecure(url)
		e.greeting(c)
	})
	// XT-3: a node that does not trust the host's certificate sends nothing.
	Case("XT-3", func(e *Env) {
		other, err := pki.New()
		e.NoErr(err, "making a second CA")
		if e.D == 0 {
			e.D = wire.Qt6
		}
		srv, err := wirepeer.ListenVia(e.Ctx, transport.WithSecure(other.ServerConfig(false)), "tls+tcp://127.0.0.1:0", e.D)
		e.NoErr(err, "listening with a certificate of another CA")
		e.Defer(func() { srv.Close() })
		a := e.Node(Options{URL: srv.URL(), Object: TestObjectName, Env: e.tlsCase().nodeEnv()})
		ctx, cancel := context.WithTimeout(e.Ctx, 10*time.Second)
		defer cancel()
		c, err := srv.Accept(ctx)
		switch {
		case err == nil:
			e.track(c)
			e.Failf("the node completed a TLS handshake with a host whose certificate its CA did not sign")
		case errors.Is(err, transport.ErrHandshake):
			e.Observe("the node's TLS handshake failed as it must: %v", err)
		default:
			e.Failf("the node made no TLS connection attempt within 10 s (%v): nothing to judge", err)
		}
		if _, err := a.WaitFor(e.within(500*time.Millisecond), 0, adapter.Named("initialized")); err == nil {
			e.Failf("the node initialised a replica from an untrusted host")
		}
		e.alive(a, "after an untrusted certificate")
	})
	// XT-4: ws carries the QtRO stream in binary messages.
	Case("XT-4", func(e *Env) {
		_, url := e.secureHost(transport.WS)
		ws := e.wsClient(url)
		e.greetingOf(e.wsFrames(ws, 2))
	})
	// XT-5: message boundaries mean nothing: AddObject one byte a message.
	Case("XT-5", func(e *Env) {
		_, url := e.secureHost(transport.WS)
		ws := e.wsClient(url)
		e.greetingOf(e.wsFrames(ws, 2))
		add := mustFrame(e.D, &wire.AddObjectPacket{Name: TestObjectName})
		ping := mustFrame(e.D, &wire.PingPacket{Name: "split"})
		ctx := e.within(10 * time.Second)
		for i := range add {
			e.NoErr(ws.Write(ctx, websocket.MessageBinary, add[i:i+1]), "writing AddObject a byte at a time")
		}
		e.NoErr(ws.Write(ctx, websocket.MessageBinary, append(append([]byte{}, ping...), ping...)), "two Pings in one message")
		var stream bytes.Buffer
		var sawInit, pongs int
		for sawInit == 0 || pongs < 2 {
			_, msg, err := ws.Read(ctx)
			e.NoErr(err, fmt.Sprintf("waiting for the Init and two Pongs (Init %d, Pongs %d)", sawInit, pongs))
			stream.Write(msg)
			sawInit, pongs = 0, 0
			r := wire.NewReader(bytes.NewReader(stream.Bytes()), e.D, wireTypes(e.D), wire.Limits{})
			for {
				p, err := r.ReadPacket()
				if err != nil {
					break
				}
				switch p.Type() {
				case wire.InitPacket:
					sawInit++
				case wire.Pong:
					pongs++
				}
			}
		}
	})
	// XT-6: an HTTP request that is no upgrade gets an HTTP error.
	Case("XT-6", func(e *Env) {
		a, url := e.secureHost(transport.WS)
		c, err := net.DialTimeout("tcp", hostPort(e, url), 5*time.Second)
		e.NoErr(err, "connecting to the WebSocket port")
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: qtro\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			e.Failf("no HTTP response to a GET that is no upgrade (%v): RFC 6455 §4.2.1 wants an error status such as 400", err)
		}
		resp.Body.Close()
		e.Expect(resp.StatusCode >= 400).To(equal(true), "status %d for a GET that is no upgrade", resp.StatusCode)
		e.alive(a, "after a plain HTTP request")
		e.greetingOf(e.wsFrames(e.wsClient(url), 2))
	})
	// XT-7: a text message (informational: no QtRO peer sends one).
	Case("XT-7", func(e *Env) {
		a, url := e.secureHost(transport.WS)
		ws := e.wsClient(url)
		e.greetingOf(e.wsFrames(ws, 2))
		ctx := e.within(5 * time.Second)
		e.NoErr(ws.Write(ctx, websocket.MessageText, []byte("hello")), "sending a text message")
		e.NoErr(ws.Write(ctx, websocket.MessageBinary, mustFrame(e.D, &wire.PingPacket{Name: "after-text"})), "then a Ping")
		_, msg, err := ws.Read(ctx)
		switch {
		case err == nil:
			e.Observe("the host ignored the text message and answered the Ping (%d bytes)", len(msg))
		case websocket.CloseStatus(err) != -1:
			e.Observe("the host closed the WebSocket with status %d", websocket.CloseStatus(err))
		default:
			e.Observe("the connection ended: %v", err)
		}
		e.alive(a, "after a text message")
	})
	// XT-8: a node over ws and wss: AddObject arrives, the replica is Valid.
	Case("XT-8", func(e *Env) {
		for _, scheme := range []string{transport.WS, transport.WSS} {
			if e.D == 0 {
				e.D = wire.Qt6
			}
			srv, err := wirepeer.ListenVia(e.Ctx, e.tlsCase().server, scheme+"://127.0.0.1:0", e.D)
			e.NoErr(err, "listening on "+scheme)
			e.Defer(func() { srv.Close() })
			o := Options{URL: srv.URL(), Object: TestObjectName, Env: e.tlsCase().nodeEnv()}
			e.adaptMode(&o)
			h := &rawHost{e: e, Srv: srv, URL: srv.URL(), Dynamic: !o.Static}
			h.A = e.Node(o)
			h.C = e.acceptWithin(srv, 15*time.Second)
			h.greet()
			h.expectAdd(TestObjectName)
			h.sendInit(h.Dynamic, nil)
			e.waitEvent(h.A, 0, adapter.StateChanged(TestObjectName, "Valid"), 10*time.Second, "the replica over "+scheme+" to become Valid")
		}
	})
	// XT-9: wss: TLS, the upgrade, then QtRO in binary messages.
	Case("XT-9", func(e *Env) {
		_, url := e.secureHost(transport.WSS)
		ws := e.wsClient(url)
		e.greetingOf(e.wsFrames(ws, 2))
	})
})

// isClosed reports whether the peer closed c (a read returns EOF at once).
func isClosed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return err == io.EOF
}
