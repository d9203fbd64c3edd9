package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/adapter"
)

// What other tools (qtro fuzz) need to start a target outside a Ginkgo
// case: the same resolution and host start-up the suite uses, so a target
// spelled for `qtro conformance` means the same program everywhere.

// Resolve fills in the target's command (building the Qt peer or qtro
// when needed) and asks the adapter's hello what it can do.
func (t *Target) Resolve(ctx context.Context) error { return t.resolve(ctx) }

// StartHost starts the target as a host of its test object (or of the
// first type its hello declares) on a fresh URL of its transport, with
// dir as the adapter's TMPDIR, and waits until the source is remoted. It
// returns the running adapter and the URL it listens on. An url: target
// is not started: StartHost returns a nil adapter and its URL.
func StartHost(ctx context.Context, t *Target, dir string, log io.Writer) (*adapter.Adapter, string, error) {
	if t.URL != "" {
		return nil, t.URL, nil
	}
	if err := t.resolve(ctx); err != nil {
		return nil, "", err
	}
	e := &Env{Target: t, Ctx: ctx}
	typ := e.hostType()
	url := fuzzURL(e, dir)
	args := Options{URL: url, Type: typ}.args("")
	cfg := adapter.Config{Command: t.Command, Role: adapter.Host, Args: append(args, t.HostArgs...), Env: t.Env,
		TempDir: dir, Name: t.Name + " host", Log: log}
	a, err := adapter.Start(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, _ = a.WaitFor(wctx, 0, adapter.Named("remoting"))
	cancel()
	return a, a.Ready().Str("url"), nil
}

// fuzzURL is a fresh URL on the target's transport for a process started
// outside a case: a tcp port 0, a socket path in dir, an abstract name.
func fuzzURL(e *Env, dir string) string {
	switch e.transportFor() {
	case "local":
		return "local:" + filepath.Join(dir, fmt.Sprintf("fuzz-%d", time.Now().UnixNano()))
	case "localabstract":
		return fmt.Sprintf("localabstract:qtro-fuzz-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	return "tcp://127.0.0.1:0"
}

// DetectDialect learns the dialect of the host at url from its Handshake
// (Qt 6 when it sends none).
func DetectDialect(ctx context.Context, url string) wire.Dialect { return detectDialect(ctx, url) }

// StartReplica starts the target as a node that connects to a raw host
// the caller runs and acquires its test object (TestObject, or Tick when
// the target's hello declares only that for the node role) at start, as a
// dynamic or static replica, with dir as the adapter's TMPDIR. listen is
// called first with a fresh URL on a transport the target connects on (a
// tcp port 0, a socket path in dir, an abstract name) and returns the URL
// it listens on, which the node is given: the raw host must be listening
// before a node that starts connecting at once. It returns the running
// adapter and the object type (testobject or tick) it acquired. An url:
// target, or one that declares no node role or not that replica kind,
// fails with ErrUnsupportedRole.
func StartReplica(ctx context.Context, t *Target, dir string, dynamic bool, listen func(url string) (string, error), log io.Writer) (*adapter.Adapter, string, error) {
	if t.URL != "" {
		return nil, "", fmt.Errorf("%w: %s is a host qtro only connects to", ErrUnsupportedRole, t.Name)
	}
	if err := t.resolve(ctx); err != nil {
		return nil, "", err
	}
	e := &Env{Target: t, Ctx: ctx}
	typ := "testobject"
	if c := e.caps(); !c.Can(adapter.CapNodeType, "testobject") && c.Can(adapter.CapNodeType, "tick") {
		typ = "tick"
	}
	url := fuzzURL(e, dir)
	mode := "--static"
	if dynamic {
		mode = "--dynamic"
	}
	args := Options{URL: url, Type: typ}.args("")
	args = append(args, mode)
	if n, missing := t.Caps.Missing(adapter.Needs(adapter.Node, args)); missing {
		return nil, "", fmt.Errorf("%w: %s declares no %s", ErrUnsupportedRole, t.Name, n)
	}
	url, err := listen(url)
	if err != nil {
		return nil, "", err
	}
	args = append(Options{URL: url, Type: typ}.args(""), mode)
	a, err := adapter.Start(ctx, adapter.Config{Command: t.Command, Role: adapter.Node, Args: args, Env: t.Env,
		TempDir: dir, Name: t.Name + " replica", Log: log})
	if errors.Is(err, adapter.ErrUnsupported) {
		return nil, "", fmt.Errorf("%w: %s exited 127 for node %s", ErrUnsupportedRole, t.Name, strings.Join(args, " "))
	}
	if err != nil {
		return nil, "", err
	}
	return a, typ, nil
}
