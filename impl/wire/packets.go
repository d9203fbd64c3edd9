package wire

import (
	"fmt"

	"github.com/qtro/qtro/impl/qds"
)

// PacketType is the u16 that follows a frame's size.
type PacketType uint16

// The packet types, the same in both dialects.
const (
	Invalid           PacketType = 0
	Handshake         PacketType = 1
	InitPacket        PacketType = 2
	InitDynamicPacket PacketType = 3
	AddObject         PacketType = 4
	RemoveObject      PacketType = 5
	InvokePacket      PacketType = 6
	InvokeReplyPacket PacketType = 7
	PropertyChange    PacketType = 8
	ObjectList        PacketType = 9
	Ping              PacketType = 10
	Pong              PacketType = 11
)

var packetNames = [...]string{"Invalid", "Handshake", "InitPacket", "InitDynamicPacket",
	"AddObject", "RemoveObject", "InvokePacket", "InvokeReplyPacket", "PropertyChangePacket",
	"ObjectList", "Ping", "Pong"}

func (t PacketType) String() string {
	if int(t) < len(packetNames) {
		return packetNames[t]
	}
	return fmt.Sprintf("PacketType(%d)", uint16(t))
}

// Known reports whether t is one of the types QtRO defines.
func (t PacketType) Known() bool { return t <= Pong }

// Packet is one decoded QtRO packet. The concrete types are the *Xxx structs
// of this package; switch on them with a type switch.
type Packet interface {
	// Type returns the packet type.
	Type() PacketType
	// ObjectName returns the object the packet is about ("" for ObjectList;
	// the version string for Handshake).
	ObjectName() string
	encode(e *qds.Encoder)
	decode(dec *qds.Decoder)
}

// Interface guards.
var (
	_ Packet = (*HandshakePacket)(nil)
	_ Packet = (*Init)(nil)
	_ Packet = (*InitDynamic)(nil)
	_ Packet = (*AddObjectPacket)(nil)
	_ Packet = (*RemoveObjectPacket)(nil)
	_ Packet = (*Invoke)(nil)
	_ Packet = (*InvokeReply)(nil)
	_ Packet = (*PropertyChangePacket)(nil)
	_ Packet = (*ObjectListPacket)(nil)
	_ Packet = (*PingPacket)(nil)
	_ Packet = (*PongPacket)(nil)
	_ Packet = (*InvalidPacket)(nil)
	_ Packet = (*UnknownPacket)(nil)
)

// HandshakePacket is the first packet a host sends: its protocol version.
type HandshakePacket struct{ Version string }

// Type implements Packet.
func (*HandshakePacket) Type() PacketType { return Handshake }

// ObjectName implements Packet; a Handshake's "name" is the version string.
func (p *HandshakePacket) ObjectName() string       { return p.Version }
func (p *HandshakePacket) encode(e *qds.Encoder)    { e.QString(p.Version) }
func (p *HandshakePacket) decode(d *qds.Decoder)    { p.Version = d.Name() }
func (p *InvalidPacket) encode(e *qds.Encoder)      { e.QString(p.Name) }
func (p *InvalidPacket) decode(d *qds.Decoder)      { p.Name = d.Name() }
func (p *RemoveObjectPacket) encode(e *qds.Encoder) { e.QString(p.Name) }
func (p *RemoveObjectPacket) decode(d *qds.Decoder) { p.Name = d.Name() }
func (p *PingPacket) encode(e *qds.Encoder)         { e.QString(p.Name) }
func (p *PingPacket) decode(d *qds.Decoder)         { p.Name = d.Name() }
func (p *PongPacket) encode(e *qds.Encoder)         { e.QString(p.Name) }
func (p *PongPacket) decode(d *qds.Decoder)         { p.Name = d.Name() }

// InvalidPacket is packet type 0, which Qt never sends; decoding one keeps
// the stream in sync and lets the caller report it.
type InvalidPacket struct{ Name string }

// Type implements Packet.
func (*InvalidPacket) Type() PacketType { return Invalid }

// ObjectName implements Packet.
func (p *InvalidPacket) ObjectName() string { return p.Name }

// Init is an InitPacket: a static replica's initial property values.
type Init struct {
	Name   string
	Values []qds.Variant // property values in property order
}

// Type implements Packet.
func (*Init) Type() PacketType { return InitPacket }

// ObjectName implements Packet.
func (p *Init) ObjectName() string { return p.Name }

func (p *Init) encode(e *qds.Encoder) {
	e.QString(p.Name)
	e.VariantList(p.Values)
}

func (p *Init) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Values = d.AppendVariantList(p.Values[:0])
}

// InitDynamic is an InitDynamicPacket: a class definition and the initial
// property values, for a dynamic replica.
type InitDynamic struct {
	Name   string
	Class  ClassDef
	Values []qds.Variant
}

// Type implements Packet.
func (*InitDynamic) Type() PacketType { return InitDynamicPacket }

// ObjectName implements Packet.
func (p *InitDynamic) ObjectName() string { return p.Name }

func (p *InitDynamic) encode(e *qds.Encoder) {
	e.QString(p.Name)
	p.Class.Encode(e)
	e.VariantList(p.Values)
}

func (p *InitDynamic) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Class.Decode(d)
	// The definition's gadgets must be known before the values can be read,
	// as a Qt replica registers them before reading.
	if d.Err() == nil {
		p.Class.RegisterGadgets(d.Types())
	}
	p.Values = d.AppendVariantList(p.Values[:0])
}

// AddObjectPacket asks a host to start sending a source to this connection.
type AddObjectPacket struct {
	Name    string
	Dynamic bool // true: answer with InitDynamic, false: with Init
}

// Type implements Packet.
func (*AddObjectPacket) Type() PacketType { return AddObject }

// ObjectName implements Packet.
func (p *AddObjectPacket) ObjectName() string { return p.Name }

func (p *AddObjectPacket) encode(e *qds.Encoder) {
	e.QString(p.Name)
	e.Bool(p.Dynamic)
}

func (p *AddObjectPacket) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Dynamic = d.Bool()
}

// RemoveObjectPacket says a source is gone (host to client) or no longer
// wanted (client to host).
type RemoveObjectPacket struct{ Name string }

// Type implements Packet.
func (*RemoveObjectPacket) Type() PacketType { return RemoveObject }

// ObjectName implements Packet.
func (p *RemoveObjectPacket) ObjectName() string { return p.Name }

// Invoke calls (QMetaObject::Call values).
const (
	CallInvokeMethod  int32 = 0 // invoke a slot, or (host to client) emit a signal
	CallWriteProperty int32 = 2 // write a property; Qt hosts treat any non-zero value so
)

// Invoke is an InvokePacket: a slot call or property write from a replica,
// or a signal emission from a host.
type Invoke struct {
	Name          string
	Call          int32         // CallInvokeMethod or CallWriteProperty
	Index         int32         // signal, method or property index (see §5 of the protocol notes)
	Args          []qds.Variant // arguments; one value for a property write
	Serial        int32         // -1: no reply wanted; host to client always -1
	PropertyIndex int32         // host to client: the notified property, else -1
}

// Type implements Packet.
func (*Invoke) Type() PacketType { return InvokePacket }

// ObjectName implements Packet.
func (p *Invoke) ObjectName() string { return p.Name }

func (p *Invoke) encode(e *qds.Encoder) {
	e.QString(p.Name)
	e.I32(p.Call)
	e.I32(p.Index)
	e.VariantList(p.Args)
	e.I32(p.Serial)
	e.I32(p.PropertyIndex)
}

func (p *Invoke) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Call = d.I32()
	p.Index = d.I32()
	p.Args = d.AppendVariantList(p.Args[:0])
	p.Serial = d.I32()
	p.PropertyIndex = d.I32()
}

// InvokeReply answers an Invoke that carried a serial.
type InvokeReply struct {
	Name   string
	Serial int32
	Value  qds.Variant // invalid for void methods
}

// Type implements Packet.
func (*InvokeReply) Type() PacketType { return InvokeReplyPacket }

// ObjectName implements Packet.
func (p *InvokeReply) ObjectName() string { return p.Name }

func (p *InvokeReply) encode(e *qds.Encoder) {
	e.QString(p.Name)
	e.I32(p.Serial)
	e.Variant(p.Value)
}

func (p *InvokeReply) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Serial = d.I32()
	p.Value = d.Variant()
}

// PropertyChangePacket carries a new property value; a Qt host follows it
// with an Invoke of the notify signal in the same write.
type PropertyChangePacket struct {
	Name  string
	Index int32
	Value qds.Variant
}

// Type implements Packet.
func (*PropertyChangePacket) Type() PacketType { return PropertyChange }

// ObjectName implements Packet.
func (p *PropertyChangePacket) ObjectName() string { return p.Name }

func (p *PropertyChangePacket) encode(e *qds.Encoder) {
	e.QString(p.Name)
	e.I32(p.Index)
	e.Variant(p.Value)
}

func (p *PropertyChangePacket) decode(d *qds.Decoder) {
	p.Name = d.Name()
	p.Index = d.I32()
	p.Value = d.Variant()
}

// ObjectInfo describes one source in an ObjectList.
type ObjectInfo struct {
	Name      string
	TypeName  qds.NullString // class name from classinfo; null for plain QObjects
	Signature []byte         // 40 hex chars for repc classes; nil (null) otherwise
}

// ObjectListPacket lists sources a host offers (all on connect, then each
// newly enabled one). It is the only packet without a leading name.
type ObjectListPacket struct{ Objects []ObjectInfo }

// Type implements Packet.
func (*ObjectListPacket) Type() PacketType { return ObjectList }

// ObjectName implements Packet; an ObjectList has none.
func (*ObjectListPacket) ObjectName() string { return "" }

func (p *ObjectListPacket) encode(e *qds.Encoder) {
	e.U32(uint32(len(p.Objects)))
	for _, o := range p.Objects {
		e.QString(o.Name)
		e.EncodeNullString(o.TypeName)
		e.ByteArray(o.Signature)
	}
}

func (p *ObjectListPacket) decode(d *qds.Decoder) {
	n := d.Count("ObjectList", 12)
	p.Objects = p.Objects[:0]
	for i := 0; i < n && d.Err() == nil; i++ {
		o := ObjectInfo{Name: d.Name(), TypeName: d.DecodeNullString()}
		o.Signature = d.ByteArray()
		p.Objects = append(p.Objects, o)
	}
}

// PingPacket is a replica's heartbeat probe.
type PingPacket struct{ Name string }

// Type implements Packet.
func (*PingPacket) Type() PacketType { return Ping }

// ObjectName implements Packet.
func (p *PingPacket) ObjectName() string { return p.Name }

// PongPacket answers a Ping with the same name.
type PongPacket struct{ Name string }

// Type implements Packet.
func (*PongPacket) Type() PacketType { return Pong }

// ObjectName implements Packet.
func (p *PongPacket) ObjectName() string { return p.Name }

// UnknownPacket is a frame whose type QtRO does not define. Unlike Qt, which
// desynchronises, this codec skips it by length and hands it to the caller.
type UnknownPacket struct {
	PacketType PacketType
	Body       []byte
}

// Type implements Packet.
func (p *UnknownPacket) Type() PacketType { return p.PacketType }

// ObjectName implements Packet.
func (*UnknownPacket) ObjectName() string { return "" }

func (p *UnknownPacket) encode(e *qds.Encoder) { e.Raw(p.Body) }
func (p *UnknownPacket) decode(d *qds.Decoder) {
	p.Body = append(p.Body[:0], d.Raw(d.Len(), "body")...)
}

// newPacket returns an empty packet of type t.
func newPacket(t PacketType) Packet {
	switch t {
	case Invalid:
		return &InvalidPacket{}
	case Handshake:
		return &HandshakePacket{}
	case InitPacket:
		return &Init{}
	case InitDynamicPacket:
		return &InitDynamic{}
	case AddObject:
		return &AddObjectPacket{}
	case RemoveObject:
		return &RemoveObjectPacket{}
	case InvokePacket:
		return &Invoke{}
	case InvokeReplyPacket:
		return &InvokeReply{}
	case PropertyChange:
		return &PropertyChangePacket{}
	case ObjectList:
		return &ObjectListPacket{}
	case Ping:
		return &PingPacket{}
	case Pong:
		return &PongPacket{}
	}
	return &UnknownPacket{PacketType: t}
}
