//go:build linux

package stormclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// conn is one replica's connection.
type conn struct {
	fd    int
	start time.Time
	buf   []byte
	d     wire.Dialect // detected from the host's first bytes
	hello bool         // Handshake checked
	added bool         // AddObject sent
}

type storm struct {
	cfg      Config
	sa       syscall.Sockaddr
	domain   int
	tcp      bool
	ep       int
	conns    map[int]*conn
	adds     map[wire.Dialect][]byte // AddObject, encoded once per dialect
	rbuf     []byte
	res      Result
	started  int
	inFlight int
	last     time.Time
}

// Run runs one storm: Count connections to URL, each initialising one
// replica of Object, with at most InFlight not yet Valid at a time.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Count <= 0 {
		return Result{}, errors.New("stormclient: Count must be positive")
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 512
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Limits.MaxFrameSize <= 0 {
		cfg.Limits.MaxFrameSize = wire.DefaultMaxFrameSize
	}
	s := &storm{cfg: cfg, conns: map[int]*conn{}, adds: map[wire.Dialect][]byte{}, rbuf: make([]byte, 64<<10)}
	if err := s.resolve(ctx); err != nil {
		return Result{}, err
	}
	for _, d := range wire.Dialects {
		e := qds.NewEncoder(nil, d.Stream(), nil)
		wire.AppendPacket(e, &wire.AddObjectPacket{Name: cfg.Object, Dynamic: cfg.Dynamic})
		s.adds[d] = e.Bytes()
	}
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return Result{}, fmt.Errorf("stormclient: epoll: %w", err)
	}
	s.ep = ep
	defer s.closeAll()
	return s.run(ctx)
}

// resolve turns the URL into a socket address, once for all connections.
func (s *storm) resolve(ctx context.Context) error {
	u, err := transport.Parse(s.cfg.URL)
	if err != nil {
		return fmt.Errorf("stormclient: %w", err)
	}
	switch u.Scheme {
	case transport.TCP:
		// The transport's rules (a missing port is Qt's 65535); an empty
		// host, all interfaces to a listener, is loopback to a client.
		host, portStr, err := net.SplitHostPort(u.TCPAddr())
		if err != nil {
			return fmt.Errorf("stormclient: %w", err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return fmt.Errorf("stormclient: port %q: %w", portStr, err)
		}
		if host == "" {
			host = "127.0.0.1"
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("stormclient: resolve %q: %v", host, err)
		}
		ip := ips[0].Unmap()
		if ip.Is4() {
			s.sa, s.domain = &syscall.SockaddrInet4{Port: port, Addr: ip.As4()}, syscall.AF_INET
		} else {
			s.sa, s.domain = &syscall.SockaddrInet6{Port: port, Addr: ip.As16()}, syscall.AF_INET6
		}
		s.tcp = true
	case transport.Local:
		s.sa, s.domain = &syscall.SockaddrUnix{Name: u.SocketPath()}, syscall.AF_UNIX
	case transport.LocalAbstract:
		s.sa, s.domain = &syscall.SockaddrUnix{Name: u.AbstractAddr()}, syscall.AF_UNIX
	default:
		return fmt.Errorf("stormclient: %w: %s", transport.ErrUnknownScheme, u.Scheme)
	}
	return nil
}

func (s *storm) run(ctx context.Context) (Result, error) {
	begin := time.Now()
	deadline := begin.Add(s.cfg.Timeout)
	events := make([]syscall.EpollEvent, 256)
	for s.res.Valid+s.res.Failed < s.cfg.Count {
		if err := ctx.Err(); err != nil {
			return s.res, err
		}
		if time.Now().After(deadline) {
			s.res.TimedOut = true
			s.last = time.Now()
			break
		}
		if err := s.startMore(); err != nil {
			return s.res, err
		}
		n, err := syscall.EpollWait(s.ep, events, 10)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return s.res, fmt.Errorf("stormclient: epoll_wait: %w", err)
		}
		for _, ev := range events[:max(n, 0)] {
			if c := s.conns[int(ev.Fd)]; c != nil {
				s.readable(c)
			}
		}
	}
	if !s.last.IsZero() {
		s.res.Elapsed = s.last.Sub(begin)
	}
	return s.res, nil
}

// startMore opens connections up to the in-flight bound.
func (s *storm) startMore() error {
	for s.started < s.cfg.Count && s.inFlight < s.cfg.InFlight {
		fd, err := syscall.Socket(s.domain, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("stormclient: socket: %w", err) // out of descriptors: the run cannot go on
		}
		if s.tcp {
			_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1) // as Qt and Go
		}
		err = syscall.Connect(fd, s.sa)
		if errors.Is(err, syscall.EAGAIN) {
			syscall.Close(fd) // a unix listen backlog is full: try again after the next events
			return nil
		}
		if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
			syscall.Close(fd)
			s.fail(fmt.Errorf("connect: %w", err))
			s.started++
			continue
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
		if err := syscall.EpollCtl(s.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			syscall.Close(fd)
			return fmt.Errorf("stormclient: epoll_ctl: %w", err)
		}
		s.conns[fd] = &conn{fd: fd, start: time.Now()}
		s.started++
		s.inFlight++
	}
	return nil
}

// readable reads what arrived on c and advances its replica.
func (s *storm) readable(c *conn) {
	n, err := syscall.Read(c.fd, s.rbuf)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return
	}
	if err != nil || n <= 0 {
		if err == nil {
			err = errors.New("closed by the host")
		}
		s.drop(c, err)
		return
	}
	c.buf = append(c.buf, s.rbuf[:n]...)
	for {
		done, err := s.frame(c)
		if err != nil {
			s.drop(c, err)
			return
		}
		if !done {
			break
		}
		if c.buf == nil { // Valid: c is out of the loop
			return
		}
	}
}

// frame handles the first complete frame in c.buf; done is false when
// there is none yet.
func (s *storm) frame(c *conn) (done bool, err error) {
	if !c.d.Valid() {
		if len(c.buf) < 6 {
			return false, nil
		}
		d, ok := wire.DetectDialect(c.buf[:6])
		if !ok {
			return false, fmt.Errorf("%w: first bytes % x", wire.ErrNoHandshake, c.buf[:6])
		}
		c.d = d
	}
	if len(c.buf) < 6 {
		return false, nil
	}
	var size uint32
	var typ uint16
	if c.d == wire.Qt6 {
		size, typ = binary.LittleEndian.Uint32(c.buf), binary.LittleEndian.Uint16(c.buf[4:])
	} else {
		size, typ = binary.BigEndian.Uint32(c.buf), binary.BigEndian.Uint16(c.buf[4:])
	}
	if size < 2 || int64(size) > int64(s.cfg.Limits.MaxFrameSize) {
		return false, fmt.Errorf("%w: frame size %d", wire.ErrFrameTooLarge, size)
	}
	if len(c.buf) < 4+int(size) {
		return false, nil
	}
	f := wire.Frame{Type: wire.PacketType(typ), Body: c.buf[6 : 4+size]}
	rest := c.buf[4+size:]
	switch {
	case !c.hello:
		p, err := wire.Decode(c.d, c.d.Types(), s.cfg.Limits.Values, f)
		if err != nil {
			return false, err
		}
		hs, ok := p.(*wire.HandshakePacket)
		if !ok || hs.Version != c.d.ProtocolVersion() {
			return false, fmt.Errorf("%w: first packet %s", wire.ErrVersionMismatch, p.Type())
		}
		c.hello = true
	case f.Type == wire.ObjectList && !c.added:
		p, err := wire.Decode(c.d, c.d.Types(), s.cfg.Limits.Values, f)
		if err != nil {
			return false, err
		}
		for _, o := range p.(*wire.ObjectListPacket).Objects {
			if o.Name == s.cfg.Object {
				if err := s.write(c, s.adds[c.d]); err != nil {
					return false, err
				}
				c.added = true
				break
			}
		}
	case (f.Type == wire.InitPacket || f.Type == wire.InitDynamicPacket) && c.added:
		// The name is enough: the host's work ends with sending the values,
		// and decoding them would need the class's user types (the node
		// library's replicas, in loadgen's other storm row, decode all).
		dec := qds.NewDecoder(f.Body, c.d.Stream(), c.d.Types(), s.cfg.Limits.Values)
		name := dec.Name()
		if err := dec.Err(); err != nil {
			return false, fmt.Errorf("%s: %w", f.Type, err)
		}
		if name == s.cfg.Object {
			s.valid(c)
			return true, nil
		}
	}
	c.buf = rest
	if len(c.buf) == 0 {
		c.buf = c.buf[:0:0] // let a finished frame's memory go
	}
	return true, nil
}

// write sends a small frame on a fresh connection, where it always fits.
func (s *storm) write(c *conn, b []byte) error {
	n, err := syscall.Write(c.fd, b)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n != len(b) {
		return fmt.Errorf("short write: %d of %d bytes", n, len(b))
	}
	return nil
}

func (s *storm) valid(c *conn) {
	now := time.Now()
	s.res.Valid++
	s.res.Init = append(s.res.Init, now.Sub(c.start))
	s.last = now
	s.inFlight--
	c.buf = nil
	// Stop reading: later traffic is not the storm's. The connection stays
	// open, as a replica would, until the storm ends.
	_ = syscall.EpollCtl(s.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
}

func (s *storm) drop(c *conn, err error) {
	_ = syscall.EpollCtl(s.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
	syscall.Close(c.fd)
	delete(s.conns, c.fd)
	s.inFlight--
	s.fail(err)
}

func (s *storm) fail(err error) {
	s.res.Failed++
	if s.res.FirstErr == nil {
		s.res.FirstErr = err
	}
}

func (s *storm) closeAll() {
	for fd := range s.conns {
		syscall.Close(fd)
	}
	syscall.Close(s.ep)
}
