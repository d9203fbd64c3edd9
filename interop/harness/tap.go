package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/qtro/qtro/impl/capture"
)

// tap relays a stream-socket listener to the real listener and records every
// byte in both directions with a [capture.Recorder].
type tap struct {
	ln   net.Listener
	dial func() (net.Conn, error)
	pcap *capture.Recorder
	note func(format string, args ...any)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTap(ln net.Listener, dial func() (net.Conn, error), pcap *capture.Recorder, note func(string, ...any)) *tap {
	t := &tap{ln: ln, dial: dial, pcap: pcap, note: note, conns: map[net.Conn]struct{}{}}
	t.wg.Add(1)
	go t.serve()
	return t
}

func (t *tap) serve() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.wg.Add(1)
		go t.relay(c)
	}
}

func (t *tap) track(c net.Conn, add bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if add {
		if t.conns == nil {
			return false
		}
		t.conns[c] = struct{}{}
	} else {
		delete(t.conns, c)
	}
	return true
}

func (t *tap) relay(client net.Conn) {
	defer t.wg.Done()
	defer client.Close()
	server, err := t.dial()
	if err != nil {
		t.note("tap %s: dial the real listener: %v", t.ln.Addr(), err)
		return
	}
	defer server.Close()
	if !t.track(client, true) || !t.track(server, true) {
		return
	}
	defer t.track(client, false)
	defer t.track(server, false)
	s := t.pcap.NewConn()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pump(s, capture.ClientToHost, client, server) }()
	go func() { defer wg.Done(); pump(s, capture.HostToClient, server, client) }()
	wg.Wait()
}

// pump copies src to dst, recording each chunk, and half-closes dst when src
// ends, as the kernel would for a direct connection.
func pump(s *capture.RecordedConn, d capture.Direction, src, dst net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			s.Data(d, buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				_ = src.Close()
				s.Fin(d)
				return
			}
		}
		if err != nil {
			s.Fin(d)
			if cw, ok := dst.(interface{ CloseWrite() error }); ok && errors.Is(err, io.EOF) {
				_ = cw.CloseWrite()
			} else {
				_ = dst.Close()
			}
			return
		}
	}
}

// Close stops accepting, cuts every relayed connection, waits for the relays
// and closes the pcap.
func (t *tap) Close() error {
	err := t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		_ = c.Close()
	}
	t.conns = nil
	t.mu.Unlock()
	t.wg.Wait()
	return errors.Join(ignoreClosed(err), t.pcap.Close())
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// tapLocalPath interposes on a pathname Unix socket that a peer is already
// listening on: the peer's socket file is renamed to path+tappedSuffix (a bound
// socket keeps working under its new name), and the tap listens at path. Peers
// connecting to path, however they learned it (directly or from a registry),
// go through the tap; nothing in the URLs changes.
func tapLocalPath(ctx context.Context, path string, pcap *capture.Recorder, note func(string, ...any)) (*tap, error) {
	if err := waitSocket(ctx, path); err != nil {
		return nil, err
	}
	real := path + tappedSuffix
	if err := os.Rename(path, real); err != nil {
		return nil, fmt.Errorf("tap %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		_ = os.Rename(real, path)
		return nil, fmt.Errorf("tap %s: %w", path, err)
	}
	_ = os.Chmod(path, 0o777)
	return newTap(ln, func() (net.Conn, error) { return net.Dial("unix", real) }, pcap, note), nil
}

// tappedSuffix is appended to the name of a tapped peer's own socket file.
const tappedSuffix = ".tapped"

// waitSocket waits until path exists and is a socket.
func waitSocket(ctx context.Context, path string) error {
	for {
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for socket %s: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tapAbstract relays the abstract socket @name+".tap" to @name inside the
// network namespace of process pid (0: this one). Abstract sockets cannot be
// renamed, so clients must use the tap's name.
func tapAbstract(name string, pid int, pcap *capture.Recorder, note func(string, ...any)) (*tap, string, error) {
	tname := name + ".tap"
	var ln net.Listener
	err := inNetns(pid, func() error {
		var err error
		ln, err = net.Listen("unix", "@"+tname)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("tap @%s: %w", name, err)
	}
	dial := func() (net.Conn, error) {
		var c net.Conn
		err := inNetns(pid, func() error {
			var err error
			c, err = net.Dial("unix", "@"+name)
			return err
		})
		return c, err
	}
	return newTap(ln, dial, pcap, note), tname, nil
}
