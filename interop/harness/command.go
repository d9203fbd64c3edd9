package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/moby/client"
)

// ContractEnv is the environment the adapter contract gives every adapter
// (specs/ADAPTER.md; specs/adapter.Start sets the same). Peers get it in both
// modes, before TMPDIR and the caller's entries.
var ContractEnv = []string{"TZ=UTC", "LC_ALL=C.UTF-8", "QTRO_ADAPTER_CONTRACT=1"}

// commandPeer is a peer the case handed out as an argv for someone else to run.
type commandPeer struct {
	name   string
	flavor Flavor
	cname  string // container name (containers only)
	argv   []string
}

// Command returns an argv that runs a peer of flavor f named name, for a
// driver that starts processes itself, such as specs/adapter (Config.Command;
// the driver appends the role and its arguments). Natively it is
// `env TMPDIR=<socket dir> ... <binary> <flavor args>`; in containers
// `docker run -i --rm` of f.Image on the case network with alias name, the
// socket directory mounted and TMPDIR set, and --network container:<peer>
// for SharingNetworkWith. The peer takes part in the case like one from
// Start (URLs, Tap, tcp.pcap); Close removes a container the driver left
// behind. To record its streams, give the driver [Case.LogWriter](name).
//
// Caveat in containers: docker run itself exits 125 when Docker fails and
// 126/127 when the entrypoint cannot run; 127 then reads as "unsupported".
func (c *Case) Command(ctx context.Context, name string, f Flavor, opts ...StartOption) ([]string, error) {
	var sc startConfig
	for _, o := range opts {
		o(&sc)
	}
	if err := c.claim(name, sc.join); err != nil {
		return nil, err
	}
	env := append(append(append([]string(nil), ContractEnv...), "TMPDIR="+c.sockDir), sc.env...)
	cp := commandPeer{name: name, flavor: f}
	if c.r.mode == Native {
		bin := f.binaryPath(c.r.root)
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("harness: native %s peer: %w (build it with ci/build-peers.sh or set %s)", f.Name, err, f.BinaryEnv)
		}
		envBin, err := exec.LookPath("env")
		if err != nil {
			return nil, err
		}
		cp.argv = append(append(append([]string{envBin}, env...), bin), f.Args...)
	} else {
		cp.cname = "qtro-" + c.id + "-" + name
		argv := []string{"docker", "run", "-i", "--rm", "--name", cp.cname}
		labels := withPeer(ownerLabels(c.name), name)
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			argv = append(argv, "--label", k+"="+labels[k])
		}
		argv = append(argv, "-v", c.sockDir+":"+c.sockDir)
		if sc.join != "" {
			j, err := c.containerOf(sc.join)
			if err != nil {
				return nil, err
			}
			argv = append(argv, "--network", "container:"+j)
		} else {
			argv = append(argv, "--network", c.network.Name, "--network-alias", name)
		}
		for _, e := range env {
			argv = append(argv, "-e", e)
		}
		cp.argv = append(append(argv, f.Image), f.Args...)
	}
	c.mu.Lock()
	c.commands = append(c.commands, cp)
	c.mu.Unlock()
	c.t.Printf("%-10s command: %q", name, cp.argv)
	return append([]string(nil), cp.argv...), nil
}

// claim checks that name is a valid, unused peer name and that join (if any)
// names a started peer.
func (c *Case) claim(name, join string) error {
	if !peerName.MatchString(name) {
		return fmt.Errorf("harness: peer name %q must be lower-case letters, digits and dashes (it is a host name)", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("harness: case closed")
	}
	found := join == ""
	for _, p := range c.procs {
		if p.p.name == name {
			return fmt.Errorf("harness: peer %q already started", name)
		}
		found = found || p.p.name == join
	}
	for _, p := range c.commands {
		if p.name == name {
			return fmt.Errorf("harness: peer %q already started", name)
		}
		found = found || p.name == join
	}
	if !found {
		return fmt.Errorf("harness: SharingNetworkWith(%q): no such peer", join)
	}
	return nil
}

// containerOf returns the container ID or name of a container peer.
func (c *Case) containerOf(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.p.name == name && p.containerID != "" {
			return p.containerID, nil
		}
	}
	for _, p := range c.commands {
		if p.name == name && p.cname != "" {
			return p.cname, nil
		}
	}
	return "", fmt.Errorf("harness: no container peer %q", name)
}

// removeCommandContainers removes containers of Command peers still present.
func (c *Case) removeCommandContainers(ctx context.Context) error {
	c.mu.Lock()
	cmds := append([]commandPeer(nil), c.commands...)
	c.mu.Unlock()
	var errs []error
	for _, p := range cmds {
		if p.cname == "" {
			continue
		}
		_, err := c.r.docker.ContainerRemove(ctx, p.cname, client.ContainerRemoveOptions{Force: true})
		if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such container") {
			errs = append(errs, fmt.Errorf("remove %s: %w", p.cname, err))
		} else if err == nil {
			c.t.Printf("%-10s container removed at close (its driver left it running)", p.name)
		}
	}
	return errors.Join(errs...)
}

// LogWriter returns a writer for a driver's log of peer name (for example
// specs/adapter's Config.Log, which writes each stdout and stderr line and
// each command): lines go to <name>.log and into the transcript.
func (c *Case) LogWriter(name string) io.Writer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.logs[name]; ok {
		return l
	}
	l := &logSink{tee: &lineTee{t: c.t, tag: fmt.Sprintf("%-10s log   ", name)}}
	f, err := os.Create(filepath.Join(c.dir, name+".log"))
	if err != nil {
		c.t.Printf("WARNING    %s.log: %v", name, err)
	} else {
		l.f = f
	}
	c.logs[name] = l
	return l
}

// logSink is a LogWriter: a file and the transcript.
type logSink struct {
	mu  sync.Mutex
	f   *os.File
	tee *lineTee
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		_, _ = l.f.Write(p)
	}
	return l.tee.Write(p)
}

func (l *logSink) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tee.Flush()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
