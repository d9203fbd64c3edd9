package adapter

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ModulePath is the Go module whose checkout holds fixtures/peer and ci/build-peers.sh.
const ModulePath = "github.com/qtro/qtro"

// Environment variables that point the locator at prebuilt peers or at the checkout.
const (
	// EnvQt5Peer overrides the Qt 5 peer binary.
	EnvQt5Peer = "QTRO_QT5_PEER"
	// EnvQt6Peer overrides the Qt 6 peer binary.
	EnvQt6Peer = "QTRO_QT6_PEER"
	// EnvRoot overrides the checkout root (otherwise found by walking up to qtro's go.mod).
	EnvRoot = "QTRO_ROOT"
)

var (
	buildMu    sync.Mutex
	buildCache = map[int]buildResult{}
)

type buildResult struct {
	path string
	err  error
}

// RepoRoot finds the qtro checkout: $QTRO_ROOT, or the nearest parent of the working directory whose
// go.mod declares ModulePath.
func RepoRoot() (string, error) {
	if r := os.Getenv(EnvRoot); r != "" {
		return r, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("adapter: no go.mod for %s above the working directory (set %s)", ModulePath, EnvRoot)
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == ModulePath
		}
	}
	return false
}

// QtPeer returns the path of the Qt peer built against Qt major (5 or 6). $QTRO_QT5_PEER /
// $QTRO_QT6_PEER win; otherwise ci/build-peers.sh is run once per process (it rebuilds only when the
// sources changed) and build/peers/qt<major>/qtro-peer is returned.
func QtPeer(ctx context.Context, major int) (string, error) {
	if major != 5 && major != 6 {
		return "", fmt.Errorf("adapter: no Qt %d peer (5 or 6)", major)
	}
	env := EnvQt5Peer
	if major == 6 {
		env = EnvQt6Peer
	}
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("adapter: %s=%s: %w", env, p, err)
		}
		return p, nil
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if r, ok := buildCache[major]; ok {
		return r.path, r.err
	}
	path, err := buildPeer(ctx, major)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		buildCache[major] = buildResult{path, err}
	}
	return path, err
}

func buildPeer(ctx context.Context, major int) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "ci", "build-peers.sh")
	cmd := exec.CommandContext(ctx, script, fmt.Sprint(major))
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("adapter: %s %d: %w\n%s", script, major, err, lastLines(stderr.String(), 40))
	}
	prefix := fmt.Sprintf("qt%d ", major)
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, prefix) {
			p := strings.TrimSpace(strings.TrimPrefix(line, prefix))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("adapter: build-peers.sh reported %s: %w", p, err)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("adapter: build-peers.sh printed no %q line:\n%s", prefix, stdout.String())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
