package wire

import (
	"sync"

	"github.com/qtro/qtro/impl/qds"
)

// User type names QtRO itself puts on the wire (the same in both dialects).
const (
	ChildObjectType = "QRemoteObjectPackets::QRO_"
	SequenceType    = "QRemoteObjectPackets::QSQ_"
	AssociativeType = "QRemoteObjectPackets::QAS_"
)

// Child object kinds in a QRO_ descriptor.
const (
	ChildClass  uint8 = 0
	ChildModel  uint8 = 1
	ChildGadget uint8 = 2
)

// ChildObject is the QRO_ descriptor that carries a QObject* (CLASS) or
// QAbstractItemModel* (MODEL) property, or a gadget held in a QVariant.
type ChildObject struct {
	Name     string         // child source name, e.g. "Class::Demo::child" (Qt 6)
	TypeName qds.NullString // class name; empty (not null) for non-repc children
	Kind     uint8          // ChildClass, ChildModel or ChildGadget
	// Definition is the nested big-endian class definition blob, or nil when
	// the type was already sent on this connection (or the root is static).
	// Parse it with ParseDefinition.
	Definition []byte
	IsNull     bool          // the pointer is null; Parameters is then absent
	Parameters []qds.Variant // the child's property values
}

// ParseDefinition decodes the nested class definition of a CLASS or MODEL
// child; ok is false when there is none.
func (c *ChildObject) ParseDefinition(d Dialect, types *qds.Types, lim qds.Limits) (def ClassDef, ok bool, err error) {
	if c.Definition == nil {
		return def, false, nil
	}
	dec := qds.NewDecoder(c.Definition, d.Nested(), types, lim)
	def.Decode(dec)
	return def, true, dec.Err()
}

type childCodec struct{ d Dialect }

func (c childCodec) Decode(d *qds.Decoder) any {
	ch := ChildObject{Name: d.Name(), TypeName: d.DecodeNullString(), Kind: d.U8()}
	ch.Definition = d.ByteArray()
	ch.IsNull = d.Bool()
	if ch.IsNull || d.Err() != nil {
		return ch
	}
	raw, _ := d.ByteArrayView()
	sub := d.Sub(raw, c.d.Nested())
	n := sub.Count("QRO_ parameters", 5)
	ch.Parameters = make([]qds.Variant, 0, n)
	for i := 0; i < n && sub.Err() == nil; i++ {
		ch.Parameters = append(ch.Parameters, sub.Variant())
	}
	d.Adopt(sub, "QRO_ parameters")
	return ch
}

func (c childCodec) Encode(e *qds.Encoder, v any) {
	ch, ok := v.(ChildObject)
	if !ok {
		e.Failf("QRO_", qds.ErrBadValue, "want wire.ChildObject, got %T", v)
		return
	}
	e.QString(ch.Name)
	e.EncodeNullString(ch.TypeName)
	e.U8(ch.Kind)
	e.ByteArray(ch.Definition)
	e.Bool(ch.IsNull)
	if ch.IsNull {
		return
	}
	e.Blob(c.d.Nested(), func(e *qds.Encoder) {
		e.U32(uint32(len(ch.Parameters)))
		for _, p := range ch.Parameters {
			e.Variant(p)
		}
	})
}

// EncodeDefinition returns def as the nested blob a ChildObject carries.
func EncodeDefinition(d Dialect, types *qds.Types, def *ClassDef) ([]byte, error) {
	e := qds.NewEncoder(nil, d.Nested(), types)
	def.Encode(e)
	return e.Bytes(), e.Err()
}

// SourceLocation is one registry entry: a source name, its class name and
// the URL of the host that offers it.
type SourceLocation struct {
	Name     string
	TypeName string
	HostURL  string // QUrl in encoded form
}

type locationCodec struct{}

func (locationCodec) Decode(d *qds.Decoder) any {
	l := SourceLocation{Name: d.Name(), TypeName: d.Name()}
	raw, _ := d.ByteArrayView()
	l.HostURL = string(raw)
	return l
}

func (locationCodec) Encode(e *qds.Encoder, v any) {
	l, ok := v.(SourceLocation)
	if !ok {
		e.Failf("source location", qds.ErrBadValue, "want wire.SourceLocation, got %T", v)
		return
	}
	encodeLocation(e, l)
}

func encodeLocation(e *qds.Encoder, l SourceLocation) {
	e.QString(l.Name)
	e.QString(l.TypeName)
	if l.HostURL == "" {
		e.ByteArray(nil)
	} else {
		e.Latin1(l.HostURL)
	}
}

type locationsCodec struct{}

func (locationsCodec) Decode(d *qds.Decoder) any {
	n := d.Count("source locations", 12)
	out := make([]SourceLocation, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		out = append(out, locationCodec{}.Decode(d).(SourceLocation))
	}
	return out
}

func (locationsCodec) Encode(e *qds.Encoder, v any) {
	l, ok := v.([]SourceLocation)
	if !ok && v != nil {
		e.Failf("source locations", qds.ErrBadValue, "want []wire.SourceLocation, got %T", v)
		return
	}
	e.U32(uint32(len(l)))
	for _, x := range l {
		encodeLocation(e, x)
	}
}

// Container is a Qt 6 QSQ_/QAS_ wrapper for containers of gadgets, kept as
// its raw parts: the protocol notes mark its layout as unverified.
type Container struct {
	TypeName  []byte   // e.g. "QList<MyPOD>"
	ElemTypes [][]byte // value type (QSQ_), or key and value types (QAS_)
	Values    []byte   // nested blob
}

type containerCodec struct{ assoc bool }

func (c containerCodec) Decode(d *qds.Decoder) any {
	ct := Container{TypeName: d.ByteArray()}
	n := 1
	if c.assoc {
		n = 2
	}
	for i := 0; i < n; i++ {
		ct.ElemTypes = append(ct.ElemTypes, d.ByteArray())
	}
	ct.Values = d.ByteArray()
	return ct
}

func (c containerCodec) Encode(e *qds.Encoder, v any) {
	ct, ok := v.(Container)
	if !ok {
		e.Failf("container", qds.ErrBadValue, "want wire.Container, got %T", v)
		return
	}
	e.ByteArray(ct.TypeName)
	for _, t := range ct.ElemTypes {
		e.ByteArray(t)
	}
	e.ByteArray(ct.Values)
}

var (
	typesOnce sync.Once
	baseTypes ByDialect[*qds.Types]
)

// Types returns the read-only registry of the user types every peer of the
// dialect knows: QtRO's own (QRO_, registry locations, QSQ_/QAS_) and the
// containers Qt registers. Give each connection a child registry
// (qds.NewTypes(d.Types())) for the gadgets it learns.
func (d Dialect) Types() *qds.Types {
	typesOnce.Do(func() {
		for _, dd := range Dialects {
			t := qds.NewTypes(nil)
			t.Register(ChildObjectType, childCodec{dd})
			t.Register(dd.SourceLocationType(), locationCodec{})
			t.Register(dd.SourceLocationsType(), locationsCodec{})
			registerModelTypes(t)
			if dd == Qt6 {
				t.Register(SequenceType, containerCodec{})
				t.Register(AssociativeType, containerCodec{assoc: true})
			}
			baseTypes.Set(dd, t)
		}
	})
	if !d.Valid() {
		return nil
	}
	return baseTypes.Get(d)
}
