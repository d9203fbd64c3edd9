package transport_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/qtro/qtro/impl/transport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestParse covers the URL forms Qt accepts (QTRO-PROTOCOL.md §10.1) and the
// garbage it must refuse with ErrInvalidURL (Qt: HostUrlInvalid).
func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		want   transport.URL
		str    string // URL.String(): what Qt's hostUrl() would report
		tcp    string // URL.TCPAddr() for tcp URLs
		errIs  error  // nil: must parse
		reason string
	}{
		{name: "ipv4", raw: "tcp://127.0.0.1:1234",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: 1234}, str: "tcp://127.0.0.1:1234", tcp: "127.0.0.1:1234"},
		{name: "ipv4 port 0", raw: "tcp://127.0.0.1:0",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: 0}, str: "tcp://127.0.0.1:0", tcp: "127.0.0.1:0"},
		{name: "ipv4 port 65535", raw: "tcp://10.1.2.3:65535",
			want: transport.URL{Scheme: "tcp", Host: "10.1.2.3", Port: 65535}, str: "tcp://10.1.2.3:65535", tcp: "10.1.2.3:65535"},
		{name: "bracketed ipv6", raw: "tcp://[::1]:4321",
			want: transport.URL{Scheme: "tcp", Host: "::1", Port: 4321}, str: "tcp://[::1]:4321", tcp: "[::1]:4321"},
		{name: "bracketed ipv6 without port", raw: "tcp://[fe80::1]",
			want: transport.URL{Scheme: "tcp", Host: "fe80::1", Port: -1}, str: "tcp://[fe80::1]:65535", tcp: "[fe80::1]:65535"},
		{name: "host name", raw: "tcp://example.org:80",
			want: transport.URL{Scheme: "tcp", Host: "example.org", Port: 80}, str: "tcp://example.org:80", tcp: "example.org:80"},
		{name: "localhost", raw: "tcp://localhost:5000",
			want: transport.URL{Scheme: "tcp", Host: "localhost", Port: 5000}, str: "tcp://localhost:5000", tcp: "localhost:5000"},
		// Qt: a URL without a port has port -1, which quint16() turns into 65535 [V].
		{name: "missing port", raw: "tcp://127.0.0.1",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: -1}, str: "tcp://127.0.0.1:65535", tcp: "127.0.0.1:65535"},
		{name: "empty port", raw: "tcp://127.0.0.1:",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: -1}, str: "tcp://127.0.0.1:65535", tcp: "127.0.0.1:65535"},
		{name: "empty host is any address", raw: "tcp://:7000",
			want: transport.URL{Scheme: "tcp", Host: "", Port: 7000}, str: "tcp://:7000", tcp: ":7000"},
		{name: "scheme is case-insensitive", raw: "TCP://127.0.0.1:1",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: 1}, str: "tcp://127.0.0.1:1", tcp: "127.0.0.1:1"},
		{name: "user info and path are ignored", raw: "tcp://user@127.0.0.1:9/some/path?q#f",
			want: transport.URL{Scheme: "tcp", Host: "127.0.0.1", Port: 9}, str: "tcp://127.0.0.1:9", tcp: "127.0.0.1:9"},

		{name: "port too big", raw: "tcp://127.0.0.1:65536", errIs: transport.ErrInvalidURL},
		{name: "negative port", raw: "tcp://127.0.0.1:-1", errIs: transport.ErrInvalidURL},
		{name: "port is a name", raw: "tcp://127.0.0.1:http", errIs: transport.ErrInvalidURL},
		{name: "port with junk", raw: "tcp://127.0.0.1:12ab", errIs: transport.ErrInvalidURL},
		{name: "unterminated ipv6", raw: "tcp://[::1:80", errIs: transport.ErrInvalidURL},
		{name: "junk after ipv6", raw: "tcp://[::1]x80", errIs: transport.ErrInvalidURL},
		{name: "tcp without //", raw: "tcp:127.0.0.1:80", errIs: transport.ErrInvalidURL},
		{name: "tcp with nothing", raw: "tcp:", errIs: transport.ErrInvalidURL},

		{name: "local relative", raw: "local:qtro-test",
			want: transport.URL{Scheme: "local", Name: "qtro-test", Port: -1}, str: "local:qtro-test"},
		{name: "local absolute", raw: "local:/run/qtro/x.sock",
			want: transport.URL{Scheme: "local", Name: "/run/qtro/x.sock", Port: -1}, str: "local:/run/qtro/x.sock"},
		{name: "local with //", raw: "local://qtro-test",
			want: transport.URL{Scheme: "local", Name: "qtro-test", Port: -1}, str: "local:qtro-test"},
		{name: "local empty name", raw: "local:", errIs: transport.ErrInvalidURL},
		// A host reports the empty name as ListenFailed, as Qt does.
		{name: "local empty name is ErrEmptySocketName", raw: "local:", errIs: transport.ErrEmptySocketName},
		{name: "local // empty name", raw: "local://", errIs: transport.ErrEmptySocketName},
		{name: "localabstract", raw: "localabstract:qtro-abs",
			want: transport.URL{Scheme: "localabstract", Name: "qtro-abs", Port: -1}, str: "localabstract:qtro-abs"},
		{name: "localabstract empty name", raw: "localabstract:", errIs: transport.ErrInvalidURL},
		{name: "localabstract empty name is ErrEmptySocketName", raw: "localabstract:", errIs: transport.ErrEmptySocketName},

		// Other schemes parse (they may be registered as external schemas);
		// Listen/Dial refuse them when nothing is registered.
		{name: "unknown scheme", raw: "foo:bar",
			want: transport.URL{Scheme: "foo", Opaque: "bar", Port: -1}, str: "foo:bar"},
		{name: "external tcp-like scheme", raw: "exttcp://127.0.0.1:65213",
			want: transport.URL{Scheme: "exttcp", Opaque: "//127.0.0.1:65213", Port: -1}, str: "exttcp://127.0.0.1:65213"},
		{name: "invalid:invalid", raw: "invalid:invalid",
			want: transport.URL{Scheme: "invalid", Opaque: "invalid", Port: -1}, str: "invalid:invalid"},

		{name: "empty", raw: "", errIs: transport.ErrInvalidURL},
		{name: "no scheme", raw: "127.0.0.1", errIs: transport.ErrInvalidURL},
		{name: "empty scheme", raw: ":1234", errIs: transport.ErrInvalidURL},
		{name: "scheme starts with a digit", raw: "1tcp://127.0.0.1:1", errIs: transport.ErrInvalidURL},
		{name: "space in scheme", raw: "tc p://127.0.0.1:1", errIs: transport.ErrInvalidURL},
		{name: "only separators", raw: "://", errIs: transport.ErrInvalidURL},
		{name: "binary garbage", raw: "\x00\xff:\x01", errIs: transport.ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := transport.Parse(tt.raw)
			if tt.errIs != nil {
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("Parse(%q) = %+v, %v; want error %v", tt.raw, got, err, tt.errIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			if tt.tcp != "" {
				if a := got.TCPAddr(); a != tt.tcp {
					t.Errorf("TCPAddr() = %q, want %q", a, tt.tcp)
				}
			}
		})
	}
}

// A relative local: name lives in QDir::tempPath(): $TMPDIR, else /tmp [V].
func TestSocketPath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, tmpdir, raw, want string
	}{
		{"relative with TMPDIR", dir, "local:qtro-a", filepath.Join(dir, "qtro-a")},
		{"relative without TMPDIR", "", "local:qtro-a", "/tmp/qtro-a"},
		{"relative subpath", dir, "local:sub/qtro-b", filepath.Join(dir, "sub", "qtro-b")},
		{"absolute ignores TMPDIR", dir, "local:/var/run/qtro.sock", "/var/run/qtro.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TMPDIR", tt.tmpdir)
			u, err := transport.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.SocketPath(); got != tt.want {
				t.Fatalf("SocketPath() = %q, want %q (TMPDIR=%q)", got, tt.want, os.Getenv("TMPDIR"))
			}
		})
	}
}

// Linux's abstract namespace: the name, no padding; Go spells it "@name".
func TestAbstractAddr(t *testing.T) {
	for raw, want := range map[string]string{
		"localabstract:qtro":       "@qtro",
		"localabstract:a/b c":      "@a/b c",
		"localabstract://qtro-two": "@qtro-two",
	} {
		u, err := transport.Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		if got := u.AbstractAddr(); got != want {
			t.Errorf("%q: AbstractAddr() = %q, want %q", raw, got, want)
		}
	}
}
