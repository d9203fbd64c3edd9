// Package checkout locates qtro's source checkout and the programs built in
// it (the Qt peers, cmd/qtro) for the tests and drivers that run them; it
// builds a Qt peer on demand with ci/build-peers.sh, and nothing else.
package checkout

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

// ModulePath is the Go module whose checkout holds fixtures/peer and
// ci/build-peers.sh.
const ModulePath = "github.com/qtro/qtro"

// Environment variables that point at the checkout or at prebuilt programs
// (ci/build-images.sh reads the same ones).
const (
	// EnvRoot overrides the checkout root (otherwise found by walking up to
	// qtro's go.mod).
	EnvRoot = "QTRO_ROOT"
	// EnvQt5Peer overrides the Qt 5 peer binary.
	EnvQt5Peer = "QTRO_QT5_PEER"
	// EnvQt6Peer overrides the Qt 6 peer binary.
	EnvQt6Peer = "QTRO_QT6_PEER"
	// EnvGoBin overrides the cmd/qtro binary the interop harness runs.
	EnvGoBin = "QTRO_GO_BIN"
)

// ErrNoRoot means no directory above the working directory holds qtro's
// go.mod and $QTRO_ROOT is not set.
var ErrNoRoot = errors.New("checkout: no go.mod of " + ModulePath + " above the working directory (set " + EnvRoot + ")")

// Root finds the qtro checkout: $QTRO_ROOT, or the nearest parent of the
// working directory whose go.mod declares ModulePath.
func Root() (string, error) {
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
			return "", ErrNoRoot
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
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == ModulePath
		}
	}
	return false
}

// Program is a program built in the checkout.
type Program struct {
	// Rel is its path relative to the checkout root, unless absolute.
	Rel string
	// Env, if set, names an environment variable whose value overrides Rel.
	Env string
}

// The programs qtro's build scripts produce.
var (
	Qt5Peer = Program{Rel: "build/peers/qt5/qtro-peer", Env: EnvQt5Peer} // ci/build-peers.sh 5
	Qt6Peer = Program{Rel: "build/peers/qt6/qtro-peer", Env: EnvQt6Peer} // ci/build-peers.sh 6
	// Qt5App and Qt6App are fixtures/qtapps' qtro-qtapp (ci/build-qtapps.sh).
	Qt5App = Program{Rel: "build/qtapps/qt5/qtro-qtapp", Env: "QTRO_QT5_QTAPP"}
	Qt6App = Program{Rel: "build/qtapps/qt6/qtro-qtapp", Env: "QTRO_QT6_QTAPP"}
	Qtro   = Program{Rel: "build/images/bin/qtro", Env: EnvGoBin} // go build ./cmd/qtro
)

// Path is where the program is: its environment override, else Rel
// resolved against root. It does not check that the file exists.
func (p Program) Path(root string) string {
	b := p.Rel
	if p.Env != "" {
		if v := os.Getenv(p.Env); v != "" {
			b = v
		}
	}
	if filepath.IsAbs(b) {
		return b
	}
	return filepath.Join(root, b)
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]buildResult{} // by script and argument: "build-peers.sh 5", "build-qtapps.sh 6", "build-peers.sh trixie"
)

type buildResult struct {
	path string
	err  error
}

// QtPeer returns the path of the Qt peer built against Qt major (5 or 6).
// $QTRO_QT5_PEER / $QTRO_QT6_PEER win; otherwise ci/build-peers.sh is run
// once per process (it rebuilds only when the sources changed) and the path
// it reports is returned. A build cut short by ctx is not remembered.
func QtPeer(ctx context.Context, major int) (string, error) {
	return qtProgram(ctx, major, "build-peers.sh", Qt5Peer, Qt6Peer)
}

// QtApp is QtPeer for fixtures/qtapps' qtro-qtapp (Qt programs with
// classes of their own; $QTRO_QT5_QTAPP / $QTRO_QT6_QTAPP,
// ci/build-qtapps.sh).
func QtApp(ctx context.Context, major int) (string, error) {
	return qtProgram(ctx, major, "build-qtapps.sh", Qt5App, Qt6App)
}

func qtProgram(ctx context.Context, major int, script string, qt5, qt6 Program) (string, error) {
	if major != 5 && major != 6 {
		return "", fmt.Errorf("checkout: no Qt %d program (5 or 6)", major)
	}
	prog := qt5
	if major == 6 {
		prog = qt6
	}
	if p := os.Getenv(prog.Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("checkout: %s=%s: %w", prog.Env, p, err)
		}
		return p, nil
	}
	return build(ctx, script, fmt.Sprint(major))
}

// buildPeer runs ci/build-peers.sh WHICH once per process (WHICH is 5, 6 or
// a suite of ci/qt-versions.tsv) and returns the path it reports.
func buildPeer(ctx context.Context, which string) (string, error) {
	return build(ctx, "build-peers.sh", which)
}

// build runs ci/SCRIPT WHICH once per process and returns the path it
// reports. A build cut short by ctx is not remembered.
func build(ctx context.Context, script, which string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	key := script + " " + which
	if r, ok := buildCache[key]; ok {
		return r.path, r.err
	}
	path, err := runBuild(ctx, script, which)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		buildCache[key] = buildResult{path, err}
	}
	return path, err
}

func runBuild(ctx context.Context, name, which string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "ci", name)
	cmd := exec.CommandContext(ctx, script, which)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("checkout: %s %s: %w\n%s", script, which, err, lastLines(stderr.String(), 40))
	}
	prefix := which + " "
	if which == "5" || which == "6" {
		prefix = "qt" + prefix
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if p, ok := strings.CutPrefix(line, prefix); ok {
			p = strings.TrimSpace(p)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("checkout: %s reported %s: %w", name, p, err)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("checkout: %s printed no %q line:\n%s", name, prefix, stdout.String())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
