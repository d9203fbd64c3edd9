package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/proxy"
	"github.com/qtro/qtro/impl/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const rep = `
class Simple
{
    PROP(int count = 0)
    PROP(double ratio = 0.5 READWRITE)
    SIGNAL(fired(int code, const QString &why))
    SLOT(int add(int a, int b))
};
`

func simple(t *testing.T, count int32) *node.Source {
	t.Helper()
	c, err := meta.ParseRep("simple.rep", []byte(rep), "Simple", wire.Qt6)
	if err != nil {
		t.Fatal(err)
	}
	src := node.NewSource(c)
	if err := src.SetProperty("count", count); err != nil {
		t.Fatal(err)
	}
	_ = src.HandleMethod("add", func(_ context.Context, a []node.Variant) (node.Variant, error) {
		return node.ValueOf(int32(a[0].Int() + a[1].Int()))
	})
	return src
}

func local(t *testing.T, name string) string {
	return fmt.Sprintf("local:qtro-proxy-%s-%d", name, os.Getpid())
}

func waitFor(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// network is a registry and a host registered with it remoting src as name.
func network(t *testing.T, ctx context.Context, regURL, hostURL, name string, src *node.Source) (*node.RegistryHost, *node.Host) {
	t.Helper()
	reg, err := node.NewRegistryHost(ctx, regURL, node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	h, err := node.NewHost(ctx, hostURL, node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.SetRegistryURL(reg.URL()); err != nil {
		t.Fatal(err)
	}
	if src != nil {
		if err := h.EnableRemoting(src, name); err != nil {
			t.Fatal(err)
		}
	}
	return reg, h
}

// Forward: a source on a local: network reaches a tcp:// node through the
// proxy: values, a change, a signal, a slot call, and a write back to the
// original; a filtered name is not proxied, and a source the registry
// drops is no longer remoted.
func TestForward(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	src := simple(t, 7)
	innerReg, innerHost := network(t, ctx, local(t, "reg"), local(t, "host"), "Simple", src)
	if err := innerHost.EnableRemoting(simple(t, 1), "Hidden"); err != nil {
		t.Fatal(err)
	}
	outer, err := node.NewHost(ctx, "tcp://127.0.0.1:0", node.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	p, err := proxy.Forward(ctx, outer, innerReg.URL(), func(name, _ string) bool { return name != "Hidden" }, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	n := node.NewNode(node.Config{})
	defer n.Close()
	if err := n.ConnectToNode(outer.URL()); err != nil {
		t.Fatal(err)
	}
	events := make(chan node.Event, 64)
	r, err := n.AcquireDynamic("Simple", node.WithSubscriber(func(ev node.Event) { events <- ev }))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Property("count"); v.Int() != 7 {
		t.Fatalf("count through the proxy = %v, want 7", v)
	}
	if v, err := r.Call(ctx, "add", 20, 22); err != nil || v.Int() != 42 {
		t.Fatalf("add through the proxy = %v, %v", v, err)
	}
	_ = src.SetProperty("count", int32(8))
	_ = src.Emit("fired", int32(3), "because")
	var sawCount, sawSignal bool
	for !sawCount || !sawSignal {
		select {
		case ev := <-events:
			switch {
			case ev.Kind == node.PropertyChanged && ev.Name == "count" && ev.Value.Int() == 8:
				sawCount = true
			case ev.Kind == node.SignalEmitted && ev.Name == "fired":
				if len(ev.Args) != 2 || ev.Args[0].Int() != 3 || ev.Args[1].Str() != "because" {
					t.Fatalf("fired%v", ev.Args)
				}
				sawSignal = true
			}
		case <-ctx.Done():
			t.Fatalf("through the proxy: count change %v, signal %v", sawCount, sawSignal)
		}
	}
	if err := r.SetProperty("ratio", 0.25); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the write to reach the original", func() bool {
		v, _ := src.Property("ratio")
		return v.Float() == 0.25
	})
	if fwd, _ := p.Proxied(); !slices.Equal(fwd, []string{"Simple"}) {
		t.Errorf("proxied %v, want only Simple (Hidden is filtered)", fwd)
	}
	if outer.Source("Hidden") != nil {
		t.Error("the filtered source is remoted")
	}
	// The original goes: the registry drops it, and so does the proxy.
	if err := innerHost.DisableRemoting("Simple"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the proxy to drop Simple", func() bool { return outer.Source("Simple") == nil })
}

// Reverse: a source on the outer (tcp) network reaches a node of the
// inner (local:) network through the inner registry; the forwarded
// sources are not sent back.
func TestReverse(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	innerReg, _ := network(t, ctx, local(t, "rreg"), local(t, "rhost"), "Inner", simple(t, 1))
	outerSrc := simple(t, 5)
	outerReg, _ := network(t, ctx, "tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "Outer", outerSrc)

	noHost, err := proxy.Forward(ctx, outerReg.Host, innerReg.URL(), nil, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := noHost.Reverse(outerReg, nil); !errors.Is(err, proxy.ErrReverse) {
		t.Errorf("Reverse on a proxy without a host URL: %v", err)
	}
	noHost.Close()
	p, err := proxy.Forward(ctx, outerReg.Host, innerReg.URL(), nil, proxy.Options{HostURL: local(t, "proxy")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Reverse(outerReg, nil); err != nil {
		t.Fatal(err)
	}
	n := node.NewNode(node.Config{})
	defer n.Close()
	if _, err := n.SetRegistryURL(innerReg.URL()); err != nil {
		t.Fatal(err)
	}
	r, err := n.AcquireDynamic("Outer")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if err := r.WaitForSource(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Call(ctx, "add", 1, 2); err != nil || v.Int() != 3 {
		t.Fatalf("add through the reverse proxy = %v, %v", v, err)
	}
	if v, _ := r.Property("count"); v.Int() != 5 {
		t.Fatalf("count = %v", v)
	}
	waitFor(t, ctx, "Inner forwarded to the outer registry", func() bool {
		fwd, rev := p.Proxied()
		return slices.Contains(fwd, "Inner") && slices.Contains(rev, "Outer")
	})
	time.Sleep(100 * time.Millisecond)
	if fwd, rev := p.Proxied(); len(fwd) != 1 || len(rev) != 1 {
		t.Errorf("forward %v, reverse %v: a proxied source was sent back", fwd, rev)
	}
}
