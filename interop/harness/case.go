package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/qtro/qtro/impl/capture"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// Transport is a QtRO URL scheme.
type Transport string

// The schemes a case can hand out URLs for.
const (
	TCP           Transport = "tcp"
	Local         Transport = "local"
	LocalAbstract Transport = "localabstract" // Qt 6 only; peers must share a network namespace
)

// containerTCPPort is the port every container listens on: each container has
// its own address on the case network, so one fixed port is enough.
const containerTCPPort = 9999

// Case is one interop case: its peers, network, sockets, captures and artifacts.
// Create it with [Runner.NewCase] and always Close it.
type Case struct {
	r       *Runner
	name    string
	id      string
	dir     string
	sockDir string
	t       *transcript

	network *testcontainers.DockerNetwork
	bridge  string
	capture *tcpdump

	mu       sync.Mutex
	procs    []*peer
	urls     map[string]urlOwner
	byOwner  map[string]string // owner+"|"+transport -> url
	taps     []*tap
	dumps    []*tcpdump
	commands []commandPeer
	logs     map[string]*logSink
	pcaps    []string
	notes    []string
	closed   bool
}

type peer struct {
	p           *Process
	flavor      Flavor
	args        []string
	containerID string
	image       string
}

type urlOwner struct {
	owner string
	t     Transport
}

var (
	unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	peerName   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// NewCase creates the case's artifact directory <OutDir>/<name>/ (emptied
// first), a socket directory, and in container mode a Docker network with a
// tcpdump on its bridge writing tcp.pcap.
func (r *Runner) NewCase(ctx context.Context, name string) (*Case, error) {
	safe := strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_")
	if safe == "" {
		return nil, errors.New("harness: empty case name")
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	c := &Case{
		r: r, name: safe, id: hex.EncodeToString(rnd[:]),
		dir:     filepath.Join(r.out, safe),
		urls:    map[string]urlOwner{},
		byOwner: map[string]string{},
		logs:    map[string]*logSink{},
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	t, err := newTranscript(filepath.Join(c.dir, "transcript.log"))
	if err != nil {
		return nil, err
	}
	c.t = t
	// Short: a Unix socket path must fit in 108 bytes.
	if c.sockDir, err = os.MkdirTemp("", "qtro-sock-"); err != nil {
		_ = t.Close()
		return nil, err
	}
	c.t.Printf("case %s (%s): %s", safe, c.id, r.Banner())
	c.t.Printf("socket dir %s (TMPDIR of every peer)", c.sockDir)
	if r.mode == Containers {
		if err := c.startNetwork(ctx); err != nil {
			return nil, errors.Join(err, c.Close(context.Background()))
		}
	}
	return c, nil
}

func (c *Case) startNetwork(ctx context.Context) error {
	nw, err := network.New(ctx, network.WithLabels(ownerLabels(c.name)))
	if err != nil {
		return fmt.Errorf("create network: %w", err)
	}
	c.network = nw
	// Docker names a user-defined bridge "br-" + the first 12 hex digits of its ID.
	c.bridge = "br-" + shortID(nw.ID)
	c.t.Printf("network %s, bridge %s", nw.Name, c.bridge)
	path := filepath.Join(c.dir, "tcp.pcap")
	d, err := startTcpdump(ctx, c.bridge, path, "tcp")
	if err != nil {
		c.notef("no tcp capture: %v", err)
		return nil
	}
	c.capture = d
	c.pcaps = append(c.pcaps, path)
	return nil
}

// Name is the case name as used for its directory.
func (c *Case) Name() string { return c.name }

// Dir is the case's artifact directory.
func (c *Case) Dir() string { return c.dir }

// SocketDir is the directory every peer of the case has as TMPDIR, at the same
// path natively and in containers, so local:name means SocketDir/name for all.
func (c *Case) SocketDir() string { return c.sockDir }

// Mode is the runner's mode.
func (c *Case) Mode() Mode { return c.r.mode }

// Logf writes a note into the case transcript.
func (c *Case) Logf(format string, args ...any) { c.t.Printf("note       "+format, args...) }

// notef records something that went wrong without failing the case (a missing
// capture) in the transcript and in case.txt.
func (c *Case) notef(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	c.notes = append(c.notes, msg)
	c.mu.Unlock()
	c.t.Printf("WARNING    %s", msg)
}

// Notes returns the warnings recorded so far (for example a capture that could
// not run).
func (c *Case) Notes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.notes...)
}

// Pcaps returns the capture files started so far (complete after Close).
func (c *Case) Pcaps() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.pcaps...)
}

// URL returns the URL peer owner listens on for transport t; other peers of
// the case connect to the same URL. Containers: tcp://<owner>:9999 (the
// owner's network alias, which Qt resolves to its address on the case
// network, so a registry advertises a reachable address). Natively:
// tcp://127.0.0.1:<free port>. local:<owner> (relative, so under SocketDir),
// localabstract:qtro-<case id>-<owner>. The same arguments give the same URL.
func (c *Case) URL(owner string, t Transport) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := owner + "|" + string(t)
	if u, ok := c.byOwner[key]; ok {
		return u
	}
	var u string
	switch t {
	case TCP:
		if c.r.mode == Containers {
			u = fmt.Sprintf("tcp://%s:%d", owner, containerTCPPort)
		} else {
			u = fmt.Sprintf("tcp://127.0.0.1:%d", freePort())
		}
	case Local:
		u = "local:" + owner
	case LocalAbstract:
		u = "localabstract:qtro-" + c.id + "-" + owner
	default:
		u = string(t) + ":" + owner
	}
	c.byOwner[key] = u
	c.urls[u] = urlOwner{owner: owner, t: t}
	return u
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartOption adjusts how [Case.Start] runs a peer.
type StartOption func(*startConfig)

type startConfig struct {
	args []string
	env  []string
	join string
}

// WithArgs appends arguments after the flavor's own.
func WithArgs(args ...string) StartOption {
	return func(s *startConfig) { s.args = append(s.args, args...) }
}

// WithEnv adds KEY=VALUE environment entries.
func WithEnv(env ...string) StartOption {
	return func(s *startConfig) { s.env = append(s.env, env...) }
}

// SharingNetworkWith runs the peer in the network namespace of an already
// started peer (Docker's --network container:<id>). localabstract: sockets are
// per network namespace, so a peer connecting to another's localabstract: URL
// needs this in container mode. Natively every peer shares the host's
// namespace and the option does nothing.
func SharingNetworkWith(other string) StartOption {
	return func(s *startConfig) { s.join = other }
}

// Start runs a peer of flavor f named name (unique in the case): a container
// from f.Image on the case network with alias name, or f.Binary natively. In
// both, TMPDIR is the case's socket directory. It returns once the peer
// started; the peer's readiness is the adapter protocol's business.
func (c *Case) Start(ctx context.Context, name string, f Flavor, opts ...StartOption) (*Process, error) {
	var sc startConfig
	for _, o := range opts {
		o(&sc)
	}
	if err := c.claim(name, sc.join); err != nil {
		return nil, err
	}
	args := append(append([]string(nil), f.Args...), sc.args...)
	env := append(append(append([]string(nil), ContractEnv...), "TMPDIR="+c.sockDir), sc.env...)
	a, err := newArtifacts(c.dir, name, c.t)
	if err != nil {
		return nil, err
	}
	pe := &peer{flavor: f, args: args}
	var p *Process
	if c.r.mode == Native {
		bin := f.binaryPath(c.r.root)
		if _, err := os.Stat(bin); err != nil {
			a.finish()
			return nil, fmt.Errorf("harness: native %s peer: %w (build it with ci/build-peers.sh or set %s)", f.Name, err, f.BinaryEnv)
		}
		p, err = startNative(name, c.dir, a, bin, args, env)
		pe.image = bin
	} else {
		s := containerSpec{
			name: name, cname: "qtro-" + c.id + "-" + name, image: f.Image, args: args, env: env,
			network: c.network.Name, sockDir: c.sockDir,
			labels:    withPeer(ownerLabels(c.name), name),
			logger:    &logTo{c: c},
			waitLimit: 5 * time.Second,
		}
		if sc.join != "" {
			if s.joinID, err = c.containerOf(sc.join); err != nil {
				a.finish()
				return nil, err
			}
		}
		pe.image = c.imageInfo(ctx, f.Image)
		p, pe.containerID, err = startContainer(ctx, c.r.docker.Client, s, a)
	}
	if err != nil {
		a.finish()
		return nil, err
	}
	pe.p = p
	c.t.Printf("%-10s started: %s, args %q", name, p.where, args)
	c.mu.Lock()
	c.procs = append(c.procs, pe)
	c.mu.Unlock()
	return p, nil
}

// imageInfo names an image with its ID and content hash, for case.txt.
func (c *Case) imageInfo(ctx context.Context, image string) string {
	res, err := c.r.docker.ImageInspect(ctx, image)
	if err != nil {
		return image + " (inspect: " + err.Error() + ")"
	}
	s := image + " " + shortID(strings.TrimPrefix(res.ID, "sha256:"))
	if res.Config != nil {
		if h := res.Config.Labels["org.qtro.content-hash"]; h != "" {
			s += " content " + h
		}
	}
	return s
}

func withPeer(labels map[string]string, peer string) map[string]string {
	labels["org.qtro.peer"] = peer
	return labels
}

// logTo sends testcontainers' log lines to the transcript.
type logTo struct{ c *Case }

func (l *logTo) Printf(format string, v ...any) {
	l.c.t.Printf("docker     %s", strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// Tap makes the traffic to the peer listening on url visible in a pcap and
// returns the URL other peers must connect to. Call it after that peer
// listens and before anyone connects.
//
//   - tcp: containers: already captured on the case bridge (tcp.pcap), url
//     unchanged. Natively: a tcpdump on lo for that port (tcp-<owner>.pcap).
//   - local: the peer's socket file is renamed and a recording relay takes its
//     place (local-<owner>.pcap); url unchanged, so URLs learned from a
//     registry are captured too.
//   - localabstract: a recording relay listens on <name>.tap in the owner's
//     network namespace (localabstract-<owner>.pcap); the returned URL differs.
//
// If a capture cannot run (no tcpdump, not root) Tap returns url and an error
// wrapping ErrCaptureUnavailable; url is still the one to use.
func (c *Case) Tap(ctx context.Context, url string) (string, error) {
	c.mu.Lock()
	o, known := c.urls[url]
	c.mu.Unlock()
	scheme, rest, _ := strings.Cut(url, ":")
	if !known {
		o = urlOwner{owner: unsafeName.ReplaceAllString(rest, "_"), t: Transport(scheme)}
	}
	base := fmt.Sprintf("%s-%s", scheme, o.owner)
	hostPort := uint16(20000 + fnv32(url)%10000)
	note := func(f string, a ...any) { c.notef(f, a...) }
	switch Transport(scheme) {
	case TCP:
		if c.r.mode == Containers {
			if c.capture == nil {
				return url, fmt.Errorf("%w: no capture on the case bridge", ErrCaptureUnavailable)
			}
			return url, nil
		}
		_, port, err := net.SplitHostPort(strings.TrimPrefix(url, "tcp://"))
		if err != nil {
			return url, err
		}
		if _, err := strconv.Atoi(port); err != nil {
			return url, fmt.Errorf("harness: bad port in %s", url)
		}
		path := filepath.Join(c.dir, base+".pcap")
		d, err := startTcpdump(ctx, "lo", path, "tcp port "+port)
		if err != nil {
			c.notef("no capture of %s: %v", url, err)
			return url, err
		}
		c.mu.Lock()
		c.dumps = append(c.dumps, d)
		c.pcaps = append(c.pcaps, path)
		c.mu.Unlock()
		c.t.Printf("tap        %s -> %s (tcpdump -i lo)", url, filepath.Base(path))
		return url, nil
	case Local:
		p := rest
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.sockDir, p)
		}
		path := filepath.Join(c.dir, base+".pcap")
		pc, err := newRecorder(path, hostPort)
		if err != nil {
			return url, err
		}
		t, err := tapLocalPath(ctx, p, pc, note)
		if err != nil {
			_ = pc.Close()
			return url, err
		}
		c.addTap(t, path)
		c.t.Printf("tap        %s -> %s (relay; host side 10.0.0.1:%d)", url, filepath.Base(path), hostPort)
		return url, nil
	case LocalAbstract:
		pid := 0
		if c.r.mode == Containers {
			var err error
			if pid, err = c.peerPID(ctx, o.owner); err != nil {
				return url, err
			}
		}
		path := filepath.Join(c.dir, base+".pcap")
		pc, err := newRecorder(path, hostPort)
		if err != nil {
			return url, err
		}
		t, tname, err := tapAbstract(rest, pid, pc, note)
		if err != nil {
			_ = pc.Close()
			return url, err
		}
		c.addTap(t, path)
		nu := "localabstract:" + tname
		c.t.Printf("tap        %s -> %s via %s (relay; host side 10.0.0.1:%d)", url, filepath.Base(path), nu, hostPort)
		return nu, nil
	}
	return url, fmt.Errorf("harness: cannot tap %s: unknown scheme", url)
}

func (c *Case) addTap(t *tap, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.taps = append(c.taps, t)
	c.pcaps = append(c.pcaps, path)
}

// peerPID returns the host PID of a container peer's init process.
func (c *Case) peerPID(ctx context.Context, name string) (int, error) {
	id, err := c.containerOf(name)
	if err != nil {
		return 0, err
	}
	res, err := c.r.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return 0, err
	}
	if res.Container.State == nil || res.Container.State.Pid == 0 {
		return 0, fmt.Errorf("harness: peer %q is not running", name)
	}
	return res.Container.State.Pid, nil
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// Close stops every peer still running (stdin closed, 2 s grace, then killed),
// removes their containers, stops the captures and relays, removes the
// network and the socket directory, and writes case.txt. Artifacts stay.
func (c *Case) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	procs := append([]*peer(nil), c.procs...)
	c.mu.Unlock()

	var errs []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.p.close(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", p.p.name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, p := range procs {
		code, err := p.p.ExitCode()
		c.t.Printf("%-10s exited: code %d%s", p.p.name, code, errSuffix(err))
	}
	if c.network != nil {
		errs = append(errs, c.removeCommandContainers(ctx))
	}
	c.mu.Lock()
	taps, dumps := c.taps, c.dumps
	logs := c.logs
	c.mu.Unlock()
	for _, l := range logs {
		errs = append(errs, l.close())
	}
	for _, t := range taps {
		errs = append(errs, t.Close())
	}
	for _, d := range dumps {
		errs = append(errs, d.stop(ctx))
	}
	if c.capture != nil {
		errs = append(errs, c.capture.stop(ctx))
	}
	if c.network != nil {
		if err := c.network.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network: %w", err))
		}
	}
	errs = append(errs, c.writeSummary(procs))
	if c.sockDir != "" {
		errs = append(errs, os.RemoveAll(c.sockDir))
	}
	errs = append(errs, c.t.Close())
	return errors.Join(errs...)
}

func errSuffix(err error) string {
	if err != nil {
		return " (" + err.Error() + ")"
	}
	return ""
}

// writeSummary writes case.txt: how the case ran, peer by peer.
func (c *Case) writeSummary(procs []*peer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "case     %s (id %s)\nmode     %s\n", c.name, c.id, c.r.Banner())
	if c.network != nil {
		fmt.Fprintf(&b, "network  %s (bridge %s)\n", c.network.Name, c.bridge)
	}
	fmt.Fprintf(&b, "sockets  %s\n", c.sockDir)
	for _, p := range procs {
		code, err := p.p.ExitCode()
		fmt.Fprintf(&b, "peer     %-10s %-4s %s args %q exit %d%s\n", p.p.name, p.flavor.Name, p.image, p.args, code, errSuffix(err))
	}
	c.mu.Lock()
	for _, p := range c.commands {
		fmt.Fprintf(&b, "command  %-10s %-4s %q\n", p.name, p.flavor.Name, p.argv)
	}
	urls := make([]string, 0, len(c.urls))
	for u, o := range c.urls {
		urls = append(urls, fmt.Sprintf("url      %-10s %s", o.owner, u))
	}
	sort.Strings(urls)
	for _, u := range urls {
		b.WriteString(u + "\n")
	}
	for _, p := range c.pcaps {
		fmt.Fprintf(&b, "pcap     %s\n", filepath.Base(p))
	}
	for _, n := range c.notes {
		fmt.Fprintf(&b, "WARNING  %s\n", n)
	}
	c.mu.Unlock()
	return os.WriteFile(filepath.Join(c.dir, "case.txt"), []byte(b.String()), 0o644)
}

// newRecorder creates the pcap file of a relayed socket whose listening side
// shows as 10.0.0.1:hostPort.
func newRecorder(path string, hostPort uint16) (*capture.Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r, err := capture.NewRecorder(f, hostPort)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}
