package rep

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Dialect selects whose repc to reproduce where Qt 5.15 and Qt 6.4 differ
// (only the normalisation of SIGNAL/SLOT parameter types, for the API).
type Dialect int

// Dialects.
const (
	Qt5 Dialect = 5 // Qt 5.15 repc / QtRO 1.3
	Qt6 Dialect = 6 // Qt 6.4 repc / QtRO 2.0
)

// API is what a repc-generated source for one class exposes on the wire
// (QTRO-PROTOCOL.md §5.2): the four ordered lists whose positions are the
// wire indices, plus the types the class depends on.
type API struct {
	TypeName   string        // the class name, sent as the definition's typeName
	Enums      []*Enum       // the class's own ENUMs, in declaration order
	Properties []APIProperty // PROP, CLASS and MODEL members in declaration order
	Signals    []APIMethod   // notify signals of non-CONSTANT properties, then SIGNALs
	Methods    []APIMethod   // push slots of READPUSH properties, then SLOTs
	PODs       []*POD        // PODs used by properties and parameters, directly or through other PODs, in first-use order
	UsedEnums  []*Enum       // enums declared outside the class (top level or in a POD) that the class or its PODs use
}

// APIProperty is one property slot.
type APIProperty struct {
	Name string
	// Type is as written in the .rep: the child class for CLASS,
	// "QAbstractItemModel" for MODEL. The type name a class definition
	// carries comes from moc instead: normalised ("QMap<QString,int>"),
	// "<Class>Source::<Enum>" for class enums in Qt 6, "QObject*" or
	// "QAbstractItemModel*" for CLASS and MODEL.
	Type     string
	Kind     PropKind
	Modifier Modifier
	Notify   int // index into API.Signals of the change signal, -1 for CONSTANT
	Push     int // index into API.Methods of the push slot, -1 unless READPUSH
	Decl     *Property
}

// APIParam is one parameter of a signal or method.
type APIParam struct {
	Type string // normalised, class enums written Class::Enum
	Name string // as the generated C++ declares it (and moc reports it)
}

// APIMethod is a signal or a method (slot).
type APIMethod struct {
	Name string
	// Signature is the string the repc-generated SourceAPI returns, after
	// the substitutions QtRO makes before sending it: enum placeholders
	// become "<Class>Source::<Enum>" and then "<Class>Source" is replaced
	// by "<Class>". Known repc and QtRO quirks are kept (all confirmed by
	// TestRepcRuntime or TestRepc): notify and push signatures use the
	// property type exactly as written (not normalised), an enum push slot
	// keeps the property name's case ("pushmode(...)"), enum parameters are
	// located by plain substring search, and qtro_enum_signature's "1::2"
	// template also rewrites a '2' in the class name ("Mode2" gives
	// "ModeModeSource::Mode", which the class name replace then misses).
	// Qt 6 additionally rewrites gadget containers to
	// QtROSequentialContainer and QtROAssociativeContainer at run time;
	// that is not applied here.
	Signature  string
	ReturnType string // "void" unless a SLOT returns something
	Params     []APIParam
	Property   int // property index for automatic notify signals and push slots, else -1
	Decl       *Function
}

// API returns the wire-facing API of the named class. If the file declares
// several classes of that name (repc generates each; the C++ would not
// compile), the first is meant, as for the signature functions.
func (f *File) API(class string, d Dialect) (*API, error) {
	c := f.Class(class)
	if c == nil {
		return nil, noClass(f, class)
	}
	b := apiBuilder{f: f, c: c, d: d}
	return b.build(), nil
}

type apiBuilder struct {
	f *File
	c *Class
	d Dialect
}

// classEnum is repc's isClassEnum: an exact name match against the class's
// own ENUMs.
func (b *apiBuilder) classEnum(t string) bool {
	for _, e := range b.c.Enums {
		if e.Name == t {
			return true
		}
	}
	return false
}

// enumSignature is what QtPrivate::qtro_enum_signature returns at run time
// followed by serializeDefinition's class name replacement: the enum's
// scope is the generated <Class>Source, put in with QByteArray::replace on
// the template "1::2" (so a '2' inside the class name is replaced too).
func (b *apiBuilder) enumSignature(name string) string {
	s := strings.ReplaceAll("1::2", "1", b.c.Name+"Source")
	return strings.ReplaceAll(s, "2", name)
}

// wire applies serializeDefinition's replace(<Class>Source, <Class>).
func (b *apiBuilder) wire(s string) string {
	return strings.ReplaceAll(s, b.c.Name+"Source", b.c.Name)
}

func (b *apiBuilder) build() *API {
	c := b.c
	a := &API{TypeName: c.Name, Enums: c.Enums}
	for i, p := range c.Properties {
		a.Properties = append(a.Properties, APIProperty{
			Name: p.Name, Type: p.Type, Kind: p.Kind, Modifier: p.Modifier, Notify: -1, Push: -1, Decl: p,
		})
		if p.Modifier == Constant {
			continue
		}
		// SourceAPI::signalSignature for <prop>Changed uses
		// typeForMode(prop, SOURCE): pointers for CLASS and MODEL.
		typ := p.Type
		switch {
		case b.classEnum(p.Type):
			typ = b.enumSignature(p.Type)
		case p.Kind == ModelProp || p.Kind == ChildProp && strings.HasPrefix(p.Type, "QAbstractItemModel"):
			typ = p.Type + "*"
		case p.Kind == ChildProp:
			typ = p.Type + "Source*"
		}
		a.Properties[i].Notify = len(a.Signals)
		a.Signals = append(a.Signals, APIMethod{
			Name:       p.Name + "Changed",
			Signature:  b.wire(p.Name + "Changed(" + typ + ")"),
			ReturnType: "void",
			Params:     []APIParam{{Type: b.wire(typ), Name: mocName(p.Name)}},
			Property:   i,
		})
	}
	for _, fn := range c.Signals {
		a.Signals = append(a.Signals, b.function(fn))
	}
	for i, p := range c.Properties {
		if p.Modifier != ReadPush {
			continue
		}
		var sig, typ string
		if b.classEnum(p.Type) {
			typ = b.enumSignature(p.Type)
			sig = "push" + p.Name + "(" + typ + ")" // sic: repc does not capitalise here
		} else {
			typ = p.Type
			sig = "push" + capitalize(p.Name) + "(" + typ + ")"
		}
		a.Properties[i].Push = len(a.Methods)
		a.Methods = append(a.Methods, APIMethod{
			Name:       "push" + capitalize(p.Name),
			Signature:  b.wire(sig),
			ReturnType: "void",
			Params:     []APIParam{{Type: b.wire(typ), Name: mocName(p.Name)}},
			Property:   i,
		})
	}
	for _, fn := range c.Slots {
		m := b.function(fn)
		if b.classEnum(fn.ReturnType) {
			m.ReturnType = b.wire(b.enumSignature(fn.ReturnType))
		} else {
			m.ReturnType = b.wire(fn.ReturnType)
		}
		a.Methods = append(a.Methods, m)
	}
	b.usedTypes(a)
	return a
}

// function builds a SIGNAL or SLOT entry. The signature reproduces
// repc's generateSourceAPI: the normalised parameter list is split on ','
// (templates included), and each piece naming a class enum has its first
// occurrence anywhere in the list replaced by a "$k" placeholder, which
// QByteArray::replace later fills in everywhere it occurs.
func (b *apiBuilder) function(fn *Function) APIMethod {
	m := APIMethod{Name: fn.Name, ReturnType: "void", Property: -1, Decl: fn}
	norm := make([]string, len(fn.Params))
	for i, p := range fn.Params {
		norm[i] = normalizeParam(b.d, declString(p))
		t := norm[i]
		if b.classEnum(t) {
			t = b.enumSignature(t)
		}
		m.Params = append(m.Params, APIParam{Type: b.wire(t), Name: mocName(p.Name)})
	}
	params := strings.Join(norm, ",")
	var enums []string
	for _, piece := range strings.Split(params, ",") {
		if b.classEnum(piece) {
			at := strings.Index(params, piece)
			if at < 0 { // cannot happen: earlier replacements end before this piece
				continue
			}
			params = params[:at] + "$" + strconv.Itoa(len(enums)) + params[at+len(piece):]
			enums = append(enums, piece)
		}
	}
	for k, e := range enums {
		params = strings.ReplaceAll(params, "$"+strconv.Itoa(k), b.enumSignature(e))
	}
	m.Signature = b.wire(fn.Name + "(" + params + ")")
	return m
}

// mocName is the parameter name moc reports for a declaration repc writes
// as "type name": the trailing identifier. repc's scanner leaves a '*' in
// the name ("QObject *obj" gives name "*obj"), which moc reads as part of
// the type.
func mocName(name string) string {
	i := len(name)
	for i > 0 && isIdentChar(name[i-1]) {
		i--
	}
	return name[i:]
}

// declString is ASTDeclaration::asString(false).
func declString(p Param) string {
	s := p.Type
	if p.Flags&ParamConst != 0 {
		s = "const " + s
	}
	if p.Flags&ParamRef != 0 {
		s += " &"
	}
	return s
}

// capitalize is repc's cap(): the first character in upper case.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError || r >= 0x10000 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// usedTypes fills API.PODs and API.UsedEnums by walking every type the class
// mentions, then the attributes of every POD found, breadth first.
func (b *apiBuilder) usedTypes(a *API) {
	pods := map[string]*POD{}
	for _, p := range b.f.PODs {
		if _, dup := pods[p.Name]; !dup {
			pods[p.Name] = p
		}
	}
	enums := map[string]*Enum{}
	for _, e := range b.f.Enums {
		enums[e.Name] = e
	}
	for _, p := range b.f.PODs {
		for _, e := range p.Enums {
			if _, dup := enums[e.Name]; !dup {
				enums[e.Name] = e
			}
		}
	}
	seenPOD := map[*POD]bool{}
	seenEnum := map[*Enum]bool{}
	visit := func(t string) {
		for _, part := range templatePart.FindAllString(t, -1) {
			if b.classEnum(part) {
				continue
			}
			name := part
			if i := strings.LastIndex(part, "::"); i > 0 {
				name = part[i+2:]
			}
			if p := pods[name]; p != nil && !seenPOD[p] {
				seenPOD[p] = true
				a.PODs = append(a.PODs, p)
			}
			if e := enums[name]; e != nil && !seenEnum[e] {
				seenEnum[e] = true
				a.UsedEnums = append(a.UsedEnums, e)
			}
		}
	}
	for _, p := range b.c.Properties {
		if p.Kind == PlainProp {
			visit(p.Type)
		}
	}
	for _, fns := range [][]*Function{b.c.Signals, b.c.Slots} {
		for _, fn := range fns {
			for _, p := range fn.Params {
				visit(p.Type)
			}
			visit(fn.ReturnType)
		}
	}
	for i := 0; i < len(a.PODs); i++ {
		for _, at := range a.PODs[i].Attrs {
			visit(at.Type)
		}
	}
}
