package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/transport"
)

var seq atomic.Int64

// uniqueName returns a socket name no other test (or process) uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// roundTrip accepts one connection on ln, dials raw through s, and checks
// that bytes flow both ways.
func roundTrip(t *testing.T, s *transport.Schemes, ln net.Listener, raw string) {
	t.Helper()
	roundTripSkipping(t, s, ln, raw, 0)
}

// roundTripSkipping is roundTrip when up to skip connections that closed
// without a byte (probes) may be queued on ln before the test's own.
func roundTripSkipping(t *testing.T, s *transport.Schemes, ln net.Listener, raw string, skip int) {
	t.Helper()
	ctx := testCtx(t)
	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, skip+1)
	go func() {
		for range skip + 1 {
			c, err := ln.Accept()
			if err == nil {
				err = transport.Handshake(ctx, c) // as a Host does before reading (TLS)
			}
			acc <- accepted{c, err}
			if err != nil {
				return
			}
		}
	}()
	cc, err := s.Dial(ctx, raw)
	if err != nil {
		t.Fatalf("Dial(%q): %v", raw, err)
	}
	defer cc.Close()
	_ = cc.SetDeadline(time.Now().Add(5 * time.Second))
	ping := []byte("QtRO ping \x00\x01\x02")
	if _, err := cc.Write(ping); err != nil {
		t.Fatal(err)
	}
	var a accepted
	for i := 0; ; i++ {
		a = <-acc
		if a.err != nil {
			t.Fatalf("Accept: %v", a.err)
		}
		defer a.c.Close()
		_ = a.c.SetDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(ping))
		n, err := io.ReadFull(a.c, got)
		if n == 0 && errors.Is(err, io.EOF) && i < skip {
			continue // a probe connection
		}
		if err != nil || !bytes.Equal(got, ping) {
			t.Fatalf("server read %q, %v; want %q", got, err, ping)
		}
		break
	}
	pong := bytes.Repeat([]byte("pong"), 10000) // larger than one socket write
	go func() { _, _ = a.c.Write(pong) }()
	got := make([]byte, len(pong))
	if _, err := io.ReadFull(cc, got); err != nil || !bytes.Equal(got, pong) {
		t.Fatalf("client read %d bytes, %v", len(got), err)
	}
}

// Every built-in scheme listens, reports its URL as Qt would, and carries
// bytes both ways.
func TestListenDialRoundTrip(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	abs := filepath.Join(t.TempDir(), "abs.sock")
	abstract := uniqueName("qtro-tr")
	tests := []struct {
		name    string
		raw     string
		wantURL func(transport.URL) string // the normalised URL Listen must report
	}{
		{"tcp ipv4", "tcp://127.0.0.1:0", func(u transport.URL) string { return "tcp://127.0.0.1:" + strconv.Itoa(u.Port) }},
		{"tcp ipv6", "tcp://[::1]:0", func(u transport.URL) string { return "tcp://[::1]:" + strconv.Itoa(u.Port) }},
		{"local relative", "local:qtro-rt", func(transport.URL) string { return "local:qtro-rt" }},
		{"local absolute", "local:" + abs, func(transport.URL) string { return "local:" + abs }},
		{"localabstract", "localabstract:" + abstract, func(transport.URL) string { return "localabstract:" + abstract }},
	}
	s := transport.Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, u, err := s.Listen(testCtx(t), tt.raw)
			if err != nil {
				if tt.name == "tcp ipv6" && strings.Contains(err.Error(), "cannot assign") {
					t.Skip("no IPv6 loopback in this environment")
				}
				t.Fatalf("Listen(%q): %v", tt.raw, err)
			}
			defer ln.Close()
			if got, want := u.String(), tt.wantURL(u); got != want {
				t.Fatalf("Listen(%q) reports %q, want %q", tt.raw, got, want)
			}
			if u.Scheme == transport.TCP && u.Port == 0 {
				t.Fatalf("Listen(%q) reports port 0, want the bound port", tt.raw)
			}
			// Dial the reported URL, as a registry client would.
			roundTrip(t, s, ln, u.String())
		})
	}
}

// The socket of a relative local: name is created in $TMPDIR, and removed
// when the listener closes.
func TestLocalSocketFileLocation(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	ln, _, err := transport.Default().Listen(testCtx(t), "local:qtro-where")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "qtro-where"))
	if err != nil {
		ln.Close()
		t.Fatalf("socket file not in TMPDIR: %v", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("%s is %v, want a socket", fi.Name(), fi.Mode())
	}
	ln.Close()
	if _, err := os.Stat(filepath.Join(dir, "qtro-where")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind after Close: %v", err)
	}
}

// tcp://:port listens on every interface and is reported (and advertised)
// as tcp://0.0.0.0:port, as Qt does [V].
func TestTCPAnyAddress(t *testing.T) {
	s := transport.Default()
	ln, u, err := s.Listen(testCtx(t), "tcp://:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bound := ln.Addr().(*net.TCPAddr).Port
	if u.Host != "0.0.0.0" || u.Port != bound || bound == 0 {
		t.Fatalf("reported %+v, want host 0.0.0.0 and the bound port %d", u, bound)
	}
	if got, want := u.String(), "tcp://0.0.0.0:"+strconv.Itoa(bound); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	roundTrip(t, s, ln, "tcp://127.0.0.1:"+strconv.Itoa(bound))
}

// A host name is resolved once and its first address is listened on and
// reported: tcp://localhost:N is reported as tcp://127.0.0.1:N [V].
func TestTCPLocalhostResolves(t *testing.T) {
	s := transport.Default()
	ln, u, err := s.Listen(testCtx(t), "tcp://localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if u.Host != "127.0.0.1" {
		t.Fatalf("tcp://localhost:0 reported as %q, want tcp://127.0.0.1:<port>", u.String())
	}
	if got := ln.Addr().(*net.TCPAddr).IP.String(); got != "127.0.0.1" {
		t.Fatalf("listening on %s, want 127.0.0.1", got)
	}
	// A client given the host name resolves it too.
	roundTrip(t, s, ln, "tcp://localhost:"+strconv.Itoa(u.Port))
}

// A port in use is ErrListen (Qt: ListenFailed) [V].
func TestTCPPortInUse(t *testing.T) {
	s := transport.Default()
	ln, u, err := s.Listen(testCtx(t), "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln2, _, err := s.Listen(testCtx(t), u.String())
	if err == nil {
		ln2.Close()
		t.Fatalf("second Listen(%q) succeeded", u.String())
	}
	if !errors.Is(err, transport.ErrListen) {
		t.Fatalf("second Listen: %v, want ErrListen", err)
	}
	roundTrip(t, s, ln, u.String()) // the first listener is unharmed
}

// An abstract name in use is ErrListen; there is no file to take over.
func TestAbstractInUse(t *testing.T) {
	s := transport.Default()
	raw := "localabstract:" + uniqueName("qtro-busy")
	ln, _, err := s.Listen(testCtx(t), raw)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln2, _, err := s.Listen(testCtx(t), raw)
	if err == nil {
		ln2.Close()
		t.Fatalf("second Listen(%q) succeeded", raw)
	}
	if !errors.Is(err, transport.ErrListen) {
		t.Fatalf("second Listen: %v, want ErrListen", err)
	}
	roundTrip(t, s, ln, raw)
}

// A socket file left by a dead server is removed and listened on again, as
// Qt's LocalServerImpl::listen does (removeServer + listen) [V].
func TestLocalStaleSocketTakenOver(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	path := filepath.Join(dir, "qtro-stale")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false) // die like a killed process: the file stays
	old.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket file missing: %v", err)
	}
	s := transport.Default()
	ln, u, err := s.Listen(testCtx(t), "local:qtro-stale")
	if err != nil {
		t.Fatalf("Listen over a stale socket file: %v", err)
	}
	defer ln.Close()
	if u.String() != "local:qtro-stale" {
		t.Fatalf("reported %q", u.String())
	}
	roundTrip(t, s, ln, "local:qtro-stale")
}

// A live server's socket is not taken over: the second Listen fails and the
// first server keeps its clients. (Qt removes the file regardless, stealing
// the name from a live host; qtro refuses on purpose.)
func TestLocalLiveSocketNotTakenOver(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s := transport.Default()
	ln, _, err := s.Listen(testCtx(t), "local:qtro-live")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln2, _, err := s.Listen(testCtx(t), "local:qtro-live")
	if err == nil {
		ln2.Close()
		t.Fatal("Listen took over a live server's socket")
	}
	if !errors.Is(err, transport.ErrListen) {
		t.Fatalf("second Listen: %v, want ErrListen", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "qtro-live")); err != nil {
		t.Fatalf("live server's socket file was removed: %v", err)
	}
	// Still reachable, still the first server. Listen's staleness check
	// connected to it once and hung up: that probe is queued first.
	roundTripSkipping(t, s, ln, "local:qtro-live", 1)
}

// Dialing nothing fails for every scheme (the node retries).
func TestDialNothing(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	// A port that was free a moment ago.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := transport.Default()
	for _, raw := range []string{
		"tcp://127.0.0.1:" + strconv.Itoa(port),
		"local:qtro-nobody",
		"localabstract:" + uniqueName("qtro-nobody"),
	} {
		c, err := s.Dial(testCtx(t), raw)
		if err == nil {
			c.Close()
			t.Errorf("Dial(%q) succeeded with no server", raw)
		}
	}
}

// Unknown schemes and bad URLs are refused by Listen and Dial with
// sentinels the node maps to Qt's codes.
func TestSchemesRefuse(t *testing.T) {
	s := transport.Default()
	tests := []struct {
		raw  string
		want error
	}{
		{"foo:bar", transport.ErrUnknownScheme},
		{"invalid:invalid", transport.ErrUnknownScheme},
		{"qnx:name", transport.ErrUnknownScheme}, // QNX only
		{"exttcp://127.0.0.1:1", transport.ErrUnknownScheme},
		{"", transport.ErrInvalidURL},
		{"garbage", transport.ErrInvalidURL},
		{"tcp://127.0.0.1:99999", transport.ErrInvalidURL},
		{"local:", transport.ErrInvalidURL},
	}
	for _, ok := range []string{"tcp://127.0.0.1:1", "local:x", "localabstract:x"} {
		if !s.Supports(ok) {
			t.Errorf("Supports(%q) = false", ok)
		}
	}
	for _, tt := range tests {
		if s.Supports(tt.raw) {
			t.Errorf("Supports(%q) = true", tt.raw)
		}
		ln, _, err := s.Listen(testCtx(t), tt.raw)
		if err == nil {
			ln.Close()
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("Listen(%q) = %v, want %v", tt.raw, err, tt.want)
		}
		c, err := s.Dial(testCtx(t), tt.raw)
		if err == nil {
			c.Close()
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("Dial(%q) = %v, want %v", tt.raw, err, tt.want)
		}
	}
	var empty transport.Schemes // the zero value has no schemes at all
	if _, _, err := empty.Listen(testCtx(t), "tcp://127.0.0.1:0"); !errors.Is(err, transport.ErrUnknownScheme) {
		t.Errorf("zero Schemes Listen(tcp) = %v, want ErrUnknownScheme", err)
	}
}

// extTransport is an "external schema": it carries ext://host:port over TCP
// and records what it was asked.
type extTransport struct{ listened, dialed atomic.Pointer[transport.URL] }

func (x *extTransport) Listen(ctx context.Context, u transport.URL) (net.Listener, transport.URL, error) {
	x.listened.Store(&u)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", strings.TrimPrefix(u.Opaque, "//"))
	if err != nil {
		return nil, transport.URL{}, err
	}
	out := u
	out.Opaque = "//" + ln.Addr().String()
	return ln, out, nil
}

func (x *extTransport) Dial(ctx context.Context, u transport.URL) (net.Conn, error) {
	x.dialed.Store(&u)
	var d net.Dialer
	return d.DialContext(ctx, "tcp", strings.TrimPrefix(u.Opaque, "//"))
}

// Registering a scheme (Qt's registerExternalSchema) routes its URLs to
// the application's transport, with the URL as parsed.
func TestRegisterExternalScheme(t *testing.T) {
	s := transport.Default()
	x := &extTransport{}
	s.Register("ext", x)
	if got, ok := s.Lookup("ext"); !ok || got != x {
		t.Fatalf("Lookup(ext) = %v, %v", got, ok)
	}
	ln, u, err := s.Listen(testCtx(t), "ext://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if lu := x.listened.Load(); lu == nil || lu.Scheme != "ext" || lu.Opaque != "//127.0.0.1:0" {
		t.Fatalf("transport got %+v", lu)
	}
	if !strings.HasPrefix(u.String(), "ext://127.0.0.1:") || strings.HasSuffix(u.String(), ":0") {
		t.Fatalf("reported %q", u.String())
	}
	roundTrip(t, s, ln, u.String())
	if du := x.dialed.Load(); du == nil || du.String() != u.String() {
		t.Fatalf("dialed %+v, want %q", du, u.String())
	}
	// The built-in schemes are still there.
	for _, sch := range []string{transport.TCP, transport.Local, transport.LocalAbstract} {
		if _, ok := s.Lookup(sch); !ok {
			t.Errorf("built-in scheme %q lost", sch)
		}
	}
}

// A host whose local: name was taken over by another host (Qt removes a
// socket file in use and listens anew) must not unlink the other host's
// file when it closes; a host that still owns its file removes it.
func TestLocalCloseUnlinksOnlyItsOwnSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qtro-owned")
	s := transport.Default()
	mine, _, err := s.Listen(testCtx(t), "local:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// Another process takes the name over.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	theirs, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	mine.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("closing the old host removed the new host's socket file: %v", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the new host is unreachable after the old one closed: %v", err)
	}
	c.Close()

	own, _, err := s.Listen(testCtx(t), "local:"+filepath.Join(dir, "qtro-own"))
	if err != nil {
		t.Fatal(err)
	}
	own.Close()
	if _, err := os.Stat(filepath.Join(dir, "qtro-own")); !os.IsNotExist(err) {
		t.Fatalf("a host that still owned its socket file left it behind: %v", err)
	}
}

// The local: socket file gets the mode of its SocketAccess whatever the
// umask (Default: the owner only), and a zero Access leaves it to the
// umask as Qt's default does.
func TestLocalSocketAccessMode(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		access transport.SocketAccess
		want   os.FileMode
	}{
		{transport.UserAccess, 0o700},
		{transport.UserAccess | transport.GroupAccess, 0o770},
		{transport.WorldAccess, 0o777},
	} {
		s := transport.Default()
		s.Register(transport.Local, transport.LocalSocket{Access: c.access})
		path := filepath.Join(dir, uniqueName("mode"))
		ln, _, err := s.Listen(testCtx(t), "local:"+path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != c.want {
			t.Errorf("access %b: socket file mode %v, want %v", c.access, fi.Mode(), c.want)
		}
		roundTrip(t, s, ln, "local:"+path)
		// A second host on the same live socket is refused, not linked over.
		if _, _, err := s.Listen(testCtx(t), "local:"+path); !errors.Is(err, transport.ErrListen) {
			t.Errorf("second listener on a live socket: %v", err)
		}
		ln.Close()
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file left after Close: %v", err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind in the socket directory: %s", e.Name())
	}
}
