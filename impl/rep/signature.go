package rep

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// SignatureV1 returns the class signature Qt 5.15 repc writes into
// Q_CLASSINFO("RemoteObject Signature", ...): 40 lowercase hex digits.
//
// Algorithm (tools/repc/repcodegenerator.cpp, 5.15): a table of "type data"
// is filled in the order repc generates code (all top-level ENUMs, then all
// PODs, then each class's ENUMs after that class), and the class is hashed
// with SHA-1 over its name, each property (name, type data, modifier as 4
// little-endian bytes), then every SIGNAL and SLOT (name, each parameter's
// name, type data and flags, then the return type's data). Automatic notify
// signals and push slots are not hashed.
func SignatureV1(f *File, class string) (string, error) {
	if f.Qt6Only() {
		q := f.qt6Only[0]
		return "", &Error{File: f.Name, Pos: q.pos, Msg: q.what + " is not accepted by Qt 5.15 repc", Err: ErrQt6Only}
	}
	global := map[string][]byte{}
	for _, e := range f.Enums {
		global[e.Name] = enumData1(e)
	}
	for _, p := range f.PODs {
		d := []byte(nil)
		d = append(d, toLatin1(p.Name)...)
		for _, a := range p.Attrs {
			d = append(d, toLatin1(a.Name)...)
			d = append(d, typeData1(a.Type, global)...)
		}
		global[p.Name] = d
	}
	for _, c := range f.Classes {
		if c.Name == class {
			local := make(map[string][]byte, len(global)+len(c.Enums))
			for k, v := range global {
				local[k] = v
			}
			for _, e := range c.Enums {
				local[e.Name] = enumData1(e)
			}
			h := sha1.New()
			h.Write(toLatin1(c.Name))
			for _, p := range c.Properties {
				h.Write(toLatin1(p.Name))
				h.Write(typeData1(p.Type, local))
				h.Write(le32(int32(p.Modifier)))
			}
			h.Write(functionsData(c.Signals, func(t string) []byte { return typeData1(t, local) }))
			h.Write(functionsData(c.Slots, func(t string) []byte { return typeData1(t, local) }))
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		// generateDeclarationsForEnums adds a class's enums to the table
		// used by every later class.
		for _, e := range c.Enums {
			global[e.Name] = enumData1(e)
		}
	}
	return "", noClass(f, class)
}

func noClass(f *File, class string) error {
	return &Error{File: f.Name, Msg: fmt.Sprintf("class %q not declared", class), Err: ErrNoClass}
}

// enumData1 is Qt 5.15's enumSignature: name, then each key and its decimal value.
func enumData1(e *Enum) []byte {
	d := append([]byte(nil), toLatin1(e.Name)...)
	for _, k := range e.Keys {
		d = append(d, toLatin1(k.Name)...)
		d = strconv.AppendInt(d, int64(k.Value), 10)
	}
	return d
}

// typeData1 is Qt 5.15's typeData: a table hit, else retry with the part
// after the last "::", else the type text itself. Templates are not split.
func typeData1(t string, table map[string][]byte) []byte {
	for {
		if v, ok := table[t]; ok {
			return v
		}
		pos := strings.LastIndex(t, "::")
		if pos <= 0 {
			return toLatin1(t)
		}
		t = t[pos+2:]
	}
}

// functionsData hashes SIGNALs or SLOTs the way both repc versions do.
func functionsData(fns []*Function, typeData func(string) []byte) []byte {
	var d []byte
	for _, fn := range fns {
		d = append(d, toLatin1(fn.Name)...)
		for _, p := range fn.Params {
			d = append(d, toLatin1(p.Name)...)
			d = append(d, typeData(p.Type)...)
			d = append(d, le32(int32(p.Flags))...)
		}
		d = append(d, typeData(fn.ReturnType)...)
	}
	return d
}

// le32 is an int32 in memory order on the little-endian hosts repc runs on
// (repc hashes the C++ enum's bytes directly).
func le32(v int32) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return b[:]
}

// SignatureV2 returns the class signature Qt 6.4 repc writes into
// Q_CLASSINFO("RemoteObject Signature", ...): 40 lowercase hex digits.
//
// Algorithm (src/repparser/parser.g, 6.4): as repc parses, every ENUM, FLAG,
// POD, MODEL and class gets its own SHA-1, stored as hex text under its
// (scoped) name; types are then hashed as the stored hex of what they name,
// with templates split into their parts. See QTRO-PROTOCOL.md §8.3 and the
// comments below for the details that differ from Qt 5.
func SignatureV2(f *File, class string) (string, error) {
	sigs := map[string][]byte{}
	for _, d := range f.signed {
		var key string
		h := sha1.New()
		switch d.kind {
		case signEnum:
			e := d.enum
			h.Write(toLatin1(e.Name))
			if e.Scoped {
				h.Write([]byte("class"))
			}
			h.Write(toLatin1(e.Underlying))
			for _, k := range e.Keys {
				h.Write(toLatin1(k.Name))
				h.Write(strconv.AppendInt(nil, int64(k.Value), 10))
			}
			key = scoped(e.Scope, e.Name)
		case signFlag:
			fl := d.flag
			h.Write(toLatin1(fl.Name))
			h.Write(typeData2(fl.Enum, fl.Scope, sigs))
			key = scoped(fl.Scope, fl.Name)
		case signPOD:
			p := d.pod
			h.Write(toLatin1(p.Name))
			for _, a := range p.Attrs {
				h.Write(toLatin1(a.Name))
				h.Write(typeData2(a.Type, p.Name, sigs))
			}
			key = p.Name
		case signModel:
			roles := make([]string, len(d.prop.Roles))
			for i, r := range d.prop.Roles {
				roles[i] = string(toLatin1(r))
			}
			sort.Strings(roles) // QByteArrayList sorted bytewise
			h.Write([]byte(strings.Join(roles, "_")))
			// ASTModel::typeName always has the "::", even for class "".
			key = d.class.Name + "::" + d.prop.Name
		case signClass:
			if err := classData2(h, d.class, sigs); err != nil {
				return "", err
			}
			key = d.class.Name
		}
		sum := []byte(hex.EncodeToString(h.Sum(nil)))
		if d.kind == signClass && d.class.Name == class {
			return string(sum), nil
		}
		sigs[key] = sum
	}
	return "", noClass(f, class)
}

func scoped(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "::" + name
}

// classData2 is ASTClass::signature_impl (6.4).
func classData2(h interface{ Write([]byte) (int, error) }, c *Class, sigs map[string][]byte) error {
	h.Write(toLatin1(c.Name))
	var models []*Property
	for _, p := range c.Properties {
		if p.Kind == ModelProp {
			models = append(models, p)
		}
	}
	modelIndex := 0
	for _, p := range c.Properties {
		h.Write(toLatin1(p.Name))
		switch {
		case p.Type == "QAbstractItemModel":
			// repc tests the type text, not the kind, and indexes its model
			// list without a bounds check.
			if modelIndex >= len(models) {
				return &Error{Pos: p.Pos, Msg: "property " + p.Name + " of type QAbstractItemModel without a MODEL: repc reads out of bounds", Err: ErrUndefined}
			}
			h.Write(sigs[c.Name+"::"+models[modelIndex].Name])
			modelIndex++
		case p.Kind == ChildProp:
			// An undeclared (or later) child class hashes as nothing.
			h.Write(sigs[p.Type])
		default:
			h.Write(typeData2(p.Type, c.Name, sigs))
		}
		m := p.Modifier
		if m == SourceOnlySetter { // repc: "interface-wise they are" the same
			m = ReadOnly
		}
		h.Write(le32(int32(m)))
	}
	td := func(t string) []byte { return typeData2(t, c.Name, sigs) }
	h.Write(functionsData(c.Signals, td))
	h.Write(functionsData(c.Slots, td))
	return nil
}

// templatePart is AST::typeData's ([^<>,\s]+), with PCRE's ASCII \s.
var templatePart = regexp.MustCompile(`[^<>,\t\n\v\f\r ]+`)

// typeData2 is AST::typeData (6.4).
func typeData2(t, cls string, sigs map[string][]byte) []byte {
	if strings.Contains(t, "<") {
		var d []byte
		for _, part := range templatePart.FindAllString(t, -1) {
			d = append(d, typeData2(part, cls, sigs)...)
		}
		return d
	}
	for {
		if cls != "" {
			if v, ok := sigs[cls+"::"+t]; ok {
				return v
			}
		}
		if v, ok := sigs[t]; ok {
			return v
		}
		pos := strings.LastIndex(t, "::")
		if pos <= 0 {
			return toLatin1(t)
		}
		t = t[pos+2:]
	}
}
