package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/qtro/qtro/internal/proc"
)

// ErrCaptureUnavailable says a packet capture cannot run here (no tcpdump, or
// not root). The case still runs; it only lacks that pcap.
var ErrCaptureUnavailable = errors.New("harness: packet capture unavailable")

// tcpdump is one running tcpdump writing a pcap file.
type tcpdump struct {
	cmd  *exec.Cmd
	path string
	done chan struct{}
	log  *proc.Tail
}

// startTcpdump captures on iface into path with a BPF filter, and returns once
// tcpdump says it is listening, so no packet sent afterwards is missed. It
// hands over and writes every packet at once (--immediate-mode -U; without them
// packets of the last second can be lost at stop) and never resolves names. On an
// interface whose link type is Ethernet (a bridge, lo) the file is Ethernet
// framed; on "any" it is forced to LINUX_SLL (gopacket cannot read SLL2).
func startTcpdump(ctx context.Context, iface, path, filter string) (*tcpdump, error) {
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCaptureUnavailable, err)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: capturing needs root (euid %d)", ErrCaptureUnavailable, os.Geteuid())
	}
	args := []string{"-i", iface, "-n", "-U", "--immediate-mode", "-s", "0", "-w", path}
	if iface == "any" {
		args = append(args, "-y", "LINUX_SLL")
	}
	if filter != "" {
		args = append(args, filter)
	}
	cmd := exec.Command(bin, args...)
	proc.SetGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &tcpdump{cmd: cmd, path: path, done: make(chan struct{}), log: proc.NewTail(4096)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			_, _ = t.log.Write([]byte(line + "\n"))
			if !signalled && strings.Contains(line, "listening on") {
				signalled = true
				close(ready)
			}
		}
		_ = cmd.Wait()
		close(t.done)
	}()
	select {
	case <-ready:
		return t, nil
	case <-t.done:
		return nil, fmt.Errorf("tcpdump -i %s exited: %s", iface, strings.TrimSpace(t.log.String()))
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-t.done
		return nil, ctx.Err()
	}
}

// stop lets packets in flight arrive, then ends tcpdump (SIGINT, as Ctrl-C)
// and waits for it to close the file.
func (t *tcpdump) stop(ctx context.Context) error {
	select {
	case <-t.done:
		return nil
	default:
	}
	time.Sleep(150 * time.Millisecond)
	_ = t.cmd.Process.Signal(os.Interrupt)
	select {
	case <-t.done:
		return nil
	case <-time.After(3 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
		return fmt.Errorf("tcpdump did not stop on SIGINT")
	case <-ctx.Done():
		_ = t.cmd.Process.Kill()
		<-t.done
		return ctx.Err()
	}
}
