package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Transport listens on and dials the URLs of one scheme.
type Transport interface {
	// Listen starts listening on u and returns the listener and the URL it
	// actually listens on, normalised as Qt reports it (resolved address,
	// bound port).
	Listen(ctx context.Context, u URL) (net.Listener, URL, error)
	// Dial connects to u.
	Dial(ctx context.Context, u URL) (net.Conn, error)
}

// Schemes maps URL schemes to transports. The zero value has none; use
// Default for the built-in ones. It is safe for concurrent use.
type Schemes struct {
	mu sync.RWMutex
	m  map[string]Transport
}

// Default returns the built-in schemes: tcp, local and localabstract.
func Default() *Schemes {
	s := &Schemes{}
	s.Register(TCP, tcpTransport{})
	s.Register(Local, LocalSocket{Access: UserAccess})
	s.Register(LocalAbstract, abstractTransport{})
	return s
}

// Register adds or replaces the transport of a scheme (Qt's
// registerExternalSchema, for a net.Conn-based transport of your own).
func (s *Schemes) Register(scheme string, t Transport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Transport{}
	}
	s.m[scheme] = t
}

// Lookup returns the transport of a scheme.
func (s *Schemes) Lookup(scheme string) (Transport, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.m[scheme]
	return t, ok
}

// Supports reports whether raw is a URL these schemes can listen on or dial
// (it parses and its scheme is registered); nothing is opened.
func (s *Schemes) Supports(raw string) bool {
	u, err := Parse(raw)
	if err != nil {
		return false
	}
	_, ok := s.Lookup(u.Scheme)
	return ok
}

// Listen parses raw and listens on it.
func (s *Schemes) Listen(ctx context.Context, raw string) (net.Listener, URL, error) {
	u, err := Parse(raw)
	if err != nil {
		return nil, URL{}, err
	}
	t, ok := s.Lookup(u.Scheme)
	if !ok {
		return nil, URL{}, fmt.Errorf("%w: %q", ErrUnknownScheme, u.Scheme)
	}
	return t.Listen(ctx, u)
}

// Dial parses raw and connects to it.
func (s *Schemes) Dial(ctx context.Context, raw string) (net.Conn, error) {
	u, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	t, ok := s.Lookup(u.Scheme)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, u.Scheme)
	}
	return t.Dial(ctx, u)
}

type tcpTransport struct{}

var _ Transport = tcpTransport{}

func (tcpTransport) Listen(ctx context.Context, u URL) (net.Listener, URL, error) {
	host := u.Host
	if host != "" && !isIP(host) {
		// Qt resolves a host name once and listens on its first address.
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return nil, URL{}, fmt.Errorf("%w: resolve %q: %v", ErrListen, host, err)
		}
		host = addrs[0].IP.String()
	}
	addr := URL{Scheme: TCP, Host: host, Port: u.Port}
	lc := net.ListenConfig{KeepAlive: -1} // like QTcpServer: liveness is QtRO's heartbeat, not TCP's
	ln, err := lc.Listen(ctx, "tcp", addr.TCPAddr())
	if err != nil {
		return nil, URL{}, fmt.Errorf("%w: %v", ErrListen, err)
	}
	bound := ln.Addr().(*net.TCPAddr)
	out := URL{Scheme: TCP, Host: host, Port: bound.Port}
	if host == "" {
		out.Host = "0.0.0.0" // what Qt reports (and advertises) for tcp://:port
	}
	return ln, out, nil
}

func (tcpTransport) Dial(ctx context.Context, u URL) (net.Conn, error) {
	// No TCP keepalive, like QTcpSocket: four setsockopt calls per
	// connection that a 10,000-replica storm pays for nothing. Go sets
	// TCP_NODELAY on every TCP connection; QtRO's Qt backends do not (no
	// LowDelayOption anywhere in qtremoteobjects; strace of Qt 5.15 and
	// 6.4 agrees), so Qt's small writes may wait for Nagle's algorithm:
	// fewer packets and less CPU at high rates, more latency. We keep
	// NODELAY for latency; loadgen's rows show what each choice costs.
	d := net.Dialer{KeepAlive: -1}
	return d.DialContext(ctx, "tcp", u.TCPAddr())
}

// SocketAccess says who may connect to a local: socket (Qt 6:
// QRemoteObjectHost::setLocalServerOptions with QLocalServer's
// UserAccessOption, GroupAccessOption, OtherAccessOption): connecting
// needs write permission on the socket file.
type SocketAccess uint8

// Access bits; combine them with |.
const (
	UserAccess  SocketAccess = 1 << iota // the owner (mode 0700)
	GroupAccess                          // the owner's group (0070)
	OtherAccess                          // everyone else (0007)
	// WorldAccess is all three (Qt: WorldAccessOption).
	WorldAccess = UserAccess | GroupAccess | OtherAccess
)

func (a SocketAccess) mode() os.FileMode {
	var m os.FileMode
	if a&UserAccess != 0 {
		m |= 0o700
	}
	if a&GroupAccess != 0 {
		m |= 0o070
	}
	if a&OtherAccess != 0 {
		m |= 0o007
	}
	return m
}

// LocalSocket is the local: transport (Unix-domain sockets, at Qt's
// paths). Access sets the socket file's permissions; zero leaves them to
// the umask, as Qt's default (QLocalServer::NoOptions) does. Default
// registers it with UserAccess: only the owner may connect, whatever the
// umask (under the common umask 022 that is also what Qt's default gives).
//
// With an Access, the socket is bound in a fresh private directory,
// given its mode there and then put into place, as QLocalServer does, so
// that nobody can connect in the moment between bind and chmod.
type LocalSocket struct {
	Access SocketAccess
}

var _ Transport = LocalSocket{}

// Listen listens on local:NAME.
func (t LocalSocket) Listen(ctx context.Context, u URL) (net.Listener, URL, error) {
	path := u.SocketPath()
	var lc net.ListenConfig
	bind := func() (net.Listener, error) {
		if t.Access == 0 {
			return lc.Listen(ctx, "unix", path)
		}
		return listenWithMode(ctx, path, t.Access.mode())
	}
	ln, err := bind()
	if err != nil && errors.Is(err, syscall.EADDRINUSE) && stale(ctx, path) {
		// Qt removes the file and listens again; so do we, but only when no
		// server answers on it, so a live host is never hijacked.
		_ = os.Remove(path)
		ln, err = bind()
	}
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, URL{}, fmt.Errorf("%w: %v", ErrSocketAccess, err)
		}
		return nil, URL{}, fmt.Errorf("%w: %v", ErrListen, err)
	}
	return ownSocket(ln.(*net.UnixListener), path), u, nil
}

// listenWithMode binds a unix socket at path with the file mode given:
// in a private temporary directory beside path first, then linked into
// place (a hard link, which unlike a rename fails if path exists: that is
// EADDRINUSE, as bind(2) would say).
func listenWithMode(ctx context.Context, path string, mode os.FileMode) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".qtro-socket-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", tmp)
	if err != nil {
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, mode); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Link(tmp, path); err != nil {
		ln.Close()
		if errors.Is(err, os.ErrExist) {
			err = &net.OpError{Op: "listen", Net: "unix", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
		}
		return nil, err
	}
	return ln, nil
}

// ownedSocket is a unix listener that removes its socket file on Close
// only if the file is still the one it created. Another host may have taken
// the name over meanwhile (a Qt host removes a socket file in use and
// listens anew); unlinking that file, as net.UnixListener does, would
// make the other host unreachable.
type ownedSocket struct {
	*net.UnixListener
	path string
	file os.FileInfo // the socket file right after bind; nil if it could not be read
	keep bool        // SetUnlinkOnClose(false): leave the file (a crashed host's stale socket)
}

// SetUnlinkOnClose says whether Close removes the socket file (if still
// ours), like net.UnixListener's.
func (l *ownedSocket) SetUnlinkOnClose(unlink bool) { l.keep = !unlink }

func ownSocket(ln *net.UnixListener, path string) net.Listener {
	ln.SetUnlinkOnClose(false)
	fi, _ := os.Lstat(path)
	return &ownedSocket{UnixListener: ln, path: path, file: fi}
}

// Close stops listening and removes the socket file if it is still ours.
func (l *ownedSocket) Close() error {
	err := l.UnixListener.Close()
	if l.file != nil && !l.keep {
		if now, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(now, l.file) {
			_ = os.Remove(l.path)
		}
	}
	return err
}

// stale reports whether nobody accepts connections on the socket file.
func stale(ctx context.Context, path string) bool {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		c.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// Dial connects to local:NAME.
func (LocalSocket) Dial(ctx context.Context, u URL) (net.Conn, error) {
	return dialUnix(ctx, u.SocketPath())
}

// localConnectTimeout is QLocalSocket's QT_CONNECT_TIMEOUT: how long a
// connect waits for room in a full listen backlog.
const localConnectTimeout = 30 * time.Second

// dialUnix connects to a unix socket. A full backlog makes connect(2) fail
// with EAGAIN on a non-blocking socket, where QLocalSocket waits and tries
// again (up to 30 s); so does this, with a short backoff, so that a storm
// of local connections is admitted as the host accepts.
func dialUnix(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	deadline := time.Now().Add(localConnectTimeout)
	wait := time.Millisecond
	for {
		c, err := d.DialContext(ctx, "unix", addr)
		if err == nil || !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			return c, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		wait = min(wait*2, 50*time.Millisecond)
	}
}

type abstractTransport struct{}

var _ Transport = abstractTransport{}

func (abstractTransport) Listen(ctx context.Context, u URL) (net.Listener, URL, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", u.AbstractAddr())
	if err != nil {
		return nil, URL{}, fmt.Errorf("%w: %v", ErrListen, err)
	}
	return ln, u, nil
}

func (abstractTransport) Dial(ctx context.Context, u URL) (net.Conn, error) {
	return dialUnix(ctx, u.AbstractAddr())
}
