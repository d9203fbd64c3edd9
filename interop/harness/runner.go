package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/qtro/qtro/internal/checkout"
	"github.com/testcontainers/testcontainers-go"
)

// Mode says where a runner starts peers.
type Mode int

// The two modes.
const (
	// Containers runs every peer as a container from a qtro image.
	Containers Mode = iota + 1
	// Native runs every peer as a child process on this machine.
	Native
)

// String returns "containers" or "native".
func (m Mode) String() string {
	switch m {
	case Containers:
		return "containers"
	case Native:
		return "native"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// NativeEnv is the environment variable that forces native mode when it is "1".
const NativeEnv = "QTRO_INTEROP_NATIVE"

// Options configure a [Runner]. The zero value is usable.
type Options struct {
	// OutDir holds one directory per case. Default: $QTRO_INTEROP_OUT, else
	// <module root>/out/interop.
	OutDir string
	// Log receives the runner's notices, the mode banner first. Default os.Stderr.
	Log io.Writer
	// Mode forces a mode; zero means: Native if QTRO_INTEROP_NATIVE=1 or Docker
	// is unreachable, else Containers.
	Mode Mode
}

// Runner starts cases in one mode. Create it once per test suite.
type Runner struct {
	mode   Mode
	reason string
	root   string
	out    string
	log    io.Writer
	docker *testcontainers.DockerClient
}

// NewRunner picks the mode, prints it (the banner names native mode and why in
// capitals: a native run is never silent), and writes it to <OutDir>/MODE.
func NewRunner(ctx context.Context, opts Options) (*Runner, error) {
	root, err := checkout.Root()
	if err != nil {
		return nil, err
	}
	r := &Runner{root: root, out: opts.OutDir, log: opts.Log, mode: opts.Mode}
	if r.out == "" {
		r.out = os.Getenv("QTRO_INTEROP_OUT")
	}
	if r.out == "" {
		r.out = filepath.Join(root, "out", "interop")
	}
	if r.log == nil {
		r.log = os.Stderr
	}
	// No ryuk image can be pulled; cases remove their own containers.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	switch {
	case r.mode == Native:
		r.reason = "requested by the caller"
	case r.mode == 0 && os.Getenv(NativeEnv) == "1":
		r.mode, r.reason = Native, NativeEnv+"=1"
	default:
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// Both must work: testcontainers-go runs the containers, the docker
		// CLI builds the images (ci/build-images.sh).
		var cli *testcontainers.DockerClient
		err := dockerCLI(cctx)
		if err == nil {
			cli, err = testcontainers.NewDockerClientWithOpts(cctx)
		}
		if err == nil {
			if _, err = cli.Ping(cctx, client.PingOptions{}); err != nil {
				_ = cli.Close()
			}
		}
		switch {
		case err == nil:
			r.mode, r.docker = Containers, cli
			r.reason = "Docker Engine reachable"
		case r.mode == Containers:
			return nil, fmt.Errorf("harness: containers requested but Docker is unreachable: %w", err)
		default:
			r.mode, r.reason = Native, "Docker unreachable: "+firstLine(err.Error())
		}
	}
	if err := os.MkdirAll(r.out, 0o755); err != nil {
		return nil, err
	}
	if r.docker != nil {
		if n, err := reapOrphans(ctx, r.docker.Client); err != nil {
			fmt.Fprintf(r.log, "interop: removing leftovers of killed runs: %v\n", err)
		} else if n > 0 {
			fmt.Fprintf(r.log, "interop: removed %d containers/networks left by killed runs\n", n)
		}
	}
	banner := r.Banner()
	fmt.Fprintln(r.log, banner)
	if err := os.WriteFile(filepath.Join(r.out, "MODE"), []byte(banner+"\n"), 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// Mode is where this runner starts peers.
func (r *Runner) Mode() Mode { return r.mode }

// Banner is one line saying where peers run and why.
func (r *Runner) Banner() string {
	if r.mode == Native {
		return "interop: RUNNING PEERS NATIVELY, NOT IN CONTAINERS (" + r.reason + ")"
	}
	return "interop: running peers in Docker containers (" + r.reason + ")"
}

// OutDir is the directory that holds the case directories.
func (r *Runner) OutDir() string { return r.out }

// Root is the module root (the directory holding go.mod).
func (r *Runner) Root() string { return r.root }

// Prepare builds what the given flavors need in this mode, writing the
// build's output to w. In containers: their images (ci/build-images.sh, which
// builds the peers and cmd/qtro first and caches images by content hash).
// Natively: the Qt peers (ci/build-peers.sh, when present) and cmd/qtro into
// build/images/bin/qtro. A flavor the caller made up (no image to build) is
// left alone.
func (r *Runner) Prepare(ctx context.Context, w io.Writer, flavors ...Flavor) error {
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = r.root
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	var images, peers []string
	var goNode bool
	for _, f := range flavors {
		if f.build == "" {
			continue
		}
		images = append(images, f.build)
		if f.peers != "" {
			peers = append(peers, f.peers)
		}
		goNode = goNode || f.build == Go.build
	}
	if len(images) == 0 {
		return nil
	}
	if r.mode == Containers {
		return run(filepath.Join(r.root, "ci/build-images.sh"), images...)
	}
	if len(peers) > 0 {
		if _, err := os.Stat(filepath.Join(r.root, "ci/build-peers.sh")); err != nil {
			fmt.Fprintln(w, "interop: ci/build-peers.sh not found; using the peer binaries already built")
		} else if err := run("bash", append([]string{filepath.Join(r.root, "ci/build-peers.sh")}, peers...)...); err != nil {
			return err
		}
	}
	if goNode {
		return run("go", "build", "-o", filepath.Join(r.root, Go.Binary), "./cmd/qtro")
	}
	return nil
}

// Close releases the Docker client.
func (r *Runner) Close() error {
	if r.docker != nil {
		return r.docker.Close()
	}
	return nil
}

// dockerCLI checks that the docker command reaches an engine.
func dockerCLI(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker version: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
