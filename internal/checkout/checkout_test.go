package checkout

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootFindsTheModule(t *testing.T) {
	t.Setenv(EnvRoot, "")
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "checkout", "checkout.go")); err != nil {
		t.Fatalf("root %s is not the checkout: %v", root, err)
	}
}

func TestRootOverride(t *testing.T) {
	t.Setenv(EnvRoot, "/somewhere")
	if root, err := Root(); root != "/somewhere" || err != nil {
		t.Fatalf("Root() = %q, %v", root, err)
	}
}

func TestRootOutsideACheckout(t *testing.T) {
	t.Setenv(EnvRoot, "")
	t.Chdir(t.TempDir())
	if _, err := Root(); err != ErrNoRoot {
		t.Fatalf("err %v, want ErrNoRoot", err)
	}
}

func TestIsModuleRoot(t *testing.T) {
	dir := t.TempDir()
	if isModuleRoot(dir) {
		t.Fatal("a directory without go.mod is a root")
	}
	for mod, want := range map[string]bool{
		"module github.com/qtro/qtro\n\ngo 1.26\n":   true,
		"// x\nmodule \"github.com/qtro/qtro\"\n":    true,
		"module github.com/qtro/qtro/sub\ngo 1.26\n": false,
	} {
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := isModuleRoot(dir); got != want {
			t.Errorf("go.mod %q: root %v, want %v", mod, got, want)
		}
	}
}

func TestProgramPath(t *testing.T) {
	p := Program{Rel: "build/x", Env: "QTRO_TEST_PROGRAM"}
	t.Setenv(p.Env, "")
	if got := p.Path("/r"); got != "/r/build/x" {
		t.Errorf("Path = %q", got)
	}
	t.Setenv(p.Env, "/abs/y")
	if got := p.Path("/r"); got != "/abs/y" {
		t.Errorf("Path with override = %q", got)
	}
	t.Setenv(p.Env, "rel/z")
	if got := p.Path("/r"); got != "/r/rel/z" {
		t.Errorf("Path with relative override = %q", got)
	}
}

func TestQtPeerMajor(t *testing.T) {
	if _, err := QtPeer(t.Context(), 4); err == nil {
		t.Fatal("Qt 4 peer found")
	}
}

func TestQtPeerOverride(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "peer")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvQt5Peer, bin)
	if got, err := QtPeer(t.Context(), 5); got != bin || err != nil {
		t.Fatalf("QtPeer = %q, %v", got, err)
	}
	t.Setenv(EnvQt5Peer, bin+".missing")
	if _, err := QtPeer(t.Context(), 5); err == nil {
		t.Fatal("a missing override was accepted")
	}
}
