package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// WebSocket carries QtRO in binary WebSocket messages, as Qt's websockets
// example does (its WebSocketIoDevice sends each write of the QtRO stream
// as one binary message and appends every binary message it receives to
// the stream; message boundaries mean nothing). Unlike that example, a
// text message is not ignored: it is an error that closes the connection
// (StatusUnsupportedData), since no QtRO peer sends one.
//
// ws://host:port[/path] is plain; wss://host:port[/path] runs over TLS
// with TLS.Config as the TLS transport does. A listener accepts the
// upgrade on any path, as QWebSocketServer does; a request that is not a
// WebSocket upgrade gets an HTTP error and is reported by Accept as an
// error wrapping ErrHandshake, which a Host counts and does not back off
// for.
type WebSocket struct {
	// TLS configures wss: (certificates for a listener, roots for a
	// dialer). Unused for ws:.
	TLS *tls.Config
	// Accept configures the upgrade of a listener (origins, subprotocols);
	// nil accepts requests with no Origin or the listener's own.
	Accept *websocket.AcceptOptions
	// HandshakeTimeout bounds a listener's TLS handshake and HTTP upgrade
	// of each connection (default 10 s), so a client that never finishes
	// costs one goroutine for that long only.
	HandshakeTimeout time.Duration
}

var _ Transport = WebSocket{}

const defaultWSHandshakeTimeout = 10 * time.Second

func (t WebSocket) handshakeTimeout() time.Duration {
	if t.HandshakeTimeout > 0 {
		return t.HandshakeTimeout
	}
	return defaultWSHandshakeTimeout
}

// Listen serves WebSocket upgrades on ws:// or wss://host:port.
func (t WebSocket) Listen(ctx context.Context, u URL) (net.Listener, URL, error) {
	secure := u.Scheme == WSS
	if secure && (t.TLS == nil || (len(t.TLS.Certificates) == 0 && t.TLS.GetCertificate == nil && t.TLS.GetConfigForClient == nil)) {
		return nil, URL{}, fmt.Errorf("%w: %s needs a certificate", ErrListen, u)
	}
	ln, bound, err := listenTCP(ctx, u)
	if err != nil {
		return nil, URL{}, err
	}
	l := &wsListener{inner: ln, out: make(chan accepted, 64), done: make(chan struct{}), seen: map[net.Conn]bool{}}
	var serveOn net.Listener = ln
	if secure {
		serveOn = newHandshakingListener(tls.NewListener(ln, t.TLS), t.handshakeTimeout(), l.reject, l.done)
	}
	opts := t.Accept
	l.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l.handled(r)
			c, err := websocket.Accept(w, r, opts)
			if err != nil {
				l.reject(fmt.Errorf("%w: %s %s from %s: %w", ErrHandshake, r.Method, r.URL.Path, r.RemoteAddr, err))
				return
			}
			nc := netConn(c)
			select {
			case l.out <- accepted{c: nc}:
			case <-l.done:
				nc.Close()
			}
		}),
		ReadHeaderTimeout: t.handshakeTimeout(),
		ConnContext:       l.connContext,
		ConnState:         l.connState,
		// http.Server logs every failed request; a flood of them must not
		// become a log flood: they are reported through Accept instead.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = l.srv.Serve(serveOn) }()
	return l, bound, nil
}

// Dial connects to ws:// or wss://host:port[/path] and upgrades; a failed
// TLS handshake or upgrade wraps ErrHandshake.
func (t WebSocket) Dial(ctx context.Context, u URL) (net.Conn, error) {
	host, port, path, err := u.hostPortPath()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:     (&net.Dialer{KeepAlive: -1}).DialContext,
		TLSClientConfig: t.TLS.Clone(),
	}
	defer tr.CloseIdleConnections()
	target := u.Scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + path
	c, _, err := websocket.Dial(ctx, target, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return nil, handshakeError(err)
	}
	return netConn(c), nil
}

// wsConn is the net.Conn of a WebSocket (binary messages) whose Close
// drops the connection at once.
type wsConn struct {
	net.Conn
	ws *websocket.Conn
}

func netConn(c *websocket.Conn) net.Conn {
	// The connection outlives whatever upgraded it: its context is its own.
	return &wsConn{Conn: websocket.NetConn(context.Background(), c, websocket.MessageBinary), ws: c}
}

// Close closes the TCP connection without the WebSocket close handshake
// (the peer sees status 1006, abnormal closure, as when a QtRO peer dies):
// the library's handshake waits up to 5 s for a reader that is in the
// middle of a message, which a QtRO connection's reader nearly always is,
// and a Host must not take 5 s per connection to shut down. QtRO needs no
// more than the TCP close to know the connection is gone.
func (c *wsConn) Close() error { return c.ws.CloseNow() }

type connKey struct{}

// connContext lets the handler find the connection of a request.
func (l *wsListener) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// handled marks a request's connection as one that got as far as a
// request the handler saw (and reported, if it was no upgrade).
func (l *wsListener) handled(r *http.Request) {
	if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
		l.mu.Lock()
		l.seen[c] = true
		l.mu.Unlock()
	}
}

// connState reports a connection that closes without a request reaching
// the handler (bytes that are no HTTP, a request cut short or too slow):
// net/http answered it with an error, or not at all, and said nothing.
func (l *wsListener) connState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateNew:
		l.seen[c] = false
	case http.StateHijacked:
		delete(l.seen, c)
	case http.StateClosed:
		seen, ok := l.seen[c]
		delete(l.seen, c)
		if ok && !seen {
			l.reject(fmt.Errorf("%w: no HTTP request from %s", ErrHandshake, c.RemoteAddr()))
		}
	}
}

type accepted struct {
	c   net.Conn
	err error
}

// wsListener hands out the connections its HTTP server upgraded.
type wsListener struct {
	inner net.Listener
	srv   *http.Server
	out   chan accepted
	done  chan struct{}
	once  sync.Once

	mu   sync.Mutex
	seen map[net.Conn]bool // open connections: has the handler seen a request on it?
}

// Accept returns the next upgraded connection, or an error wrapping
// ErrHandshake for a connection that failed its handshake or upgrade
// (reported, not fatal: accept again).
func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case a := <-l.out:
		return a.c, a.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// reject reports a failed handshake through Accept, unless too many are
// waiting: a flood of bad requests is reported in part, never queued
// without bound.
func (l *wsListener) reject(err error) {
	select {
	case l.out <- accepted{err: err}:
	default:
	}
}

// Close stops listening; connections already handed out stay open.
func (l *wsListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		_ = l.srv.Close()
	})
	return nil
}

func (l *wsListener) Addr() net.Addr { return l.inner.Addr() }

// handshakingListener finishes each TLS connection's handshake on its own
// goroutine, with a deadline, before handing it out: a client that never
// completes one (or does not speak TLS) is reported and dropped, and
// cannot hold up others.
type handshakingListener struct {
	net.Listener
	out  chan net.Conn
	done <-chan struct{}
}

func newHandshakingListener(ln net.Listener, timeout time.Duration, reject func(error), done <-chan struct{}) *handshakingListener {
	h := &handshakingListener{Listener: ln, out: make(chan net.Conn), done: done}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(5 * time.Millisecond) // out of descriptors: as the Host's accept loop
				continue
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				if err := Handshake(ctx, c); err != nil {
					c.Close()
					reject(fmt.Errorf("%w (from %s)", err, c.RemoteAddr()))
					return
				}
				select {
				case h.out <- c:
				case <-done:
					c.Close()
				}
			}()
		}
	}()
	return h
}

func (h *handshakingListener) Accept() (net.Conn, error) {
	select {
	case c := <-h.out:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}
