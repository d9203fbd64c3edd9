package wire

import (
	"github.com/qtro/qtro/impl/qds"
)

// ClassDef is the class definition an InitDynamicPacket (or a QRO_ child
// descriptor) carries, from which a dynamic replica builds its metaobject.
type ClassDef struct {
	TypeName   qds.NullString // class name; null for a plain QObject without classinfo
	Enums      []EnumDef
	QtEnums    []string // enums of the Qt namespace, by name ("Qt::Orientation")
	Gadgets    []GadgetDef
	Signals    []SignalDef
	Methods    []MethodDef
	Properties []PropertyDef
}

// EnumDef is one enum (or flag) of a class or gadget.
type EnumDef struct {
	Name     string
	IsFlag   bool
	IsScoped bool
	Size     uint32 // bytes; Qt often sends 0, which means 4
	Keys     []EnumKey
}

// EnumKey is one enumerator.
type EnumKey struct {
	Name  string
	Value int32
}

// GadgetDef is a gadget (POD) type used by the class, or a holder of enums
// the class uses (then it has no properties).
type GadgetDef struct {
	Name       string
	Properties []GadgetProperty
	Enums      []EnumDef
}

// GadgetProperty is one property of a gadget.
type GadgetProperty struct {
	Name, Type string
}

// SignalDef is one signal: a normalised signature such as "fired(int,QString)".
type SignalDef struct {
	Signature  string
	ParamNames []string
}

// MethodDef is one slot or invokable.
type MethodDef struct {
	Signature  string
	ReturnType string // "void" (or "") for void methods
	ParamNames []string
}

// PropertyDef is one property.
type PropertyDef struct {
	Name   string
	Type   string // e.g. "int", "QString", "Demo::Color", "QObject*"
	Notify string // notify signal signature; "" for none (sent as a null QByteArray)
}

// Maximum sizes of the class-definition parts, in elements, on top of the
// decoder's general limits; a class with more members is not plausible.
const minDefElem = 4

// Encode writes the definition (the part of an InitDynamicPacket body after
// the name, before the values).
func (c *ClassDef) Encode(e *qds.Encoder) {
	e.EncodeNullString(c.TypeName)
	encodeEnums(e, c.Enums)
	e.U32(uint32(len(c.QtEnums)))
	for _, q := range c.QtEnums {
		e.Latin1(q)
	}
	e.U32(uint32(len(c.Gadgets)))
	for _, g := range c.Gadgets {
		e.Latin1(g.Name)
		e.U32(uint32(len(g.Properties)))
		for _, p := range g.Properties {
			e.Latin1(p.Name)
			e.Latin1(p.Type)
		}
		encodeEnums(e, g.Enums)
	}
	e.U32(uint32(len(c.Signals)))
	for _, s := range c.Signals {
		e.Latin1(s.Signature)
		encodeNames(e, s.ParamNames)
	}
	e.U32(uint32(len(c.Methods)))
	for _, m := range c.Methods {
		e.Latin1(m.Signature)
		e.Latin1(m.ReturnType)
		encodeNames(e, m.ParamNames)
	}
	e.U32(uint32(len(c.Properties)))
	for _, p := range c.Properties {
		e.CString(p.Name)
		e.CString(p.Type)
		if p.Notify == "" {
			e.ByteArray(nil)
		} else {
			e.Latin1(p.Notify)
		}
	}
}

// Decode reads a definition written by Encode (or by Qt).
func (c *ClassDef) Decode(d *qds.Decoder) {
	*c = ClassDef{TypeName: d.DecodeNullString()}
	c.Enums = decodeEnums(d)
	n := d.Count("Qt enums", minDefElem)
	for i := 0; i < n && d.Err() == nil; i++ {
		c.QtEnums = append(c.QtEnums, d.Latin1())
	}
	n = d.Count("gadgets", minDefElem)
	for i := 0; i < n && d.Err() == nil; i++ {
		g := GadgetDef{Name: d.Latin1()}
		np := d.Count("gadget properties", 2*minDefElem)
		for j := 0; j < np && d.Err() == nil; j++ {
			g.Properties = append(g.Properties, GadgetProperty{Name: d.Latin1(), Type: d.Latin1()})
		}
		g.Enums = decodeEnums(d)
		c.Gadgets = append(c.Gadgets, g)
	}
	n = d.Count("signals", 2*minDefElem)
	for i := 0; i < n && d.Err() == nil; i++ {
		c.Signals = append(c.Signals, SignalDef{Signature: d.Latin1(), ParamNames: decodeNames(d)})
	}
	n = d.Count("methods", 3*minDefElem)
	for i := 0; i < n && d.Err() == nil; i++ {
		m := MethodDef{Signature: d.Latin1(), ReturnType: d.Latin1()}
		m.ParamNames = decodeNames(d)
		c.Methods = append(c.Methods, m)
	}
	n = d.Count("properties", 3*minDefElem)
	for i := 0; i < n && d.Err() == nil; i++ {
		p := PropertyDef{Name: d.CString(), Type: d.CString()}
		p.Notify = d.Latin1()
		c.Properties = append(c.Properties, p)
	}
}

func encodeEnums(e *qds.Encoder, enums []EnumDef) {
	e.U32(uint32(len(enums)))
	for _, en := range enums {
		e.Latin1(en.Name)
		e.Bool(en.IsFlag)
		e.Bool(en.IsScoped)
		e.U32(en.Size)
		e.I32(int32(len(en.Keys)))
		for _, k := range en.Keys {
			e.Latin1(k.Name)
			e.I32(k.Value)
		}
	}
}

func decodeEnums(d *qds.Decoder) []EnumDef {
	n := d.Count("enums", 14)
	var out []EnumDef
	for i := 0; i < n && d.Err() == nil; i++ {
		en := EnumDef{Name: d.Latin1(), IsFlag: d.Bool(), IsScoped: d.Bool(), Size: d.U32()}
		nk := d.Count("enum keys", 2*minDefElem)
		for j := 0; j < nk && d.Err() == nil; j++ {
			en.Keys = append(en.Keys, EnumKey{Name: d.Latin1(), Value: d.I32()})
		}
		out = append(out, en)
	}
	return out
}

func encodeNames(e *qds.Encoder, names []string) {
	e.U32(uint32(len(names)))
	for _, n := range names {
		e.Latin1(n)
	}
}

func decodeNames(d *qds.Decoder) []string {
	n := d.Count("parameter names", minDefElem)
	out := make([]string, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		out = append(out, d.Latin1())
	}
	return out
}

// RegisterGadgets registers a codec for every gadget of the definition (one
// QVariant per gadget property), as a Qt dynamic replica does before it reads
// the values. Like Qt, it keeps a type that is already known (a compiled-in
// type wins over a definition). Gadgets without properties only hold enums.
func (c *ClassDef) RegisterGadgets(t *qds.Types) {
	if t == nil {
		return
	}
	for _, g := range c.Gadgets {
		if len(g.Properties) == 0 || t.Has(g.Name) {
			continue
		}
		names := make([]string, len(g.Properties))
		for i, p := range g.Properties {
			names[i] = p.Name
		}
		t.Register(g.Name, &qds.GadgetCodec{Names: names})
	}
}

// PropertyIndex returns the index of the named property, or -1.
func (c *ClassDef) PropertyIndex(name string) int {
	for i, p := range c.Properties {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// SignalIndex returns the index of the signal whose signature or bare name
// is given, or -1.
func (c *ClassDef) SignalIndex(nameOrSig string) int {
	for i, s := range c.Signals {
		if s.Signature == nameOrSig || SignatureName(s.Signature) == nameOrSig {
			return i
		}
	}
	return -1
}

// MethodIndex returns the index of the method whose signature or bare name
// is given, or -1.
func (c *ClassDef) MethodIndex(nameOrSig string) int {
	for i, m := range c.Methods {
		if m.Signature == nameOrSig || SignatureName(m.Signature) == nameOrSig {
			return i
		}
	}
	return -1
}

// SignatureName returns the function name of a signature ("add(int,int)" -> "add").
func SignatureName(sig string) string {
	for i := 0; i < len(sig); i++ {
		if sig[i] == '(' {
			return sig[:i]
		}
	}
	return sig
}

// SignatureParams returns the parameter types of a normalised signature.
func SignatureParams(sig string) []string {
	open := -1
	for i := 0; i < len(sig); i++ {
		if sig[i] == '(' {
			open = i
			break
		}
	}
	if open < 0 || len(sig) < open+2 || sig[len(sig)-1] != ')' {
		return nil
	}
	inner := sig[open+1 : len(sig)-1]
	if inner == "" {
		return nil
	}
	return qds.SplitTopLevel(inner)
}
