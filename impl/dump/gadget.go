package dump

import (
	"fmt"
	"strings"

	"github.com/qtro/qtro/impl/qds"
)

// Gadget declares a user type that the programs in a capture had compiled
// in, so values of it decode. A generic dumper cannot know such types: Qt
// sends only their name.
type Gadget struct {
	Name   string   // the registered type name, e.g. "MyPOD"
	Fields []string // field names, in order
	// Types holds each field's type name when the type streams bare fields
	// (hand-written stream operators); nil means one QVariant per field, as
	// repc PODs and QtRO dynamic gadgets stream.
	Types []string
}

// ParseGadget parses a declaration: "MyPOD=x,s" declares a POD streamed as
// one QVariant per field (repc PODs); "MyPod=x:int,s:QString" declares a type
// whose stream operators write bare values of the given types. A type with no
// fields is written "Empty=".
func ParseGadget(spec string) (Gadget, error) {
	name, list, ok := strings.Cut(spec, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Gadget{}, fmt.Errorf("gadget %q: want NAME=field1,field2 or NAME=field1:type1,field2:type2", spec)
	}
	g := Gadget{Name: name}
	if strings.TrimSpace(list) == "" {
		return g, nil
	}
	typed := strings.Contains(list, ":")
	for _, f := range strings.Split(list, ",") {
		field, typ, hasType := strings.Cut(f, ":")
		field, typ = strings.TrimSpace(field), strings.TrimSpace(typ)
		if field == "" || hasType != typed || (typed && typ == "") {
			return Gadget{}, fmt.Errorf("gadget %q: field %q: give every field a name, and either every field a type (name:type) or none", spec, f)
		}
		g.Fields = append(g.Fields, field)
		if typed {
			g.Types = append(g.Types, typ)
		}
	}
	return g, nil
}

// String returns the declaration in ParseGadget's syntax.
func (g Gadget) String() string {
	parts := make([]string, len(g.Fields))
	for i, f := range g.Fields {
		parts[i] = f
		if g.Types != nil {
			parts[i] += ":" + g.Types[i]
		}
	}
	return g.Name + "=" + strings.Join(parts, ",")
}

// Register adds the type's codec to t. Field types are resolved in t, so a
// typed field may name a gadget registered before it.
func (g Gadget) Register(t *qds.Types) error {
	if g.Types == nil {
		t.Register(g.Name, &qds.GadgetCodec{Names: g.Fields})
		return nil
	}
	if len(g.Types) != len(g.Fields) {
		return fmt.Errorf("gadget %s: %d fields but %d types", g.Name, len(g.Fields), len(g.Types))
	}
	els := make([]qds.Element, len(g.Types))
	for i, typ := range g.Types {
		el, ok := t.ElementFor(typ)
		if !ok {
			return fmt.Errorf("gadget %s: field %s has unknown type %s", g.Name, g.Fields[i], typ)
		}
		els[i] = el
	}
	t.Register(g.Name, &qds.StructCodec{Names: g.Fields, Fields: els})
	return nil
}
