// Package meta describes a remoted class the way QtRO sees it: ordered
// properties, signals and methods (whose positions are the wire indices),
// enums and gadgets. A Class is built from a .rep file (the static API a
// repc-generated source has), from a class definition received in an
// InitDynamicPacket, or in Go with a Builder; it converts Go values to the
// QVariants its members' types need.
package meta

import (
	"fmt"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/rep"
	"github.com/qtro/qtro/impl/wire"
)

// Modifier is a property's access modifier (repc's numbering).
type Modifier = rep.Modifier

// Property modifiers.
const (
	Constant         = rep.Constant
	ReadOnly         = rep.ReadOnly
	ReadPush         = rep.ReadPush
	ReadWrite        = rep.ReadWrite
	SourceOnlySetter = rep.SourceOnlySetter
)

// PropKind says whether a property holds a value, a child object or a model.
type PropKind = rep.PropKind

// Property kinds.
const (
	PlainProp = rep.PlainProp
	ChildProp = rep.ChildProp
	ModelProp = rep.ModelProp
)

// Property is one property.
type Property struct {
	Name     string
	Type     string // type name as the class definition sends it
	Modifier Modifier
	Kind     PropKind
	Notify   int    // index of the notify signal in Class.Signals, or -1
	Push     int    // index of the push slot in Class.Methods, or -1
	Enum     string // for enum-typed properties, the enum's name (values travel as int)
	Child    *Class // for CLASS members: the child's class
	Default  qds.Variant
}

// Writable reports whether a replica may write the property (call=2):
// READWRITE in a static API.
func (p *Property) Writable() bool { return p.Modifier == ReadWrite }

// Param is one parameter of a signal or method.
type Param struct {
	Name string
	Type string
}

// Method is a signal or a method.
type Method struct {
	Name       string
	Signature  string // normalised, as sent in class definitions
	ReturnType string // "void" for signals and void methods
	Params     []Param
	Property   int // for notify signals and push slots: the property index, else -1
}

// Void reports whether the method returns nothing.
func (m *Method) Void() bool { return m.ReturnType == "" || m.ReturnType == "void" }

// Class is a remoted class.
type Class struct {
	// TypeName is the class name sent in ObjectList and definitions; empty
	// means none (a plain QObject source: sent as a null string).
	TypeName string
	// Signature is the repc class signature (40 hex chars) or empty.
	Signature string
	Enums     []wire.EnumDef
	// ForeignEnums are top-level .rep enums the class or its PODs use. Qt 5
	// repc PODs stream such a field as a user type "<E>Enum::<E>" of the
	// enum's repc size; Qt 6 sends an int.
	ForeignEnums []wire.EnumDef
	Gadgets      []wire.GadgetDef
	Properties   []Property
	Signals      []Method
	Methods      []Method
}

// PropertyIndex returns the index of a property, or -1.
func (c *Class) PropertyIndex(name string) int {
	for i := range c.Properties {
		if c.Properties[i].Name == name {
			return i
		}
	}
	return -1
}

// SignalIndex returns the index of a signal by name or signature, or -1.
func (c *Class) SignalIndex(name string) int { return methodIndex(c.Signals, name) }

// MethodIndex returns the index of a method by name or signature, or -1.
func (c *Class) MethodIndex(name string) int { return methodIndex(c.Methods, name) }

func methodIndex(l []Method, name string) int {
	for i := range l {
		if l[i].Signature == name {
			return i
		}
	}
	for i := range l {
		if l[i].Name == name {
			return i
		}
	}
	return -1
}

// Enum returns the class's (or one of its gadgets') enum of that name.
func (c *Class) Enum(name string) *wire.EnumDef {
	if i := strings.LastIndex(name, "::"); i >= 0 {
		name = name[i+2:]
	}
	for i := range c.Enums {
		if c.Enums[i].Name == name {
			return &c.Enums[i]
		}
	}
	for i := range c.ForeignEnums {
		if c.ForeignEnums[i].Name == name {
			return &c.ForeignEnums[i]
		}
	}
	for gi := range c.Gadgets {
		for i := range c.Gadgets[gi].Enums {
			if c.Gadgets[gi].Enums[i].Name == name {
				return &c.Gadgets[gi].Enums[i]
			}
		}
	}
	return nil
}

// Gadget returns the gadget (POD) of that name.
func (c *Class) Gadget(name string) *wire.GadgetDef {
	for i := range c.Gadgets {
		if c.Gadgets[i].Name == name && len(c.Gadgets[i].Properties) > 0 {
			return &c.Gadgets[i]
		}
	}
	return nil
}

// RegisterTypes registers the class's gadgets (and its children's) as user
// types: one QVariant per gadget property, the way repc PODs stream.
func (c *Class) RegisterTypes(t *qds.Types) {
	def := wire.ClassDef{Gadgets: c.Gadgets}
	def.RegisterGadgets(t)
	for _, e := range c.ForeignEnums {
		size, signed := RepcEnumSize(e)
		t.Register(e.Name+"Enum::"+e.Name, &qds.EnumCodec{Size: size, Unsigned: !signed})
	}
	for i := range c.Properties {
		if ch := c.Properties[i].Child; ch != nil {
			ch.RegisterTypes(t)
		}
	}
}

// Definition returns the class definition an InitDynamicPacket carries.
func (c *Class) Definition() wire.ClassDef {
	def := wire.ClassDef{Enums: c.Enums, Gadgets: c.Gadgets}
	if c.TypeName != "" {
		def.TypeName = qds.Str(c.TypeName)
	}
	for _, s := range c.Signals {
		def.Signals = append(def.Signals, wire.SignalDef{Signature: s.Signature, ParamNames: paramNames(s.Params)})
	}
	for _, m := range c.Methods {
		rt := m.ReturnType
		if rt == "" {
			rt = "void"
		}
		def.Methods = append(def.Methods, wire.MethodDef{Signature: m.Signature, ReturnType: rt, ParamNames: paramNames(m.Params)})
	}
	for _, p := range c.Properties {
		pd := wire.PropertyDef{Name: p.Name, Type: p.Type}
		switch p.Kind {
		case ChildProp:
			pd.Type = "QObject*"
		case ModelProp:
			pd.Type = "QAbstractItemModel*"
		}
		if p.Notify >= 0 && p.Notify < len(c.Signals) {
			pd.Notify = c.Signals[p.Notify].Signature
		}
		def.Properties = append(def.Properties, pd)
	}
	return def
}

func paramNames(ps []Param) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// FromDefinition builds a Class from a received class definition, as a Qt
// dynamic replica builds its metaobject.
func FromDefinition(def *wire.ClassDef) *Class {
	c := &Class{TypeName: def.TypeName.Text, Enums: def.Enums, Gadgets: def.Gadgets}
	for _, s := range def.Signals {
		c.Signals = append(c.Signals, methodFromSig(s.Signature, "void", s.ParamNames))
	}
	for _, m := range def.Methods {
		c.Methods = append(c.Methods, methodFromSig(m.Signature, m.ReturnType, m.ParamNames))
	}
	for i, p := range def.Properties {
		prop := Property{Name: p.Name, Type: p.Type, Modifier: ReadWrite, Notify: -1, Push: -1}
		switch p.Type {
		case "QObject*":
			prop.Kind = ChildProp
		case "QAbstractItemModel*":
			prop.Kind = ModelProp
		}
		if p.Notify != "" {
			prop.Notify = c.SignalIndex(p.Notify)
			if prop.Notify >= 0 {
				c.Signals[prop.Notify].Property = i
			}
		} else {
			prop.Modifier = Constant
		}
		if c.Enum(p.Type) != nil {
			prop.Enum = enumName(p.Type)
		}
		prop.Default = Zero(c, p.Type)
		c.Properties = append(c.Properties, prop)
	}
	return c
}

func methodFromSig(sig, ret string, names []string) Method {
	m := Method{Name: wire.SignatureName(sig), Signature: sig, ReturnType: ret, Property: -1}
	for i, t := range wire.SignatureParams(sig) {
		p := Param{Type: t}
		if i < len(names) {
			p.Name = names[i]
		}
		m.Params = append(m.Params, p)
	}
	return m
}

func enumName(t string) string {
	if i := strings.LastIndex(t, "::"); i >= 0 {
		return t[i+2:]
	}
	return t
}

// FromRep builds the static API of class in a parsed .rep file, as the
// repc-generated source of dialect d exposes it, with its class signature.
func FromRep(f *rep.File, class string, d wire.Dialect) (*Class, error) {
	rd := rep.Qt5
	if d == wire.Qt6 {
		rd = rep.Qt6
	}
	api, err := f.API(class, rd)
	if err != nil {
		return nil, err
	}
	c := &Class{TypeName: api.TypeName}
	if d == wire.Qt6 {
		c.Signature, err = rep.SignatureV2(f, class)
	} else {
		c.Signature, err = rep.SignatureV1(f, class)
	}
	if err != nil {
		return nil, err
	}
	for _, e := range api.Enums {
		c.Enums = append(c.Enums, enumDef(e))
	}
	for _, e := range api.UsedEnums {
		c.ForeignEnums = append(c.ForeignEnums, enumDef(e))
	}
	for _, p := range api.PODs {
		g := wire.GadgetDef{Name: p.Name}
		for _, a := range p.Attrs {
			g.Properties = append(g.Properties, wire.GadgetProperty{Name: a.Name, Type: a.Type})
		}
		for _, e := range p.Enums {
			g.Enums = append(g.Enums, enumDef(e))
		}
		c.Gadgets = append(c.Gadgets, g)
	}
	for _, m := range api.Signals {
		c.Signals = append(c.Signals, methodFromAPI(m))
	}
	for _, m := range api.Methods {
		c.Methods = append(c.Methods, methodFromAPI(m))
	}
	for _, ap := range api.Properties {
		p := Property{Name: ap.Name, Type: ap.Type, Modifier: ap.Modifier, Kind: ap.Kind, Notify: ap.Notify, Push: ap.Push}
		if p.Kind == PlainProp && c.Enum(ap.Type) != nil {
			p.Enum = ap.Type
			if d == wire.Qt6 && !strings.Contains(ap.Type, "::") {
				// Qt 6's moc records class enums qualified, with the scope of
				// the generated source class, and QtRO does not rename
				// property types (verified with repc and a running Qt 6.4).
				p.Type = class + "Source::" + ap.Type
			}
		}
		if p.Kind == ChildProp {
			child, err := FromRep(f, ap.Type, d)
			if err != nil {
				return nil, fmt.Errorf("CLASS %s(%s): %w", ap.Name, ap.Type, err)
			}
			p.Child = child
		}
		p.Default = Zero(c, p.Type)
		if ap.Decl != nil && ap.Decl.Default != "" && p.Kind == PlainProp {
			if v, err := c.ParseDefault(p.Type, ap.Decl.Default); err == nil {
				p.Default = v
			}
		}
		c.Properties = append(c.Properties, p)
	}
	return c, nil
}

// ParseRep parses .rep source text and returns the static API of class.
func ParseRep(name string, src []byte, class string, d wire.Dialect) (*Class, error) {
	f, err := rep.Parse(name, src)
	if err != nil {
		return nil, err
	}
	return FromRep(f, class, d)
}

func enumDef(e *rep.Enum) wire.EnumDef {
	ed := wire.EnumDef{Name: e.Name, IsScoped: e.Scoped, Size: enumSize(e.Underlying)}
	for _, k := range e.Keys {
		ed.Keys = append(ed.Keys, wire.EnumKey{Name: k.Name, Value: k.Value})
	}
	return ed
}

func enumSize(underlying string) uint32 {
	switch underlying {
	case "quint8", "qint8", "char", "uchar", "signed char", "unsigned char", "uint8_t", "int8_t":
		return 1
	case "quint16", "qint16", "short", "ushort", "unsigned short", "uint16_t", "int16_t":
		return 2
	}
	return 4
}

func methodFromAPI(m rep.APIMethod) Method {
	out := Method{Name: m.Name, Signature: m.Signature, ReturnType: m.ReturnType, Property: m.Property}
	for _, p := range m.Params {
		out.Params = append(out.Params, Param{Name: p.Name, Type: p.Type})
	}
	return out
}

// RepcEnumSize is the integer Qt 5.15 repc streams a .rep enum as: signed if
// any value is negative, and the smallest of 1, 2 or 4 bytes that holds its
// largest magnitude (repc's getEnumType).
func RepcEnumSize(e wire.EnumDef) (size int, signed bool) {
	var max int64
	for _, k := range e.Keys {
		v := int64(k.Value)
		if v < 0 {
			signed = true
			v = -v
		}
		if v > max {
			max = v
		}
	}
	switch {
	case signed && max < 0x7F, !signed && max < 0xFF:
		return 1, signed
	case signed && max < 0x7FFF, !signed && max < 0xFFFF:
		return 2, signed
	}
	return 4, signed
}
