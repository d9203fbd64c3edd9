package rep

// File is a parsed .rep file. Text fields hold exactly what repc keeps
// (types with their inner spaces, names, default values as written),
// because both signature algorithms hash that text.
type File struct {
	Name       string   // file name given to Parse
	Directives []string // preprocessor lines, each including its "#" and trailing newline
	Enums      []*Enum  // top-level ENUMs in file order
	Flags      []*Flag  // top-level FLAGs (Qt 6 only)
	PODs       []*POD   // PODs in file order (POD(...) and POD{...} forms)
	Classes    []*Class // classes in file order
	EnumUses   []string // USE_ENUM(...) arguments as written

	// qt6Only lists the Qt 6 only constructs used, with positions; Qt 5.15
	// repc rejects such files so SignatureV1 refuses them.
	qt6Only []qt6Feature
	// signed is every declaration Qt 6.4 repc signs, in the order its
	// parser signs them; SignatureV2 replays it.
	signed []signedDecl
}

// Enum is an ENUM declaration.
type Enum struct {
	Name       string
	Scoped     bool   // ENUM class (Qt 6 only)
	Underlying string // text after ':' (Qt 6 only), e.g. "quint8"; empty if none
	Keys       []EnumKey
	// Scope is the class that declares the enum, empty at top level and in
	// PODs (Qt 6.4 repc does not scope POD enums).
	Scope string
	Pos   Pos
}

// EnumKey is one enumerator with its resolved value.
type EnumKey struct {
	Name string
	// Value is the value repc computes: written values are parsed like
	// QString::toInt (out-of-range text gives 0), unwritten ones are the
	// previous value plus one, starting at 0.
	Value int32
}

// Flag is a FLAG(Name Enum) declaration (Qt 6 only).
type Flag struct {
	Name  string
	Enum  string
	Scope string // class or POD name, empty at top level
	Pos   Pos
}

// POD is a POD declaration: a Q_GADGET value type.
type POD struct {
	Name  string
	Attrs []Param // attribute type and name; Const/Ref are as repc parsed them
	Enums []*Enum // enums declared inside POD{...} (Qt 6 only)
	Flags []*Flag // flags declared inside POD{...} (Qt 6 only)
	Pos   Pos
}

// Modifier is a PROP access modifier. The values are repc's
// ASTProperty::Modifier values, which the signatures hash.
type Modifier int32

// Property modifiers, with repc's numbering.
const (
	Constant         Modifier = 0 // CONSTANT (also READONLY,CONSTANT): no notify signal
	ReadOnly         Modifier = 1 // READONLY: replicas cannot write
	ReadPush         Modifier = 2 // READPUSH, the default: replicas write through a push slot
	ReadWrite        Modifier = 3 // READWRITE: replicas write the property directly
	SourceOnlySetter Modifier = 4 // SOURCEONLYSETTER; also what CLASS and MODEL members get
)

// String returns the .rep keyword.
func (m Modifier) String() string {
	switch m {
	case Constant:
		return "CONSTANT"
	case ReadOnly:
		return "READONLY"
	case ReadPush:
		return "READPUSH"
	case ReadWrite:
		return "READWRITE"
	case SourceOnlySetter:
		return "SOURCEONLYSETTER"
	}
	return "Modifier(?)"
}

// PropKind says how a property was declared.
type PropKind int

// Property kinds.
const (
	PlainProp PropKind = iota // PROP(...)
	ChildProp                 // CLASS name(Type): a child replica, modifier SOURCEONLYSETTER
	ModelProp                 // MODEL name(roles): a QAbstractItemModel, modifier SOURCEONLYSETTER
)

// Property is one member that occupies a property slot: PROP, CLASS or MODEL.
type Property struct {
	Name      string
	Type      string // as written; the child class for CLASS, "QAbstractItemModel" for MODEL
	Default   string // default value text, empty if none ("nullptr" for CLASS and MODEL, as repc)
	Modifier  Modifier
	Persisted bool
	Kind      PropKind
	Roles     []string // MODEL role names in declaration order
	Pos       Pos
}

// ParamFlags are repc's ASTDeclaration::VariableType bits, which both
// signature algorithms hash.
type ParamFlags int32

// Parameter flag bits.
const (
	ParamConst ParamFlags = 1 // the parameter was written with "const"
	ParamRef   ParamFlags = 2 // the parameter was written with "&"
)

// Param is a function parameter or POD attribute.
type Param struct {
	Type  string // without const and &, inner template spaces kept
	Name  string // as written, or __repc_variable_N for unnamed parameters
	Flags ParamFlags
}

// Function is a SIGNAL or SLOT.
type Function struct {
	Name       string
	ReturnType string // "void" for signals and void slots, otherwise as written
	Params     []Param
	Pos        Pos
}

// Class is a class block.
type Class struct {
	Name       string
	Properties []*Property // PROP, CLASS and MODEL in declaration order
	Signals    []*Function
	Slots      []*Function
	Enums      []*Enum
	Flags      []*Flag // Qt 6 only
	Pos        Pos
}

// Class returns the class with the given name, or nil.
func (f *File) Class(name string) *Class {
	for _, c := range f.Classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Qt6Only reports whether the file uses syntax only Qt 6 repc accepts
// (POD{...}, FLAG, ENUM class, enum underlying types, /* */ comments).
func (f *File) Qt6Only() bool { return len(f.qt6Only) > 0 }

// qt6Feature records one Qt 6 only construct.
type qt6Feature struct {
	what string
	pos  Pos
}

// signedKind says what a signedDecl refers to.
type signedKind int

const (
	signEnum signedKind = iota
	signFlag
	signPOD
	signModel
	signClass
)

// signedDecl is one generateSignature call of Qt 6.4 repc.
type signedDecl struct {
	kind  signedKind
	enum  *Enum
	flag  *Flag
	pod   *POD
	class *Class
	prop  *Property // the MODEL property, for signModel
}
