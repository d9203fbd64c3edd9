package fuzz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// Object is one source the target remotes, with its class as the host's
// InitDynamic describes it (empty when the host sent none); in the replica
// role, the object the replica asked for, with its class as the fuzzer
// (its host) knows it.
type Object struct {
	Name string        `json:"name"`
	Type string        `json:"type"`
	Def  wire.ClassDef `json:"-"`
	// Signature is the class signature an ObjectList announces (replica
	// role: a static replica checks it before it asks).
	Signature string `json:"-"`
	// Dynamic is the replica role's AddObject flag: the replica asked for
	// an InitDynamic (else an Init).
	Dynamic bool `json:"dynamic,omitempty"`
	// Values are the property values of a well-formed Init (replica role),
	// in property order.
	Values []qds.Variant `json:"-"`
}

// Model is what the fuzzer learned from the target: its dialect, role and
// sources. The mutators aim at what it declares.
type Model struct {
	Dialect wire.Dialect `json:"-"`
	// Role is the target's role (zero: host): the fuzzer plays the other.
	Role    Role     `json:"role,omitempty"`
	Objects []Object `json:"objects"`
	// Types holds the user types of the objects' values (their PODs, the
	// QRO_ child descriptor); nil: the dialect's.
	Types *qds.Types `json:"-"`
}

// Role is the role the target plays under fuzz.
type Role string

// Roles.
const (
	// RoleHost: the target is a host and the fuzzer its hostile client.
	RoleHost Role = "host"
	// RoleReplica: the target is a replica (a node acquiring its test
	// object) and the fuzzer the hostile host it connects to.
	RoleReplica Role = "replica"
)

// ParseRoles reads a --role value: host, replica or both.
func ParseRoles(s string) ([]Role, error) {
	switch s {
	case "host":
		return []Role{RoleHost}, nil
	case "replica":
		return []Role{RoleReplica}, nil
	case "both":
		return []Role{RoleHost, RoleReplica}, nil
	}
	return nil, fmt.Errorf("fuzz: role %q: want host, replica or both", s)
}

// roleOf reads a role, the zero value meaning host (what reproducers
// written before the replica role hold).
func roleOf(r Role) Role {
	if r == RoleReplica {
		return r
	}
	return RoleHost
}

// ErrNoGreeting means the host did not send its Handshake in time.
var ErrNoGreeting = errors.New("fuzz: no Handshake from the host")

// client is a raw connection that reads the host's frames in the
// background, only to learn whether it answers.
type client struct {
	c      net.Conn
	d      wire.Dialect
	frames chan wire.Packet
	done   chan struct{}
}

// dial connects to url and waits for the host's Handshake.
func dial(ctx context.Context, url string, d wire.Dialect, wait time.Duration) (*client, error) {
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	c, err := transport.Default().Dial(dctx, url)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, d: d, frames: make(chan wire.Packet, 256), done: make(chan struct{})}
	go cl.read()
	if _, err := cl.expect(dctx, func(p wire.Packet) bool { return p.Type() == wire.Handshake }); err != nil {
		c.Close()
		<-cl.done
		return nil, fmt.Errorf("%w: %v", ErrNoGreeting, err)
	}
	return cl, nil
}

func (cl *client) read() {
	defer close(cl.done)
	defer close(cl.frames)
	types := qds.NewTypes(cl.d.Types())
	r := wire.NewReader(cl.c, cl.d, types, wire.Limits{MaxFrameSize: 64 << 20})
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return
		}
		p, err := wire.Decode(cl.d, types, qds.Limits{}, wire.Frame{Type: f.Type, Body: append([]byte(nil), f.Body...), Offset: f.Offset})
		if err != nil {
			// An undecodable answer still proves the host is alive.
			p = &wire.PingPacket{Name: "\x00undecodable"}
		}
		select {
		case cl.frames <- p:
		default: // nobody is reading; the host answering is all that matters
		}
	}
}

// expect returns the first packet matching match.
func (cl *client) expect(ctx context.Context, match func(wire.Packet) bool) (wire.Packet, error) {
	for {
		select {
		case p, ok := <-cl.frames:
			if !ok {
				return nil, errors.New("connection closed")
			}
			if match(p) {
				return p, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (cl *client) send(b []byte) error {
	_ = cl.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := cl.c.Write(b)
	return err
}

func (cl *client) close() {
	cl.c.Close()
	<-cl.done
}

// ping checks the host answers a Ping on this connection.
func (cl *client) ping(ctx context.Context, wait time.Duration) error {
	b, err := wire.Marshal(cl.d, nil, &wire.PingPacket{Name: "qtro-fuzz-alive"})
	if err != nil {
		return err
	}
	if err := cl.send(b); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	_, err = cl.expect(pctx, func(p wire.Packet) bool { return p.Type() == wire.Pong })
	return err
}

// Learn connects to the host at url, reads its ObjectList and acquires
// every source dynamically to read its class definition.
func Learn(ctx context.Context, url string, d wire.Dialect) (Model, error) {
	m := Model{Dialect: d}
	cl, err := dial(ctx, url, d, 10*time.Second)
	if err != nil {
		return m, err
	}
	defer cl.close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := cl.expect(lctx, func(p wire.Packet) bool { return p.Type() == wire.ObjectList })
	if err != nil {
		return m, fmt.Errorf("fuzz: no ObjectList: %w", err)
	}
	for _, o := range p.(*wire.ObjectListPacket).Objects {
		m.Objects = append(m.Objects, Object{Name: o.Name, Type: o.TypeName.Text})
	}
	for i := range m.Objects {
		b, err := wire.Marshal(d, nil, &wire.AddObjectPacket{Name: m.Objects[i].Name, Dynamic: true})
		if err != nil {
			return m, err
		}
		if err := cl.send(b); err != nil {
			return m, err
		}
		name := m.Objects[i].Name
		p, err := cl.expect(lctx, func(p wire.Packet) bool { return p.Type() == wire.InitDynamicPacket && p.ObjectName() == name })
		if err != nil {
			continue // the class stays unknown; the mutators still aim at the name
		}
		m.Objects[i].Def = p.(*wire.InitDynamic).Class
	}
	return m, nil
}
