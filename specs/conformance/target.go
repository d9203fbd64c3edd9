package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/qtro/qtro/specs/adapter"
)

// Target is an implementation under test: an adapter command (the Go
// reference node, a Qt peer, a third party's program or container image),
// or only a host URL the suite connects to.
type Target struct {
	// Name labels the target in reports ("go/qt6", "qt5", "adapter:...").
	Name string
	// Dialect the target speaks; zero means "learn it" (from the adapter's
	// ready event, or the host's Handshake for url: targets).
	Dialect wire.Dialect
	// Command is the adapter argv prefix (nil for url: targets).
	Command []string
	// HostArgs are extra arguments for the host and registry roles (the Go
	// adapter takes --dialect).
	HostArgs []string
	// URL is the host to test for url: targets (host role only).
	URL string
	// Env is added to the adapter's environment.
	Env []string
	// Caps is what the target declares it can do (the adapter's `hello`,
	// filled in by resolve; for url: targets: a host on the URL's
	// transport). Undeclared capabilities are tried, and exit 127 decides.
	Caps adapter.Capabilities

	capsOnce sync.Once
	capsErr  error
}

// ErrUnsupportedRole means the target cannot play a role (an url: target
// is a host only; an adapter said so with exit code 127).
var ErrUnsupportedRole = errors.New("conformance: role unsupported by target")

// ParseTargets parses --target values: go (both dialects), go5, go6, qt5,
// qt6, qt@QT (the peer built against another Debian suite's Qt: qt@6.8,
// qt@trixie, qt@newest; ci/qt-versions.tsv lists them), adapter:CMD (a command line, split on spaces), image:IMG (run with
// docker run -i), url:URL (host only; add @qt5/@qt6 to skip detection).
func ParseTargets(spec string) ([]*Target, error) {
	var out []*Target
	for _, s := range splitTargets(spec) {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case s == "go":
			out = append(out, goTarget(wire.Qt5), goTarget(wire.Qt6))
		case s == "go5" || s == "go/qt5":
			out = append(out, goTarget(wire.Qt5))
		case s == "go6" || s == "go/qt6":
			out = append(out, goTarget(wire.Qt6))
		case s == "qt5" || s == "qt6":
			d := wire.Qt5
			if s == "qt6" {
				d = wire.Qt6
			}
			out = append(out, &Target{Name: s, Dialect: d})
		case strings.HasPrefix(s, "qt@") && len(s) > 3:
			out = append(out, &Target{Name: s, Dialect: wire.Qt6})
		case strings.HasPrefix(s, "adapter:"):
			cmd := strings.Fields(strings.TrimPrefix(s, "adapter:"))
			if len(cmd) == 0 {
				return nil, fmt.Errorf("conformance: empty adapter command in %q", s)
			}
			out = append(out, &Target{Name: s, Command: cmd})
		case strings.HasPrefix(s, "image:"):
			img := strings.TrimPrefix(s, "image:")
			// Host networking and the host's /tmp (where each case's TMPDIR
			// lives, for local: sockets); -e VAR forwards the contract's
			// environment from the docker client to the adapter.
			out = append(out, &Target{Name: s, Command: []string{"docker", "run", "-i", "--rm", "--network", "host",
				"-v", "/tmp:/tmp", "-e", "TMPDIR", "-e", "TZ", "-e", "LC_ALL", "-e", "QTRO_ADAPTER_CONTRACT", "-e", "QTRO_DIALECT",
				"-e", "QTRO_TLS_CERT", "-e", "QTRO_TLS_KEY", "-e", "QTRO_TLS_CA", img}})
		case strings.HasPrefix(s, "url:"):
			u := strings.TrimPrefix(s, "url:")
			t := &Target{Name: s, URL: u}
			if i := strings.LastIndex(u, "@"); i > 0 {
				switch u[i+1:] {
				case "qt5":
					t.Dialect, t.URL = wire.Qt5, u[:i]
				case "qt6":
					t.Dialect, t.URL = wire.Qt6, u[:i]
				}
			}
			out = append(out, t)
		default:
			return nil, fmt.Errorf("conformance: unknown target %q (want go, go5, go6, qt5, qt6, qt@QT, adapter:CMD, image:IMG, url:URL)", s)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("conformance: no target")
	}
	return out, nil
}

// splitTargets splits a --target list at commas outside brackets and
// braces, so an adapter command may carry JSON (e.g. the Go adapter's
// --capabilities {"transports":["local"],"replicaModes":["dynamic"]}).
func splitTargets(spec string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(spec); i++ {
		switch spec[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, spec[start:i])
				start = i + 1
			}
		}
	}
	return append(out, spec[start:])
}

func goTarget(d wire.Dialect) *Target {
	name := "go/qt5"
	flag := "qt5"
	if d == wire.Qt6 {
		name, flag = "go/qt6", "qt6"
	}
	return &Target{Name: name, Dialect: d, HostArgs: []string{"--dialect", flag}, Env: []string{"QTRO_DIALECT=" + flag}}
}

// resolve fills in the command of built-in targets (building the Qt peer
// or the qtro binary when needed).
func (t *Target) resolve(ctx context.Context) error {
	if err := t.resolveCommand(ctx); err != nil {
		return err
	}
	t.capsOnce.Do(func() {
		if t.URL != "" {
			t.Caps = adapter.Capabilities{Declared: true, Contract: adapter.ContractVersion, Adapter: "url",
				Roles: []string{string(adapter.Host)}, Transports: []string{adapter.TransportOf(t.URL)}}
			return
		}
		t.Caps, t.capsErr = adapter.Hello(ctx, adapter.Config{Command: t.Command, Env: t.Env})
	})
	return t.capsErr
}

func (t *Target) resolveCommand(ctx context.Context) error {
	if t.Command != nil || t.URL != "" {
		return nil
	}
	switch {
	case strings.HasPrefix(t.Name, "go/"):
		bin, err := qtroBinary(ctx)
		if err != nil {
			return err
		}
		t.Command = []string{bin, "adapter"}
	case t.Name == "qt5" || t.Name == "qt6":
		major := 5
		if t.Name == "qt6" {
			major = 6
		}
		bin, err := adapter.QtPeer(ctx, major)
		if err != nil {
			return err
		}
		t.Command = []string{bin}
	case strings.HasPrefix(t.Name, "qt@"):
		q, err := checkout.QtPeerAt(ctx, strings.TrimPrefix(t.Name, "qt@"))
		if err != nil {
			return err
		}
		t.Command = []string{q.Peer}
	}
	return nil
}

var (
	qtroOnce sync.Once
	qtroBin  string
	qtroErr  error
)

// qtroBinary returns the qtro binary that runs the Go adapter: the running
// executable if it is qtro, else a fresh build of ./cmd/qtro.
func qtroBinary(ctx context.Context) (string, error) {
	qtroOnce.Do(func() {
		if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "qtro" {
			qtroBin = exe
			return
		}
		root, err := checkout.Root()
		if err != nil {
			qtroErr = err
			return
		}
		out := filepath.Join(root, "build", "qtro")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/qtro")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			qtroErr = fmt.Errorf("conformance: building qtro: %v\n%s", err, b)
			return
		}
		qtroBin = out
	})
	return qtroBin, qtroErr
}
