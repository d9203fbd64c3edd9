package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Schemes of the secure and WebSocket transports. Qt has no URL for them:
// a Qt program hands QSslSocket or a QWebSocket wrapper to
// addHostSideConnection / addClientSideConnection itself. These names are
// ours; a Qt registry shows whatever URL such a host announces.
const (
	// TLSTCP is QtRO over TLS over TCP: tls+tcp://host:port.
	TLSTCP = "tls+tcp"
	// WS is QtRO in binary WebSocket messages: ws://host:port[/path].
	WS = "ws"
	// WSS is WS over TLS: wss://host:port[/path].
	WSS = "wss"
)

// ErrHandshake means a connection's transport handshake failed: a TLS
// peer's certificate was rejected or it did not speak TLS, or an HTTP
// request was not a WebSocket upgrade. Only that connection is lost.
var ErrHandshake = errors.New("transport handshake failed")

// TLS carries QtRO over TLS over TCP, as Qt's ssl example does with
// QSslServer/QSslSocket. Config holds the certificates: a listener needs
// Certificates (and ClientCAs with ClientAuth for mutual TLS); a dialer
// needs RootCAs (or the system's) and, for mutual TLS, Certificates.
//
// Listen does not handshake: a Host finishes each connection's handshake
// on its own goroutine (Handshaker), so a client that never completes one
// cannot stall the accept loop.
type TLS struct {
	Config *tls.Config
}

var _ Transport = TLS{}

// Listen listens on tls+tcp://host:port.
func (t TLS) Listen(ctx context.Context, u URL) (net.Listener, URL, error) {
	if t.Config == nil || (len(t.Config.Certificates) == 0 && t.Config.GetCertificate == nil && t.Config.GetConfigForClient == nil) {
		return nil, URL{}, fmt.Errorf("%w: %s needs a certificate", ErrListen, u)
	}
	ln, bound, err := listenTCP(ctx, u)
	if err != nil {
		return nil, URL{}, err
	}
	return tls.NewListener(ln, t.Config), bound, nil
}

// Dial connects to tls+tcp://host:port and completes the TLS handshake;
// a failed one wraps ErrHandshake.
func (t TLS) Dial(ctx context.Context, u URL) (net.Conn, error) {
	host, port, _, err := u.hostPortPath()
	if err != nil {
		return nil, err
	}
	cfg := t.Config.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	d := tls.Dialer{NetDialer: &net.Dialer{KeepAlive: -1}, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, handshakeError(err)
	}
	return c, nil
}

// handshakeError marks err as a failed handshake unless it failed before
// one began (no route, refused, cancelled).
func handshakeError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrHandshake, err)
}

// Handshaker is a connection with a handshake of its own to finish before
// QtRO can start, such as *tls.Conn. Host calls it with a deadline before
// greeting; a failure is reported wrapped in ErrHandshake.
type Handshaker interface {
	HandshakeContext(ctx context.Context) error
}

// Handshake finishes c's transport handshake if it has one (Handshaker);
// a failure wraps ErrHandshake.
func Handshake(ctx context.Context, c net.Conn) error {
	h, ok := c.(Handshaker)
	if !ok {
		return nil
	}
	if err := h.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return nil
}

// listenTCP listens on the host and port of u as tcp:// does and returns
// u with the bound port.
func listenTCP(ctx context.Context, u URL) (net.Listener, URL, error) {
	host, port, path, err := u.hostPortPath()
	if err != nil {
		return nil, URL{}, err
	}
	ln, bound, err := tcpTransport{}.Listen(ctx, URL{Scheme: TCP, Host: host, Port: port})
	if err != nil {
		return nil, URL{}, err
	}
	out := URL{Scheme: u.Scheme, Host: bound.Host, Port: bound.Port}
	out.Opaque = "//" + net.JoinHostPort(bound.Host, strconv.Itoa(bound.Port)) + path
	return ln, out, nil
}

// hostPortPath splits the "//host:port/path" of an external scheme's URL
// (tls+tcp, ws, wss); a missing port is an error, as these have no
// default in Qt to follow.
func (u URL) hostPortPath() (host string, port int, path string, err error) {
	rest, ok := strings.CutPrefix(u.Opaque, "//")
	if !ok {
		return "", 0, "", fmt.Errorf("%w: %s: needs %s://host:port", ErrInvalidURL, u, u.Scheme)
	}
	hostport := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	host, port, err = splitHostPort(hostport)
	if err == nil && port < 0 {
		err = errors.New("no port")
	}
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: %s: %v", ErrInvalidURL, u, err)
	}
	return host, port, path, nil
}

// WithSecure returns the built-in schemes plus tls+tcp, ws and wss, whose
// TLS uses cfg (a listener's or a dialer's configuration; ws ignores it).
func WithSecure(cfg *tls.Config) *Schemes {
	s := Default()
	s.Register(TLSTCP, TLS{Config: cfg})
	s.Register(WS, WebSocket{TLS: cfg})
	s.Register(WSS, WebSocket{TLS: cfg})
	return s
}

// LoadTLSConfig builds a TLS configuration from PEM files, any of which
// may be "": certFile and keyFile are this side's certificate, caFile the
// only CA trusted. For a server (a listener), a CA makes it require and
// verify client certificates (mutual TLS); for a client it replaces the
// system's roots.
func LoadTLSConfig(certFile, keyFile, caFile string, server bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if certFile != "" || keyFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: certificate %s, key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("tls: CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: CA %s: no PEM certificate", caFile)
		}
		if server {
			cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		} else {
			cfg.RootCAs = pool
		}
	}
	return cfg, nil
}
