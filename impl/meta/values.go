package meta

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Zero returns the value a property of type typ holds before anything is
// assigned: Qt's default-constructed value (enums 0, PODs with zero fields).
func Zero(c *Class, typ string) qds.Variant {
	budget := maxZeroFields
	return zero(c, typ, nil, &budget)
}

// maxZeroFields bounds the gadget fields one Zero builds: gadgets of
// gadgets in a class definition from the wire could otherwise ask for
// exponentially many.
const maxZeroFields = 4096

// zero is Zero inside the gadgets open (being built). A gadget that holds
// itself by value cannot exist in C++; a class definition from the wire
// can declare one, and its recursive field (like every field past the
// budget) is then an invalid QVariant.
func zero(c *Class, typ string, open []string, budget *int) qds.Variant {
	if id, ok := qds.TypeByName(typ); ok {
		return qds.Zero(id)
	}
	if c != nil {
		if c.Enum(typ) != nil {
			return qds.IntOf(0)
		}
		if g := c.Gadget(typ); g != nil {
			if slices.Contains(open, g.Name) || *budget < len(g.Properties) {
				return qds.Variant{}
			}
			*budget -= len(g.Properties)
			open = append(open, g.Name)
			fields := make([]qds.Variant, len(g.Properties))
			names := make([]string, len(g.Properties))
			for i, p := range g.Properties {
				fields[i] = zero(c, p.Type, open, budget)
				names[i] = p.Name
			}
			return qds.UserOf(g.Name, qds.Gadget{Names: names, Fields: fields})
		}
	}
	if strings.Contains(typ, "<") {
		return qds.UserOf(typ, emptyContainer(typ))
	}
	return qds.Variant{}
}

func emptyContainer(typ string) any {
	switch typ[:strings.IndexByte(typ, '<')] {
	case "QMap", "QHash", "QMultiMap", "QMultiHash", "std::map":
		return []qds.Pair{}
	case "QPair", "std::pair":
		return qds.Pair{}
	}
	return []qds.Variant{}
}

// Coerce converts x (a Go value or a qds.Variant) to the QVariant a member
// of type typ carries on the wire: built-in types by qds.Convert, enums as
// int (from a number or a key name), PODs from a qds.Gadget, a
// map[string]any or a []any of fields, containers element by element, and
// QVariant from anything.
func (c *Class) Coerce(typ string, x any) (qds.Variant, error) {
	if typ == "QVariant" {
		return qds.FromAny(x)
	}
	if id, ok := qds.TypeByName(typ); ok {
		return qds.Convert(id, x)
	}
	if e := c.Enum(typ); e != nil {
		return coerceEnum(e, x)
	}
	if g := c.Gadget(typ); g != nil {
		return c.coerceGadget(g, x)
	}
	if open := strings.IndexByte(typ, '<'); open > 0 && strings.HasSuffix(typ, ">") {
		return c.coerceContainer(typ, open, x)
	}
	if v, ok := x.(qds.Variant); ok && v.Type() == qds.User && v.TypeName() == typ {
		return v, nil
	}
	return qds.Variant{}, fmt.Errorf("%w: unknown type %q", qds.ErrBadValue, typ)
}

func coerceEnum(e *wire.EnumDef, x any) (qds.Variant, error) {
	if s, ok := x.(string); ok {
		for _, k := range e.Keys {
			if k.Name == s {
				return qds.IntOf(k.Value), nil
			}
		}
		return qds.Variant{}, fmt.Errorf("%w: %q is not a key of enum %s", qds.ErrBadValue, s, e.Name)
	}
	v, err := qds.Convert(qds.Int, x)
	if err != nil {
		return v, fmt.Errorf("enum %s: %w", e.Name, err)
	}
	return v, nil
}

func (c *Class) coerceGadget(g *wire.GadgetDef, x any) (qds.Variant, error) {
	names := make([]string, len(g.Properties))
	for i, p := range g.Properties {
		names[i] = p.Name
	}
	fields := make([]qds.Variant, len(g.Properties))
	var get func(i int) (any, bool)
	switch v := x.(type) {
	case qds.Variant:
		if v.Type() != qds.User || v.TypeName() != g.Name {
			return qds.Variant{}, fmt.Errorf("%w: %s is not a %s", qds.ErrBadValue, v.TypeName(), g.Name)
		}
		gv, _ := v.Value().(qds.Gadget)
		get = func(i int) (any, bool) {
			if i < len(gv.Fields) {
				return gv.Fields[i], true
			}
			return nil, false
		}
	case qds.Gadget:
		get = func(i int) (any, bool) {
			if i < len(v.Fields) {
				return v.Fields[i], true
			}
			return nil, false
		}
	case map[string]any:
		get = func(i int) (any, bool) { f, ok := v[names[i]]; return f, ok }
	case []any:
		get = func(i int) (any, bool) {
			if i < len(v) {
				return v[i], true
			}
			return nil, false
		}
	default:
		return qds.Variant{}, fmt.Errorf("%w: cannot use %T as %s", qds.ErrBadValue, x, g.Name)
	}
	for i, p := range g.Properties {
		f, ok := get(i)
		if !ok {
			fields[i] = Zero(c, p.Type)
			continue
		}
		fv, err := c.Coerce(p.Type, f)
		if err != nil {
			return qds.Variant{}, fmt.Errorf("%s.%s: %w", g.Name, p.Name, err)
		}
		fields[i] = fv
	}
	return qds.UserOf(g.Name, qds.Gadget{Names: names, Fields: fields}), nil
}

func (c *Class) coerceContainer(typ string, open int, x any) (qds.Variant, error) {
	outer := typ[:open]
	args := wire.SignatureParams("f(" + typ[open+1:len(typ)-1] + ")")
	if v, ok := x.(qds.Variant); ok && v.Type() == qds.User && v.TypeName() == typ {
		return v, nil
	}
	switch outer {
	case "QList", "QVector", "QSet", "std::vector":
		if len(args) != 1 {
			break
		}
		var items []any
		switch l := x.(type) {
		case []any:
			items = l
		case []qds.Variant:
			for _, e := range l {
				items = append(items, e)
			}
		default:
			return qds.Variant{}, fmt.Errorf("%w: cannot use %T as %s", qds.ErrBadValue, x, typ)
		}
		out := make([]qds.Variant, len(items))
		for i, e := range items {
			ev, err := c.Coerce(args[0], e)
			if err != nil {
				return qds.Variant{}, fmt.Errorf("%s[%d]: %w", typ, i, err)
			}
			out[i] = ev
		}
		return qds.UserOf(typ, out), nil
	case "QMap", "QHash":
		if len(args) != 2 {
			break
		}
		m, ok := x.(map[string]any)
		if !ok {
			if pairs, ok := x.([]qds.Pair); ok {
				return qds.UserOf(typ, pairs), nil
			}
			return qds.Variant{}, fmt.Errorf("%w: cannot use %T as %s", qds.ErrBadValue, x, typ)
		}
		keys := sortedKeys(m)
		out := make([]qds.Pair, 0, len(m))
		for _, k := range keys {
			var kx any = k
			if args[0] != "QString" && args[0] != "QByteArray" {
				n, err := strconv.ParseInt(k, 10, 64)
				if err != nil {
					return qds.Variant{}, fmt.Errorf("%w: key %q of %s", qds.ErrBadValue, k, typ)
				}
				kx = n
			}
			kv, err := c.Coerce(args[0], kx)
			if err != nil {
				return qds.Variant{}, err
			}
			vv, err := c.Coerce(args[1], m[k])
			if err != nil {
				return qds.Variant{}, err
			}
			out = append(out, qds.Pair{First: kv, Second: vv})
		}
		return qds.UserOf(typ, out), nil
	}
	return qds.Variant{}, fmt.Errorf("%w: unsupported container %q", qds.ErrBadValue, typ)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// ParseDefault converts a .rep default value text (PROP(int x=5),
// PROP(Mode m=On), PROP(QString s="hi")) to a value of type typ.
func (c *Class) ParseDefault(typ, text string) (qds.Variant, error) {
	text = strings.TrimSpace(text)
	if e := c.Enum(typ); e != nil {
		key := text
		if i := strings.LastIndex(key, "::"); i >= 0 {
			key = key[i+2:]
		}
		if v, err := coerceEnum(e, key); err == nil {
			return v, nil
		}
	}
	if unq, err := strconv.Unquote(text); err == nil {
		return c.Coerce(typ, unq)
	}
	if b, err := strconv.ParseBool(text); err == nil {
		return c.Coerce(typ, b)
	}
	if i, err := strconv.ParseInt(text, 0, 64); err == nil {
		return c.Coerce(typ, i)
	}
	if f, err := strconv.ParseFloat(strings.TrimSuffix(text, "f"), 64); err == nil {
		return c.Coerce(typ, f)
	}
	return qds.Variant{}, fmt.Errorf("%w: default %q for %s", qds.ErrBadValue, text, typ)
}
