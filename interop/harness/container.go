package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// containerSpec is what startContainer needs beyond the artifacts.
type containerSpec struct {
	name      string // peer name: network alias and container name suffix
	cname     string // container name
	image     string
	args      []string
	env       []string
	network   string // case network name; empty when joinPID is used
	joinID    string // container whose network namespace to join (localabstract)
	sockDir   string // bind-mounted at the same path
	labels    map[string]string
	logger    printfer
	waitLimit time.Duration
}

// printfer is testcontainers' logger interface.
type printfer interface {
	Printf(format string, v ...any)
}

// startContainer creates the container with stdin open, attaches to its
// stdin/stdout/stderr before starting it (so no early output is lost), then
// starts it. testcontainers-go creates, starts and removes it; the attach and
// the exit status use the case's own Docker client.
func startContainer(ctx context.Context, cli *client.Client, s containerSpec, a *artifacts) (*Process, string, error) {
	req := testcontainers.ContainerRequest{
		Image:  s.image,
		Cmd:    s.args,
		Name:   s.cname,
		Labels: s.labels,
		ConfigModifier: func(c *container.Config) {
			c.OpenStdin = true
			c.StdinOnce = true // closing our attach's stdin closes the peer's stdin
			c.AttachStdin = true
			c.AttachStdout = true
			c.AttachStderr = true
			c.Tty = false
			c.Env = append(c.Env, s.env...)
		},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, s.sockDir+":"+s.sockDir)
			if s.joinID != "" {
				hc.NetworkMode = container.NetworkMode("container:" + s.joinID)
			}
		},
	}
	if s.network != "" && s.joinID == "" {
		req.Networks = []string{s.network}
		req.NetworkAliases = map[string][]string{s.network: {s.name}}
	}
	gr := testcontainers.GenericContainerRequest{ContainerRequest: req, Started: false}
	if s.logger != nil {
		gr.Logger = s.logger
	}
	ctr, err := testcontainers.GenericContainer(ctx, gr)
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.Background(), testcontainers.StopTimeout(0))
		}
		return nil, "", fmt.Errorf("create container %s from %s: %w", s.cname, s.image, err)
	}
	id := ctr.GetContainerID()
	terminate := func(ctx context.Context) error {
		return ctr.Terminate(ctx, testcontainers.StopTimeout(0))
	}
	att, err := cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil, id, errors.Join(fmt.Errorf("attach %s: %w", s.cname, err), terminate(context.Background()))
	}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(a.outW, a.errW, att.Reader)
		copied <- err
	}()
	if err := ctr.Start(ctx); err != nil {
		att.Close()
		<-copied
		return nil, id, errors.Join(fmt.Errorf("start %s: %w", s.cname, err), terminate(context.Background()))
	}
	p := &Process{
		name:   s.name,
		where:  "container " + shortID(id) + " " + s.image,
		stdout: a.stdout,
		errBuf: a.errBuf,
		stderr: a.stderr,
		done:   make(chan struct{}),
		stdin: &stdinWriter{rec: a.stdinRec, tee: a.inTee, dst: att.Conn, closeFn: func() error {
			return att.CloseWrite()
		}},
	}
	p.kill = func(ctx context.Context) error {
		_, err := cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
		if err != nil && strings.Contains(err.Error(), "is not running") {
			return nil
		}
		return err
	}
	p.cleanup = func(ctx context.Context) error {
		att.Close()
		return terminate(ctx)
	}
	go func() {
		// The exit status comes from Docker; the output is complete when the
		// attach stream ends, which it does when the container exits.
		wctx := context.Background()
		res := cli.ContainerWait(wctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
		select {
		case r := <-res.Result:
			p.exitCode = int(r.StatusCode)
			if r.Error != nil && r.Error.Message != "" {
				p.waitErr = errors.New(r.Error.Message)
			}
		case err := <-res.Error:
			p.exitCode, p.waitErr = -1, fmt.Errorf("wait for %s: %w", s.cname, err)
		}
		select {
		case err := <-copied:
			if err != nil && p.waitErr == nil && !isClosedErr(err) {
				p.waitErr = fmt.Errorf("read output of %s: %w", s.cname, err)
			}
		case <-time.After(s.waitLimit):
			// The stream did not end with the container (should not happen);
			// close it so the reader is released.
			att.Close()
			<-copied
		}
		a.finish()
		close(p.done)
	}()
	return p, id, nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func isClosedErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), "use of closed network connection")
}
