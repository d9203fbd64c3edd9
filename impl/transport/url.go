// Package transport turns QtRO URLs (tcp://host:port, local:name,
// localabstract:name) into listeners and connections, with Qt's edge rules,
// and lets an application plug in its own schemes (Qt's "external schemas").
//
// It knows nothing of packets: it hands net.Conns to the node.
package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Built-in schemes.
const (
	TCP           = "tcp"
	Local         = "local"
	LocalAbstract = "localabstract"
)

// Sentinels; the node maps them to Qt's node error codes.
var (
	// ErrInvalidURL corresponds to Qt's HostUrlInvalid.
	ErrInvalidURL = errors.New("invalid QtRO URL")
	// ErrUnknownScheme means no transport is registered for the scheme
	// (Qt: HostUrlInvalid when hosting, RegistryNotAcquired when connecting).
	ErrUnknownScheme = errors.New("unknown URL scheme")
	// ErrListen corresponds to Qt's ListenFailed.
	ErrListen = errors.New("listen failed")
	// ErrSocketAccess corresponds to Qt's SocketAccessError.
	ErrSocketAccess = errors.New("socket access error")
	// ErrEmptySocketName marks a local: or localabstract: URL without a
	// name; it wraps ErrInvalidURL, but a Qt host reports it as ListenFailed
	// (the scheme is valid, QLocalServer::listen("") fails).
	ErrEmptySocketName = errors.New("empty socket name")
)

// URL is a parsed QtRO URL.
type URL struct {
	Scheme string
	// Host and Port are set for tcp. Port is -1 when the URL has none; Qt
	// then uses 65535 (its -1 wraps to an unsigned 16-bit port).
	Host string
	Port int
	// Name is the local socket name or path, or the abstract name.
	Name string
	// Opaque holds everything after "scheme:" for other schemes.
	Opaque string
}

// Parse parses a QtRO URL. It accepts "tcp://host:port" (IPv4, [IPv6],
// host names, missing port), "local:name" (also "local://name"),
// "localabstract:name", and any "scheme:rest" for external schemes.
func Parse(raw string) (URL, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" || !validScheme(scheme) {
		return URL{}, fmt.Errorf("%w: %q has no scheme", ErrInvalidURL, raw)
	}
	scheme = strings.ToLower(scheme)
	u := URL{Scheme: scheme, Port: -1}
	switch scheme {
	case TCP:
		if !strings.HasPrefix(rest, "//") {
			return URL{}, fmt.Errorf("%w: %q: tcp URLs need tcp://host:port", ErrInvalidURL, raw)
		}
		hostport := strings.TrimPrefix(rest, "//")
		if i := strings.IndexAny(hostport, "/?#"); i >= 0 {
			hostport = hostport[:i]
		}
		if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
			hostport = hostport[at+1:]
		}
		host, port, err := splitHostPort(hostport)
		if err != nil {
			return URL{}, fmt.Errorf("%w: %q: %v", ErrInvalidURL, raw, err)
		}
		u.Host, u.Port = host, port
	case Local, LocalAbstract:
		name := strings.TrimPrefix(rest, "//")
		if name == "" {
			return URL{}, fmt.Errorf("%w: %q: %w", ErrInvalidURL, raw, ErrEmptySocketName)
		}
		u.Name = name
	default:
		u.Opaque = rest
	}
	return u, nil
}

func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

func splitHostPort(hp string) (host string, port int, err error) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", 0, errors.New("missing ']' in IPv6 address")
		}
		host, hp = hp[1:end], hp[end+1:]
		if hp == "" {
			return host, -1, nil
		}
		if hp[0] != ':' {
			return "", 0, errors.New("junk after IPv6 address")
		}
		p, err := parsePort(hp[1:])
		return host, p, err
	}
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		if strings.Count(hp, ":") > 1 {
			return hp, -1, nil // a bare IPv6 address without brackets and port
		}
		p, err := parsePort(hp[i+1:])
		return hp[:i], p, err
	}
	return hp, -1, nil
}

func parsePort(s string) (int, error) {
	if s == "" {
		return -1, nil
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return p, nil
}

// String formats the URL the way Qt reports it (hostUrl()).
func (u URL) String() string {
	switch u.Scheme {
	case TCP:
		port := u.Port
		if port < 0 {
			port = 65535
		}
		return "tcp://" + net.JoinHostPort(u.Host, strconv.Itoa(port))
	case Local, LocalAbstract:
		return u.Scheme + ":" + u.Name
	}
	return u.Scheme + ":" + u.Opaque
}

// TCPAddr returns the host:port to listen on or dial, applying Qt's rules:
// an empty host is all interfaces and a missing port is 65535.
func (u URL) TCPAddr() string {
	port := u.Port
	if port < 0 {
		port = 65535
	}
	return net.JoinHostPort(u.Host, strconv.Itoa(port))
}

// SocketPath returns the file system path of a local: URL: a relative name
// lives in the temporary directory ($TMPDIR, else /tmp), as QLocalServer
// puts it; an absolute path is used as is.
func (u URL) SocketPath() string {
	if filepath.IsAbs(u.Name) {
		return u.Name
	}
	return filepath.Join(os.TempDir(), u.Name)
}

// AbstractAddr returns the Go address of a localabstract: URL: Linux's
// abstract namespace, the name with no padding.
func (u URL) AbstractAddr() string { return "@" + u.Name }

// isIP reports whether s is a literal IP address.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
